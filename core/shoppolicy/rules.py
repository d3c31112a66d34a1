"""What hooks return (protocols), and reusable building blocks for plugin authors.

The protocols say what the engine calls; the building blocks (:class:`RateFee`,
:class:`CreatorCommission`, :class:`DaysAfter`, :func:`trail_for`) cover the mechanics
most marketplaces share, so a plugin mostly reads values from its
:class:`~shoppolicy.policy.PolicyView` and configures these.  Each is compiled once per
policy time slice and applied to many orders, so ``apply`` does arithmetic only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import attrs

from shoppolicy.errors import InputError, PolicyGapError
from shoppolicy.model import (
    CreatorShare,
    FeeLine,
    IncentiveResult,
    OrderRecord,
    PayoutLine,
    PenaltyLine,
    TrailEntry,
    ViolationEvent,
)
from shoppolicy.money import ZERO, quantum
from shoppolicy.policy import Entry, PolicyView

PolicyLookup = Callable[[str, dt.datetime], PolicyView]
"""``lookup(market_id, at)``: the policy of a market in force at a local instant."""


@runtime_checkable
class Charge(Protocol):
    """A compiled fee (or commission) rule of one market and time slice."""

    @property
    def rule(self) -> str: ...

    def apply(self, order: OrderRecord) -> Iterable[FeeLine | CreatorShare]: ...


# --- the batch's fast path (optional) ---------------------------------------------------
#
# A charge may also offer ``fast(order)``: the same figures as ``apply`` without building
# result objects.  It returns ``None`` when the charge puts nothing on the order, a
# :data:`FastFee` or :data:`FastCreator` for its one line, and raises :class:`Decline`
# for an order it leaves to ``apply`` (several lines, a note that depends on the order).
# Errors (``InputError``, ``PolicyGapError``) are raised as ``apply`` raises them.  The
# engine uses the fast path in batches when every charge of a plan offers it, and the
# statement lines are the same either way (tested order by order).


class Decline(Exception):
    """Raised by a ``fast`` method for an order it leaves to ``apply``."""


@attrs.frozen(slots=True)
class FeeForm:
    """Everything a fee line says except its amount and base.

    Built once per compiled rate (and note), shared by every order priced with it, so a
    batch encodes it once.
    """

    code: str
    rule: str
    source: str
    rate: Decimal | None = None
    fixed: Decimal | None = None
    confidence: str | None = None
    note: str | None = None
    trail: TrailEntry | None = None

    def line(self, amount: Decimal, base: Decimal | None) -> FeeLine:
        return FeeLine(code=self.code, amount=amount, rule=self.rule, source=self.source, base=base,
                       rate=self.rate, fixed=self.fixed, confidence=self.confidence, note=self.note,
                       trail=self.trail)


@attrs.frozen(slots=True)
class CreatorForm:
    """Everything a creator share says except its figures (see :class:`FeeForm`)."""

    plan: str
    rule: str
    source: str
    trail: TrailEntry | None = None

    def share(self, rate: Decimal, commission: Decimal, take: Decimal) -> CreatorShare:
        return CreatorShare(plan=self.plan, rate=rate, commission=commission, platform_take=take,
                            creator_receives=commission - take, rule=self.rule, source=self.source,
                            trail=self.trail)


FastFee = tuple[FeeForm, Decimal, "Decimal | None"]
"""``(form, amount, base)`` of one fee line."""
FastCreator = tuple[CreatorForm, Decimal, Decimal, Decimal]
"""``(form, rate, commission, platform_take)`` of the creator's share."""


FastPayout = tuple[str, dt.date, "TrailEntry | None"]
"""``(party, date, trail)`` of one payout line."""


@runtime_checkable
class FastCharge(Charge, Protocol):
    """A charge with the batch's fast path (see above)."""

    def fast(self, order: OrderRecord) -> FastFee | FastCreator | None: ...


@runtime_checkable
class PayoutRule(Protocol):
    """A compiled settlement rule: when one party is paid for an order."""

    @property
    def rule(self) -> str: ...

    def apply(self, order: OrderRecord, creator: CreatorShare | None) -> PayoutLine | None: ...


@runtime_checkable
class FastPayoutRule(PayoutRule, Protocol):
    """A payout rule with the batch's fast path: ``fast(order, commissioned)`` gives
    the party, date and trail of what ``apply`` would return (``commissioned``: the
    order carries a creator commission), ``None`` likewise, and raises as it raises.

    A :class:`~shoppolicy.errors.PolicyGapError` may also be *returned* instead of
    raised: the same error object for every order it applies to (say, one per date) is
    then reported without the cost of raising it per order."""

    def fast(self, order: OrderRecord, commissioned: bool) -> FastPayout | PolicyGapError | None: ...


@runtime_checkable
class ViolationHandler(Protocol):
    """Assesses one shop's events of the kinds it names, in time order."""

    @property
    def kinds(self) -> Sequence[str]: ...

    def assess(self, events: Sequence[ViolationEvent], lookup: PolicyLookup) -> Sequence[PenaltyLine]: ...


