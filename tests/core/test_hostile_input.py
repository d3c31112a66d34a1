"""Hostile input (issue 15): every bad input is one readable line, or in a batch one
row's reject while the batch goes on; never a traceback, a lost row or an overwritten
file.  One test (or one parametrized family) per bullet of the issue, through the CLI
where the CLI is what a user meets, with the acme plugin installed as an entry point."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from shoppolicy import Engine, InputError
from shoppolicy.cli import cli
from shoppolicy.orders import structure_order
from shoppolicy.settle import Rejected, Summary
from tests.conftest import acme_order

pytestmark = pytest.mark.usefixtures("acme_installed")

EVENT = {"shop_id": "s1", "market": "acme", "kind": "late_shipping", "at": "2024-05-01T09:00:00"}
SHOP = {"shop_id": "a", "market": "acme", "gmv": "100", "reviews": 21}


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def no_traceback(result: Result) -> None:
    """The command ended by its own exit code, not by an exception click caught for us."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def one_error_line(result: Result, code: int = 1) -> str:
    no_traceback(result)
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def lines_file(tmp_path: Path, name: str, *rows: object) -> Path:
    """A file of ``rows``: dicts as JSON lines, str and bytes as they are."""
    data = b"".join((r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r)).encode()) + b"\n"
                    for r in rows)
    path = tmp_path / name
    path.write_bytes(data)
    return path


def orders(count: int, **changes: dict[str, object]) -> list[dict[str, object]]:
    """``count`` acme orders O1.. (10.00 USD each), row N changed by ``changes[f"row{N}"]``."""
    rows = [dict(acme_order(order_id=f"O{i}", amount="10.00")) for i in range(1, count + 1)]
    for key, change in changes.items():
        rows[int(key.removeprefix("row")) - 1].update(change)
    return rows


def settled(tmp_path: Path, source: Path, *options: str) -> tuple[Result, list[dict[str, object]],
                                                                       list[dict[str, object]]]:
    """``settle`` of ``source``: the result, statement lines and rejects (parsed)."""
    out, rejects = tmp_path / "statement.jsonl", tmp_path / "rejects.jsonl"
    result = run("settle", str(source), "--out", str(out), "--rejects", str(rejects), "--no-progress", *options)
    no_traceback(result)
    statement = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    refused = [json.loads(line) for line in rejects.read_text().splitlines()] if rejects.exists() else []
    return result, statement, refused


# --- every command: one readable line, exit 1; a batch: a reject, exit 3 ----------------

SINGLE_SHOT = [("quote",), ("explain",), ("payout",), ("penalties",), ("incentive", "acme-top-sellers")]
FIRST_ROW = {"quote": acme_order(), "explain": acme_order(), "payout": acme_order(), "penalties": EVENT,
             "incentive": SHOP}


@pytest.mark.parametrize("command", SINGLE_SHOT, ids=lambda c: c[0])
@pytest.mark.parametrize(("second_line", "expected"), [
    (b'{"order_id": "caf\xe9"}', "line 2: not UTF-8 text (byte 0xe9 at column 18); save the file as UTF-8"),
    (b'{"amount": "1.00", "amount": "2.00"}', "line 2: field 'amount': the key 'amount' appears twice in one object"),
    (b"[" * 100_000 + b"]" * 100_000, "line 2: nested deeper than a record can be (at most 3 levels)"),
    (b'{"order_id": "\\ud800"}', 'line 2: a lone surrogate in the string "\\ud800": not Unicode text'),
    (b"{broken", "line 2: not valid JSON"),
], ids=["not-utf8", "key-twice", "deep", "surrogate", "not-json"])
def test_every_command_turns_a_bad_line_into_one_line_naming_file_and_line_and_exit_1(
        tmp_path: Path, command: tuple[str, ...], second_line: bytes, expected: str) -> None:
    path = lines_file(tmp_path, "input.jsonl", FIRST_ROW[command[0]], second_line)
    line = one_error_line(run(*command, str(path)))
    assert line.startswith(f"error: {path}, {expected}")


