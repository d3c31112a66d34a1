"""Exact money: rounding per currency, refusing floats, and splits that add back."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppolicy import Engine, InputError, Market, Money, OrderRecord, allocate, hookimpl, round_money
from shoppolicy.blocks import CreatorCommission, GapSpec, PercentFee, RateChoice, RateTable
from shoppolicy.blocks.bases import amount as base_amount
from shoppolicy.model import TrailEntry
from shoppolicy.money import (
    ISO4217,
    ISO4217_PUBLISHED,
    MINOR_UNITS,
    PRACTICE_MINOR_UNITS,
    CurrencyError,
    on_minor_unit,
    quantum,
    to_decimal,
)


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


# --- the currency table: ISO 4217 List One, with marketplace practice on top ------------

def _shipped_list() -> list[dict[str, str]]:
    """The rows of the data file as the package ships it, read without shoppolicy's loader."""
    text = (files("shoppolicy") / "data" / "iso4217.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def test_every_iso_4217_code_in_the_shipped_list_is_known_with_its_minor_unit() -> None:
    rows = _shipped_list()
    assert len(rows) > 150 and len({row["code"] for row in rows}) == len(rows)  # the whole list, once per code
    for row in rows:
        assert ISO4217[row["code"]].number == row["number"]
        if row["minor_unit"] == "N.A.":
            assert ISO4217[row["code"]].minor_unit is None and row["code"] not in MINOR_UNITS
        else:
            assert MINOR_UNITS[row["code"]] == PRACTICE_MINOR_UNITS.get(row["code"], int(row["minor_unit"]))


@pytest.mark.parametrize(("code", "places"), [("JPY", 0), ("KWD", 3), ("BHD", 3), ("USD", 2), ("CLF", 4),
                                              ("VND", 0), ("EUR", 2), ("CNY", 2)])
def test_minor_units_are_the_standards(code: str, places: int) -> None:
    assert ISO4217[code].minor_unit == places
    assert MINOR_UNITS[code] == places
    assert quantum(code) == Decimal(1).scaleb(-places)


def test_idr_rounds_to_whole_units_as_the_marketplaces_do_though_iso_gives_two_places() -> None:
    # rules-catalogue.md, TikTok Shop: "IDR and VND have no minor unit in practice"
    assert ISO4217["IDR"].minor_unit == 2  # the standard is shipped as it is ...
    assert MINOR_UNITS["IDR"] == 0 and quantum("IDR") == 1  # ... and practice applied on top


def test_the_shipped_list_names_its_publication_date() -> None:
    assert isinstance(ISO4217_PUBLISHED, dt.date)
    assert dt.date(2026, 1, 1) <= ISO4217_PUBLISHED  # the list first shipped, or a newer one


def test_codes_without_a_minor_unit_are_not_money() -> None:
    assert ISO4217["XAU"].name == "Gold"
    with pytest.raises(CurrencyError, match=r"XAU \(Gold\) has no minor unit in ISO 4217"):
        quantum("XAU")


@pytest.mark.parametrize(("code", "suggestion"), [("usd", "USD"), ("EURO", "EUR"), ("KWDD", "KWD")])
def test_an_unknown_code_is_refused_with_the_closest_known_code(code: str, suggestion: str) -> None:
    with pytest.raises(CurrencyError) as err:
        quantum(code)
    assert str(err.value) == (f"unknown currency: expected an ISO 4217 code such as USD, got {code!r} "
                              f"(did you mean {suggestion}?)")


@pytest.mark.parametrize(("value", "currency", "on_unit"), [
    ("100.00", "USD", True), ("100.000", "USD", False), ("100", "USD", True), ("100.005", "USD", False),
    ("1000", "IDR", True), ("1000.0", "IDR", False), ("1000.5", "IDR", False), ("1E+3", "JPY", True),
    ("12.345", "KWD", True), ("12.3455", "KWD", False), ("0.0001", "CLF", True),
    ("1" + "0" * 40 + ".00", "USD", True), ("1" + "0" * 40 + ".001", "USD", False),  # past the context's precision
])
def test_on_minor_unit_counts_the_places_written(value: str, currency: str, on_unit: bool) -> None:
    # an amount is written in its currency: "100.000" USD has one place too many (issue 15)
    assert on_minor_unit(Decimal(value), currency) is on_unit


@given(currency=st.sampled_from(sorted(MINOR_UNITS)),
       value=st.decimals(min_value=0, max_value=10**12, places=6, allow_nan=False, allow_infinity=False))
def test_on_minor_unit_agrees_with_rounding_to_the_unit(currency: str, value: Decimal) -> None:
    # a value with no more places than the currency's is unchanged by rounding to its unit
    if on_minor_unit(value, currency):
        assert value == round_money(value, currency)
    else:
        assert -value.as_tuple().exponent > MINOR_UNITS[currency]  # type: ignore[operator]


# --- amounts off their currency's minor unit are refused -----------------------------------

class _AcmeAbroad:
    """Variants of acme in KWD (three places, not in the old table of ten) and IDR."""

    @hookimpl
    def shoppolicy_markets(self) -> list[Market]:
        return [Market(id="acme-kw", name="Acme Kuwait", currency="KWD", timezone="Asia/Kuwait", parent="acme"),
                Market(id="acme-id", name="Acme Indonesia", currency="IDR", timezone="Asia/Jakarta",
                       parent="acme")]


@pytest.fixture
def abroad() -> Engine:
    import tests.acme.plugin as acme

    return Engine(plugins=[acme, _AcmeAbroad()], entry_points=False)


def _order(market: str, currency: str, amount: str, **fields: str) -> dict[str, Any]:
    return {"order_id": "K1", "market": market, "category": "toys", "amount": amount, "currency": currency,
            "placed_at": "2024-07-01", **fields}


def test_a_market_in_a_currency_new_to_the_sdk_quotes_on_its_minor_unit(abroad: Engine) -> None:
    # toys 6% of 12.345 KWD = 0.7407 -> 0.741 (three places, half-up); net 12.345 - 0.741
    quote = abroad.quote(_order("acme-kw", "KWD", "12.345"))
    assert [fee.amount for fee in quote.fees] == [Decimal("0.741")]
    assert quote.net == Decimal("11.604") and quote.currency == "KWD"


@pytest.mark.parametrize(("market", "currency", "field", "value", "message"), [
    ("acme", "USD", "amount", "100.005", "expected at most 2 decimal places for USD, got 100.005"),
    ("acme", "USD", "platform_discount", "0.001", "expected at most 2 decimal places for USD, got 0.001"),
    ("acme", "USD", "buyer_shipping", "4.999", "expected at most 2 decimal places for USD, got 4.999"),
    ("acme", "USD", "tax", "8.255", "expected at most 2 decimal places for USD, got 8.255"),
    ("acme", "USD", "refunded", "0.015", "expected at most 2 decimal places for USD, got 0.015"),
    ("acme-id", "IDR", "amount", "1000.5", "expected a whole number (no decimal places) for IDR, got 1000.5"),
    ("acme-kw", "KWD", "amount", "12.3455", "expected at most 3 decimal places for KWD, got 12.3455"),
])
def test_an_amount_finer_than_its_currency_is_refused_naming_the_field(
        abroad: Engine, market: str, currency: str, field: str, value: str, message: str) -> None:
    order = _order(market, currency, "100" if field == "amount" else "100.00")
    order[field] = value
    with pytest.raises(InputError) as err:
        abroad.quote(order)
    assert err.value.field == field
    assert err.value.message == message


def test_an_amount_is_written_with_at_most_its_currencys_places(abroad: Engine) -> None:
    # "100.00" USD and "1000" IDR are written in their currency: priced (toys 6%)
    assert abroad.quote(_order("acme", "USD", "100.00")).net == Decimal("94.00")
    assert abroad.quote(_order("acme-id", "IDR", "1000")).net == Decimal("940")
    with pytest.raises(InputError, match=r"expected at most 2 decimal places for USD, got 100\.000"):
        abroad.quote(_order("acme", "USD", "100.000"))  # a place too many, even a zero


def test_a_violation_amount_finer_than_its_markets_currency_is_refused(abroad: Engine) -> None:
    event = {"shop_id": "s1", "market": "acme-id", "kind": "late_shipping", "at": "2024-07-02T10:00:00"}
    with pytest.raises(InputError) as err:
        abroad.penalties([dict(event, amount="1000.5")])
    assert (err.value.field, err.value.row) == ("amount", 1)
    assert err.value.message == "expected a whole number (no decimal places) for IDR, got 1000.5"
    assert abroad.penalties([dict(event, amount="1000")])  # on the unit: accepted


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
