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
    # Indonesia's value is not Malaysia's: the key is listed as declared, with no value.
    assert (rules["creator_payout.after_sales_days"]["state"], rules["creator_payout.after_sales_days"]["value"]) \
        == ("unset", None)
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


# --- declared policy keys (hook shoppolicy_policy_keys) ------------------------------------


def _override(tmp_path: Any, name: str, rule: str, key: str, value: str) -> str:
    path = tmp_path / name
    path.write_text(f'[policy]\nmarket = "tiktok-us"\n[[values]]\nrule = "{rule}"\nkey = "{key}"\nvalue = {value}\n'
                    'source = "s"\n', encoding="utf-8")
    return str(path)


def test_hook_shoppolicy_policy_keys(tmp_path: Any) -> None:
    from shoppolicy import PolicyFileError
    from shoppolicy.blocks.keys import KeyCheck, KeySpec, RuleSpec
    from shoppolicy_tiktok import plugin

    declared = list(plugin.shoppolicy_policy_keys())
    assert declared and all(isinstance(spec, (KeySpec, RuleSpec, KeyCheck)) for spec in declared)
    assert [s.rule for s in declared if isinstance(s, RuleSpec)] == ["TT-VIO-1"]  # no number of its own
    # The engine checks every override against the declared keys at load, naming the nearest one.
    typo = _override(tmp_path, "typo.toml", "TT-FEE-1", "fee.referal_fee.rate", '"0.05"')
    with pytest.raises(PolicyFileError) as info:
        Engine(policy_files=[typo])
    assert str(info.value) == (f"{typo}: values[0]: key 'fee.referal_fee.rate' is not declared for tiktok-us; "
                               "nearest declared key: fee.referral_fee.rate (`shoppolicy coverage` lists every "
                               "declared key)")
    undeclared_rule = _override(tmp_path, "rule.toml", "TT-FEE-1", "settlement.cross_border_pop.accelerated.days", "5")
    with pytest.raises(PolicyFileError, match=r"rule TT-FEE-1 is not declared with it \(expected TT-PAY-\*\)"):
        Engine(policy_files=[undeclared_rule])
    wrong_type = _override(tmp_path, "abc.toml", "TT-FEE-1", "fee.referral_fee.rate", '"abc"')
    with pytest.raises(PolicyFileError, match=r"key 'fee.referral_fee.rate': expected a decimal string between"):
        Engine(policy_files=[wrong_type])
    # through the command: exit 1, one line naming the file and the key
    result = CliRunner().invoke(cli, ["--policy", typo, "markets"])
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if not line.startswith("warning: ")] == [
        f"error: {info.value!s}"]
    # the declared key, spelt right, loads and supplies the value: 2025-01-06 + 5 days
    ok = _override(tmp_path, "ok.toml", "TT-PAY-2", "settlement.cross_border_pop.accelerated.days", "5")
    [line] = Engine(policy_files=[ok]).payout(order("tiktok-us", placed_at="2025-01-02T10:00:00",
                                                    delivered_at="2025-01-06", seller_type="cross_border_pop",
                                                    settlement_tier="accelerated"))
    assert (line.date.isoformat(), line.days, line.rule) == ("2025-01-11", 5, "TT-PAY-2")


def test_a_misspelt_key_under_a_declared_pattern_names_that_pattern_as_nearest(tmp_path: Any) -> None:
    from shoppolicy import PolicyFileError

    typo = _override(tmp_path, "dayz.toml", "TT-PAY-2", "settlement.cross_border_pop.accelerated.dayz", "5")
    with pytest.raises(PolicyFileError) as info:
        Engine(policy_files=[typo])
    assert "nearest declared key: settlement.*.accelerated.days" in str(info.value)
