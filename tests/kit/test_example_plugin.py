"""The worked third-party plugin (examples/thirdparty-plugin), installed: each of its hooks
through the engine, the CLI listing it, and the embedding examples that use it.

Its figures are EXAMPLE DATA, which is why they can be asserted exactly here."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import pytest
from click.testing import CliRunner

from shoppolicy import Engine, PolicyGapError
from shoppolicy.cli import cli
from shoppolicy.errors import InputError
from tests.kit.conftest import ROOT, needs_example

pytestmark = needs_example

BOOKS = {"order_id": "b1", "market": "example-mall", "category": "books", "amount": "40.00", "currency": "EUR",
         "placed_at": "2025-03-03T10:00:00", "delivered_at": "2025-03-05T16:00:00"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    import shoppolicy_example_mall.plugin as example

    return Engine(plugins=[example], entry_points=False)  # the example alone, whatever else is installed


def test_shoppolicy_markets_puts_example_mall_in_the_cli_listings() -> None:
    markets = {m["id"]: m for m in json.loads(CliRunner().invoke(cli, ["markets"]).stdout)}
    mall = markets["example-mall"]
    assert (mall["name"], mall["currency"], mall["timezone"], mall["parent"], mall["plugin"]) == (
        "Example Mall (fictional, example data)", "EUR", "Europe/Amsterdam", None, "shoppolicy-example-mall")
    plugins = json.loads(CliRunner().invoke(cli, ["plugins"]).stdout)
    (mine,) = [p for p in plugins if p["distribution"] == "shoppolicy-example-mall"]
    assert (mine["name"], mine["status"], mine["markets"]) == ("example_mall", "ok", ["example-mall"])


def test_shoppolicy_policy_files_layers_its_data_and_a_contribution() -> None:
    engine = Engine()  # installed plugins: the contribution to tiktok-us needs shoppolicy-tiktok
    rules = {r.key: r for r in engine.rules("example-mall", "2025-06-01")}
    assert (rules["commission.rate.books"].value, rules["commission.rate.books"].confidence) == ("0.05", "user")
    key = "settlement.cross_border_pop.normal.days"
    contributed = {r.key: r for r in engine.rules("tiktok-us", "2099-01-01")}[key]
    assert (contributed.value, contributed.source) == ("5", "EXAMPLE-PAY-2")
    assert contributed.layer is not None and contributed.layer.startswith("shoppolicy-example-mall")
    owner = {r.key: r for r in engine.rules("tiktok-us", "2025-01-01")}[key]
    # Before 2099 the owner's value stands: the example overrides an existing key, never a real figure.
    assert owner.layer is not None and owner.layer.startswith("shoppolicy-tiktok")


def test_shoppolicy_fee_rules_quote_exactly(engine: Engine) -> None:
    quote = engine.quote(dict(BOOKS, affiliate_plan="open", commission_rate="0.15"))
    assert [(f.code, f.amount, f.rule) for f in quote.fees] == [
        ("commission", Decimal("2.00"), "EXAMPLE-FEE-1"), ("order_fee", Decimal("0.25"), "EXAMPLE-FEE-2")]
    assert quote.creator is not None
    assert (quote.creator.commission, quote.creator.platform_take, quote.creator.creator_receives) == (
        Decimal("6.00"), Decimal("0.60"), Decimal("5.40"))
    assert quote.net == Decimal("31.75")
    announced = dict(BOOKS, placed_at="2025-07-01", delivered_at="2025-07-03")
    assert engine.quote(announced).fees[0].amount == Decimal("2.40")  # announced rate
    toys = engine.quote(dict(BOOKS, category="toys"))
    [gap] = toys.gaps
    assert (gap.figure, gap.market, gap.rule, gap.key, gap.category, gap.on) == (
        "commission", "example-mall", "EXAMPLE-FEE-1", "commission.rate.toys", "toys", dt.date(2025, 3, 3))
    assert gap.detail is not None and "the example data publishes rates for books" in gap.detail
    # the order fee and the payout date stand; net waits on the commission
    assert [(f.code, f.amount, f.rule) for f in toys.fees] == [("order_fee", Decimal("0.25"), "EXAMPLE-FEE-2")]
    assert (toys.net, toys.total_fees, toys.payout_date) == (None, None, dt.date(2025, 3, 15))
    with pytest.raises(InputError, match=r"expected 'open' for this market \(EXAMPLE-AFF-1\), got 'targeted'"):
        engine.quote(dict(BOOKS, affiliate_plan="targeted", commission_rate="0.1"))


def test_shoppolicy_payout_rules_use_the_period_in_force_on_delivery(engine: Engine) -> None:
    (before,) = engine.payout(dict(BOOKS, placed_at="2025-02-27T10:00:00", delivered_at="2025-02-28T23:59:00"))
    (after,) = engine.payout(dict(BOOKS, placed_at="2025-02-27T10:00:00", delivered_at="2025-03-01T00:00:00"))
    assert (before.date, before.days, before.rule) == (dt.date(2025, 3, 14), 14, "EXAMPLE-PAY-1")
    assert (after.date, after.days) == (dt.date(2025, 3, 11), 10)


def test_shoppolicy_violation_handlers_cap_late_dispatch_per_day(engine: Engine) -> None:
    events = [{"shop_id": "s", "market": "example-mall", "kind": "late_dispatch", "at": f"2025-03-04T{h:02d}:00:00",
               "order_id": f"o{h}"} for h in range(9, 15)]
    (shop,) = engine.penalties(events, deposit="30.00")
    assert [line.deduction for line in shop.lines] == [Decimal("5.00")] * 4 + [Decimal("0.00")] * 2
    assert shop.lines[4].uncapped == Decimal("5.00") and shop.lines[4].note == "daily cap 20.00 reached"
    assert (shop.total_deduction, shop.deposit_balance) == (Decimal("20.00"), Decimal("10.00"))
    with pytest.raises(InputError, match="unknown violation kind 'fake_shipping' for example-mall; known kinds: "
                                         "late_dispatch"):
        engine.penalties([dict(events[0], kind="fake_shipping")])


def test_shoppolicy_incentive_programs_rank_and_end(engine: Engine) -> None:
    records = [{"shop_id": s, "market": "example-mall", "month": "2025-05-01", "orders": n, "rating": r, "gmv": g}
               for s, n, r, g in [("a", 150, "4.7", "900.00"), ("b", 120, "4.4", "5000.00"),
                                  ("c", 100, "4.5", "1200.00"), ("d", 400, "4.9", "300.00")]]
    results = {r.subject: r for r in engine.incentive("example-mall-rising-sellers", records)}
    assert [(s, results[s].rank, results[s].awarded) for s in "acd"] == [("a", 2, True), ("c", 1, True),
                                                                         ("d", 3, False)]
    assert results["b"].reasons == ("rating: 4.4 is below 4.5",)
    late = [dict(records[0], month="2026-01-01")]
    with pytest.raises(PolicyGapError, match=r"rising_sellers\.min_orders.*ended"):
        engine.incentive("example-mall-rising-sellers", late)


def test_embed_quote_example() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "embed_quote.py")], capture_output=True,
                            text=True, timeout=120, check=True)
    assert "em-1001: 40.00 EUR, net 37.75, paid 2025-03-15" in result.stdout
    assert "creator commission      18.00  EXAMPLE-AFF-1 (creator receives 16.20)" in result.stdout
    # 40.00 − 2.00 − 0.25 = 37.75 and 120.00 − 9.60 − 0.25 − 18.00 = 92.15: 129.90; em-1003 has no net
    assert "em-1003: 10.00 EUR, net None, paid None" in result.stdout
    assert "  gap: commission needs 'commission.rate.toys' (EXAMPLE-FEE-1) on 2025-03-04" in result.stdout
    assert result.stdout.endswith("net of the complete orders: 129.90 EUR\n")


def test_embed_settle_example() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "embed_settle.py")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 3
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(q["order_id"], q["net"], q["complete"]) for q in lines] == [
        ("em-1001", "37.75", True), ("em-1002", "92.15", True), ("em-1003", None, False), ("em-1006", "239.75", True)]
    # line 3: the toys rate is a policy gap, named on its statement line (its order fee stands)
    [gap] = lines[2]["gaps"]
    assert (gap["figure"], gap["rule"], gap["key"], gap["category"]) == (
        "commission", "EXAMPLE-FEE-1", "commission.rate.toys", "toys")
    assert [(f["code"], f["amount"]) for f in lines[2]["fees"]] == [("order_fee", "0.25")]
    rejected = [line.split(": ", 1)[0] for line in result.stderr.splitlines() if line.startswith("rejected")]
    assert [r.rsplit(":", 1)[1] for r in rejected] == ["4", "5"]  # every bad row, by line number
    summary = json.loads(result.stderr.splitlines()[-1])
    assert (summary["accepted"], summary["complete"], summary["incomplete"], summary["rejected"]) == (4, 3, 1, 2)
    assert summary["totals"][0]["net"] == "369.65"  # 37.75 + 92.15 + 239.75: the complete orders
    assert [(m["key"], m["orders"]) for m in summary["missing"]] == [("commission.rate.toys", 1)]
