"""The catalogue revision of 2026-11-30 (rules-catalogue.md, last section): one group of
tests per rule id, named after it.

Each source's worked example is reproduced to the minor unit, and both sides of every
dated switch are tested, at the last instant before it and the first instant of it, in
the market's own time zone (a start date without a time is 00:00 local).  Where the
revision says a period is a gap, the test asserts the gap's rule and key and what the
sources say about the missing rate: its range (``low``, ``high``) or its unconfirmed
``candidate``, with their source.

Every gap is read from the quote through :func:`fee_gap` (``quote.gaps``, with the
quote incomplete and its net unknown), and every fee line of an order that has a gap
elsewhere through :func:`fee_line`: the other figures of the order stand.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from shoppolicy import Engine, FeeLine, Gap, InputError, PolicyGapError
from shoppolicy.policy import Entry, load_policy_file

from .test_fees import CURRENCY, OVERRIDES


def order(market: str, placed_at: str, amount: str, **fields: Any) -> dict[str, Any]:
    """An order record of ``market`` in its currency (fields left as None are left out)."""
    record = {"order_id": "r2", "market": market, "amount": amount, "currency": CURRENCY[market],
              "placed_at": placed_at, **fields}
    return {k: v for k, v in record.items() if v is not None}


@attrs.frozen
class FeeGap:
    """A fee's policy gap as the quote carries it: the rule, the key and the date, and
    what the sources do say (the published range, the unconfirmed candidate, their source)."""

    gap: Gap
    #: The ``[[gaps]]`` entry behind it (its own key's, else the nearest wildcard's).
    entry: Entry | None = None

    @property
    def rule(self) -> str:
        return self.gap.rule

    @property
    def key(self) -> str:
        return self.gap.key

    @property
    def detail(self) -> str:
        return self.gap.detail or ""

    @property
    def range(self) -> tuple[Decimal, Decimal] | None:
        if self.gap.low is None or self.gap.high is None:
            return None
        return self.gap.low, self.gap.high

    @property
    def candidate(self) -> Decimal | None:
        return self.gap.candidate

    @property
    def source(self) -> str:
        return self.gap.source or ""


def fee_gap(engine: Engine, record: dict[str, Any], code: str) -> FeeGap:
    """The policy gap of fee ``code`` on ``record`` (a whole fee list that is a gap counts
    for every fee); the quote is incomplete and its net unknown."""
    quote = engine.quote(record)
    found = [g for g in quote.gaps if g.figure in (code, "fees")]
    assert len(found) == 1, f"{record['market']} {record['placed_at']}: gaps {quote.gaps}, none or several for {code}"
    assert not quote.complete and quote.net is None
    return FeeGap(found[0], _gap_entry(engine, record, found[0].key))


def _gap_entry(engine: Engine, record: dict[str, Any], key: str) -> Entry | None:
    """The ``[[gaps]]`` entry in force for ``key``: its own, else the nearest wildcard
    (``fee.commission.rate.marketplace.fashion`` → ``…rate.marketplace.*`` → ``…rate.*``)."""
    view = engine.view(record["market"], record["placed_at"])
    parts = key.split(".")
    for candidate in [key] + [".".join(parts[:n]) + ".*" for n in range(len(parts) - 1, 2, -1)]:
        found = view.state(candidate)
        if found.state == "gap" and found.entry is not None and found.entry.is_gap:
            return found.entry
    return None


def fee_line(engine: Engine, record: dict[str, Any], code: str) -> FeeLine:
    """The fee line ``code`` of ``record``, which stands even when another fee is a gap."""
    [found] = [f for f in engine.quote(record).fees if f.code == code]
    return found


def amounts(engine: Engine, record: dict[str, Any]) -> dict[str, Decimal]:
    """The fee lines of a complete quote."""
    return {f.code: f.amount for f in engine.quote(record).fees}


def entry_of(engine: Engine, record: dict[str, Any], key: str) -> Entry:
    """The value in force for ``key`` on the order's date (its source, confidence, retrieved)."""
    entry = engine.view(record["market"], record["placed_at"]).optional(key)
    assert entry is not None, key
    return entry


# --- TT-FEE-5: Malaysia transaction fee 2.12% → 2.16% → 3.78% ---------------------------------

#: C − R = 1,000: amount 1,100 + shipping 100 − refund 200 (a base of what the buyer kept paying).
MY_C_MINUS_R_1000 = {"buyer_shipping": "100.00", "refunded": "200.00"}
THESTAR = "https://www.thestar.com.my/tech/2024/08/22/"


def test_TT_FEE_5_c_minus_r_1000_is_21_60_on_2024_09_04_and_37_80_on_2024_09_05(engine: Engine) -> None:
    # 2.16% × 1,000 = 21.60 until 2024-09-04 inclusive; 3.78% × 1,000 = 37.80 from 2024-09-05 00:00 MYT
    before = fee_line(engine, order("tiktok-my", "2024-09-04T23:59:59", "1100.00", **MY_C_MINUS_R_1000),
                      "transaction_fee")
    after = fee_line(engine, order("tiktok-my", "2024-09-05T00:00:00", "1100.00", **MY_C_MINUS_R_1000),
                     "transaction_fee")
    assert (before.base, before.rate, before.amount) == (Decimal("1000.00"), Decimal("0.0216"), Decimal("21.60"))
    assert (after.base, after.rate, after.amount) == (Decimal("1000.00"), Decimal("0.0378"), Decimal("37.80"))
    assert (after.rule, after.confidence) == ("TT-FEE-5", "third-party") and THESTAR in after.source


def test_TT_FEE_5_the_3_78_percent_starts_at_00_00_myt(engine: Engine) -> None:
    # the start time is an Interpretation (the source gives the day only), recorded with the value
    record = order("tiktok-my", "2024-09-05T00:00:00", "1000.00")
    assert "00:00 MYT" in (entry_of(engine, record, "fee.transaction_fee.rate").interpretation or "")
    assert str(entry_of(engine, record, "fee.transaction_fee.rate").retrieved) == "2026-11-30"


def test_TT_FEE_5_both_sides_of_the_sst_change_2024_03_01(engine: Engine) -> None:
    # 2.12% × 1,000 = 21.20 until 2024-02-29; 2.16% × 1,000 = 21.60 from 2024-03-01 (SST 6% → 8%)
    before = fee_line(engine, order("tiktok-my", "2024-02-29T23:59:59", "1000.00"), "transaction_fee")
    after = fee_line(engine, order("tiktok-my", "2024-03-01T00:00:00", "1000.00"), "transaction_fee")
    assert (before.amount, after.amount) == (Decimal("21.20"), Decimal("21.60"))


# --- TT-FEE-6: Singapore commission ------------------------------------------------------------

SG_900 = {"category": "womenswear"}  # a category the 2024-09-01 notice keeps at 3.27%


def test_TT_FEE_6_before_2023_09_15_is_a_gap(engine: Engine) -> None:
    found = fee_gap(engine, order("tiktok-sg", "2023-09-14T23:59:59", "900.00"), "commission")
    assert (found.rule, found.key, found.gap.state) == ("TT-FEE-6", "fee.commission.rate", "gap")
    assert "mid-June 2022" in found.detail


def test_TT_FEE_6_1_percent_from_2023_09_15_00_00_sgt_to_2023_12_31(engine: Engine) -> None:
    # 1.00% × 900 = 9.00 (8% GST included); the transaction fee is a gap before 2023-12-18
    first = fee_line(engine, order("tiktok-sg", "2023-09-15T00:00:00", "900.00"), "commission")
    last = fee_line(engine, order("tiktok-sg", "2023-12-31T23:59:59", "900.00"), "commission")
    assert (first.amount, last.amount) == (Decimal("9.00"), Decimal("9.00"))
    assert first.rate == Decimal("0.01") and first.rule == "TT-FEE-6"