def test_penalties_and_incentive_name_the_file_and_line_of_a_record_the_engine_refuses(tmp_path: Path) -> None:
    events = lines_file(tmp_path, "e.jsonl", EVENT, "", dict(EVENT, kind="rude"))
    assert one_error_line(run("penalties", str(events))) == (
        f"error: {events}, line 3: field 'kind': unknown violation kind 'rude' for acme; known kinds: late_shipping")
    shops = lines_file(tmp_path, "s.jsonl", "", SHOP, dict(SHOP, shop_id="b", gmv="1E+30"))
    assert one_error_line(run("incentive", "acme-top-sellers", str(shops))).startswith(
        f"error: {shops}, line 3: field 'gmv': ")


def test_settle_of_ten_rows_whose_row_5_has_amount_1e30_writes_9_lines_and_rejects_line_5(tmp_path: Path) -> None:
    source = lines_file(tmp_path, "f.jsonl", *orders(10, row5={"amount": "1E+30"}))
    result, statement, refused = settled(tmp_path, source)
    assert result.exit_code == 3
    assert [line["order_id"] for line in statement] == [f"O{i}" for i in (1, 2, 3, 4, 6, 7, 8, 9, 10)]
    assert [(r["line"], r["order_id"], r["field"]) for r in refused] == [(5, "O5", "amount")]
    assert "no exponent" in refused[0]["reason"] and "'1E+30'" in refused[0]["reason"]


def test_engine_settle_yields_a_rejected_for_every_hostile_row_and_goes_on(acme_engine: Engine) -> None:
    rows: list[object] = [
        acme_order(order_id="G1"),
        acme_order(order_id="B2", amount="1E+30"),
        acme_order(order_id="B3", placed_at="9999-12-31", delivered_at="9999-12-31"),
        dict(acme_order(order_id="B4"), amount={"nested": ["deep"]}),
        acme_order(order_id="B5", delivered_at="2024-06-01"),
        ["not", "a", "record"],
        acme_order(order_id="G7"),
    ]
    summary = Summary()
    results = list(acme_engine.settle(rows, summary))  # type: ignore[arg-type]
    assert [r.line for r in results if isinstance(r, Rejected)] == [2, 3, 4, 5, 6]
    assert [r.order_id for r in results if not isinstance(r, Rejected)] == ["G1", "G7"]
    assert (summary.accepted, summary.rejected) == (2, 5)


def test_any_exception_while_a_row_is_priced_becomes_its_reject(
        tmp_path: Path, acme_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from shoppolicy import batch

    real = batch.structure_order

    def flaky(row: dict[str, object]) -> object:
        if row.get("order_id") == "O2":
            raise ZeroDivisionError("a bug met on this row")
        return real(row)

    monkeypatch.setattr(batch, "structure_order", flaky)
    monkeypatch.setenv("SHOPPOLICY_NO_ARROW", "1")  # the row path's reader is the one made to fail
    result, statement, refused = settled(tmp_path, lines_file(tmp_path, "f.jsonl", *orders(3)))
    assert result.exit_code == 3 and [line["order_id"] for line in statement] == ["O1", "O3"]
    assert refused == [{"line": 2, "order_id": "O2", "field": None, "reason": (
        "unexpected error while settling this row (ZeroDivisionError: a bug met on this row); please report it")}]
    # Engine.settle, from Python, the same way
    monkeypatch.setattr(acme_engine, "quote", lambda order: 1 / 0)
    (only,) = acme_engine.settle([acme_order()])
    assert isinstance(only, Rejected) and "ZeroDivisionError" in only.reason


def test_an_unexpected_error_is_one_line_asking_to_report_it_and_debug_shows_the_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Engine, order: object) -> object:
        raise RuntimeError("something nobody planned for")

    monkeypatch.setattr(Engine, "quote", broken)
    path = str(lines_file(tmp_path, "o.jsonl", acme_order()))
    line = one_error_line(run("quote", path))
    assert line.startswith("error: unexpected error (RuntimeError: something nobody planned for); this is a bug "
                           "in shoppolicy: please report it")
    assert "--debug" in line
    debug = run("--debug", "quote", path)
    assert isinstance(debug.exception, RuntimeError)  # raised: click's runner holds the traceback


