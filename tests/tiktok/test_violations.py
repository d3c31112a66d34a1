"""TT-VIO-1: livestream stops (停播) and security deposit deductions (扣除保证金)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shoppolicy import Engine, InputError

from .helpers import event


def test_TT_VIO_1_a_voluntary_stop_costs_no_deduction(engine: Engine) -> None:
    [shop] = engine.penalties([event(reason="voluntary")])
    [line] = shop.lines
    assert (line.deduction, line.rule, shop.total_deduction) == (Decimal("0"), "TT-VIO-1", Decimal("0"))


def test_TT_VIO_1_a_platform_stop_for_no_violation_and_no_clause_costs_no_deduction(engine: Engine) -> None:
    [shop] = engine.penalties([event(market="tiktok-uk", reason="platform_other")])
    assert shop.lines[0].deduction == Decimal("0.00") and "platform_ordered" in shop.lines[0].flags


def test_TT_VIO_1_a_platform_ordered_stop_for_a_violation_deducts_the_supplied_amount(engine: Engine) -> None:
    # deposit 5,000,000 IDR − 1,000,000 IDR = 4,000,000 IDR
    events = [event(reason="voluntary"), event(at="2025-01-10T21:30:00", reason="platform_violation",
                                               amount="1000000")]
    [shop] = engine.penalties(events, deposit="5000000")
    assert [line.deduction for line in shop.lines] == [Decimal("0"), Decimal("1000000")]
    assert (shop.total_deduction, shop.deposit_balance, shop.currency) == (
        Decimal("1000000"), Decimal("4000000"), "IDR")


def test_TT_VIO_1_a_stop_the_contract_names_deducts_the_contract_amount(engine: Engine) -> None:
    # deposit 500.00 GBP − 250.00 GBP = 250.00 GBP
    [shop] = engine.penalties([event(market="tiktok-uk", reason="contract", amount="250.00")], deposit="500.00")
    assert (shop.lines[0].deduction, shop.deposit_balance) == (Decimal("250.00"), Decimal("250.00"))


@pytest.mark.parametrize("reason", ["platform_violation", "contract"])
def test_TT_VIO_1_a_deducting_stop_without_an_amount_is_refused(engine: Engine, reason: str) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event(reason=reason)])
    assert info.value.field == "amount" and reason in str(info.value)


def test_TT_VIO_1_an_amount_on_a_voluntary_stop_is_refused_not_ignored(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event(reason="voluntary", amount="100")])
    assert info.value.field == "amount"


@pytest.mark.parametrize("reason", [None, "tired"])
def test_TT_VIO_1_a_missing_or_unknown_reason_is_refused_listing_the_reasons(engine: Engine,
                                                                             reason: str | None) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event(reason=reason)])
    assert info.value.field == "reason"
    assert "voluntary, platform_other, platform_violation, contract" in str(info.value)


@pytest.mark.parametrize(("market", "amount"), [("tiktok-id", "1000.5"), ("tiktok-vn", "20000.50"),
                                                ("tiktok-us", "10.005")])
def test_TT_VIO_1_an_amount_below_the_currency_minor_unit_is_refused(engine: Engine, market: str,
                                                                     amount: str) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event(market=market, reason="contract", amount=amount)])
    assert info.value.field == "amount"


def test_TT_VIO_1_other_kinds_are_refused_naming_the_known_one(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event(kind="fake_shipping", severity="minor")])
    assert info.value.field == "kind" and "livestream_stop" in str(info.value)


def test_TT_VIO_1_the_regional_parent_takes_no_events(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.penalties([event(market="tiktok-sea", reason="voluntary")])
    assert info.value.field == "market"