def test_TT_FEE_6_900_at_2_18_percent_is_19_62_from_2024_01_01(engine: Engine) -> None:
    # commission 900 × 2.18% = 19.62; transaction fee 2.18% × (C − R = 900) = 19.62
    q = engine.quote(order("tiktok-sg", "2024-01-01T00:00:00", "900.00"))
    assert {f.code: f.amount for f in q.fees} == {"commission": Decimal("19.62"), "transaction_fee": Decimal("19.62")}
    assert q.net == Decimal("860.76")  # 900 − 19.62 − 19.62
    assert "tkzyw.com" in next(f for f in q.fees if f.code == "commission").source


def test_TT_FEE_6_900_at_3_27_percent_is_29_43_from_2024_09_01(engine: Engine) -> None:
    # 2024-08-31: 2.18% × 900 = 19.62 for every category; from 2024-09-01: 3.27% × 900 = 29.43
    before = amounts(engine, order("tiktok-sg", "2024-08-31T23:59:59", "900.00", **SG_900))
    after = amounts(engine, order("tiktok-sg", "2024-09-01T00:00:00", "900.00", **SG_900))
    assert before == {"commission": Decimal("19.62"), "transaction_fee": Decimal("19.62")}
    assert after == {"commission": Decimal("29.43"), "transaction_fee": Decimal("19.62")}


@pytest.mark.parametrize("category", ["household_appliances", "computers_office_equipment", "phones_electronics"])
def test_TT_FEE_6_three_categories_stay_at_2_18_percent(engine: Engine, category: str) -> None:
    # an RC car line of 2,000 at 2.18% = 43.60 (the source's second line, our arithmetic)
    line = fee_line(engine, order("tiktok-sg", "2024-09-01T00:00:00", "2000.00", category=category), "commission")
    assert (line.rate, line.amount) == (Decimal("0.0218"), Decimal("43.60"))
    assert "tt123.com" in line.source


def test_TT_FEE_6_from_2025_01_01_every_sub_category_is_a_gap_naming_4_905_and_5_995(engine: Engine) -> None:
    last = fee_line(engine, order("tiktok-sg", "2024-12-31T23:59:59", "900.00", **SG_900), "commission")
    assert last.amount == Decimal("29.43")
    found = fee_gap(engine, order("tiktok-sg", "2025-01-01T00:00:00", "900.00", **SG_900), "commission")
    assert (found.rule, found.key) == ("TT-FEE-6", "fee.commission.rate.womenswear")
    assert "4.905%" in found.detail and "5.995%" in found.detail
    assert found.range is None and found.candidate is None  # figures for other categories, not this one's
    t_shirt = fee_gap(engine, order("tiktok-sg", "2025-01-01T00:00:00", "18.00", category="t_shirts"), "commission")
    assert (t_shirt.key, t_shirt.candidate) == ("fee.commission.rate.t_shirts", Decimal("0.04905"))
    assert "sitegiant.asia" in t_shirt.source


# --- TT-FEE-7: Singapore transaction fee -------------------------------------------------------

SG_EXAMPLE = {"buyer_shipping": "80.00"}  # item 500 − seller discount 50 = amount 450


def test_TT_FEE_7_before_2023_12_18_is_a_gap_naming_1_and_2_percent(engine: Engine) -> None:
    found = fee_gap(engine, order("tiktok-sg", "2023-12-17T23:59:59", "450.00", **SG_EXAMPLE), "transaction_fee")
    assert (found.rule, found.key) == ("TT-FEE-7", "fee.transaction_fee.rate")
    assert "1%" in found.detail and "2%" in found.detail


def test_TT_FEE_7_2_percent_from_2023_12_18_to_2023_12_31(engine: Engine) -> None:
    # (450 + 80) × 2% = 10.60; commission 1% × 450 = 4.50
    for placed in ("2023-12-18T00:00:00", "2023-12-31T23:59:59"):
        assert amounts(engine, order("tiktok-sg", placed, "450.00", **SG_EXAMPLE)) == {
            "commission": Decimal("4.50"), "transaction_fee": Decimal("10.60")}


def test_TT_FEE_7_worked_example_11_55_and_7_19_after_a_refund_of_200(engine: Engine) -> None:
    # (450 + 80) × 2.18% = 11.554 → 11.55; after a refund of 200: 330 × 2.18% = 7.194 → 7.19
    plain = fee_line(engine, order("tiktok-sg", "2024-01-01T00:00:00", "450.00", **SG_EXAMPLE), "transaction_fee")
    refunded = fee_line(engine, order("tiktok-sg", "2024-01-01T00:00:00", "450.00", refunded="200.00", **SG_EXAMPLE),
                        "transaction_fee")
    assert (plain.base, plain.amount) == (Decimal("530.00"), Decimal("11.55"))
    assert (refunded.base, refunded.amount) == (Decimal("330.00"), Decimal("7.19"))


def test_TT_FEE_7_from_2025_10_01_a_gap_naming_the_unconfirmed_3_27_percent(engine: Engine) -> None:
    last = fee_line(engine, order("tiktok-sg", "2025-09-30T23:59:59", "450.00", category="t_shirts", **SG_EXAMPLE),
                    "transaction_fee")
    assert last.amount == Decimal("11.55")
    found = fee_gap(engine, order("tiktok-sg", "2025-10-01T00:00:00", "450.00", category="t_shirts", **SG_EXAMPLE),
                    "transaction_fee")
    assert (found.rule, found.key, found.candidate) == ("TT-FEE-7", "fee.transaction_fee.rate", Decimal("0.0327"))
    assert found.range is None and "ywbanu.com" in found.source and "unconfirmed" in found.detail


# --- TT-FEE-10: Indonesia commission ----------------------------------------------------------

SEPTEMBER_LIST = {
    "fashion_incl_shoes_bags_accessories": "0.043", "jewellery": "0.019", "phones_tablets_home_electronics": "0.019",
    "phone_accessories": "0.043", "other_electronics_accessories": "0.032", "computers_office": "0.027",
    "virtual_products": "0.01", "audio_books_virtual_magazines": "0.036", "beauty_personal_care": "0.043",
    "health": "0.036", "food_beverages": "0.027", "mother_newborn": "0.027", "kids_clothing": "0.043",
    "home_kitchen_furniture_textiles_interior": "0.036", "pet": "0.027", "collectibles_hobby_toys": "0.032",
    "automotive_tools": "0.036",
}


def id_order(placed_at: str, category: str = "beauty", amount: str = "100000") -> dict[str, Any]:
    return order("tiktok-id", placed_at, amount, category=category)


def test_TT_FEE_10_1_percent_plus_idr_2000_ends_2023_05_31_and_has_no_earlier_start(engine: Engine) -> None:
    # 1% × 100,000 + 2,000 = 3,000 on 2023-05-31, the one day the sources attest
    assert amounts(engine, id_order("2023-05-31T00:00:00")) == {"commission": Decimal("3000")}
    found = fee_gap(engine, id_order("2023-05-30T23:59:59"), "commission")
    assert (found.rule, found.key) == ("TT-FEE-10", "fee.commission.rate")
    assert "start is not found" in found.detail


