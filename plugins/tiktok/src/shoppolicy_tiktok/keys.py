"""The policy keys the TikTok Shop plugin reads, declared with their types and rules.

A key in a policy file (ours or a user's override) for a TikTok market that is not
declared here, that cites a rule not declared with it, or that holds a value of the
wrong type refuses the file at load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shoppolicy.blocks.keys import KeyCheck, KeySpec, RuleSpec, fee_keys
from shoppolicy_tiktok.affiliate import SCHEDULES
from shoppolicy_tiktok.markets import SEA, UK, US
from shoppolicy_tiktok.payout import TIERS

#: The fee codes the data may name (``fee.<code>.*``); a new code is declared here first.
FEE_CODES = ("referral_fee", "refund_admin_fee", "commission", "commission_vat", "commerce_growth_fee",
             "transaction_fee", "payment_fee", "order_processing_fee", "platform_support_fee",
             "mall_service_fee", "dynamic_commission_fee", "pre_order_fee")

#: The fee rules each market's values may cite (the catalogue's ids for that market; the
#: Southeast Asian parent holds what its countries share, so it may cite any of theirs).
FEE_RULES = {
    US: "TT-FEE-1|TT-FEE-2",
    UK: "TT-FEE-3",
    SEA: "|".join(f"TT-FEE-{n}" for n in range(4, 24)),
    "tiktok-my": "TT-FEE-4|TT-FEE-5|TT-FEE-19|TT-FEE-20",
    "tiktok-sg": "TT-FEE-6|TT-FEE-7",
    "tiktok-th": "TT-FEE-8|TT-FEE-9|TT-FEE-13|TT-FEE-14",
    "tiktok-id": "TT-FEE-10|TT-FEE-15|TT-FEE-16|TT-FEE-17|TT-FEE-18",
    "tiktok-ph": "TT-FEE-11|TT-FEE-23",
    "tiktok-vn": "TT-FEE-12|TT-FEE-21|TT-FEE-22",
}


def _fee_keys_of(market: str, rules: str) -> list[KeySpec]:
    return [KeySpec("fee.charged", "names", rules, "the fee codes the market charges", (market,), FEE_CODES),
            *(spec for code in FEE_CODES for spec in fee_keys(f"fee.{code}.", rules, markets=(market,)))]


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
    *(spec for market, rules in FEE_RULES.items() for spec in _fee_keys_of(market, rules)),
    KeySpec("affiliate.plan_precedence", "names", "TT-AFF-1", "the affiliate plans, the one that wins first"),
    KeySpec("affiliate.platform_take", "rate", "TT-AFF-2", "the platform's share of the creator commission"),
    KeySpec("creator_payout.schedule", "text", "TT-AFF-*", "after_window or semi_monthly", choices=SCHEDULES),
    KeySpec("creator_payout.after_sales_days", "days", "TT-AFF-*", "the after-sales window after delivery"),
    KeySpec("creator_payout.paid_days_after_window", "days", "TT-AFF-*", "days after the window ends"),
    KeySpec("creator_payout.pay_days_of_month", "days_of_month", "TT-AFF-*", "the month's pay days"),
    KeySpec("creator_payout.pay_on_count_day", "flag", "TT-AFF-*", "a pay day on the counting day pays"),
    *(KeySpec(f"settlement.*.{tier}.days", "days", "TT-PAY-*", f"days after delivery on the {tier} tier, by "
              "seller type") for tier in TIERS),
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
