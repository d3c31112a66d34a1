"""Example Mall's mechanics: what its policy values mean.

The fees, the creator commission and the payout are the core's building blocks
(:mod:`shoppolicy.blocks`) composed from the policy data: no arithmetic of the plugin's
own.  The violation handler and the incentive programme are written out, to show the
protocols a plugin implements where no block fits.  Every number comes from the policy
data (EXAMPLE DATA): none is written here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import attrs

from shoppolicy import IncentiveResult, Market, PenaltyLine, ViolationEvent
from shoppolicy.blocks import from_policy
from shoppolicy.blocks.keys import KeySpec, fee_keys
from shoppolicy.money import ZERO
from shoppolicy.policy import PolicyView
from shoppolicy.rules import Charge, PayoutRule, PolicyLookup, rank_within_groups
from shoppolicy.trail import trail_for

MARKET = Market(id="example-mall", name="Example Mall (fictional, example data)", currency="EUR",
                timezone="Europe/Amsterdam", region="EU")

KEYS: list[KeySpec] = [
    *fee_keys("commission.", "EXAMPLE-FEE-1"),
    *fee_keys("order_fee.", "EXAMPLE-FEE-2"),
    KeySpec("creator.plans", "names", "EXAMPLE-AFF-1", "the affiliate plans that carry a commission"),
    KeySpec("creator.platform_take", "rate", "EXAMPLE-AFF-1", "the platform's share of the commission"),
    KeySpec("payout.days", "days", "EXAMPLE-PAY-1", "days after delivery"),
    KeySpec("late_dispatch.deduction", "money", "EXAMPLE-VIO-1", "deduction per late order"),
    KeySpec("late_dispatch.daily_cap", "money", "EXAMPLE-VIO-1", "deductions per shop and day"),
    KeySpec("rising_sellers.min_orders", "count", "EXAMPLE-INC-1", "orders a month to qualify"),
    KeySpec("rising_sellers.min_rating", "decimal", "EXAMPLE-INC-1", "rating to qualify"),
    KeySpec("rising_sellers.top_n", "count", "EXAMPLE-INC-1", "shops awarded each month"),
]


# --- fees (EXAMPLE-FEE-1, EXAMPLE-FEE-2, EXAMPLE-AFF-1) -----------------------------------


def fee_charges(market: Market, policy: PolicyView) -> list[Charge]:
    """The fee schedule of one policy time slice (called once per slice): a commission
    by category, a fixed fee per order, and the creator commission."""
    return [
        from_policy.fee(market, policy, code="commission", prefix="commission.", rule="EXAMPLE-FEE-1"),
        from_policy.fee(market, policy, code="order_fee", prefix="order_fee.", rule="EXAMPLE-FEE-2"),
        from_policy.creator_commission(market, policy, plans_key="creator.plans", take_key="creator.platform_take",
                                       rule="EXAMPLE-AFF-1"),
    ]


# --- payout (EXAMPLE-PAY-1) ---------------------------------------------------------------


def payout_rules(market: Market, policy: PolicyView) -> list[PayoutRule]:
    """The merchant is paid ``payout.days`` after delivery (the period in force then)."""
    return [from_policy.payout_table(market, policy, party="merchant", prefix="payout.days", suffix="", keyed_by=(),
                                     rule="EXAMPLE-PAY-1", basis="delivered_at", what="merchant payout")]


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
