"""Compiled TikTok Shop platform fees (TT-FEE-*): what fees.py builds, applied per order.

Everything here is built once per market and policy time slice from the policy data
(see fees.py for the keys) and applied to many orders, so ``apply`` does Decimal
arithmetic and dictionary look-ups only.  Each fee line is rounded half-up to the
currency's minor unit on its own, so the lines add up to the total fee exactly.

- :class:`PercentFee` — ``round(base × rate) + fixed``, capped per unit where a cap is
  published, restricted to seller types where the data says so; the rate comes from a
  :class:`RateTable` (flat, per category, per store type and category, per seller type).
- add-ons bound to one rate: :class:`VatOnFee` (Indonesia's VAT on the commission) and
  :class:`RefundAdminFee` (the US refund administration fee); each is its own fee line.
- :class:`GapFee` — a fee whose number no source gives: the policy gap is raised only
  for the orders that would carry the fee.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

import attrs

from shoppolicy import FeeLine, InputError, OrderRecord, PolicyGapError, TrailEntry
from shoppolicy.money import ZERO
from shoppolicy.rules import Decline, FastFee, FeeForm


def money(value: Decimal, unit: Decimal) -> Decimal:
    """``value`` rounded half-up to the currency's minor unit ``unit``."""
    return value.quantize(unit, ROUND_HALF_UP)


def refunded_part(order: OrderRecord, base: Decimal, unit: Decimal) -> Decimal:
    """The share of ``base`` that belongs to what was refunded: ``base × R / C``.

    **Interpretation** (documented in the policy data, ``fee.*.on_refund``): a refund is
    taken to return goods, shipping and tax in proportion to what the buyer paid, so
    the refunded share of any fee base is R / C.  A full refund (R = C) is the whole base.
    """
    refunded = order.refunded
    if not refunded:
        return ZERO
    paid = order.customer_payment
    if paid <= 0:  # nothing paid, nothing refunded (the model keeps R <= C)
        return ZERO
    return min(money(base * refunded / paid, unit), base)


@attrs.frozen(slots=True)
class GapSpec:
    """A policy gap found while compiling, raised (dated at the order) when needed."""

    market: str
    rule: str
    key: str
    state: str = "gap"
    detail: str | None = None

    def error(self, on: dt.date, *, key: str | None = None, category: str | None = None) -> PolicyGapError:
        return PolicyGapError(market=self.market, rule=self.rule, key=key or self.key, on=on, state=self.state,
                              detail=self.detail, category=category)

    @classmethod
    def of(cls, gap: PolicyGapError) -> GapSpec:
        return cls(market=gap.market, rule=gap.rule, key=gap.key, state=gap.state, detail=gap.detail)


class AddOn(Protocol):
    """A fee line computed from another fee's line (VAT on it, a share of its refund)."""

    def apply(self, order: OrderRecord, line: FeeLine, rate: Decimal, refunded_base: Decimal) -> FeeLine | None: ...


@attrs.frozen(slots=True)
class RateChoice:
    """One published rate and everything a fee line built on it says about itself."""

    rate: Decimal
    rule: str
    source: str
    trail: TrailEntry
    #: The trail when the order has a refund that returns part of the fee (the entry
    #: saying so is then one of the figure's inputs, with its own confidence).
    trail_refund: TrailEntry
    tax_included: bool = False
    note: str | None = None
    addons: tuple[AddOn, ...] = ()


