"""shoppolicy reconcile / learn-rates through click: JSON Lines, tables, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from shoppolicy import Engine
from shoppolicy.cli import cli
from tests.statements.conftest import fixture


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_reconcile_prints_json_lines_and_exits_3_when_something_is_unexplained(engine: Engine) -> None:
    result = run("reconcile", fixture("tiktok-us-202501-statement.jsonl"),
                 "--orders", fixture("tiktok-us-orders.jsonl"))
    assert result.exit_code == 3, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds.count("row") == 15 and kinds.count("unknown") == 1 and kinds[-1] == "statement"
    us3 = next(r for r in records if r["kind"] == "row" and r["order_id"] == "US3")
    assert (us3["computed"], us3["charged"], us3["difference"], us3["status"], us3["rule"]) == (
        "2.08", "2.09", "0.01", "mismatch", "TT-FEE-1")
    gap = next(r for r in records if r["kind"] == "row" and r["status"] == "gap")
    assert gap["gap"]["key"] == "fee.charged" and "supply" in gap["gap"]
    assert records[-1]["explained"] is False and records[-1]["arithmetic_checks"] == 36


def test_reconcile_exits_0_when_everything_matches(engine: Engine) -> None:
    result = run("--format", "table", "reconcile", fixture("tiktok-uk-202501-orders.json"))
    assert result.exit_code == 0, result.output
    assert "UK1    commission" in result.stdout and "all 10 checks add up" in result.stdout


def test_the_tolerance_loosens_the_match(engine: Engine) -> None:
    tight = run("reconcile", fixture("tiktok-us-export.csv"))
    assert tight.exit_code == 3  # the export's Total Fees includes an unknown column
    result = run("reconcile", fixture("tiktok-us-202501-statement.jsonl"), "--tolerance", "0.01")
    us3 = next(json.loads(line) for line in result.stdout.splitlines() if '"US3"' in line and "referral" in line)
    assert us3["status"] == "match"
    assert run("reconcile", fixture("tiktok-us-export.csv"), "--tolerance", "-1").exit_code == 2


def test_a_bad_statement_is_one_line_and_exit_1(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run("reconcile", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: bad.json: not valid JSON") and len(result.stderr.splitlines()) == 1
    assert run("reconcile", fixture("tiktok-us-export.csv"), "--statement-format", "pdf").exit_code == 2


def test_learn_rates_writes_the_override_and_lists_the_conflict(engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "learned.toml"
    result = run("learn-rates", fixture("douyin-settle-bill.jsonl"), "--orders", fixture("douyin-orders.jsonl"),
                 "--out", str(out))
    assert result.exit_code == 3  # the jewellery conflict
    report = json.loads(result.stdout)
    assert [(v["key"], v["value"]) for v in report["values"]] == [
        ("technical_service_fee.rate.kitchenware", "0.035"), ("technical_service_fee.rate.tea", "0.02")]
    assert [c["key"] for c in report["conflicts"]] == ["technical_service_fee.rate.jewellery"]
    assert 'confidence = "statement"' in out.read_text()
    again = run("--policy", str(out), "--format", "table", "reconcile", fixture("douyin-settle-bill.jsonl"),
                "--orders", fixture("douyin-orders.jsonl"))
    assert "DY5    technical_service_fee               match         3.11      3.11" in again.stdout
    printed = run("learn-rates", fixture("douyin-settle-bill.jsonl"), "--orders", fixture("douyin-orders.jsonl"),
                  "--out", "-")
    assert printed.stdout.startswith("# Rates learned by `shoppolicy learn-rates douyin-settle-bill.jsonl`")
