"""Exact money: rounding per currency, refusing floats, and splits that add back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppolicy import Engine, Money, OrderRecord, allocate, round_money
from shoppolicy.money import MINOR_UNITS, CurrencyError, quantum, to_decimal
from shoppolicy.blocks import CreatorCommission, GapSpec, PercentFee, RateChoice, RateTable
from shoppolicy.blocks.bases import amount as base_amount
from shoppolicy.model import TrailEntry


def _flat_fee(code: str, currency: str, rate: Decimal, fixed: Decimal) -> PercentFee:
    trail = TrailEntry(rule="P", what=code)
    choice = RateChoice(rate=rate, rule="P", source="P", trail=trail, trail_refund=trail)
    table = RateTable(market="m", code=code, prefix=f"{code}.", keyed_by=("category",), rates={}, default=choice,
                      flat_gap=GapSpec(market="m", rule="P", key=f"{code}.rate"))
    return PercentFee(code=code, rule="P", source="P", market="m", unit=quantum(currency), base=base_amount,
                      table=table, fixed=fixed)

CURRENCIES = sorted(MINOR_UNITS)


def test_rounding_follows_the_currency_minor_unit() -> None:
    assert round_money(Decimal("2.345"), "USD") == Decimal("2.35")  # half-up
    assert round_money(Decimal("2220.5"), "IDR") == Decimal("2221")  # no minor unit in practice
    assert round_money(Decimal("1999.4"), "VND") == Decimal("1999")
    assert quantum("THB") == Decimal("0.01")


def test_floats_never_become_money() -> None:
    with pytest.raises(TypeError, match="float"):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        to_decimal(1.5)
    with pytest.raises(CurrencyError):
        Money("1", "XXX")
    with pytest.raises(CurrencyError, match="cannot combine USD with GBP"):
        Money("1", "USD") + Money("1", "GBP")


def test_allocate_hands_out_leftover_units_by_largest_remainder() -> None:
    # 100.00 in thirds: 33.33 each leaves 0.01, which goes to the first (ties: earliest)
    assert allocate(Decimal("100.00"), [Decimal(1)] * 3, "USD") == [Decimal("33.34"), Decimal("33.33"),
                                                                     Decimal("33.33")]
    assert allocate(Decimal("10"), [Decimal(1), Decimal(2)], "IDR") == [Decimal(3), Decimal(7)]


@given(
    currency=st.sampled_from(CURRENCIES),
    units=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
)
def test_allocate_parts_add_back_exactly(currency: str, units: int, weights: list[int]) -> None:
    total = Decimal(units) * quantum(currency)
    parts = allocate(total, [Decimal(w) for w in weights], currency)
    assert sum(parts, Decimal(0)) == total
    assert all(p == p.quantize(quantum(currency)) for p in parts)


rates = st.decimals(min_value=0, max_value=1, places=4)


@given(
    currency=st.sampled_from(CURRENCIES),
    units=st.integers(min_value=0, max_value=10**11),
    fee_rates=st.lists(rates, min_size=0, max_size=3),
    commission_rate=st.one_of(st.none(), rates),
    fixed_units=st.integers(min_value=0, max_value=500),
)
def test_fee_commission_and_net_split_adds_back_in_every_currency(
        currency: str, units: int, fee_rates: list[Decimal], commission_rate: Decimal | None,
        fixed_units: int) -> None:
    amount = Decimal(units) * quantum(currency)
    order = OrderRecord(order_id="p", market="m", amount=amount, currency=currency,
                        placed_at=__import__("datetime").datetime(2024, 1, 1),
                        affiliate_plan="open" if commission_rate is not None else None,
                        commission_rate=commission_rate)
    fees = []
    for i, rate in enumerate(fee_rates):
        charge = _flat_fee(f"fee{i}", currency, rate, Decimal(fixed_units) * quantum(currency))
        fees.extend(charge.apply(order))
    creator = list(CreatorCommission(rule="C", source="C", unit=quantum(currency), plans=frozenset({"open"}),
                                     platform_take=Decimal("0.1")).apply(order))
    commission = creator[0].commission if creator else Decimal(0)
    net = amount - sum((f.amount for f in fees), Decimal(0)) - commission
    unit = quantum(currency)
    for figure in [*(f.amount for f in fees), commission, net]:
        assert figure == figure.quantize(unit)  # every part is on the minor unit
    assert sum((f.amount for f in fees), Decimal(0)) + commission + net == amount
    if creator:
        assert creator[0].platform_take + creator[0].creator_receives == creator[0].commission


@given(units=st.integers(min_value=0, max_value=10**9), rate=st.one_of(st.none(), rates))
def test_engine_quote_reconciles_to_the_cent(units: int, rate: Decimal | None) -> None:
    import tests.acme.plugin as acme

    engine = _ENGINE.get("e") or _ENGINE.setdefault("e", Engine(plugins=[acme], entry_points=False))
    amount = Decimal(units) / 100
    order = {"order_id": "x", "market": "acme", "category": "toys", "amount": str(amount), "currency": "USD",
             "placed_at": "2024-08-01"}
    if rate is not None:
        order.update(affiliate_plan="open", commission_rate=str(rate))
    quote = engine.quote(order)
    commission = quote.creator.commission if quote.creator else Decimal(0)
    assert quote.total_fees + commission + quote.net == amount


_ENGINE: dict[str, Engine] = {}
