"""DY-VIO-1..4 and the catalogue's interpretations of them: deposit deductions
(扣除保证金), the fake-shipping daily cap, spot-check counting and reply-rate points."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shoppolicy import Engine, InputError, PolicyGapError, ShopPenalties
from tests.douyin.helpers import event, value

Override = Callable[[str], Path]


def _one_shop(results: list[ShopPenalties]) -> ShopPenalties:
    [shop] = results
    return shop


def _deductions(shop: ShopPenalties) -> list[Decimal]:
    return [line.deduction for line in shop.lines]


def _fake_shipping(times: list[str], shop: str = "S1", **fields: Any) -> list[dict[str, Any]]:
    return [event("fake_shipping", at, order_id=f"{shop}-O{i}", shop_id=shop, **fields)
            for i, at in enumerate(times, start=1)]


# --- DY-VIO-1 false advertising (虚假宣传) ------------------------------------------------


@pytest.mark.parametrize(("severity", "expected"), [("minor", "100.00"), ("moderate", "200.00"),
                                                    ("severe", "2000.00")])
def test_DY_VIO_1_first_offence_by_severity(engine: Engine, severity: str, expected: str) -> None:
    shop = _one_shop(engine.penalties([event("false_advertising", "2024-06-01T10:00:00", severity=severity)]))
    [line] = shop.lines
    assert (line.deduction, line.rule, line.source) == (Decimal(expected), "DY-VIO-1", "DY-VIO-1")
    assert line.flags == ()


def test_DY_VIO_1_repeated_minor_is_charged_as_moderate(engine: Engine) -> None:
    shop = _one_shop(engine.penalties([
        event("false_advertising", "2024-06-01T10:00:00", severity="minor"),
        event("false_advertising", "2024-06-02T10:00:00", severity="minor"),
    ]))
    # first minor 100.00; the second is not the first offence: moderate, 200.00; total 300.00
    assert _deductions(shop) == [Decimal("100.00"), Decimal("200.00")]
    assert shop.lines[1].severity == "minor" and "repeat_offence" in shop.lines[1].flags
    assert shop.total_deduction == Decimal("300.00")


def test_DY_VIO_1_minor_after_any_earlier_offence_is_moderate(engine: Engine) -> None:
    # The events arrive out of order: history is taken in time order, so the severe one is first.
    shop = _one_shop(engine.penalties([
        event("false_advertising", "2024-06-05T10:00:00", severity="minor"),
        event("false_advertising", "2024-06-01T10:00:00", severity="severe"),
    ]))
    # severe 2000.00, then minor-but-not-first 200.00
    assert _deductions(shop) == [Decimal("2000.00"), Decimal("200.00")]


def test_DY_VIO_1_history_is_per_shop(engine: Engine) -> None:
    results = engine.penalties([
        event("false_advertising", "2024-06-01T10:00:00", severity="minor"),
        event("false_advertising", "2024-06-02T10:00:00", severity="minor", shop_id="S2"),
    ])
    # each shop's first minor offence: 100.00 each
    assert [(s.shop_id, s.total_deduction) for s in results] == [("S1", Decimal("100.00")),
                                                                 ("S2", Decimal("100.00"))]


def test_DY_VIO_1_repeat_rule_is_policy_data(override: Override) -> None:
    engine = Engine(policy_files=[override(value("DY-VIO-1", "false_advertising.repeat_minor_as", '"minor"'))])
    shop = _one_shop(engine.penalties([
        event("false_advertising", "2024-06-01T10:00:00", severity="minor"),
        event("false_advertising", "2024-06-02T10:00:00", severity="minor"),
    ]))
    # the user's data says a repeated minor stays minor: 100.00 + 100.00
    assert _deductions(shop) == [Decimal("100.00"), Decimal("100.00")]


def test_DY_VIO_1_severity_is_required(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event("false_advertising", "2024-06-01T10:00:00")])
    assert info.value.field == "severity"


def test_DY_VIO_1_unknown_severity_names_the_field(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event("false_advertising", "2024-06-01T10:00:00", severity="huge")])
    assert info.value.field == "severity" and "'huge'" in str(info.value)


# --- DY-VIO-2 fake shipping (虚假发货) ----------------------------------------------------


def test_DY_VIO_2_twelve_on_one_shanghai_day_are_capped_at_5000(engine: Engine) -> None:
    times = [f"2024-06-01T{h:02d}:00:00" for h in range(8, 20)]  # twelve events, 08:00..19:00
    shop = _one_shop(engine.penalties(_fake_shipping(times)))
    # 12 × 500.00 = 6000.00 uncapped; the cap of 5000.00 per shop and day leaves 10 × 500.00
    assert shop.total_deduction == Decimal("5000.00")
    assert _deductions(shop) == [Decimal("500.00")] * 10 + [Decimal("0.00")] * 2
    assert all(line.uncapped == Decimal("500.00") and line.rule == "DY-VIO-2" for line in shop.lines)
    assert "daily_cap" in shop.lines[10].flags and "daily_cap" not in shop.lines[9].flags


def test_DY_VIO_2_twelve_split_across_shanghai_midnight_cost_6000(engine: Engine) -> None:
    before = [f"2024-06-01T23:{m:02d}:00" for m in range(0, 60, 10)]  # 6 on 2024-06-01
    after = [f"2024-06-02T00:{m:02d}:00" for m in range(0, 60, 10)]  # 6 on 2024-06-02
    shop = _one_shop(engine.penalties(_fake_shipping(before + after)))
    # 6 × 500.00 = 3000.00 on each day, under the cap: 3000.00 + 3000.00
    assert shop.total_deduction == Decimal("6000.00")
    assert all(line.flags == () for line in shop.lines)


def test_DY_VIO_2_utc_offsets_land_on_the_shanghai_day(engine: Engine) -> None:
    # All twelve are on 2024-06-01 in UTC, but 10:00Z is 18:00 on 06-01 in Shanghai and
    # 17:00Z is 01:00 on 06-02: two Shanghai days, 6 × 500.00 each = 6000.00.
    times = [f"2024-06-01T10:{m:02d}:00Z" for m in range(6)] + [f"2024-06-01T17:{m:02d}:00+00:00" for m in range(6)]
    shop = _one_shop(engine.penalties(_fake_shipping(times)))
    assert shop.total_deduction == Decimal("6000.00")
    assert {line.at.date().isoformat() for line in shop.lines} == {"2024-06-01", "2024-06-02"}


def test_DY_VIO_2_utc_offsets_crossing_utc_midnight_stay_on_one_shanghai_day(engine: Engine) -> None:
    # 2024-06-01T20:00-05:00 … 2024-06-02T08:00Z spans two UTC days (06-02T01:00Z …
    # 08:00Z) but one Shanghai day (2024-06-02 09:00 … 16:00): capped at 5000.00.
    times = [f"2024-06-01T{h:02d}:00:00-05:00" for h in range(20, 24)] + \
            [f"2024-06-02T{h:02d}:00:00Z" for h in range(1, 9)]
    shop = _one_shop(engine.penalties(_fake_shipping(times)))
    assert {line.at.date().isoformat() for line in shop.lines} == {"2024-06-02"}
    assert shop.total_deduction == Decimal("5000.00")


def test_DY_VIO_2_crossing_deduction_is_cut_to_what_is_left(override: Override) -> None:
    engine = Engine(policy_files=[override(value("DY-VIO-2", "fake_shipping.daily_cap_per_shop", '"1200.00"'))])
    shop = _one_shop(engine.penalties(_fake_shipping(["2024-06-01T09:00:00", "2024-06-01T10:00:00",
                                                      "2024-06-01T11:00:00", "2024-06-01T12:00:00"])))
    # cap 1200.00: 500.00, 500.00, then 1200.00 − 1000.00 = 200.00 left, then 0.00
    assert _deductions(shop) == [Decimal("500.00"), Decimal("500.00"), Decimal("200.00"), Decimal("0.00")]
    assert shop.lines[2].uncapped == Decimal("500.00") and "daily_cap" in shop.lines[2].flags


def test_DY_VIO_2_cap_is_per_shop(engine: Engine) -> None:
    times = [f"2024-06-01T{h:02d}:00:00" for h in range(8, 19)]  # eleven events
    results = engine.penalties(_fake_shipping(times, shop="S1") + _fake_shipping(["2024-06-01T12:30:00"], shop="S2"))
    # S1: 11 × 500.00 = 5500.00 → capped at 5000.00; S2: its own 500.00
    assert [(s.shop_id, s.total_deduction) for s in results] == [("S1", Decimal("5000.00")),
                                                                 ("S2", Decimal("500.00"))]


def test_DY_VIO_2_order_penalised_again_is_flagged_delisting_risk(engine: Engine) -> None:
    shop = _one_shop(engine.penalties([
        event("fake_shipping", "2024-06-01T09:00:00", order_id="O1"),
        event("fake_shipping", "2024-06-03T09:00:00", order_id="O1"),
        event("fake_shipping", "2024-06-03T10:00:00", order_id="O2"),
    ]))
    # each event is charged 500.00; only O1's second penalty carries the flag
    assert _deductions(shop) == [Decimal("500.00")] * 3
    assert [line.flags for line in shop.lines] == [(), ("delisting_risk",), ()]


def test_DY_VIO_2_severe_is_flagged_closure_risk_and_charged_like_any_other(engine: Engine) -> None:
    shop = _one_shop(engine.penalties([event("fake_shipping", "2024-06-01T09:00:00", order_id="O1",
                                             severity="severe")]))
    [line] = shop.lines
    assert (line.deduction, line.flags) == (Decimal("500.00"), ("closure_risk",))


def test_DY_VIO_2_order_id_is_required(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event("fake_shipping", "2024-06-01T09:00:00")])
    assert info.value.field == "order_id"


# --- DY-VIO-3 customer-service phone spot checks (客服抽查) --------------------------------


@pytest.mark.parametrize(("failures", "expected"), [(3, "0.00"), (4, "500.00"), (6, "500.00")])
def test_DY_VIO_3_more_than_three_failures_cost_one_500(engine: Engine, failures: int, expected: str) -> None:
    events = [event("cs_check_failed", f"2024-06-{day:02d}T11:00:00") for day in range(1, failures + 1)]
    shop = _one_shop(engine.penalties(events))
    # "more than three" failed checks: the 4th triggers 500.00, once; later failures add nothing
    assert shop.total_deduction == Decimal(expected)
    assert all(line.rule == "DY-VIO-3" for line in shop.lines)
    assert len(shop.lines) == failures


def test_DY_VIO_3_the_fourth_failure_carries_the_deduction(engine: Engine) -> None:
    events = [event("cs_check_failed", f"2024-06-{day:02d}T11:00:00") for day in range(1, 7)]
    shop = _one_shop(engine.penalties(events))
    assert _deductions(shop) == [Decimal("0.00")] * 3 + [Decimal("500.00")] + [Decimal("0.00")] * 2


# --- DY-VIO-4 three-minute reply rate (三分钟回复率) ---------------------------------------


def test_DY_VIO_4_points_are_a_policy_gap_until_supplied(engine: Engine) -> None:
    with pytest.raises(PolicyGapError) as info:
        engine.penalties([event("reply_rate_missed", "2024-06-01T10:00:00")])
    assert (info.value.market, info.value.rule, info.value.key) == ("douyin", "DY-VIO-4", "reply_rate.points")
    assert str(info.value.on) == "2024-06-01"


def test_DY_VIO_4_supplied_points_are_charged_inside_the_window(override: Override) -> None:
    engine = Engine(policy_files=[override(value("DY-VIO-4", "reply_rate.points", '"2"'))])
    shop = _one_shop(engine.penalties([event("reply_rate_missed", "2024-06-01T08:00:00"),
                                       event("reply_rate_missed", "2024-06-01T22:59:00")]))
    # both inside 08:00-23:00: 2 points each, no deposit deduction
    assert [line.points for line in shop.lines] == [Decimal("2"), Decimal("2")]
    assert shop.total_deduction == Decimal("0.00")
    assert all(line.rule == "DY-VIO-4" and line.source == "test data for DY-VIO-4" for line in shop.lines)


def test_DY_VIO_4_outside_the_window_is_not_assessed(engine: Engine) -> None:
    # No points supplied, and no gap: 07:59 and 23:00 (the end is exclusive) are not assessed.
    shop = _one_shop(engine.penalties([event("reply_rate_missed", "2024-06-01T07:59:00"),
                                       event("reply_rate_missed", "2024-06-01T23:00:00")]))
    assert [line.points for line in shop.lines] == [Decimal("0"), Decimal("0")]
    assert all(line.flags == ("outside_assessment_window",) for line in shop.lines)


def test_DY_VIO_4_window_is_judged_in_shanghai_time(override: Override) -> None:
    engine = Engine(policy_files=[override(value("DY-VIO-4", "reply_rate.points", '"2"'))])
    # 16:30Z is 00:30 in Shanghai (outside); 01:00Z is 09:00 in Shanghai (inside)
    shop = _one_shop(engine.penalties([event("reply_rate_missed", "2024-06-01T16:30:00Z"),
                                       event("reply_rate_missed", "2024-06-02T01:00:00Z")]))
    assert [(line.points, line.flags) for line in shop.lines] == [
        (Decimal("0"), ("outside_assessment_window",)), (Decimal("2"), ())]


# --- the deposit (保证金) and the event contract --------------------------------------------


def test_DY_VIO_deposit_balance_and_below_zero_warning(engine: Engine) -> None:
    shop = _one_shop(engine.penalties([
        event("false_advertising", "2024-06-01T10:00:00", severity="severe"),
        event("fake_shipping", "2024-06-02T10:00:00", order_id="O1"),
    ], deposit="2000"))
    # 2000.00 − 2000.00 = 0.00; then 0.00 − 500.00 = −500.00, below zero
    assert [line.balance_after for line in shop.lines] == [Decimal("0.00"), Decimal("-500.00")]
    assert shop.deposit_balance == Decimal("-500.00")
    [warning] = shop.warnings
    assert "below zero" in warning and "fake_shipping" in warning


def test_DY_VIO_deposit_balance_stays_without_warning(engine: Engine) -> None:
    shop = _one_shop(engine.penalties([event("false_advertising", "2024-06-01T10:00:00", severity="moderate")],
                                      deposit="10000"))
    # 10000.00 − 200.00 = 9800.00
    assert shop.deposit_balance == Decimal("9800.00")
    assert shop.warnings == ()


def test_DY_VIO_unknown_kind_lists_the_known_kinds(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event("late_reply", "2024-06-01T10:00:00")])
    assert info.value.field == "kind"
    for kind in ("cs_check_failed", "fake_shipping", "false_advertising", "reply_rate_missed"):
        assert kind in str(info.value)


def test_DY_VIO_an_amount_on_the_event_is_refused_not_ignored(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event("false_advertising", "2024-06-01T10:00:00", severity="minor", amount="50")])
    assert info.value.field == "amount"
