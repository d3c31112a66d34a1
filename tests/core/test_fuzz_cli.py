"""Fuzz (issue 15): hypothesis writes hostile order files (JSON Lines and CSV) and policy
files, and runs the CLI in-process.  Whatever it writes: no traceback; exit code 1 or 3;
and ``settle``, with ``--jobs 1`` and ``--jobs 2``, accounts for every row: accepted +
rejected = the non-blank input lines, the rejected line numbers are exactly the broken
ones, and both runs write the same statement, rejects and summary.

Each file mixes good orders (``tiktok-us``, the shipped policy) with rows broken in one
of many ways, blank lines, a byte order mark, CRLF line ends or a missing last newline.
``SHOPPOLICY_FUZZ_EXAMPLES`` raises the number of examples for a deeper run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoppolicy.cli import cli

# 30 files of each kind by default (and half as many CSV and policy files): about 10 s
# a Python.  A deeper run: SHOPPOLICY_FUZZ_EXAMPLES=500 (about three minutes).
EXAMPLES = int(os.environ.get("SHOPPOLICY_FUZZ_EXAMPLES", "30"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.data_too_large])

# Good orders are placed when tiktok-us has a referral fee in force, early enough that a
# delivery up to 60 days later is still in the dates an input may hold (to 2099-12-31).
FIRST, LAST = dt.date(2024, 7, 1), dt.date(2099, 10, 31)
CSV_COLUMNS = ["order_id", "market", "amount", "currency", "placed_at", "delivered_at", "seller_type",
               "affiliate_plan", "commission_rate", "quantity", "category", "refunded"]


@attrs.frozen
class Line:
    data: bytes
    broken: bool = False
    order_id: str | None = None  # of a good row
    repeat: bool = False  # broken only as a repeated order_id: a batch's rule, not a row's

    @property
    def blank(self) -> bool:
        return not self.data.strip()


# --- good rows ----------------------------------------------------------------------------

def _id_text(csv_safe: bool) -> st.SearchStrategy[str]:
    excluded = ("Cs", "Cc") if csv_safe else ("Cs",)  # a CSV cell holds no line break; a JSON string may
    return st.text(st.characters(blacklist_categories=excluded), max_size=6)


@st.composite
def good_order(draw: st.DrawFn, index: int, csv_safe: bool) -> dict[str, Any]:
    placed = draw(st.dates(FIRST, LAST))
    timed = draw(st.booleans())
    order: dict[str, Any] = {
        "order_id": f"O{index}-{draw(_id_text(csv_safe))}", "market": "tiktok-us",
        "amount": f"{draw(st.decimals(0, 10**12, places=2)):f}" if csv_safe or draw(st.booleans())
        else draw(st.integers(0, 10**12)),  # a whole JSON number is money too
        "currency": "USD", "seller_type": "cross_border_pop",
        "placed_at": f"{placed.isoformat()}T{draw(st.times()):%H:%M:%S}" if timed else placed.isoformat(),
    }
    if draw(st.booleans()):
        order["delivered_at"] = (placed + dt.timedelta(days=draw(st.integers(int(timed), 60)))).isoformat()
    if draw(st.booleans()):
        order["affiliate_plan"] = draw(st.sampled_from(["open", "targeted", "shop"]))
        order["commission_rate"] = f"{draw(st.decimals(0, 1, places=draw(st.integers(0, 12)))):f}"
    if draw(st.booleans()):
        order["quantity"] = draw(st.integers(1, 1_000_000)) if not csv_safe else str(draw(st.integers(1, 1_000_000)))
    return order


# --- broken rows: each refused whatever else the file holds --------------------------------

HOSTILE_MONEY = ["1E+30", "1e2", "NaN", "Infinity", "-1", "1_000", " 1.00", "1.00 ", "١٠", "+1", "10.001", ".5", "5.",
                 "1000000000000.01", "0x10", "1,000", "", "ten"]
HOSTILE_DATES = ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01", "2024-13-01", "2024-02-30", "yesterday",
                 "2024-W01-1", "20240701", "２０２４-07-01", "2024-07-01T25:00:00", "2024-07-01T10:00:00.5", ""]


def _changed(order: dict[str, Any], draw: st.DrawFn, csv_mode: bool) -> dict[str, Any]:
    """``order`` with one field made wrong (a money, a date, a rule across fields...)."""
    kinds = ["amount", "date", "delivered_early", "market", "commission", "quantity", "refunded", "missing"]
    if not csv_mode:
        kinds += ["json_types", "unknown_field"]
    kind = draw(st.sampled_from(kinds))
    bad = dict(order)
    if kind == "amount":
        bad["amount"] = draw(st.sampled_from(HOSTILE_MONEY)) if csv_mode else draw(st.one_of(
            st.sampled_from(HOSTILE_MONEY), st.sampled_from([1.5, 10**13, -3, True, None, [1], {"v": "1.00"}])))
        if bad["amount"] in ("", None):
            bad.pop("amount")  # "not given": a required field missing
    elif kind == "date":
        bad["placed_at"] = draw(st.sampled_from(HOSTILE_DATES))
        if not bad["placed_at"]:
            bad.pop("placed_at")
    elif kind == "delivered_early":
        placed = dt.date.fromisoformat(order["placed_at"][:10])
        bad["placed_at"] = placed.isoformat()
        bad["delivered_at" if draw(st.booleans()) else "completed_at"] = (
            placed - dt.timedelta(days=draw(st.integers(1, 400)))).isoformat()
        if csv_mode:
            bad.pop("completed_at", None)
            bad["delivered_at"] = (placed - dt.timedelta(days=1)).isoformat()
    elif kind == "market":
        bad.update(draw(st.sampled_from([{"market": "nowhere"}, {"market": "tiktok-sea"}, {"currency": "EUR"},
                                         {"currency": "usd"}, {"market": ""}])))
    elif kind == "commission":
        if draw(st.booleans()):
            bad.update(affiliate_plan=draw(st.sampled_from(["open", "vip"])), commission_rate="")
            if bad["affiliate_plan"] == "vip":
                bad["commission_rate"] = "0.1"
        else:
            bad.update(affiliate_plan="", commission_rate=draw(st.sampled_from(["0.1", "2", "-0.1", "1e-1"])))
        bad = {k: v for k, v in bad.items() if v != ""}
    elif kind == "quantity":
        bad["quantity"] = draw(st.sampled_from(["0", "1000001", "1.5", "-1", "x", "١"] if csv_mode
                                               else [0, 10**7, "1.5", -1, 1.0, True, "١"]))
    elif kind == "refunded":
        bad.update(refunded="1000000000000.00", amount="1.00")
    elif kind == "missing":
        bad.pop(draw(st.sampled_from(["order_id", "market", "currency"])))
    elif kind == "json_types":
        bad[draw(st.sampled_from(["order_id", "market", "placed_at"]))] = draw(st.sampled_from([5, None, [], {}]))
        if bad.get("order_id", "") is None:
            bad.pop("order_id")
    else:
        bad["colour"] = "red"
    return bad


@st.composite
def broken_json_line(draw: st.DrawFn, order: dict[str, Any]) -> bytes:
    """One JSON Lines row that no reader or check lets through."""
    kind = draw(st.sampled_from(["field", "field", "field", "key_twice", "deep", "surrogate", "not_json",
                                 "not_utf8"]))
    text = json.dumps(order, ensure_ascii=draw(st.booleans()))
    if kind == "key_twice":
        key = draw(st.sampled_from(sorted(order)))
        return (text[:-1] + f", {json.dumps(key)}{draw(st.sampled_from([':', ' :', ': ']))}{json.dumps(order[key])}}}"
                ).encode()
    if kind == "deep":
        depth = draw(st.sampled_from([4, 5, 40, 2000, 100_000]))
        return json.dumps(dict(order, amount="@")).replace('"@"', "[" * depth + "]" * depth).encode()
    if kind == "surrogate":
        lone = draw(st.sampled_from(["\ud800", "\udfff"]))
        return json.dumps(dict(order, order_id=order["order_id"] + lone)).encode()
    if kind == "not_json":
        return draw(st.sampled_from([b"{broken", b"[1, 2]", b"null", b"42", b'"text"', b"{'a': 1}", b"{}",
                                     text[:-1].encode(), b"\x00"]))
    if kind == "not_utf8":
        data = text.encode()
        at = draw(st.integers(1, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xe9", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]))
        return data[:at] + bad + data[at:]
    return json.dumps(_changed(order, draw, csv_mode=False), ensure_ascii=draw(st.booleans())).encode()


def _csv_line(order: dict[str, Any], extra: list[str] = ()) -> bytes:  # type: ignore[assignment]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([*(str(order.get(c, "")) for c in CSV_COLUMNS), *extra])
    return buffer.getvalue().encode()


@st.composite
def broken_csv_line(draw: st.DrawFn, order: dict[str, Any]) -> bytes:
    """One CSV row that no reader or check lets through."""
    kind = draw(st.sampled_from(["field", "field", "field", "cells", "nul", "huge", "not_utf8"]))
    if kind == "cells":
        return _csv_line(order, ["surplus"]) if draw(st.booleans()) else _csv_line(order).rsplit(b",", 1)[0]
    if kind == "nul":  # written by hand: the csv module of Python 3.10 refuses to write a NUL
        return _csv_line(dict(order, category="toys")).replace(b"toys", b"to\0ys")
    if kind == "huge":
        return _csv_line(dict(order, category="x" * 140_000))
    if kind == "not_utf8":
        data = _csv_line(order)
        at = draw(st.integers(1, len(data)))
        return data[:at] + draw(st.sampled_from([b"\xff", b"\xe9", b"\xed\xa0\x80"])) + data[at:]
    return _csv_line(_changed(order, draw, csv_mode=True))


# --- files --------------------------------------------------------------------------------

@attrs.frozen
class OrderFile:
    name: str
    data: bytes
    lines: tuple[Line, ...]  # from the first line of the file (a CSV header included)

    @property
    def broken(self) -> list[int]:
        return [n for n, line in enumerate(self.lines, start=1) if line.broken]

    @property
    def rows(self) -> int:
        return sum(not line.blank for line in self.lines) - (self.name.endswith(".csv"))

    @property
    def only_repeats(self) -> bool:
        """Whether every broken row is broken only by the batch's rule of one row per order_id."""
        return all(line.repeat for line in self.lines if line.broken)

    @property
    def good_ids(self) -> list[str]:
        return [line.order_id for line in self.lines if line.order_id is not None]