# --- numbers and dates ------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["1E+30", "1e2", "1_000", " 10.00", "10.00 ", "١٠", "+10", "10.", ".5", "0x10",
                                    "Infinity", "NaN", "1,000", "10.0.0", "--1"])
def test_money_must_be_a_plain_decimal_string(amount: str) -> None:
    with pytest.raises(InputError) as err:
        structure_order(acme_order(amount=amount))
    assert err.value.field == "amount"
    assert err.value.message == ('expected a decimal string of ASCII digits with at most one "." (such as "12.50"; '
                                 f"no exponent, spaces or separators), got {amount!r}")


def test_money_is_at_most_10_to_the_12_major_units() -> None:
    assert structure_order(acme_order(amount="1000000000000.00")).amount == Decimal(10) ** 12
    for too_large in ("1000000000000.01", "9999999999999", 10**13):
        with pytest.raises(InputError, match=r"expected at most 1,000,000,000,000 \(10\^12\)"):
            structure_order(dict(acme_order(), amount=too_large))
    with pytest.raises(InputError, match="expected at most 1,000,000,000,000") as err:
        structure_order(acme_order(tax="1000000000001"))
    assert err.value.field == "tax"


def test_money_has_at_most_the_currency_minor_unit_places() -> None:
    with pytest.raises(InputError, match=r"expected at most 2 decimal places for USD, got 10\.005"):
        structure_order(acme_order(amount="10.005"))
    idr = dict(acme_order(), currency="IDR")
    assert structure_order(dict(idr, amount="150005")).amount == 150005
    with pytest.raises(InputError, match=r"expected a whole number \(no decimal places\) for IDR, got 100.50"):
        structure_order(dict(idr, amount="100.50"))


@pytest.mark.parametrize("placed", ["9999-12-31", "1999-12-31", "2100-01-01", "2024-W01-1", "20240101", "2024-13-01",
                                    "２０２４-01-01", "2024-01-01T10:00:00.5", "2024-01-01 ", "yesterday"])
def test_dates_outside_iso_8601_or_2000_to_2099_are_refused(placed: str) -> None:
    with pytest.raises(InputError) as err:
        structure_order(acme_order(placed_at=placed, delivered_at="2099-12-31"))
    assert err.value.field == "placed_at"
    assert err.value.message.startswith(("expected a date from 2000-01-01 to 2099-12-31",
                                         "expected an ISO 8601 date or date-time"))


@pytest.mark.parametrize("placed", ["2000-01-01", "2024-01-01T10:00", "2024-01-01T10:00:00.123+08:00",
                                    "2024-01-01T10:00:00Z", "2024-01-01 10:00:00"])
def test_iso_8601_dates_in_range_are_read(placed: str) -> None:
    assert structure_order(acme_order(placed_at=placed, delivered_at="2099-12-31")).placed_at.year in (2000, 2024)


@pytest.mark.parametrize(("field", "value"), [("delivered_at", "2024-06-30"), ("delivered_at", "2024-07-01T09:00:00"),
                                              ("completed_at", "2024-06-01"),
                                              ("delivered_at", "2024-06-30T00:00:00+00:00")])
def test_a_delivery_or_completion_before_the_placement_is_refused(field: str, value: str) -> None:
    order = dict(acme_order(placed_at="2024-07-01T10:00:00"), **{field: value})
    with pytest.raises(InputError) as err:
        structure_order(order)
    shown = dt.datetime.fromisoformat(value).isoformat()
    assert err.value.field == field
    assert err.value.message == f"expected on or after placed_at (2024-07-01T10:00:00), got {shown}"
    # With one time offset and the other not, only what is wrong in every time zone is refused.
    assert structure_order(acme_order(placed_at="2024-07-01T10:00:00", delivered_at="2024-07-01T01:00:00+00:00"))


# --- encodings ----------------------------------------------------------------------------

def _bom(path: Path) -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return path


