"""Exact money: ``Decimal`` amounts with an ISO 4217 currency, rounding and splits.

What lives here: the currency table (every ISO 4217 code, read from
``data/iso4217.csv``, with the marketplaces' practice on top), :class:`Money`, rounding
and checking amounts against a currency's minor unit, and :func:`allocate`, which
splits an amount into parts that add back to it exactly.  What does not: fee formulas
(see :mod:`shoppolicy.rules`).

No float ever reaches this module's arithmetic: constructors refuse floats outright.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from importlib.resources import files
from types import MappingProxyType

import attrs


@attrs.frozen(slots=True)
class Currency:
    """One row of ISO 4217 List One.  ``minor_unit`` is ``None`` where the standard says
    "N.A." (precious metals, units of account, the test and no-currency codes)."""

    code: str
    number: str
    name: str
    minor_unit: int | None


def _read_iso4217() -> tuple[dt.date, dict[str, Currency]]:
    # The standard's list as shipped data (data/iso4217.csv, written by tools/iso4217_csv.py),
    # so a market in any ISO currency needs no change here.  Read once, at import: 178 rows.
    text = (files("shoppolicy") / "data" / "iso4217.csv").read_text(encoding="utf-8")
    published = None
    lines = []
    for line in text.splitlines():
        if line.startswith("# published: "):
            published = dt.date.fromisoformat(line.removeprefix("# published: "))
        elif not line.startswith("#"):
            lines.append(line)
    if published is None:
        raise RuntimeError("data/iso4217.csv has no '# published:' line; regenerate it with tools/iso4217_csv.py")
    table = {row["code"]: Currency(row["code"], row["number"], row["name"],
                                   int(row["minor_unit"]) if row["minor_unit"].isdigit() else None)
             for row in csv.DictReader(lines)}
    return published, table


#: The publication date of the ISO 4217 list in ``data/iso4217.csv``.
ISO4217_PUBLISHED, _ISO4217 = _read_iso4217()
#: Every code of ISO 4217 List One, as the standard gives it.
ISO4217: Mapping[str, Currency] = MappingProxyType(_ISO4217)

#: Where marketplace practice rounds differently from the standard.  rules-catalogue.md,
#: TikTok Shop: "IDR and VND have no minor unit in practice (round to whole units)";
#: ISO 4217 gives IDR 2 (VND is 0 there already, so needs no entry).
PRACTICE_MINOR_UNITS: Mapping[str, int] = MappingProxyType({"IDR": 0})

#: Minor units used for rounding and for checking amounts: every ISO 4217 currency that
#: has one, with :data:`PRACTICE_MINOR_UNITS` applied.  Codes without a minor unit (XAU,
#: XXX, ...) are not here: no order is priced in them.
MINOR_UNITS: Mapping[str, int] = MappingProxyType({
    code: PRACTICE_MINOR_UNITS.get(code, currency.minor_unit)
    for code, currency in _ISO4217.items() if currency.minor_unit is not None})

#: Rounding modes a policy value may name (``rounding = "half_up"``).
ROUNDING_MODES: dict[str, str] = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "down": ROUND_DOWN,
}
DEFAULT_ROUNDING = ROUND_HALF_UP

_QUANTUM: dict[str, Decimal] = {code: Decimal(1).scaleb(-units) for code, units in MINOR_UNITS.items()}
#: Each currency's minor unit as a ``Decimal``: :func:`quantum` without the error, for
#: checks that run once per order and handle an unknown code themselves.
QUANTA: Mapping[str, Decimal] = MappingProxyType(_QUANTUM)
ZERO = Decimal(0)


class CurrencyError(ValueError):
    """An unknown currency code, or two currencies mixed in one operation."""


def unknown_currency(code: object) -> str:
    """Why ``code`` is not a currency an amount can be in, in one line (the caller adds the field)."""
    if isinstance(code, str) and code in _ISO4217:
        return (f"{code} ({_ISO4217[code].name}) has no minor unit in ISO 4217; "
                "expected the code of a currency orders are paid in, such as USD")
    hint = ""
    if isinstance(code, str):
        import difflib  # an error path only: not worth its import on every start

        near = difflib.get_close_matches(code.upper(), MINOR_UNITS, 1)  # "usd", "EURO", "KWDD"
        hint = f" (did you mean {near[0]}?)" if near else ""
    return f"expected an ISO 4217 code such as USD, got {code!r}{hint}"


def quantum(currency: str) -> Decimal:
    """The smallest amount of ``currency`` (``Decimal('0.01')`` for USD, ``1`` for IDR)."""
    try:
        return _QUANTUM[currency]
    except KeyError:
        raise CurrencyError(f"unknown currency: {unknown_currency(currency)}") from None


def on_minor_unit(value: Decimal, currency: str) -> bool:
    """Whether ``value`` has at most ``currency``'s minor-unit decimal places.

    The places written count, as an amount is written in the currency: ``100.005`` USD
    is refused, and so is ``100.000`` (three places for a two-place currency), so an
    amount always prints as it was given.
    """
    exponent = value.as_tuple().exponent
    return not isinstance(exponent, int) or exponent >= -MINOR_UNITS[currency]


def too_precise(value: Decimal, currency: str) -> str:
    """The message for an amount off ``currency``'s minor unit (the caller names the field)."""
    places = MINOR_UNITS[currency]
    allowed = f"at most {places} decimal places" if places else "a whole number (no decimal places)"
    return f"expected {allowed} for {currency}, got {value}"


