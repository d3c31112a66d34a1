"""The merchant's settlement date — 结算账期 / 回款 — (TT-PAY-1, TT-PAY-2), and the payout hook.

The merchant is paid ``days`` after delivery, where ``days`` is the policy value
``settlement.<seller_type>.<tier>.days`` in force on the delivery date (the engine
compiles these rules per policy slice of ``delivered_at``, which is the TT-PAY-1
interpretation).  Tiers (TT-PAY-2): ``normal`` (普通账期), ``accelerated`` (加速账期),
``short`` (短账期), ``long`` (长账期); an order without ``settlement_tier`` is on the
normal tier.  The seeds publish one period only, US cross-border POP sellers'
(``seller_type = "cross_border_pop"``) normal tier: 15 days, 8 days from 2024-11-01.
Every other tier, seller type and market is a policy gap an override file fills.

The creator's payout date (TT-AFF-3/4) is compiled in affiliate.py; this module returns
both rules to the hook.  Fees are not here.
"""

from __future__ import annotations

from shoppolicy.blocks import from_policy
from shoppolicy.model import Market
from shoppolicy.policy import PolicyView
from shoppolicy.rules import PayoutRule
from shoppolicy_tiktok import affiliate

TIERS = ("normal", "accelerated", "short", "long")
DEFAULT_TIER = "normal"
PREFIX = "settlement."


def merchant_settlement(market: Market, policy: PolicyView) -> PayoutRule:
    """``settlement.<seller_type>.<tier>.days`` in force for one policy slice."""
    return from_policy.payout_table(
        market, policy, party="merchant", prefix=PREFIX, suffix=".days", keyed_by=("seller_type", "settlement_tier"),
        rule="TT-PAY-2", basis="delivered_at", what="merchant settlement after delivery",
        choices={"settlement_tier": TIERS}, defaults={"settlement_tier": DEFAULT_TIER})


def payout_rules(market: Market, policy: PolicyView) -> list[PayoutRule]:
    """Merchant settlement and creator payout rules of one policy slice of the delivery date."""
    return [merchant_settlement(market, policy), affiliate.creator_payout(market, policy)]
