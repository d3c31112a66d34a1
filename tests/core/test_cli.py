"""Every CLI command through click's CliRunner, with the acme plugin installed as a
real entry point.  Errors: one stderr line, exit 1; usage errors exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from shoppolicy.cli import cli

pytestmark = pytest.mark.usefixtures("acme_installed")

ORDER = {"order_id": "A1", "market": "acme", "category": "toys", "amount": "200.00", "currency": "USD",
         "placed_at": "2024-07-01T10:00:00", "delivered_at": "2024-07-03", "affiliate_plan": "open",
         "commission_rate": "0.10"}


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def write(tmp_path: Path, name: str, *records: dict[str, object]) -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def one_error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("markets", "plugins", "rules", "quote", "payout", "penalties", "incentive", "explain"):
        assert f"  {command} " in result.output


def test_markets_and_plugins() -> None:
    markets = json.loads(run("markets").stdout)
    west = next(m for m in markets if m["id"] == "acme-west")
    assert (west["currency"], west["parent"], west["plugin"]) == ("USD", "acme", "acme-plugin")
    plugins = json.loads(run("plugins").stdout)
    assert {"name": "acme", "distribution": "acme-plugin", "version": "1.2.0", "status": "ok",
            "markets": ["acme", "acme-west"], "error": None} in plugins
    assert "acme-plugin" in run("--format", "table", "plugins").stdout


def test_rules_shows_values_states_and_layers() -> None:
    data = json.loads(run("rules", "acme-west", "--as-of", "2024-07-01").stdout)
    days = next(r for r in data["rules"] if r["key"] == "payout.days")
    assert (days["value"], days["defined_for"], days["state"]) == ("3", "acme-west", "in_force")
    toys = next(r for r in data["rules"] if r["key"] == "platform_fee.rate.toys")
    assert (toys["value"], toys["defined_for"]) == ("0.06", "acme")
    table = run("--format", "table", "rules", "acme", "--as-of", "2023-12-15").stdout
    assert "<announced>" in table


def test_quote_json_follows_the_contract(tmp_path: Path) -> None:
    result = run("quote", write(tmp_path, "o.jsonl", ORDER))
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    # 200.00 × 6% = 12.00 fee; commission 200.00 × 10% = 20.00; net 200 − 12 − 20 = 168.00
    assert line["fees"] == [{"code": "platform_fee", "amount": "12.00", "rule": "TEST-FEE-1", "source": "TEST-FEE-1",
                             "base": "200.00", "rate": "0.06", "fixed": None, "confidence": None, "note": None}]
    assert (line["creator_commission"], line["net"], line["currency"]) == ("20.00", "168.00", "USD")
    assert line["creator"]["platform_take"] == "2.00"  # 10% of 20.00
    assert line["payout_date"] == "2024-07-10"  # delivered 3 Jul + 7 days
    assert [t["rule"] for t in line["trail"]] == ["TEST-FEE-1", "TEST-PAY-1"]


def test_quote_reads_csv_and_stdin(tmp_path: Path) -> None:
    csv_path = tmp_path / "o.csv"
    csv_path.write_text("order_id,market,category,amount,currency,placed_at,affiliate_plan,commission_rate\n"
                        "C1,acme,toys,50.00,USD,2024-03-01,,\n")
    line = json.loads(run("quote", str(csv_path)).stdout)
    assert (line["fees"][0]["amount"], line["net"]) == ("2.50", "47.50")  # 50.00 × 5%
    piped = run("quote", "-", input=json.dumps(ORDER) + "\n")
    assert json.loads(piped.stdout)["net"] == "168.00"


def test_explain_prints_the_trail(tmp_path: Path) -> None:
    out = run("--format", "table", "explain", write(tmp_path, "o.jsonl", ORDER)).stdout
    assert "why:" in out and "TEST-FEE-1 platform_fee on amount (toys): key=toys, rate=0.06" in out
    assert "layer: acme-plugin 1.2.0: acme.toml [acme]" in out


def test_payout_command(tmp_path: Path) -> None:
    data = json.loads(run("payout", write(tmp_path, "o.jsonl", dict(ORDER, market="acme-west"))).stdout)
    assert data["payouts"][0]["date"] == "2024-07-06"  # 3 Jul + 3 days (variant)


def test_penalties_with_deposit(tmp_path: Path) -> None:
    events = [{"shop_id": "s1", "market": "acme", "kind": "late_shipping", "at": f"2024-05-0{d}T09:00:00"}
              for d in (1, 2, 3)]
    data = json.loads(run("penalties", write(tmp_path, "e.jsonl", *events), "--deposit", "25").stdout)
    shop = data["shops"][0]
    assert [line["balance_after"] for line in shop["lines"]] == ["15.00", "5.00", "-5.00"]
    assert (shop["total_deduction"], shop["deposit_balance"]) == ("30.00", "-5.00")
    assert "below zero" in shop["warnings"][0]


def test_unknown_violation_kind_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "e.jsonl", {"shop_id": "s", "market": "acme", "kind": "rude", "at": "2024-01-01"})
    result = run("penalties", path)
    assert result.exit_code == 1
    assert one_error_line(result) == (f"error: {path}, line 1: field 'kind': unknown violation kind 'rude' for acme; "
                                      "known kinds: late_shipping")


def test_incentive(tmp_path: Path) -> None:
    path = write(tmp_path, "s.jsonl", {"shop_id": "a", "market": "acme", "gmv": "100", "reviews": 21},
                 {"shop_id": "b", "market": "acme", "gmv": "50", "reviews": 20})
    data = json.loads(run("incentive", "acme-top-sellers", path).stdout)
    a, b = data["results"]
    assert (a["eligible"], a["rank"], a["awarded"]) == (True, 1, True)
    assert (b["eligible"], b["reasons"]) == (False, ["reviews: 20 is not more than 20"])


def test_malformed_order_is_one_line_with_row_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "o.jsonl", ORDER, dict(ORDER, order_id="A2", amount="-3"))
    result = run("quote", path)
    assert result.exit_code == 1
    assert one_error_line(result) == f"error: {path}, line 2: field 'amount': expected a decimal string >= 0, got -3"


def test_not_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text("{not json\n")
    result = run("quote", str(path))
    assert result.exit_code == 1
    assert one_error_line(result).startswith(f"error: {path}, line 1: not valid JSON")


def test_malformed_policy_file_is_one_line_with_key_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[values]]\nmarket = "acme"\nrule = "R"\nkey = "k"\nvalue = 0.5\nsource = "s"\n')
    result = run("--policy", str(bad), "markets")
    assert result.exit_code == 1
    assert one_error_line(result) == (f'error: {bad}: values[0].value: write decimals as strings ("0.5"), '
                                      "a TOML float is not exact")


def test_policy_gap_is_named_in_the_output_and_exits_3(tmp_path: Path) -> None:
    result = run("quote", write(tmp_path, "o.jsonl", dict(ORDER, category="books")))
    assert result.exit_code == 3
    assert one_error_line(result).startswith("1 result(s) incomplete: policy gaps named in the output")
    line = json.loads(result.stdout)
    assert (line["complete"], line["net"], line["total_fees"], line["fees"]) == (False, None, None, [])
    # the figures the data determines stand: commission 200.00 × 10% = 20.00; 3 Jul + 7 days
    assert (line["creator_commission"], line["payout_date"]) == ("20.00", "2024-07-10")
    [gap] = line["gaps"]
    assert (gap["figure"], gap["rule"], gap["market"], gap["key"], gap["category"], gap["date"], gap["state"]) == (
        "platform_fee", "TEST-FEE-1", "acme", "platform_fee.rate.books", "books", "2024-07-01", "gap")
    assert 'key = "platform_fee.rate.books"' in gap["supply"] and "--policy FILE" in gap["supply"]


def test_usage_error_exits_2() -> None:
    assert run("rules").exit_code == 2
    assert run("rules", "acme", "--as-of", "01/02/2024").exit_code == 2
