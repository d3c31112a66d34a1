"""Order records from parsed rows (a JSON object, a CSV row, a dict from Python).

:func:`structure_order` is the one way in.  It reads the common, well-formed row with
straight-line code (a batch builds millions of orders, and the generic converter's
dispatch costs more than the arithmetic of a quote), and hands any row it cannot read
at a glance to the strict converter (:mod:`shoppolicy.convert`), which either accepts
it or raises the :class:`~shoppolicy.errors.InputError` naming the field.  Both paths
apply the same parsing functions, so a row gets the same record either way (a
property test holds them to it).  ``None`` and the empty string mean "not given".

The rules an order meets before any market looks at it (docs/concepts.md, "Order
records"): money is a plain decimal string (ASCII digits, an optional leading ``-``, at
most one ``.`` and at most the currency's minor-unit places; no exponent, spaces or
separators) or a whole JSON number, at most :data:`MAX_MONEY` in size, so no fee
arithmetic can overflow; dates lie in ``FIRST_DAY..LAST_DAY``
(:mod:`shoppolicy.convert`); a delivery or completion is not before the placement; an
``affiliate_plan`` comes with a ``commission_rate`` and the reverse.
What does not live here: checks that need a market's policy (the engine and plugins),
and checks across rows (a repeated ``order_id``: :func:`shoppolicy.settle.settle_each`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from shoppolicy.convert import converter, fast_converter, field_error, parse_datetime, structure
from shoppolicy.model import OrderRecord
from shoppolicy.money import MINOR_UNITS, ZERO, on_minor_unit, too_precise
from shoppolicy.records import given

ORDER_FIELDS = frozenset(f.name for f in attrs.fields(OrderRecord))
# _plain_order builds records positionally, in this order (checked here, not trusted).
assert [f.name for f in attrs.fields(OrderRecord)] == [
    "order_id", "market", "amount", "currency", "placed_at", "category", "delivered_at", "completed_at", "shop_id",
    "seller_type", "store_type", "settlement_tier", "affiliate_plan", "commission_rate", "platform_discount",
    "buyer_shipping", "tax", "refunded", "quantity", "platform_discount_refunded", "pre_order", "new_shop",
    "creator_sample", "cancelled_before_shipping", "tax_registered_org"], \
    "OrderRecord's fields changed: update _plain_order"


#: The largest amount (in major units, either sign) an order's money fields may hold: a
#: fee rate or a count of days applied to it, and a batch's totals of a billion such
#: orders, stay well inside ``Decimal``'s 28 digits.
MAX_MONEY = Decimal(10) ** 12
#: The most units one order line may hold (``quantity``).
MAX_QUANTITY = 1_000_000
MONEY_FIELDS = ("amount", "platform_discount", "buyer_shipping", "tax", "refunded")

_Match = Callable[[str], "re.Match[str] | None"]
_ANY_MONEY_TEXT = re.compile(r"-?[0-9]{1,13}(?:\.[0-9]+)?").fullmatch  # places checked apart (unknown currency)
_RATE_TEXT = re.compile(r"-?[0-9]{1,13}(?:\.[0-9]{1,12})?").fullmatch
# The quick reader's tests, by currency: at most twelve digits before the point (below
# 10^12, so no comparison is needed) and the currency's places; a larger or negative
# amount, allowed or not, is the strict path's to read.
_QUICK_BY_PLACES: dict[int, _Match] = {
    places: re.compile(r"[0-9]{1,12}" + (rf"(?:\.[0-9]{{1,{places}}})?" if places else "")).fullmatch
    for places in set(MINOR_UNITS.values())}
_QUICK_MONEY: dict[str, _Match] = {code: _QUICK_BY_PLACES[places] for code, places in MINOR_UNITS.items()}
_QUICK_RATE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,12})?").fullmatch
_PLAIN = 'ASCII digits with at most one "." (such as "12.50"; no exponent, spaces or separators)'


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


def _decimal(value: object, quick: _Match) -> Decimal:
    # The strict rules for the common case only: a plain string in bounds (``quick``
    # says both).  Anything else raises, and structure_order hands the row to the strict path.
    if type(value) is str and quick(value) is not None:
        return Decimal(value)
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
    quick = _QUICK_MONEY.get(currency)
    if quick is None:
        return None
    amount = _decimal(get("amount"), quick)
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
    if (delivered_at is not None and delivered_at < placed_at) or (  # naive with aware: TypeError, strict path
            completed_at is not None and completed_at < placed_at):
        return None
    rate = get("commission_rate")
    if rate is not None:
        rate = None if rate == "" else _decimal(rate, _QUICK_RATE)
    if (rate is None) is not (affiliate_plan is None):  # one without the other: the strict path says which
        return None
    parts = (get("platform_discount"), get("buyer_shipping"), get("tax"), get("refunded"))
    if parts == _NO_COMPONENTS:
        platform_discount = buyer_shipping = tax = refunded = ZERO
    else:
        platform_discount, buyer_shipping, tax, refunded = (
            ZERO if part is None or part == "" else _decimal(part, quick) for part in parts)
    quantity = get("quantity")
    if quantity is None or quantity == "":
        quantity = 1
    elif type(quantity) is not int or quantity > MAX_QUANTITY:
        return None
    extras = (get("platform_discount_refunded"), get("pre_order"), get("new_shop"), get("creator_sample"),
              get("cancelled_before_shipping"), get("tax_registered_org"))
    if extras == _NO_EXTRAS:  # the common row: none of the rarer inputs
        return OrderRecord(order_id, market, amount, currency, placed_at, category, delivered_at, completed_at,
                           shop_id, seller_type, store_type, settlement_tier, affiliate_plan, rate,
                           platform_discount, buyer_shipping, tax, refunded, quantity)
    taken_back = extras[0]
    taken_back = ZERO if taken_back is None or taken_back == "" else _decimal(taken_back, quick)
    flags = [flag if type(flag) is bool else _FLAGS[flag] for flag in extras[1:]]  # KeyError: the strict path
    return OrderRecord(order_id, market, amount, currency, placed_at, category, delivered_at, completed_at,
                       shop_id, seller_type, store_type, settlement_tier, affiliate_plan, rate,
                       platform_discount, buyer_shipping, tax, refunded, quantity, taken_back, *flags)


# --- the strict path: the converter's hook for OrderRecord ----------------------------------
#
# Registered on both converters, so every way of structuring an order (this module's
# strict path, the author kit's case files, a tool calling convert.structure) applies
# the rules of the module docstring.  Errors are ValueErrors that know their field.


def _check_given(data: Mapping[str, Any]) -> None:
    """The rules on the values as given: plain money text, bounds."""
    currency = data.get("currency")
    for name in MONEY_FIELDS:
        problem = money_problem(data.get(name), currency)  # an unknown currency: the most any has
        if problem is not None:
            raise field_error(name, problem)
    rate = data.get("commission_rate")
    if type(rate) is str and rate and _RATE_TEXT(rate) is None:
        raise field_error("commission_rate", f"expected a decimal string of {_PLAIN} with at most 12 decimal "
                                             f"places, got {rate!r}")
    quantity = data.get("quantity")
    if type(quantity) is int and quantity > MAX_QUANTITY:
        raise field_error("quantity", f"expected at most {MAX_QUANTITY:,} units, got {quantity}")


def money_problem(value: object, currency: object = None) -> str | None:
    """What is wrong with ``value`` as money (in ``currency``, whose minor-unit places
    then bound the decimals; otherwise the most any currency has), or None.  Values of
    other types than strings, whole numbers and Decimals are the converter's to refuse."""
    if value is None or value == "" or isinstance(value, (bool, float)):
        return None
    if type(value) is str:
        if _ANY_MONEY_TEXT(value) is None:
            return f"expected a decimal string of {_PLAIN}, got {value!r}"
        number = Decimal(value)
    elif isinstance(value, (int, Decimal)):
        number = Decimal(value)
        if not number.is_finite():
            return None  # the converter names it
    else:
        return None
    if not -MAX_MONEY <= number <= MAX_MONEY:
        return f"expected at most {MAX_MONEY:,} (10^12) either side of zero, got {value!r}"
    if isinstance(currency, str) and currency in MINOR_UNITS:
        return None if on_minor_unit(number, currency) else too_precise(number, currency)
    most = max(MINOR_UNITS.values())  # no currency known yet: the most any currency has
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > most:
        return f"expected at most {most} decimal places, got {value!r}"
    return None


