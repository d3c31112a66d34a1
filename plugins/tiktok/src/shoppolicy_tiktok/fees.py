"""TikTok Shop platform fees (TT-FEE-*): the core's fee blocks composed from policy data.

Rules are data, mechanics are code — and the mechanics are the core's
(:mod:`shoppolicy.blocks`).  The numbers and dates live in ``policy/fees-*.toml``;
``tiktok-sea`` holds what the Southeast Asian variants share (which fees exist, their
bases, how refunds touch them); each country file holds its rates and dates.  The keys,
for a fee code ``X`` of the market's ``fee.charged`` list, are the core's fee keys under
``fee.X.`` (:mod:`shoppolicy.blocks.from_policy`).  Two codes are add-ons computed from
another fee's line: ``commission_vat`` (a tax on the commission, Indonesia) and
``refund_admin_fee`` (a share of the referral fee on refund, the US).
"""

from __future__ import annotations

from shoppolicy.blocks import from_policy
from shoppolicy.blocks.fees import GapFee, PercentFee
from shoppolicy.model import Market
from shoppolicy.policy import PolicyView

CHARGED = "fee.charged"
ADDONS = {"commission_vat": (from_policy.TAX_ON, "commission"),
          "refund_admin_fee": (from_policy.REFUND_SHARE, "referral_fee")}


def fee_charges(market: Market, policy: PolicyView) -> list[PercentFee | GapFee]:
    """The platform fees of ``market`` for the policy slice of ``policy``."""
    return from_policy.fee_schedule(market, policy, list_key=CHARGED, fallback_rule="TT-FEE", addons=ADDONS)
