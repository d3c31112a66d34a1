"""Batch settlement: statement lines, rejects with line numbers, totals, exit code 3."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoppolicy import Engine
from shoppolicy.batch import run_settle
from shoppolicy.cli import cli
from shoppolicy.settle import Rejected, Summary

GOOD = {"order_id": "G1", "market": "acme", "category": "toys", "amount": "100.00", "currency": "USD",
        "placed_at": "2024-03-01", "delivered_at": "2024-03-04"}


def _batch(tmp_path: Path) -> Path:
    lines = [
        json.dumps(GOOD),                                                     # 1: 5% → 5.00, net 95.00
        json.dumps(dict(GOOD, order_id="G2", amount="33.33", placed_at="2024-07-01", delivered_at="2024-07-01",
                        affiliate_plan="open", commission_rate="0.15")),      # 2: 6% → 2.00; 15% → 5.00
        json.dumps(dict(GOOD, order_id="B1", category="books")),             # 3: policy gap
        "{broken",                                                            # 4: not JSON
        "",                                                                   # 5: blank, skipped
        json.dumps(dict(GOOD, order_id="B2", currency="GBP")),               # 6: wrong currency
        json.dumps(dict(GOOD, order_id="B3", market="nowhere")),             # 7: unknown market
        json.dumps(dict(GOOD, order_id="G3", market="acme-west", amount="0.10")),  # 8: 5% of 0.10 = 0.01 (0.005 up)
    ]
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_settle_reports_every_row_and_exits_3(tmp_path: Path, acme_engine: Engine, jobs: int) -> None:
    out, rejects, summary = tmp_path / "s.jsonl", tmp_path / "r.jsonl", tmp_path / "sum.json"
    code = run_settle(acme_engine, str(_batch(tmp_path)), out=str(out), rejects=str(rejects),
                      summary_file=str(summary), jobs=jobs)
    assert code == 3
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(x["order_id"], x["total_fees"], x["creator_commission"], x["net"], x["complete"]) for x in lines] == [
        ("G1", "5.00", "0", "95.00", True), ("G2", "2.00", "5.00", "26.33", True),
        ("B1", None, "0", None, False), ("G3", "0.01", "0", "0.09", True)]
    # +7, +7, +7 (the policy gap leaves the payout date standing), +3 (west)
    assert [x["payout_date"] for x in lines] == ["2024-03-11", "2024-07-08", "2024-03-11", "2024-03-07"]
    [gap] = lines[2]["gaps"]  # line 3: a policy gap is named, not rejected
    assert (gap["figure"], gap["rule"], gap["key"], gap["category"], gap["date"]) == (
        "platform_fee", "TEST-FEE-1", "platform_fee.rate.books", "books", "2024-03-01")
    assert all(x["gaps"] == [] for x in (lines[0], lines[1], lines[3]))
    bad = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [(b["line"], b["order_id"], b["field"]) for b in bad] == [
        (4, None, None), (6, "B2", "currency"), (7, "B3", "market")]
    assert bad[0]["reason"].startswith("not valid JSON")
    assert bad[1]["reason"] == "expected USD for market acme, got GBP"
    totals = json.loads(summary.read_text())
    assert (totals["orders"], totals["accepted"], totals["complete"], totals["incomplete"], totals["rejected"]) == (
        7, 4, 3, 1, 3)
    assert totals["missing"] == [{"market": "acme", "rule": "TEST-FEE-1", "key": "platform_fee.rate.books",
                                  "orders": 1, "needed_from": "2024-03-01"}]


def test_statement_totals_equal_the_sum_of_lines(tmp_path: Path, acme_engine: Engine) -> None:
    out, summary = tmp_path / "s.jsonl", tmp_path / "sum.json"
    run_settle(acme_engine, str(_batch(tmp_path)), out=str(out), rejects=str(tmp_path / "r"),
               summary_file=str(summary))
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    by_market: dict[str, dict[str, Decimal]] = {}
    for x in lines:
        t = by_market.setdefault(x["market"], {"amount": Decimal(0), "fees": Decimal(0), "net": Decimal(0),
                                               "creator_commission": Decimal(0), "complete_amount": Decimal(0),
                                               "orders": Decimal(0), "complete": Decimal(0)})
        t["amount"] += Decimal(x["amount"])  # amount: over every accepted order
        t["orders"] += 1
        if x["complete"]:  # fees, commission and net: over the complete orders only
            t["complete"] += 1
            t["complete_amount"] += Decimal(x["amount"])
            t["fees"] += sum(Decimal(f["amount"]) for f in x["fees"])
            t["net"] += Decimal(x["net"])
            t["creator_commission"] += Decimal(x["creator_commission"])
    for total in json.loads(summary.read_text())["totals"]:
        expected = by_market[total["market"]]
        for key in ("amount", "fees", "net", "creator_commission", "orders", "complete"):
            assert Decimal(total[key]) == expected[key], (total["market"], key)
        assert expected["complete_amount"] == expected["fees"] + expected["creator_commission"] + expected["net"]


def test_settle_csv_in_and_out(tmp_path: Path, acme_engine: Engine) -> None:
    src = tmp_path / "o.csv"
    src.write_text("order_id,market,category,amount,currency,placed_at,delivered_at\n"
                   "C1,acme,toys,20.00,USD,2024-03-01,2024-03-02\n"
                   "C2,acme,toys,-1,USD,2024-03-01,\n")
    out = tmp_path / "s.csv"
    code = run_settle(acme_engine, str(src), out=str(out), rejects=str(tmp_path / "r.jsonl"))
    assert code == 3
    header, row = out.read_text().splitlines()
    assert header.startswith("order_id,market,currency,amount,fees,total_fees")
    assert row.startswith("C1,acme,USD,20.00,platform_fee=1.00 (TEST-FEE-1),1.00,0,19.00,2024-03-09")
    assert json.loads((tmp_path / "r.jsonl").read_text())["line"] == 3


def test_settle_from_python_is_a_lazy_iterator(acme_engine: Engine) -> None:
    summary = Summary()
    results = acme_engine.settle([GOOD, dict(GOOD, order_id="G2", amount="-5")], summary)
    first = next(results)
    assert first.net == Decimal("95.00")  # type: ignore[union-attr]
    second = next(results)
    assert isinstance(second, Rejected) and second.line == 2 and second.field == "amount"
    assert (summary.accepted, summary.rejected) == (1, 1)


def test_settle_cli_reports_rejects_on_stderr(tmp_path: Path, acme_installed: None) -> None:
    result = CliRunner().invoke(cli, ["settle", str(_batch(tmp_path))])
    assert result.exit_code == 3
    rejected = [line for line in result.stderr.splitlines() if line.startswith("rejected: ")]
    assert len(rejected) == 3 and ", line 6: field 'currency': expected USD" in rejected[1]
    assert "settled 4 of 7 orders: 3 complete, 1 incomplete (policy gaps); 3 rejected" in result.stderr
    assert "missing acme TEST-FEE-1 platform_fee.rate.books: blocks 1 orders (from 2024-03-01)" in result.stderr
    assert len(result.stdout.splitlines()) == 4


def _many(tmp_path: Path, count: int = 60) -> Path:
    """``count`` orders with amounts 1.00, 2.00, ... and a bad row every 13th line."""
    lines = [json.dumps(dict(GOOD, order_id=f"M{i}", amount=f"{i}.00")) if i % 13 else "{broken"
             for i in range(1, count + 1)]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _settled(engine: Engine, src: Path, out: Path, jobs: int | None = None) -> tuple[int, bytes, str, str]:
    """Exit code, statement, summary and rejects (whose line numbers count from the file's start)."""
    summary, rejects = out.with_suffix(".sum"), out.with_suffix(".rej")
    code = run_settle(engine, str(src), out=str(out), rejects=str(rejects), summary_file=str(summary),
                      progress=False, jobs=jobs)
    return code, out.read_bytes(), summary.read_text(), rejects.read_text()


def _alike(engine: Engine, src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> tuple[int, bytes, str, str]:
    """``_settled`` of ``src`` by the columnar path, after checking the row path gives the same."""
    columnar = _settled(engine, src, tmp_path / "columnar.jsonl")
    with monkeypatch.context() as patched:
        patched.setenv("SHOPPOLICY_NO_ARROW", "1")
        assert columnar == _settled(engine, src, tmp_path / "row-path.jsonl")
    return columnar


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of about two orders, so a short file crosses many chunk boundaries."""
    from shoppolicy import batch

    monkeypatch.setattr(batch, "CHUNK_BYTES", 300)
    monkeypatch.setattr(batch, "COLUMNAR_CHUNK_BYTES", 300)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_columnar_and_row_path_write_every_chunk_in_input_order(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch, small_chunks: None,
        suffix: str) -> None:
    src = _many(tmp_path)
    columnar = _settled(acme_engine, src, tmp_path / f"one{suffix}")
    monkeypatch.setenv("SHOPPOLICY_NO_ARROW", "1")
    rows = _settled(acme_engine, src, tmp_path / f"two{suffix}")
    assert columnar == rows
    if suffix == ".csv":  # the header first
        header, *lines = columnar[1].decode().splitlines()
        assert header.startswith("order_id,market,currency,amount,fees,total_fees")
        ids = [r.split(",")[0] for r in lines]
    else:
        parsed = [json.loads(x) for x in columnar[1].splitlines()]
        assert [x["total_fees"] for x in parsed[:3]] == ["0.05", "0.10", "0.15"]  # 5% of 1.00, 2.00, 3.00
        ids = [x["order_id"] for x in parsed]
    assert ids == [f"M{i}" for i in range(1, 61) if i % 13]
    assert [json.loads(r)["line"] for r in columnar[3].splitlines()] == [13, 26, 39, 52]


def test_jobs_sets_arrow_threads_and_changes_nothing_else(tmp_path: Path, acme_engine: Engine) -> None:
    import pyarrow as pa

    src = _many(tmp_path)
    before = pa.cpu_count()
    try:
        one = _settled(acme_engine, src, tmp_path / "one.jsonl", jobs=1)
        assert pa.cpu_count() == 1
        two = _settled(acme_engine, src, tmp_path / "two.jsonl", jobs=2)
    finally:
        pa.set_cpu_count(before)
    assert one == two


def test_standard_input_rows_are_numbered_from_its_first_line(
        tmp_path: Path, acme_installed: None, small_chunks: None) -> None:
    rejects = tmp_path / "r.jsonl"
    result = CliRunner().invoke(cli, ["settle", "-", "--no-progress", "--rejects", str(rejects)],
                                input=_many(tmp_path).read_bytes())
    assert result.exit_code == 3
    assert [json.loads(x)["order_id"] for x in result.stdout_bytes.splitlines()] == [
        f"M{i}" for i in range(1, 61) if i % 13]
    assert [json.loads(r)["line"] for r in rejects.read_text().splitlines()] == [13, 26, 39, 52]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_blank_lines_and_a_last_line_without_newline_are_counted(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch, small_chunks: None,
        newline: bytes) -> None:
    lines = [json.dumps(dict(GOOD, order_id=f"W{i}")).encode() if i % 7 else (b"" if i % 2 else b"{broken")
             for i in range(1, 51)]  # blank lines 7, 21, 35, 49; bad rows 14, 28, 42; row 50 without a newline
    src = tmp_path / "odd.jsonl"
    src.write_bytes(newline.join(lines))
    columnar = _settled(acme_engine, src, tmp_path / "one.jsonl")
    monkeypatch.setenv("SHOPPOLICY_NO_ARROW", "1")
    assert columnar == _settled(acme_engine, src, tmp_path / "two.jsonl")
    assert [json.loads(r)["line"] for r in columnar[3].splitlines()] == [14, 28, 42]
    assert json.loads(columnar[2])["accepted"] == 43 and b'"order_id":"W50"' in columnar[1].splitlines()[-1]


def test_an_order_id_repeated_across_chunks_is_refused_as_the_row_path_refuses_it(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch, small_chunks: None) -> None:
    lines = [json.dumps(dict(GOOD, order_id=f"R{i % 25}", amount=f"{i}.00")) for i in range(1, 61)]
    src = tmp_path / "repeats.jsonl"
    src.write_text("\n".join(lines) + "\n")
    columnar = _settled(acme_engine, src, tmp_path / "one.jsonl")
    monkeypatch.setenv("SHOPPOLICY_NO_ARROW", "1")
    assert columnar == _settled(acme_engine, src, tmp_path / "two.jsonl")
    assert len(columnar[3].splitlines()) == 35 and json.loads(columnar[2])["accepted"] == 25


@pytest.mark.skipif(not Path("/proc/self/mountinfo").is_file(), reason="needs Linux's /proc")
def test_a_file_that_does_not_report_its_size_is_settled(tmp_path: Path, acme_engine: Engine) -> None:
    import os

    src = Path("/proc/self/mountinfo")  # a file by os.path.isfile, of size 0 by stat, with lines to read
    assert os.stat(src).st_size == 0
    summary = tmp_path / "sum.json"
    code = run_settle(acme_engine, str(src), out=str(tmp_path / "s.jsonl"), rejects=str(tmp_path / "r.jsonl"),
                      summary_file=str(summary), progress=False)
    rows = len([line for line in src.read_text().splitlines() if line.strip()])
    assert code == 3 and rows > 0  # none of its lines is an order: each is rejected, none dropped
    assert json.loads(summary.read_text())["rejected"] == rows


def test_parquet_statement_has_a_row_per_order_and_its_plans_beside_it(tmp_path: Path, acme_engine: Engine) -> None:
    import pyarrow.parquet as pq

    src = _many(tmp_path)
    out = tmp_path / "s.parquet"
    assert _settled(acme_engine, src, out)[0] == 3
    table = pq.read_table(out)
    plans = pq.read_table(tmp_path / "s.plans.parquet")
    assert table.column("order_id").to_pylist() == [f"M{i}" for i in range(1, 61) if i % 13]
    assert table.column("line").to_pylist() == [i for i in range(1, 61) if i % 13]
    assert [str(v) for v in table.column("total_fees").to_pylist()[:3]] == ["0.0500", "0.1000", "0.1500"]
    assert set(table.column("plan_id").to_pylist()) <= set(plans.column("plan_id").to_pylist())


def test_trail_ref_names_the_plan_and_writes_each_trail_once(tmp_path: Path, acme_engine: Engine) -> None:
    """A referenced line with its plan's explanations put back is the full line."""
    src = _many(tmp_path)
    full = _settled(acme_engine, src, tmp_path / "full.jsonl")
    code = run_settle(acme_engine, str(src), out=str(tmp_path / "ref.jsonl"), progress=False, trail="ref",
                      rejects=str(tmp_path / "r.rej"))
    assert code == full[0]
    plans = {p.pop("plan"): p for p in map(json.loads, (tmp_path / "ref.plans.jsonl").read_text().splitlines())}
    shorts = (tmp_path / "ref.jsonl").read_bytes().splitlines()
    assert len(plans) < len(shorts) / 10  # a plan is written once, not once per order
    for whole, short in zip(full[1].splitlines(), shorts, strict=True):
        line = json.loads(short)
        plan = plans[line.pop("plan")]
        line["trail"] = plan["trail"]
        line["fees"] = [{**fee, **told} for fee, told in zip(line["fees"], plan["fees"], strict=True)]
        line["gaps"] = [{**gap, **told} for gap, told in zip(line["gaps"], plan["gaps"], strict=True)]
        expected = json.loads(whole)
        for gap in expected["gaps"]:
            gap.get("bounds", {}).pop("note", None)
        assert line == expected


def test_settle_batches_gives_the_parquet_statement_from_text_columns(tmp_path: Path, acme_engine: Engine) -> None:
    """The batch function Spark's mapInArrow calls: every value as text, as Spark's
    primitivesAsString reads JSON; the rows equal the Parquet statement of settle."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from shoppolicy.columnar import settle_batches

    src = _many(tmp_path)
    _settled(acme_engine, src, tmp_path / "s.parquet")
    rows = [json.loads(line) for line in src.read_text().splitlines() if line.startswith("{\"")]
    text = pa.Table.from_pylist([{k: None if v is None else str(v) for k, v in row.items()} for row in rows])
    rejected: list[object] = []
    got = pa.Table.from_batches(list(settle_batches(acme_engine, text.to_batches(max_chunksize=7), rejected)))
    want = pq.read_table(tmp_path / "s.parquet")
    assert got.drop_columns(["line"]).to_pylist() == want.drop_columns(["line"]).to_pylist()
    assert rejected == []


@pytest.mark.parametrize("quoted", [False, True])
def test_csv_input_read_by_arrow_equals_the_row_path(tmp_path: Path, acme_engine: Engine,
                                                     monkeypatch: pytest.MonkeyPatch, small_chunks: None,
                                                     quoted: bool) -> None:
    """CSV input is read by Arrow in chunks; a quoted cell (which may span lines) sends the
    rest of the file to the row path's reader, whose line numbers go on where Arrow's stop."""
    header = "order_id,market,category,amount,currency,placed_at,quantity"
    lines = [header] + [f"C{i},acme,toys,{i}.00,USD,2024-07-01,{'' if i % 5 else '2'}" if i % 13 else
                        f"C{i},acme,toys,{i}.0x,USD,2024-07-01," for i in range(1, 61)]
    if quoted:
        lines[30] = lines[30].replace(",toys,", ',"to\nys",')
    src = tmp_path / "orders.csv"
    src.write_text("\n".join(lines) + "\n")
    columnar = _settled(acme_engine, src, tmp_path / "one.jsonl")
    monkeypatch.setenv("SHOPPOLICY_NO_ARROW", "1")
    assert columnar == _settled(acme_engine, src, tmp_path / "two.jsonl")
    shift = 1 if quoted else 0  # the quoted cell's row takes two lines
    assert [json.loads(r)["line"] for r in columnar[3].splitlines()] == [
        n + 1 + (shift if n > 29 else 0) for n in (13, 26, 39, 52)]


def test_a_csv_row_of_blank_cells_is_skipped_as_the_row_path_skips_it(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "blank.csv"
    src.write_text("order_id,market,category,amount,currency,placed_at\nB1,acme,toys,10.00,USD,2024-07-01\n"
                   ",,,,,\n , , , , , \nB2,acme,toys,20.00,USD,2024-07-01\n")
    columnar = _settled(acme_engine, src, tmp_path / "one.jsonl")
    monkeypatch.setenv("SHOPPOLICY_NO_ARROW", "1")
    assert columnar == _settled(acme_engine, src, tmp_path / "two.jsonl")
    assert [json.loads(x)["order_id"] for x in columnar[1].splitlines()] == ["B1", "B2"]


def test_the_plans_file_never_overwrites_the_input_or_another_output(tmp_path: Path, acme_installed: None) -> None:
    src = tmp_path / "st.plans.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    result = CliRunner().invoke(cli, ["settle", str(src), "--out", str(tmp_path / "st.jsonl"), "--trail", "ref"])
    assert result.exit_code == 1 and "the plans file" in result.stderr and "Traceback" not in result.output
    assert src.read_text() == json.dumps(GOOD) + "\n"
    assert not (tmp_path / "st.jsonl").exists()


def test_a_parquet_run_that_stops_leaves_nothing_and_says_one_line(tmp_path: Path, acme_installed: None) -> None:
    work = tmp_path / "work"
    work.mkdir()
    src = work / "o.jsonl"
    src.write_bytes((json.dumps(GOOD) + "\n").encode("utf-16"))
    result = CliRunner().invoke(cli, ["settle", str(src), "--out", str(work / "s.parquet")])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert sorted(p.name for p in work.iterdir()) == ["o.jsonl"]


def test_a_summary_that_cannot_be_written_stops_the_batch_before_any_file_is_in_place(
        tmp_path: Path, acme_installed: None) -> None:
    work = tmp_path / "work"
    work.mkdir()
    src = work / "o.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    result = CliRunner().invoke(cli, ["settle", str(src), "--out", str(work / "s.jsonl"), "--trail", "ref",
                                      "--summary", str(work / "no" / "s.json")])
    assert result.exit_code == 1 and "cannot write" in result.stderr
    assert sorted(p.name for p in work.iterdir()) == ["o.jsonl"]


def test_a_csv_cell_over_the_csv_modules_limit_is_refused_alike(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    src = tmp_path / "long.csv"
    src.write_text("order_id,market,category,amount,currency,placed_at\nL1,acme,toys,10.00,USD,2024-07-01\n"
                   f"L2,acme,{'x' * (csv.field_size_limit() + 1)},10.00,USD,2024-07-01\n")
    rejected = _alike(acme_engine, src, tmp_path, monkeypatch)[3]
    assert [json.loads(r)["line"] for r in rejected.splitlines()] == [3]


def test_a_first_line_nested_past_the_parser_is_rejected_as_the_row_path_rejects_it(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = '{"order_id": "D1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"  # one brace: past the gates
    src = tmp_path / "deep.jsonl"
    src.write_text(deep + "\n" + json.dumps(GOOD) + "\n")
    rejected = _alike(acme_engine, src, tmp_path, monkeypatch)[3]
    assert [json.loads(r)["line"] for r in rejected.splitlines()] == [1]


def test_summary_totals_stay_exact_past_what_int64_can_add(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # 100,000 orders of 999,999,999,999.99: their sum in cents, 10^19 - 10^5, is past 2^63.
    src = tmp_path / "big.jsonl"
    src.write_text("".join(json.dumps(dict(GOOD, order_id=f"M{i}", amount="999999999999.99")) + "\n"
                           for i in range(100_000)))
    columnar = _settled(acme_engine, src, tmp_path / "one.parquet")
    summary = json.loads(columnar[2])
    monkeypatch.setenv("SHOPPOLICY_NO_ARROW", "1")
    assert summary == json.loads(_settled(acme_engine, src, tmp_path / "two.jsonl")[2])
    assert Decimal(summary["totals"][0]["amount"]) == Decimal("999999999999.99") * 100_000


def test_no_statement_is_written_after_one_that_failed() -> None:
    from contextlib import ExitStack

    from shoppolicy.batch import _Behind

    written: list[bytes] = []

    def broken() -> list[bytes]:
        raise OSError("disk gone")

    with ExitStack() as stack:
        behind = _Behind(stack)
        behind.submit(written.extend, [b"one\n"])
        behind.submit(written.extend, [broken])  # made on another thread: it fails there
        with pytest.raises(OSError, match="disk gone"):
            behind.submit(written.extend, [b"three\n"])  # the failure surfaces when its turn comes
            behind.wait()
    assert written == [b"one\n"]


def test_an_engine_built_while_the_file_is_read_settles_as_a_built_one(tmp_path: Path, acme_engine: Engine) -> None:
    import threading

    from shoppolicy import columnar

    readers_when_built: list[int] = []

    def build() -> Engine:
        readers_when_built.append(sum(t.name.startswith("shoppolicy-read") for t in threading.enumerate()))
        return acme_engine

    src = _many(tmp_path)
    given = _settled(acme_engine, src, tmp_path / "given.jsonl")
    summary, rejects = tmp_path / "built.sum", tmp_path / "built.rej"
    code = run_settle(build, str(src), out=str(tmp_path / "built.jsonl"), rejects=str(rejects),
                      summary_file=str(summary), progress=False)
    built = code, (tmp_path / "built.jsonl").read_bytes(), summary.read_text(), rejects.read_text()
    assert built == given
    # Built once, with the reading thread already at work when there is one (Arrow installed).
    assert readers_when_built == [1 if columnar.available() else 0]


def test_an_engine_that_fails_to_build_stops_the_reading_and_leaves_no_file(tmp_path: Path) -> None:
    import threading

    from shoppolicy.errors import PolicyFileError

    def build() -> Engine:
        raise PolicyFileError("broken.toml", "expected a table")

    out, source = tmp_path / "s.jsonl", _many(tmp_path)
    with pytest.raises(PolicyFileError, match=r"broken\.toml") as raised:
        run_settle(build, str(source), out=str(out), progress=False)
    assert not any(t.name.startswith("shoppolicy-read") for t in threading.enumerate())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.jsonl"]
    if Path("/proc/self/fd").is_dir():  # closed at once, though the traceback still holds the batch's frames
        assert raised.traceback and str(source) not in {os.path.realpath(f"/proc/self/fd/{fd}")
                                                       for fd in os.listdir("/proc/self/fd")}


def test_standard_input_is_read_only_once_the_engine_is_built(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    # A read of standard input may wait for the program writing it, which may wait for
    # this one: a broken policy is reported before the first read.
    reads: list[int] = []

    class Watched(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(len(built))
            return super().read(size)

    built: list[Engine] = []

    def build() -> Engine:
        built.append(acme_engine)
        return acme_engine

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(Watched(_many(tmp_path).read_bytes())))
    code = run_settle(build, "-", out=str(tmp_path / "s.jsonl"), rejects=str(tmp_path / "r.jsonl"), progress=False)
    assert code == 3 and len((tmp_path / "s.jsonl").read_text().splitlines()) == 56
    assert reads and set(reads) == {1}  # every read after the engine was built
