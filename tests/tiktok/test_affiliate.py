"""TT-AFF-1..4: affiliate plans, creator commission (达人佣金) and the creator's payout date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shoppolicy import CreatorShare, Engine, InputError, OrderRecord, PayoutLine, PolicyGapError, Quote
from shoppolicy.convert import structure
from shoppolicy_tiktok.affiliate import commission, winning_plan

from .helpers import order, quotable, us_pop, write_override


def creator_order(market: str, **fields: object) -> dict[str, object]:
    record = {"delivered_at": "2025-03-10", "affiliate_plan": "open", "commission_rate": "0.10",
              "seller_type": "local", **fields}
    return order(market, **record)


def with_merchant_period(tmp_path: Path, *markets: str, extra: tuple[tuple[str, str, str, Any], ...] = ()
                         ) -> Engine:
    """An engine whose markets settle local sellers 10 days after delivery (test data: the
    catalogue has no period for them), so ``payout`` can give the creator's date."""
    values = [(m, "TT-PAY-2", "settlement.local.normal.days", 10) for m in markets]
    return Engine(policy_files=[write_override(tmp_path / "merchant.toml", *values, *extra)])


def creator_line(engine: Engine, record: dict[str, object]) -> PayoutLine:
    [line] = [p for p in engine.payout(record) if p.party == "creator"]
    return line


def net_from_lines(quote: Quote) -> Decimal:
    """What the merchant keeps, recomputed from the quote's own lines (whatever the fees)."""
    commission = quote.creator.commission if quote.creator is not None else Decimal(0)
    return quote.amount - sum((f.amount for f in quote.fees), Decimal(0)) - commission


# --- TT-AFF-1 ----------------------------------------------------------------------


@pytest.mark.parametrize(("covering", "applies"), [
    ({"targeted", "open", "shop"}, "targeted"),
    ({"open", "shop"}, "open"),
    ({"targeted", "shop"}, "targeted"),
    ({"shop"}, "shop"),
])
def test_TT_AFF_1_targeted_beats_open_beats_shop(engine: Engine, covering: set[str], applies: str) -> None:
    assert winning_plan(covering, engine.view("tiktok-us", "2025-03-01")) == applies


def test_TT_AFF_1_a_variant_uses_its_parents_precedence(engine: Engine) -> None:
    view = engine.view("tiktok-id", "2025-03-01")
    assert winning_plan(["shop", "open"], view) == "open"
    assert view.entry("affiliate.plan_precedence", "TT-AFF-1").market == "tiktok-sea"


def test_TT_AFF_1_precedence_is_policy_data_an_override_changes(tmp_path: Path) -> None:
    path = write_override(tmp_path / "plans.toml",
                          ("tiktok-uk", "TT-AFF-1", "affiliate.plan_precedence", ["open", "targeted", "shop"]))
    view = Engine(policy_files=[path]).view("tiktok-uk", "2025-03-01")
    assert winning_plan({"targeted", "open"}, view) == "open"