def test_TT_FEE_10_2023_06_01_00_00_to_09_00_wib_is_a_gap(engine: Engine) -> None:
    for placed in ("2023-06-01T00:00:00", "2023-06-01T08:59:59"):
        found = fee_gap(engine, id_order(placed), "commission")
        assert (found.rule, found.key) == ("TT-FEE-10", "fee.commission.rate")
        assert "00:00-09:00" in found.detail
    assert amounts(engine, id_order("2023-06-01T09:00:00")) == {"commission": Decimal("4300")}  # June: 4.3%


def test_TT_FEE_10_september_to_the_trading_stop_is_a_gap_naming_both_tables(engine: Engine) -> None:
    assert amounts(engine, id_order("2023-08-31T23:59:59")) == {"commission": Decimal("4300")}
    for placed in ("2023-09-01T00:00:00", "2023-10-04T16:59:59"):
        found = fee_gap(engine, id_order(placed), "commission")
        assert (found.rule, found.key) == ("TT-FEE-10", "fee.commission.rate.beauty")
        assert "beauty 4.3%" in found.detail and "beauty_personal_care 4.3%" in found.detail


def test_TT_FEE_10_no_trading_from_2023_10_04_17_00_until_the_reopening(engine: Engine) -> None:
    for placed in ("2023-10-04T17:00:00", "2023-12-11T23:59:59"):
        found = fee_gap(engine, id_order(placed, "beauty_personal_care"), "commission")
        assert (found.rule, found.key, found.gap.state) == ("TT-FEE-10", "fee.charged", "gap")
        assert "no trading" in found.detail


@pytest.mark.parametrize(("category", "rate"), sorted(SEPTEMBER_LIST.items()))
def test_TT_FEE_10_the_september_list_from_2023_12_12_to_2024_08_31(engine: Engine, category: str,
                                                                     rate: str) -> None:
    # 100,000 × rate, whole rupiah, no VAT (the 2023 figures as published)
    for placed in ("2023-12-12T00:00:00", "2024-08-31T23:59:59"):
        line = fee_line(engine, id_order(placed, category), "commission")
        assert (line.rate, line.amount) == (Decimal(rate), Decimal(100000) * Decimal(rate))
        assert "65a07dd76301f" in line.source


def test_TT_FEE_10_from_2024_09_01_a_gap_with_range_1_to_10_percent(engine: Engine) -> None:
    found = fee_gap(engine, id_order("2024-09-01T00:00:00", "beauty_personal_care"), "commission")
    assert (found.rule, found.key) == ("TT-FEE-10", "fee.commission.rate.beauty_personal_care")
    assert found.range == (Decimal("0.01"), Decimal("0.10"))
    assert "knowledge_id=12060130739970" in found.source and found.entry is not None
    assert found.entry.confidence == "official"


def test_TT_FEE_10_the_20_percent_discount_window_and_its_range(engine: Engine) -> None:
    # 10% × (1 − 20%) = 8% → 8,000; VAT 8,000 × 11/12 × 12% = 880, from 2025-10-01 to 2026-02-10
    for placed in ("2025-10-01T00:00:00", "2026-02-10T23:59:59"):
        assert amounts(engine, id_order(placed, "marketplace_10pct")) == {
            "commission": Decimal("8000"), "commission_vat": Decimal("880"), "order_processing_fee": Decimal("1250")}
    other = fee_gap(engine, id_order("2025-10-01T00:00:00", "fashion"), "commission")
    assert other.range == (Decimal("0.01"), Decimal("0.102"))  # Mall up to 10.2% from 2025-10-01


def test_TT_FEE_10_2026_02_11_and_12_are_a_gap_then_6_97_percent(engine: Engine) -> None:
    for placed in ("2026-02-11T00:00:00", "2026-02-12T23:59:59"):
        found = fee_gap(engine, id_order(placed, "unlisted"), "commission")
        assert (found.rule, found.key) == ("TT-FEE-10", "fee.commission.rate.unlisted")
        assert "in neither window" in found.detail
    # 6.97% × 100,000 = 6,970, tax included: no VAT line
    assert amounts(engine, id_order("2026-02-13T00:00:00", "unlisted")) == {
        "commission": Decimal("6970"), "order_processing_fee": Decimal("1250")}


# --- TT-FEE-11: Philippines transaction fee and commission -------------------------------------


def test_TT_FEE_11_transaction_fee_before_2022_12_05_10_00_is_a_gap_naming_1_percent(engine: Engine) -> None:
    found = fee_gap(engine, order("tiktok-ph", "2022-12-05T09:59:59", "10000.00"), "transaction_fee")
    assert (found.rule, found.key, found.candidate) == ("TT-FEE-11", "fee.transaction_fee.rate", Decimal("0.01"))


def test_TT_FEE_11_transaction_fee_2_percent_worked_example_200_and_100_after_a_refund(engine: Engine) -> None:
    # 10,000 × 2% = ₱200.00; after a refund of 5,000: 5,000 × 2% = ₱100.00
    plain = fee_line(engine, order("tiktok-ph", "2022-12-05T10:00:00", "10000.00"), "transaction_fee")
    refunded = fee_line(engine, order("tiktok-ph", "2022-12-05T10:00:00", "10000.00", refunded="5000.00"),
                        "transaction_fee")
    assert (plain.amount, refunded.amount) == (Decimal("200.00"), Decimal("100.00"))


def test_TT_FEE_11_transaction_fee_2_24_percent_from_2023_06_01_10_00(engine: Engine) -> None:
    before = fee_line(engine, order("tiktok-ph", "2023-06-01T09:59:59", "10000.00"), "transaction_fee")
    after = fee_line(engine, order("tiktok-ph", "2023-06-01T10:00:00", "10000.00"), "transaction_fee")
    assert (before.amount, after.amount) == (Decimal("200.00"), Decimal("224.00"))


def test_TT_FEE_11_commission_gaps_before_and_from_2023_06_01_10_00(engine: Engine) -> None:
    before = fee_gap(engine, order("tiktok-ph", "2023-06-01T09:59:59", "1000.00", category="beauty"), "commission")
    assert (before.rule, before.key) == ("TT-FEE-11", "fee.commission.rate.beauty")
    assert "for any category" in before.detail
    after = fee_gap(engine, order("tiktok-ph", "2023-06-01T10:00:00", "1000.00", category="beauty"), "commission")
    assert (after.rule, after.key) == ("TT-FEE-11", "fee.commission.rate.beauty")
    assert "VAT included" in after.detail


def test_TT_FEE_11_the_2024_commission_stated_vat_excluded_is_a_gap_not_a_zero_vat(engine: Engine) -> None:
    found = fee_gap(engine, order("tiktok-ph", "2024-01-15T00:00:00", "1000.00", category="beauty"), "commission")
    assert (found.rule, found.key) == ("TT-FEE-11", "fee.commission.rate.beauty")
    assert "VAT excluded" in found.detail and "never a VAT of zero" in found.detail
    assert "6.40%" in found.detail  # TT-FEE-23's 'before' rates, detail only


# --- TT-FEE-12: Vietnam transaction (payment) fee -----------------------------------------------

VN_EXAMPLE = {"buyer_shipping": "5900"}  # 100,000 − 5,000 discount = amount 95,000; C = 100,900


def vn_fee(engine: Engine, placed_at: str) -> FeeLine:
    return fee_line(engine, order("tiktok-vn", placed_at, "95000", **VN_EXAMPLE), "payment_fee")


