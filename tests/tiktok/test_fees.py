"""TT-FEE-1..12: TikTok Shop platform fees, one group of tests per catalogue rule.

Every expected figure is worked out by hand in a comment, from the catalogue's own worked
examples where it gives one (UK 8.55 GBP, Thailand 57.78 and 199 THB, Singapore 11.55 SGD,
Indonesia 2,220 IDR).  Both sides of every dated switch are tested, at the last instant
before it and the first instant of it, in the market's own time zone.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shoppolicy import Engine, FeeLine, InputError, OrderRecord, Quote
from shoppolicy.convert import structure
from shoppolicy.model import Gap
from shoppolicy_tiktok import fees as tiktok_fees

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ROOT / "examples" / "overrides"
CURRENCY = {"tiktok-us": "USD", "tiktok-uk": "GBP", "tiktok-id": "IDR", "tiktok-my": "MYR", "tiktok-th": "THB",
            "tiktok-vn": "VND", "tiktok-ph": "PHP", "tiktok-sg": "SGD"}
US_OFFICIAL = "https://seller-us.tiktok.com/university/essay?knowledge_id=5982454398175018"
TH_OFFICIAL = "https://seller-th.tiktok.com/university/essay?knowledge_id=4831419884979969"


def order(market: str, placed_at: str, amount: str | None = None, **fields: Any) -> dict[str, Any]:
    """An order record of ``market`` in its currency (fields left as None are left out)."""
    record = {"order_id": "f-1", "market": market, "amount": amount, "currency": CURRENCY[market],
              "placed_at": placed_at, **fields}
    return {k: v for k, v in record.items() if v is not None}


def fee_amounts(quote: Quote) -> dict[str, Decimal]:
    return {f.code: f.amount for f in quote.fees}


def line(quote: Quote, code: str) -> FeeLine:
    found = [f for f in quote.fees if f.code == code]
    assert len(found) == 1, quote.fees
    return found[0]


def engine_with(*files: Path) -> Engine:
    return Engine(policy_files=[str(f) for f in files])


def user_value(path: Path, market: str, rule: str, key: str, value: str, *, source: str,
               effective_from: str | None = None, effective_to: str | None = None) -> Path:
    """An override file with one value of the seller's own (``confidence = "user"``)."""
    dates = "".join(f"{name} = {day}\n" for name, day in (("effective_from", effective_from),
                                                          ("effective_to", effective_to)) if day)
    path.write_text(f'[[values]]\nmarket = "{market}"\nrule = "{rule}"\nkey = "{key}"\nvalue = "{value}"\n'
                    f'source = "{source}"\nconfidence = "user"\n{dates}', encoding="utf-8")
    return path


def charge_lines(engine: Engine, record: dict[str, Any], code: str) -> list[FeeLine]:
    """Apply one compiled fee of the order's slice on its own (the others may be gaps)."""
    market = engine.market(record["market"])
    charges = tiktok_fees.fee_charges(market, engine.view(market.id, record["placed_at"]))
    charge = next(c for c in charges if getattr(c, "code", None) == code)
    return [x for x in charge.apply(structure(record, OrderRecord)) if isinstance(x, FeeLine)]


def gap(engine: Engine, record: dict[str, Any], figure: str | None = None) -> Gap:
    """The one policy gap of the order's quote (or the one gap of ``figure``; an add-on
    computed from a fee, Indonesia's VAT on the commission, is a gap with it and is left
    aside); the quote is incomplete and its net and total fees are unknown."""
    q = engine.quote(record)
    found = [g for g in q.gaps if (figure is None and g.figure != "commission_vat") or g.figure == figure]
    assert len(found) == 1, q.gaps
    assert (q.complete, q.net, q.total_fees) == (False, None, None)
    return found[0]


# --- TT-FEE-1: US referral fee -----------------------------------------------------------

US_ORDER = {"amount": "100.00", "platform_discount": "10.00", "buyer_shipping": "5.00", "tax": "8.00"}


def test_TT_FEE_1_2023_2_percent_of_c_plus_d_plus_0_30_per_order(engine: Engine) -> None:
    # C = 100 − 10 + 5 + 8 = 103; C + D = 113; 2% × 113 = 2.26; + 0.30 = 2.56
    q = engine.quote(order("tiktok-us", "2023-11-01T10:00:00", **US_ORDER))
    referral = line(q, "referral_fee")
    assert (referral.amount, referral.base, referral.rate, referral.fixed) == (
        Decimal("2.56"), Decimal("113.00"), Decimal("0.02"), Decimal("0.30"))
    assert referral.confidence == "third-party" and referral.rule == "TT-FEE-1"
    assert q.net == Decimal("97.44")  # 100 − 2.56: shipping, tax, discount pass through


def test_TT_FEE_1_nothing_is_published_before_2023_10_01(engine: Engine) -> None:
    error = gap(engine, order("tiktok-us", "2023-09-30T23:59:59", "100.00"))
    assert (error.figure, error.market, error.rule, error.key, error.state) == (
        "fees", "tiktok-us", "TT-FEE-1", "fee.charged", "not_yet")
    assert engine.quote(order("tiktok-us", "2023-10-01T00:00:00", "100.00")).total_fees == Decimal("2.30")


def test_TT_FEE_1_a_gap_is_dated_at_each_orders_own_date(engine: Engine) -> None:
    # both orders fall in the one policy slice before 2023-10-01; each error names its own day
    early = gap(engine, order("tiktok-us", "2023-01-05T10:00:00", "100.00"))
    late = gap(engine, order("tiktok-us", "2023-09-30T10:00:00", "100.00"))
    assert (str(early.on), str(late.on)) == ("2023-01-05", "2023-09-30")