@attrs.frozen(slots=True)
class RateTable:
    """Where a fee's rate comes from for one order.

    Look-up order: a rate for the order's ``seller_type``; the rate of the order's key
    (``keyed_by`` fields joined with dots, e.g. ``beauty`` or ``marketplace.gold_jewellery``);
    the flat ``default``.  Otherwise a policy gap: for the missing key when rates are
    published per key (``per_key_gap`` is the ``[[gaps]]`` entry in force), else for the
    flat rate (``flat_gap``).
    """

    market: str
    code: str
    keyed_by: tuple[str, ...]
    rates: Mapping[str, RateChoice]
    default: RateChoice | None
    flat_gap: GapSpec
    seller_rates: Mapping[str, RateChoice] = attrs.field(factory=dict)
    store_types: frozenset[str] | None = None
    per_key_gap: GapSpec | None = None

    def choose(self, order: OrderRecord) -> RateChoice:
        if order.seller_type is not None and self.seller_rates:
            found = self.seller_rates.get(order.seller_type)
            if found is not None:
                return found
        keyed_by = self.keyed_by
        if len(keyed_by) == 1 and keyed_by[0] != "store_type":  # the common case, e.g. by category
            value = getattr(order, keyed_by[0])
            found = self.rates.get(value) if value is not None else None
            if found is not None:
                return found
        parts: list[str] = []
        missing = False
        for field in self.keyed_by:
            value = getattr(order, field)
            if value is None:
                if self.rates:  # the rate depends on the field
                    other = "; any other key pays the flat rate" if self.default is not None else ""
                    raise InputError(f"{self.market} charges {self.code} by {' and '.join(self.keyed_by)}; "
                                     f"keys with a published rate: {', '.join(sorted(self.rates))}{other}",
                                     field=field)
                if self.per_key_gap is not None:  # no rate published for any key: the gap, and its key
                    placeholder = ".".join(f"<{f}>" for f in self.keyed_by)
                    raise self.per_key_gap.error(order.placed_at.date(), key=f"fee.{self.code}.rate.{placeholder}")
                missing = True
                break
            if field == "store_type" and self.store_types is not None and value not in self.store_types:
                raise InputError(f"expected one of {', '.join(sorted(self.store_types))} for {self.code} in "
                                 f"{self.market}, got {value!r}", field="store_type")
            parts.append(value)
        key = None if missing else ".".join(parts)
        if key is not None:
            found = self.rates.get(key)
            if found is not None:
                return found
        if self.default is not None:
            return self.default
        on = order.placed_at.date()
        if key is None or (self.per_key_gap is None and not self.rates):
            raise self.flat_gap.error(on, category=order.category)
        gap = self.per_key_gap or self.flat_gap
        raise gap.error(on, key=f"fee.{self.code}.rate.{key}", category=order.category)


@attrs.frozen(slots=True)
class PercentFee:
    """``round(base × rate) + fixed`` as one fee line (TT-FEE-1, 3..12).

    ``returns_refunded_share``: the part of the fee on the refunded share of the base is
    returned to the seller (SEA commissions, the US referral fee); otherwise refunds
    change the fee only through its base (UK ``amount+shipping-refund``, the C − R of
    transaction fees) or not at all (Thailand's Commerce Growth Fee).
    """

    code: str
    rule: str
    currency: str
    unit: Decimal
    base: Callable[[OrderRecord], Decimal]
    table: RateTable
    fixed: Decimal = ZERO
    cap_per_unit: Decimal | None = None
    returns_refunded_share: bool = False
    seller_types: frozenset[str] | None = None
    label: str | None = None

    _forms: dict[int, tuple[RateChoice, FeeForm]] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def fast(self, order: OrderRecord) -> FastFee | None:
        """``apply`` for the plain case (no refund, no cap reached, no add-on fee)."""
        if self.seller_types is not None and order.seller_type not in self.seller_types:
            return None
        choice = self.table.choose(order)
        if order.refunded or choice.addons:
            raise Decline
        base = self.base(order)
        amount = self._amount(base, choice.rate)
        if self.cap_per_unit is not None and amount > self.cap_per_unit * order.quantity:
            raise Decline
        found = self._forms.get(id(choice))
        if found is None or found[0] is not choice:
            note = "; ".join(n for n in (self.label, choice.note) if n) or None
            found = self._forms[id(choice)] = (choice, FeeForm(
                code=self.code, rule=choice.rule, source=choice.source, rate=choice.rate, fixed=self.fixed or None,
                confidence=choice.trail.confidence, note=note, trail=choice.trail))
        return found[1], amount, base

    def _amount(self, base: Decimal, rate: Decimal) -> Decimal:
        """The fee on ``base`` at ``rate``: rounded to the minor unit, plus the fixed part."""
        return money(base * rate, self.unit) + self.fixed

    def apply(self, order: OrderRecord) -> tuple[FeeLine, ...]:
        if self.seller_types is not None and order.seller_type not in self.seller_types:
            return ()
        choice = self.table.choose(order)
        full = self.base(order)
        refunded = refunded_part(order, full, self.unit) if order.refunded else ZERO
        base = full - refunded if self.returns_refunded_share else full
        amount = self._amount(base, choice.rate)
        notes = [n for n in (self.label, choice.note) if n] if self.label or choice.note else []
        if refunded and self.returns_refunded_share:
            notes.append(f"the fee on the refunded share of the base ({refunded}) is returned")
        if self.cap_per_unit is not None:
            cap = self.cap_per_unit * order.quantity
            if amount > cap:
                amount = cap
                notes.append(f"capped at {self.cap_per_unit} × {order.quantity} unit(s)")
        trail = choice.trail_refund if refunded and self.returns_refunded_share else choice.trail
        line = FeeLine(code=self.code, amount=amount, rule=choice.rule, source=choice.source, base=base,
                       rate=choice.rate, fixed=self.fixed or None, confidence=trail.confidence,
                       note="; ".join(notes) or None, trail=trail)
        if not choice.addons:
            return (line,)
        extra = (addon.apply(order, line, choice.rate, refunded) for addon in choice.addons)
        return (line, *(x for x in extra if x is not None))