def test_TT_FEE_12_before_2022_10_17_is_a_gap_naming_1_percent(engine: Engine) -> None:
    found = fee_gap(engine, order("tiktok-vn", "2022-10-16T23:59:59", "95000", **VN_EXAMPLE), "payment_fee")
    assert (found.rule, found.key, found.candidate) == ("TT-FEE-12", "fee.payment_fee.rate", Decimal("0.01"))


@pytest.mark.parametrize(("placed_at", "rate", "fee"), [
    ("2022-10-17T00:00:00", "0.025", "2523"),   # 100,900 × 2.5% = 2,522.5 → 2,523
    ("2023-04-13T08:59:59", "0.025", "2523"),
    ("2023-04-13T09:00:00", "0.03", "3027"),    # 100,900 × 3.0% = 3,027
    ("2023-09-27T23:59:59", "0.03", "3027"),
    ("2023-09-28T00:00:00", "0.04", "4036"),    # 100,900 × 4% = 4,036
    ("2024-07-16T23:59:59", "0.04", "4036"),
    ("2024-07-17T00:00:00", "0.05", "5045"),    # the official example: 100,900 × 5% = ₫5,045
    ("2026-03-31T23:59:59", "0.05", "5045"),
])
def test_TT_FEE_12_each_rate_on_both_sides_of_its_switch(engine: Engine, placed_at: str, rate: str,
                                                          fee: str) -> None:
    line = vn_fee(engine, placed_at)
    assert (line.base, line.rate, line.amount) == (Decimal("100900"), Decimal(rate), Decimal(fee))


def test_TT_FEE_12_the_5_percent_is_official(engine: Engine) -> None:
    line = vn_fee(engine, "2024-07-17T00:00:00")
    assert "seller-vn.tiktok.com/university/essay?knowledge_id=753295858337537" in line.source
    assert entry_of(engine, order("tiktok-vn", "2024-07-17", "1"), "fee.payment_fee.rate").confidence == "official"


def test_TT_FEE_12_from_2026_04_01_a_gap_rate_5_percent_base_unknown(engine: Engine) -> None:
    found = fee_gap(engine, order("tiktok-vn", "2026-04-01T00:00:00", "95000", **VN_EXAMPLE), "payment_fee")
    assert (found.rule, found.key) == ("TT-FEE-12", "fee.payment_fee.base")
    assert "rate still 5%" in found.detail and "dataede.com" in found.detail


def test_TT_FEE_12_from_2026_05_09_the_unconfirmed_6_percent_ends_the_5_percent(engine: Engine) -> None:
    record = order("tiktok-vn", "2026-05-09T00:00:00", "95000", **VN_EXAMPLE)
    found = fee_gap(engine, record, "payment_fee")
    assert (found.rule, found.key) == ("TT-FEE-12", "fee.payment_fee.base")
    assert "6%" in found.detail and "unconfirmed" in found.detail
    rate = engine.view("tiktok-vn", record["placed_at"]).state("fee.payment_fee.rate")
    assert rate.state == "gap" and rate.entry is not None and rate.entry.candidate == Decimal("0.06")
    assert engine.view("tiktok-vn", "2026-05-08T23:59:59").state("fee.payment_fee.rate").value == "0.05"


# --- TT-FEE-13: Thailand Marketplace commission ---------------------------------------------------

TH_LISTED = ["womenswear_underwear", "muslim_fashion", "shoes", "menswear_underwear", "luggage_bags", "watches"]


def th_order(placed_at: str, category: str, amount: str = "900.00", **fields: Any) -> dict[str, Any]:
    """1,000 − 100 seller discount = amount 900 (the sources' example)."""
    return order("tiktok-th", placed_at, amount, category=category, **fields)


def test_TT_FEE_13_nothing_before_2023_11_20_00_00_beijing_time(engine: Engine) -> None:
    # 2023-11-20 00:00 in Beijing (UTC+8) is 2023-11-19 23:00 in Bangkok (UTC+7)
    found = fee_gap(engine, th_order("2023-11-19T22:59:59", "costume_jewelry_accessories"), "commission")
    assert (found.rule, found.key) == ("TT-FEE-13", "fee.commission.rate.costume_jewelry_accessories")
    line = fee_line(engine, th_order("2023-11-19T23:00:00", "costume_jewelry_accessories"), "commission")
    assert (line.base, line.rate, line.amount, line.rule) == (Decimal("900.00"), Decimal("0.04"), Decimal("36.00"),
                                                              "TT-FEE-13")


def test_TT_FEE_13_900_at_4_percent_is_36_00_and_other_categories_are_4_00_to_4_28(engine: Engine) -> None:
    line = fee_line(engine, th_order("2024-01-15T10:00:00", "costume_jewelry_accessories"), "commission")
    assert line.amount == Decimal("36.00") and "kexiaomei.com" in line.source
    found = fee_gap(engine, th_order("2024-01-15T10:00:00", "shoes"), "commission")
    assert (found.rule, found.key, found.range) == ("TT-FEE-13", "fee.commission.rate.shoes",
                                                     (Decimal("0.04"), Decimal("0.0428")))


def test_TT_FEE_13_a_new_shop_pays_none_under_the_2023_notice(engine: Engine) -> None:
    line = fee_line(engine, th_order("2024-01-15T10:00:00", "shoes", new_shop=True), "commission")
    assert line.amount == Decimal("0.00")


@pytest.mark.parametrize("category", TH_LISTED)
def test_TT_FEE_13_listed_sub_categories_at_5_35_percent_from_2024_09_01(engine: Engine, category: str) -> None:
    # 2024-08-31: a gap, 4.00-4.28%; from 2024-09-01 00:00 GMT+7: 900 × 5.35% = 48.15
    before = fee_gap(engine, th_order("2024-08-31T23:59:59", category), "commission")
    assert before.range == (Decimal("0.04"), Decimal("0.0428"))
    after = fee_line(engine, th_order("2024-09-01T00:00:00", category), "commission")
    assert (after.rate, after.amount) == (Decimal("0.0535"), Decimal("48.15"))
    assert "tt123.com" in after.source


def test_TT_FEE_13_costume_jewellery_stays_at_4_percent_from_2024_09_01(engine: Engine) -> None:
    line = fee_line(engine, th_order("2024-09-01T00:00:00", "costume_jewelry_accessories"), "commission")
    assert line.amount == Decimal("36.00")


def test_TT_FEE_13_other_sub_categories_from_2024_09_01_are_gaps_by_cluster(engine: Engine) -> None:
    other = fee_gap(engine, th_order("2024-09-01T00:00:00", "toys"), "commission")
    assert (other.key, other.range) == ("fee.commission.rate.toys", (Decimal("0.04"), Decimal("0.0535")))
    assert "fmcg 4.28% → 5.35%" in other.detail
    fmcg = fee_gap(engine, th_order("2024-09-01T00:00:00", "fmcg"), "commission")
    assert fmcg.range == (Decimal("0.0535"), Decimal("0.0535"))  # a cluster row is a range, even of one figure


def test_TT_FEE_13_the_commission_on_returned_goods_is_refunded(engine: Engine) -> None:
    # C = 900, R = 450: the refunded share 450 is returned; 5.35% × 450 = 24.075 → 24.08
    line = fee_line(engine, th_order("2024-09-01T00:00:00", "shoes", refunded="450.00"), "commission")
    assert (line.base, line.amount) == (Decimal("450.00"), Decimal("24.08"))


