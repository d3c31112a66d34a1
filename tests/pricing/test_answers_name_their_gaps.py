"""Issue 14: one pricing path whose answers name their gaps instead of refusing the order.

Each test asserts figures worked out from the rules catalogue, never what the code prints.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoppolicy import Engine, Market, hookimpl
from shoppolicy.cli import cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DOUYIN_ORDER = {"order_id": "DY-7", "market": "douyin", "category": "pet_food", "amount": "10000.00",
                "currency": "CNY", "placed_at": "2025-01-05", "affiliate_plan": "selected_alliance",
                "commission_rate": "0.20"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _write(path: Path, *records: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_douyin_category_without_rate_keeps_the_creator_commission_and_names_DY_FEE_1(engine: Engine) -> None:
    quote = engine.quote(DOUYIN_ORDER)
    # DY-FEE-2: 10000 × 0.20 = 2000 paid by the merchant; DY-FEE-3: the platform keeps 10% of it.
    assert quote.creator is not None
    assert (quote.creator.commission, quote.creator.platform_take, quote.creator.creator_receives) == (
        Decimal("2000.00"), Decimal("200.00"), Decimal("1800.00"))
    [gap] = quote.gaps
    assert (gap.figure, gap.rule, gap.key, gap.category) == (
        "technical_service_fee", "DY-FEE-1", "technical_service_fee.rate.pet_food", "pet_food")
    # DY-FEE-1: rates lie between 1% and 5%, so the fee on 10000 lies between 100 and 500: bounds, not the fee.
    assert (gap.low, gap.high, gap.low_amount, gap.high_amount) == (
        Decimal("0.01"), Decimal("0.05"), Decimal("100.00"), Decimal("500.00"))
    assert quote.fees == ()
    assert quote.net is None and quote.total_fees is None and quote.complete is False


def test_douyin_gap_quote_exits_3_with_net_null(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["quote", str(_write(tmp_path / "o.jsonl", DOUYIN_ORDER))])
    assert result.exit_code == 3
    line = json.loads(result.stdout)
    assert line["net"] is None and line["complete"] is False
    assert line["creator"]["commission"] == "2000.00"
    assert [g["key"] for g in line["gaps"]] == ["technical_service_fee.rate.pet_food"]


def test_tiktok_th_commerce_growth_fee_stands_whatever_else_is_unknown(engine: Engine) -> None:
    # TT-FEE-8: 6.42% of 900 = 57.78 (the page's own worked example), in force from its attestation.
    quote = engine.quote({"order_id": "TH-1", "market": "tiktok-th", "category": "beauty", "amount": "900.00",
                          "currency": "THB", "placed_at": "2026-11-25", "delivered_at": "2026-11-27",
                          "seller_type": "local", "affiliate_plan": "open", "commission_rate": "0.10"})
    [growth] = [f for f in quote.fees if f.rule == "TT-FEE-8"]
    assert (growth.amount, growth.rate, growth.base) == (Decimal("57.78"), Decimal("0.0642"), Decimal("900.00"))
    assert quote.creator is not None and quote.creator.commission == Decimal("90.00")
    assert not quote.complete  # the Thai settlement period and creator payout are not published
    assert {g.figure for g in quote.gaps} >= {"payout:merchant"}


def test_tiktok_id_creator_payout_date_stands_whatever_else_is_unknown(engine: Engine) -> None:
    # TT-AFF-3: Indonesia pays the creator the day after the 6-day after-sales window that
    # follows delivery: delivered 2024-07-01 -> 2024-07-08.
    quote = engine.quote({"order_id": "ID-1", "market": "tiktok-id", "category": "no_such_category",
                          "amount": "100000", "currency": "IDR", "placed_at": "2024-06-28",
                          "delivered_at": "2024-07-01", "seller_type": "local", "affiliate_plan": "open",
                          "commission_rate": "0.10"})
    assert quote.creator_payout_date is not None and quote.creator_payout_date.isoformat() == "2024-07-08"
    assert quote.creator is not None and quote.creator.commission == Decimal("10000")
    assert {g.figure for g in quote.gaps} >= {"commission", "payout:merchant"}
    assert quote.net is None


class _VariantPlugin:
    """A third party's markets: a variant of tiktok-us with no fee data of its own, and a
    market with no parent and no fee rules."""

    @hookimpl
    def shoppolicy_markets(self) -> list[Market]:
        return [Market(id="tiktok-us-wholesale", name="US wholesale (test)", currency="USD",
                       timezone="America/Los_Angeles", parent="tiktok-us"),
                Market(id="orphan-mall", name="Orphan mall (test)", currency="EUR", timezone="Europe/Paris")]


@pytest.fixture(scope="module")
def variant_engine() -> Engine:
    return Engine(plugins=[_VariantPlugin()])


def test_a_variant_with_no_fee_data_quotes_with_its_parents_blocks(variant_engine: Engine) -> None:
    # TT-FEE-1 from 2024-07-01: 8% of amount + shipping; 100 + 0 -> 8.00, as on tiktok-us itself.
    order = {"order_id": "W1", "market": "tiktok-us-wholesale", "amount": "100.00", "currency": "USD",
             "placed_at": "2025-01-05", "delivered_at": "2025-01-08", "seller_type": "cross_border_pop"}
    quote = variant_engine.quote(order)
    [fee] = quote.fees
    assert (fee.code, fee.rule, fee.amount) == ("referral_fee", "TT-FEE-1", Decimal("8.00"))
    assert quote.net == Decimal("92.00") and quote.complete
    # TT-PAY-1: 8 days after delivery from 2024-11-01.
    assert quote.payout_date is not None and quote.payout_date.isoformat() == "2025-01-16"


def test_a_market_nobody_prices_reports_a_gap_on_every_order_never_a_zero(variant_engine: Engine) -> None:
    for amount in ("10.00", "250.00"):
        quote = variant_engine.quote({"order_id": "O1", "market": "orphan-mall", "amount": amount,
                                      "currency": "EUR", "placed_at": "2025-01-05", "delivered_at": "2025-01-06"})
        assert quote.fees == () and quote.net is None and not quote.complete
        assert {g.figure for g in quote.gaps} == {"fees", "payout:merchant"}
        assert all("no installed plugin" in (g.detail or "") for g in quote.gaps)


@pytest.mark.parametrize(("edit", "named"), [
    (("fee.commission.rate.fashion", "fee.comission.rate.fashion"), "fee.comission.rate.fashion"),
    (('rule = "TT-FEE-19"', 'rule = "TT-PAY-1"'), "TT-PAY-1"),
    (('value = "0.081"', 'value = "abc"'), "'abc'"),
], ids=["misspelt-key", "undeclared-rule", "rate-abc"])
def test_a_bad_override_is_refused_at_load_with_one_line(tmp_path: Path, edit: tuple[str, str], named: str) -> None:
    good = ('[policy]\nmarket = "tiktok-my"\n[[values]]\nrule = "TT-FEE-19"\nkey = "fee.commission.rate.fashion"\n'
            'value = "0.081"\nsource = "my statement"\neffective_from = 2025-01-01\n')
    bad = tmp_path / "bad.toml"
    bad.write_text(good.replace(*edit), encoding="utf-8")
    orders = _write(tmp_path / "o.jsonl", *({"order_id": f"M{i}", "market": "tiktok-my", "amount": "10.00",
                                             "currency": "MYR", "placed_at": "2025-01-05"} for i in range(50)))
    result = CliRunner().invoke(cli, ["--policy", str(bad), "settle", str(orders)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and named in lines[0] and "Traceback" not in result.output
    if edit[0].startswith("fee."):
        assert "nearest declared key: fee.commission" in lines[0]


def test_gaps_template_filled_in_makes_the_orders_complete(tmp_path: Path) -> None:
    orders = _write(tmp_path / "o.jsonl",
                    {**DOUYIN_ORDER, "order_id": "DY-1", "completed_at": "2025-01-09", "settlement_tier": "regular"},
                    {**DOUYIN_ORDER, "order_id": "DY-2", "amount": "300.00", "placed_at": "2025-01-03",
                     "affiliate_plan": None, "commission_rate": None, "completed_at": "2025-01-04",
                     "settlement_tier": "regular"})
    runner = CliRunner()
    listed = runner.invoke(cli, ["gaps", str(orders)])
    assert listed.exit_code == 0
    missing = {(m["key"], m["orders"], m["needed_from"]) for m in json.loads(listed.stdout)["missing"]}
    assert missing == {("technical_service_fee.rate.pet_food", 2, "2025-01-03"),
                       ("settlement.days.regular", 2, "2025-01-04")}
    template = tmp_path / "fill.toml"
    assert runner.invoke(cli, ["gaps", str(orders), "--template", str(template)]).exit_code == 0
    unfilled = runner.invoke(cli, ["--policy", str(template), "quote", str(orders)])
    assert unfilled.exit_code == 1 and "value left empty" in unfilled.stderr
    text = template.read_text(encoding="utf-8")
    text = text.replace('key = "technical_service_fee.rate.pet_food"\neffective_from = 2025-01-03\nvalue = ""\n'
                        'source = ""', 'key = "technical_service_fee.rate.pet_food"\neffective_from = 2025-01-03\n'
                        'value = "0.02"\nsource = "my Douyin seller centre, read 2025-01-02"')
    text = text.replace('key = "settlement.days.regular"\neffective_from = 2025-01-04\nvalue = ""\nsource = ""',
                        'key = "settlement.days.regular"\neffective_from = 2025-01-04\nvalue = 7\n'
                        'source = "my settlement page"')
    template.write_text(text, encoding="utf-8")
    filled = runner.invoke(cli, ["--policy", str(template), "quote", str(orders)])
    assert filled.exit_code == 0, filled.stderr
    first, second = (json.loads(line) for line in filled.stdout.splitlines())
    # 10000 × 2% = 200; commission 2000; net 10000 − 200 − 2000 = 7800; paid 7 days after completion.
    assert (first["total_fees"], first["net"], first["payout_date"], first["creator_payout_date"]) == (
        "200.00", "7800.00", "2025-01-16", "2025-01-16")
    # 300 × 2% = 6; no commission; net 294.
    assert (second["total_fees"], second["net"], second["payout_date"]) == ("6.00", "294.00", "2025-01-11")
    assert first["complete"] and second["complete"]


class _CountingPlugin:
    """A market whose fee schedule is a gap: counts how often the fee hook is asked."""

    calls = 0

    @hookimpl
    def shoppolicy_markets(self) -> list[Market]:
        return [Market(id="counting-mall", name="Counting mall (test)", currency="EUR", timezone="Europe/Paris")]

    @hookimpl
    def shoppolicy_fee_rules(self, market: Market, policy: object) -> list[object]:
        from shoppolicy import PolicyGapError

        type(self).calls += 1
        on = policy.at.date()  # type: ignore[attr-defined]
        raise PolicyGapError(market=market.id, rule="TEST-FEE-9", key="fee.rate", on=on)


def test_a_slice_is_compiled_once_even_when_it_is_a_gap() -> None:
    engine = Engine(plugins=[_CountingPlugin()], entry_points=False)
    quotes = [engine.quote({"order_id": f"C{i}", "market": "counting-mall", "amount": "10.00", "currency": "EUR",
                            "placed_at": f"2025-01-{1 + i % 28:02d}"}) for i in range(500)]
    assert _CountingPlugin.calls == 1  # one policy slice: one compilation, its gap remembered
    assert all(q.gaps[0].rule == "TEST-FEE-9" and q.net is None for q in quotes)
    assert quotes[7].gaps[0].on.isoformat() == "2025-01-08"  # each gap dated at its own order


def test_an_overlapping_override_is_reported_once_at_load(tmp_path: Path) -> None:
    value = ('[[values]]\nmarket = "tiktok-us"\nrule = "TT-PAY-1"\nkey = "settlement.cross_border_pop.accelerated.days"'
             '\nvalue = {days}\nsource = "mine"\neffective_from = {start}\n')
    override = tmp_path / "overlap.toml"
    override.write_text(value.format(days=5, start="2025-01-01") + value.format(days=6, start="2025-02-01"),
                        encoding="utf-8")
    orders = _write(tmp_path / "o.jsonl", *({"order_id": f"U{i}", "market": "tiktok-us", "amount": "10.00",
                                             "currency": "USD", "placed_at": "2025-03-01"} for i in range(2000)))
    out = tmp_path / "statement.jsonl"
    result = CliRunner().invoke(cli, ["--policy", str(override), "settle", str(orders), "--out", str(out)])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert str(override) in line and "overlaps" in line and "settlement.cross_border_pop.accelerated.days" in line
    assert not out.exists() or out.read_text() == ""


def test_batch_totals_are_null_where_no_orders_net_is_known(tmp_path: Path) -> None:
    orders = _write(tmp_path / "o.jsonl", DOUYIN_ORDER, {**DOUYIN_ORDER, "order_id": "DY-8", "amount": "50.00"},
                    {"order_id": "US-1", "market": "tiktok-us", "amount": "100.00", "currency": "USD",
                     "placed_at": "2025-01-05", "delivered_at": "2025-01-08", "seller_type": "cross_border_pop"})
    summary = tmp_path / "summary.json"
    result = CliRunner().invoke(cli, ["settle", str(orders), "--out", str(tmp_path / "s.jsonl"),
                                      "--summary", str(summary)])
    assert result.exit_code == 3
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert (data["complete"], data["incomplete"], data["rejected"]) == (1, 2, 0)
    douyin, us = data["totals"]
    # Douyin: no order's fee is known, so no money total is given (never a "0" that means nothing)
    assert (douyin["orders"], douyin["amount"], douyin["priced"], douyin["fees"], douyin["net"]) == (
        2, "10050.00", 0, None, None)
    # tiktok-us: 8% × 100 = 8.00, net 92.00, over the one priced order
    assert (us["priced"], us["priced_amount"], us["fees"], us["net"]) == (1, "100.00", "8.00", "92.00")
    assert [(m["key"], m["orders"]) for m in data["missing"]] == [("technical_service_fee.rate.pet_food", 2)]


def test_gaps_template_ends_each_entry_where_the_gap_ends(tmp_path: Path) -> None:
    # TT-FEE-1: nothing is published before 2023-10-01, so a value supplied for an order of
    # 2023-09-15 must stop on 2023-09-30 and never shadow the published figures after it.
    orders = _write(tmp_path / "o.jsonl", {"order_id": "U1", "market": "tiktok-us", "amount": "100.00",
                                            "currency": "USD", "placed_at": "2023-09-15", "category": "beauty"})
    result = CliRunner().invoke(cli, ["gaps", str(orders), "--template", "-"])
    assert result.exit_code == 0
    assert 'key = "fee.charged"\neffective_from = 2023-09-15\neffective_to = 2023-09-30' in result.stdout
    [entry] = tomllib.loads(result.stdout)["values"]  # the template is valid TOML
    assert (entry["value"], entry["source"]) == ("", "")


def test_TT_FEE_10_an_unknown_commission_rate_makes_its_vat_a_gap_with_bounds(engine: Engine) -> None:
    # From 2024-09-01 the Indonesian commission is 1%..10% by category (a gap with that range);
    # from 2025-03-06 VAT of 12% on 11/12 of it is added on top: 11% of the commission.
    quote = engine.quote({"order_id": "ID-2", "market": "tiktok-id", "category": "beauty", "amount": "100000",
                          "currency": "IDR", "placed_at": "2025-06-01"})
    gaps = {g.figure: g for g in quote.gaps}
    assert (gaps["commission"].low_amount, gaps["commission"].high_amount) == (Decimal("1000"), Decimal("10000"))
    assert (gaps["commission_vat"].low_amount, gaps["commission_vat"].high_amount) == (Decimal("110"),
                                                                                      Decimal("1100"))
    assert quote.net is None