@st.composite
def order_file(draw: st.DrawFn, csv_mode: bool) -> OrderFile:
    count = draw(st.integers(1, 14))
    broken_at = set(draw(st.lists(st.integers(0, count - 1), min_size=1, max_size=count)))
    lines: list[Line] = [Line(",".join(CSV_COLUMNS).encode())] if csv_mode else []
    ids: list[str] = []
    for i in range(count):
        for _ in range(draw(st.integers(0, 1))):
            lines.append(Line(draw(st.sampled_from([b"", b"   ", b"\t"]))))
        order = draw(good_order(i, csv_mode))
        if i in broken_at and ids and draw(st.integers(0, 5)) == 0:  # a good row but for its order_id
            repeat = dict(order, order_id=draw(st.sampled_from(ids)))
            lines.append(Line(_csv_line(repeat) if csv_mode else json.dumps(repeat).encode(), broken=True,
                              repeat=True))
        elif i in broken_at:
            lines.append(Line(draw(broken_csv_line(order) if csv_mode else broken_json_line(order)), broken=True))
        else:
            data = _csv_line(order) if csv_mode else json.dumps(order, ensure_ascii=draw(st.booleans())).encode()
            lines.append(Line(data, order_id=order["order_id"]))
            ids.append(order["order_id"])
    end = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = end.join(line.data for line in lines) + (end if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data  # saved by Excel or Notepad
    return OrderFile("orders.csv" if csv_mode else "orders.jsonl", data, tuple(lines))


# --- running it -----------------------------------------------------------------------------

def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"shoppolicy {' '.join(args)} raised {result.exception!r}")
    assert "Traceback" not in result.output
    return result


