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
from collections.abc import Mapping
from decimal import Decimal
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
    "buyer_shipping", "tax", "refunded", "quantity", "platform_discount_refunded", "pre_order", "new_shop",
    "creator_sample", "cancelled_before_shipping", "tax_registered_org"], \
    "OrderRecord's fields changed: update _plain_order"


def structure_order(row: Mapping[str, Any]) -> OrderRecord:
    """The :class:`OrderRecord` of ``row``, or an ``InputError`` naming the bad field."""
    try:
        record = _plain_order(row)
    except (ValueError, TypeError, ArithmeticError, LookupError):  # a bad value: the strict path names it
        record = None
    if record is not None:
        return record
    if isinstance(row, Mapping):
        row = given(row)
    return structure(row, OrderRecord, what="order")  # refuses a non-mapping with a clear message


def _decimal(value: object) -> Decimal:
    # The to_decimal rules for the common case only: a string holding a finite decimal.
    # Anything else raises, and structure_order hands the row to the strict path.
    if type(value) is str:
        result = Decimal(value)  # InvalidOperation is an ArithmeticError
        if result.is_finite():
            return result
    raise TypeError("not a plain decimal")


# Dates already read, by their text.  A month of orders holds a few dozen distinct dates,
# so each is parsed once; sharing the (immutable) datetime also keeps its hash computed
# for the engine's look-ups of the plan in force.  Date-times are not kept: nearly every
# one is new.
_DATES: dict[str, dt.datetime] = {}


def _moment(value: object) -> dt.datetime:
    if type(value) is not str:  # first: only plain strings meet the cache
        raise TypeError("not a date string")
    found = _DATES.get(value)
    if found is not None:
        return found
    found = parse_datetime(value)  # raises ValueError on a bad date: the strict path explains
    if len(value) == 10:
        if len(_DATES) >= 4096:  # bounded, for an input spanning years
            _DATES.clear()
        _DATES[value] = found
    return found


_NO_COMPONENTS = (None, None, None, None)
_NO_EXTRAS = (None, None, None, None, None, None)
# A flag as JSON (true, false) or CSV ("true", "false", "" for not given) writes it; any
# other spelling goes to the strict path, which accepts it or names the field.
_FLAGS: dict[object, bool] = {"true": True, "false": False, "": False, None: False}


def _plain_order(row: Mapping[str, Any]) -> OrderRecord | None:
    """The record of a row whose every value is in its plain JSON/CSV form; else None,
    or a ValueError, TypeError or ArithmeticError (the strict path then reads it).

    Written out field by field, without a helper call per field: it runs once per order.
    """
    if type(row) is not dict or not ORDER_FIELDS.issuperset(row):
        return None
    get, dates = row.get, _DATES
    order_id, market, currency = get("order_id"), get("market"), get("currency")
    if type(order_id) is not str or type(market) is not str or type(currency) is not str \
            or not order_id or not market or not currency:
        return None
    amount = _decimal(get("amount"))
    placed: Any = get("placed_at")
    placed_at = (type(placed) is str and dates.get(placed)) or _moment(placed)  # a date met before: no call
    texts: tuple[Any, ...] = (get("category"), get("shop_id"), get("seller_type"), get("store_type"),
                              get("settlement_tier"), get("affiliate_plan"))
    for text in texts:
        if text is not None and type(text) is not str:
            return None
    if "" in texts:
        texts = tuple(text or None for text in texts)
    category, shop_id, seller_type, store_type, settlement_tier, affiliate_plan = texts
    delivered = get("delivered_at")
    delivered_at = None if delivered is None or delivered == "" else (
        (type(delivered) is str and dates.get(delivered)) or _moment(delivered))
    completed_at = get("completed_at")
    if completed_at is not None:
        completed_at = None if completed_at == "" else _moment(completed_at)
    rate = get("commission_rate")
    if rate is not None:
        rate = None if rate == "" else _decimal(rate)
    parts = (get("platform_discount"), get("buyer_shipping"), get("tax"), get("refunded"))
    if parts == _NO_COMPONENTS:
        platform_discount = buyer_shipping = tax = refunded = ZERO
    else:
        platform_discount, buyer_shipping, tax, refunded = (
            ZERO if part is None or part == "" else _decimal(part) for part in parts)
    quantity = get("quantity")
    if quantity is None or quantity == "":
        quantity = 1
    elif type(quantity) is not int:
        return None
    extras = (get("platform_discount_refunded"), get("pre_order"), get("new_shop"), get("creator_sample"),
              get("cancelled_before_shipping"), get("tax_registered_org"))
    if extras == _NO_EXTRAS:  # the common row: none of the rarer inputs
        return OrderRecord(order_id, market, amount, currency, placed_at, category, delivered_at, completed_at,
                           shop_id, seller_type, store_type, settlement_tier, affiliate_plan, rate,
                           platform_discount, buyer_shipping, tax, refunded, quantity)
    taken_back = extras[0]
    taken_back = ZERO if taken_back is None or taken_back == "" else _decimal(taken_back)
    flags = [flag if type(flag) is bool else _FLAGS[flag] for flag in extras[1:]]  # KeyError: the strict path
    return OrderRecord(order_id, market, amount, currency, placed_at, category, delivered_at, completed_at,
                       shop_id, seller_type, store_type, settlement_tier, affiliate_plan, rate,
                       platform_discount, buyer_shipping, tax, refunded, quantity, taken_back, *flags)
