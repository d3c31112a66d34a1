"""Example Mall's mechanics: what its policy values mean.

The fee schedule and payout rule reuse the core's building blocks
(:class:`~shoppolicy.rules.RateFee`, :class:`~shoppolicy.rules.CreatorCommission`,
:class:`~shoppolicy.rules.DaysAfter`); the per-order fee, the violation handler and the
incentive programme are written out, to show the protocols a plugin implements.
Every number comes from the policy data (EXAMPLE DATA): none is written here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from shoppolicy import FeeLine, IncentiveResult, Market, OrderRecord, PenaltyLine, TrailEntry, ViolationEvent
from shoppolicy.money import ZERO
from shoppolicy.policy import PolicyView
from shoppolicy.rules import (
    Charge,
    CreatorCommission,
    DaysAfter,
    PayoutRule,
    PolicyLookup,
    RateFee,
    base_named,
    rank_within_groups,
    trail_for,
)

MARKET = Market(id="example-mall", name="Example Mall (fictional, example data)", currency="EUR",
                timezone="Europe/Amsterdam", region="EU")


# --- fees (EXAMPLE-FEE-1, EXAMPLE-FEE-2, EXAMPLE-AFF-1) -----------------------------------


@attrs.frozen(slots=True)
class OrderFee:
    """A fixed amount per order: the smallest possible :class:`~shoppolicy.rules.Charge`."""

    rule: str
    amount: Decimal
    source: str
    confidence: str | None
    trail: TrailEntry

    def apply(self, order: OrderRecord) -> Iterable[FeeLine]:
        return (FeeLine(code="order_fee", amount=self.amount, rule=self.rule, source=self.source,
                        fixed=self.amount, confidence=self.confidence, trail=self.trail),)


def fee_charges(market: Market, policy: PolicyView) -> list[Charge]:
    """Compile the fee schedule of one policy time slice (called once per slice)."""
    currency = market.currency or ""
    table = list(policy.with_prefix("commission.rate."))
    base = policy.entry("commission.base", "EXAMPLE-FEE-1")
    commission = RateFee(
        code="commission", rule="EXAMPLE-FEE-1", source="EXAMPLE-FEE-1", currency=currency, market=market.id,
        base=base_named(base.value, base), on=policy.at.date(),
        rates={key.removeprefix("commission.rate."): Decimal(e.value) for key, e in table},
        gap_key="commission.rate.*", confidence="user", policy=policy,
        trail=trail_for("EXAMPLE-FEE-1", "commission", [base, *(e for _, e in table)], base=base.value))
    fee = policy.entry("order_fee.amount", "EXAMPLE-FEE-2")
    order_fee = OrderFee(rule="EXAMPLE-FEE-2", amount=policy.decimal("order_fee.amount", "EXAMPLE-FEE-2"),
                         source=fee.source, confidence=fee.confidence,
                         trail=trail_for("EXAMPLE-FEE-2", "order fee", [fee], amount=fee.value))
    plans = policy.entry("creator.plans", "EXAMPLE-AFF-1")
    take = policy.entry("creator.platform_take", "EXAMPLE-AFF-1")
    creator = CreatorCommission(
        rule="EXAMPLE-AFF-1", source="EXAMPLE-AFF-1", currency=currency, plans=frozenset(plans.value),
        platform_take=policy.decimal("creator.platform_take", "EXAMPLE-AFF-1"),
        trail=trail_for("EXAMPLE-AFF-1", "creator commission", [plans, take], platform_take=take.value))
    return [commission, order_fee, creator]


# --- payout (EXAMPLE-PAY-1) ---------------------------------------------------------------


def payout_rules(market: Market, policy: PolicyView) -> list[PayoutRule]:
    """The merchant is paid ``payout.days`` after delivery (the period in force then)."""
    days = policy.entry("payout.days", "EXAMPLE-PAY-1")
    return [DaysAfter(party="merchant", rule="EXAMPLE-PAY-1", source=days.source,
                      days=policy.integer("payout.days", "EXAMPLE-PAY-1"),
                      trail=trail_for("EXAMPLE-PAY-1", "merchant payout", [days], days=days.value))]


# --- violations (EXAMPLE-VIO-1) -----------------------------------------------------------


@attrs.frozen(slots=True)
class LateDispatch:
    """A fixed deduction per late order, capped per shop and calendar day.

    The engine hands over one shop's events in time order, with local times, so the
    calendar day is the market's own.  The policy is looked up at each event: a value
    that changes mid-month applies from its date.
    """

    kinds: Sequence[str] = ("late_dispatch",)

    def assess(self, events: Sequence[ViolationEvent], lookup: PolicyLookup) -> list[PenaltyLine]:
        charged: dict[dt.date, Decimal] = {}
        lines = []
        for event in events:
            policy = lookup(event.market, event.at)
            each = policy.entry("late_dispatch.deduction", "EXAMPLE-VIO-1")
            cap = policy.entry("late_dispatch.daily_cap", "EXAMPLE-VIO-1")
            deduction = policy.decimal("late_dispatch.deduction", "EXAMPLE-VIO-1")
            left = policy.decimal("late_dispatch.daily_cap", "EXAMPLE-VIO-1") - charged.get(event.at.date(), ZERO)
            capped = min(deduction, max(left, ZERO))
            charged[event.at.date()] = charged.get(event.at.date(), ZERO) + capped
            lines.append(PenaltyLine(
                shop_id=event.shop_id, market=event.market, kind=event.kind, at=event.at, deduction=capped,
                rule="EXAMPLE-VIO-1", source=each.source, order_id=event.order_id,
                uncapped=deduction if capped != deduction else None,
                note=f"daily cap {cap.value} reached" if capped != deduction else None,
                trail=trail_for("EXAMPLE-VIO-1", "late dispatch deduction", [each, cap],
                                deduction=each.value, daily_cap=cap.value)))
        return lines


# --- incentives (EXAMPLE-INC-1) -----------------------------------------------------------


@attrs.frozen(slots=True)
class SellerMonth:
    """One shop's month, the input record of Rising Sellers (one JSON object or CSV row)."""

    shop_id: str
    market: str
    month: dt.date
    orders: int
    rating: Decimal
    gmv: Decimal