@runtime_checkable
class IncentiveProgram(Protocol):
    """An incentive programme: eligibility, ranking and award for a set of records."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def record_type(self) -> type: ...

    def evaluate(self, records: Sequence[Any], lookup: PolicyLookup) -> Sequence[IncentiveResult]: ...


# --- explanation trail ------------------------------------------------------------------

_CONFIDENCE_ORDER = {None: 0, "seed": 0, "official": 1, "user": 2, "third-party": 3}


def trail_for(rule: str, what: str, entries: Sequence[Entry], **params: object) -> TrailEntry:
    """One trail entry for a figure computed from ``entries`` with ``params``.

    Sources and layers of several entries are joined; the confidence is the weakest
    of them, so a figure resting on one third-party value says so.
    """
    sources = list(dict.fromkeys(e.source for e in entries))
    layers = list(dict.fromkeys(f"{e.layer.name} [{e.market}]" for e in entries))
    confidence = max((e.confidence for e in entries), key=lambda c: _CONFIDENCE_ORDER.get(c, 0), default=None)
    return TrailEntry(rule=rule, what=what, params={k: str(v) for k, v in params.items()},
                      source="; ".join(sources), layer="; ".join(layers), confidence=confidence)


# --- fee bases (rules-catalogue.md, "Price components") -------------------------------

def base_amount(order: OrderRecord) -> Decimal:
    """The goods amount after the seller's own discount."""
    return order.amount


def base_amount_plus_shipping(order: OrderRecord) -> Decimal:
    """amount + buyer shipping (US referral fee: C + D − T; UK commission before refunds)."""
    return order.amount + order.buyer_shipping


def base_amount_plus_shipping_less_refund(order: OrderRecord) -> Decimal:
    """amount + buyer shipping − refunded (UK commission base)."""
    return max(order.amount + order.buyer_shipping - order.refunded, ZERO)


def base_customer_payment_less_refund(order: OrderRecord) -> Decimal:
    """C − R: what the buyer paid, less refunds (transaction and payment fees)."""
    return order.customer_payment - order.refunded


def base_customer_payment_plus_discount(order: OrderRecord) -> Decimal:
    """C + D: what the buyer paid plus the platform discount."""
    return order.customer_payment + order.platform_discount


BASES: Mapping[str, Callable[[OrderRecord], Decimal]] = {
    "amount": base_amount,
    "amount+shipping": base_amount_plus_shipping,
    "amount+shipping-refund": base_amount_plus_shipping_less_refund,
    "customer_payment-refund": base_customer_payment_less_refund,
    "customer_payment+discount": base_customer_payment_plus_discount,
}


def base_named(name: str, entry: Entry | None = None) -> Callable[[OrderRecord], Decimal]:
    try:
        return BASES[name]
    except KeyError:
        where = f" ({entry.path})" if entry else ""
        raise ValueError(f"unknown fee base {name!r}{where}; expected one of {', '.join(BASES)}") from None


# --- building blocks ----------------------------------------------------------------


@attrs.frozen(slots=True)
class RateFee:
    """``round(base × rate) + fixed``, optionally capped per unit, as one fee line.

    ``rates`` maps a category to its rate; ``default`` applies to categories not in the
    map (``None``: a category with no rate is a policy gap naming it).  ``gap`` says
    which policy key a missing category rate would live under.
    """

    code: str
    rule: str
    source: str
    currency: str
    market: str
    base: Callable[[OrderRecord], Decimal]
    on: dt.date
    rates: Mapping[str, Decimal] = attrs.field(factory=dict)
    default: Decimal | None = None
    fixed: Decimal = ZERO
    cap_per_unit: Decimal | None = None
    rounding: str = "ROUND_HALF_UP"
    confidence: str | None = None
    gap_key: str = ""
    gap_detail: str | None = None
    note: str | None = None
    trail: TrailEntry | None = None
    #: When given, a missing category is resolved through it, so the gap error carries
    #: the state (ended, announced) and the reason a ``[[gaps]]`` entry declares.
    policy: PolicyView | None = None

    def rate_for(self, category: str | None, on: dt.date | None = None) -> Decimal:
        if category is not None and category in self.rates:
            return self.rates[category]
        if self.default is not None:
            return self.default
        if category is None:
            raise InputError(f"{self.market} needs a category for {self.code} ({self.rule}); "
                             f"known: {', '.join(sorted(self.rates)) or 'none published'}", field="category")
        key = self.gap_key.replace("*", category)
        if self.policy is not None:
            self.policy.entry(key, self.rule, category, on=on)  # raises the gap with its declared reason
        raise PolicyGapError(market=self.market, rule=self.rule, key=key, on=on or self.on, category=category,
                             detail=self.gap_detail)

    _forms: dict[int, FeeForm] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def _price(self, order: OrderRecord) -> tuple[Decimal, Decimal, Decimal, str | None]:
        """``(rate, base, amount, note)`` of the order's fee line."""
        rate = self.rates.get(order.category) if order.category is not None else None
        if rate is None:
            rate = self.rate_for(order.category, order.placed_at.date())
        base = self.base(order)
        amount = (base * rate).quantize(quantum(self.currency), self.rounding) + self.fixed
        note = self.note
        if self.cap_per_unit is not None:
            cap = self.cap_per_unit * order.quantity
            if amount > cap:
                amount = cap
                note = f"capped at {self.cap_per_unit} × {order.quantity}"
        return rate, base, amount, note

    def fast(self, order: OrderRecord) -> FastFee:
        rate, base, amount, note = self._price(order)
        if note is not self.note:  # a note of this order's own (a cap): left to apply
            raise Decline
        form = self._forms.get(id(rate))  # by identity: 0.05 and 0.050 are equal but print apart
        if form is None or form.rate is not rate:
            form = self._forms[id(rate)] = FeeForm(code=self.code, rule=self.rule, source=self.source, rate=rate,
                                               fixed=self.fixed or None, confidence=self.confidence,
                                               note=self.note, trail=self.trail)
        return form, amount, base

    def apply(self, order: OrderRecord) -> Iterable[FeeLine]:
        rate, base, amount, note = self._price(order)
        return (FeeLine(code=self.code, amount=amount, rule=self.rule, source=self.source, base=base,
                        rate=rate, fixed=self.fixed or None, confidence=self.confidence, note=note,
                        trail=self.trail),)


