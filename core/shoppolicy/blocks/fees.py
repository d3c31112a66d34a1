"""Fee blocks: what every marketplace's platform fees are made of, priced per order.

- :class:`PercentFee` — ``round(base × rate) + fixed``, capped per unit, charged to the
  orders its :class:`Payers` name (seller and store types, order flags that exempt an
  order or that an order must have); the rate comes from a :class:`RateTable` (flat, by
  category, by store type and category, by seller type).  With base ``none`` it is a
  fixed amount per order.
- add-ons, each its own fee line computed from its parent's: :class:`TaxOnFee` (a tax
  on another fee, Indonesia's VAT on the commission) and :class:`RefundShareFee` (a
  share of the refunded part of another fee, the US refund administration fee).
- :class:`GapFee` — a fee that applies but has no published number: a
  :class:`~shoppolicy.model.Gap` on every order it applies to.

Each line is rounded half-up to the currency's minor unit on its own, so the lines add
up to the total exactly.  Blocks are built once per market and policy time slice and
priced many times: ``apply`` is Decimal arithmetic and dictionary look-ups.  Reading the
policy data into blocks is :mod:`.from_policy`'s job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

import attrs

from shoppolicy.errors import InputError, PolicyGapError
from shoppolicy.model import FeeLine, Gap, OrderRecord, TrailEntry
from shoppolicy.money import ZERO


def money(value: Decimal, unit: Decimal) -> Decimal:
    """``value`` rounded half-up to the currency's minor unit ``unit``."""
    return value.quantize(unit, ROUND_HALF_UP)