@attrs.frozen(slots=True)
class RisingSellers:
    """Eligible shops (enough orders, a high enough rating) ranked by GMV, per month."""

    id: str = "example-mall-rising-sellers"
    name: str = "Example Mall Rising Sellers (example data)"
    record_type: type = SellerMonth

    def evaluate(self, records: Sequence[SellerMonth], lookup: PolicyLookup) -> list[IncentiveResult]:
        months: dict[dt.date, list[IncentiveResult]] = {}
        top_n: dict[dt.date, int] = {}
        for r in records:
            month = r.month.replace(day=1)
            policy = lookup(r.market, dt.datetime.combine(month, dt.time()))
            min_orders = policy.integer("rising_sellers.min_orders", "EXAMPLE-INC-1")
            min_rating = policy.decimal("rising_sellers.min_rating", "EXAMPLE-INC-1")
            top_n[month] = policy.integer("rising_sellers.top_n", "EXAMPLE-INC-1")
            reasons = []
            if r.orders < min_orders:
                reasons.append(f"orders: {r.orders} is below {min_orders}")
            if r.rating < min_rating:
                reasons.append(f"rating: {r.rating} is below {min_rating}")
            months.setdefault(month, []).append(IncentiveResult(
                program=self.id, subject=r.shop_id, market=r.market, eligible=not reasons, reasons=tuple(reasons),
                score=r.gmv, group=month.strftime("%Y-%m"),
                details={"orders": str(r.orders), "rating": str(r.rating)}))
        out = []
        for month, results in months.items():
            out.extend(rank_within_groups(results, top_n[month]))
        return out