def test_utf8_with_a_byte_order_mark_is_read_in_jsonl_and_csv_by_every_command(tmp_path: Path) -> None:
    order_file = _bom(lines_file(tmp_path, "o.jsonl", acme_order()))
    csv_file = _bom(lines_file(tmp_path, "o.csv", "order_id,market,category,amount,currency,placed_at,delivered_at",
                               "C1,acme,toys,20.00,USD,2024-07-01,2024-07-03"))
    for command in ("quote", "explain", "payout"):
        for path in (order_file, csv_file):
            result = run(command, str(path))
            no_traceback(result)
            assert result.exit_code == 0, (command, path, result.output)
    assert run("penalties", str(_bom(lines_file(tmp_path, "e.jsonl", EVENT)))).exit_code == 0
    assert run("incentive", "acme-top-sellers", str(_bom(lines_file(tmp_path, "s.jsonl", SHOP)))).exit_code == 0
    for path in (order_file, csv_file):
        result, statement, refused = settled(tmp_path, path)
        assert (result.exit_code, len(statement), refused) == (0, 1, [])


def test_a_line_that_is_not_utf8_is_refused_naming_the_line(tmp_path: Path) -> None:
    latin1 = json.dumps(acme_order(order_id="café"), ensure_ascii=False).encode("latin-1")
    source = lines_file(tmp_path, "o.jsonl", acme_order(order_id="O1"), latin1, acme_order(order_id="O3"))
    assert one_error_line(run("quote", str(source))) == (
        f"error: {source}, line 2: not UTF-8 text (byte 0xe9 at column 18); save the file as UTF-8")
    result, statement, refused = settled(tmp_path, source)
    assert result.exit_code == 3 and [line["order_id"] for line in statement] == ["O1", "O3"]
    assert [(r["line"], r["reason"]) for r in refused] == [
        (2, "not UTF-8 text (byte 0xe9 at column 18); save the file as UTF-8")]
    bad_row = "C\xe92,acme,toys,20.00,USD,2024-07-01".encode("latin-1")
    csv_source = lines_file(tmp_path, "o.csv", "order_id,market,category,amount,currency,placed_at",
                            "C1,acme,toys,20.00,USD,2024-07-01", bad_row, "C3,acme,toys,20.00,USD,2024-07-01")
    result, statement, refused = settled(tmp_path, csv_source)
    assert result.exit_code == 3 and [r["line"] for r in refused] == [3] and len(statement) == 2


