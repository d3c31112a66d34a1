"""Douyin settlement (结算账期, DY-PAY-1): when the merchant and the creator are paid.

Goods payments and Selected Alliance commissions are settled in the settlement period
after the order completes; the newcomer stage (新手期) has a longer period than later
stages.  The stage is an order input (``settlement_tier``, one of ``settlement.tiers``),
the day counts are policy data (``settlement.days.<tier>``) that seed 002 does not give:
a gap until an override file supplies them.  Both parties are the core's payout block.
Fees live in :mod:`.fees`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shoppolicy import PolicyGapError
from shoppolicy.blocks import from_policy
from shoppolicy.blocks.keys import KeyCheck, KeySpec
from shoppolicy.model import Market
from shoppolicy.policy import PolicyView
from shoppolicy.rules import PayoutRule

RULE = "DY-PAY-1"
TIERS_KEY = "settlement.tiers"
DAYS_PREFIX = "settlement.days."
BASIS = "completed_at"
PARTIES = {"merchant": "merchant goods payment (货款)",
           "creator": "creator commission (佣金), settled in the same period as the goods payment"}

NEWCOMER, REGULAR = DAYS_PREFIX + "newcomer", DAYS_PREFIX + "regular"


def _newcomer_longer(values: Mapping[str, Any]) -> str | None:
    """DY-PAY-1: the newcomer stage's settlement period is longer than the later stages'."""
    newcomer, regular = values[NEWCOMER], values[REGULAR]
    if newcomer > regular:
        return None
    return (f"the newcomer period (新手期) must be longer than the regular one, got {newcomer} days against "
            f"{regular}")


KEYS: list[KeySpec | KeyCheck] = [
    KeySpec(TIERS_KEY, "names", RULE, "the settlement stages (newcomer 新手期, regular)"),
    KeySpec(DAYS_PREFIX + "*", "days", RULE, "days after completion, by settlement stage"),
    KeyCheck(RULE, (NEWCOMER, REGULAR), _newcomer_longer, "the newcomer period is longer than the regular one"),
]


def compile_payouts(market: Market, policy: PolicyView) -> list[PayoutRule]:
    """The merchant's and the creator's settlement rules for one policy time slice."""
    try:
        tiers = tuple(from_policy.names(policy.entry(TIERS_KEY, RULE)))
    except PolicyGapError as gap:  # no stages in force: both parties' dates are a gap
        return [from_policy.gap_period(market, party=party, gap=gap, basis=BASIS, creator_only=party == "creator")
                for party in PARTIES]
    return [from_policy.payout_table(market, policy, party=party, prefix=DAYS_PREFIX, suffix="",
                                     keyed_by=("settlement_tier",), rule=RULE, basis=BASIS,
                                     what=f"{what}, after completion", choices={"settlement_tier": tiers},
                                     creator_only=party == "creator")
            for party, what in PARTIES.items()]