def test_TT_FEE_13_from_2025_10_01_and_2026_04_01_the_tables_are_gaps(engine: Engine) -> None:
    last = fee_line(engine, th_order("2025-09-30T23:59:59", "shoes", store_type="marketplace"), "commission")
    assert last.amount == Decimal("48.15")
    october = fee_gap(engine, th_order("2025-10-01T00:00:00", "shoes", store_type="marketplace"), "commission")
    assert (october.rule, october.key) == ("TT-FEE-13, TT-FEE-14", "fee.commission.rate.marketplace.shoes")
    assert "7.49%" in october.detail and october.entry is not None and october.entry.confidence == "official"
    april = fee_gap(engine, th_order("2026-04-01T00:00:00", "shoes", store_type="marketplace"), "commission")
    assert "GMV Max" in april.detail


def test_TT_FEE_13_is_its_own_line_beside_the_commerce_growth_fee(engine: Engine) -> None:
    # with the seller's guitar rate (examples/overrides): commission 7.49% × 900 = 67.41 (the official
    # example); Commerce Growth Fee 6.42% × 900 = 57.78; net 900 − 67.41 − 57.78 = 774.81
    mine = Engine(policy_files=[str(OVERRIDES / "tiktok-th-subcategory-rate.toml")])
    q = mine.quote(th_order("2026-11-23T10:00:00", "guitars", store_type="marketplace"))
    assert {f.code: (f.amount, f.rule) for f in q.fees} == {
        "commission": (Decimal("67.41"), "TT-FEE-13"), "commerce_growth_fee": (Decimal("57.78"), "TT-FEE-8")}
    assert q.net == Decimal("774.81")


# --- TT-FEE-14: Thailand Mall commission ----------------------------------------------------------


def test_TT_FEE_14_mall_shops_pay_tt_fee_13_until_2024_12_31(engine: Engine) -> None:
    line = fee_line(engine, th_order("2024-12-31T23:59:59", "shoes", store_type="mall"), "commission")
    assert (line.rule, line.amount) == ("TT-FEE-13", Decimal("48.15"))


def test_TT_FEE_14_a_mall_shops_commission_is_a_gap_from_2025_01_01(engine: Engine) -> None:
    found = fee_gap(engine, th_order("2025-01-01T00:00:00", "shoes", store_type="mall"), "commission")
    assert "TT-FEE-14" in found.rule and found.key == "fee.commission.rate.mall.shoes"
    assert "From January 1st, 2025" in found.detail and "From October 1st, 2025" in found.detail
    assert "knowledge_id=7485510424282896" in found.source
    # a Marketplace shop keeps the TT-FEE-13 rate that day
    line = fee_line(engine, th_order("2025-01-01T00:00:00", "shoes", store_type="marketplace"), "commission")
    assert line.amount == Decimal("48.15")


def test_TT_FEE_14_the_store_type_is_required_from_2025_01_01(engine: Engine) -> None:
    found = fee_gap(engine, th_order("2025-01-01T00:00:00", "shoes"), "commission")
    assert found.key == "fee.commission.rate.<store_type>.<category>" and "gives no store_type" in found.detail


# --- TT-FEE-19: Malaysia commission by cluster and store type ---------------------------------------


def my_order(placed_at: str, category: str, amount: str = "450.00", **fields: Any) -> dict[str, Any]:
    return order("tiktok-my", placed_at, amount, category=category, **fields)


def test_TT_FEE_19_the_2_12_percent_also_covered_cross_border_sellers(engine: Engine) -> None:
    line = fee_line(engine, my_order("2023-05-01T10:00:00", "fashion", "100.00", seller_type="cross_border"),
                    "commission")
    assert line.amount == Decimal("2.12") and "kemaowang.org.cn" in line.source


def test_TT_FEE_19_from_2023_09_01_10_00_a_cluster_gap_with_no_range_before_the_8_percent_sst(engine: Engine) -> None:
    found = fee_gap(engine, my_order("2023-09-01T10:00:00", "fashion"), "commission")
    assert (found.rule, found.key, found.range) == ("TT-FEE-19", "fee.commission.rate.fashion", None)
    assert "from 2024-03-01 only" in found.detail


@pytest.mark.parametrize(("cluster", "low", "high"), [
    ("electronics", "0.027", "0.0432"), ("fashion", "0.0432", "0.0432"), ("fmcg", "0", "0.0432"),
    ("lifestyle", "0.0324", "0.0432"),
])
def test_TT_FEE_19_cluster_ranges_from_2024_03_01_to_2024_09_04(engine: Engine, cluster: str, low: str,
                                                                 high: str) -> None:
    for placed in ("2024-03-01T00:00:00", "2024-09-04T23:59:59"):
        found = fee_gap(engine, my_order(placed, cluster), "commission")
        assert (found.rule, found.key) == ("TT-FEE-19", f"fee.commission.rate.{cluster}")
        assert found.range == (Decimal(low), Decimal(high))
        assert "thestar.com.my" in found.source


def test_TT_FEE_19_a_marketplace_fashion_order_of_2025_is_a_gap_of_8_10_to_10_26_percent(engine: Engine) -> None:
    found = fee_gap(engine, my_order("2025-06-01T10:00:00", "fashion", store_type="marketplace"), "commission")
    assert (found.rule, found.key) == ("TT-FEE-19", "fee.commission.rate.marketplace.fashion")
    assert found.range == (Decimal("0.081"), Decimal("0.1026"))
    assert found.entry is not None and found.entry.confidence == "third-party"
    assert str(found.entry.retrieved) == "2026-11-30"


@pytest.mark.parametrize(("store", "cluster", "low", "high"), [
    ("marketplace", "electronics", "0.0486", "0.0918"), ("marketplace", "fmcg", "0.0648", "0.1134"),
    ("marketplace", "lifestyle", "0.0648", "0.1026"), ("mall", "electronics", "0.081", "0.1242"),
    ("mall", "fashion", "0.1134", "0.135"), ("mall", "fmcg", "0.0324", "0.1458"),
    ("mall", "lifestyle", "0.0972", "0.135"),
])
def test_TT_FEE_19_store_type_ranges_from_2024_09_05(engine: Engine, store: str, cluster: str, low: str,
                                                     high: str) -> None:
    found = fee_gap(engine, my_order("2024-09-05T00:00:00", cluster, store_type=store), "commission")
    assert (found.key, found.range) == (f"fee.commission.rate.{store}.{cluster}", (Decimal(low), Decimal(high)))


def test_TT_FEE_19_other_sub_categories_span_every_cluster(engine: Engine) -> None:
    found = fee_gap(engine, my_order("2024-09-05T00:00:00", "toys", store_type="mall"), "commission")
    assert found.range == (Decimal("0.0324"), Decimal("0.1458"))


def test_TT_FEE_19_gold_jewellery_8_10_percent_from_its_article_of_2025_03_14(engine: Engine) -> None:
    # 450 × 8.10% = RM36.45, the article's worked example
    before = fee_gap(engine, my_order("2025-03-13T23:59:59", "gold_jewellery", store_type="marketplace"),
                     "commission")
    assert before.key == "fee.commission.rate.marketplace.gold_jewellery"
    line = fee_line(engine, my_order("2025-03-14T00:00:00", "gold_jewellery", store_type="marketplace"),
                    "commission")
    assert (line.rate, line.amount) == (Decimal("0.081"), Decimal("36.45"))


# --- TT-FEE-21: Vietnam commission ----------------------------------------------------------------


def vn_order(placed_at: str, **fields: Any) -> dict[str, Any]:
    return order("tiktok-vn", placed_at, "180000", **fields)


