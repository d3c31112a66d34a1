"""TT-FEE-*: the fee examples, the policy-gap line, the rules listing, the override
examples and the shipped fee data, through the ``shoppolicy`` command (click's CliRunner)
and the authoring checks."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from shoppolicy import Engine
from shoppolicy.authoring import source_problems
from shoppolicy.cli import cli
from shoppolicy.policy import load_policy_file

from .test_fees import OVERRIDES, ROOT, engine_with, fee_amounts, order

EXAMPLE = ROOT / "examples" / "tiktok-fees.jsonl"
POLICY = ROOT / "plugins" / "tiktok" / "src" / "shoppolicy_tiktok" / "policy"
NEEDED = ("--policy", str(OVERRIDES / "tiktok-sg-subcategory-rate.toml"),
          "--policy", str(OVERRIDES / "tiktok-vn-commission.toml"),
          "--policy", str(OVERRIDES / "tiktok-th-subcategory-rate.toml"))

#: The fee lines of each example order, worked out by hand:
EXPECTED = {
    "us-referral": {"referral_fee": "8.40"},                           # 8% × (100 + 5 shipping)
    "uk-commission": {"commission": "8.55"},                           # 9% × (90 + 5): the catalogue's example
    "id-beauty": {"commission": "4300"},                               # 4.3% × 100,000
    "my-flat": {"commission": "2.12", "transaction_fee": "2.33"},      # 2.12% × 100; 2.12% × 110 = 2.332
    # example 7.49% × 900 = 67.41; growth fee 6.42% × 900 = 57.78; 3.21% × 900 = 28.889
    "th-cross-border": {"commission": "67.41", "commerce_growth_fee": "57.78", "transaction_fee": "28.89"},
    "ph-new-shop": {"commission": "0.00", "transaction_fee": "2.24"},  # new shop: 0%; 2.24% × 100
    "sg-t-shirt": {"commission": "22.07", "transaction_fee": "11.55"},  # 4.905% × 450 = 22.0725; 2.18% × 530
    "vn-payment": {"commission": "4750", "payment_fee": "5045"},       # example 5% × 95,000; 5% × 100,900
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def quotes(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]


# --- shoppolicy quote examples/tiktok-fees.jsonl -----------------------------------------


def test_TT_FEE_examples_print_every_markets_fee_lines() -> None:
    result = run(*NEEDED, "quote", str(EXAMPLE))
    assert result.exit_code == 0, result.stderr
    printed = quotes(result)
    assert len(printed) == 8
    assert {q["market"] for q in printed} == {"tiktok-us", "tiktok-uk", "tiktok-id", "tiktok-my", "tiktok-th",
                                              "tiktok-ph", "tiktok-sg", "tiktok-vn"}
    for q in printed:
        assert {f["code"]: f["amount"] for f in q["fees"]} == EXPECTED[q["order_id"]], q["order_id"]
        assert all(f["rule"].startswith("TT-FEE-") and f["source"] for f in q["fees"])
        total = sum((Decimal(f["amount"]) for f in q["fees"]), Decimal(0))
        assert Decimal(q["total_fees"]) == total
        assert Decimal(q["net"]) == Decimal(q["amount"]) - total


def test_TT_FEE_examples_without_the_overrides_name_the_thai_singapore_and_vietnam_gaps() -> None:
    # US, UK, ID, MY and PH are complete.  Thailand's 2025-10-01 sub-category table, Singapore's
    # 2025 sub-category rate and Vietnam's commission are not published: those three orders
    # show their other fees and name the commission's gap.
    result = run("quote", str(EXAMPLE))
    assert result.exit_code == 3
    printed = {q["order_id"]: q for q in quotes(result)}
    assert list(printed) == list(EXPECTED)
    for order_id in ("us-referral", "uk-commission", "id-beauty", "my-flat", "ph-new-shop"):
        q = printed[order_id]
        assert (q["complete"], q["gaps"]) == (True, [])
        assert {f["code"]: f["amount"] for f in q["fees"]} == EXPECTED[order_id], order_id
    th, sg, vn = printed["th-cross-border"], printed["sg-t-shirt"], printed["vn-payment"]
    for q in (th, sg, vn):
        others = {code: amount for code, amount in EXPECTED[q["order_id"]].items() if code != "commission"}
        assert {f["code"]: f["amount"] for f in q["fees"]} == others  # every other fee stands
        assert (q["complete"], q["net"], q["total_fees"]) == (False, None, None)
    gaps = {q["order_id"]: [(g["figure"], g["rule"], g["key"], g["date"]) for g in q["gaps"]] for q in (th, sg, vn)}
    assert gaps == {
        "th-cross-border": [("commission", "TT-FEE-13, TT-FEE-14", "fee.commission.rate.marketplace.guitars",
                             "2026-11-23")],
        "sg-t-shirt": [("commission", "TT-FEE-6", "fee.commission.rate.t_shirts", "2025-06-01")],
        "vn-payment": [("commission", "TT-FEE-21", "fee.commission.rate", "2024-07-17")]}
    assert "--policy FILE" in sg["gaps"][0]["supply"]
    assert error_lines(result) == ["3 result(s) incomplete: policy gaps named in the output; "
                                   "`shoppolicy gaps FILE --template` writes an override to fill them"]


def test_TT_FEE_a_market_and_date_with_no_published_rate_gives_the_policy_gap_line(tmp_path: Path) -> None:
    path = tmp_path / "ph.jsonl"
    path.write_text(json.dumps(order("tiktok-ph", "2024-06-01T10:00:00", "100.00", category="beauty")) + "\n")
    result = run("quote", str(path))
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    [line] = error_lines(result)
    assert line.startswith("1 result(s) incomplete: policy gaps named in the output")
    [q] = quotes(result)
    assert (q["complete"], q["net"], q["total_fees"]) == (False, None, None)
    # the transaction fee stands (TT-FEE-11: 2.24% × 100 from 2023-06-01 10:00)
    assert [(f["code"], f["amount"]) for f in q["fees"]] == [("transaction_fee", "2.24")]
    [gap] = q["gaps"]
    assert (gap["figure"], gap["market"], gap["rule"], gap["category"], gap["key"], gap["date"], gap["state"]) == (
        "commission", "tiktok-ph", "TT-FEE-11", "beauty", "fee.commission.rate.beauty", "2024-06-01", "gap")
    assert 'market = "tiktok-ph", rule = "TT-FEE-11", key = "fee.commission.rate.beauty"' in gap["supply"]


def test_TT_FEE_a_missing_category_is_a_gap_naming_the_field(tmp_path: Path) -> None:
    # Singapore from 2024-09-01: 3.27%, but 2.18% for three categories, so the category decides
    path = tmp_path / "sg.jsonl"
    path.write_text(json.dumps(order("tiktok-sg", "2024-10-01T10:00:00", "900.00")) + "\n")
    result = run("quote", str(path))
    assert result.exit_code == 3
    [q] = quotes(result)
    [commission] = [g for g in q["gaps"] if g["figure"] == "commission"]
    assert commission["key"] == "fee.commission.rate.<category>" and "gives no category" in commission["detail"]
    # bounds from the published rates: 900 × 2.18% = 19.62 .. 900 × 3.27% = 29.43
    assert commission["bounds"]["low"] == "19.62" and commission["bounds"]["high"] == "29.43"


# --- shoppolicy rules ---------------------------------------------------------------


def rules(market: str, as_of: str) -> dict[str, dict[str, Any]]:
    result = run("rules", market, "--as-of", as_of)
    assert result.exit_code == 0, result.stderr
    return {r["key"]: r for r in json.loads(result.stdout)["rules"]}


def test_TT_FEE_1_rules_tiktok_us_as_of_2024_07_01_lists_the_referral_fee() -> None:
    listed = rules("tiktok-us", "2024-07-01")
    rate = listed["fee.referral_fee.rate"]
    assert (rate["rule"], rate["state"], rate["value"], rate["confidence"]) == ("TT-FEE-1", "in_force", "0.08",
                                                                                 "third-party")
    assert rate["source"] == "https://fitsmallbusiness.com/how-much-does-tiktok-shop-take"
    assert (rate["effective_from"], rate["effective_to"], rate["retrieved"]) == ("2024-07-01T00:00:00", None,
                                                                                 "2026-11-23")
    base = listed["fee.referral_fee.base"]
    assert (base["value"], base["confidence"], base["effective_from"]) == ("amount+shipping", "official",
                                                                           "2024-04-01T00:00:00")
    # the refund administration fee is not in force yet: no value before 2025-05-15
    assert listed["fee.refund_admin_fee.share"]["state"] == "not_yet"


def test_TT_FEE_1_rules_table_shows_the_rate_and_its_source() -> None:
    result = run("--format", "table", "rules", "tiktok-us", "--as-of", "2024-07-01")
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if "fee.referral_fee.rate " in line)
    assert "0.08" in row and "third-party" in row and "fitsmallbusiness.com" in row


def test_TT_FEE_8_rules_tiktok_th_shows_what_the_parent_holds_and_what_the_variant_holds() -> None:
    listed = rules("tiktok-th", "2025-06-01")
    assert listed["fee.commission.base"]["defined_for"] == "tiktok-sea"
    assert listed["fee.transaction_fee.base"]["defined_for"] == "tiktok-sea"
    assert listed["fee.commission.on_refund"]["defined_for"] == "tiktok-sea"  # the commission is refunded
    assert listed["fee.commerce_growth_fee.on_refund"]["defined_for"] == "tiktok-th"  # the growth fee is not
    growth = listed["fee.commerce_growth_fee.rate"]
    assert (growth["defined_for"], growth["state"]) == ("tiktok-th", "not_yet")
    later = rules("tiktok-th", "2026-04-01")
    assert (later["fee.transaction_fee.base"]["defined_for"], later["fee.transaction_fee.base"]["value"]) == (
        "tiktok-th", "customer_payment+discount")


# --- override examples --------------------------------------------------------------------

OVERRIDE_FILES = sorted(OVERRIDES.glob("tiktok-*.toml"))


def test_TT_FEE_the_override_examples_are_there() -> None:
    names = {p.name for p in OVERRIDE_FILES}
    assert {"tiktok-us-new-seller-plan.toml", "tiktok-uk-electronics-5pct.toml", "tiktok-sg-subcategory-rate.toml",
            "tiktok-my-cluster-rate.toml"} <= names


@pytest.mark.parametrize("path", OVERRIDE_FILES, ids=[p.stem for p in OVERRIDE_FILES])
def test_TT_FEE_each_override_example_is_a_valid_user_layer(path: Path) -> None:
    entries = load_policy_file(path)
    assert entries and not any(e.is_gap for e in entries)
    for e in entries:
        assert e.confidence == "user", e.path
        assert e.rule.startswith("TT-FEE-") and e.key.startswith("fee.")
        assert source_problems(e.source, e.retrieved) == [], e.path
    Engine(policy_files=[str(path)])  # every market it names exists


def test_TT_FEE_1_override_new_seller_plan_2_percent_plus_0_30(engine: Engine) -> None:
    # 2% × (100 + 5) = 2.10 + 0.30 = 2.40 inside the 60 days; 6% × 105 = 6.30 after them
    mine = engine_with(OVERRIDES / "tiktok-us-new-seller-plan.toml")
    inside = mine.quote(order("tiktok-us", "2024-06-29T23:59:59", "100.00", buyer_shipping="5.00"))
    after = mine.quote(order("tiktok-us", "2024-06-30T00:00:00", "100.00", buyer_shipping="5.00"))
    assert fee_amounts(inside) == {"referral_fee": Decimal("2.40")}
    assert inside.fees[0].confidence == "user" and inside.fees[0].fixed == Decimal("0.30")
    assert fee_amounts(after) == {"referral_fee": Decimal("6.30")}


def test_TT_FEE_1_override_category_exceptions(engine: Engine) -> None:
    # base 105: electronics 6% = 6.30, pre-owned 5% = 5.25, any other category 8% = 8.40
    mine = engine_with(OVERRIDES / "tiktok-us-category-exceptions.toml")
    for category, expected in (("electronics", "6.30"), ("pre_owned", "5.25"), ("toys", "8.40")):
        q = mine.quote(order("tiktok-us", "2024-08-01T10:00:00", "100.00", buyer_shipping="5.00", category=category))
        assert fee_amounts(q) == {"referral_fee": Decimal(expected)}, category


def test_TT_FEE_3_override_uk_shop_eligible_for_5_percent_on_electronics(engine: Engine) -> None:
    # base 95 (the catalogue's example): electronics 5% = 4.75 from 2024-12-01; fashion 9% = 8.55
    mine = engine_with(OVERRIDES / "tiktok-uk-electronics-5pct.toml")
    parts = {"platform_discount": "10.00", "buyer_shipping": "5.00"}
    assert fee_amounts(mine.quote(order("tiktok-uk", "2024-12-01T00:00:00", "90.00", category="electronics",
                                        **parts))) == {"commission": Decimal("4.75")}
    assert fee_amounts(mine.quote(order("tiktok-uk", "2024-12-01T00:00:00", "90.00", category="fashion",
                                        **parts))) == {"commission": Decimal("8.55")}
    assert fee_amounts(mine.quote(order("tiktok-uk", "2024-11-30T23:59:59", "90.00", category="electronics",
                                        **parts))) == {"commission": Decimal("8.55")}


# --- the shipped fee data ------------------------------------------------------------------

FEE_FILES = sorted(POLICY.glob("fees-*.toml"))


def test_TT_FEE_the_fee_data_of_every_market_is_shipped() -> None:
    assert {p.name for p in FEE_FILES} == {f"fees-{m}.toml" for m in ("us", "uk", "sea", "id", "my", "th", "vn",
                                                                      "ph", "sg")}


@pytest.mark.parametrize("path", FEE_FILES, ids=[p.stem for p in FEE_FILES])
def test_TT_FEE_every_shipped_fee_value_is_sourced_dated_and_graded(path: Path) -> None:
    entries = load_policy_file(path)
    assert entries
    for e in entries:
        assert e.rule.startswith("TT-FEE-") and e.key.startswith("fee."), e.path
        if e.is_gap:
            assert e.note, e.path  # the reason
            if e.low is not None or e.candidate is not None:  # what the sources say, and where
                assert e.gap_source and source_problems(e.gap_source, e.retrieved) == [], e.path
            continue
        assert e.confidence in ("official", "third-party", "derived"), e.path
        # read for the catalogue of 2026-11-23 or its revision of 2026-11-30
        assert e.retrieved is not None and e.retrieved.isoformat() in ("2026-11-23", "2026-11-30"), e.path
        assert source_problems(e.source, e.retrieved) == [], e.path