@contextmanager
def written(file: OrderFile) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="shoppolicy-fuzz-") as folder:
        path = Path(folder) / file.name
        path.write_bytes(file.data)
        yield path


def check_settle(file: OrderFile) -> None:
    with written(file) as path:
        runs = []
        for jobs in ("1", "2"):
            out, rejects, summary = (path.with_name(f"{stem}-{jobs}.jsonl")
                                     for stem in ("statement", "rejects", "summary"))
            result = run("settle", str(path), "--out", str(out), "--rejects", str(rejects), "--summary", str(summary),
                         "--jobs", jobs, "--no-progress")
            assert result.exit_code == 3, result.output  # every file holds at least one broken row
            totals = json.loads(summary.read_text())
            # split at newlines only: a JSON line may hold U+0085 or U+2028 as they are
            refused = [json.loads(line) for line in rejects.read_text(encoding="utf-8").split("\n") if line]
            statement = out.read_bytes()
            assert totals["accepted"] + totals["rejected"] == totals["orders"] == file.rows
            assert [r["line"] for r in refused] == file.broken, [
                (r, file.lines[r["line"] - 1]) for r in refused if r["line"] not in file.broken]
            assert totals["accepted"] == len(file.good_ids)
            assert [json.loads(line)["order_id"] for line in statement.split(b"\n") if line] == file.good_ids
            runs.append((statement, refused, totals))
        assert runs[0] == runs[1]  # one process or two: the same statement, rejects and summary


