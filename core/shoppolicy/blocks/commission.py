"""The creator commission block: ``amount × the order's commission rate``, paid by the
merchant, with the share of it the platform keeps from the creator.

Payout dates of the commission are in :mod:`.payouts`; platform fees in :mod:`.fees`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import attrs

from shoppolicy.blocks.fees import GapSpec
from shoppolicy.errors import InputError
from shoppolicy.model import CreatorShare, Gap, OrderRecord, TrailEntry
from shoppolicy.money import ZERO


@attrs.frozen(slots=True)
class CreatorCommission:
    """The creator's commission on an order sold under one of ``plans``.

    ``plan_label`` names the plans in messages (e.g. "Selected Alliance, 精选联盟").  An
    order naming a plan the market does not know, a plan without a rate, or a rate
    without a plan is refused: a silently dropped commission would overstate ``net``.
    """

    rule: str
    source: str
    unit: Decimal
    plans: frozenset[str]
    platform_take: Decimal = ZERO
    plan_label: str | None = None
    trail: TrailEntry | None = None

    def apply(self, order: OrderRecord) -> tuple[CreatorShare, ...]:
        plan = order.affiliate_plan
        rate = order.commission_rate
        if plan is None:
            if rate is not None:
                raise InputError(f"commission_rate is given but no affiliate_plan: set {self._plans()} for an "
                                 f"order a creator sold, or leave commission_rate out ({self.rule})",
                                 field="affiliate_plan")
            return ()
        if plan not in self.plans:
            raise InputError(f"expected {self._plans()} for this market ({self.rule}), got {plan!r}; leave it "
                             "out for an order no creator sold", field="affiliate_plan")
        if rate is None:
            raise InputError(f"required when affiliate_plan is {plan!r}", field="commission_rate")
        commission = (order.amount * rate).quantize(self.unit, ROUND_HALF_UP)
        take = (commission * self.platform_take).quantize(self.unit, ROUND_HALF_UP)
        return (CreatorShare(plan, rate, commission, take, commission - take, self.rule, self.source, self.trail,
                             self),)

    def _plans(self) -> str:
        names = " or ".join(repr(p) for p in sorted(self.plans))
        return f"{names} ({self.plan_label})" if self.plan_label else names


@attrs.frozen(slots=True)
class CommissionGap:
    """A creator commission whose terms (the plans, the platform's take) the data does not
    give now: a gap on orders that carry a commission, nothing on the others."""

    rule: str
    gap: GapSpec
    code: str = "creator_commission"

    def apply(self, order: OrderRecord) -> tuple[Gap, ...]:
        if order.affiliate_plan is None and order.commission_rate is None:
            return ()
        return (self.gap.gap(self.code, order.placed_at.date()),)