def test_TT_FEE_1_both_sides_of_2024_04_01(engine: Engine) -> None:
    # before: 2% × (C + D = 113) + 0.30 = 2.56; from: 6% × (amount + H = 105) = 6.30, no fixed part
    before = engine.quote(order("tiktok-us", "2024-03-31T23:59:59", **US_ORDER))
    after = engine.quote(order("tiktok-us", "2024-04-01T00:00:00", **US_ORDER))
    assert fee_amounts(before) == {"referral_fee": Decimal("2.56")}
    assert fee_amounts(after) == {"referral_fee": Decimal("6.30")}
    assert line(after, "referral_fee").base == Decimal("105.00")
    assert line(after, "referral_fee").fixed is None
    assert line(after, "referral_fee").confidence == "official"
    assert line(after, "referral_fee").source == US_OFFICIAL


def test_TT_FEE_1_both_sides_of_2024_07_01(engine: Engine) -> None:
    # 6% × 105 = 6.30 on 2024-06-30; 8% × 105 = 8.40 from 2024-07-01 (third-party sources)
    before = engine.quote(order("tiktok-us", "2024-06-30T23:59:59", **US_ORDER))
    after = engine.quote(order("tiktok-us", "2024-07-01T00:00:00", **US_ORDER))
    assert fee_amounts(before) == {"referral_fee": Decimal("6.30")}
    assert fee_amounts(after) == {"referral_fee": Decimal("8.40")}
    assert line(after, "referral_fee").confidence == "third-party"
    trail = line(after, "referral_fee").trail
    assert trail is not None and trail.confidence == "third-party"
    assert "fitsmallbusiness.com" in line(after, "referral_fee").source


def test_TT_FEE_1_the_order_time_is_read_in_los_angeles(engine: Engine) -> None:
    # 2024-07-01T05:00Z is 2024-06-30 22:00 PDT: still 6% → 6.30
    q = engine.quote(order("tiktok-us", "2024-07-01T05:00:00Z", **US_ORDER))
    assert fee_amounts(q) == {"referral_fee": Decimal("6.30")}


def test_TT_FEE_1_the_referral_fee_on_the_refunded_share_is_returned(engine: Engine) -> None:
    # C = 100, R = 40: refunded share of the base 100 × 40/100 = 40; 8% × (100 − 40) = 4.80;
    # before 2025-05-15 there is no refund administration fee
    q = engine.quote(order("tiktok-us", "2024-08-01T10:00:00", "100.00", refunded="40.00"))
    assert fee_amounts(q) == {"referral_fee": Decimal("4.80")}
    assert line(q, "referral_fee").base == Decimal("60.00")


# --- TT-FEE-2: US refund administration fee ------------------------------------------------


def test_TT_FEE_2_20_percent_of_the_refunded_items_referral_fee(engine: Engine) -> None:
    # refunded share 40 → its referral fee 8% × 40 = 3.20 → 20% × 3.20 = 0.64; referral 4.80
    q = engine.quote(order("tiktok-us", "2025-06-01T10:00:00", "100.00", refunded="40.00"))
    assert fee_amounts(q) == {"referral_fee": Decimal("4.80"), "refund_admin_fee": Decimal("0.64")}
    admin = line(q, "refund_admin_fee")
    assert (admin.rule, admin.source, admin.confidence) == ("TT-FEE-2", US_OFFICIAL, "third-party")
    assert q.net == Decimal("94.56")  # 100 − 4.80 − 0.64


def test_TT_FEE_2_both_sides_of_2025_05_15(engine: Engine) -> None:
    before = engine.quote(order("tiktok-us", "2025-05-14T23:59:59", "100.00", refunded="40.00"))
    after = engine.quote(order("tiktok-us", "2025-05-15T00:00:00", "100.00", refunded="40.00"))
    assert "refund_admin_fee" not in fee_amounts(before)
    assert fee_amounts(after)["refund_admin_fee"] == Decimal("0.64")


def test_TT_FEE_2_at_most_usd_5_per_sku(engine: Engine) -> None:
    # full refund of 1,000.00: referral 8% × 0 = 0.00; refunded item's fee 8% × 1,000 = 80.00;
    # 20% = 16.00 → capped at 5.00 (one order record is one SKU, whatever its quantity)
    q = engine.quote(order("tiktok-us", "2025-06-01T10:00:00", "1000.00", refunded="1000.00", quantity=3))
    assert fee_amounts(q) == {"referral_fee": Decimal("0.00"), "refund_admin_fee": Decimal("5.00")}
    assert "capped at 5.00 per SKU" in (line(q, "refund_admin_fee").note or "")


@pytest.mark.parametrize("flag", ["creator_sample", "cancelled_before_shipping"])
def test_TT_FEE_2_none_for_creator_samples_nor_refunds_before_shipping_that_meet_auto_cancel(
        engine: Engine, flag: str) -> None:
    # "buy now, refund later" creator sample orders, and refunds before shipping that meet the
    # auto-cancel criteria, carry no refund administration fee; the referral fee is as usual
    q = engine.quote(order("tiktok-us", "2025-06-01T10:00:00", "100.00", refunded="40.00", **{flag: True}))
    assert fee_amounts(q) == {"referral_fee": Decimal("4.80")}
    assert q.net == Decimal("95.20")


def test_TT_FEE_2_the_exemptions_are_in_the_refund_administration_fees_trail(engine: Engine) -> None:
    q = engine.quote(order("tiktok-us", "2025-06-01T10:00:00", "100.00", refunded="40.00"))
    trail = line(q, "refund_admin_fee").trail
    assert trail is not None and trail.params["exempt_if"] == "creator_sample, cancelled_before_shipping"


def test_TT_FEE_2_no_refund_no_refund_administration_fee(engine: Engine) -> None:
    q = engine.quote(order("tiktok-us", "2025-06-01T10:00:00", "100.00"))
    assert fee_amounts(q) == {"referral_fee": Decimal("8.00")}


# --- TT-FEE-3: UK commission -------------------------------------------------------------

UK_EXAMPLE = {"amount": "90.00", "platform_discount": "10.00", "buyer_shipping": "5.00"}


