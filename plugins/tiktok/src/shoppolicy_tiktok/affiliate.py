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

import datetime as dt
from collections.abc import Iterable

import attrs

from shoppolicy import CreatorShare, InputError, Market, OrderRecord, PayoutLine, PolicyGapError, TrailEntry
from shoppolicy.errors import PolicyFileError
from shoppolicy.policy import Entry, PolicyView
from shoppolicy.rules import Charge, CreatorCommission, FastPayout, PayoutRule, trail_for

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


def commission_charges(market: Market, policy: PolicyView) -> list[Charge]:
    """The creator commission of an order (TT-AFF-2), compiled once per policy slice."""
    if market.abstract or market.currency is None:
        return []
    plans = plan_precedence(policy)
    take_entry = policy.entry("affiliate.platform_take", "TT-AFF-2")
    take = policy.decimal("affiliate.platform_take", "TT-AFF-2")
    precedence_entry = policy.entry(PRECEDENCE_KEY, "TT-AFF-1")
    return [CreatorCommission(
        rule="TT-AFF-2", source=take_entry.source, currency=market.currency, plans=frozenset(plans),
        platform_take=take,
        trail=trail_for("TT-AFF-2", "creator commission = amount × commission_rate",
                        [take_entry, precedence_entry], plans=" > ".join(plans), platform_take=take))]


# --- creator payout date (TT-AFF-3, TT-AFF-4) ------------------------------------------


def _whole(entry: Entry, low: int = 0) -> int:
    value = entry.value
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise PolicyFileError(entry.path, f"{entry.key}: expected a whole number >= {low}, got {value!r}")
    return value


@attrs.frozen(slots=True)
class _CreatorPayoutGap:
    """A market with no published creator payout: a policy gap for commissioned orders only."""

    market: str
    rule: str
    key: str
    detail: str | None

    _gaps: dict[dt.date, PolicyGapError] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def fast(self, order: OrderRecord, commissioned: bool) -> PolicyGapError | None:
        """The gap, returned (one error per delivery date) rather than raised per order."""
        if not commissioned:
            return None
        on = _delivered(order, self.rule)
        gap = self._gaps.get(on)
        if gap is None:
            if len(self._gaps) > 4096:  # one per delivery date: years of them, still bounded
                self._gaps.clear()
            gap = self._gaps[on] = self._gap(on)
        return gap

    def apply(self, order: OrderRecord, creator: CreatorShare | None) -> PayoutLine | None:
        if creator is not None:
            raise self._gap(_delivered(order, self.rule))
        return None

    def _gap(self, on: dt.date) -> PolicyGapError:
        return PolicyGapError(market=self.market, rule=self.rule, key=self.key, on=on, detail=self.detail)


def _delivered(order: OrderRecord, rule: str) -> dt.date:
    # The engine hands rules local wall-clock times: the date is the market's calendar day.
    if order.delivered_at is None:
        raise InputError(f"required for the creator payout date ({rule}): the order must be delivered",
                         field="delivered_at")
    return order.delivered_at.date()


@attrs.frozen(slots=True)
class AfterWindow:
    """Paid ``paid_after`` days after an after-sales window of ``window`` days that starts
    at delivery ends (TT-AFF-3: ID 6 + 1, UK 14 + 1)."""

    rule: str
    source: str
    window: int
    paid_after: int
    trail: TrailEntry | None = None

    def fast(self, order: OrderRecord, commissioned: bool) -> FastPayout | None:
        if not commissioned:
            return None
        return "creator", _delivered(order, self.rule) + dt.timedelta(days=self.window + self.paid_after), self.trail

    def apply(self, order: OrderRecord, creator: CreatorShare | None) -> PayoutLine | None:
        if creator is None:
            return None
        delivered = _delivered(order, self.rule)
        days = self.window + self.paid_after
        return PayoutLine(party="creator", date=delivered + dt.timedelta(days=days), rule=self.rule,
                          source=self.source, basis="delivered_at", basis_date=delivered, days=days,
                          trail=self.trail)