def refunded_part(order: OrderRecord, base: Decimal, unit: Decimal) -> Decimal:
    """The share of ``base`` that belongs to what was refunded: ``base × R / C``.

    **Interpretation** (documented in the policy data, ``fee.*.on_refund``): a refund is
    taken to return goods, shipping and tax in proportion to what the buyer paid, so the
    refunded share of any fee base is R / C.  A full refund (R = C) is the whole base.
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
    """A number the data does not give, found while building a block: turned into a
    :class:`~shoppolicy.model.Gap` (dated at the order) for each order that needs it."""

    market: str
    rule: str
    key: str
    state: str = "gap"
    detail: str | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    candidate: Decimal | None = None
    source: str | None = None
    until: dt.datetime | None = None

    def error(self, on: dt.date, *, key: str | None = None, category: str | None = None) -> PolicyGapError:
        """The gap, dated ``on``, as the error a rate look-up raises."""
        return PolicyGapError(market=self.market, rule=self.rule, key=key or self.key, on=on, state=self.state,
                              detail=self.detail, category=category, low=self.low, high=self.high,
                              candidate=self.candidate, source=self.source, until=self.until)

    def gap(self, figure: str, on: dt.date, *, key: str | None = None, category: str | None = None) -> Gap:
        """The gap of ``figure`` on an order dated ``on``."""
        return Gap(figure=figure, rule=self.rule, market=self.market, key=key or self.key, on=on, state=self.state,
                   category=category, detail=self.detail, low=self.low, high=self.high, candidate=self.candidate,
                   source=self.source, until=self.until)

    @classmethod
    def of(cls, gap: PolicyGapError) -> GapSpec:
        return cls(market=gap.market, rule=gap.rule, key=gap.key, state=gap.state, detail=gap.detail,
                   low=gap.low, high=gap.high, candidate=gap.candidate, source=gap.source, until=gap.until)


@attrs.frozen(slots=True)
class RateSlot:
    """Where one order's rate of a fee lives in the policy data, and what it multiplies:
    what ``learn-rates`` needs to turn a charged fee back into a rate.

    ``key`` is the full policy key a value would be written at (``<field>`` placeholders
    where the order lacks a field the key is made of: ``fillable`` is then false);
    ``base`` the amount the rate multiplies on this order (less its refunded share where
    the fee returns it); the fee is ``round_half_up(base × rate) + fixed``, at most
    ``cap`` when there is one.  ``placed_at`` is the order's local time; ``published``
    the rate the policy data gives the order now (``None``: a gap), which tells apart
    the periods a statement's rates are learned for.
    """

    market: str
    code: str
    rule: str
    key: str
    base: Decimal
    fixed: Decimal
    unit: Decimal
    placed_at: dt.datetime
    cap: Decimal | None = None
    published: Decimal | None = None

    @property
    def fillable(self) -> bool:
        return "<" not in self.key


@attrs.frozen(slots=True)
class Payers:
    """Which orders pay a fee: those of the seller types and store types it names (``None``:
    any), that have every flag of ``charged_if`` and none of ``exempt_if`` (order fields
    such as ``pre_order``, or derived flags such as ``refunded_before_delivery``).

    A fee charged to some store types only, on an order that gives no ``store_type``,
    is the gap ``store_gap``: whether the order pays cannot be told, so it is named,
    never taken as "no".  (An order with no ``seller_type`` is not of a seller type a
    fee names: seller types are exceptions such as ``cross_border``.)
    """

    seller_types: frozenset[str] | None = None
    store_types: frozenset[str] | None = None
    exempt_if: tuple[str, ...] = ()
    charged_if: tuple[str, ...] = ()
    store_gap: GapSpec | None = None

    def pays(self, order: OrderRecord) -> bool:
        """Whether ``order`` pays the fee; raises the store-type gap when that cannot be told."""
        if self.charged_if and not all(getattr(order, flag) for flag in self.charged_if):
            return False
        if self.exempt_if and any(getattr(order, flag) for flag in self.exempt_if):
            return False
        if self.seller_types is not None and order.seller_type not in self.seller_types:
            return False
        if self.store_types is not None and order.store_type not in self.store_types:
            if order.store_type is None and self.store_gap is not None:
                raise self.store_gap.error(order.placed_at.date(), category=order.category)
            return False
        return True

    def skip(self, order: OrderRecord, code: str) -> tuple[Gap, ...] | None:
        """``None`` when ``order`` pays fee ``code``; else what the fee shows instead:
        nothing, or the gap saying why it cannot be told."""
        try:
            return None if self.pays(order) else ()
        except PolicyGapError as gap:
            return (Gap.from_error(code, gap),)


class AddOn(Protocol):
    """A fee line computed from another fee's line (a tax on it, a share of its refund)."""

    @property
    def code(self) -> str: ...

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

    Look-up order: a rate (or the gap) for an order flag the order has (``new_shop``
    pays 0% in Thailand and the Philippines; ``tax_registered_org`` is a gap in
    Vietnam); a rate for the order's ``seller_type``; the rate of the order's key
    (``keyed_by`` fields joined with dots, e.g. ``beauty`` or ``marketplace.gold_jewellery``);
    the flat ``default``.  Otherwise a policy gap: for the missing key when rates are
    published per key (``per_key_gap`` is the ``[[gaps]]`` entry in force), else for the
    flat rate (``flat_gap``).  ``refused`` holds keys whose supplied rate the data itself
    refuses (outside a published range): orders of those keys fail with the message.
    """

    market: str
    code: str
    prefix: str
    keyed_by: tuple[str, ...]
    rates: Mapping[str, RateChoice]
    default: RateChoice | None
    flat_gap: GapSpec
    seller_rates: Mapping[str, RateChoice] = attrs.field(factory=dict)
    store_types: frozenset[str] | None = None
    per_key_gap: GapSpec | None = None
    refused: Mapping[str, Exception] = attrs.field(factory=dict)
    #: Per-key gaps with their own range or candidate (``[[gaps]]`` for one key).
    key_gaps: Mapping[str, GapSpec] = attrs.field(factory=dict)
    #: Rates and gaps of orders that have an order flag, whatever their key, in order.
    flag_rates: tuple[tuple[str, RateChoice | GapSpec], ...] = ()

    def key_of(self, order: OrderRecord) -> str:
        """The policy key at which a rate for ``order`` would be chosen first: its seller
        type's rate where one exists, else the rate of its key; the flat ``rate`` for an
        order without the key's fields when the fee publishes no rate per key."""
        if order.seller_type is not None and order.seller_type in self.seller_rates:
            return f"{self.prefix}seller_rate.{order.seller_type}"
        values = [getattr(order, field) for field in self.keyed_by]
        if None in values and not self.rates and self.per_key_gap is None and not self.key_gaps:
            return f"{self.prefix}rate"
        return self.prefix + "rate." + ".".join(
            value if value is not None else f"<{field}>" for value, field in zip(values, self.keyed_by, strict=True))

    def choose(self, order: OrderRecord) -> RateChoice:
        """The order's rate; raises the policy gap (or the input error) saying why not."""
        for flag, flagged in self.flag_rates:
            if getattr(order, flag):
                if type(flagged) is GapSpec:
                    raise flagged.error(order.placed_at.date(), key=f"{self.prefix}flag_rate.{flag}",
                                        category=order.category)
                return flagged  # type: ignore[return-value]
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
        for field in keyed_by:
            value = getattr(order, field)
            if value is None:
                if self.rates:  # the rate depends on an input the order lacks: a gap naming it
                    other = "; any other key pays the flat rate" if self.default is not None else ""
                    placeholder = ".".join(f"<{f}>" for f in keyed_by)
                    # Every key either has a rate or pays the flat one: the rate lies among them.
                    known = [c.rate for c in self.rates.values()] + [self.default.rate] if self.default else []
                    raise PolicyGapError(
                        market=self.market, rule=self.flat_gap.rule, key=f"{self.prefix}rate.{placeholder}",
                        on=order.placed_at.date(), category=order.category,
                        low=min(known) if known else None, high=max(known) if known else None,
                        detail=f"the order gives no {field}: {self.code} is charged by {' and '.join(keyed_by)}; "
                               f"keys with a published rate: {', '.join(sorted(self.rates))}{other}; give the "
                               f"order's {field} (or supply the rate of its key)")
                if self.per_key_gap is not None:  # no rate published for any key: the gap, and its key
                    placeholder = ".".join(f"<{f}>" for f in keyed_by)
                    raise self.per_key_gap.error(order.placed_at.date(), key=f"{self.prefix}rate.{placeholder}")
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
            refused = self.refused.get(key)
            if refused is not None:
                raise refused
        if self.default is not None:
            return self.default
        on = order.placed_at.date()
        if key is not None:
            gap = self.key_gaps.get(key) or self.per_key_gap or (self.flat_gap if self.rates else None)
            if gap is not None:  # the key's own state, the family's declared gap, or no rate for this key
                raise gap.error(on, key=f"{self.prefix}rate.{key}", category=order.category)
        raise self.flat_gap.error(on, category=order.category)


