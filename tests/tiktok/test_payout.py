"""TT-PAY-1 and TT-PAY-2: the merchant's settlement date (结算账期) by seller type and tier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from shoppolicy import Engine, InputError, PolicyGapError

from .helpers import order, us_pop, write_override


def merchant(engine: Engine, record: dict[str, object]) -> tuple[dt.date, int, str, str | None]:
    lines = [p for p in engine.payout(record) if p.party == "merchant"]
    assert len(lines) == 1
    return lines[0].date, lines[0].days or 0, lines[0].rule, lines[0].tier


# --- TT-PAY-1 ----------------------------------------------------------------------


def test_TT_PAY_1_delivered_2024_10_31_settles_after_15_days(engine: Engine) -> None:
    # 2024-10-31 + 15 days = 2024-11-15 (October has 31 days: +1 → 11-01, +14 more → 11-15)
    assert merchant(engine, us_pop("2024-10-31")) == (dt.date(2024, 11, 15), 15, "TT-PAY-1", "normal")


def test_TT_PAY_1_delivered_2024_11_01_settles_after_8_days(engine: Engine) -> None:
    # 2024-11-01 + 8 days = 2024-11-09
    assert merchant(engine, us_pop("2024-11-01")) == (dt.date(2024, 11, 9), 8, "TT-PAY-1", "normal")


def test_TT_PAY_1_the_period_in_force_on_the_delivery_date_applies_not_the_order_date(engine: Engine) -> None:
    # placed 2024-10-20 under the 15-day period, delivered 2024-11-05 under the 8-day one:
    # 2024-11-05 + 8 = 2024-11-13
    record = order("tiktok-us", placed_at="2024-10-20T09:00:00", delivered_at="2024-11-05",
                   seller_type="cross_border_pop")
    assert merchant(engine, record)[0] == dt.date(2024, 11, 13)


def test_TT_PAY_1_delivery_instant_is_read_in_los_angeles_time(engine: Engine) -> None:
    # 2024-11-01T05:00Z is 2024-10-31 22:00 in Los Angeles (PDT, UTC−7): the 15-day period,
    # 2024-10-31 + 15 = 2024-11-15
    line = engine.payout(us_pop("2024-11-01T05:00:00Z"))[0]
    assert (line.basis_date, line.date, line.days) == (dt.date(2024, 10, 31), dt.date(2024, 11, 15), 15)


def test_TT_PAY_1_quote_shows_the_settlement_date_and_its_source(engine: Engine) -> None:
    quote = engine.quote(us_pop("2024-11-01"))
    assert quote.payout_date == dt.date(2024, 11, 9)
    trail = [t for t in quote.trail if t.rule == "TT-PAY-1"]
    assert trail and trail[0].params["days"] == "8" and "seed 001" in trail[0].source


# --- TT-PAY-2 ----------------------------------------------------------------------


def test_TT_PAY_2_an_order_without_a_tier_is_on_the_normal_tier(engine: Engine) -> None:
    explicit = merchant(engine, us_pop("2024-11-01", settlement_tier="normal"))
    default = merchant(engine, us_pop("2024-11-01"))
    assert explicit == default == (dt.date(2024, 11, 9), 8, "TT-PAY-1", "normal")


@pytest.mark.parametrize("tier", ["accelerated", "short", "long"])
def test_TT_PAY_2_tiers_without_a_published_day_count_are_policy_gaps(engine: Engine, tier: str) -> None:
    with pytest.raises(PolicyGapError) as info:
        engine.payout(us_pop("2025-01-06", settlement_tier=tier))
    gap = info.value
    assert (gap.market, gap.rule, gap.key, gap.on) == (
        "tiktok-us", "TT-PAY-2", f"settlement.cross_border_pop.{tier}.days", dt.date(2025, 1, 6))
    assert "--policy" in str(gap)


def test_TT_PAY_2_quote_names_the_tier_gap_instead_of_failing(engine: Engine) -> None:
    quote = engine.quote(us_pop("2025-01-06", settlement_tier="long"))
    assert (quote.payout_date, quote.payouts, quote.pending) == (None, (), ())
    [gap] = quote.gaps
    assert (gap.figure, gap.market, gap.rule, gap.key, gap.on) == (
        "payout:merchant", "tiktok-us", "TT-PAY-2", "settlement.cross_border_pop.long.days", dt.date(2025, 1, 6))
    # a payout gap leaves the money standing: 8% referral fee on 100.00 = 8.00, net 92.00
    assert (quote.total_fees, quote.net, quote.complete) == (Decimal("8.00"), Decimal("92.00"), False)


def test_TT_PAY_2_an_override_supplies_a_tier_day_count(tmp_path: Path) -> None:
    # test data: an accelerated tier of 5 days from 2025-01-01; 2025-01-06 + 5 = 2025-01-11
    path = write_override(tmp_path / "tier.toml",
                          ("tiktok-us", "TT-PAY-2", "settlement.cross_border_pop.accelerated.days", 5),
                          effective_from="2025-01-01")
    line = Engine(policy_files=[path]).payout(us_pop("2025-01-06", settlement_tier="accelerated"))[0]
    assert (line.date, line.tier, line.rule, line.source) == (dt.date(2025, 1, 11), "accelerated", "TT-PAY-2",
                                                              "test override")
    assert line.trail is not None and line.trail.confidence == "user" and "override" in line.trail.layer


def test_TT_PAY_2_an_override_dated_later_leaves_earlier_deliveries_a_gap(tmp_path: Path) -> None:
    path = write_override(tmp_path / "tier.toml",
                          ("tiktok-us", "TT-PAY-2", "settlement.cross_border_pop.accelerated.days", 5),
                          effective_from="2025-01-01")
    with pytest.raises(PolicyGapError) as info:
        Engine(policy_files=[path]).payout(us_pop("2024-12-31", settlement_tier="accelerated"))
    # before the override's start the plugin's declared gap, with its reason, still holds
    assert info.value.on == dt.date(2024, 12, 31)
    assert "gives no day count" in str(info.value)


@pytest.mark.parametrize(("market", "seller_type"), [
    ("tiktok-us", "local"),            # a US seller type with no published period
    ("tiktok-uk", "cross_border_pop"),  # TT-PAY-1 is US-only
    ("tiktok-id", "cross_border_pop"),  # a variant: the gap comes from tiktok-sea
])
def test_TT_PAY_2_other_seller_types_and_markets_are_policy_gaps(engine: Engine, market: str,
                                                                 seller_type: str) -> None:
    with pytest.raises(PolicyGapError) as info:
        engine.payout(order(market, delivered_at="2025-03-10", seller_type=seller_type))
    assert (info.value.market, info.value.rule, info.value.key) == (
        market, "TT-PAY-2", f"settlement.{seller_type}.normal.days")


def test_TT_PAY_2_a_variant_override_does_not_reach_its_siblings(tmp_path: Path) -> None:
    # test data: Indonesian local sellers settle 7 days after delivery; 2025-03-10 + 7 = 2025-03-17
    path = write_override(tmp_path / "id.toml", ("tiktok-id", "TT-PAY-2", "settlement.local.normal.days", 7))
    engine = Engine(policy_files=[path])
    line = engine.payout(order("tiktok-id", delivered_at="2025-03-10", seller_type="local"))[0]
    assert line.date == dt.date(2025, 3, 17)
    with pytest.raises(PolicyGapError):
        engine.payout(order("tiktok-my", delivered_at="2025-03-10", seller_type="local"))


def test_TT_PAY_2_an_unknown_tier_is_refused_naming_the_field(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.payout(us_pop("2025-01-06", settlement_tier="fast"))
    assert info.value.field == "settlement_tier"
    assert "normal, accelerated, short, long" in str(info.value)


def test_TT_PAY_2_a_settlement_date_needs_the_seller_type(engine: Engine) -> None:
    quote = engine.quote(order("tiktok-us", placed_at="2025-01-02", delivered_at="2025-01-06"))
    [gap] = [g for g in quote.gaps if g.figure == "payout:merchant"]
    assert gap.key == "settlement.<seller_type>.normal.days" and "gives no seller_type" in (gap.detail or "")
    assert "cross_border_pop" in (gap.detail or "")  # the seller types with a published period
    assert quote.net == Decimal("92.00")  # the referral fee stands: 8% × 100
    with pytest.raises(PolicyGapError):
        engine.payout(order("tiktok-us", placed_at="2025-01-02", delivered_at="2025-01-06"))


def test_TT_PAY_2_an_undelivered_order_has_no_settlement_date_yet(engine: Engine) -> None:
    undelivered = order("tiktok-us", seller_type="cross_border_pop")
    quote = engine.quote(undelivered)
    assert quote.payout_date is None and quote.pending
    with pytest.raises(InputError) as info:
        engine.payout(undelivered)
    assert info.value.field == "delivered_at"


def test_TT_PAY_1_settlement_dates_the_block_remembers_stay_right_and_bounded(engine: Engine) -> None:
    # The payout block remembers an answer per delivery time, seller type and tier, within
    # a bound: every date stays right however many delivery days a batch spans.
    start = dt.date(2025, 1, 1)
    for day in range(0, 5000, 7):  # more delivery days than are kept, over the 8-day period
        delivered = start + dt.timedelta(days=day)
        quote = engine.quote(order("tiktok-us", seller_type="cross_border_pop", placed_at="2025-01-01",
                                   delivered_at=f"{delivered.isoformat()}T{day % 24:02d}:30:00"))
        assert quote.payout_date == delivered + dt.timedelta(days=8)
    us = engine.market("tiktok-us")
    [merchant, _] = engine._plan("payout", us, dt.datetime(2025, 6, 1))
    assert len(merchant._answers) <= 4096