def test_TT_FEE_3_uk_worked_example_8_55(engine: Engine) -> None:
    # price 100 − seller discount 10 = amount 90; platform discount 10, shipping 5:
    # base = amount + shipping = 95; 9% × 95 = 8.55
    q = engine.quote(order("tiktok-uk", "2024-10-01T12:00:00", **UK_EXAMPLE))
    commission = line(q, "commission")
    assert (commission.amount, commission.base, commission.rate) == (Decimal("8.55"), Decimal("95.00"),
                                                                      Decimal("0.09"))
    assert q.net == Decimal("81.45")


def test_TT_FEE_3_both_sides_of_2024_09_02(engine: Engine) -> None:
    # 5% × 95 = 4.75 until 2024-09-01 inclusive; 9% × 95 = 8.55 from 2024-09-02 00:00 London
    before = engine.quote(order("tiktok-uk", "2024-09-01T23:59:59", **UK_EXAMPLE))
    after = engine.quote(order("tiktok-uk", "2024-09-02T00:00:00", **UK_EXAMPLE))
    assert fee_amounts(before) == {"commission": Decimal("4.75")}
    assert fee_amounts(after) == {"commission": Decimal("8.55")}


def test_TT_FEE_3_the_order_time_is_read_in_london(engine: Engine) -> None:
    # 2024-09-01T23:30Z is 2024-09-02 00:30 BST: already 9% → 8.55
    q = engine.quote(order("tiktok-uk", "2024-09-01T23:30:00Z", **UK_EXAMPLE))
    assert fee_amounts(q) == {"commission": Decimal("8.55")}


def test_TT_FEE_3_the_base_is_less_refunds(engine: Engine) -> None:
    # 95 − 20 refunded = 75; 9% × 75 = 6.75
    q = engine.quote(order("tiktok-uk", "2024-10-01T12:00:00", **UK_EXAMPLE, refunded="20.00"))
    assert fee_amounts(q) == {"commission": Decimal("6.75")}


def test_TT_FEE_3_the_5_percent_starts_at_its_earliest_attestation_2023_10_24(engine: Engine) -> None:
    error = gap(engine, order("tiktok-uk", "2023-10-23T12:00:00", **UK_EXAMPLE))
    assert (error.rule, error.key, error.state) == ("TT-FEE-3", "fee.commission.rate", "not_yet")
    assert fee_amounts(engine.quote(order("tiktok-uk", "2023-10-24T00:00:00", **UK_EXAMPLE))) == {
        "commission": Decimal("4.75")}


def test_TT_FEE_3_rounds_half_up_to_the_penny(engine: Engine) -> None:
    # 5% × 0.10 = 0.005 → 0.01 (half-up, not half-even)
    q = engine.quote(order("tiktok-uk", "2024-01-10T12:00:00", "0.10"))
    assert fee_amounts(q) == {"commission": Decimal("0.01")}


# --- TT-FEE-4: Malaysia commission ------------------------------------------------------------

MY_ORDER = {"amount": "100.00", "buyer_shipping": "10.00"}
MY_CLUSTER = OVERRIDES / "tiktok-my-cluster-rate.toml"


def test_TT_FEE_4_2_12_percent_from_2023_03_01_10_00_myt(engine: Engine) -> None:
    # 2.12% × amount 100 = 2.12 (shipping is not in the commission base).  The transaction
    # fee is attested from 2023-08-14 only, so the commission is applied on its own here.
    early = gap(engine, order("tiktok-my", "2023-03-01T09:59:59", **MY_ORDER), "commission")
    assert (early.rule, early.key, early.state) == ("TT-FEE-4", "fee.commission.rate", "not_yet")
    [commission] = charge_lines(engine, order("tiktok-my", "2023-03-01T10:00:00", **MY_ORDER), "commission")
    assert (commission.amount, commission.base, commission.rule) == (Decimal("2.12"), Decimal("100.00"), "TT-FEE-4")


def test_TT_FEE_4_with_the_transaction_fee_from_2023_08_14(engine: Engine) -> None:
    # commission 2.12% × 100 = 2.12; transaction fee 2.12% × (C − R = 110) = 2.332 → 2.33
    q = engine.quote(order("tiktok-my", "2023-08-20T10:00:00", **MY_ORDER))
    assert fee_amounts(q) == {"commission": Decimal("2.12"), "transaction_fee": Decimal("2.33")}
    assert q.net == Decimal("95.55")  # 100 − 2.12 − 2.33


def test_TT_FEE_4_both_sides_of_the_cluster_rates_2023_09_01_10_00_myt(engine: Engine) -> None:
    before = engine.quote(order("tiktok-my", "2023-09-01T09:59:59", category="fashion", **MY_ORDER))
    assert fee_amounts(before)["commission"] == Decimal("2.12")
    error = gap(engine, order("tiktok-my", "2023-09-01T10:00:00", category="fashion", **MY_ORDER))
    # the cluster rates are TT-FEE-19 (revision of 2026-11-30)
    assert (error.rule, error.key, error.category) == ("TT-FEE-19", "fee.commission.rate.fashion", "fashion")
    assert "cluster table is not readable" in (error.detail or "")
    # the transaction fee stands: 2.12% × (C − R = 110) = 2.332 → 2.33
    assert fee_amounts(engine.quote(order("tiktok-my", "2023-09-01T10:00:00", category="fashion", **MY_ORDER))) == {
        "transaction_fee": Decimal("2.33")}


def test_TT_FEE_4_a_cluster_rate_from_an_override(engine: Engine) -> None:
    # the example file's (example) 5% for the fashion cluster: 5% × 100 = 5.00
    q = engine_with(MY_CLUSTER).quote(order("tiktok-my", "2024-01-15T10:00:00", category="fashion", **MY_ORDER))
    commission = line(q, "commission")
    assert (commission.amount, commission.rate, commission.confidence) == (Decimal("5.00"), Decimal("0.05"), "user")
    assert commission.trail is not None and "override" in commission.trail.layer


