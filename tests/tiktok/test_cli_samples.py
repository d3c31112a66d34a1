"""The CLI on the samples of examples/tiktok/ (quote, payout, incentive, penalties) gives
the results the rules give; errors are one stderr line and exit code 1."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from click.testing import CliRunner, Result

from shoppolicy.cli import cli

from .helpers import EXAMPLES


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def json_lines(result: Result, exit_code: int = 0) -> list[Any]:
    assert result.exit_code == exit_code, result.output + result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def one_error(result: Result) -> str:
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def sample(name: str) -> str:
    return str(EXAMPLES / name)


def test_quote_sample_orders() -> None:
    # 3: us-pop-1101's creator payout date is a gap; id-creator's Dynamic Commission Fee (TT-FEE-17)
    result = run("quote", sample("orders.jsonl"))
    quotes = {q["order_id"]: q for q in json_lines(result, exit_code=3)}
    expected = {
        # order: (merchant date, creator commission, creator date)
        "us-pop-1031": ("2024-11-15", "0", None),            # TT-PAY-1: 10-31 + 15
        "us-pop-1101": ("2024-11-09", "20.00", None),        # TT-PAY-1: 11-01 + 8; 100.00 × 0.20; US creator: gap
        "id-creator": (None, "18751", "2025-11-17"),         # 150005 × 0.125 = 18750.625 → 18751; 11-10 + 6 + 1
        "uk-creator": (None, "6.00", "2025-03-25"),          # 40.00 × 0.15; 03-10 + 14 + 1
    }
    assert {k: (q["payout_date"], q["creator_commission"], q["creator_payout_date"]) for k, q in quotes.items()} \
        == expected
    for q in quotes.values():
        fees = sum((Decimal(f["amount"]) for f in q["fees"]), Decimal(0))
        if q["net"] is not None:
            assert Decimal(q["net"]) == Decimal(q["amount"]) - fees - Decimal(q["creator_commission"])
    # The ID and UK orders give no seller type, which their merchant settlement depends on:
    # a gap naming the field, while their creator dates stand.  The ID order also meets the
    # Dynamic Commission Fee, which every shop pays from 2025-06-10 at no published rate.
    assert {k: q["complete"] for k, q in quotes.items()} == {
        "us-pop-1031": True, "us-pop-1101": False, "id-creator": False, "uk-creator": False}
    gaps = {g["figure"]: g for g in quotes["id-creator"]["gaps"]}
    assert set(gaps) == {"dynamic_commission_fee", "payout:merchant"}
    assert (gaps["dynamic_commission_fee"]["rule"], quotes["id-creator"]["net"]) == ("TT-FEE-17", None)
    assert {f["code"] for f in quotes["id-creator"]["fees"]} == {"commission", "commission_vat",
                                                                 "order_processing_fee"}
    [gap] = quotes["us-pop-1101"]["gaps"]
    assert (gap["figure"], gap["rule"], gap["market"], gap["key"], gap["date"]) == (
        "payout:creator", "TT-AFF-3", "tiktok-us", "creator_payout.schedule", "2024-11-01")
    assert quotes["us-pop-1101"]["pending"] == []
    for order_id in ("id-creator", "uk-creator"):
        [gap] = [g for g in quotes[order_id]["gaps"] if g["figure"] == "payout:merchant"]
        assert (gap["figure"], gap["key"]) == ("payout:merchant", "settlement.<seller_type>.normal.days")
        assert "gives no seller_type" in gap["detail"]
    assert {"TT-AFF-2", "TT-AFF-3"} <= {t["rule"] for t in quotes["id-creator"]["trail"]}


def test_payout_sample_us_settlement() -> None:
    results = json_lines(run("payout", sample("us-settlement.jsonl")))
    assert [(r["order_id"], [(p["party"], p["date"], p["days"], p["rule"]) for p in r["payouts"]])
            for r in results] == [
        ("us-pop-1031", [("merchant", "2024-11-15", 15, "TT-PAY-1")]),
        ("us-pop-1101", [("merchant", "2024-11-09", 8, "TT-PAY-1")]),
    ]


def test_payout_of_a_tier_gap_is_named_and_the_example_override_supplies_it() -> None:
    result = run("payout", sample("us-accelerated.jsonl"))
    [incomplete] = json_lines(result, exit_code=3)
    assert (incomplete["payouts"], incomplete["complete"]) == ([], False)
    [gap] = incomplete["gaps"]
    assert (gap["figure"], gap["rule"], gap["market"], gap["key"], gap["date"]) == (
        "payout:merchant", "TT-PAY-2", "tiktok-us", "settlement.cross_border_pop.accelerated.days", "2025-01-06")
    assert "--policy FILE" in gap["supply"]
    assert [line for line in result.stderr.splitlines() if not line.startswith("warning: ")] == [
        "1 result(s) incomplete: policy gaps named in the output; "
        "`shoppolicy gaps FILE --template` writes an override to fill them"]
    [result] = json_lines(run("--policy", sample("settlement-override.toml"), "payout", sample("us-accelerated.jsonl")))
    # the example override's 5 days: 2025-01-06 + 5 = 2025-01-11
    assert [(p["date"], p["tier"]) for p in result["payouts"]] == [("2025-01-11", "accelerated")]


def test_incentive_reputation_star_needs_the_weights() -> None:
    error = one_error(run("incentive", "reputation-star", sample("reputation-star.jsonl")))
    assert "policy gap" in error and "TT-INC-1" in error


def test_incentive_reputation_star_sample_with_the_example_override() -> None:
    [data] = json_lines(run("--policy", sample("reputation-star-override.toml"), "incentive", "reputation-star",
                            sample("reputation-star.jsonl")))
    found = {r["subject"]: r for r in data["results"]}
    # contribution = 0.01 × volume + 100 × review rate − 500 × negative rate
    assert Decimal(found["sea-a"]["score"]) == Decimal("72")    # 42 + 35 − 5
    assert Decimal(found["sea-b"]["score"]) == Decimal("53")    # 15 + 40 − 2
    assert Decimal(found["sea-d"]["score"]) == Decimal("42")    # 20 + 25 − 3
    assert Decimal(found["uk-a"]["score"]) == Decimal("35.5")   # 8 + 30 − 2.5
    assert {k: (r["eligible"], r["group"], r["rank"], r["awarded"]) for k, r in found.items()} == {
        "sea-a": (True, "SEA/beauty_personal_care", 1, True),
        "sea-b": (True, "SEA/beauty_personal_care", 2, True),
        "sea-c": (False, "SEA/beauty_personal_care", None, False),
        "sea-d": (True, "SEA/home_living", 1, True),
        "uk-a": (True, "UK/beauty_personal_care", 1, True),
        "us-a": (False, None, None, False),
    }
    assert len(found["sea-c"]["reasons"]) == 4


def test_incentive_recommended_goods_sample() -> None:
    [data] = json_lines(run("incentive", "recommended-goods", sample("recommended-goods.jsonl")))
    found = {r["subject"]: r for r in data["results"]}
    assert {k: r["eligible"] for k, r in found.items()} == {
        "rg-1": True, "rg-2": False, "rg-3": True, "rg-4": False, "rg-5": False}
    assert found["rg-3"]["details"]["extra_commission"] == "60.00"   # 1200.00 × 0.05
    assert found["rg-4"]["details"]["status"] == "revoked"


def test_penalties_sample_livestream_stops() -> None:
    [data] = json_lines(run("penalties", sample("livestream-stops.jsonl")))
    shops = {s["shop_id"]: s for s in data["shops"]}
    assert [line["deduction"] for line in shops["shop-id-1"]["lines"]] == ["0", "1000000", "0"]
    assert shops["shop-id-1"]["total_deduction"] == "1000000"
    assert (shops["shop-uk-1"]["total_deduction"], shops["shop-uk-1"]["currency"]) == ("250.00", "GBP")
    assert {line["rule"] for s in shops.values() for line in s["lines"]} == {"TT-VIO-1"}


def test_penalties_without_a_required_amount_is_one_error_line(tmp_path: Any) -> None:
    bad = tmp_path / "stop.jsonl"
    bad.write_text('{"shop_id": "s", "market": "tiktok-id", "kind": "livestream_stop", '
                   '"at": "2025-01-05T20:00:00", "reason": "contract"}\n', encoding="utf-8")
    assert "'amount'" in one_error(run("penalties", str(bad)))