def round_money(value: Decimal, currency: str, rounding: str = DEFAULT_ROUNDING) -> Decimal:
    """Round ``value`` to the minor unit of ``currency`` (half-up unless a rule says otherwise)."""
    return value.quantize(quantum(currency), rounding)


def to_decimal(value: object, what: str = "") -> Decimal:
    """Turn a decimal string, int or Decimal into a finite ``Decimal``; refuse floats.

    Floats are refused because ``0.1`` as a float is not one tenth: a rate read from a
    float would be wrong in the last places, and money must be exact.
    """
    if type(value) is str:  # the common case (JSON and CSV give strings): no other checks needed
        try:
            result = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if result.is_finite():
                return result
    pre = f"{what}: " if what else ""
    if isinstance(value, bool):
        raise TypeError(f"{pre}expected a decimal string, got a boolean")
    if isinstance(value, float):
        raise TypeError(f"{pre}expected a decimal string such as \"0.05\", got the float {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValueError(f"{pre}expected a decimal string, got {value!r}") from None
    else:
        raise TypeError(f"{pre}expected a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{pre}expected a finite decimal, got {value!r}")
    return result


def _check_currency(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    quantum(value)


@attrs.frozen(slots=True)
class Money:
    """An exact amount in one currency.  Arithmetic refuses to mix currencies."""

    amount: Decimal = attrs.field(converter=to_decimal)
    currency: str = attrs.field(validator=_check_currency)

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def rounded(self, rounding: str = DEFAULT_ROUNDING) -> Money:
        return Money(round_money(self.amount, self.currency, rounding), self.currency)

    def _same(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise CurrencyError(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(ZERO, currency)


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` into parts that add back to it exactly.

    Each part is rounded down to the currency's minor unit, then the minor units left
    over go one each to the parts with the largest remainders (ties: earliest part), so
    no cent is created or lost.  ``total`` must already be on the minor unit.
    """
    unit = quantum(currency)
    if total != total.quantize(unit):
        raise ValueError(f"allocate: {total} is not a whole number of {currency} minor units")
    weight_sum = sum(weights, ZERO)
    if not weights or weight_sum <= 0 or any(w < 0 for w in weights):
        raise ValueError("allocate: weights must be non-negative with a positive sum")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    exact = [magnitude * w / weight_sum for w in weights]
    parts = [e.quantize(unit, ROUND_DOWN) for e in exact]
    left = int((magnitude - sum(parts, ZERO)) / unit)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += unit
    return [sign * p for p in parts]
