"""Amounts and dates as statements print them, read into ``Decimal`` and ``datetime``.

TikTok's API prints amounts as strings in the major unit (``"-17.14"``, and ``"0 "``
with a trailing space in the official example); Douyin's as whole fen; a Seller Center
export as spreadsheet numbers or text (``BRL 35,91``, ``1,234.56``).  No float is ever
used as a figure: a spreadsheet's numeric cell is read through its text and must land on
the currency's minor unit (statement-formats.md, "Signs and numbers").
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from shoppolicy.errors import InputError
from shoppolicy.money import MINOR_UNITS, QUANTA, ZERO, on_minor_unit, too_precise

_CODE = re.compile(r"^[A-Za-z]{3}\s*|\s*[A-Za-z]{3}$")  # an ISO code before or after the number


def api_amount(value: object, where: str) -> Decimal:
    """A TikTok API amount: a decimal string (spaces around it ignored) or a whole
    number; ``""`` and ``null`` are zero."""
    if value is None:
        return ZERO
    if isinstance(value, (bool, float)):
        raise InputError(f"expected a decimal string, got {value!r}", field=where)
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return ZERO
        try:
            result = Decimal(text)
        except InvalidOperation:
            pass
        else:
            if result.is_finite():
                return result
    raise InputError(f"expected a decimal string such as \"-17.14\", got {value!r}", field=where)


def fen(value: object, where: str) -> Decimal:
    """A Douyin amount in fen (分, int64) as yuan: exact, since fen / 100 always is."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, (bool, float)):
        raise InputError(f"expected a whole number of fen, got {value!r}", field=where)
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError):
        raise InputError(f"expected a whole number of fen, got {value!r}", field=where) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise InputError(f"expected a whole number of fen, got {value!r}", field=where)
    return number.scaleb(-2)  # 200 fen -> 2.00 yuan, with its two places


def text_amount(text: str, currency: str | None, where: str) -> Decimal | None:
    """An amount written as text in a spreadsheet or CSV; ``None`` for an empty cell.

    An ISO code before or after the number is dropped (``BRL 35,91``).  The last of
    ``,`` and ``.`` is the decimal separator, unless three digits follow it and the
    currency has no three-digit minor unit: then it separates thousands (``74.332`` VND,
    ``1,234`` USD).  The result must be on the currency's minor unit.
    """
    raw = text.strip()
    if not raw or raw in ("-", "--"):
        return None
    cleaned = _CODE.sub("", raw).replace(" ", "").replace("\u00a0", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")  # accounting style: (1.00)
    cleaned = cleaned.strip("()")
    last = max(cleaned.rfind(","), cleaned.rfind("."))
    if last >= 0:
        after = cleaned[last + 1:]
        places = MINOR_UNITS.get(currency or "", 2)
        if len(after) == 3 and places != 3 and after.isdigit():
            cleaned = cleaned.replace(",", "").replace(".", "")
        else:
            cleaned = cleaned[:last].replace(",", "").replace(".", "") + "." + after
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InputError(f"expected an amount, got {text!r}", field=where) from None
    if not value.is_finite():
        raise InputError(f"expected an amount, got {text!r}", field=where)
    return _on_unit(-value if negative else value, currency, where)


def cell_amount(value: object, currency: str | None, where: str) -> Decimal | None:
    """A spreadsheet cell as an amount: a number is read through its shortest text
    (``repr``), never used as a float; text as :func:`text_amount`."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(f"expected an amount, got {value!r}", field=where)
    if isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if isinstance(value, float) and currency is not None and currency in MINOR_UNITS \
                and not on_minor_unit(number, currency):
            # A float keeps about 15 significant digits: 35.910000000000004 is 35.91.
            number = Decimal(format(value, ".15g"))
        number = _on_unit(number, currency, where)
        # quantized to the minor unit, as the same cell read as text would be (0.3 -> 0.30)
        return number.quantize(QUANTA[currency]) if currency is not None and currency in QUANTA else number
    if isinstance(value, Decimal):
        return _on_unit(value, currency, where)
    return text_amount(str(value), currency, where)


def _on_unit(value: Decimal, currency: str | None, where: str) -> Decimal:
    if currency is not None and currency in MINOR_UNITS and not on_minor_unit(value, currency):
        raise InputError(too_precise(value, currency), field=where)
    return value


def unix_time(value: object, where: str) -> dt.datetime | None:
    """Unix seconds (an int, or a string of one) as an aware UTC date-time."""
    if value is None or value == "" or value == 0 or value == "0":
        return None
    try:
        seconds = int(value.strip()) if isinstance(value, str) else int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InputError(f"expected Unix seconds, got {value!r}", field=where) from None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


_DATE_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d",
                 "%Y-%m-%dT%H:%M:%S", "%Y%m%d", "%d/%m/%Y")


def local_time(value: object, where: str) -> dt.datetime | None:
    """A date or date-time as a statement writes it (``2024/04/12``, ``20240412``,
    ``2021-05-17 11:05:56``, a spreadsheet date): the market's wall-clock time."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value).strip()
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, form)
        except ValueError:
            continue
    raise InputError(f"expected a date such as 2024/04/12 or 2024-04-12 10:00:00, got {value!r}", field=where)
