"""Batch settlement: statement lines, rejects with line numbers, totals, exit code 3."""

from __future__ import annotations

import json
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


def test_workers_only_for_files_large_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shoppolicy import batch

    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps(GOOD) + "\n")
    assert batch.default_jobs("-") == 1 and batch.default_jobs(str(small)) == 1
    monkeypatch.setattr(batch, "PARALLEL_FROM_BYTES", 10)
    monkeypatch.setattr(batch.os, "cpu_count", lambda: 8)
    assert batch.default_jobs(str(small)) == 4  # one per CPU, at most 4


def _many(tmp_path: Path, count: int = 60) -> Path:
    """``count`` orders with amounts 1.00, 2.00, ... and a bad row every 13th line."""
    lines = [json.dumps(dict(GOOD, order_id=f"M{i}", amount=f"{i}.00")) if i % 13 else "{broken"
             for i in range(1, count + 1)]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _spooled_chunks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The part files the parent appends from now on (the chunks workers finished out of turn)."""
    from shoppolicy import batch

    spooled: list[str] = []
    append = batch._append_file
    monkeypatch.setattr(batch, "_append_file", lambda part, sink: (spooled.append(part), append(part, sink)))
    return spooled


def _settled(engine: Engine, src: Path, out: Path, jobs: int) -> tuple[int, bytes, str, str]:
    """Exit code, statement, summary and rejects (whose line numbers count from the file's start)."""
    summary, rejects = out.with_suffix(".sum"), out.with_suffix(".rej")
    code = run_settle(engine, str(src), out=str(out), rejects=str(rejects), summary_file=str(summary),
                      progress=False, jobs=jobs)
    return code, out.read_bytes(), summary.read_text(), rejects.read_text()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_workers_write_every_chunk_in_input_order(tmp_path: Path, acme_engine: Engine,
                                                  monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    from shoppolicy import batch

    monkeypatch.setattr(batch, "CHUNK_BYTES", 300)  # a chunk of about two orders: thirty chunks
    src = _many(tmp_path)
    one = _settled(acme_engine, src, tmp_path / f"one{suffix}", jobs=1)
    spooled = _spooled_chunks(monkeypatch)
    two = _settled(acme_engine, src, tmp_path / f"two{suffix}", jobs=2)
    assert one == two
    # The first chunk is always in turn, so at least it went straight to the output file.
    assert len(spooled) < len(list(batch._chunks(str(src))))
    if suffix == ".csv":  # the header first, before any worker's chunk
        header, *rows = one[1].decode().splitlines()
        assert header.startswith("order_id,market,currency,amount,fees,total_fees")
        ids = [r.split(",")[0] for r in rows]
    else:
        lines = [json.loads(x) for x in one[1].splitlines()]
        assert [x["total_fees"] for x in lines[:3]] == ["0.05", "0.10", "0.15"]  # 5% of 1.00, 2.00, 3.00
        ids = [x["order_id"] for x in lines]
    assert ids == [f"M{i}" for i in range(1, 61) if i % 13]
    # Workers number a chunk's rows from its start; the parent counts the lines before it.
    assert [json.loads(r)["line"] for r in two[3].splitlines()] == [13, 26, 39, 52]


@pytest.mark.parametrize("tail", [b"\n", b""])
def test_chunks_found_by_seeking_are_the_chunks_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     tail: bytes) -> None:
    from shoppolicy import batch

    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"\n".join(b"x" * n for n in range(1, 40)) + tail)  # lines of 1 to 39 bytes
    for size in (1, 2, 5, 10, 11, 64, 1000):  # cuts inside lines, just after a newline, past the end
        monkeypatch.setattr(batch, "CHUNK_BYTES", size)
        read = [(offset, len(chunk)) for _, offset, chunk in batch._chunks(str(path))]
        assert list(batch._spans(str(path))) == read, size
        assert sum(length for _, length in read) == path.stat().st_size


def test_a_worker_writes_its_chunk_in_turn_and_spools_it_otherwise(tmp_path: Path, acme_engine: Engine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import os

    from shoppolicy import batch

    src = _many(tmp_path, 3)
    size = src.stat().st_size
    out = tmp_path / "out.jsonl"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT)
    spool = tmp_path / "spool"
    spool.mkdir()
    written = multiprocessing.get_context("fork").Value("q", 4)
    monkeypatch.setattr(batch, "_WORKER", batch._Shared(acme_engine, batch._Formatter("jsonl"), str(src),
                                                        str(spool), fd, written))
    try:
        part, refused, summary, count, *_ = batch._work((5, 0, size, None))  # chunk 5, while 4 is not out yet
        assert part is not None and out.read_bytes() == b"" and written.value == 4
        spooled = Path(part).read_bytes()
        assert [json.loads(x)["order_id"] for x in spooled.splitlines()] == ["M1", "M2", "M3"]
        part, refused, summary, count, *_ = batch._work((4, 0, size, None))  # chunk 4: its turn
        assert part is None and out.read_bytes() == spooled and written.value == 5
        assert (count, summary.accepted, refused) == (3, 3, [])
    finally:
        os.close(fd)