def test_TT_FEE_4_store_type_rate_marketplace_gold_jewellery_8_10(engine: Engine) -> None:
    # 8.10% × 100 = 8.10; transaction fee 3.78% × 110 = 4.158 → 4.16 (TT-FEE-5 revised: 3.78% from 2024-09-05)
    q = engine.quote(order("tiktok-my", "2025-08-20T10:00:00", store_type="marketplace", category="gold_jewellery",
                           **MY_ORDER))
    assert fee_amounts(q) == {"commission": Decimal("8.10"), "transaction_fee": Decimal("4.16")}


def test_TT_FEE_4_other_store_types_and_categories_are_a_gap(engine: Engine) -> None:
    mall = gap(engine, order("tiktok-my", "2025-08-20T10:00:00", store_type="mall", category="gold_jewellery",
                             **MY_ORDER))
    assert mall.key == "fee.commission.rate.mall.gold_jewellery"
    # the store-type regime starts 2024-09-05, the gold jewellery figure is attested from 2025
    early = gap(engine, order("tiktok-my", "2024-12-31T10:00:00", store_type="marketplace",
                              category="gold_jewellery", **MY_ORDER))
    assert early.key == "fee.commission.rate.marketplace.gold_jewellery"


def test_TT_FEE_4_store_type_is_required_and_checked(engine: Engine) -> None:
    missing = gap(engine, order("tiktok-my", "2025-08-20T10:00:00", category="gold_jewellery", **MY_ORDER))
    assert (missing.figure, missing.key) == ("commission", "fee.commission.rate.<store_type>.<category>")
    assert "gives no store_type" in (missing.detail or "")
    with pytest.raises(InputError) as unknown:
        engine.quote(order("tiktok-my", "2025-08-20T10:00:00", store_type="flagship", category="gold_jewellery",
                           **MY_ORDER))
    assert unknown.value.field == "store_type" and "mall, marketplace" in str(unknown.value)


def test_TT_FEE_4_the_commission_on_refunded_goods_is_returned(engine: Engine) -> None:
    # C = 110, R = 55: refunded share of the base 100 × 55/110 = 50; 2.12% × 50 = 1.06;
    # transaction fee 2.12% × (110 − 55) = 1.166 → 1.17
    q = engine.quote(order("tiktok-my", "2023-08-20T10:00:00", refunded="55.00", **MY_ORDER))
    assert fee_amounts(q) == {"commission": Decimal("1.06"), "transaction_fee": Decimal("1.17")}
    assert line(q, "commission").base == Decimal("50.00")


# --- TT-FEE-5: Malaysia transaction fee -----------------------------------------------------


def test_TT_FEE_5_both_sides_of_the_sst_change_2024_03_01(engine: Engine) -> None:
    # transaction fee on C − R = 110: 2.12% = 2.332 → 2.33 until 2024-02-29; 2.16% = 2.376 → 2.38
    # from 2024-03-01 (SST 6% → 8%).  The cluster commission comes from the override.
    mine = engine_with(MY_CLUSTER)
    before = mine.quote(order("tiktok-my", "2024-02-29T23:59:59", category="fashion", **MY_ORDER))
    after = mine.quote(order("tiktok-my", "2024-03-01T00:00:00", category="fashion", **MY_ORDER))
    assert fee_amounts(before) == {"commission": Decimal("5.00"), "transaction_fee": Decimal("2.33")}
    assert fee_amounts(after) == {"commission": Decimal("5.00"), "transaction_fee": Decimal("2.38")}
    assert line(after, "transaction_fee").rule == "TT-FEE-5"
    assert "marketing-interactive.com" in line(after, "transaction_fee").source


def test_TT_FEE_5_the_transaction_fee_is_attested_from_2023_08_14(engine: Engine) -> None:
    error = gap(engine, order("tiktok-my", "2023-08-13T23:59:59", **MY_ORDER))
    assert (error.figure, error.rule, error.key, error.state) == (
        "transaction_fee", "TT-FEE-5", "fee.transaction_fee.rate", "not_yet")
    # the commission stands: 2.12% × amount 100 = 2.12
    assert fee_amounts(engine.quote(order("tiktok-my", "2023-08-13T23:59:59", **MY_ORDER))) == {
        "commission": Decimal("2.12")}


# --- TT-FEE-6: Singapore commission -------------------------------------------------------------

SG_ORDER = {"amount": "450.00", "buyer_shipping": "80.00"}
SG_SUBCATEGORY = OVERRIDES / "tiktok-sg-subcategory-rate.toml"


def test_TT_FEE_6_flat_1_percent_from_2023_09_15_00_00_sgt(engine: Engine) -> None:
    # 1% × amount 450 = 4.50 (GST included).  No transaction fee is published for 2023-2024,
    # so the commission is applied on its own.
    early = gap(engine, order("tiktok-sg", "2023-09-14T23:59:59", **SG_ORDER), "commission")
    assert (early.rule, early.state) == ("TT-FEE-6", "gap")  # a declared gap: none found before
    [commission] = charge_lines(engine, order("tiktok-sg", "2023-09-15T00:00:00", **SG_ORDER), "commission")
    assert (commission.amount, commission.rule, commission.confidence) == (Decimal("4.50"), "TT-FEE-6",
                                                                           "third-party")


def test_TT_FEE_6_sub_category_rates_from_2025_are_a_gap(engine: Engine) -> None:
    # 3.27% × 450 = 14.715 → 14.72 on the last day of the 2024-09-01 rates (TT-FEE-6 revised)
    [last] = charge_lines(engine, order("tiktok-sg", "2024-12-31T23:59:59", category="t_shirts", **SG_ORDER),
                          "commission")
    assert last.amount == Decimal("14.72")
    error = gap(engine, order("tiktok-sg", "2025-01-01T00:00:00", category="t_shirts", **SG_ORDER))
    assert (error.rule, error.key, error.category) == ("TT-FEE-6", "fee.commission.rate.t_shirts", "t_shirts")


