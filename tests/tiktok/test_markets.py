"""The nine TikTok Shop markets: listing, layered policy (parent vs variant), currencies."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from shoppolicy import Engine, InputError
from shoppolicy.cli import cli

from .helpers import CURRENCY, order, quotable

VARIANTS = ["tiktok-id", "tiktok-my", "tiktok-th", "tiktok-vn", "tiktok-ph", "tiktok-sg"]


def run_json(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def test_markets_lists_the_nine_tiktok_markets_with_parent_and_currency() -> None:
    listed = {m["id"]: m for m in run_json("markets") if m["id"].startswith("tiktok-")}
    expected = {"tiktok-us": ("USD", None), "tiktok-uk": ("GBP", None), "tiktok-sea": (None, None),
                **{v: (CURRENCY[v], "tiktok-sea") for v in VARIANTS}}
    assert {k: (m["currency"], m["parent"]) for k, m in listed.items()} == expected
    assert listed["tiktok-sea"]["abstract"] is True
    assert {m["plugin"] for m in listed.values()} == {"shoppolicy-tiktok"}


def test_rules_of_a_variant_show_which_values_come_from_the_parent() -> None:
    data = run_json("rules", "tiktok-id", "--as-of", "2025-01-01")
    rules = {r["key"]: r for r in data["rules"]}
    inherited = rules["affiliate.plan_precedence"]
    assert (inherited["defined_for"], inherited["rule"], inherited["state"]) == ("tiktok-sea", "TT-AFF-1", "in_force")
    assert inherited["value"] == "[targeted, open, shop]"
    assert "targeted (定向计划) > open" in inherited["interpretation"]
    own = rules["creator_payout.after_sales_days"]
    assert (own["defined_for"], own["value"], own["rule"]) == ("tiktok-id", "6", "TT-AFF-3")
    gap = rules["reputation_star.weight.order_volume"]
    assert (gap["defined_for"], gap["state"]) == ("tiktok-sea", "gap")


def test_rules_of_another_variant_do_not_show_indonesias_values() -> None:
    rules = {r["key"]: r for r in run_json("rules", "tiktok-my", "--as-of", "2025-01-01")["rules"]}
    assert "creator_payout.after_sales_days" not in rules
    assert rules["creator_payout.*"]["state"] == "gap"


def test_TT_PAY_1_rules_show_the_us_period_in_force_on_each_date() -> None:
    before = {r["key"]: r for r in run_json("rules", "tiktok-us", "--as-of", "2024-10-31")["rules"]}
    after = {r["key"]: r for r in run_json("rules", "tiktok-us", "--as-of", "2024-11-01")["rules"]}
    key = "settlement.cross_border_pop.normal.days"
    assert (before[key]["value"], after[key]["value"]) == ("15", "8")


@pytest.mark.parametrize("market", ["tiktok-us", "tiktok-uk", *VARIANTS])
def test_every_market_refuses_another_currency(engine: Engine, market: str) -> None:
    other = "EUR"
    with pytest.raises(InputError) as info:
        engine.quote(order(market, currency=other))
    assert info.value.field == "currency" and CURRENCY[market] in str(info.value)


def test_the_regional_parent_quotes_no_order(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.quote({"order_id": "x", "market": "tiktok-sea", "amount": "1", "currency": "USD",
                      "placed_at": "2025-03-01"})
    assert info.value.field == "market" and "tiktok-id" in str(info.value)


@pytest.mark.parametrize(("market", "amount", "commission"), [
    ("tiktok-id", "99995", "10000"),   # 99995 × 0.10 = 9999.5 → 10000 IDR (half up, whole rupiah)
    ("tiktok-my", "99.95", "10.00"),   # 99.95 × 0.10 = 9.995 → 10.00 MYR
    ("tiktok-uk", "99.94", "9.99"),    # 99.94 × 0.10 = 9.994 → 9.99 GBP
])
def test_money_rounds_to_the_currency_minor_unit(engine: Engine, market: str, amount: str, commission: str) -> None:
    quote = engine.quote(order(market, amount=amount, affiliate_plan="open", commission_rate="0.10",
                               **quotable(market)))
    assert quote.creator is not None and str(quote.creator.commission) == commission
    assert quote.net == quote.amount - sum((f.amount for f in quote.fees), Decimal(0)) - Decimal(commission)
