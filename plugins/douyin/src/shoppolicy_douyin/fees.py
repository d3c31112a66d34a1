"""Douyin fee schedule: technical service fee (技术服务费, DY-FEE-1) and the Selected
Alliance (精选联盟) creator commission with the platform's take on it (DY-FEE-2, DY-FEE-3).

Both are the core's blocks (:mod:`shoppolicy.blocks`) composed from ``policy/douyin.toml``
and the user's override files: the fee is a rate table by category under
``technical_service_fee.rate.<category>``, refused outside the published 1%–5% range
(``technical_service_fee.min_rate``/``max_rate``), which is also the range a missing
category rate reports.  Payout dates and deposit deductions live in :mod:`.payout` and
:mod:`.violations`.
"""

from __future__ import annotations

from shoppolicy.blocks import from_policy
from shoppolicy.blocks.keys import KeySpec, fee_keys
from shoppolicy.model import Market
from shoppolicy.policy import PolicyView
from shoppolicy.rules import Charge

FEE_RULE = "DY-FEE-1"
COMMISSION_RULE = "DY-FEE-2"
TAKE_RULE = "DY-FEE-3"
FEE_CODE = "technical_service_fee"
PREFIX = "technical_service_fee."

KEYS: list[KeySpec] = [
    *fee_keys(PREFIX, FEE_RULE),
    KeySpec("creator_commission.plans", "names", COMMISSION_RULE, "the affiliate plans that carry a commission"),
    KeySpec("creator_commission.platform_take", "rate", TAKE_RULE, "the platform's share of the commission"),
]


def compile_fees(market: Market, policy: PolicyView) -> list[Charge]:
    """The technical service fee and the Selected Alliance commission of one policy slice."""
    fee = from_policy.fee(market, policy, code=FEE_CODE, prefix=PREFIX, rule=FEE_RULE)
    commission = from_policy.creator_commission(
        market, policy, plans_key="creator_commission.plans", take_key="creator_commission.platform_take",
        rule=COMMISSION_RULE, take_rule=TAKE_RULE, plan_label="Selected Alliance, 精选联盟",
        what=f"Selected Alliance creator commission (精选联盟佣金), less the platform's take ({TAKE_RULE})")
    return [fee, commission]
