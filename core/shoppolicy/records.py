"""Reading input records (JSON Lines or CSV) with their line numbers.

Each record comes out as ``(line_number, dict)`` or ``(line_number, InputError)``: a
line that is not a record is not dropped; it comes through as an error naming why, for
the caller to report or reject.  Empty CSV cells mean "not given" (the field is left
out), and ``null`` in JSON means the same.

What every input is checked for here, whatever the command (docs/concepts.md):

- **Encoding**: UTF-8, with or without a byte order mark.  A line that is not UTF-8 is
  refused naming the byte and column where decoding failed; a file that starts with a
  UTF-16 or UTF-32 byte order mark is refused as a whole.
- **JSON**: one object per line, at most :data:`MAX_DEPTH` levels deep, no key twice in
  one object, no lone surrogate (``"\\ud800"``) in a string.
- **CSV**: a header row naming the columns, checked like JSON fields before any row is
  read (unknown, repeated and missing required columns, by name); a row whose cell is
  over the csv module's size limit, or that holds a NUL character, is refused alone.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import attrs

from shoppolicy.errors import InputError

Row = tuple[int, "dict[str, Any] | InputError"]

#: The deepest a JSON record may nest: the record object, a list or object as one of its
#: values, and one more level inside that.
MAX_DEPTH = 3

_BOM = codecs.BOM_UTF8
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
              (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def detect_format(name: str, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    return "csv" if name.lower().endswith(".csv") else "jsonl"


def given(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without the fields it leaves out (``None`` or ``""``)."""
    return {k: v for k, v in record.items() if v is not None and v != ""}


def line_count(chunk: bytes) -> int:
    """The lines of a chunk of whole lines (its last one perhaps without a newline)."""
    return chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)


def check_start(head: bytes, source: str) -> None:
    """Refuse a file that starts with a UTF-16 or UTF-32 byte order mark (as a whole)."""
    for mark, name in _WIDE_BOMS:
        if head.startswith(mark):
            raise InputError(f"the file is {name} text (it starts with a {name} byte order mark); "
                             "save it as UTF-8", row=1, source=source)


def _not_utf8(line: bytes, exc: UnicodeDecodeError) -> str:
    return (f"not UTF-8 text (byte 0x{line[exc.start]:02x} at column {exc.start + 1}); "
            "save the file as UTF-8")


# --- JSON Lines -------------------------------------------------------------------------


class _RepeatedKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return data


def _strict_loads(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_no_repeated_keys)