def test_TT_FEE_6_a_2024_quote_has_both_fees(engine: Engine) -> None:
    # TT-FEE-6 and -7 revised: commission 2.18% × 450 = 9.81; transaction fee 2.18% × 530 = 11.554 → 11.55
    q = engine.quote(order("tiktok-sg", "2024-06-01T10:00:00", **SG_ORDER))
    assert fee_amounts(q) == {"commission": Decimal("9.81"), "transaction_fee": Decimal("11.55")}


# --- TT-FEE-7: Singapore transaction fee -----------------------------------------------------------


def test_TT_FEE_7_singapore_worked_example_11_55_with_a_sub_category_override(engine: Engine) -> None:
    # item 500 − seller discount 50 = amount 450; shipping 80: (450 + 80) × 2.18% = 11.554 → 11.55;
    # commission (override, T-shirts 4.905%): 450 × 4.905% = 22.0725 → 22.07
    q = engine_with(SG_SUBCATEGORY).quote(order("tiktok-sg", "2025-06-01T10:00:00", category="t_shirts", **SG_ORDER))
    assert fee_amounts(q) == {"commission": Decimal("22.07"), "transaction_fee": Decimal("11.55")}
    fee = line(q, "transaction_fee")
    assert (fee.base, fee.rate, fee.rule) == (Decimal("530.00"), Decimal("0.0218"), "TT-FEE-7")
    assert line(q, "commission").confidence == "user"
    assert q.net == Decimal("416.38")  # 450 − 22.07 − 11.55


# --- TT-FEE-8: Thailand Commerce Growth Fee -----------------------------------------------------------
# Its own fee code, commerce_growth_fee, beside the Marketplace commission (TT-FEE-13), as Thai
# statements show both.  The commission is a gap from 2025-10-01 (its tables are not readable),
# so the growth fee, attested from 2026-11-23, is applied on its own.

CGF = "commerce_growth_fee"


def test_TT_FEE_8_thai_worked_example_900_57_78(engine: Engine) -> None:
    # 6.42% × 900 = 57.78
    [fee] = charge_lines(engine, order("tiktok-th", "2026-11-23T10:00:00", "900.00", category="fashion"), CGF)
    assert (fee.amount, fee.rate, fee.rule, fee.source, fee.confidence) == (
        Decimal("57.78"), Decimal("0.0642"), "TT-FEE-8", TH_OFFICIAL, "official")
    assert "Commerce Growth Fee" in (fee.note or "")


def test_TT_FEE_8_electronics_20000_is_1070_capped_at_199(engine: Engine) -> None:
    # 5.35% × 20,000 = 1,070 > 199 × 1 → 199.00
    [fee] = charge_lines(engine, order("tiktok-th", "2026-11-23T10:00:00", "20000.00", category="electronics"), CGF)
    assert (fee.amount, fee.rate) == (Decimal("199.00"), Decimal("0.0535"))
    assert "capped at 199.00 × 1" in (fee.note or "")


@pytest.mark.parametrize(("quantity", "expected"), [
    (3, "597.00"),   # cap 199 × 3 = 597 < 1,070
    (6, "1070.00"),  # cap 199 × 6 = 1,194 > 1,070: not capped
])
def test_TT_FEE_8_the_cap_is_per_unit(engine: Engine, quantity: int, expected: str) -> None:
    [fee] = charge_lines(engine, order("tiktok-th", "2026-11-23T10:00:00", "20000.00", category="electronics",
                                       quantity=quantity), CGF)
    assert fee.amount == Decimal(expected)


def test_TT_FEE_8_the_growth_fee_is_not_refunded(engine: Engine) -> None:
    # a full refund of 900 leaves 6.42% × 900 = 57.78
    [fee] = charge_lines(engine, order("tiktok-th", "2026-11-23T10:00:00", "900.00", category="fashion",
                                       refunded="900.00"), CGF)
    assert (fee.amount, fee.base) == (Decimal("57.78"), Decimal("900.00"))


def test_TT_FEE_8_needs_the_category(engine: Engine) -> None:
    # 5.35% for the electronics cluster, 6.42% for the rest: without a category, a gap naming it
    found = gap(engine, order("tiktok-th", "2026-11-23T10:00:00", "900.00"), CGF)
    assert found.key == f"fee.{CGF}.rate.<category>" and "gives no category" in (found.detail or "")
    assert "electronics" in (found.detail or "")
    assert (found.low, found.high) == (Decimal("0.0535"), Decimal("0.0642"))
    assert (found.low_amount, found.high_amount) == (Decimal("48.15"), Decimal("57.78"))  # 900 × each


def test_TT_FEE_8_the_undated_page_is_in_force_from_the_day_it_was_read(engine: Engine) -> None:
    early = gap(engine, order("tiktok-th", "2026-11-22T23:59:59", "900.00", category="fashion"), CGF)
    assert (early.rule, early.key, early.state) == ("TT-FEE-8", "fee.commerce_growth_fee.rate", "not_yet")


# --- TT-FEE-9: Thailand cross-border transaction fee -------------------------------------------

TH_CROSS_BORDER: dict[str, Any] = {"amount": "1000.00", "platform_discount": "100.00", "buyer_shipping": "50.00",
                   "refunded": "200.00", "store_type": "marketplace", "category": "guitars",
                   "seller_type": "cross_border"}