def test_TT_FEE_21_before_2025_04_01_a_gap_spanning_both_sources(engine: Engine) -> None:
    found = fee_gap(engine, vn_order("2025-03-31T23:59:59"), "commission")
    assert (found.rule, found.key, found.range) == ("TT-FEE-21", "fee.commission.rate",
                                                     (Decimal("0.01"), Decimal("0.0578")))
    assert "thpak.vn" in found.source and "duonews.today" in found.source
    assert "180,000 × 2% = ₫3,600" in found.detail


def test_TT_FEE_21_from_2025_04_01_a_gap_of_1_to_7_7_percent(engine: Engine) -> None:
    found = fee_gap(engine, vn_order("2025-04-01T00:00:00"), "commission")
    assert found.range == (Decimal("0.01"), Decimal("0.077")) and "₫7,200" in found.detail
    assert fee_gap(engine, vn_order("2025-07-17T23:59:59"), "commission").range == (Decimal("0.01"),
                                                                                     Decimal("0.077"))


def test_TT_FEE_21_from_2025_07_18_the_sfp_programme_no_range_for_every_category(engine: Engine) -> None:
    found = fee_gap(engine, vn_order("2025-07-18T00:00:00", category="fashion"), "commission")
    assert (found.rule, found.range) == ("TT-FEE-21", None)
    assert "SFP" in found.detail and "fashion 10-12%" in found.detail


def test_TT_FEE_21_electronics_from_2025_10_27_and_fashion_from_2026_03_02(engine: Engine) -> None:
    october = fee_gap(engine, vn_order("2025-10-27T00:00:00", category="electronics"), "commission")
    assert "electronics from 2025-10-27: standard shops 1.47-10.8%, Mall 2-12.6%" in october.detail
    # the ranges published for a category are carried by that category's gap entry
    view = engine.view("tiktok-vn", "2025-10-27T00:00:00")
    electronics = view.state("fee.commission.rate.electronics").entry
    assert electronics is not None and (electronics.low, electronics.high) == (Decimal("0.0147"), Decimal("0.126"))
    march = engine.view("tiktok-vn", "2026-03-02T00:00:00")
    fashion = march.state("fee.commission.rate.fashion").entry
    assert fashion is not None and (fashion.low, fashion.high) == (Decimal("0.11"), Decimal("0.146"))
    assert engine.view("tiktok-vn", "2026-03-01T23:59:59").state("fee.commission.rate.fashion").entry is None


# --- TT-FEE-23: Philippines commission from 2025-01-15 ---------------------------------------------


def ph_order(placed_at: str, category: str, **fields: Any) -> dict[str, Any]:
    return order("tiktok-ph", placed_at, "1000.00", category=category, **fields)


def test_TT_FEE_23_marketplace_1000_at_7_percent_is_70_00(engine: Engine) -> None:
    # commission 1,000 × 7.00% = ₱70.00; transaction fee 2.24% × 1,000 = 22.40; net 907.60
    q = engine.quote(ph_order("2025-01-15T00:00:00", "fashion_accessories", store_type="marketplace"))
    assert {f.code: f.amount for f in q.fees} == {"commission": Decimal("70.00"), "transaction_fee": Decimal("22.40")}
    assert q.net == Decimal("907.60")
    assert "alpha.bigseller.pro" in next(f for f in q.fees if f.code == "commission").source


def test_TT_FEE_23_mall_1000_at_8_10_percent_is_81_00(engine: Engine) -> None:
    line = fee_line(engine, ph_order("2025-01-15T00:00:00", "fashion_accessories", store_type="mall"), "commission")
    assert (line.rate, line.amount) == (Decimal("0.081"), Decimal("81.00"))


def test_TT_FEE_23_jewellery_marketplace_6_90_percent_mall_a_gap(engine: Engine) -> None:
    line = fee_line(engine, ph_order("2025-01-15T00:00:00", "jewellery_accessories_derivatives",
                                     store_type="marketplace"), "commission")
    assert line.amount == Decimal("69.00")
    found = fee_gap(engine, ph_order("2025-01-15T00:00:00", "jewellery_accessories_derivatives", store_type="mall"),
                    "commission")
    assert (found.rule, found.key) == ("TT-FEE-23", "fee.commission.rate.mall.jewellery_accessories_derivatives")
    assert found.entry is not None and "8.x%" in (found.entry.note or "")


def test_TT_FEE_23_the_day_before_is_the_2024_gap_and_a_new_shop_pays_none(engine: Engine) -> None:
    before = fee_gap(engine, ph_order("2025-01-14T23:59:59", "fashion_accessories", store_type="marketplace"),
                     "commission")
    assert (before.rule, before.key) == ("TT-FEE-11", "fee.commission.rate.fashion_accessories")
    other = fee_gap(engine, ph_order("2025-01-15T00:00:00", "beauty", store_type="marketplace"), "commission")
    assert (other.rule, other.key) == ("TT-FEE-23", "fee.commission.rate.marketplace.beauty")
    new_shop = fee_line(engine, ph_order("2025-06-01T00:00:00", "beauty", new_shop=True), "commission")
    assert new_shop.amount == Decimal("0.00")


# --- Fees per delivered order: TT-FEE-15 (ID), TT-FEE-20 (MY), TT-FEE-22 (VN), TT-FEE-11 (PH) -------

def codes(engine: Engine, record: dict[str, Any]) -> set[str]:
    """The codes of the order's fee lines (they stand whatever gaps the order has)."""
    return {f.code for f in engine.quote(record).fees}


def test_TT_FEE_15_idr_1250_per_delivered_order_from_2025_08_11_and_none_the_day_before(engine: Engine) -> None:
    assert "order_processing_fee" not in codes(engine, id_order("2025-08-10T23:59:59"))
    # 3 guitars + 5 accessories + 2 violins → Rp1,250; 4 clothing items (Rp800,000) → Rp1,250
    ten_items = fee_line(engine, {**id_order("2025-08-11T00:00:00", "guitars"), "quantity": 10},
                         "order_processing_fee")
    four_items = fee_line(engine, {**id_order("2025-09-01T10:00:00", "clothing", "800000"), "quantity": 4},
                          "order_processing_fee")
    for line in (ten_items, four_items):
        assert (line.amount, line.base, line.rate, line.rule) == (Decimal("1250"), None, None, "TT-FEE-15")
        assert line.confidence == "official" and "seller-id.tokopedia.com" in line.source


def test_TT_FEE_15_the_fee_line_and_its_trail_name_the_rp500_of_the_course_page(engine: Engine) -> None:
    line = fee_line(engine, id_order("2025-08-11T10:00:00"), "order_processing_fee")
    assert "Rp500" in (line.note or "") and line.trail is not None and "Rp500" in line.trail.what
    entry = entry_of(engine, id_order("2025-08-11", "beauty"), "fee.order_processing_fee.fixed")
    assert "Rp500" in (entry.interpretation or "") and entry.retrieved is not None


def test_TT_FEE_15_refunded_only_if_the_whole_order_is_refunded_before_delivery(engine: Engine) -> None:
    placed = id_order("2025-08-12T10:00:00")
    whole = {**placed, "refunded": "100000"}
    assert "order_processing_fee" not in codes(engine, whole)  # no delivered_at: refunded before delivery
    assert fee_line(engine, {**whole, "delivered_at": "2025-08-14"}, "order_processing_fee").amount == 1250
    assert fee_line(engine, {**placed, "refunded": "99999"}, "order_processing_fee").amount == 1250  # not whole
    assert fee_line(engine, placed, "order_processing_fee").amount == 1250  # not delivered yet: the fee it carries