@attrs.frozen(slots=True)
class SemiMonthly:
    """Counted ``count_after`` days after delivery, then paid on the next of the month's
    pay days (TT-AFF-4, Vietnam: 14 days, then the 1st or the 16th).

    ``on_count_day`` says whether a pay day falling on the counting day itself pays.
    """

    rule: str
    source: str
    count_after: int
    pay_days: tuple[int, ...]
    on_count_day: bool
    trail: TrailEntry | None = None

    def pay_date(self, delivered: dt.date) -> dt.date:
        counted = delivered + dt.timedelta(days=self.count_after)
        first = counted if self.on_count_day else counted + dt.timedelta(days=1)
        year, month = first.year, first.month
        while True:  # at most two months are looked at: every month has a day 1
            for day in self.pay_days:
                try:
                    candidate = dt.date(year, month, day)
                except ValueError:  # e.g. the 31st of a short month: no pay day then
                    continue
                if candidate >= first:
                    return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def fast(self, order: OrderRecord, commissioned: bool) -> FastPayout | None:
        if not commissioned:
            return None
        return "creator", self.pay_date(_delivered(order, self.rule)), self.trail

    def apply(self, order: OrderRecord, creator: CreatorShare | None) -> PayoutLine | None:
        if creator is None:
            return None
        delivered = _delivered(order, self.rule)
        paid = self.pay_date(delivered)
        return PayoutLine(party="creator", date=paid, rule=self.rule, source=self.source, basis="delivered_at",
                          basis_date=delivered, days=(paid - delivered).days, trail=self.trail)


def creator_payout_rules(market: Market, policy: PolicyView) -> list[PayoutRule]:
    """The creator's payout rule for one policy slice of the delivery date."""
    if market.abstract:
        return []
    try:
        return [_compile_creator_payout(policy)]
    except PolicyGapError as gap:
        # Orders without a creator still settle: the gap is raised per commissioned order.
        return [_CreatorPayoutGap(market=market.id, rule=gap.rule, key=gap.key, detail=gap.detail)]


def _compile_creator_payout(policy: PolicyView) -> AfterWindow | SemiMonthly:
    schedule_entry = policy.entry("creator_payout.schedule", "TT-AFF-3")
    rule = schedule_entry.rule
    schedule = schedule_entry.value
    if schedule not in SCHEDULES:
        raise PolicyFileError(schedule_entry.path, f"creator_payout.schedule: expected one of "
                              f"{', '.join(SCHEDULES)}, got {schedule!r}")
    window_entry = policy.entry("creator_payout.after_sales_days", rule)
    window = _whole(window_entry)
    if schedule == "after_window":
        after_entry = policy.entry("creator_payout.paid_days_after_window", rule)
        after = _whole(after_entry)
        entries = [schedule_entry, window_entry, after_entry]
        return AfterWindow(rule=rule, source=window_entry.source, window=window, paid_after=after,
                           trail=trail_for(rule, "creator paid after the after-sales window", entries,
                                           after_sales_days=window, paid_days_after_window=after))
    days_entry = policy.entry("creator_payout.pay_days_of_month", rule)
    pay_days = days_entry.value
    if not isinstance(pay_days, list) or not pay_days or not all(
            isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 31 for d in pay_days):
        raise PolicyFileError(days_entry.path, f"creator_payout.pay_days_of_month: expected a list of days "
                              f"1..31, got {pay_days!r}")
    same_day_entry = policy.entry("creator_payout.pay_on_count_day", rule)
    if not isinstance(same_day_entry.value, bool):
        raise PolicyFileError(same_day_entry.path, f"creator_payout.pay_on_count_day: expected true or false, "
                              f"got {same_day_entry.value!r}")
    entries = [schedule_entry, window_entry, days_entry, same_day_entry]
    return SemiMonthly(rule=rule, source=window_entry.source, count_after=window,
                       pay_days=tuple(sorted(set(pay_days))), on_count_day=same_day_entry.value,
                       trail=trail_for(rule, "creator paid on the next pay day after the counting period",
                                       entries, after_sales_days=window, pay_days_of_month=sorted(pay_days),
                                       pay_on_count_day=same_day_entry.value))
