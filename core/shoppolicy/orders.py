"""Order records from parsed rows (a JSON object, a CSV row, a dict from Python).

:func:`structure_order` is the one way in.  It reads the common, well-formed row with
straight-line code (a batch builds millions of orders, and the generic converter's
dispatch costs more than the arithmetic of a quote), and hands any row it cannot read
at a glance to the strict converter (:mod:`shoppolicy.convert`), which either accepts
it or raises the :class:`~shoppolicy.errors.InputError` naming the field.  Both paths
apply the same parsing functions, so a row gets the same record either way (a
property test holds them to it).  ``None`` and the empty string mean "not given".
What does not live here: checks that need a market's policy (the engine and plugins).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from shoppolicy.convert import parse_datetime, structure
from shoppolicy.model import OrderRecord
from shoppolicy.money import ZERO
from shoppolicy.records import given

ORDER_FIELDS = frozenset(f.name for f in attrs.fields(OrderRecord))
# _plain_order builds records positionally, in this order (checked here, not trusted).
assert [f.name for f in attrs.fields(OrderRecord)] == [
    "order_id", "market", "amount", "currency", "placed_at", "category", "delivered_at", "completed_at", "shop_id",
    "seller_type", "store_type", "settlement_tier", "affiliate_plan", "commission_rate", "platform_discount",
    "buyer_shipping", "tax", "refunded", "quantity"], "OrderRecord's fields changed: update _plain_order"
_OPTIONAL_TEXT = ("category", "shop_id", "seller_type", "store_type", "settlement_tier", "affiliate_plan")
_COMPONENTS = ("platform_discount", "buyer_shipping", "tax", "refunded")


def structure_order(row: Mapping[str, Any]) -> OrderRecord:
    """The :class:`OrderRecord` of ``row``, or an ``InputError`` naming the bad field."""
    try:
        record = _plain_order(row)
    except (ValueError, TypeError, ArithmeticError):  # a bad value: let the strict path name it
        record = None
    if record is not None:
        return record
    if isinstance(row, Mapping):
        row = given(row)
    return structure(row, OrderRecord, what="order")  # refuses a non-mapping with a clear message


def _decimal(value: object) -> Decimal | None:
    # The to_decimal rules for the common case only: a string holding a finite decimal.
    if type(value) is str:
        try:
            result = Decimal(value)
        except InvalidOperation:
            return None
        return result if result.is_finite() else None
    return None


def _moment(value: object) -> dt.datetime | None:
    if type(value) is str:
        return parse_datetime(value)  # raises ValueError on a bad date: the strict path explains
    return None


def _text(value: object) -> str | None:
    return value if type(value) is str else None


def _read(get: Callable[[str], Any], names: tuple[str, ...], parse: Callable[[object], Any],
          absent: Any) -> list[Any] | None:
    """The values of ``names`` parsed (``absent`` where not given), or None if one is not plain."""
    out = []
    for name in names:
        value = get(name)
        if value is None or value == "":
            out.append(absent)
            continue
        parsed = parse(value)
        if parsed is None:
            return None
        out.append(parsed)
    return out


def _plain_order(row: Mapping[str, Any]) -> OrderRecord | None:
    """The record of a row whose every value is in its plain JSON/CSV form, else None."""
    if type(row) is not dict or not ORDER_FIELDS.issuperset(row):
        return None
    get = row.get
    order_id, market, currency = get("order_id"), get("market"), get("currency")
    if type(order_id) is not str or type(market) is not str or type(currency) is not str \
            or not order_id or not market or not currency:
        return None
    amount = _decimal(get("amount"))
    placed_at = _moment(get("placed_at"))
    if amount is None or placed_at is None:
        return None
    texts = _read(get, _OPTIONAL_TEXT, _text, None)
    moments = _read(get, ("delivered_at", "completed_at"), _moment, None)
    rate = _read(get, ("commission_rate",), _decimal, None)
    components = _read(get, _COMPONENTS, _decimal, ZERO)
    if texts is None or moments is None or rate is None or components is None:
        return None
    quantity = get("quantity")
    if quantity is None or quantity == "":
        quantity = 1
    elif type(quantity) is not int:
        return None
    category, shop_id, seller_type, store_type, settlement_tier, affiliate_plan = texts
    platform_discount, buyer_shipping, tax, refunded = components
    return OrderRecord(order_id, market, amount, currency, placed_at, category, moments[0], moments[1],
                       shop_id, seller_type, store_type, settlement_tier, affiliate_plan, rate[0],
                       platform_discount, buyer_shipping, tax, refunded, quantity)