@pytest.fixture(scope="module")
def th_march_2026(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The growth fee is attested from 2026-11-23 only and the 2025-10-01 commission table is
    not readable: a seller's statement supplies both for March 2026 (the growth fee page's
    6.42%, the commission page's guitar example, 7.49%), so a whole quote can be made then."""
    folder = tmp_path_factory.mktemp("th")
    growth = user_value(folder / "cgf.toml", "tiktok-th", "TT-FEE-8", "fee.commerce_growth_fee.rate", "0.0642",
                        source="TT-FEE-8 (the shop's statement for March 2026: 6.42%, as the page)",
                        effective_from="2026-03-01", effective_to="2026-11-22")
    commission = user_value(folder / "commission.toml", "tiktok-th", "TT-FEE-13",
                            "fee.commission.rate.marketplace.guitars", "0.0749",
                            source="TT-FEE-13 (the shop's statement for March 2026: guitars 7.49%)",
                            effective_from="2026-03-01", effective_to="2026-11-22")
    return Engine(policy_files=[str(growth), str(commission)])


#: The commission on the goods not refunded: C = 1000 − 100 + 50 = 950, R = 200; refunded share
#: 1,000 × 200/950 = 210.53; 7.49% × 789.47 = 59.13.  Growth fee (not refunded): 6.42% × 1,000 = 64.20.
TH_OTHER_FEES = {"commission": Decimal("59.13"), "commerce_growth_fee": Decimal("64.20")}


def test_TT_FEE_9_both_sides_of_the_base_change_2026_03_21_bangkok(th_march_2026: Engine) -> None:
    # Before: C − R = 950 − 200 = 750; 3.21% × 750 = 24.075 → 24.08.
    # From 2026-03-21 00:00: C + D = 950 + 100 = 1,050; 3.21% × 1,050 = 33.705 → 33.71.
    before = th_march_2026.quote(order("tiktok-th", "2026-03-20T23:59:59", **TH_CROSS_BORDER))
    after = th_march_2026.quote(order("tiktok-th", "2026-03-21T00:00:00", **TH_CROSS_BORDER))
    assert fee_amounts(before) == {**TH_OTHER_FEES, "transaction_fee": Decimal("24.08")}
    assert fee_amounts(after) == {**TH_OTHER_FEES, "transaction_fee": Decimal("33.71")}
    assert (line(before, "transaction_fee").base, line(after, "transaction_fee").base) == (Decimal("750.00"),
                                                                                           Decimal("1050.00"))
    assert line(after, "transaction_fee").confidence == "third-party"


def test_TT_FEE_9_the_base_change_is_at_midnight_in_bangkok(th_march_2026: Engine) -> None:
    # 2026-03-20T17:00Z is 2026-03-21 00:00 in Bangkok (UTC+7): C + D → 33.71
    q = th_march_2026.quote(order("tiktok-th", "2026-03-20T17:00:00Z", **TH_CROSS_BORDER))
    assert fee_amounts(q)["transaction_fee"] == Decimal("33.71")


def test_TT_FEE_9_only_cross_border_sellers_pay_it(th_march_2026: Engine) -> None:
    local = {**TH_CROSS_BORDER, "seller_type": None}
    q = th_march_2026.quote(order("tiktok-th", "2026-03-21T00:00:00", **local))
    assert fee_amounts(q) == TH_OTHER_FEES


def test_TT_FEE_9_before_its_attestation_on_2026_03_05_only_cross_border_orders_stop(th_march_2026: Engine) -> None:
    error = gap(th_march_2026, order("tiktok-th", "2026-03-04T23:59:59", **TH_CROSS_BORDER))
    assert (error.figure, error.rule, error.key, error.state) == (
        "transaction_fee", "TT-FEE-9", "fee.transaction_fee.rate", "not_yet")
    # the other fees of a cross-border order stand
    assert fee_amounts(th_march_2026.quote(order("tiktok-th", "2026-03-04T23:59:59", **TH_CROSS_BORDER))) == \
        TH_OTHER_FEES
    local = {**TH_CROSS_BORDER, "seller_type": None}
    assert fee_amounts(th_march_2026.quote(order("tiktok-th", "2026-03-04T23:59:59", **local))) == TH_OTHER_FEES


# --- TT-FEE-10: Indonesia commission and VAT ----------------------------------------------------

#: The June 2023 table as the catalogue lists it (keys are the catalogue's).
JUNE_2023 = {
    "phones_electronics": "0.019", "home_appliances": "0.019", "electronics_accessories": "0.043",
    "computers_office": "0.027", "virtual_products": "0.01", "books_magazines_music": "0.043", "beauty": "0.043",
    "personal_care": "0.043", "health": "0.036", "food_beverages": "0.027", "liquor_beverages": "0.027",
    "mother_baby": "0.027", "fashion_kids": "0.043", "home_supplies": "0.036", "kitchenware": "0.036",
    "furniture": "0.036", "textiles_soft_furnishings": "0.036", "pet_supplies": "0.027", "collectibles": "0.032",
    "toys_hobbies": "0.032", "home_improvement": "0.036", "automotive_motorcycle": "0.036", "tools_hardware": "0.036",
}


def test_TT_FEE_10_until_2023_05_31_1_percent_plus_idr_2000(engine: Engine) -> None:
    # 1% × 100,000 = 1,000; + 2,000 per order = 3,000 (any category)
    q = engine.quote(order("tiktok-id", "2023-05-31T23:59:59", "100000", category="beauty"))
    fee = line(q, "commission")
    assert (fee.amount, fee.rate, fee.fixed) == (Decimal("3000"), Decimal("0.01"), Decimal("2000"))


def test_TT_FEE_10_both_sides_of_the_june_table_2023_06_01_09_00_wib(engine: Engine) -> None:
    # 1% + 2,000 = 3,000 ends 2023-05-31 (TT-FEE-10 revised); 00:00-09:00 is a gap; from 09:00 beauty
    # 4.3% × 100,000 = 4,300, no per-order part
    before = engine.quote(order("tiktok-id", "2023-05-31T23:59:59", "100000", category="beauty"))
    after = engine.quote(order("tiktok-id", "2023-06-01T09:00:00", "100000", category="beauty"))
    assert fee_amounts(before) == {"commission": Decimal("3000")}
    assert fee_amounts(after) == {"commission": Decimal("4300")}
    for placed in ("2023-06-01T00:00:00", "2023-06-01T08:59:59"):
        error = gap(engine, order("tiktok-id", placed, "100000", category="beauty"))
        assert (error.rule, error.key, error.state) == ("TT-FEE-10", "fee.commission.rate", "gap")
    assert line(after, "commission").fixed is None


@pytest.mark.parametrize(("category", "rate"), sorted(JUNE_2023.items()))
def test_TT_FEE_10_the_june_2023_table(engine: Engine, category: str, rate: str) -> None:
    # 100,000 × rate, whole rupiah (e.g. 4.3% → 4,300; 1% → 1,000)
    q = engine.quote(order("tiktok-id", "2023-07-01T10:00:00", "100000", category=category))
    assert line(q, "commission").rate == Decimal(rate)
    assert line(q, "commission").amount == Decimal(100000) * Decimal(rate)


def test_TT_FEE_10_the_june_table_ends_2023_08_31(engine: Engine) -> None:
    last = engine.quote(order("tiktok-id", "2023-08-31T23:59:59", "100000", category="beauty"))
    assert fee_amounts(last) == {"commission": Decimal("4300")}
    error = gap(engine, order("tiktok-id", "2023-09-01T00:00:00", "100000", category="beauty"))
    assert (error.rule, error.key) == ("TT-FEE-10", "fee.commission.rate.beauty")
    assert "jewellery 1.9%" in (error.detail or "")  # the gap names both tables (TT-FEE-10 revised)
    # the September list is shipped from the reopening, 2023-12-12: jewellery 1.9% → 1,900
    assert gap(engine, order("tiktok-id", "2023-09-01T00:00:00", "100000", category="jewellery")).key == \
        "fee.commission.rate.jewellery"
    assert fee_amounts(engine.quote(order("tiktok-id", "2023-12-12T00:00:00", "100000", category="jewellery"))) == {
        "commission": Decimal("1900")}


def test_TT_FEE_10_vat_worked_example_2220_with_an_override_rate(engine: Engine, tmp_path: Path) -> None:
    # 100,000 at 2% → commission 2,000; VAT 2,000 × 11/12 × 12% = 220; 2,000 + 220 = 2,220
    path = user_value(tmp_path / "id.toml", "tiktok-id", "TT-FEE-10", "fee.commission.rate.beauty", "0.02",
                      source="TT-FEE-10 (the shop's fee schedule: 2%, the guide's example rate)",
                      effective_from="2025-03-06")
    q = engine_with(path).quote(order("tiktok-id", "2025-06-01T10:00:00", "100000", category="beauty"))
    assert fee_amounts(q) == {"commission": Decimal("2000"), "commission_vat": Decimal("220")}
    assert q.total_fees == Decimal("2220")
    vat = line(q, "commission_vat")
    assert (vat.rule, vat.base, vat.rate, vat.confidence) == ("TT-FEE-10", Decimal("2000"), Decimal("0.12"), "user")
    assert "12060130739970" in vat.source


def test_TT_FEE_10_both_sides_of_the_vat_guide_2025_03_06(engine: Engine, tmp_path: Path) -> None:
    # a seller's jewellery rate of 1.9% (the 2024-09-01 table is a gap: TT-FEE-10 revised):
    # 1.9% × 100,000 = 1,900; from 2025-03-06 VAT 1,900 × 11 × 0.12 / 12 = 209 on top
    path = user_value(tmp_path / "id.toml", "tiktok-id", "TT-FEE-10", "fee.commission.rate.jewellery", "0.019",
                      source="TT-FEE-10 (the shop's fee schedule: 1.9%)", effective_from="2024-09-01")
    mine = engine_with(path)
    before = mine.quote(order("tiktok-id", "2025-03-05T23:59:59", "100000", category="jewellery"))
    after = mine.quote(order("tiktok-id", "2025-03-06T00:00:00", "100000", category="jewellery"))
    assert fee_amounts(before) == {"commission": Decimal("1900")}
    assert fee_amounts(after) == {"commission": Decimal("1900"), "commission_vat": Decimal("209")}


def test_TT_FEE_10_the_10_percent_marketplace_rate_is_cut_to_8_from_2025_10_01_to_2026_02_10(engine: Engine) -> None:
    # 10% × (1 − 20%) = 8%: 8,000; VAT 8,000 × 11/12 × 12% = 880; Rp1,250 per order (TT-FEE-15)
    first = engine.quote(order("tiktok-id", "2025-10-01T00:00:00", "100000", category="marketplace_10pct"))
    last = engine.quote(order("tiktok-id", "2026-02-10T23:59:59", "100000", category="marketplace_10pct"))
    for q in (first, last):
        assert fee_amounts(q) == {"commission": Decimal("8000"), "commission_vat": Decimal("880"),
                                  "order_processing_fee": Decimal("1250")}
        assert line(q, "commission").rate == Decimal("0.08")
        assert line(q, "commission").confidence == "derived"  # an official rate on the derived SEA base
    for placed in ("2025-09-30T23:59:59", "2026-02-11T00:00:00"):
        error = gap(engine, order("tiktok-id", placed, "100000", category="marketplace_10pct"), "commission")
        assert error.key == "fee.commission.rate.marketplace_10pct"


def test_TT_FEE_10_a_seller_supplied_10_percent_rate_gets_the_discount(engine: Engine, tmp_path: Path) -> None:
    # a seller's own sub-category at the 10% Marketplace rate the promotion names
    path = user_value(tmp_path / "id.toml", "tiktok-id", "TT-FEE-10", "fee.commission.rate.fashion_women", "0.10",
                      source="TT-FEE-10 (the shop's fee schedule: 10% Marketplace rate)")
    q = engine_with(path).quote(order("tiktok-id", "2025-12-01T10:00:00", "100000", category="fashion_women"))
    assert fee_amounts(q) == {"commission": Decimal("8000"), "commission_vat": Decimal("880"),
                              "order_processing_fee": Decimal("1250")}


def test_TT_FEE_10_from_2026_02_13_categories_outside_the_table_pay_6_97_tax_included(engine: Engine) -> None:
    # 6.97% × 100,000 = 6,970, no VAT line (the rate includes it)
    q = engine.quote(order("tiktok-id", "2026-02-13T00:00:00", "100000", category="unlisted"))
    assert fee_amounts(q) == {"commission": Decimal("6970"), "order_processing_fee": Decimal("1250")}
    assert line(q, "commission").confidence == "derived"  # an official rate on the derived SEA base
    error = gap(engine, order("tiktok-id", "2026-02-13T00:00:00", "100000", category="jewellery"), "commission")
    assert error.key == "fee.commission.rate.jewellery" and "2026 published category table" in (error.detail or "")
    # 2026-02-11..12 is in neither window (TT-FEE-10 revised): a gap even for category unlisted
    assert "in neither window" in (gap(engine, order("tiktok-id", "2026-02-12T23:59:59", "100000",
                                                     category="unlisted"), "commission").detail or "")


def test_TT_FEE_10_rounds_to_whole_rupiah_half_up(engine: Engine) -> None:
    # 4.3% × 3,500 = 150.5 → 151 (half-up; half-even would give 150)
    q = engine.quote(order("tiktok-id", "2023-07-01T10:00:00", "3500", category="beauty"))
    assert fee_amounts(q) == {"commission": Decimal("151")}
    # 1% × 150 = 1.5 → 2, + 2,000 per order = 2,002 (on 2023-05-31, the one day it is attested)
    q = engine.quote(order("tiktok-id", "2023-05-31T10:00:00", "150", category="beauty"))
    assert fee_amounts(q) == {"commission": Decimal("2002")}


def test_TT_FEE_10_the_commission_on_refunded_goods_is_returned(engine: Engine) -> None:
    # C = 100,000, R = 25,000: refunded share 25,000; 4.3% × 75,000 = 3,225
    q = engine.quote(order("tiktok-id", "2023-07-01T10:00:00", "100000", category="beauty", refunded="25000"))
    assert fee_amounts(q) == {"commission": Decimal("3225")}


# --- TT-FEE-11: Philippines commission ----------------------------------------------------------


def test_TT_FEE_11_the_cluster_table_from_2024_01_15_is_a_gap(engine: Engine) -> None:
    error = gap(engine, order("tiktok-ph", "2024-06-01T10:00:00", "100.00", category="beauty"))
    assert (error.rule, error.key, error.category) == ("TT-FEE-11", "fee.commission.rate.beauty", "beauty")
    assert "table is not readable" in (error.detail or "") and "VAT excluded" in (error.detail or "")
    no_category = gap(engine, order("tiktok-ph", "2024-06-01T10:00:00", "100.00"))
    assert no_category.key == "fee.commission.rate.<category>"


def test_TT_FEE_11_a_new_shop_that_completed_the_missions_pays_0_percent(engine: Engine) -> None:
    # commission 0%; the transaction fee (TT-FEE-11 revised) 2.24% × 100 = 2.24
    q = engine.quote(order("tiktok-ph", "2024-06-01T10:00:00", "100.00", category="beauty", new_shop=True))
    assert fee_amounts(q) == {"commission": Decimal("0.00"), "transaction_fee": Decimal("2.24")}
    assert q.net == Decimal("97.76")


def test_TT_FEE_11_the_new_shop_rate_starts_2024_01_15(engine: Engine) -> None:
    error = gap(engine, order("tiktok-ph", "2024-01-14T23:59:59", "100.00", new_shop=True))
    assert (error.rule, error.key) == ("TT-FEE-11", "fee.commission.rate.<category>")


# --- TT-FEE-12: Vietnam payment fee -------------------------------------------------------------

VN_COMMISSION = OVERRIDES / "tiktok-vn-commission.toml"


def test_TT_FEE_12_payment_fee_4_percent_of_c_minus_r(engine: Engine) -> None:
    # C = 100,000 + 20,000 shipping = 120,000; 4% × 120,000 = 4,800.  With R = 20,000:
    # 4% × 100,000 = 4,000.  (The commission is a gap: the payment fee is applied on its own.)
    [fee] = charge_lines(engine, order("tiktok-vn", "2024-07-16T10:00:00", "100000", buyer_shipping="20000"),
                         "payment_fee")
    assert (fee.amount, fee.base, fee.rule, fee.confidence) == (Decimal("4800"), Decimal("120000"), "TT-FEE-12",
                                                                "third-party")
    [refunded] = charge_lines(engine, order("tiktok-vn", "2024-07-16T10:00:00", "100000", buyer_shipping="20000",
                                            refunded="20000"), "payment_fee")
    assert refunded.amount == Decimal("4000")


def test_TT_FEE_12_a_whole_quote_with_the_example_commission(engine: Engine) -> None:
    # example commission 5% × 100,000 = 5,000; payment fee 5% × 120,000 = 6,000 (official, from 2024-07-17)
    q = engine_with(VN_COMMISSION).quote(order("tiktok-vn", "2024-08-01T10:00:00", "100000", buyer_shipping="20000"))
    assert fee_amounts(q) == {"commission": Decimal("5000"), "payment_fee": Decimal("6000")}
    assert "seller-vn.tiktok.com" in line(q, "payment_fee").source  # the official rate (its C − R base is third-party)


def test_TT_FEE_12_rounds_to_whole_dong_half_up(engine: Engine) -> None:
    # 4% × 12,345 = 493.8 → 494
    [fee] = charge_lines(engine, order("tiktok-vn", "2024-07-16T10:00:00", "12345"), "payment_fee")
    assert fee.amount == Decimal("494")


def test_TT_FEE_12_the_vietnamese_commission_is_a_gap(engine: Engine) -> None:
    # every period of the Vietnamese commission is a gap (TT-FEE-21, revision of 2026-11-30)
    error = gap(engine, order("tiktok-vn", "2024-08-01T10:00:00", "100000"))
    assert (error.rule, error.key) == ("TT-FEE-21", "fee.commission.rate")
