"""Issue 5: a mixed Douyin + TikTok batch with bad rows, through ``shoppolicy settle``.

Every accepted line's figures are worked out by hand from the rules catalogue; every
rejected row is checked for its line number and reason; the exit code is 3.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from shoppolicy.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOUYIN_OVERRIDE = ROOT / "examples" / "douyin" / "my-categories.toml"  # womens_clothing 5%, regular 7 days

ROWS = [
    # 1. DY-FEE-1: 10000.00 × 5% = 500.00; net 9500.00; DY-PAY-1 completed 06-10 + 7 = 06-17
    {"order_id": "D1", "market": "douyin", "category": "womens_clothing", "amount": "10000.00", "currency": "CNY",
     "placed_at": "2024-06-01T10:00:00", "completed_at": "2024-06-10T18:00:00", "settlement_tier": "regular"},
    # 2. DY-FEE-1/2: 200.00 × 5% = 10.00; Selected Alliance 200.00 × 20% = 40.00; net 150.00
    {"order_id": "D2", "market": "douyin", "category": "womens_clothing", "amount": "200.00", "currency": "CNY",
     "placed_at": "2024-06-02T20:15:00", "affiliate_plan": "selected_alliance", "commission_rate": "0.20"},
    # 3. TT-FEE-1 from 2024-07-01: 8% × (100.00 + 5.00 shipping) = 8.40; TT-PAY-1 delivered 10-31 + 15
    {"order_id": "U1", "market": "tiktok-us", "amount": "100.00", "currency": "USD", "placed_at": "2024-10-25",
     "delivered_at": "2024-10-31", "seller_type": "cross_border_pop", "buyer_shipping": "5.00"},
    # 4. TT-FEE-3 from 2024-09-02: 9% × (90.00 + 5.00) = 8.55; net 81.45
    {"order_id": "K1", "market": "tiktok-uk", "amount": "90.00", "currency": "GBP", "placed_at": "2024-09-02",
     "platform_discount": "10.00", "buyer_shipping": "5.00"},
    # 5. incomplete: a Douyin category with no published rate (policy gap, named on its line);
    #    bounds from the published 1%-5%: 10.00 × 1% = 0.10 to 10.00 × 5% = 0.50
    {"order_id": "D3", "market": "douyin", "category": "beauty", "amount": "10.00", "currency": "CNY",
     "placed_at": "2024-06-01"},
    # 6. bad: wrong currency
    {"order_id": "U2", "market": "tiktok-us", "amount": "1.00", "currency": "CNY", "placed_at": "2024-10-25"},
    # 8. TT-FEE-6, -7 (revision of 2026-11-30): 900.00 × 2.18% = 19.62 commission and 19.62 transaction fee;
    #    net 860.76
    {"order_id": "T1", "market": "tiktok-sg", "amount": "900.00", "currency": "SGD", "placed_at": "2024-06-01"},
    # 9. bad: negative amount
    {"order_id": "T2", "market": "tiktok-th", "amount": "-5", "currency": "THB", "placed_at": "2025-06-01"},
]


def _write(tmp_path: Path) -> Path:
    lines = [json.dumps(r) for r in ROWS[:6]] + ["not json at all"] + [json.dumps(r) for r in ROWS[6:]]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_mixed_batch_settles_good_rows_and_reports_every_bad_one(tmp_path: Path) -> None:
    out, rejects, summary = tmp_path / "st.jsonl", tmp_path / "rej.jsonl", tmp_path / "sum.json"
    result = CliRunner().invoke(cli, ["--policy", str(DOUYIN_OVERRIDE), "settle", str(_write(tmp_path)),
                                      "--out", str(out), "--rejects", str(rejects), "--summary", str(summary)])
    assert result.exit_code == 3, result.output
    lines = {x["order_id"]: x for x in map(json.loads, out.read_text().splitlines())}
    assert list(lines) == ["D1", "D2", "U1", "K1", "D3", "T1"]
    d3 = lines.pop("D3")
    assert (d3["fees"], d3["creator_commission"], d3["net"], d3["total_fees"], d3["complete"]) == (
        [], "0", None, None, False)
    [gap] = d3["gaps"]
    assert (gap["figure"], gap["rule"], gap["market"], gap["category"], gap["key"], gap["date"]) == (
        "technical_service_fee", "DY-FEE-1", "douyin", "beauty", "technical_service_fee.rate.beauty", "2024-06-01")
    assert (gap["published"]["low"], gap["published"]["high"]) == ("0.01", "0.05")
    assert (gap["bounds"]["low"], gap["bounds"]["high"]) == ("0.10", "0.50")
    assert all(v["complete"] and v["gaps"] == [] for v in lines.values())
    figures = {k: ([(f["code"], f["amount"], f["rule"]) for f in v["fees"]], v["creator_commission"], v["net"])
               for k, v in lines.items()}
    assert figures == {
        "D1": ([("technical_service_fee", "500.00", "DY-FEE-1")], "0", "9500.00"),
        "D2": ([("technical_service_fee", "10.00", "DY-FEE-1")], "40.00", "150.00"),
        "U1": ([("referral_fee", "8.40", "TT-FEE-1")], "0", "91.60"),
        "K1": ([("commission", "8.55", "TT-FEE-3")], "0", "81.45"),
        "T1": ([("commission", "19.62", "TT-FEE-6"), ("transaction_fee", "19.62", "TT-FEE-7")], "0", "860.76"),
    }
    assert lines["D1"]["payout_date"] == "2024-06-17"
    assert lines["U1"]["payout_date"] == "2024-11-15"
    assert lines["D2"]["creator"]["platform_take"] == "4.00"  # DY-FEE-3: 10% of 40.00
    bad = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [(b["line"], b["order_id"], b["field"]) for b in bad] == [
        (6, "U2", "currency"), (7, None, None), (9, "T2", "amount")]
    assert bad[0]["reason"] == "expected USD for market tiktok-us, got CNY"
    assert bad[1]["reason"].startswith("not valid JSON")
    totals = json.loads(summary.read_text())
    assert (totals["orders"], totals["accepted"], totals["complete"], totals["incomplete"], totals["rejected"]) == (
        9, 6, 5, 1, 3)
    assert [(m["market"], m["rule"], m["key"], m["orders"]) for m in totals["missing"]] == [
        ("douyin", "DY-FEE-1", "technical_service_fee.rate.beauty", 1)]
    douyin = next(t for t in totals["totals"] if t["market"] == "douyin")
    # amount over the three accepted orders (10000.00 + 200.00 + 10.00); fees, commission and net
    # over the two complete ones
    assert (douyin["orders"], douyin["complete"], douyin["amount"], douyin["fees"], douyin["creator_commission"],
            douyin["net"]) == (3, 2, "10210.00", "510.00", "40.00", "9650.00")
    assert Decimal("10200.00") == Decimal(douyin["fees"]) + Decimal(douyin["creator_commission"]) + Decimal(
        douyin["net"])
    for t in totals["totals"]:
        if t["market"] != "douyin":  # every other market's orders are complete
            assert t["complete"] == t["orders"]
            assert Decimal(t["amount"]) == Decimal(t["fees"]) + Decimal(t["creator_commission"]) + Decimal(t["net"])