def test_a_utf16_file_is_refused_as_a_whole(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_bytes((json.dumps(acme_order()) + "\n").encode("utf-16"))
    for args in (("quote", str(path)), ("settle", str(path))):
        assert "the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8" in (
            one_error_line(run(*args)))


# --- JSON ---------------------------------------------------------------------------------

@pytest.fixture(params=["orjson", "json"])
def loads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The batch's JSON reader: orjson where installed, and the standard library's."""
    from shoppolicy import batch

    if request.param == "json":
        monkeypatch.setattr(batch, "_loads", json.loads)
        monkeypatch.setattr(batch, "_LOADS_REFUSES_SURROGATES", False)
    elif batch._loads is json.loads:
        pytest.skip("orjson is not installed")
    return str(request.param)


@pytest.mark.parametrize(("row", "field", "reason"), [
    ('{"order_id": "O2", "order_id": "O9"}', "order_id", "the key 'order_id' appears twice in one object"),
    ('{"order_id": "O2", "amount" :"1.00", "amount":"2.00"}', "amount", "the key 'amount' appears twice in one object"),
    ('{"order_id": "O2", "x": {"y": 1, "y": 2}}', "y", "the key 'y' appears twice in one object"),
    ('{"order_id": "O2", "amount": [[[["1.00"]]]]}', None, "nested 5 levels deep; a record has at most 3"),
    ('{"order_id": "O2", "amount": ' + "[" * 100_000 + "]" * 100_000 + "}", None,
     "nested deeper than a record can be (at most 3 levels)"),
    ('{"order_id": "O2\\ud800"}', None, 'a lone surrogate in the string "O2\\ud800": not Unicode text'),
    ('{"order_id": "O2", "\\udfff": "x"}', None, 'a lone surrogate in the string "\\udfff": not Unicode text'),
], ids=["key-twice", "key-twice-spaced", "key-twice-nested", "five-deep", "deep", "surrogate", "surrogate-key"])
def test_a_json_row_with_a_key_twice_too_deep_or_a_lone_surrogate_is_refused_with_the_reason(
        tmp_path: Path, loads: str, row: str, field: str | None, reason: str) -> None:
    source = lines_file(tmp_path, "o.jsonl", acme_order(order_id="O1"), row, acme_order(order_id="O3"))
    result, statement, refused = settled(tmp_path, source)
    assert result.exit_code == 3 and [line["order_id"] for line in statement] == ["O1", "O3"]
    assert [(r["line"], r["field"], r["reason"]) for r in refused] == [(2, field, reason)]


def test_valid_surrogate_pairs_and_commas_in_values_are_read(tmp_path: Path, loads: str) -> None:
    source = lines_file(tmp_path, "o.jsonl", acme_order(order_id="O1😀"),  # written as the escapes \ud83d\ude00
                        json.dumps(acme_order(order_id="O2😀", shop_id="a, b"), ensure_ascii=False))
    result, statement, refused = settled(tmp_path, source)
    assert (result.exit_code, refused) == (0, [])
    assert [line["order_id"] for line in statement] == ["O1😀", "O2😀"]


# --- CSV ----------------------------------------------------------------------------------

def test_a_csv_without_a_header_row_is_refused_before_any_row_is_settled(tmp_path: Path) -> None:
    source = lines_file(tmp_path, "o.csv", "C1,acme,toys,20.00,USD,2024-07-01", "C2,acme,toys,20.00,USD,2024-07-01")
    out = tmp_path / "statement.csv"
    line = one_error_line(run("settle", str(source), "--out", str(out)))
    assert line.startswith(f"error: {source}, line 1: header row: unknown column(s) 'C1', 'acme', 'toys', '20.00', "
                           "'USD', '2024-07-01'; missing required column(s) order_id, market, amount, currency, "
                           "placed_at; the first row names the columns:")
    assert not out.exists() and not list(tmp_path.glob(".*.part"))


def test_a_csv_header_names_its_unknown_repeated_and_missing_columns(tmp_path: Path) -> None:
    source = lines_file(tmp_path, "o.csv", "order_id,market,amount,amount,currency,colour", "C1,acme,1,2,USD,red")
    for command in ("quote", "settle"):
        line = one_error_line(run(command, str(source)))
        assert line.startswith(f"error: {source}, line 1: header row: repeated column(s) 'amount'; unknown column(s) "
                               "'colour'; missing required column(s) placed_at;")
    events = lines_file(tmp_path, "e.csv", "shop_id,market,kind", "s1,acme,late_shipping")
    assert "missing required column(s) at" in one_error_line(run("penalties", str(events)))


def test_a_csv_cell_over_the_size_limit_rejects_its_row_only(tmp_path: Path) -> None:
    source = lines_file(tmp_path, "o.csv", "order_id,market,category,amount,currency,placed_at",
                        "C1,acme,toys,20.00,USD,2024-07-01", f"C2,acme,{'x' * 200_000},20.00,USD,2024-07-01",
                        "C3,acme,toys,20.00,USD,2024-07-01", "C4,acme,toys\0,20.00,USD,2024-07-01",
                        "C5,acme,toys,20.00,USD,2024-07-01")
    result, statement, refused = settled(tmp_path, source)
    assert result.exit_code == 3 and [line["order_id"] for line in statement] == ["C1", "C3", "C5"]
    assert [(r["line"], r["reason"]) for r in refused] == [
        (3, "not a CSV row (field larger than field limit (131072))"), (5, "a NUL character at column 13")]


# --- batch rules --------------------------------------------------------------------------

@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_repeated_order_id_is_refused_naming_the_earlier_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                jobs: str) -> None:
    from shoppolicy import batch

    monkeypatch.setattr(batch, "CHUNK_BYTES", 700)  # a few orders a chunk: repeats across chunks and within one
    rows = orders(40, row9={"order_id": "O2"}, row10={"order_id": "O2"}, row30={"order_id": "O29"},
                  row33={"order_id": "O31", "amount": "-1"}, row11={"order_id": "O12"})
    result, statement, refused = settled(tmp_path, lines_file(tmp_path, "o.jsonl", *rows), "--jobs", jobs,
                                         "--summary", str(tmp_path / "summary.json"))
    assert result.exit_code == 3
    assert [(r["line"], r["order_id"], r["reason"]) for r in refused] == [
        (9, "O2", "order_id 'O2' repeats line 2; an order_id is unique within a batch"),
        (10, "O2", "order_id 'O2' repeats line 2; an order_id is unique within a batch"),
        (12, "O12", "order_id 'O12' repeats line 11; an order_id is unique within a batch"),
        (30, "O29", "order_id 'O29' repeats line 29; an order_id is unique within a batch"),
        (33, "O31", "order_id 'O31' repeats line 31; an order_id is unique within a batch")]
    assert len(statement) == 35 and len({line["order_id"] for line in statement}) == 35
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["accepted"], summary["rejected"], summary["totals"][0]["amount"]) == (35, 5, "350.00")


def test_a_repeated_order_id_is_taken_back_from_a_statement_on_standard_output_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shoppolicy import batch

    monkeypatch.setattr(batch, "CHUNK_BYTES", 700)
    source = lines_file(tmp_path, "o.jsonl", *orders(30, row25={"order_id": "O3"}, row26={"order_id": "O3"}))
    outputs = []
    for jobs in ("1", "2"):  # with workers, every chunk waits in its own file and is cut as it is appended
        result = run("settle", str(source), "--jobs", jobs, "--no-progress")
        no_traceback(result)
        assert result.exit_code == 3
        outputs.append(result.stdout_bytes)
        assert [line for line in result.stderr.splitlines() if line.startswith("rejected: ")] == [
            f"rejected: {source}, line {n}: field 'order_id': order_id 'O3' repeats line 3; an order_id is unique "
            "within a batch" for n in (25, 26)]
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 28


def test_engine_settle_refuses_a_repeated_order_id_too(acme_engine: Engine) -> None:
    results = list(acme_engine.settle([acme_order(order_id="A"), acme_order(order_id="B"), acme_order(order_id="A")]))
    assert isinstance(results[2], Rejected) and (results[2].line, results[2].earlier) == (3, 1)


def test_a_commission_needs_both_its_plan_and_its_rate() -> None:
    with pytest.raises(InputError) as err:
        structure_order(acme_order(commission_rate="0.10"))
    assert err.value.field == "affiliate_plan" and "required when commission_rate is given" in err.value.message
    with pytest.raises(InputError) as err:
        structure_order(acme_order(affiliate_plan="open"))
    assert (err.value.field, err.value.message) == ("commission_rate", "required when affiliate_plan is 'open'")


# --- outputs ------------------------------------------------------------------------------

def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder of its own (tmp_path also holds the acme plugin's site folder), made the cwd."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_settle_out_naming_the_input_is_a_usage_error_and_the_input_is_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = _workdir(tmp_path, monkeypatch)
    source = lines_file(work, "f.jsonl", *orders(3))
    before = source.read_bytes()
    result = run("settle", "f.jsonl", "--out", "f.jsonl")
    no_traceback(result)
    assert result.exit_code == 2
    assert "--out f.jsonl names the same file as the input file (f.jsonl)" in result.stderr
    assert source.read_bytes() == before and sorted(p.name for p in work.iterdir()) == ["f.jsonl"]


@pytest.mark.parametrize("options", [
    ("--rejects", "{src}"), ("--summary", "./{src}"), ("--out", "{link}"),
    ("--out", "s.jsonl", "--rejects", "s.jsonl"), ("--out", "s.jsonl", "--summary", "{dir}/s.jsonl"),
    ("--rejects", "r.jsonl", "--summary", "r.jsonl"), ("--out", "{hard}"),
])
def test_outputs_naming_the_input_or_each_other_are_a_usage_error_before_anything_is_opened(
        tmp_path: Path, options: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    work = _workdir(tmp_path, monkeypatch)
    source = lines_file(work, "f.jsonl", *orders(2))
    (work / "link.jsonl").symlink_to(source)
    os.link(source, work / "hard.jsonl")
    args = [o.format(src="f.jsonl", link="link.jsonl", hard="hard.jsonl", dir=work) for o in options]
    result = run("settle", "f.jsonl", *args)
    no_traceback(result)
    assert result.exit_code == 2 and "names the same file as" in result.stderr
    assert sorted(p.name for p in work.iterdir()) == ["f.jsonl", "hard.jsonl", "link.jsonl"]


def test_a_failed_run_leaves_no_half_statement_under_the_final_name(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from shoppolicy import batch

    monkeypatch.setattr(batch, "CHUNK_BYTES", 500)
    monkeypatch.setattr(batch, "COLUMNAR_CHUNK_BYTES", 500)
    work = _workdir(tmp_path, monkeypatch)
    source = lines_file(work, "f.jsonl", *orders(30))
    out = work / "statement.jsonl"
    out.write_text("last month's statement\n")
    ticks = []

    def tick(self: object, rows: int) -> None:
        ticks.append(rows)
        if len(ticks) == 3:
            raise OSError(28, "No space left on device", str(out))

    monkeypatch.setattr(batch._Progress, "tick", tick)
    line = one_error_line(run("settle", str(source), "--out", str(out), "--rejects", str(work / "r.jsonl")))
    assert line == f"error: {out}: No space left on device"
    assert out.read_text() == "last month's statement\n"  # the earlier file stays whole
    assert sorted(p.name for p in work.iterdir()) == ["f.jsonl", "statement.jsonl"]  # no part file, no rejects
    monkeypatch.setattr(batch._Progress, "tick", lambda self, rows: None)
    result, statement, _ = settled(work, source)
    assert result.exit_code == 0 and len(statement) == 30  # and a run that ends puts the statement in its place


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_outputs_that_are_no_regular_file_are_written_in_place_and_clash_with_nothing(tmp_path: Path) -> None:
    source = lines_file(tmp_path, "f.jsonl", *orders(3, row2={"amount": "x"}))
    result = run("settle", str(source), "--out", "/dev/null", "--rejects", "/dev/null", "--summary", "/dev/null")
    no_traceback(result)
    assert result.exit_code == 3 and os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


@pytest.mark.parametrize("option", ["--out", "--rejects", "--summary"])
def test_an_unwritable_output_path_is_one_line_and_exit_1(tmp_path: Path, option: str) -> None:
    source = lines_file(tmp_path, "f.jsonl", *orders(2))
    line = one_error_line(run("settle", str(source), option, "/nonexistent-folder/x.jsonl"))
    assert line == "error: cannot write /nonexistent-folder/x.jsonl: No such file or directory"


def test_jobs_above_the_number_of_cpus_is_capped_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shoppolicy import cli as cli_module

    monkeypatch.setattr(cli_module.os, "cpu_count", lambda: 1)
    result, statement, _ = settled(tmp_path, lines_file(tmp_path, "f.jsonl", *orders(3)), "--jobs", "8")
    assert result.exit_code == 0 and len(statement) == 3
    assert "note: --jobs 8 is more than the 1 CPU(s) here; using 1" in result.stderr


# --- policy files -------------------------------------------------------------------------

VALUE = '[[values]]\nmarket = "acme"\nrule = "TEST-PAY-1"\nkey = "{key}"\nvalue = {value}\nsource = "s"\n'


def test_a_policy_file_that_is_not_utf8_is_one_line_naming_it(tmp_path: Path) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_bytes(VALUE.format(key="payout.days", value="5").encode() + b'note = "caf\xe9"\n')
    assert one_error_line(run("--policy", str(policy), "markets")) == (
        f"error: {policy}: not UTF-8 text (byte 0xe9 at line 7, column 12); save it as UTF-8")
    policy.write_bytes(b"\xef\xbb\xbf" + VALUE.format(key="payout.days", value="5").encode())  # a BOM is fine
    assert run("--policy", str(policy), "markets").exit_code == 0


@pytest.mark.parametrize("when", ["2024-01-01T00:00:00+08:00", '"2024-01-01T00:00:00Z"'])
def test_an_offset_date_time_in_a_policy_file_is_refused_naming_the_key(tmp_path: Path, when: str) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_text(VALUE.format(key="payout.days", value="5") + f"effective_from = {when}\n")
    line = one_error_line(run("--policy", str(policy), "markets"))
    assert line.startswith(f"error: {policy}: values[0].effective_from: expected a date or a local date-time "
                           "without an offset (policy times are in the market's time zone)")


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("payout.days", "100000000", "expected at most 3,650 days, got 100000000 (key 'payout.days')"),
    ("creator.after_sales_days", '"4000"', "expected at most 3,650 days, got '4000'"),
    ("platform_fee.rate.toys", '"1E+30"', "write a decimal plainly, as ASCII digits with at most one \".\" and 12 "
                                          "decimal places (no exponent, spaces or separators), got '1E+30'"),
    ("platform_fee.rate.toys", '"0.1234567890123"', "write a decimal plainly"),
    ("platform_fee.cap", "10000000000000", "expected at most 1,000,000,000,000 (10^12) either side of zero"),
    ("platform_fee.caps", '["1", "-1000000000001"]', "expected at most 1,000,000,000,000"),
    ("payout.from", "9999-01-01", "expected a date from 2000-01-01 to 2099-12-31"),
])
def test_policy_values_that_would_overflow_later_arithmetic_are_refused_at_load_naming_file_and_key(
        tmp_path: Path, key: str, value: str, problem: str) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_text(VALUE.format(key=key, value=value))
    line = one_error_line(run("--policy", str(policy), "markets"))
    assert line.startswith(f"error: {policy}: values[0].value") and problem in line


def test_a_days_override_within_the_bound_still_dates_payouts(tmp_path: Path) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_text(VALUE.format(key="payout.days", value="3650"))
    result = run("--policy", str(policy), "payout", str(lines_file(tmp_path, "o.jsonl", acme_order())))
    assert result.exit_code == 0, result.output


# --- options ------------------------------------------------------------------------------

@pytest.mark.parametrize(("deposit", "problem"), [
    ("abc", "expected a decimal string of ASCII digits"), ("-5", "expected an amount >= 0, got '-5'"),
    ("1e3", "no exponent"), ("10.00001", "expected at most 4 decimal places"), ("1000000000000.01", "10^12"),
])
def test_penalties_deposit_is_checked_as_money_and_a_negative_one_refused(tmp_path: Path, deposit: str,
                                                                          problem: str) -> None:
    result = run("penalties", str(lines_file(tmp_path, "e.jsonl", EVENT)), "--deposit", deposit)
    no_traceback(result)
    assert result.exit_code == 2 and "Invalid value for '--deposit'" in result.stderr and problem in result.stderr


def test_a_deposit_finer_than_the_markets_currency_is_refused_not_rounded(tmp_path: Path) -> None:
    result = run("penalties", str(lines_file(tmp_path, "e.jsonl", EVENT)), "--deposit", "10.001")
    no_traceback(result)
    assert result.exit_code == 1 and "field 'deposit'" in result.stderr and "at most 2 decimal places" in result.stderr


def test_a_valid_deposit_is_taken(tmp_path: Path) -> None:
    result = run("penalties", str(lines_file(tmp_path, "e.jsonl", EVENT)), "--deposit", "2500.50")
    assert result.exit_code == 0 and json.loads(result.stdout)["shops"][0]["deposit_start"] == "2500.50"


@pytest.mark.parametrize("day", ["9999-12-31", "1900-01-01", "2024-02-30", "2024/01/01"])
def test_an_as_of_date_outside_the_range_or_iso_is_a_usage_error(day: str) -> None:
    result = run("rules", "acme", "--as-of", day)
    no_traceback(result)
    assert result.exit_code == 2 and "Invalid value for --as-of" in result.stderr
