"""``shoppolicy check-sources`` and ``shoppolicy coverage``, and the checks behind them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from shoppolicy.authoring import Problem, entry_problems, source_problems
from shoppolicy.cli import cli
from shoppolicy.cli_authoring import register
from shoppolicy.model import Market
from shoppolicy.policy import ORIGIN_OWNER, Layer, parse_policy
from tests.kit.conftest import BROKEN_POLICY_PROBLEMS, needs_example, relative

register(cli)  # idempotent; cli.py calls it too once the lead wires it in


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("source", [
    "DY-FEE-1", "TT-PAY-2", "TEST-FEE-1", "EXAMPLE-VIO-1", "TT-PAY-1 (seed 001)", "TT-AFF-4: banhangtoptop.com",
    "TT-FEE-1; TT-FEE-2",
])
def test_catalogue_ids_resolve(source: str) -> None:
    assert source_problems(source, None) == []


def test_urls_need_https_and_a_retrieved_date() -> None:
    url = "https://seller-us.tiktok.com/university/essay?knowledge_id=1"
    assert source_problems(url, dt.date(2026, 11, 23)) == []
    assert source_problems(f"TT-FEE-1: {url}", dt.date(2026, 11, 23)) == []
    assert source_problems(url, None) == [f"source cites {url} but the value has no retrieved date (the day it "
                                          "was read)"]
    assert source_problems("http://example.com/a", dt.date(2026, 1, 1)) == [
        "source 'http://example.com/a': use an https URL"]


@pytest.mark.parametrize(("source", "problem"), [
    ("", "no source: name a catalogue id (e.g. DY-FEE-1) or an https URL with a retrieved date"),
    ("seed 002", "source 'seed 002' is neither a catalogue id (PREFIX-FAMILY-N, e.g. TT-PAY-2) nor an https URL"),
    ("DY-FEE", "source 'DY-FEE' is neither a catalogue id (PREFIX-FAMILY-N, e.g. TT-PAY-2) nor an https URL"),
    ("dy-fee-1", "source 'dy-fee-1' is neither a catalogue id (PREFIX-FAMILY-N, e.g. TT-PAY-2) nor an https URL"),
    ("DY-FEE-1;", "empty reference in source 'DY-FEE-1;'"),
])
def test_sources_that_do_not_resolve(source: str, problem: str) -> None:
    assert source_problems(source, None) == [problem]


def entries(text: str, dist: str = "d1", name: str = "f.toml") -> list:  # type: ignore[type-arg]
    return parse_policy(text, name, Layer(name=f"{dist}: {name}", origin=ORIGIN_OWNER, distribution=dist))


MARKETS = {"m": Market(id="m", name="M", currency="USD", timezone="UTC")}
VALUE = '[[values]]\nmarket = "m"\nrule = "TEST-FEE-1"\nkey = "k"\nvalue = "1"\nsource = "TEST-FEE-1"\n'


def test_overlaps_are_found_within_a_layer_only() -> None:
    first = entries(VALUE + "effective_to = 2024-12-31\n")
    second = entries(VALUE + "effective_from = 2024-12-31\n", name="g.toml")
    (overlap,) = entry_problems(first + second, MARKETS, {"m": "d1"})
    assert overlap == Problem("f.toml: values[0]", "'k' for m overlaps g.toml: values[0] in the plugin layer "
                                                   "(from the beginning until 2025-01-01T00:00:00 vs from "
                                                   "2024-12-31T00:00:00)")
    adjacent = entries(VALUE + "effective_from = 2025-01-01\n", name="g.toml")
    assert entry_problems(first + adjacent, MARKETS, {"m": "d1"}) == []
    # Another distribution's value for m is a contributed layer: it may overlap the owner's.
    contributed = entries(VALUE, dist="d2", name="c.toml")
    assert entry_problems(first + contributed, MARKETS, {"m": "d1"}) == []
    # ... but two contributors share one rank, so they may not overlap each other.
    also = entries(VALUE, dist="d3", name="e.toml")
    assert [p.message.split(" in ")[1][:16] for p in entry_problems(contributed + also, MARKETS, {"m": "d1"})] == [
        "the contributed "]


def test_unknown_markets_and_late_announcements() -> None:
    found = entry_problems(entries(VALUE.replace('"m"', '"x"') + "announced_on = 2025-02-01\n"
                                   "effective_from = 2025-01-01\n"), MARKETS, {})
    assert [str(p) for p in found] == [
        "f.toml: 1 entry for market 'x', which no installed plugin declares",
        "f.toml: values[0]: announced_on 2025-02-01 is after effective_from 2025-01-01",
    ]


def test_check_sources_passes_on_the_first_party_plugins() -> None:
    result = run("--format", "table", "check-sources", "--distribution", "shoppolicy-douyin",
                 "--distribution", "shoppolicy-tiktok")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("value(s) in 2 plugin(s) checked: every source resolves\n")


@pytest.mark.usefixtures("faulty_site")
def test_check_sources_lists_every_problem_and_exits_1() -> None:
    result = run("--format", "table", "check-sources", "--distribution", "shoppolicy-broken")
    assert result.exit_code == 1
    assert [relative(line) for line in result.stdout.splitlines()] == [
        "shoppolicy-broken: shoppolicy_markets raised ValueError: currency: expected an ISO 4217 code such as USD, "
        "got 'XYZ'",
        *BROKEN_POLICY_PROBLEMS,
    ]
    assert result.stderr == "4 value(s) in 1 plugin(s) checked: 7 problem(s)\n"
    data = json.loads(run("check-sources", "--distribution", "shoppolicy-broken").stdout)
    assert (data["ok"], data["plugins"], len(data["problems"])) == (False, ["shoppolicy-broken"], 7)
    assert data["problems"][1]["where"].endswith("broken_no_source.toml")


def test_check_sources_of_a_distribution_that_is_not_installed() -> None:
    result = run("check-sources", "--distribution", "shoppolicy-nothing")
    assert result.exit_code == 1
    assert result.stderr == "error: no installed plugin matches shoppolicy-nothing\n"


def test_coverage_shows_every_market_and_rule_state() -> None:
    markets = {m["id"] for m in json.loads(run("markets").stdout)}
    data = json.loads(run("coverage", "--as-of", "2025-01-01").stdout)
    assert data["as_of"] == "2025-01-01"
    assert {m["market"] for m in data["markets"]} == markets
    for market in data["markets"]:
        assert market["error"] is None, market
        for rule in market["rules"]:
            states = {k["state"] for k in rule["keys"]}
            assert states <= {"in_force", "announced", "not_yet", "ended", "gap"}
            if not rule["keys"]:  # a rule declared with no number of its own (TT-VIO-1)
                assert rule["state"] == "no_number"
                continue
            assert rule["state"] == (states.pop() if len(states) == 1 else "partial")
            assert sum(rule["counts"].values()) == len(rule["keys"])
    table = run("--format", "table", "coverage", "--as-of", "2025-01-01").stdout
    assert table.startswith("policy coverage on 2025-01-01\nrule ")
    assert all(m in table.splitlines()[1] for m in markets)
    assert "F in force, A announced" in table
    # Every catalogue rule a plugin implements is listed, the ones with no number too.
    us = next(m for m in data["markets"] if m["market"] == "tiktok-us")
    assert {"rule": "TT-VIO-1", "state": "no_number"}.items() <= next(
        r for r in us["rules"] if r["rule"] == "TT-VIO-1").items()


@pytest.mark.usefixtures("acme_installed")
def test_coverage_states_and_layers_of_the_acme_plugin(tmp_path: Path) -> None:
    data = json.loads(run("coverage", "--as-of", "2023-12-15", "--market", "acme").stdout)
    (acme,) = data["markets"]
    fees = next(r for r in acme["rules"] if r["rule"] == "TEST-FEE-1")
    assert {k["key"]: k["state"] for k in fees["keys"]} == {
        "platform_fee.base": "in_force", "platform_fee.rate.*": "gap", "platform_fee.rate.games": "announced",
        "platform_fee.rate.toys": "not_yet"}
    assert (fees["state"], fees["counts"]) == ("partial", {"in_force": 1, "announced": 1, "not_yet": 1, "gap": 1})
    override = tmp_path / "o.toml"
    override.write_text('[[values]]\nmarket = "acme-west"\nrule = "TEST-VIO-1"\nkey = "violation.late_shipping"\n'
                        'value = "12.00"\nsource = "TEST-VIO-1"\n')
    data = json.loads(run("--policy", str(override), "coverage", "--as-of", "2024-07-01",
                          "--market", "acme-west").stdout)
    rules = {r["rule"]: r for r in data["markets"][0]["rules"]}
    assert rules["TEST-VIO-1"]["layer_kinds"] == ["override"]
    assert rules["TEST-PAY-1"]["layer_kinds"] == ["plugin"]  # acme-west's own value
    assert rules["TEST-AFF-1"]["layer_kinds"] == ["parent"]  # inherited from acme
    table = run("--policy", str(override), "--format", "table", "coverage", "--as-of", "2024-07-01",
                "--market", "acme", "--market", "acme-west").stdout
    row = next(line for line in table.splitlines() if line.startswith("TEST-VIO-1"))
    assert row.split() == ["TEST-VIO-1", "F", "F+o"]  # acme, acme-west


@needs_example
def test_coverage_shows_a_contributed_layer() -> None:
    data = json.loads(run("coverage", "--as-of", "2099-01-01", "--market", "tiktok-us").stdout)
    rule = next(r for r in data["markets"][0]["rules"] if r["rule"] == "TT-PAY-1")
    assert "contributed" in rule["layer_kinds"]
    before = json.loads(run("coverage", "--as-of", "2025-01-01", "--market", "tiktok-us").stdout)
    rule = next(r for r in before["markets"][0]["rules"] if r["rule"] == "TT-PAY-1")
    assert "contributed" not in rule["layer_kinds"]