@attrs.frozen(slots=True)
class CreatorCommission:
    """The creator's commission, ``amount × the order's commission rate``, paid by the
    merchant; ``platform_take`` is the share of it the platform keeps from the creator."""

    rule: str
    source: str
    currency: str
    plans: frozenset[str]
    platform_take: Decimal = ZERO
    rounding: str = "ROUND_HALF_UP"
    trail: TrailEntry | None = None

    _forms: dict[str, CreatorForm] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def fast(self, order: OrderRecord) -> FastCreator | None:
        plan = order.affiliate_plan
        if plan is None:
            return None
        if plan not in self.plans:
            raise InputError(f"expected one of {', '.join(sorted(self.plans))} for this market, got {plan!r}",
                             field="affiliate_plan")
        rate = order.commission_rate
        if rate is None:
            raise InputError(f"required when affiliate_plan is {plan!r}", field="commission_rate")
        unit = quantum(self.currency)
        commission = (order.amount * rate).quantize(unit, self.rounding)
        take = (commission * self.platform_take).quantize(unit, self.rounding)
        form = self._forms.get(plan)
        if form is None:
            form = self._forms[plan] = CreatorForm(plan=plan, rule=self.rule, source=self.source, trail=self.trail)
        return form, rate, commission, take

    def apply(self, order: OrderRecord) -> Iterable[CreatorShare]:
        priced = self.fast(order)
        if priced is None:
            return ()
        form, rate, commission, take = priced
        return (form.share(rate, commission, take),)


@attrs.frozen(slots=True)
class DaysAfter:
    """A party is paid ``days`` after the basis date (delivery, or completion)
    ``+ pay_next_day`` — e.g. after an after-sales window, paid the day after it ends."""

    party: str
    rule: str
    source: str
    days: int
    basis: str = "delivered_at"
    tier: str | None = None
    extra_days: int = 0
    only_with_creator: bool = False
    trail: TrailEntry | None = None

    def fast(self, order: OrderRecord, commissioned: bool) -> FastPayout | None:
        if self.only_with_creator and not commissioned:
            return None
        return self.party, self._basis(order) + dt.timedelta(days=self.days + self.extra_days), self.trail

    def _basis(self, order: OrderRecord) -> dt.date:
        when = getattr(order, self.basis)
        if when is None:
            raise InputError(f"required for the {self.party} payout date ({self.rule})", field=self.basis)
        return when.date()  # type: ignore[no-any-return]

    def apply(self, order: OrderRecord, creator: CreatorShare | None) -> PayoutLine | None:
        if self.only_with_creator and creator is None:
            return None
        basis = self._basis(order)
        days = self.days + self.extra_days
        return PayoutLine(party=self.party, date=basis + dt.timedelta(days=days), rule=self.rule,
                          source=self.source, tier=self.tier, basis=self.basis, basis_date=basis, days=days,
                          trail=self.trail)


def rank_within_groups(results: Sequence[IncentiveResult], top_n: int | None) -> list[IncentiveResult]:
    """Rank eligible results by score (highest first, ties by subject) within each group,
    marking the first ``top_n`` of each group as awarded."""
    ranked: dict[int, tuple[int, bool]] = {}
    groups: dict[str | None, list[int]] = {}
    for i, r in enumerate(results):
        if r.eligible and r.score is not None:
            groups.setdefault(r.group, []).append(i)
    for members in groups.values():
        members.sort(key=lambda i: (-(results[i].score or ZERO), results[i].subject))
        for place, i in enumerate(members, start=1):
            ranked[i] = (place, top_n is None or place <= top_n)
    out = []
    for i, r in enumerate(results):
        if i in ranked:
            place, awarded = ranked[i]
            out.append(attrs.evolve(r, rank=place, awarded=awarded))
        else:
            out.append(attrs.evolve(r, awarded=False) if r.awarded is None else r)
    return out
