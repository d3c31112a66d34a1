"""DY-PAY-1: merchant goods payment and creator commission settled in the settlement
period after completion; the newcomer stage (新手期) and later stages have their own
day counts, which seed 002 does not give (policy gaps until supplied)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shoppolicy import Engine, InputError, PolicyGapError
from tests.douyin.helpers import order, value

Override = Callable[[str], Path]
RATE = value("DY-FEE-1", "technical_service_fee.rate.toys", '"0.05"')


def _engine(override: Override, *, newcomer: int | None = None, regular: int | None = None) -> Engine:
    body = RATE
    if newcomer is not None:
        body += value("DY-PAY-1", "settlement.days.newcomer", str(newcomer))
    if regular is not None:
        body += value("DY-PAY-1", "settlement.days.regular", str(regular))
    return Engine(policy_files=[override(body)])


def _completed(**fields: str | None) -> dict[str, Any]:
    """A completed order of the regular stage; a field given as None is left out."""
    return order(**{"settlement_tier": "regular", "completed_at": "2024-06-10T18:00:00", **fields})


def test_DY_PAY_1_day_counts_are_a_policy_gap_without_an_override(engine: Engine) -> None:
    # No category: the fee is not needed to date a payout of an order without a creator.
    with pytest.raises(PolicyGapError) as info:
        engine.payout(_completed(category=None))
    gap = info.value
    assert (gap.market, gap.rule, gap.key) == ("douyin", "DY-PAY-1", "settlement.days.regular")
    assert str(gap.on) == "2024-06-10"
    assert "--policy FILE" in str(gap)


def test_DY_PAY_1_a_quote_keeps_its_fees_and_names_the_payout_gap(override: Override) -> None:
    q = _engine(override).quote(_completed())
    assert (q.payout_date, q.payouts, q.pending) == (None, (), ())
    # 10000.00 × 5% = 500.00; a payout gap leaves the money figures standing: net 9500.00
    assert (q.fees[0].amount, q.net, q.total_fees) == (Decimal("500.00"), Decimal("9500.00"), Decimal("500.00"))
    [gap] = q.gaps
    assert (gap.figure, gap.rule, gap.key, gap.on) == (
        "payout:merchant", "DY-PAY-1", "settlement.days.regular", dt.date(2024, 6, 10))
    assert not q.complete


def test_DY_PAY_1_merchant_paid_completion_plus_supplied_days(override: Override) -> None:
    [line] = _engine(override, regular=7).payout(_completed())
    # completed 2024-06-10 + 7 days = 2024-06-17
    assert (line.party, line.date, line.rule, line.tier, line.days) == (
        "merchant", dt.date(2024, 6, 17), "DY-PAY-1", "regular", 7)
    assert (line.basis, line.basis_date) == ("completed_at", dt.date(2024, 6, 10))
    assert line.source == "test data for DY-PAY-1"


def test_DY_PAY_1_newcomer_stage_uses_its_own_day_count(override: Override) -> None:
    engine = _engine(override, newcomer=14)
    [line] = engine.payout(_completed(settlement_tier="newcomer"))
    # 2024-06-10 + 14 days = 2024-06-24
    assert line.date == dt.date(2024, 6, 24)
    # the regular tier is still a gap in the same engine
    with pytest.raises(PolicyGapError, match=r"settlement\.days\.regular"):
        engine.payout(_completed(settlement_tier="regular"))


def test_DY_PAY_1_creator_commission_settles_in_the_same_period(override: Override) -> None:
    engine = _engine(override, newcomer=14)
    lines = engine.payout(_completed(settlement_tier="newcomer", amount="200.00",
                                     affiliate_plan="selected_alliance", commission_rate="0.20"))
    by_party = {p.party: p for p in lines}
    # both on 2024-06-10 + 14 = 2024-06-24
    assert by_party["merchant"].date == by_party["creator"].date == dt.date(2024, 6, 24)
    assert by_party["creator"].rule == "DY-PAY-1"
    q = engine.quote(_completed(settlement_tier="newcomer", amount="200.00", affiliate_plan="selected_alliance",
                                commission_rate="0.20"))
    assert q.payout_date == q.creator_payout_date == dt.date(2024, 6, 24)


def test_DY_PAY_1_no_creator_line_without_a_commission(override: Override) -> None:
    lines = _engine(override, regular=7).payout(_completed())
    assert [p.party for p in lines] == ["merchant"]


def test_DY_PAY_1_completion_with_utc_offset_counts_from_the_shanghai_date(override: Override) -> None:
    # 2024-06-10T17:30Z is 2024-06-11 01:30 in Shanghai: 2024-06-11 + 7 = 2024-06-18
    [line] = _engine(override, regular=7).payout(_completed(completed_at="2024-06-10T17:30:00Z"))
    assert line.basis_date == dt.date(2024, 6, 11)
    assert line.date == dt.date(2024, 6, 18)


def test_DY_PAY_1_settlement_tier_is_a_gap_naming_the_field_when_missing(override: Override) -> None:
    quote = _engine(override, regular=7).quote(_completed(settlement_tier=None))
    gaps = {g.figure: g for g in quote.gaps}
    merchant = gaps["payout:merchant"]  # the date depends on the stage the order lacks
    assert (merchant.rule, merchant.key) == ("DY-PAY-1", "settlement.days.<settlement_tier>")
    assert "gives no settlement_tier" in (merchant.detail or "") and "newcomer, regular" in (merchant.detail or "")
    assert quote.payout_date is None and quote.fees  # the fee stands


def test_DY_PAY_1_unknown_settlement_tier_names_the_field(override: Override) -> None:
    with pytest.raises(InputError) as info:
        _engine(override, regular=7).payout(_completed(settlement_tier="accelerated"))
    assert info.value.field == "settlement_tier"
    assert "'accelerated'" in str(info.value)


def test_DY_PAY_1_needs_the_completion_date(override: Override) -> None:
    record = _completed(delivered_at="2024-06-08T12:00:00")
    del record["completed_at"]
    with pytest.raises(InputError) as info:
        _engine(override, regular=7).payout(record)
    assert info.value.field == "completed_at"


def test_DY_PAY_1_day_count_changed_between_delivery_and_completion(override: Override) -> None:
    path = override(value("DY-PAY-1", "settlement.days.regular", "7", effective_to="2024-06-30")
                    + value("DY-PAY-1", "settlement.days.regular", "10", effective_from="2024-07-01"))
    engine = Engine(policy_files=[path])
    record = _completed(delivered_at="2024-06-29T12:00:00", completed_at="2024-07-02T09:00:00", category=None)
    # Delivered while 7 days were in force, completed under 10: Douyin pays from completion,
    # and the market's payout_basis makes the engine pick the completion date's value.
    # 2024-07-02 + 10 = 2024-07-12
    assert engine.payout(record)[0].date == dt.date(2024, 7, 12)


# --- DY-PAY-1's constraint: the newcomer period is longer than the regular one ---------------

@pytest.mark.parametrize(("newcomer", "regular"), [(7, 14), (14, 14)])
def test_DY_PAY_1_a_newcomer_period_not_longer_than_the_regular_one_is_refused_at_load(
        override: Override, newcomer: int, regular: int) -> None:
    from shoppolicy import PolicyFileError

    with pytest.raises(PolicyFileError) as info:
        _engine(override, newcomer=newcomer, regular=regular)
    message = str(info.value)
    assert "\n" not in message and ".toml" in message  # one line, naming the file
    assert "settlement.days.newcomer" in message and "settlement.days.regular" in message
    assert "must be longer than the regular one" in message and "DY-PAY-1" in message


def test_DY_PAY_1_a_longer_newcomer_period_or_one_alone_is_accepted(override: Override) -> None:
    [line] = _engine(override, newcomer=15, regular=14).payout(_completed(settlement_tier="newcomer"))
    assert line.days == 15
    [line] = _engine(override, newcomer=3).payout(_completed(settlement_tier="newcomer"))  # nothing to compare
    assert line.days == 3


def test_DY_PAY_1_the_cli_refuses_the_override_with_one_line(override: Override) -> None:
    from click.testing import CliRunner

    from shoppolicy.cli import cli

    path = override(value("DY-PAY-1", "settlement.days.newcomer", "7") + value("DY-PAY-1", "settlement.days.regular",
                                                                             "14"))
    result = CliRunner().invoke(cli, ["--policy", str(path), "rules", "douyin", "--as-of", "2025-01-01"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: ") and str(path) in line and "settlement.days.newcomer = 7" in line
