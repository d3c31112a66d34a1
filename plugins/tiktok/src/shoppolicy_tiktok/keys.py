"""The policy keys the TikTok Shop plugin reads, declared with their types and rules.

A key in a policy file (ours or a user's override) for a TikTok market that is not
declared here, that cites a rule not declared with it, or that holds a value of the
wrong type refuses the file at load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shoppolicy.blocks.keys import KeyCheck, KeySpec, RuleSpec, fee_keys

#: The fee codes the data may name (``fee.<code>.*``); a new code is declared here first.
FEE_CODES = ("referral_fee", "refund_admin_fee", "commission", "commission_vat", "commerce_growth_fee",
             "transaction_fee", "payment_fee", "order_processing_fee", "platform_support_fee",
             "mall_service_fee", "dynamic_commission_fee", "pre_order_fee")

INDUSTRIES = "reputation_star.industries"


def _six_industries(values: Mapping[str, Any]) -> str | None:
    """TT-INC-1 ranks shops in six major industries: the list names six, each once."""
    industries = values[INDUSTRIES]
    if len(industries) == 6 and len(set(industries)) == 6:
        return None
    return f"expected six different industries, got {len(industries)} ({', '.join(map(str, industries))})"


KEYS: list[KeySpec | RuleSpec | KeyCheck] = [
    RuleSpec("TT-VIO-1", "security deposit and livestream stops: a deduction only when the platform ordered the "
                         "stop for a violation or the contract names one; the amount comes from the event"),
    KeySpec("fee.charged", "names", "TT-FEE-*", "the fee codes the market charges"),
    *(spec for code in FEE_CODES for spec in fee_keys(f"fee.{code}.", "TT-FEE-*")),
    KeySpec("affiliate.plan_precedence", "names", "TT-AFF-1", "the affiliate plans, the one that wins first"),
    KeySpec("affiliate.platform_take", "rate", "TT-AFF-2", "the platform's share of the creator commission"),
    KeySpec("creator_payout.schedule", "text", "TT-AFF-*", "after_window or semi_monthly"),
    KeySpec("creator_payout.after_sales_days", "days", "TT-AFF-*", "the after-sales window after delivery"),
    KeySpec("creator_payout.paid_days_after_window", "days", "TT-AFF-*", "days after the window ends"),
    KeySpec("creator_payout.pay_days_of_month", "days_of_month", "TT-AFF-*", "the month's pay days"),
    KeySpec("creator_payout.pay_on_count_day", "flag", "TT-AFF-*", "a pay day on the counting day pays"),
    KeySpec("settlement.*.*.days", "days", "TT-PAY-*", "days after delivery, by seller type and tier"),
    KeySpec("reputation_star.period_from", "date", "TT-INC-1", "the policy period's first day"),
    KeySpec("reputation_star.period_to", "date", "TT-INC-1", "the policy period's last day"),
    KeySpec("reputation_star.region", "text", "TT-INC-1", "the ranking region of the market"),
    KeySpec("reputation_star.reviews_more_than", "count", "TT-INC-1", "the review threshold"),
    KeySpec("reputation_star.top_n", "count", "TT-INC-1", "shops rewarded per region and industry"),
    KeySpec("reputation_star.average_daily_gmv_usd_above", "decimal", "TT-INC-1", "the GMV threshold (USD)"),
    KeySpec(INDUSTRIES, "names", "TT-INC-1", "the six industries"),
    KeyCheck("TT-INC-1", (INDUSTRIES,), _six_industries, "six industries, each once"),
    KeySpec("reputation_star.weight.*", "decimal", "TT-INC-1", "a weight of the reputation contribution"),
    KeySpec("recommended_goods.extra_commission_rate", "rate", "TT-INC-2", "the extra creator commission"),
    KeySpec("recommended_goods.purchase_limit.*", "count", "TT-INC-2", "the purchase limit of a product tier"),
]
