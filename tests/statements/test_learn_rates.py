"""learn-rates: a Douyin bill in fen with two categories at different rates and a third
whose orders disagree (issue 17's acceptance)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shoppolicy import Engine
from shoppolicy.policy import Layer, parse_policy
from shoppolicy.records import read_all
from shoppolicy.statements import learn_rates, read_statement, reconcile
from shoppolicy.statements.learn_rates import fewest_places
from tests.statements.conftest import fixture

D = Decimal


def douyin_orders() -> list[dict[str, object]]:
    return [r for _, r in read_all(fixture("douyin-orders.jsonl"))]


def test_two_categories_are_learned_and_the_third_is_a_conflict(engine: Engine, tmp_path: Path) -> None:
    statement = read_statement(fixture("douyin-settle-bill.jsonl"))
    learned = learn_rates(statement, engine, orders=douyin_orders())
    assert [(v.key, v.value, v.effective_from.isoformat(), [e.order_id for e in v.evidence]) for v in learned.values] \
        == [("technical_service_fee.rate.kitchenware", D("0.035"), "2024-05-03", ["DY4", "DY5"]),
            ("technical_service_fee.rate.tea", D("0.02"), "2024-05-01", ["DY1", "DY2", "DY3"])]
    tea = learned.values[1]
    assert (tea.rule, tea.market, tea.code) == ("DY-FEE-1", "douyin", "technical_service_fee")
    assert tea.low <= D("0.02") < tea.high and tea.high - tea.low < D("0.0001")
    assert tea.source.startswith("statement douyin-settle-bill.jsonl (douyin-settle-v3): 3 order(s)")
    (conflict,) = learned.conflicts
    assert (conflict.key, [e.order_id for e in conflict.evidence]) == (
        "technical_service_fee.rate.jewellery", ["DY6", "DY7"])
    text = learned.toml()
    assert "jewellery" not in text.split("[[values]]", 1)[1]  # listed above the values, never written as one
    entries = parse_policy(text, "learned.toml", Layer("learned", 2))
    assert [(e.key, e.value, e.confidence) for e in entries] == [
        ("technical_service_fee.rate.kitchenware", "0.035", "statement"),
        ("technical_service_fee.rate.tea", "0.02", "statement")]
    path = tmp_path / "learned.toml"
    path.write_text(text, encoding="utf-8")
    with_rates = engine.with_overrides(path)
    quotes = {o["order_id"]: with_rates.quote(o) for o in douyin_orders()}
    assert all(quotes[o].complete for o in ("DY1", "DY2", "DY3", "DY4", "DY5"))
    assert quotes["DY5"].fees[0].amount == D("3.11") and quotes["DY5"].fees[0].confidence == "statement"
    assert not quotes["DY6"].complete
    result = reconcile(statement, with_rates, orders=douyin_orders())
    fee_rows = {r.order_id: r.status for r in result.rows if r.fee == "technical_service_fee"}
    assert fee_rows == {"DY1": "match", "DY2": "match", "DY3": "match", "DY4": "match", "DY5": "match",
                        "DY6": "gap", "DY7": "gap"}


def test_without_categories_nothing_can_be_keyed(engine: Engine) -> None:
    learned = learn_rates(read_statement(fixture("douyin-settle-bill.jsonl")), engine)
    assert learned.values == () and learned.conflicts == ()
    assert {n.order_id for n in learned.not_learned} == {f"DY{i}" for i in range(1, 8)}
    assert "lacks that field" in learned.not_learned[0].reason


def test_one_order_a_cent_off_stops_a_flat_rate_from_being_learned(engine: Engine) -> None:
    learned = learn_rates(read_statement(fixture("tiktok-us-202501-statement.jsonl")), engine)
    assert learned.values == ()
    (conflict,) = learned.conflicts  # US3 is charged 2.09 on 25.99: above 8%, unlike the others
    assert conflict.key == "fee.referral_fee.rate"
    assert [e.order_id for e in conflict.evidence] == ["US1", "US2", "US3", "US4", "US5"]
    assert "0.080000 to 0.080416" in conflict.reason
    assert [(n.order_id, n.code) for n in learned.not_learned] == [("US0", "referral_fee"), ("US2", "refund_admin_fee")]


def test_the_policy_datas_rate_changes_split_the_periods(engine: Engine) -> None:
    orders = [{"order_id": "US1", "market": "tiktok-us", "amount": "45.00", "currency": "USD",
               "placed_at": "2024-06-20", "buyer_shipping": "5.00"},  # 6% in our data then
              {"order_id": "US4", "market": "tiktok-us", "amount": "30.00", "currency": "USD",
               "placed_at": "2024-11-05"}]
    learned = learn_rates(read_statement(fixture("tiktok-us-202501-statement.jsonl")), engine, orders=orders)
    assert [(v.value, v.effective_from.isoformat(), v.effective_to and v.effective_to.isoformat())
            for v in learned.values] == [(D("0.08"), "2024-06-20", "2024-11-04"), (D("0.08"), "2024-11-05", None)]


@pytest.mark.parametrize(("low", "high", "expected"), [
    ("0.0795", "0.0805", "0.08"), ("0.034975", "0.035025", "0.035"), ("0.0312", "0.0387", "0.035"),
    ("0.5", None, "1"), ("0.03", "0.03", None), ("1.2", None, None)])
def test_the_rate_with_the_fewest_decimal_places(low: str, high: str | None, expected: str | None) -> None:
    found = fewest_places(D(low), D(high) if high else None)
    assert found == (D(expected) if expected else None)


def test_a_fees_rate_slot_names_its_key_base_and_published_rate(engine: Engine) -> None:
    us = {"order_id": "A", "market": "tiktok-us", "amount": "100.00", "currency": "USD", "placed_at": "2025-06-10",
          "refunded": "40.00"}
    slot = engine.rate_slot(us, "referral_fee")
    assert slot is not None
    assert (slot.key, slot.base, slot.published, slot.rule) == ("fee.referral_fee.rate", D("60.00"), D("0.08"),
                                                                "TT-FEE-1")  # the refunded share is not charged
    slot = engine.rate_slot({**us, "category": "electronics"}, "referral_fee")
    assert slot is not None and slot.key == "fee.referral_fee.rate.electronics"
    assert engine.rate_slot(us, "refund_admin_fee") is None  # a share of the referral fee: no rate of its own
    douyin = {"order_id": "D", "market": "douyin", "amount": "10.00", "currency": "CNY", "placed_at": "2024-05-01"}
    slot = engine.rate_slot(douyin, "technical_service_fee")
    assert slot is not None and not slot.fillable and slot.key == "technical_service_fee.rate.<category>"
    assert slot.published is None  # a gap in our data


def test_with_overrides_layers_a_file_on_the_same_engine(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "tea.toml"
    path.write_text('[[values]]\nmarket = "douyin"\nrule = "DY-FEE-1"\nkey = "technical_service_fee.rate.tea"\n'
                    'value = "0.02"\nsource = "statement x"\nconfidence = "statement"\n', encoding="utf-8")
    order = {"order_id": "D", "market": "douyin", "category": "tea", "amount": "128.00", "currency": "CNY",
             "placed_at": "2024-05-01"}
    assert not engine.quote(order).complete
    quote = engine.with_overrides(path).quote(order)
    assert quote.complete and quote.fees[0].amount == D("2.56")
    assert quote.fees[0].trail is not None and quote.fees[0].trail.layer.startswith("override tea.toml [douyin]")