def check_single_shot(file: OrderFile) -> None:
    """The commands that take one record at a time stop at a bad one: one line, exit 1
    (or answer every record, exit 0, or 3 when some answer names a policy gap).
    (``quote`` takes a file whose only fault is a repeated order_id, a batch's rule;
    ``payout`` refuses an order not delivered yet, and the events and shops commands
    every order row.)"""
    with written(file) as path:
        for args in (("quote", str(path)), ("payout", str(path)), ("penalties", str(path), "--deposit", "100"),
                     ("incentive", "reputation-star", str(path))):
            result = run(*args)
            # 3: every record answered, some with a named policy gap (quote, payout)
            assert result.exit_code in ((0, 1, 3) if args[0] in ("quote", "payout") else (0, 1)), (args, result.output)
            if result.exit_code == 1:
                assert len([line for line in result.stderr.splitlines() if line.startswith("error: ")]) == 1
            elif args[0] != "payout":
                assert args[0] == "quote" and file.only_repeats, (args, result.output)


@pytest.fixture(scope="module", autouse=True)
def small_chunks() -> Iterator[None]:
    """Chunks of a few rows, so that two workers share even a small file."""
    from shoppolicy import batch

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "CHUNK_BYTES", 400)
        yield


@FUZZ
@given(order_file(csv_mode=False))
def test_fuzz_settle_and_quote_json_lines(file: OrderFile) -> None:
    check_settle(file)
    check_single_shot(file)


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))
@given(order_file(csv_mode=True))
def test_fuzz_settle_and_quote_csv(file: OrderFile) -> None:
    check_settle(file)
    check_single_shot(file)


# --- policy files -----------------------------------------------------------------------------

POLICY_HEAD = '[policy]\nmarket = "tiktok-us"\n\n[[values]]\nrule = "TT-PAY-1"\nsource = "fuzz"\n'
GOOD_ORDER = {"order_id": "P1", "market": "tiktok-us", "amount": "10.00", "currency": "USD",
              "placed_at": "2024-11-01", "delivered_at": "2024-11-03", "seller_type": "cross_border_pop"}


@st.composite
def hostile_policy(draw: st.DrawFn) -> bytes:
    """A policy file with one value, time or byte no load can accept."""
    kind = draw(st.sampled_from(["days", "number", "decimal_text", "offset", "date_range", "float", "not_utf8"]))
    key, value, extra = "settlement.cross_border_pop.normal.days", "5", ""
    if kind == "days":
        value = str(draw(st.one_of(st.integers(3651, 10**18), st.integers(-(10**18), -3651))))
    elif kind == "number":
        key, value = "fee.referral_fee.rate.toys", str(draw(st.one_of(st.integers(10**12 + 1, 10**30),
                                                                       st.integers(-(10**30), -(10**12) - 1))))
    elif kind == "decimal_text":
        text = draw(st.one_of(
            st.sampled_from(["1E+30", "1e-3", "Infinity", "NaN", "1_000", " 0.5", "0.1234567890123"]),
            st.decimals(Decimal(10**12) + 1, Decimal(10**20), places=2).map(str)))
        key, value = "fee.referral_fee.rate.toys", json.dumps(text)
    elif kind == "offset":  # a TOML offset date-time, or a string holding one
        when = draw(st.datetimes(dt.datetime(2000, 1, 2), dt.datetime(2099, 12, 30))).replace(microsecond=0)
        stamp = when.isoformat() + draw(st.sampled_from(["Z", "+08:00", "-05:30", "+00:00"]))
        extra = f"effective_from = {stamp if draw(st.booleans()) else json.dumps(stamp)}"
    elif kind == "date_range":
        day = draw(st.one_of(st.dates(dt.date(1, 1, 1), dt.date(1999, 12, 31)),
                             st.dates(dt.date(2100, 1, 1), dt.date(9999, 12, 31))))
        extra = f"effective_from = {day.isoformat() if draw(st.booleans()) else json.dumps(day.isoformat())}"
    elif kind == "float":
        value = repr(draw(st.floats(allow_nan=False, allow_infinity=False)))
        value = value if "." in value or "e" in value else value + ".0"
    text = (POLICY_HEAD + f"key = {json.dumps(key)}\nvalue = {value}\n" + (extra + "\n" if extra else "")).encode()
    if kind == "not_utf8":
        text += b'note = "' + draw(st.sampled_from([b"caf\xe9", b"\xff", b"\xed\xa0\x80"])) + b'"\n'
    return text


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))
@given(hostile_policy())
def test_fuzz_policy_files_are_refused_at_load_with_one_line(policy: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="shoppolicy-fuzz-") as folder:
        path, orders = Path(folder) / "override.toml", Path(folder) / "orders.jsonl"
        path.write_bytes(policy)
        orders.write_text(json.dumps(GOOD_ORDER) + "\n")
        for command in (("quote", str(orders)), ("settle", str(orders)), ("rules", "tiktok-us")):
            result = run("--policy", str(path), *command)
            assert result.exit_code == 1, (policy, result.output)
            (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
            assert line.startswith(f"error: {path}: "), line