def _depth(value: Any) -> int:
    """How deep ``value`` nests (a scalar is 0, an object of scalars 1), without recursion."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            level.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _lone_surrogate(value: Any) -> str | None:
    """The first key or string (as JSON) holding a lone surrogate, or None."""
    level = [value]
    while level:
        item = level.pop()
        texts: Iterable[Any] = (item,) if isinstance(item, str) else (
            [*item.keys(), *item.values()] if isinstance(item, dict) else item if isinstance(item, list) else ())
        for text in texts:
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    return json.dumps(text)
            elif isinstance(text, (dict, list)):
                level.append(text)
    return None


def parse_json_line(number: int, line: str | bytes, source: str, *, drop_empty: bool = True) -> \
        dict[str, Any] | InputError:
    """One JSON Lines record, or the error that says why the line is not one.

    The exact reader, with every check of the module docstring; :func:`iter_json_lines`
    takes the common line by a quicker road and sends here any line it cannot clear.
    ``drop_empty=False`` keeps ``null`` and ``""`` values (for readers that treat them
    as "not given" themselves, as :func:`shoppolicy.orders.structure_order` does).
    """
    def error(message: str, field: str | None = None) -> InputError:
        return InputError(message, field=field, row=number, source=source)

    if isinstance(line, bytes):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return error(_not_utf8(line, exc))
    else:
        text = line
    if text.startswith("\ufeff"):  # a byte order mark: only where a file starts (the caller's to know)
        text = text[1:]
    try:
        data = _strict_loads(text)
    except RecursionError:
        return error(f"nested deeper than a record can be (at most {MAX_DEPTH} levels)")
    except _RepeatedKey as exc:
        return error(f"the key {exc.key!r} appears twice in one object", field=exc.key)
    except ValueError as exc:  # json.JSONDecodeError, or an integer too long to read
        detail = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        return error(f"not valid JSON ({detail})")
    if not isinstance(data, dict):
        return error(f"expected a JSON object, got {type(data).__name__}")
    depth = _depth(data)
    if depth > MAX_DEPTH:
        return error(f"nested {depth} levels deep; a record has at most {MAX_DEPTH}")
    if "\\u" in text:  # a surrogate can only come from an escape
        found = _lone_surrogate(data)
        if found is not None:
            return error(f"a lone surrogate in the string {found}: not Unicode text")
    return given(data) if drop_empty else data


def iter_json_lines(lines: Iterable[bytes], first: int, source: str, loads: Callable[[bytes], Any],
                    surrogates_checked: bool) -> Iterator[Row]:
    """The records of whole JSON lines numbered from ``first`` (the batch's hot path).

    A line ``loads`` reads as an object of ``n`` keys with ``n - 1`` commas holds no key
    twice (pairs are separated by commas, so a repeated key would add one), and one with
    no ``[`` and no ``{`` after its first byte nests no deeper than a record: it is taken
    as it is, after one count and two searches of one byte, where an exact check would
    parse the line again.  Any other line (a comma inside a value, say) goes to
    :func:`parse_json_line`.  (``find``, not ``in``: ``in`` first tries the byte as a
    number, and the error it raises and drops costs more than the search.)
    ``surrogates_checked``: ``loads`` refuses lone surrogates itself (orjson does);
    otherwise a line with an escape goes the exact way too.
    """
    for number, line in enumerate(lines, start=first):
        try:
            record = loads(line)
        except (ValueError, RecursionError):
            record = None  # not JSON (or nested past the parser's limit), or a blank line
        if type(record) is dict and line.count(b",") == len(record) - 1 and line.find(b"[") < 0 \
                and line.rfind(b"{") == 0 and (surrogates_checked or line.find(b"\\") < 0):
            yield number, record
        elif line.strip():
            yield number, parse_json_line(number, line, source, drop_empty=False)


def iter_jsonl(stream: Iterable[bytes], source: str) -> Iterator[Row]:
    """The records of a JSON Lines byte stream (blank lines skipped, still counted)."""
    for number, line in enumerate(stream, start=1):
        if number == 1:
            check_start(line, source)
            line = line.removeprefix(_BOM)
        if line.strip():
            yield number, parse_json_line(number, line, source)


# --- CSV --------------------------------------------------------------------------------


def record_columns(record_type: type | None) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """The known and the required columns of an attrs record type (None: not one)."""
    if record_type is None or not attrs.has(record_type):
        return None
    fields = attrs.fields(record_type)
    return frozenset(f.name for f in fields), tuple(f.name for f in fields if f.default is attrs.NOTHING)


def check_header(header: list[str], source: str, columns: tuple[frozenset[str], tuple[str, ...]] | None) -> None:
    """Refuse a header with repeated or empty names, or (for a known record type)
    unknown or missing required columns, naming them all."""
    problems = []
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(map(repr, repeated))}")
    if "" in header:
        problems.append(f"an empty column name (column {header.index('') + 1})")
    hint = ""
    if columns is not None:
        known, required = columns
        unknown = [name for name in header if name and name not in known]
        missing = [name for name in required if name not in header]
        if unknown:
            problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
        if missing:
            problems.append(f"missing required column(s) {', '.join(missing)}")
        if unknown or missing:
            optional = ", ".join(sorted(known - set(required)))
            hint = f"; the first row names the columns: {', '.join(required)}, and any of {optional}"
    if problems:
        raise InputError(f"header row: {'; '.join(problems)}{hint}", row=1, source=source)


def iter_csv(stream: Iterable[bytes], source: str, record_type: type | None = None) -> Iterator[Row]:
    """The records of a CSV byte stream; the header is checked before any row is read
    (against ``record_type``'s fields when it is an attrs class)."""
    bad: dict[int, str] = {}  # physical line -> why it cannot be read
    physical = 0

    def decoded() -> Iterator[str]:
        nonlocal physical
        for raw in stream:
            physical += 1
            if physical == 1:
                check_start(raw, source)
                raw = raw.removeprefix(_BOM)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad[physical] = _not_utf8(raw, exc)
                text = raw.decode("utf-8", "replace")
            if "\0" in text:
                bad.setdefault(physical, f"a NUL character at column {text.index(chr(0)) + 1}")
                text = text.replace("\0", "")
            yield text

    reader = csv.reader(decoded())
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"header row: not a CSV row ({exc})", row=1, source=source) from None
    if bad:
        raise InputError(f"header row: {bad[min(bad)]}", row=1, source=source)
    header = [h.strip() for h in header]
    check_header(header, source, record_columns(record_type))
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a cell over the field size limit, say: this row only
            number, start = start, reader.line_num + 1
            yield number, InputError(f"not a CSV row ({exc})", row=number, source=source)
            continue
        number, start = start, reader.line_num + 1
        problem = next((bad[n] for n in range(number, start) if n in bad), None) if bad else None
        if problem is not None:
            yield number, InputError(problem, row=number, source=source)
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield number, InputError(f"expected {len(header)} cells as in the header, got {len(cells)}",
                                     row=number, source=source)
            continue
        yield number, given(dict(zip(header, cells, strict=True)))


# --- files --------------------------------------------------------------------------------


def read_records(path: str | Path, fmt: str | None = None, record_type: type | None = None) -> Iterator[Row]:
    """Records of a JSON Lines or CSV file (``-`` is standard input); a CSV header is
    checked against ``record_type`` (an attrs class) when it is given."""
    name = str(path)
    kind = detect_format(name, fmt)
    with ExitStack() as stack:
        if name == "-":
            source = "<stdin>"
            stream: IO[bytes] = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else \
                io.BytesIO(sys.stdin.read().encode("utf-8", "surrogateescape"))
        else:
            source = name
            try:
                stream = stack.enter_context(open(name, "rb"))
            except OSError as exc:
                raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
        yield from (iter_csv(stream, source, record_type) if kind == "csv" else iter_jsonl(stream, source))


def read_all(path: str | Path, fmt: str | None = None, record_type: type | None = None) -> \
        list[tuple[int, dict[str, Any]]]:
    """Every record of a file, or the first bad line's error (for single-shot commands)."""
    out = []
    for number, item in read_records(path, fmt, record_type):
        if isinstance(item, InputError):
            raise item
        out.append((number, item))
    return out
