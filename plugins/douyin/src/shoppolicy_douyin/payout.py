"""Douyin settlement (结算账期, DY-PAY-1): when the merchant and the creator are paid.

Goods payments and Selected Alliance commissions are settled in the settlement period
after the order completes; the newcomer stage (新手期) has a longer period than later
stages.  The stage is an order input (``settlement_tier``), the day counts are policy
data (``settlement.days.<tier>``) that seed 002 does not give: a gap until an override
file supplies them.  Fees live in :mod:`.fees`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from shoppolicy import CreatorShare, InputError, Market, OrderRecord, PayoutLine, PolicyFileError, PolicyGapError
from shoppolicy.model import TrailEntry
from shoppolicy.policy import Entry, PolicyView
from shoppolicy.rules import FastPayout, trail_for

RULE = "DY-PAY-1"
TIERS_KEY = "settlement.tiers"
DAYS_PREFIX = "settlement.days."
BASIS = "completed_at"
PARTIES = {"merchant": "merchant goods payment (货款)",
           "creator": "creator commission (佣金), settled in the same period as the goods payment"}
TIER_NAMES = {"newcomer": "newcomer stage, 新手期", "regular": "after the newcomer stage"}


@attrs.frozen(slots=True)
class TierDays:
    """One tier's settlement days, the entry they came from, and the explanation."""

    days: int
    entry: Entry
    trail: TrailEntry


@attrs.frozen(slots=True)
class TierGap:
    """Why a tier has no day count in this time slice."""

    state: str
    detail: str | None


@attrs.frozen(slots=True)
class SettlementPeriod:
    """One party's payout date: completion date (Shanghai) + the order's tier's days.

    ``party`` is ``merchant`` or ``creator``; the creator is paid in the same period as
    the merchant, and only on an order that carries a commission.
    """

    party: str
    market: str
    tiers: tuple[str, ...]
    days: Mapping[str, TierDays]
    gaps: Mapping[str, TierGap]
    rule: str = RULE

    def fast(self, order: OrderRecord, commissioned: bool) -> FastPayout | None:
        if self.party == "creator" and not commissioned:
            return None
        _, completed, found = self._period(order)
        return self.party, completed + dt.timedelta(days=found.days), found.trail

    def apply(self, order: OrderRecord, creator: CreatorShare | None) -> PayoutLine | None:
        if self.party == "creator" and creator is None:
            return None
        tier, completed, found = self._period(order)
        return PayoutLine(party=self.party, date=completed + dt.timedelta(days=found.days), rule=self.rule,
                          source=found.entry.source, tier=tier, basis=BASIS, basis_date=completed,
                          days=found.days, trail=found.trail)

    def _period(self, order: OrderRecord) -> tuple[str, dt.date, TierDays]:
        """The order's tier, completion date (Shanghai) and days (or the error saying why not)."""
        tier = order.settlement_tier
        known = ", ".join(f"{t!r} ({TIER_NAMES.get(t, 'supplied by policy data')})" for t in self.tiers)
        if tier is None:
            raise InputError(f"required for the payout date ({self.rule}): the shop's settlement stage, one of "
                             f"{known}", field="settlement_tier")
        if tier not in self.tiers:
            raise InputError(f"expected one of {known}; got {tier!r}", field="settlement_tier")
        completed = order.completed_at
        if completed is None:
            raise InputError(f"required for the payout date: Douyin settles in the period after the order "
                             f"completes ({self.rule})", field=BASIS)
        when = completed  # Shanghai wall-clock time: the engine localises order times
        found = self.days.get(tier)
        if found is None:
            gap = self.gaps.get(tier, TierGap("gap", None))
            raise PolicyGapError(market=self.market, rule=self.rule, key=DAYS_PREFIX + tier, on=when.date(),
                                 state=gap.state, detail=gap.detail)
        return tier, when.date(), found


def compile_payouts(market: Market, policy: PolicyView) -> list[SettlementPeriod]:
    """The merchant's and the creator's settlement rules (:class:`~shoppolicy.rules.PayoutRule`)
    for one policy time slice."""
    tiers_entry = policy.entry(TIERS_KEY, RULE)
    tiers = tiers_entry.value
    if not isinstance(tiers, list) or not tiers or not all(isinstance(t, str) and t for t in tiers):
        raise PolicyFileError(tiers_entry.path, f"{TIERS_KEY}: expected a list of tier names, got {tiers!r}")
    found: dict[str, tuple[int, Entry]] = {}
    gaps: dict[str, TierGap] = {}
    for tier in tiers:
        key = DAYS_PREFIX + tier
        state = policy.state(key)
        if state.state != "in_force" or state.entry is None:
            gaps[tier] = TierGap(state.state, state.detail)
            continue
        value = state.entry.value
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PolicyFileError(state.entry.path, f"{key}: expected a whole number of days >= 0, got {value!r}")
        found[tier] = (value, state.entry)
    rules = []
    for party, what in PARTIES.items():
        days = {tier: TierDays(days=n, entry=entry, trail=trail_for(
                    RULE, f"{what} ({tier} settlement period): {n} days after completion", [tiers_entry, entry],
                    party=party, tier=tier, days=n, basis=BASIS))
                for tier, (n, entry) in found.items()}
        rules.append(SettlementPeriod(party=party, market=market.id, tiers=tuple(tiers), days=days, gaps=gaps))
    return rules