def test_TT_FEE_16_a_mall_orders_service_fee_is_a_gap_of_rp5000_to_18000_for_one_unit_at_rp1000000(
        engine: Engine) -> None:
    mall = {**id_order("2025-07-30T00:00:00", "beauty", "1000000"), "store_type": "mall"}
    found = fee_gap_of(engine, mall, "mall_service_fee")
    assert (found.rule, found.key, found.range) == ("TT-FEE-16", "fee.mall_service_fee.rate",
                                                     (Decimal("0.015"), Decimal("0.018")))
    assert (found.gap.low_amount, found.gap.high_amount) == (Decimal("5000"), Decimal("18000"))
    assert "1.8%" in found.detail and "1.5%" in found.detail and "Rp5,000" in found.detail
    two = fee_gap_of(engine, {**mall, "quantity": 2, "amount": "2000000"}, "mall_service_fee")
    assert (two.gap.low_amount, two.gap.high_amount) == (Decimal("10000"), Decimal("36000"))  # caps per unit
    assert "mall_service_fee" not in figures(engine, {**mall, "placed_at": "2025-07-29T23:59:59"})
    assert "mall_service_fee" not in figures(engine, {**mall, "store_type": "marketplace"})


def test_TT_FEE_16_an_order_without_store_type_is_a_gap_naming_the_field(engine: Engine) -> None:
    found = fee_gap_of(engine, id_order("2025-08-01T10:00:00"), "mall_service_fee")
    assert (found.rule, found.key) == ("TT-FEE-16", "<store_type>")  # an order input: no override fills it
    assert "give the order's store_type" in found.detail


def test_TT_FEE_17_dynamic_commission_is_a_gap_of_rp20000_to_30000_for_one_unit_at_rp500000(engine: Engine) -> None:
    record = {**id_order("2025-06-10T00:00:00", "beauty", "500000"), "store_type": "marketplace"}
    found = fee_gap_of(engine, record, "dynamic_commission_fee")
    assert (found.rule, found.key, found.range) == ("TT-FEE-17", "fee.dynamic_commission_fee.rate",
                                                     (Decimal("0.04"), Decimal("0.06")))
    assert (found.gap.low_amount, found.gap.high_amount) == (Decimal("20000"), Decimal("30000"))
    capped = fee_gap_of(engine, {**record, "amount": "1000000"}, "dynamic_commission_fee")
    assert (capped.gap.low_amount, capped.gap.high_amount) == (Decimal("40000"), Decimal("40000"))  # Rp40,000/unit
    assert "dynamic_commission_fee" not in figures(engine, {**record, "placed_at": "2025-06-09T23:59:59"})


def test_TT_FEE_17_a_rate_the_seller_supplies_is_charged_capped_per_unit(engine: Engine) -> None:
    supplied = Engine(policy_files=[str(OVERRIDES / "tiktok-id-dynamic-commission.toml")])
    line = fee_line(supplied, {**id_order("2025-06-10T10:00:00", "beauty", "1000000"), "store_type": "marketplace"},
                    "dynamic_commission_fee")
    assert (line.rate, line.amount, line.confidence) == (Decimal("0.045"), Decimal("40000"), "user")


def test_TT_FEE_18_a_pre_order_from_2024_12_29_is_a_gap_naming_3_percent(engine: Engine) -> None:
    pre_order = {**id_order("2024-12-29T00:00:00"), "pre_order": True}
    found = fee_gap_of(engine, pre_order, "pre_order_fee")
    assert (found.rule, found.key) == ("TT-FEE-18", "fee.pre_order_fee.base") and "+3%" in found.detail
    assert "pre_order_fee" not in figures(engine, {**pre_order, "pre_order": False})
    assert "pre_order_fee" not in figures(engine, {**pre_order, "placed_at": "2024-12-28T23:59:59"})


def test_TT_FEE_20_my_rm0_54_per_delivered_order_from_2026_02_15(engine: Engine) -> None:
    record = my_order("2026-02-15T00:00:00", "gold_jewellery", store_type="marketplace", quantity=3)
    line = fee_line(engine, record, "platform_support_fee")  # 3 items delivered → RM0.54
    assert (line.amount, line.rule, line.base) == (Decimal("0.54"), "TT-FEE-20", None)
    assert "SST" in (line.note or "")
    assert "platform_support_fee" not in codes(engine, {**record, "placed_at": "2026-02-14T23:59:59"})


def test_TT_FEE_22_vn_3000_per_delivered_order_from_2025_10_27(engine: Engine) -> None:
    record = vn_order("2025-10-27T00:00:00", quantity=5)  # a delivered order of 5 items → ₫3,000
    line = fee_line(engine, record, "order_processing_fee")
    assert (line.amount, line.rule) == (Decimal("3000"), "TT-FEE-22")
    assert "order_processing_fee" not in codes(engine, {**record, "placed_at": "2025-10-26T23:59:59"})


def test_TT_FEE_11_ph_order_processing_fee_php_5_less_2_is_3_00_from_2025_12_01(engine: Engine) -> None:
    record = ph_order("2025-12-01T00:00:00", "fashion_accessories", store_type="marketplace")
    assert amounts(engine, record) == {"commission": Decimal("70.00"), "transaction_fee": Decimal("22.40"),
                                       "order_processing_fee": Decimal("3.00")}
    line = fee_line(engine, record, "order_processing_fee")
    assert (line.rule, line.fixed) == ("TT-FEE-11", Decimal("3.00"))
    assert "5.00 less a discount of 2.00" in (line.note or "")
    assert line.trail is not None and (line.trail.params["fixed"], line.trail.params["fixed_discount"]) == (
        "5.00", "2.00")
    assert "order_processing_fee" not in codes(engine, {**record, "placed_at": "2025-11-30T23:59:59"})


# --- Shop inputs: new shops, tax-registered organisations ---------------------------------------

def figures(engine: Engine, record: dict[str, Any]) -> set[str]:
    """The figures of the order's gaps."""
    return {g.figure for g in engine.quote(record).gaps}


def fee_gap_of(engine: Engine, record: dict[str, Any], code: str) -> FeeGap:
    """The gap of fee ``code`` on ``record``, among the order's other gaps."""
    [found] = [g for g in engine.quote(record).gaps if g.figure == code]
    return FeeGap(found, _gap_entry(engine, record, found.key))


def test_TT_FEE_13_a_cross_border_new_shop_pays_no_commission_and_its_transaction_fee(engine: Engine) -> None:
    record = th_order("2024-01-15T10:00:00", "costume_jewelry_accessories", new_shop=True,
                      seller_type="cross_border")
    assert fee_line(engine, record, "commission").amount == Decimal("0.00")
    assert fee_line(engine, {**record, "new_shop": False}, "commission").amount == Decimal("36.00")


def test_TT_FEE_13_a_new_shops_commission_is_a_gap_from_2024_09_01(engine: Engine) -> None:
    found = fee_gap(engine, th_order("2024-09-01T00:00:00", "shoes", new_shop=True), "commission")
    assert (found.rule, found.key) == ("TT-FEE-13", "fee.commission.flag_rate.new_shop")
    assert "not found" in found.detail
    assert fee_line(engine, th_order("2024-09-01T00:00:00", "shoes"), "commission").amount == Decimal("48.15")


def test_TT_FEE_12_a_tax_registered_organisations_fee_is_a_gap(engine: Engine) -> None:
    record = order("tiktok-vn", "2024-07-17T00:00:00", "100900", tax_registered_org=True)
    found = fee_gap_of(engine, record, "payment_fee")
    assert (found.rule, found.key) == ("TT-FEE-12", "fee.payment_fee.flag_rate.tax_registered_org")
    assert "excluding" in found.detail
    assert fee_line(engine, {**record, "tax_registered_org": False}, "payment_fee").amount == Decimal("5045")