@attrs.frozen(slots=True)
class PercentFee:
    """``round(base × rate) + fixed`` as one fee line, capped at ``cap_per_unit`` × quantity.

    ``returns_refunded_share``: the part of the fee on the refunded share of the base is
    returned to the seller (SEA commissions, the US referral fee); otherwise refunds
    change the fee only through its base (UK ``amount+shipping-refund``, the C − R of
    transaction fees) or not at all (Thailand's Commerce Growth Fee).  ``payers``
    restricts who pays it (``None``: every order).  ``table`` is ``None`` for a fee with
    no percentage part.  ``range_caps`` are the per-unit caps of the low and the high end
    of a missing rate's published range, where the sources of the two ends give
    different caps (otherwise ``cap_per_unit`` caps both bounds).
    """

    code: str
    rule: str
    source: str
    market: str
    unit: Decimal
    base: Callable[[OrderRecord], Decimal]
    table: RateTable | None
    fixed: Decimal = ZERO
    fixed_trail: TrailEntry | None = None
    cap_per_unit: Decimal | None = None
    returns_refunded_share: bool = False
    payers: Payers | None = None
    label: str | None = None
    #: The add-ons computed from this fee (a tax on it, a share of it on refund), as they
    #: apply to a rate that excludes tax: each is a gap too while the fee's rate is one.
    gap_addons: tuple[AddOn, ...] = ()
    range_caps: tuple[Decimal | None, Decimal | None] | None = None

    def apply(self, order: OrderRecord) -> tuple[FeeLine | Gap, ...]:
        if self.payers is not None:
            skipped = self.payers.skip(order, self.code)
            if skipped is not None:
                return skipped
        table = self.table
        if table is None:
            return (self._fixed_line(order),)
        try:
            choice = table.choose(order)
        except PolicyGapError as gap:
            return self._gaps(order, gap)
        base, refunded, amount, capped = self._figures(order, choice.rate, self.cap_per_unit)
        returned = bool(refunded) and self.returns_refunded_share
        note = choice.note if self.label is None else "; ".join(n for n in (self.label, choice.note) if n)
        trail = choice.trail
        form: RateChoice | None = choice  # lines of one rate and note share their form
        if returned or capped:  # a note of this order's own: its line is encoded in full
            own = [f"the fee on the refunded share of the base ({refunded}) is returned"] if returned else []
            if capped:
                own.append(f"capped at {self.cap_per_unit} × {order.quantity} unit(s)")
            note, form = "; ".join(filter(None, (note, *own))), None
            if returned:
                trail = choice.trail_refund
        line = FeeLine(self.code, amount, choice.rule, choice.source, base, choice.rate, self.fixed or None,
                       trail.confidence, note, trail, form)
        if not choice.addons:
            return (line,)
        extra = (addon.apply(order, line, choice.rate, refunded) for addon in choice.addons)
        return (line, *(x for x in extra if x is not None))

    def charged_base(self, order: OrderRecord) -> tuple[Decimal, Decimal]:
        """``(what the rate multiplies on order, the refunded share of the base)``: the
        base, less its refunded share where the fee returns it."""
        base = self.base(order)
        refunded = refunded_part(order, base, self.unit) if order.refunded else ZERO
        return (base - refunded if refunded and self.returns_refunded_share else base), refunded

    def rate_slot(self, order: OrderRecord) -> RateSlot | None:
        """Where ``order``'s rate lives and what it multiplies; ``None`` when the fee does
        not apply to the order or has no rate (a fixed amount)."""
        if self.table is None:
            return None
        try:
            if self.payers is not None and not self.payers.pays(order):
                return None
        except PolicyGapError:  # whether the order pays at all cannot be told
            return None
        cap = self.cap_per_unit * order.quantity if self.cap_per_unit is not None else None
        try:
            published: Decimal | None = self.table.choose(order).rate
        except PolicyGapError:
            published = None
        return RateSlot(market=self.market, code=self.code, rule=self.rule, key=self.table.key_of(order),
                        base=self.charged_base(order)[0], fixed=self.fixed, unit=self.unit,
                        placed_at=order.placed_at, cap=cap, published=published)

    def _fixed_line(self, order: OrderRecord) -> FeeLine:
        trail = self.fixed_trail
        return FeeLine(code=self.code, amount=self.fixed, rule=self.rule, source=self.source, base=None,
                       rate=None, fixed=self.fixed, confidence=trail.confidence if trail else None,
                       note=self.label, trail=trail, form=self)

    def _figures(self, order: OrderRecord, rate: Decimal,
                 cap: Decimal | None) -> tuple[Decimal, Decimal, Decimal, bool]:
        """``(base, refunded share of it, amount, capped)`` of the fee at ``rate``, capped
        at ``cap`` per unit (the fee's own cap, or one end of a range's)."""
        base, refunded = self.charged_base(order)
        amount = money(base * rate, self.unit) + self.fixed
        if cap is not None and amount > cap * order.quantity:
            return base, refunded, cap * order.quantity, True
        return base, refunded, amount, False

    def _gaps(self, order: OrderRecord, gap: PolicyGapError) -> tuple[Gap, ...]:
        """The fee's gap on this order, with its bounds where the missing rate has a range,
        and a gap for each add-on computed from it (a tax on it: its bounds follow)."""
        if gap.low is None or gap.high is None:
            return (Gap.from_error(self.code, gap), *(Gap.from_error(a.code, gap) for a in self.gap_addons))
        caps = self.range_caps or (self.cap_per_unit, self.cap_per_unit)
        ends = sorted(((rate, *self._figures(order, rate, cap)) for rate, cap in zip((gap.low, gap.high), caps,
                                                                                     strict=True)),
                      key=lambda end: end[3])  # by amount: each end's own cap may reorder them
        gaps = [Gap.from_error(self.code, gap, low_amount=ends[0][3], high_amount=ends[1][3])]
        for addon in self.gap_addons:
            lines = [addon.apply(order, FeeLine(self.code, amount, gap.rule, "", base, rate), rate, refunded)
                     for rate, base, refunded, amount, _ in ends]
            low, high = (line.amount if line is not None else ZERO for line in lines)
            gaps.append(Gap.from_error(addon.code, gap, low_amount=low, high_amount=high))
        return tuple(gaps)


