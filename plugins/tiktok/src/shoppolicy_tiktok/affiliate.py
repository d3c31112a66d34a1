"""Creator (affiliate) commission — 达人佣金 — and when the creator is paid.

- TT-AFF-1 plans (联盟计划): open (公开计划), targeted (定向计划), shop (店铺计划).  An order
  names the one plan that applied to it (``affiliate_plan``); when a caller knows
  several plans cover the same creator and product, :func:`winning_plan` picks the one
  that applies from the market's precedence (policy key ``affiliate.plan_precedence``,
  targeted > open > shop by the catalogue's interpretation).
- TT-AFF-2 commission = amount × ``commission_rate``, taken from the merchant's net and
  settled directly to the creator (platform take ``affiliate.platform_take``, 0).
- TT-AFF-3 / TT-AFF-4 creator payout date (佣金结算): Indonesia and the UK pay the day
  after the after-sales window (售后期) that follows delivery ends; Vietnam counts the
  commission 14 days after delivery and pays it on the next 1st or 16th.  Other markets
  are a policy gap, raised only for orders that carry a creator commission.

Platform fees are not here (fees.py); the merchant's settlement date is in payout.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from shoppolicy import InputError, Market, PolicyGapError
from shoppolicy.blocks import from_policy
from shoppolicy.blocks.payouts import Period
from shoppolicy.errors import PolicyFileError
from shoppolicy.policy import PolicyView
from shoppolicy.rules import Charge, PayoutRule
from shoppolicy.trail import trail_for

PRECEDENCE_KEY = "affiliate.plan_precedence"
SCHEDULES = ("after_window", "semi_monthly")


# --- plans and commission (TT-AFF-1, TT-AFF-2) ---------------------------------------


def plan_precedence(policy: PolicyView) -> tuple[str, ...]:
    """The market's plans, the one that wins first (TT-AFF-1)."""
    entry = policy.entry(PRECEDENCE_KEY, "TT-AFF-1")
    value = entry.value
    if not isinstance(value, list) or not value or not all(isinstance(p, str) and p for p in value) \
            or len(set(value)) != len(value):
        raise PolicyFileError(entry.path, f"{PRECEDENCE_KEY}: expected a list of distinct plan names, got {value!r}")
    return tuple(value)


def winning_plan(covering: Iterable[str], policy: PolicyView) -> str:
    """The plan that applies when every plan in ``covering`` covers the same creator and
    product (TT-AFF-1: targeted > open > shop unless the policy data says otherwise).

    ``policy`` is the market's policy on the order date, e.g.
    ``engine.view("tiktok-us", "2025-03-01")``.  Put the result in the order's
    ``affiliate_plan``.
    """
    order = plan_precedence(policy)
    plans = list(covering)
    if not plans:
        raise InputError(f"name at least one covering plan; {policy.market.id} knows {', '.join(order)}",
                         field="affiliate_plan")
    unknown = sorted(set(plans) - set(order))
    if unknown:
        raise InputError(f"expected plans among {', '.join(order)} for {policy.market.id}, got "
                         f"{', '.join(map(repr, unknown))}", field="affiliate_plan")
    return min(plans, key=order.index)


def commission(market: Market, policy: PolicyView) -> Charge:
    """The creator commission of an order (TT-AFF-2), compiled once per policy slice."""
    return from_policy.creator_commission(market, policy, plans_key=PRECEDENCE_KEY, take_key="affiliate.platform_take",
                                          rule="TT-AFF-2", take_rule="TT-AFF-2")


# --- creator payout date (TT-AFF-3, TT-AFF-4) ------------------------------------------


def creator_payout(market: Market, policy: PolicyView) -> PayoutRule:
    """The creator's payout rule for one policy slice of the delivery date; a gap (for
    commissioned orders only) where the market publishes none."""
    try:
        period = _creator_period(policy)
    except PolicyGapError as gap:
        return from_policy.gap_period(market, party="creator", gap=gap, basis="delivered_at", creator_only=True)
    return from_policy.single_period(market, party="creator", period=period, basis="delivered_at",
                                     creator_only=True, rule=period.rule)


def _creator_period(policy: PolicyView) -> Period:
    schedule_entry = policy.entry("creator_payout.schedule", "TT-AFF-3")
    rule = schedule_entry.rule
    schedule = from_policy.text(schedule_entry, SCHEDULES)
    window_entry = policy.entry("creator_payout.after_sales_days", rule)
    window = from_policy.whole(window_entry)
    if schedule == "after_window":
        after_entry = policy.entry("creator_payout.paid_days_after_window", rule)
        after = from_policy.whole(after_entry)
        entries = [schedule_entry, window_entry, after_entry]
        return Period(days=window + after, rule=rule, source=window_entry.source,
                      trail=trail_for(rule, "creator paid after the after-sales window", entries,
                                      after_sales_days=window, paid_days_after_window=after))
    days_entry = policy.entry("creator_payout.pay_days_of_month", rule)
    pay_days = from_policy.days_of_month(days_entry)
    same_day_entry = policy.entry("creator_payout.pay_on_count_day", rule)
    same_day = from_policy.flag(same_day_entry)
    entries = [schedule_entry, window_entry, days_entry, same_day_entry]
    return Period(days=window, rule=rule, source=window_entry.source, pay_days_of_month=pay_days,
                  on_count_day=same_day,
                  trail=trail_for(rule, "creator paid on the next pay day after the counting period",
                                  entries, after_sales_days=window, pay_days_of_month=list(pay_days),
                                  pay_on_count_day=same_day))