def test_a_chunk_finished_out_of_turn_is_spooled_and_appended_in_turn(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from shoppolicy import batch

    monkeypatch.setattr(batch, "CHUNK_BYTES", 300)
    real = batch._settle_block

    def slow_first_chunk(engine, rows, fmt, count, *seen):  # type: ignore[no-untyped-def]
        done = real(engine, rows, fmt, count, *seen)
        if any(line.startswith(b'{"order_id":"M1"') for line in done[0]):
            time.sleep(0.5)  # the other worker settles later chunks meanwhile: they are not in turn
        return done

    src = _many(tmp_path)
    expected = _settled(acme_engine, src, tmp_path / "one.jsonl", jobs=1)
    spooled = _spooled_chunks(monkeypatch)

    def no_sendfile(*args: object) -> int:  # as for an output opened to append, or on macOS
        raise OSError("sendfile not supported here")

    monkeypatch.setattr(batch.os, "sendfile", no_sendfile)
    monkeypatch.setattr(batch, "_settle_block", slow_first_chunk)  # inherited by the forked workers
    assert _settled(acme_engine, src, tmp_path / "two.jsonl", jobs=2) == expected
    assert spooled  # the parent appended the chunks finished out of turn


def test_workers_spool_every_chunk_for_an_output_without_a_file_descriptor(
        tmp_path: Path, acme_installed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from shoppolicy import batch

    monkeypatch.setattr(batch, "CHUNK_BYTES", 300)
    src = str(_many(tmp_path))
    one = CliRunner().invoke(cli, ["settle", src, "--jobs", "1", "--no-progress"])
    two = CliRunner().invoke(cli, ["settle", src, "--jobs", "2", "--no-progress"])  # stdout: an in-memory stream
    assert one.exit_code == two.exit_code == 3
    assert two.stdout_bytes == one.stdout_bytes and len(one.stdout_bytes.splitlines()) == 56


def test_workers_number_the_rows_of_standard_input_from_its_first_line(
        tmp_path: Path, acme_installed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from shoppolicy import batch

    monkeypatch.setattr(batch, "CHUNK_BYTES", 300)  # about thirty chunks, passed to the workers by the parent
    rejects = tmp_path / "r.jsonl"
    result = CliRunner().invoke(cli, ["settle", "-", "--jobs", "2", "--no-progress", "--rejects", str(rejects)],
                                input=_many(tmp_path).read_bytes())
    assert result.exit_code == 3
    assert [json.loads(x)["order_id"] for x in result.stdout_bytes.splitlines()] == [
        f"M{i}" for i in range(1, 61) if i % 13]
    assert [json.loads(r)["line"] for r in rejects.read_text().splitlines()] == [13, 26, 39, 52]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_workers_count_blank_lines_and_a_last_line_without_newline(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch, newline: bytes) -> None:
    from shoppolicy import batch

    monkeypatch.setattr(batch, "CHUNK_BYTES", 300)
    lines = [json.dumps(dict(GOOD, order_id=f"W{i}")).encode() if i % 7 else (b"" if i % 2 else b"{broken")
             for i in range(1, 51)]  # blank lines 7, 21, 35, 49; bad rows 14, 28, 42; row 50 without a newline
    src = tmp_path / "odd.jsonl"
    src.write_bytes(newline.join(lines))
    one = _settled(acme_engine, src, tmp_path / "one.jsonl", jobs=1)
    two = _settled(acme_engine, src, tmp_path / "two.jsonl", jobs=2)
    assert one == two
    assert [json.loads(r)["line"] for r in two[3].splitlines()] == [14, 28, 42]
    assert json.loads(two[2])["accepted"] == 43 and b'"order_id":"W50"' in two[1].splitlines()[-1]


@pytest.mark.skipif(not Path("/proc/self/mountinfo").is_file(), reason="needs Linux's /proc")
def test_workers_settle_a_file_that_does_not_report_its_size(tmp_path: Path, acme_engine: Engine) -> None:
    import os

    src = Path("/proc/self/mountinfo")  # a file by os.path.isfile, of size 0 by stat, with lines to read
    assert os.stat(src).st_size == 0
    summary = tmp_path / "sum.json"
    code = run_settle(acme_engine, str(src), out=str(tmp_path / "s.jsonl"), rejects=str(tmp_path / "r.jsonl"),
                      summary_file=str(summary), progress=False, jobs=2)
    rows = len([line for line in src.read_text().splitlines() if line.strip()])
    assert code == 3 and rows > 0  # none of its lines is an order: each is rejected, none dropped
    assert json.loads(summary.read_text())["rejected"] == rows


def test_a_worker_refuses_a_chunk_shorter_than_the_parent_found(tmp_path: Path, acme_engine: Engine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    from shoppolicy import InputError, batch

    src = _many(tmp_path, 3)
    size = src.stat().st_size
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(batch, "_WORKER", batch._Shared(acme_engine, batch._Formatter("jsonl"), str(src), str(spool),
                                                        None, multiprocessing.Value("q", 0)))
    with pytest.raises(InputError, match=r"changed while it was settled \(expected 100 bytes at offset"):
        batch._work((0, size - 10, 100, None))  # the file ends 10 bytes after the offset: it was cut short