@attrs.frozen(slots=True)
class TaxOnFee:
    """A tax added on top of a fee whose rate excludes it (TT-FEE-10, Indonesia):
    ``round(fee × numerator × rate / denominator)`` — 12% on 11/12 of the commission."""

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
                       note=f"tax {self.rate} on {self.numerator}/{self.denominator} of the {line.code}, "
                            "added on top (the rate excludes tax)", trail=self.trail)


@attrs.frozen(slots=True)
class RefundShareFee:
    """A share of another fee on refund (TT-FEE-2, the US refund administration fee):
    ``share`` of that fee on the refunded part, at most ``cap`` per SKU (one order
    record is one SKU line)."""

    code: str
    rule: str
    source: str
    share: Decimal
    cap: Decimal
    unit: Decimal
    trail: TrailEntry
    #: Order flags that exempt an order's refund (TT-FEE-2: creator samples, refunds
    #: before shipping that meet the auto-cancel criteria).
    exempt_if: tuple[str, ...] = ()

    def apply(self, order: OrderRecord, line: FeeLine, rate: Decimal, refunded_base: Decimal) -> FeeLine | None:
        if not refunded_base:
            return None
        if self.exempt_if and any(getattr(order, flag) for flag in self.exempt_if):
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
    """A fee that applies but has no published number now: a gap, dated at the order,
    on every order it applies to."""

    code: str
    rule: str
    gap: GapSpec
    payers: Payers | None = None

    def apply(self, order: OrderRecord) -> tuple[Gap, ...]:
        if self.payers is not None:
            skipped = self.payers.skip(order, self.code)
            if skipped is not None:
                return skipped
        return (self.gap.gap(self.code, order.placed_at.date(), category=order.category),)
