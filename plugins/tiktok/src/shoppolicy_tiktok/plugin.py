"""The TikTok Shop plugin's hook implementations: thin, each delegating to its module.

fees.py (platform fees, TT-FEE-*), affiliate.py (creator commission, TT-AFF-*),
payout.py (settlement tiers, TT-PAY-*), violations.py (TT-VIO-1), incentives.py
(TT-INC-*).  Policy data lives in policy/*.toml next to this file.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from typing import TYPE_CHECKING

from shoppolicy import Market, hookimpl
from shoppolicy.blocks.keys import KeyCheck, KeySpec, RuleSpec
from shoppolicy.policy import PolicyView
from shoppolicy.rules import Charge, IncentiveProgram, PayoutRule, ViolationHandler
from shoppolicy_tiktok import affiliate, fees, incentives, payout, violations
from shoppolicy_tiktok.fees_samples import SAMPLE_ORDERS as SAMPLE_ORDERS  # read by the conformance kit
from shoppolicy_tiktok.keys import KEYS
from shoppolicy_tiktok.markets import MARKET_IDS, MARKETS
from shoppolicy_tiktok.samples import SAMPLE_EVENTS as SAMPLE_EVENTS  # read by the conformance kit
from shoppolicy_tiktok.samples import SAMPLE_RECORDS as SAMPLE_RECORDS  # read by the conformance kit

if TYPE_CHECKING:
    from importlib.abc import Traversable


@hookimpl
def shoppolicy_markets() -> Sequence[Market]:
    return MARKETS


@hookimpl
def shoppolicy_policy_files() -> Sequence[Traversable]:
    folder = files("shoppolicy_tiktok") / "policy"
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


@hookimpl
def shoppolicy_policy_keys() -> Sequence[KeySpec | RuleSpec | KeyCheck]:
    return KEYS


@hookimpl
def shoppolicy_fee_rules(market: Market, policy: PolicyView) -> Sequence[Charge]:
    # The engine asks only for markets this plugin owns, or their variants.
    return [*fees.fee_charges(market, policy), affiliate.commission(market, policy)]


@hookimpl
def shoppolicy_payout_rules(market: Market, policy: PolicyView) -> Sequence[PayoutRule]:
    return payout.payout_rules(market, policy)


@hookimpl
def shoppolicy_violation_handlers(market: Market) -> Sequence[ViolationHandler] | None:
    if market.id not in MARKET_IDS:
        return None
    return violations.handlers(market)


@hookimpl
def shoppolicy_incentive_programs() -> Sequence[IncentiveProgram]:
    return incentives.programs()