# --- Audit of the shipped data (issue 16) -------------------------------------------------------

POLICY = Path(__file__).resolve().parents[2] / "plugins" / "tiktok" / "src" / "shoppolicy_tiktok" / "policy"
SHIPPED = sorted(POLICY.glob("*.toml"))


def test_TT_PAY_1_a_us_order_delivered_in_2022_gets_a_settlement_gap_not_15_days(engine: Engine) -> None:
    # a settlement gap: engine.payout raises it (a quote names it under pending), today and after
    with pytest.raises(PolicyGapError) as info:
        engine.payout(order("tiktok-us", "2022-06-01T10:00:00", "100.00", delivered_at="2022-06-05",
                            seller_type="cross_border_pop"))
    assert (info.value.rule, info.value.key) == ("TT-PAY-1", "settlement.cross_border_pop.normal.days")
    assert "seed 001 (2024-10-30)" in (info.value.detail or "")


def test_TT_PAY_1_15_days_start_at_the_seeds_date_2024_10_30(engine: Engine) -> None:
    def payout(delivered: str) -> Any:
        return engine.payout(order("tiktok-us", "2024-10-20T10:00:00", "100.00", delivered_at=delivered,
                                   seller_type="cross_border_pop"))[0]
    with pytest.raises(PolicyGapError):
        payout("2024-10-29")
    first = payout("2024-10-30")
    assert (first.date.isoformat(), first.days) == ("2024-11-14", 15)  # 2024-10-30 + 15
    assert payout("2024-11-01").days == 8


def test_TT_AFF_4_starts_on_the_day_its_undated_source_was_read(engine: Engine, tmp_path: Path) -> None:
    # the merchant's period is test data (no Vietnamese settlement period is published)
    path = tmp_path / "vn.toml"
    path.write_text('[[values]]\nmarket = "tiktok-vn"\nrule = "TT-PAY-2"\nkey = "settlement.local.normal.days"\n'
                    'value = 7\nsource = "test data"\nconfidence = "user"\n', encoding="utf-8")
    mine = Engine(policy_files=[str(path)])

    def creator(delivered: str) -> Any:
        return mine.payout(order("tiktok-vn", "2026-11-01T10:00:00", "100000", delivered_at=delivered,
                                 seller_type="local", affiliate_plan="open", commission_rate="0.10"))
    with pytest.raises(PolicyGapError) as info:
        creator("2026-11-22")
    assert info.value.key == "creator_payout.schedule" and "no value before 2026-11-23" in (info.value.detail or "")
    lines = {p.party: p for p in creator("2026-11-23")}
    assert lines["creator"].date.isoformat() == "2026-12-16"  # counted 2026-12-07 → the next 16th


def test_TT_FEE_12_the_4_percent_records_why_it_starts_and_ends_when_it_does(engine: Engine) -> None:
    entry = entry_of(engine, order("tiktok-vn", "2024-01-01", "1"), "fee.payment_fee.rate")
    assert entry.value == "0.04" and "2023-09-28" in (entry.interpretation or "")
    assert "2024-07-16" in (entry.interpretation or "")


UK_AGREEING = {"platform_discount": "0.00", "buyer_shipping": "5.00", "refunded": "40.00"}


def test_TT_FEE_3_the_refund_base_is_the_cited_formula_for_a_goods_refund_without_platform_discount(
        engine: Engine) -> None:
    # (net sales 90 + H 5 + D 0) − (net sales refund 40 + platform discount refund 0) = 55; 9% × 55 = 4.95
    q = engine.quote(order("tiktok-uk", "2024-10-01T12:00:00", "90.00", **UK_AGREEING))
    [commission] = q.fees
    assert (commission.base, commission.amount) == (Decimal("55.00"), Decimal("4.95"))
    assert "platform_discount_refunded" in (entry_of(engine, order("tiktok-uk", "2024-10-01", "1"),
                                                   "fee.commission.base").interpretation or "")


def test_TT_FEE_3_a_refunded_platform_discount_leaves_the_base_per_the_cited_formula(engine: Engine) -> None:
    # price 100 − seller discount 10 = amount 90, platform discount 10, shipping 5; the goods are refunded:
    # (80 + 5 + 10) − (net sales refund 80 + platform discount refund 10) = 5; 9% × 5 = 0.45
    q = engine.quote(order("tiktok-uk", "2024-10-01T12:00:00", "90.00", platform_discount="10.00",
                           buyer_shipping="5.00", refunded="80.00", platform_discount_refunded="10.00"))
    assert [f.amount for f in q.fees] == [Decimal("0.45")]
    assert q.fees[0].base == Decimal("5.00")


def test_TT_FEE_3_the_platform_discount_refunded_is_at_most_the_platform_discount(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.quote(order("tiktok-uk", "2024-10-01T12:00:00", "90.00", platform_discount="10.00",
                           refunded="80.00", platform_discount_refunded="10.01"))
    assert info.value.field == "platform_discount_refunded"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_value_has_a_date_read_and_derived_values_say_what_from(path: Path) -> None:
    for e in load_policy_file(path):
        if e.is_gap:
            if e.low is not None or e.candidate is not None:
                assert e.gap_source and e.retrieved is not None and e.confidence, e.path
            continue
        assert e.retrieved is not None, e.path  # freshness: when a source last confirmed it
        assert e.confidence in ("seed", "official", "third-party", "derived"), e.path
        if e.confidence == "derived":
            assert (e.note or "").startswith("Derived from"), e.path


@pytest.mark.parametrize(("market", "key"), [
    ("tiktok-sea", "fee.charged"), ("tiktok-sea", "fee.commission.base"), ("tiktok-sea", "affiliate.platform_take"),
    ("tiktok-us", "affiliate.platform_take"), ("tiktok-uk", "affiliate.platform_take"),
    ("tiktok-uk", "fee.commission.base"), ("tiktok-th", "fee.charged"),
])
def test_derived_values_are_labelled_derived(engine: Engine, market: str, key: str) -> None:
    entry = engine.view(market, "2025-06-01").optional(key)
    assert entry is not None and entry.market == market and entry.confidence == "derived"


# --- TT-INC-1's constraint: six industries ---------------------------------------------------------

@pytest.mark.parametrize("industries", [["beauty", "fashion", "home", "electronics", "sports"],
                                        ["beauty", "fashion", "home", "electronics", "sports", "sports"]])
def test_TT_INC_1_an_industry_list_that_is_not_six_industries_is_refused_at_load(
        tmp_path: Path, industries: list[str]) -> None:
    from shoppolicy import PolicyFileError

    from .helpers import write_override

    path = write_override(tmp_path / "star.toml", ("tiktok-sea", "TT-INC-1", "reputation_star.industries", industries))
    with pytest.raises(PolicyFileError) as info:
        Engine(policy_files=[str(path)])
    message = str(info.value)
    assert str(path) in message and "reputation_star.industries" in message and "expected six" in message
    assert "TT-INC-1" in message and "\n" not in message


def test_TT_INC_1_six_industries_are_accepted(tmp_path: Path) -> None:
    from .helpers import STAR_INDUSTRIES, write_override

    path = write_override(tmp_path / "star.toml", ("tiktok-sea", "TT-INC-1", "reputation_star.industries",
                                                   STAR_INDUSTRIES))
    view = Engine(policy_files=[str(path)]).view("tiktok-id", "2023-01-15")
    assert view.get("reputation_star.industries", "TT-INC-1") == STAR_INDUSTRIES