@attrs.frozen(slots=True)
class VatOnFee:
    """VAT added on top of a fee whose rate excludes tax (TT-FEE-10, Indonesia):
    ``round(fee × numerator × vat_rate / denominator)`` — 12% on 11/12 of the commission."""

    code: str
    rule: str
    source: str
    rate: Decimal
    numerator: Decimal
    denominator: Decimal
    unit: Decimal
    trail: TrailEntry

    def apply(self, order: OrderRecord, line: FeeLine, rate: Decimal, refunded_base: Decimal) -> FeeLine | None:
        # Multiply first, divide last: 2,000 × 11 × 0.12 / 12 is exactly 220.
        amount = money(line.amount * self.numerator * self.rate / self.denominator, self.unit)
        return FeeLine(code=self.code, amount=amount, rule=self.rule, source=self.source, base=line.amount,
                       rate=self.rate, confidence=self.trail.confidence,
                       note=f"VAT {self.rate} on {self.numerator}/{self.denominator} of the {line.code}, "
                            "added on top (the rate excludes tax)", trail=self.trail)


@attrs.frozen(slots=True)
class RefundAdminFee:
    """The US refund administration fee (TT-FEE-2): ``share`` of the referral fee of the
    refunded item, at most ``cap`` per SKU (one order record is one SKU line)."""

    code: str
    rule: str
    source: str
    share: Decimal
    cap: Decimal
    unit: Decimal
    trail: TrailEntry

    def apply(self, order: OrderRecord, line: FeeLine, rate: Decimal, refunded_base: Decimal) -> FeeLine | None:
        if not refunded_base:
            return None
        refunded_fee = money(refunded_base * rate, self.unit)
        amount = money(refunded_fee * self.share, self.unit)
        note = f"{self.share} × the {line.code} of the refunded share ({refunded_base} × {rate} = {refunded_fee})"
        if amount > self.cap:
            amount = self.cap
            note += f"; capped at {self.cap} per SKU"
        return FeeLine(code=self.code, amount=amount, rule=self.rule, source=self.source, base=refunded_fee,
                       rate=self.share, confidence=self.trail.confidence, note=note, trail=self.trail)


@attrs.frozen(slots=True)
class GapFee:
    """A fee that applies but has no published number now: every order it applies to
    gets the policy gap, dated at the order's own date."""

    code: str
    rule: str
    gap: GapSpec
    seller_types: frozenset[str] | None = None

    def fast(self, order: OrderRecord) -> None:
        self.apply(order)  # raises the gap for every order the fee applies to

    def apply(self, order: OrderRecord) -> tuple[FeeLine, ...]:
        if self.seller_types is not None and order.seller_type not in self.seller_types:
            return ()
        raise self.gap.error(order.placed_at.date())  # the whole fee is missing, whatever the category
