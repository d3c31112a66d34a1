"""Exact money: ``Decimal`` amounts with an ISO 4217 currency, rounding and splits.

What lives here: the currency table (minor units), :class:`Money`, rounding to a
currency's minor unit, and :func:`allocate`, which splits an amount into parts that add
back to it exactly. What does not: fee formulas (see :mod:`shoppolicy.mechanics`).

No float ever reaches this module's arithmetic: constructors refuse floats outright.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

import attrs

#: Minor units used for rounding.  IDR and VND have a minor unit in ISO 4217 terms but
#: none in practice on the marketplaces (rules-catalogue.md: "IDR and VND have no minor
#: unit in practice"), so both round to whole units here.
MINOR_UNITS: dict[str, int] = {
    "CNY": 2,
    "USD": 2,
    "GBP": 2,
    "EUR": 2,
    "IDR": 0,
    "MYR": 2,
    "THB": 2,
    "VND": 0,
    "PHP": 2,
    "SGD": 2,
}

#: Rounding modes a policy value may name (``rounding = "half_up"``).
ROUNDING_MODES: dict[str, str] = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "down": ROUND_DOWN,
}
DEFAULT_ROUNDING = ROUND_HALF_UP

_QUANTUM: dict[str, Decimal] = {code: Decimal(1).scaleb(-units) for code, units in MINOR_UNITS.items()}
ZERO = Decimal(0)


class CurrencyError(ValueError):
    """An unknown currency code, or two currencies mixed in one operation."""


def quantum(currency: str) -> Decimal:
    """The smallest amount of ``currency`` (``Decimal('0.01')`` for USD, ``1`` for IDR)."""
    try:
        return _QUANTUM[currency]
    except KeyError:
        raise CurrencyError(
            f"unknown currency {currency!r}; expected one of {', '.join(sorted(MINOR_UNITS))}"
        ) from None


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
