"""DY-FEE-1 (technical service fee, 技术服务费), DY-FEE-2 (Selected Alliance commission,
精选联盟佣金) and DY-FEE-3 (the platform's 10% take on the commission)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from shoppolicy import Engine, InputError, PolicyFileError
from tests.douyin.helpers import order, value

Override = Callable[[str], Path]


def _engine_with_rate(override: Override, rate: str = '"0.05"', category: str = "toys") -> Engine:
    return Engine(policy_files=[override(value("DY-FEE-1", f"technical_service_fee.rate.{category}", rate))])


# --- DY-FEE-1 ---------------------------------------------------------------------------


def test_DY_FEE_1_ten_thousand_at_five_percent(override: Override) -> None:
    q = _engine_with_rate(override).quote(order(amount="10000.00"))
    [fee] = q.fees
    # 10000.00 × 5% = 500.00 (the seed's worked example)
    assert (fee.code, fee.amount, fee.rule, fee.rate) == ("technical_service_fee", Decimal("500.00"), "DY-FEE-1",
                                                          Decimal("0.05"))
    assert fee.source == "test data for DY-FEE-1"
    assert fee.confidence == "user"
    # net = 10000.00 − 500.00, no commission
    assert q.net == Decimal("9500.00")


def test_DY_FEE_1_rounds_half_up_to_the_fen(override: Override) -> None:
    q = _engine_with_rate(override).quote(order(amount="59.90"))
    # 59.90 × 0.05 = 2.995 → 3.00 (half-up); net = 59.90 − 3.00 = 56.90
    assert q.fees[0].amount == Decimal("3.00")
    assert q.net == Decimal("56.90")


def test_DY_FEE_1_category_without_a_rate_is_a_policy_gap(engine: Engine) -> None:
    q = engine.quote(order(category="toys"))
    [gap] = q.gaps
    assert (gap.figure, gap.market, gap.rule, gap.key, gap.category) == (
        "technical_service_fee", "douyin", "DY-FEE-1", "technical_service_fee.rate.toys", "toys")
    assert str(gap.on) == "2024-06-01"
    assert "--policy FILE" in gap.supply
    assert gap.detail is not None and "no per-category rates" in gap.detail  # the plugin's [[gaps]] reason
    # the published range 1%-5%, and the fee's bounds on 10000.00: 100.00 to 500.00
    assert (gap.low, gap.high, gap.source) == (Decimal("0.01"), Decimal("0.05"), "DY-FEE-1")
    assert (gap.low_amount, gap.high_amount) == (Decimal("100.00"), Decimal("500.00"))
    assert (q.complete, q.net, q.total_fees, q.fees) == (False, None, None, ())


def test_DY_FEE_1_a_supplied_rate_covers_only_its_category(override: Override) -> None:
    engine = _engine_with_rate(override, category="toys")
    q = engine.quote(order(category="shoes"))
    assert [(g.figure, g.rule, g.key, g.category) for g in q.gaps] == [
        ("technical_service_fee", "DY-FEE-1", "technical_service_fee.rate.shoes", "shoes")]
    assert (q.net, q.fees) == (None, ())
    assert engine.quote(order(category="toys")).net == Decimal("9500.00")  # 10000.00 − 5%


def test_DY_FEE_1_a_rate_that_ended_is_named_as_ended(override: Override) -> None:
    path = override(value("DY-FEE-1", "technical_service_fee.rate.toys", '"0.05"', effective_to="2024-05-31"))
    engine = Engine(policy_files=[path])
    # in force on 2024-05-31: 10000.00 × 5% = 500.00
    assert engine.quote(order(placed_at="2024-05-31T23:00:00")).fees[0].amount == Decimal("500.00")
    q = engine.quote(order(placed_at="2024-06-01T00:00:00"))
    [gap] = q.gaps
    assert (gap.figure, gap.rule, gap.key) == ("technical_service_fee", "DY-FEE-1", "technical_service_fee.rate.toys")
    assert gap.state == "ended"
    assert q.net is None


def test_DY_FEE_1_rate_above_the_published_range_is_refused(override: Override) -> None:
    path = override(value("DY-FEE-1", "technical_service_fee.rate.toys", '"0.06"')
                    + value("DY-FEE-1", "technical_service_fee.rate.shoes", '"0.02"'))
    with pytest.raises(PolicyFileError) as info:  # once, at load: not once per order
        Engine(policy_files=[path])
    message = str(info.value)
    assert str(path) in message and "technical_service_fee.rate.toys = 0.06" in message
    assert "0.01-0.05" in message


def test_DY_FEE_1_rate_below_the_published_range_is_refused(override: Override) -> None:
    with pytest.raises(PolicyFileError, match=r"technical_service_fee\.rate\.toys = 0\.005"):
        _engine_with_rate(override, rate='"0.005"').quote(order())


def test_DY_FEE_1_the_range_itself_can_be_overridden(override: Override) -> None:
    path = override(value("DY-FEE-1", "technical_service_fee.min_rate", '"0.005"')
                    + value("DY-FEE-1", "technical_service_fee.rate.toys", '"0.005"'))
    q = Engine(policy_files=[path]).quote(order(amount="1000.00"))
    # 1000.00 × 0.5% = 5.00
    assert q.fees[0].amount == Decimal("5.00")


def test_DY_FEE_1_order_without_category_names_the_field(override: Override) -> None:
    quote = _engine_with_rate(override).quote(order(category=None))
    [gap] = quote.gaps  # the fee needs an input the order lacks: a gap naming the field
    assert (gap.figure, gap.rule, gap.key) == ("technical_service_fee", "DY-FEE-1",
                                               "technical_service_fee.rate.<category>")
    assert "gives no category" in (gap.detail or "") and "toys" in (gap.detail or "")  # the known categories
    assert quote.net is None


def test_DY_FEE_1_before_the_seed_attests_it_is_a_gap(override: Override) -> None:
    # The published range is in force from 2022-12-12 (seed 002's date), not before.
    q = _engine_with_rate(override).quote(order(placed_at="2022-12-11T23:00:00"))
    # an order without a creator: the only figure the date hides is the technical service fee
    assert [(g.figure, g.rule, g.state) for g in q.gaps] == [("technical_service_fee", "DY-FEE-1", "not_yet")]
    assert (q.net, q.creator) == (None, None)


# --- DY-FEE-2 ---------------------------------------------------------------------------


def test_DY_FEE_2_selected_alliance_commission_is_deducted_from_net(override: Override) -> None:
    q = _engine_with_rate(override).quote(order(amount="200.00", affiliate_plan="selected_alliance",
                                                commission_rate="0.20"))
    assert q.creator is not None
    # commission = 200.00 × 20% = 40.00, paid by the merchant
    assert (q.creator.plan, q.creator.commission, q.creator.rule) == ("selected_alliance", Decimal("40.00"),
                                                                      "DY-FEE-2")
    # fee = 200.00 × 5% = 10.00; net = 200.00 − 10.00 − 40.00 = 150.00
    assert q.fees[0].amount == Decimal("10.00")
    assert q.net == Decimal("150.00")


def test_DY_FEE_2_no_plan_means_no_commission(override: Override) -> None:
    q = _engine_with_rate(override).quote(order(amount="200.00"))
    assert q.creator is None
    # net = 200.00 − 10.00
    assert q.net == Decimal("190.00")


def test_DY_FEE_2_another_plan_names_the_field(override: Override) -> None:
    with pytest.raises(InputError) as info:
        _engine_with_rate(override).quote(order(affiliate_plan="open", commission_rate="0.20"))
    assert info.value.field == "affiliate_plan"
    assert "selected_alliance" in str(info.value) and "'open'" in str(info.value)


def test_DY_FEE_2_rate_without_a_plan_is_refused_not_ignored(override: Override) -> None:
    with pytest.raises(InputError) as info:
        _engine_with_rate(override).quote(order(commission_rate="0.20"))
    assert info.value.field == "affiliate_plan"


def test_DY_FEE_2_plan_without_a_rate_names_the_field(override: Override) -> None:
    with pytest.raises(InputError) as info:
        _engine_with_rate(override).quote(order(affiliate_plan="selected_alliance"))
    assert info.value.field == "commission_rate"


# --- DY-FEE-3 ---------------------------------------------------------------------------


def test_DY_FEE_3_platform_takes_ten_percent_from_the_creator(override: Override) -> None:
    q = _engine_with_rate(override).quote(order(amount="200.00", affiliate_plan="selected_alliance",
                                                commission_rate="0.20"))
    assert q.creator is not None
    # commission 40.00; platform take = 40.00 × 10% = 4.00; creator receives 40.00 − 4.00 = 36.00
    assert q.creator.platform_take == Decimal("4.00")
    assert q.creator.creator_receives == Decimal("36.00")
    # the take reduces the creator's side only: the merchant still pays the whole 40.00
    assert q.net == Decimal("150.00")
    assert "DY-FEE-3" in q.creator.source


def test_DY_FEE_3_rounds_commission_then_take_half_up(override: Override) -> None:
    q = _engine_with_rate(override).quote(order(amount="99.99", affiliate_plan="selected_alliance",
                                                commission_rate="0.15"))
    assert q.creator is not None
    # commission = 99.99 × 0.15 = 14.9985 → 15.00; take = 1.50; creator 13.50
    # fee = 99.99 × 0.05 = 4.9995 → 5.00; net = 99.99 − 5.00 − 15.00 = 79.99
    assert (q.creator.commission, q.creator.platform_take, q.creator.creator_receives) == (
        Decimal("15.00"), Decimal("1.50"), Decimal("13.50"))
    assert q.net == Decimal("79.99")
