"""Which platform charge is which of our figures (statement-formats.md §6), and which
keys and transaction types the references name (anything else is reported as unknown).

Charges are keyed ``fee.<key>``, ``tax.<key>``, ``shipping.<key>`` (the Finance API's
names; an export column with an API twin takes its name) or ``other.<key>``.  Where the
reference leaves a mapping **UNVERIFIED**, the choice made here is said beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from shoppolicy.money import ZERO

PC, TF = "fee.platform_commission_amount", "fee.transaction_fee_amount"
_SEA = {"commission": (PC,), "transaction_fee": (TF,)}

#: market → our fee code → the statement keys whose sum is the charged figure.
FEE_KEYS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "tiktok-us": {"referral_fee": ("fee.referral_fee_amount",),
                  "refund_admin_fee": ("fee.refund_administration_fee_amount",)},
    "tiktok-uk": {"commission": (PC,)},
    "tiktok-my": _SEA,
    "tiktok-sg": _SEA,
    "tiktok-ph": _SEA,
    # Thailand's commission (TT-FEE-13) and Commerce Growth Fee (TT-FEE-8) are two codes
    # now, as TH exports have both columns; the CGF's API key is the one a third-party map
    # names (seller_growth_fee_amount; dynamic_commission_amount stays unmodelled).
    "tiktok-th": {**_SEA, "commerce_growth_fee": ("fee.seller_growth_fee_amount",)},
    # Vietnam's payment fee is inferred to be the API's transaction fee (UNVERIFIED).
    "tiktok-vn": {"commission": (PC,), "payment_fee": (TF,)},
    # Indonesia: no statement key is known for the VAT on the commission (commission_vat).
    "tiktok-id": {"commission": (PC,), "dynamic_commission_fee": ("fee.dynamic_commission_amount",)},
    # 平台服务费 ← the technical service fee (技术服务费): the names differ, mapping inferred.
    "douyin": {"technical_service_fee": ("fee.platform_service_fee",)},
}

CREATOR = "creator_commission"
_BEFORE_PIT = ("fee.affiliate_commission_amount_before_pit", "fee.affiliate_commission_before_pit")
_AFTER_PIT = "fee.affiliate_commission_amount"


def creator_keys(market: str, charges: Mapping[str, Decimal]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys whose sum is the creator commission the merchant paid, and the keys that
    figure accounts for (so they are not listed again as unmodelled charges).

    TikTok: the before-PIT figure where the statement has one (the withheld PIT is part
    of what the merchant paid), else the affiliate commission.  Douyin: 达人佣金."""
    if market == "douyin":
        return ("fee.commission",), ("fee.commission",)
    before = tuple(k for k in _BEFORE_PIT if charges.get(k, ZERO))
    if before:
        return before, (*_BEFORE_PIT, _AFTER_PIT, "tax.pit_amount")
    return (_AFTER_PIT,), (_AFTER_PIT, *_BEFORE_PIT)


#: The Finance API's fee keys the references name (the SDK's 29 and the example's extras).
FEE_NAMES = frozenset({
    "affiliate_ads_commission_amount", "affiliate_commission_amount", "affiliate_commission_amount_before_pit",
    "affiliate_commission_deposit", "affiliate_commission_release", "affiliate_partner_commission_amount",
    "bonus_cashback_service_fee_amount", "cofunded_creator_bonus_amount", "cofunded_promotion_service_fee_amount",
    "credit_card_handling_fee_amount", "dt_handling_fee_amount", "dynamic_commission_amount",
    "epr_pob_service_fee_amount", "external_affiliate_marketing_fee_amount", "fee_per_item_sold_amount",
    "flash_sales_service_fee_amount", "live_specials_fee_amount", "mall_service_fee_amount",
    "platform_commission_amount", "pre_order_service_fee_amount", "referral_fee_amount",
    "refund_administration_fee_amount", "seller_paylater_handling_fee_amount", "sfp_service_fee_amount",
    "tap_shop_ads_commission", "transaction_fee_amount", "tsp_commission_amount", "vn_fix_infrastructure_fee",
    "voucher_xtra_service_fee_amount",
    # named by the reference among the official example's 25 extra keys
    "seller_growth_fee_amount", "gmv_max_ad_fee_amount", "gmv_max_coupon_fee", "smart_promotion_fee_amount",
    "campaign_resource_fee", "platform_special_service_fee_amount", "installation_service_fee", "insurance_fee",
    # 202309's own name
    "affiliate_commission_before_pit",
})
#: Families the reference names only by a pattern (``campaign_period_fee_*``, ``*_tax``).
FEE_PREFIXES = ("campaign_period_fee_", "category_led_campaign_fee_", "platform_semi_managed_commission_fee",
                "brand_")
TAX_NAMES = frozenset({
    "vat_amount", "local_vat_amount", "import_vat_amount", "gst_amount", "sst_amount", "customs_duty_amount",
    "customs_clearance_amount", "anti_dumping_duty_amount", "pit_amount", "isr_amount", "iva_amount", "cedular_tax",
    "sales_tax_referral_fee_amount", "smart_promotion_fee_tax_amount"})
TRANSACTION_TYPES = frozenset({
    "ORDER", "SHIPPING_FEE_ADJUSTMENT", "SHIPPING_FEE_COMPENSATION", "CHARGE_BACK", "CUSTOMER_SERVICE_COMPENSATION",
    "PROMOTION_ADJUSTMENT", "PLATFORM_COMPENSATION", "PLATFORM_PENALTY", "SAMPLE_SHIPPING_FEE",
    "LOGISTICS_REIMBURSEMENT", "PLATFORM_REIMBURSEMENT", "DEDUCTIONS_INCURRED_BY_SELLER", "SHIPPING_FEE_REBATE",
    "WAREHOUSE_SERVICE_FEE", "PLATFORM_COMMISSION_ADJUSTMENT", "PLATFORM_COMMISSION_COMPENSATION",
    "OTHER_ADJUSTMENT", "RESERVE", "GMV_PAYMENT_FOR_ADS", "REBATE", "COFUNDED_CREATOR_REWARDS", "STAMP_DUTY",
    "FBT_WAREHOUSE_SERVICE_FEE", "SELLER_MISSION_REWARD", "GMV_PAYMENT_FOR_TIKTOK_ADS"})


def known_fee(name: str) -> bool:
    return name in FEE_NAMES or name.startswith(FEE_PREFIXES) or name.endswith("_tax")