def test_TT_AFF_1_an_unknown_plan_is_refused_naming_the_field(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        winning_plan({"open", "vip"}, engine.view("tiktok-us", "2025-03-01"))
    assert info.value.field == "affiliate_plan" and "'vip'" in str(info.value)
    with pytest.raises(InputError) as info:
        engine.quote(order("tiktok-us", affiliate_plan="selected_alliance", commission_rate="0.10"))
    assert info.value.field == "affiliate_plan"
    with pytest.raises(InputError):
        winning_plan([], engine.view("tiktok-us", "2025-03-01"))


# --- TT-AFF-2 ----------------------------------------------------------------------


def test_TT_AFF_2_commission_is_amount_times_rate_taken_from_the_merchants_net(engine: Engine) -> None:
    # 40.00 GBP × 0.15 = 6.00 GBP, all of it to the creator (no platform share is published)
    quote = engine.quote(order("tiktok-uk", amount="40.00", affiliate_plan="targeted", commission_rate="0.15"))
    assert quote.creator is not None
    assert (quote.creator.commission, quote.creator.platform_take, quote.creator.creator_receives) == (
        Decimal("6.00"), Decimal("0.00"), Decimal("6.00"))
    assert (quote.creator.plan, quote.creator.rule) == ("targeted", "TT-AFF-2")
    assert quote.net == net_from_lines(quote)
    without = engine.quote(order("tiktok-uk", amount="40.00"))
    assert without.creator is None
    assert without.net - quote.net == Decimal("6.00")  # the same fees, less the commission


def test_TT_AFF_2_idr_commission_rounds_half_up_to_whole_rupiah(engine: Engine) -> None:
    # 150005 × 0.125 = 18750.625 → 18751 IDR
    quote = engine.quote(order("tiktok-id", amount="150005", affiliate_plan="open", commission_rate="0.125",
                               **quotable("tiktok-id")))
    assert quote.creator is not None and quote.creator.commission == Decimal("18751")
    assert quote.creator.commission.as_tuple().exponent == 0


def test_TT_AFF_2_vnd_commission_rounds_half_up_to_whole_dong(engine: Engine) -> None:
    # A Vietnamese quote stops at the platform commission, a policy gap of the fee data
    # (TT-FEE-12 gives the payment fee only), so the compiled commission rule is applied
    # directly, with the shipped policy of tiktok-vn.
    # 199999 × 0.07 = 13999.93 → 14000 VND; 10 × 0.05 = 0.5 → 1 VND (half up)
    charge = commission(engine.market("tiktok-vn"), engine.view("tiktok-vn", "2025-03-01"))
    for amount, rate, expected in (("199999", "0.07", "14000"), ("10", "0.05", "1")):
        record = structure(order("tiktok-vn", amount=amount, affiliate_plan="shop", commission_rate=rate),
                           OrderRecord)
        [share] = charge.apply(record)
        assert isinstance(share, CreatorShare) and share.commission == Decimal(expected)


def test_TT_AFF_2_a_plan_without_a_rate_is_refused(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.quote(order("tiktok-uk", affiliate_plan="open"))
    assert info.value.field == "commission_rate"


def test_TT_AFF_2_an_order_without_a_plan_carries_no_commission_and_no_creator_gap(engine: Engine) -> None:
    # tiktok-us publishes no creator payout: only a commissioned order would name that gap
    quote = engine.quote(us_pop("2024-11-01"))
    assert quote.creator is None and quote.creator_payout_date is None
    assert not any("creator_payout" in p for p in quote.pending)


# --- TT-AFF-3 ----------------------------------------------------------------------


def test_TT_AFF_3_indonesia_delivered_2025_03_10_creator_paid_2025_03_17(tmp_path: Path) -> None:
    # delivered 2025-03-10 + 6-day after-sales window = 2025-03-16, paid the next day: 2025-03-17
    line = creator_line(with_merchant_period(tmp_path, "tiktok-id"), creator_order("tiktok-id"))
    assert (line.date, line.rule, line.basis_date, line.days) == (
        dt.date(2025, 3, 17), "TT-AFF-3", dt.date(2025, 3, 10), 7)


def test_TT_AFF_3_uk_delivered_2025_03_10_creator_paid_2025_03_25(tmp_path: Path) -> None:
    # delivered 2025-03-10 + 14-day window = 2025-03-24, paid the next day: 2025-03-25
    line = creator_line(with_merchant_period(tmp_path, "tiktok-uk"), creator_order("tiktok-uk"))
    assert (line.date, line.rule, line.days) == (dt.date(2025, 3, 25), "TT-AFF-3", 15)


def test_TT_AFF_3_payout_lists_merchant_and_creator(tmp_path: Path) -> None:
    # merchant (test data): 2025-03-10 + 10 = 2025-03-20; creator: 2025-03-10 + 6 + 1 = 2025-03-17
    lines = with_merchant_period(tmp_path, "tiktok-id").payout(creator_order("tiktok-id"))
    assert {(p.party, p.date, p.rule) for p in lines} == {
        ("merchant", dt.date(2025, 3, 20), "TT-PAY-2"), ("creator", dt.date(2025, 3, 17), "TT-AFF-3")}


@pytest.mark.parametrize("market", ["tiktok-us", "tiktok-my", "tiktok-th", "tiktok-ph", "tiktok-sg"])
def test_TT_AFF_3_other_markets_are_a_gap_for_commissioned_orders_only(tmp_path: Path, market: str) -> None:
    engine = with_merchant_period(tmp_path, market)  # so that only the creator's date is missing
    with pytest.raises(PolicyGapError) as info:
        engine.payout(creator_order(market))
    assert (info.value.market, info.value.rule, info.value.key, info.value.on) == (
        market, "TT-AFF-3", "creator_payout.schedule", dt.date(2025, 3, 10))
    plain = engine.payout(order(market, delivered_at="2025-03-10", seller_type="local"))
    assert [p.party for p in plain] == ["merchant"]


def test_TT_AFF_3_quote_names_the_creator_gap(engine: Engine) -> None:
    quote = engine.quote(us_pop("2024-11-01", affiliate_plan="targeted", commission_rate="0.20"))
    assert quote.payout_date == dt.date(2024, 11, 9) and quote.creator_payout_date is None
    [gap] = quote.gaps
    assert (gap.figure, gap.market, gap.rule, gap.key, gap.on) == (
        "payout:creator", "tiktok-us", "TT-AFF-3", "creator_payout.schedule", dt.date(2024, 11, 1))
    assert quote.pending == () and not quote.complete
    # the money stands: 100.00 × 20% = 20.00 commission; 8% referral fee 8.00; net 72.00
    assert (quote.creator_commission, quote.total_fees, quote.net) == (
        Decimal("20.00"), Decimal("8.00"), Decimal("72.00"))


def test_TT_AFF_3_an_override_supplies_a_creator_payout_for_malaysia(tmp_path: Path) -> None:
    # test data: paid 2 days after a 7-day window; 2025-03-10 + 7 + 2 = 2025-03-19
    engine = with_merchant_period(tmp_path, "tiktok-my", extra=(
        ("tiktok-my", "TT-AFF-3", "creator_payout.schedule", "after_window"),
        ("tiktok-my", "TT-AFF-3", "creator_payout.after_sales_days", 7),
        ("tiktok-my", "TT-AFF-3", "creator_payout.paid_days_after_window", 2)))
    assert creator_line(engine, creator_order("tiktok-my")).date == dt.date(2025, 3, 19)


def test_TT_AFF_3_a_creator_date_needs_the_delivery_date(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.payout(order("tiktok-uk", affiliate_plan="open", commission_rate="0.10", seller_type="local"))
    assert info.value.field == "delivered_at"


# --- TT-AFF-4 ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def vn_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return with_merchant_period(tmp_path_factory.mktemp("vn"), "tiktok-vn")


@pytest.mark.parametrize(("delivered", "paid"), [
    ("2027-03-05", "2027-04-01"),  # counted 03-05 + 14 = 03-19 → next 1st/16th: 04-01
    ("2027-03-20", "2027-04-16"),  # counted 04-03 → 04-16
    ("2027-02-14", "2027-03-01"),  # counted 02-28 → 03-01
    ("2027-03-02", "2027-04-01"),  # counted 03-16, itself a pay day: strictly after → 04-01
    ("2027-12-18", "2028-01-16"),  # counted 2028-01-01, a pay day: strictly after → 01-16
    ("2027-12-17", "2028-01-01"),  # counted 2027-12-31 → the year turns: 2028-01-01
])
def test_TT_AFF_4_vietnam_creator_paid_on_the_first_1st_or_16th_after_delivery_plus_14_days(
        vn_engine: Engine, delivered: str, paid: str) -> None:
    line = creator_line(vn_engine, creator_order("tiktok-vn", placed_at=delivered, delivered_at=delivered))
    assert (line.date, line.rule) == (dt.date.fromisoformat(paid), "TT-AFF-4")


def test_TT_AFF_4_is_a_third_party_value_and_the_trail_says_so(vn_engine: Engine) -> None:
    trail = creator_line(vn_engine, creator_order("tiktok-vn", delivered_at="2027-03-05")).trail
    assert trail is not None and trail.confidence == "third-party" and "banhangtoptop.com" in trail.source


def test_TT_AFF_4_paying_on_the_counting_day_is_policy_data(tmp_path: Path) -> None:
    # with pay_on_count_day = true: counted 2027-03-02 + 14 = 03-16, a pay day → paid 03-16
    engine = with_merchant_period(tmp_path, "tiktok-vn", extra=(
        ("tiktok-vn", "TT-AFF-4", "creator_payout.pay_on_count_day", True),))
    assert creator_line(engine, creator_order("tiktok-vn", delivered_at="2027-03-02")).date == dt.date(2027, 3, 16)
