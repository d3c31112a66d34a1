"""The Douyin plugin through the ``shoppolicy`` command (click's CliRunner), on the sample
files of examples/douyin: JSON figures, the rule each figure names, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from shoppolicy.cli import cli
from tests.douyin.helpers import event, order

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "douyin"
OVERRIDE = str(EXAMPLES / "my-categories.toml")
ORDERS = str(EXAMPLES / "orders.jsonl")
EVENTS = str(EXAMPLES / "events.jsonl")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def json_lines(result: Result) -> dict[str, dict[str, Any]]:
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {row["order_id"]: row for row in rows}


def write(tmp_path: Path, name: str, *records: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def incomplete(result: Result) -> dict[str, Any]:
    """The one JSON result of a run that exits 3 because it is incomplete (policy gaps)."""
    assert result.exit_code == 3, result.output
    assert [line for line in result.stderr.splitlines() if not line.startswith("warning: ")] == [
        "1 result(s) incomplete: policy gaps named in the output; "
        "`shoppolicy gaps FILE --template` writes an override to fill them"]
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["complete"] is False
    return row  # type: ignore[no-any-return]


def one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return lines[0]


def test_DY_FEE_cli_quote_of_the_sample_orders() -> None:
    rows = json_lines(run("--policy", OVERRIDE, "quote", ORDERS))
    assert set(rows) == {"DY-1001", "DY-1002", "DY-1003"}

    first = rows["DY-1001"]
    # 10000.00 × 5% = 500.00; net 9500.00; completed 2024-06-10 + 7 (regular) = 2024-06-17
    assert [(f["code"], f["amount"], f["rule"]) for f in first["fees"]] == [
        ("technical_service_fee", "500.00", "DY-FEE-1")]
    assert (first["currency"], first["net"], first["payout_date"], first["creator"]) == (
        "CNY", "9500.00", "2024-06-17", None)

    alliance = rows["DY-1002"]
    # fee 200.00 × 5% = 10.00; commission 200.00 × 20% = 40.00, platform take 4.00, creator 36.00;
    # net 200.00 − 10.00 − 40.00 = 150.00; newcomer: 2024-06-12 + 14 = 2024-06-26 for both parties
    assert alliance["fees"][0]["amount"] == "10.00"
    creator = alliance["creator"]
    assert (creator["commission"], creator["platform_take"], creator["creator_receives"], creator["rule"]) == (
        "40.00", "4.00", "36.00", "DY-FEE-2")
    assert (alliance["net"], alliance["payout_date"], alliance["creator_payout_date"]) == (
        "150.00", "2024-06-26", "2024-06-26")

    offset = rows["DY-1003"]
    # 59.90 × 5% = 2.995 → 3.00; net 56.90; completed 2024-06-15T17:30Z = 06-16 in Shanghai, + 7 = 06-23
    assert (offset["fees"][0]["amount"], offset["net"], offset["payout_date"]) == ("3.00", "56.90", "2024-06-23")

    for row in rows.values():
        assert row["pending"] == []
        assert all(f["rule"] and f["source"] for f in row["fees"])
        assert row["trail"] and all(t["rule"].startswith("DY-") for t in row["trail"])


def test_DY_PAY_1_cli_payout_of_the_sample_orders() -> None:
    rows = json_lines(run("--policy", OVERRIDE, "payout", ORDERS))
    dates = {oid: [(p["party"], p["date"], p["tier"], p["rule"]) for p in row["payouts"]] for oid, row in rows.items()}
    assert dates == {
        "DY-1001": [("merchant", "2024-06-17", "regular", "DY-PAY-1")],  # 06-10 + 7
        "DY-1002": [("merchant", "2024-06-26", "newcomer", "DY-PAY-1"),  # 06-12 + 14, both parties
                    ("creator", "2024-06-26", "newcomer", "DY-PAY-1")],
        "DY-1003": [("merchant", "2024-06-23", "regular", "DY-PAY-1")],  # 06-16 (Shanghai) + 7
    }


def test_DY_PAY_1_cli_payout_without_day_counts_is_a_gap_line(tmp_path: Path) -> None:
    orders = write(tmp_path, "o.jsonl", order(category=None, settlement_tier="regular",
                                              completed_at="2024-06-10T18:00:00"))
    row = incomplete(run("payout", orders))
    assert row["payouts"] == []
    [gap] = row["gaps"]
    assert (gap["figure"], gap["rule"], gap["key"], gap["date"]) == (
        "payout:merchant", "DY-PAY-1", "settlement.days.regular", "2024-06-10")
    assert "--policy FILE" in gap["supply"]


def test_DY_VIO_cli_penalties_of_the_sample_events() -> None:
    result = run("penalties", EVENTS, "--deposit", "10000")
    assert result.exit_code == 0, result.output
    shops = {s["shop_id"]: s for s in json.loads(result.stdout)["shops"]}
    s1 = shops["S1"]
    # false advertising: 100.00 (first, minor) + 200.00 (repeated minor → moderate);
    # fake shipping: 2 × 500.00; cs checks: 500.00 at the 4th failure; reply rate at 23:30: not assessed
    # total 100 + 500 + 500 + 500 + 200 = 1800.00; deposit 10000.00 − 1800.00 = 8200.00
    assert [(line["kind"], line["deduction"], line["rule"]) for line in s1["lines"]] == [
        ("false_advertising", "100.00", "DY-VIO-1"),
        ("fake_shipping", "500.00", "DY-VIO-2"),
        ("cs_check_failed", "0.00", "DY-VIO-3"),
        ("fake_shipping", "500.00", "DY-VIO-2"),
        ("cs_check_failed", "0.00", "DY-VIO-3"),
        ("reply_rate_missed", "0.00", "DY-VIO-4"),
        ("cs_check_failed", "0.00", "DY-VIO-3"),
        ("cs_check_failed", "500.00", "DY-VIO-3"),
        ("false_advertising", "200.00", "DY-VIO-1"),
    ]
    assert (s1["total_deduction"], s1["deposit_start"], s1["deposit_balance"], s1["warnings"]) == (
        "1800.00", "10000.00", "8200.00", [])
    assert s1["lines"][3]["flags"] == ["delisting_risk", "closure_risk"]
    assert s1["lines"][5]["flags"] == ["outside_assessment_window"]
    s2 = shops["S2"]
    # 2024-06-03T17:00Z is 2024-06-04 01:00 in Shanghai; 10000.00 − 500.00 = 9500.00
    assert (s2["lines"][0]["at"], s2["total_deduction"], s2["deposit_balance"]) == (
        "2024-06-04T01:00:00", "500.00", "9500.00")


def test_DY_VIO_cli_below_zero_warning(tmp_path: Path) -> None:
    events = write(tmp_path, "e.jsonl", event("false_advertising", "2024-06-01T10:00:00", severity="severe"))
    result = run("penalties", events, "--deposit", "1000")
    assert result.exit_code == 0, result.output
    [shop] = json.loads(result.stdout)["shops"]
    # 1000.00 − 2000.00 = −1000.00
    assert shop["deposit_balance"] == "-1000.00"
    assert "below zero" in shop["warnings"][0]


def test_DY_cli_rules_lists_values_and_gaps() -> None:
    result = run("rules", "douyin", "--as-of", "2025-01-01")
    assert result.exit_code == 0, result.output
    rules = {r["key"]: r for r in json.loads(result.stdout)["rules"]}
    in_force = {k: (r["rule"], r["value"]) for k, r in rules.items() if r["state"] == "in_force"}
    assert in_force == {
        "technical_service_fee.base": ("DY-FEE-1", "amount"),
        "technical_service_fee.min_rate": ("DY-FEE-1", "0.01"),
        "technical_service_fee.max_rate": ("DY-FEE-1", "0.05"),
        "creator_commission.plans": ("DY-FEE-2", "[selected_alliance]"),
        "creator_commission.platform_take": ("DY-FEE-3", "0.10"),
        "settlement.tiers": ("DY-PAY-1", "[newcomer, regular]"),
        "false_advertising.deduction.minor": ("DY-VIO-1", "100.00"),
        "false_advertising.deduction.moderate": ("DY-VIO-1", "200.00"),
        "false_advertising.deduction.severe": ("DY-VIO-1", "2000.00"),
        "false_advertising.repeat_minor_as": ("DY-VIO-1", "moderate"),
        "fake_shipping.deduction_per_order": ("DY-VIO-2", "500.00"),
        "fake_shipping.daily_cap_per_shop": ("DY-VIO-2", "5000.00"),
        "cs_check.failures_allowed": ("DY-VIO-3", "3"),
        "cs_check.deduction": ("DY-VIO-3", "500.00"),
        "reply_rate.window_start": ("DY-VIO-4", "08:00"),
        "reply_rate.window_end": ("DY-VIO-4", "23:00"),
    }
    gaps = {k: r["rule"] for k, r in rules.items() if r["state"] == "gap"}
    assert gaps == {"technical_service_fee.rate.*": "DY-FEE-1", "settlement.days.newcomer": "DY-PAY-1",
                    "settlement.days.regular": "DY-PAY-1", "reply_rate.points": "DY-VIO-4"}
    assert all(r["source"].startswith("DY-") for r in rules.values() if r["state"] == "in_force")
    assert "first offence" in rules["false_advertising.repeat_minor_as"]["interpretation"]


def test_DY_cli_rules_with_the_override_shows_the_sellers_values() -> None:
    result = run("--policy", OVERRIDE, "rules", "douyin", "--as-of", "2025-01-01")
    rules = {r["key"]: r for r in json.loads(result.stdout)["rules"]}
    rate = rules["technical_service_fee.rate.womens_clothing"]
    assert (rate["value"], rate["confidence"], rate["state"]) == ("0.05", "user", "in_force")
    assert "seller's own example data" in rate["source"]
    assert rules["settlement.days.regular"]["confidence"] == "user"


# --- one-line errors, exit code 1 -------------------------------------------------------


def test_DY_VIO_cli_unknown_violation_kind(tmp_path: Path) -> None:
    events = write(tmp_path, "e.jsonl", event("false_advertising", "2024-06-01T10:00:00", severity="minor"),
                   event("late_reply", "2024-06-01T11:00:00"))
    line = one_error_line(run("penalties", events))
    assert "field 'kind'" in line and "'late_reply'" in line and "line 2" in line
    assert "fake_shipping" in line  # the kinds douyin knows are listed


@pytest.mark.parametrize("policy", [[], ["--policy", OVERRIDE]])
def test_DY_FEE_1_cli_unknown_category_is_a_policy_gap_line(tmp_path: Path, policy: list[str]) -> None:
    orders = write(tmp_path, "o.jsonl", order(category="pet_food"))
    row = incomplete(run(*policy, "quote", orders))
    assert (row["fees"], row["total_fees"], row["net"]) == ([], None, None)
    [gap] = row["gaps"]
    assert (gap["figure"], gap["rule"], gap["market"], gap["category"], gap["key"], gap["date"]) == (
        "technical_service_fee", "DY-FEE-1", "douyin", "pet_food", "technical_service_fee.rate.pet_food", "2024-06-01")
    # the published range 1%-5%, bounds on 10000.00: 100.00 to 500.00 (labelled, not in net)
    assert (gap["published"]["low"], gap["published"]["high"]) == ("0.01", "0.05")
    assert (gap["bounds"]["low"], gap["bounds"]["high"]) == ("100.00", "500.00")
    assert "--policy FILE" in gap["supply"]


def test_DY_cli_wrong_currency(tmp_path: Path) -> None:
    orders = write(tmp_path, "o.jsonl", order(currency="USD"))
    line = one_error_line(run("--policy", OVERRIDE, "quote", orders))
    assert "field 'currency'" in line and "CNY" in line and "line 1" in line


def test_DY_cli_negative_amount(tmp_path: Path) -> None:
    orders = write(tmp_path, "o.jsonl", order(amount="-10.00"))
    line = one_error_line(run("--policy", OVERRIDE, "quote", orders))
    assert "field 'amount'" in line and ">= 0" in line


def test_DY_FEE_2_cli_other_affiliate_plan(tmp_path: Path) -> None:
    orders = write(tmp_path, "o.jsonl", order(category="womens_clothing", affiliate_plan="open",
                                              commission_rate="0.10"))
    line = one_error_line(run("--policy", OVERRIDE, "quote", orders))
    assert "field 'affiliate_plan'" in line and "selected_alliance" in line


def test_DY_FEE_1_cli_out_of_range_rate_names_the_file(tmp_path: Path) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_text('[policy]\nmarket = "douyin"\n[[values]]\nrule = "DY-FEE-1"\n'
                      'key = "technical_service_fee.rate.toys"\nvalue = "0.08"\nsource = "my contract"\n',
                      encoding="utf-8")
    orders = write(tmp_path, "o.jsonl", order())
    line = one_error_line(run("--policy", str(policy), "quote", orders))
    assert str(policy) in line and "technical_service_fee.rate.toys = 0.08" in line