def _check_record(record: OrderRecord) -> OrderRecord:
    """The rules across fields: times in order, a commission's plan and rate together."""
    for name in ("delivered_at", "completed_at"):
        when: dt.datetime | None = getattr(record, name)
        if when is not None and _before(when, record.placed_at):
            raise field_error(name, f"expected on or after placed_at ({record.placed_at.isoformat()}), "
                                    f"got {when.isoformat()}")
    if record.affiliate_plan is not None and record.commission_rate is None:
        raise field_error("commission_rate", f"required when affiliate_plan is {record.affiliate_plan!r}")
    if record.commission_rate is not None and record.affiliate_plan is None:
        raise field_error("affiliate_plan", f"required when commission_rate is given ({record.commission_rate}): "
                                            "name the plan the creator sold through, or leave commission_rate out")
    if record.quantity > MAX_QUANTITY:
        raise field_error("quantity", f"expected at most {MAX_QUANTITY:,} units, got {record.quantity}")
    return record


# A time without an offset is in the market's time zone, which this module does not know:
# between one with an offset and one without, only an order certainly wrong whatever the
# zone (UTC-12:00 to UTC+14:00) is refused; the engine reads both in the market's zone.
_ZONES_SPAN = (dt.timedelta(hours=12), dt.timedelta(hours=14))


def _before(later: dt.datetime, earlier: dt.datetime) -> bool:
    """Whether ``later`` is certainly before ``earlier``."""
    if (later.tzinfo is None) is (earlier.tzinfo is None):
        return later < earlier
    if later.tzinfo is None:  # a local time: at most UTC+12:00 behind, so its latest instant in UTC
        return later.replace(tzinfo=dt.timezone.utc) + _ZONES_SPAN[0] < earlier
    return later < earlier.replace(tzinfo=dt.timezone.utc) - _ZONES_SPAN[1]


def _register(conv: Any) -> None:
    generated = conv.get_structure_hook(OrderRecord)

    def order(data: Any, cls: type) -> OrderRecord:
        if isinstance(data, Mapping):
            _check_given(data)
        return _check_record(generated(data, cls))

    conv.register_structure_hook(OrderRecord, order)


for _conv in (converter, fast_converter):
    _register(_conv)
