"""Reading input records (JSON Lines or CSV) with their line numbers.

Each record comes out as ``(line_number, dict)`` or ``(line_number, InputError)``: a
line that is not a JSON object, or a CSV row with the wrong number of cells, is not
dropped; it comes through as an error for the caller to report or reject.  Empty CSV
cells mean "not given" (the field is left out), and ``null`` in JSON means the same.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from shoppolicy.errors import InputError

Row = tuple[int, "dict[str, Any] | InputError"]


def detect_format(name: str, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    return "csv" if name.lower().endswith(".csv") else "jsonl"


def given(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without the fields it leaves out (``None`` or ``""``)."""
    return {k: v for k, v in record.items() if v is not None and v != ""}


def parse_json_line(number: int, line: str | bytes, source: str, loads: Callable[[str | bytes], Any] = json.loads,
                    *, drop_empty: bool = True) -> dict[str, Any] | InputError:
    """One JSON Lines record, or the error that says why the line is not one.

    ``drop_empty=False`` keeps ``null`` and ``""`` values (for readers that treat them
    as "not given" themselves, as :func:`shoppolicy.orders.structure_order` does).
    """
    try:
        data = loads(line)
    except ValueError as exc:  # json.JSONDecodeError and orjson.JSONDecodeError are ValueErrors
        detail = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        return InputError(f"not valid JSON ({detail})", row=number, source=source)
    if not isinstance(data, dict):
        return InputError(f"expected a JSON object, got {type(data).__name__}", row=number, source=source)
    return given(data) if drop_empty else data


def iter_jsonl(stream: IO[str], source: str) -> Iterator[Row]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, parse_json_line(number, line, source)


def iter_csv(stream: IO[str], source: str) -> Iterator[Row]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [h.strip() for h in header]
    for cells in reader:
        number = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield number, InputError(f"expected {len(header)} cells as in the header, got {len(cells)}",
                                     row=number, source=source)
            continue
        yield number, given(dict(zip(header, cells, strict=True)))


def read_records(path: str | Path, fmt: str | None = None) -> Iterator[Row]:
    """Records of a JSON Lines or CSV file (``-`` is standard input)."""
    name = str(path)
    kind = detect_format(name, fmt)
    if name == "-":
        stream: IO[str] = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8") if hasattr(sys.stdin, "buffer") \
            else sys.stdin
        yield from (iter_csv(stream, "<stdin>") if kind == "csv" else iter_jsonl(stream, "<stdin>"))
        return
    with ExitStack() as stack:
        try:
            handle = stack.enter_context(open(name, encoding="utf-8", newline="" if kind == "csv" else None))
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
        yield from (iter_csv(handle, name) if kind == "csv" else iter_jsonl(handle, name))


def read_all(path: str | Path, fmt: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Every record of a file, or the first bad line's error (for single-shot commands)."""
    out = []
    for number, item in read_records(path, fmt):
        if isinstance(item, InputError):
            raise item
        out.append((number, item))
    return out
