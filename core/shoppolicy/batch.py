"""The ``settle`` command's I/O: streaming statement (JSON Lines, CSV or Parquet) and
rejects writers, progress and summary.

JSON Lines input is read in chunks of whole lines.  With pyarrow installed (the
``columnar`` extra) each chunk is read by Arrow and priced a vector at a time
(:mod:`shoppolicy.columnar`), one process using the cores through threads of its own
that run Arrow and numpy without the interpreter's lock (reading, pricing, making and
writing the statement);
every row that path does not take (and every row without pyarrow, and CSV input) is
quoted through the one pricing path (:meth:`shoppolicy.engine.Engine.quote`) and
rejected by the rules of :func:`shoppolicy.settle.settle_each`.  Either way the
statement lines are the row path's own, in input order, and memory stays flat: a few
chunks and their statements in flight.  orjson is used for JSON when it is installed (the
``fast`` extra); the standard library's json otherwise.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import itertools
import json
import os
import secrets
import stat
import sys
import time
import weakref
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from decimal import Decimal
from functools import partial
from typing import IO, TYPE_CHECKING, Any

from shoppolicy import render
from shoppolicy.engine import Engine
from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.model import OrderRecord, Quote
from shoppolicy.money import quantum
from shoppolicy.orders import structure_order
from shoppolicy.records import Row, check_start, detect_format, iter_csv, iter_json_lines, line_count, read_records
from shoppolicy.settle import Rejected, Summary, settle_each

if TYPE_CHECKING:
    import pyarrow as pa

    from shoppolicy.columnar.shapes import Known

EXIT_REJECTED = 3


def json_dumps(data: Any) -> bytes:
    """Compact JSON as UTF-8 with the standard library: what orjson writes, more slowly."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


try:  # optional speed-up (the `fast` extra): JSON parsing and encoding dominate a batch's time
    if os.environ.get("SHOPPOLICY_NO_ORJSON"):
        raise ImportError("disabled by SHOPPOLICY_NO_ORJSON")
    import orjson

    _dumps: Callable[[Any], bytes] = orjson.dumps
    _loads: Callable[[bytes], Any] = orjson.loads
    _LOADS_REFUSES_SURROGATES = True
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    _dumps = json_dumps
    _loads = json.loads
    _LOADS_REFUSES_SURROGATES = False


class _Progress:
    """Rows and rows/s on standard error, redrawn at most every half second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = self.last = time.monotonic()

    def tick(self, rows: int) -> None:
        now = time.monotonic()
        if self.enabled and now - self.last >= 0.5:
            self.last = now
            sys.stderr.write(f"\r{rows:,} rows  {rows / (now - self.start):,.0f} rows/s")
            sys.stderr.flush()

    def done(self, rows: int) -> None:
        if self.enabled:
            elapsed = max(time.monotonic() - self.start, 1e-9)
            sys.stderr.write(f"\r{rows:,} rows  {rows / elapsed:,.0f} rows/s\n")


TRAILS = ("full", "ref")


class _Formatter:
    """Statement lines as JSON Lines (the trail in full, or referenced by plan id) or CSV,
    encoded as UTF-8; for Parquet, the quotes themselves (tabled by the writer)."""

    def __init__(self, fmt: str, trail: str = "full") -> None:
        self.fmt = fmt
        self.trail = trail
        self._plans: dict[str, bytes] = {}

    def header(self) -> bytes:
        return _csv_bytes([render.STATEMENT_COLUMNS]) if self.fmt == "csv" else b""

    def plan_id(self, quote: Quote) -> str:
        """The plan id of a quote, the plan remembered for the plans file."""
        plan_id, text = render.plan_of(quote, _dumps)
        self._plans[plan_id] = text
        return plan_id

    def plans(self) -> dict[str, bytes]:
        return dict(self._plans)

    def line(self) -> Callable[[Quote], bytes]:
        """A quote's JSON line, as this statement writes it."""
        if self.trail == "ref":
            ref = render.statement_line_ref
            plan_id = self.plan_id

            def referenced(q: Quote) -> bytes:
                plan_id(q)
                return ref(q, _dumps)

            return referenced
        full = render.statement_line
        return lambda q: full(q, _dumps)

    def encoder(self) -> Callable[[Quote], bytes]:
        """A quote's statement bytes (JSON Lines or CSV; a Parquet statement is tabled
        from the quotes themselves, see :func:`_settle_block`)."""
        if self.fmt == "csv":
            return lambda q: _csv_bytes([render.statement_row(q)])
        return self.line()


def _csv_bytes(rows: Iterable[Iterable[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


_Block = tuple[list[Any], list[Rejected], Summary, int]
"""What settling one chunk gives: its statement (lines to write, or for Parquet the
quotes or tables to write), rejected rows, totals, rows read."""


def _settle_block(engine: Engine, rows: Iterable[Row], fmt: _Formatter, count: int,
                  seen: dict[str, int] | None = None) -> tuple[list[Any], list[Rejected], Summary, int]:
    # Each order is encoded as soon as it is priced, so its objects are freed while still
    # in the CPU cache (only its line waits for the rest of the chunk).  ``seen``: the
    # first line of each order_id so far (settle_each refuses a repeat and adds the new ones).
    summary = Summary()
    encode: Callable[[Quote], Any]
    if fmt.fmt == "parquet":  # a Parquet row names its line: the number of the row being priced
        at = [0]
        rows = _numbered(rows, at)
        encode = lambda q: (at[0], q)  # noqa: E731
    else:
        encode = fmt.encoder()
    out: list[Any] = []
    write, quote, add = out.append, engine.quote, summary.add

    def price(item: Mapping[str, Any] | OrderRecord) -> None:
        priced = quote(item if isinstance(item, OrderRecord) else structure_order(item))
        write(encode(priced))  # after pricing: an order that raises adds nothing
        add(priced)

    refused = [r for r in settle_each(rows, summary, price, seen) if r is not None]
    return out, refused, summary, count


def _numbered(rows: Iterable[Row], at: list[int]) -> Iterator[Row]:
    for row in rows:
        at[0] = row[0]
        yield row


def _json_rows(first: int, chunk: bytes, source: str, at_start: bool) -> tuple[Iterator[Row], int]:
    """The numbered records of a chunk of whole JSON lines (lazily), and how many lines it
    held; ``at_start``: the chunk starts the file (where a byte order mark may stand)."""
    if at_start:
        check_start(chunk, source)
        chunk = chunk.removeprefix(codecs.BOM_UTF8)
    lines = chunk.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the chunk's final newline ends its last line; it starts no new one
    return iter_json_lines(lines, first, source, _loads, _LOADS_REFUSES_SURROGATES), len(lines)


# Input is cut into chunks of whole lines about this size: large enough that handing one
# to a worker costs little next to settling it, small enough that memory stays flat.
CHUNK_BYTES = 1 << 19


def _chunks(path: str, size: int = CHUNK_BYTES,
            count_lines: Callable[[bytes], int] = line_count) -> Generator[tuple[int, int, bytes], None, None]:
    """``(first line number, byte offset, chunk)`` of each chunk of whole lines;
    ``count_lines``: the lines of a chunk (asked once the chunk's reader is done with it)."""
    with ExitStack() as stack:
        handle = sys.stdin.buffer if path == "-" else stack.enter_context(open(path, "rb"))
        first, offset = 1, 0
        while True:
            chunk = handle.read(size)
            if not chunk:
                return
            if not chunk.endswith(b"\n"):
                chunk += handle.readline()  # finish the line the read cut
            yield first, offset, chunk
            first += count_lines(chunk)
            offset += len(chunk)


# The columnar path reads larger chunks: its cost per chunk (a few dozen Arrow and numpy
# calls per form of order) is repaid by more orders.  A JSON Lines statement takes
# smaller ones, so that a chunk's lines (some 600 bytes an order with referenced trails,
# 2 KB with the whole trail) stay a few dozen MB: up to six chunks are in flight at once
# (two read ahead, one priced, two statements being made, one written).
COLUMNAR_CHUNK_BYTES = 1 << 24
#: Chunks read ahead, and statements left to be made and written, at most: a slow
#: moment of one thread is taken up by the others.
AHEAD = 2
COLUMNAR_LINES_CHUNK_BYTES = 10 << 20  # JSON Lines with referenced trails (some 600 bytes an order)
COLUMNAR_FULL_TRAIL_CHUNK_BYTES = 1 << 22


def _serial(engine: Engine, path: str, fmt: _Formatter, input_format: str | None, columnar: bool,
            reading: _ReadAhead | None) -> Iterator[_Block]:
    """The blocks of a batch; ``reading``: the columnar reading of ``path`` (JSON Lines,
    see :func:`_begin_reading`), ``None`` for the row path or CSV."""
    seen: dict[str, int] = {}  # the first line of each order_id
    source = "<stdin>" if path == "-" else path
    if reading is not None:
        yield from _columnar(engine, reading, source, fmt, seen)
        return
    if detect_format(path, input_format) == "jsonl":
        for first, offset, chunk in _chunks(path):
            rows, count = _json_rows(first, chunk, source, offset == 0)
            yield _settle_block(engine, rows, fmt, count, seen)
        return
    if columnar and fmt.fmt != "csv":
        yield from _columnar_csv(engine, path, fmt, seen)
        return
    yield from _csv_blocks(engine, read_records(path, "csv", OrderRecord), fmt, seen)


def _csv_blocks(engine: Engine, rows: Iterable[Row], fmt: _Formatter, seen: dict[str, int]) -> Iterator[_Block]:
    block: list[Row] = []
    for row in rows:
        block.append(row)
        if len(block) == CSV_BLOCK_ROWS:
            yield _settle_block(engine, block, fmt, len(block), seen)
            block = []
    if block:
        yield _settle_block(engine, block, fmt, len(block), seen)


CSV_BLOCK_ROWS = 4000


def _columnar_csv(engine: Engine, path: str, fmt: _Formatter, seen: dict[str, int]) -> Iterator[_Block]:
    """A CSV file priced a vector at a time: its header checked by the row path's reader,
    then chunks of whole lines read by Arrow's CSV reader (every value as text).  A chunk
    with a quote (a cell may then span lines), a blank line or anything Arrow does not
    read line for line sends the rest of the file to the row path's reader, which
    follows quotes across lines; a row the columnar path does not take is read from its
    own line by that reader too."""
    from shoppolicy.columnar.frame import as_orders
    from shoppolicy.columnar.ids import OrderIds
    from shoppolicy.columnar.shapes import Known

    source = "<stdin>" if path == "-" else path
    known = Known()
    order_ids = OrderIds(seen)
    chunks = _chunks(path, COLUMNAR_CHUNK_BYTES)
    header = b""
    for first, offset, chunk in chunks:
        if offset == 0:
            check_start(chunk, source)
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
            header, _, chunk = chunk.partition(b"\n")
            header += b"\n"
            first += 1
            if b'"' in header:  # a quoted name may span lines: the row path reads the file
                yield from _csv_blocks(engine, read_records(path, "csv", OrderRecord), fmt, seen)
                return
            list(iter_csv([header], source, OrderRecord))  # the header's own checks, before any row
            if not chunk:
                continue
        table = _csv_table(header, chunk, source)
        if table is None:  # the rest of the file by the row path's reader
            rest = itertools.chain([chunk], (c for _, _, c in chunks))
            lines = (line + b"\n" for part in rest for line in part.removesuffix(b"\n").split(b"\n"))
            rows = ((number + first - 2, item) for number, item in iter_csv(
                itertools.chain([header], lines), source, OrderRecord))
            yield from _csv_blocks(engine, rows, fmt, order_ids.make_exact())
            return
        typed, usable = as_orders(table)
        if not order_ids.add(typed.column("order_id"), first):
            usable[:] = False
            order_ids.make_exact()

        def rows_at(positions: list[int], first: int = first, chunk: bytes = chunk, header: bytes = header,
                    ) -> list[Row]:
            split = chunk.split(b"\n")
            return [(first + i, item) for i in positions
                    for _, item in iter_csv([header, split[i] + b"\n"], source, OrderRecord)]

        yield settle_table(engine, typed, usable, first, fmt, known, seen, rows_at)


def _csv_table(header: bytes, chunk: bytes, source: str) -> pa.Table | None:
    """The table of a chunk of CSV lines (every cell as text), one row per line; None
    when Arrow cannot read it line for line, or reads what the row path's csv reader
    refuses (a cell over its field size limit)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    lines = line_count(chunk)
    if b'"' in chunk or b"\0" in chunk or b"\n\n" in chunk or b"\n\r\n" in chunk or chunk.startswith((b"\n", b"\r")):
        return None
    if not chunk.isascii():
        try:
            chunk.decode()
        except UnicodeDecodeError:
            return None
    given = header.decode().rstrip("\r\n").split(",")
    names = [name.strip() for name in given]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(header + chunk),
            read_options=pa_csv.ReadOptions(use_threads=False, block_size=len(header) + len(chunk) + 1),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in given},
                                                  strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    if table.num_rows != lines or table.num_columns != len(names):
        return None
    limit = csv.field_size_limit()  # a longer cell is a row the csv module refuses: the row path says so
    if any((pc.max(pc.binary_length(column)).as_py() or 0) > limit for column in table.columns):
        return None
    return table.rename_columns(names)


def _columnar_chunk_bytes(fmt: _Formatter) -> int:
    """The chunk size of the columnar path for a statement of ``fmt`` (see above)."""
    lines = COLUMNAR_FULL_TRAIL_CHUNK_BYTES if fmt.trail == "full" else COLUMNAR_LINES_CHUNK_BYTES
    return min(lines, COLUMNAR_CHUNK_BYTES) if fmt.fmt == "jsonl" else COLUMNAR_CHUNK_BYTES


def _begin_reading(path: str, source: str, input_format: str | None, fmt: _Formatter, stack: ExitStack,
                   ahead: bool = True) -> _ReadAhead | None:
    """The columnar reading of ``path`` (named ``source`` in messages; see
    :class:`_ReadAhead`, ended with ``stack``) when the batch takes the columnar path for
    JSON Lines; else ``None``."""
    if fmt.fmt == "csv" or detect_format(path, input_format) != "jsonl":
        return None
    return stack.enter_context(_ReadAhead(path, _columnar_chunk_bytes(fmt), source, ahead))


def _columnar(engine: Engine, reading: _ReadAhead, source: str, fmt: _Formatter,
              seen: dict[str, int]) -> Iterator[_Block]:
    """The chunks ``reading`` gives, priced a vector at a time; a chunk Arrow cannot read
    line for line, or one repeating an order_id, goes through the row path whole."""
    from shoppolicy.columnar.ids import OrderIds
    from shoppolicy.columnar.shapes import Known

    known = Known()
    order_ids = OrderIds(seen)
    for first, chunk, table, escapes in reading:
        if table is None or not order_ids.add(table.column("order_id"), first):
            rows, count = _json_rows(first, chunk, source, False)
            yield _settle_block(engine, rows, fmt, count, order_ids.make_exact())
            continue

        def lines_at(positions: list[int], first: int = first, chunk: bytes = chunk) -> list[Row]:
            split = chunk.split(b"\n")
            return [row for i in positions for row in iter_json_lines(
                [split[i]], first + i, source, _loads, _LOADS_REFUSES_SURROGATES)]

        yield settle_table(engine, table, None, first, fmt, known, seen, lines_at, escapes=escapes)


class _ReadAhead:
    """``(first line, chunk, its Arrow table or None, whether it holds a backslash)`` of
    each chunk of a JSON Lines file.  With ``ahead`` (the default), the first
    :data:`AHEAD` chunks are read and parsed on another thread from the moment this is
    made, and each next one while this one is priced (Arrow parses without the
    interpreter's lock, so the two use two cores); otherwise each in turn on the thread
    that iterates.  As a context manager, it stops reading at exit."""

    def __init__(self, path: str, size: int, source: str, ahead: bool = True) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from shoppolicy.columnar.frame import JsonChunks

        self._reader = JsonChunks()
        self._chunks = _chunks(path, size, self._reader.line_count)
        self._source = source
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="shoppolicy-read") if ahead else None
        self._pending = deque(self._pool.submit(self._parse) for _ in range(AHEAD)) if self._pool else deque()

    def _parse(self) -> tuple[int, bytes, pa.Table | None, bool] | None:
        found = next(self._chunks, None)
        if found is None:
            return None
        first, offset, chunk = found
        if offset == 0:
            check_start(chunk, self._source)
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
        return first, chunk, self._reader.read(chunk), b"\\" in chunk

    def __iter__(self) -> Iterator[tuple[int, bytes, pa.Table | None, bool]]:
        if self._pool is None:
            yield from iter(self._parse, None)
            return
        while True:
            item = self._pending.popleft().result()
            if item is None:
                return
            self._pending.append(self._pool.submit(self._parse))
            yield item

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)  # waits for a chunk being read: none is after it
        self._chunks.close()  # the file, closed now, not when a traceback lets go of it


def settle_table(engine: Engine, table: pa.Table, usable: Any, first: int, fmt: _Formatter, known: Known,
                 seen: dict[str, int], rows_at: Callable[[list[int]], list[Row]], *, escapes: bool = True) -> _Block:
    """Settle a table of orders (:data:`~shoppolicy.columnar.frame.ORDER_SCHEMA`, its
    order_ids already in ``seen``) whose first row is line ``first``: the columnar path
    for the rows it takes, the row path (``rows_at(positions)`` gives their numbered
    records) for the others; the statement in input order."""
    import numpy as np

    from shoppolicy.columnar.frame import plain_rows
    from shoppolicy.columnar.shapes import price_frame

    markets = {m.id: m.currency for m in engine.markets() if not m.abstract and m.currency}
    frame = plain_rows(table, markets, usable, escapes=escapes)
    priced = price_frame(engine, frame, fmt.line(), known, lines=fmt.fmt != "parquet")
    taken = priced.taken()
    left = np.ones(table.num_rows, dtype=bool)
    left[frame.rows[taken]] = False
    summary = priced.summary
    refused: list[Rejected] = []
    others: list[tuple[int, Any]] = []
    if left.any():  # rows for the row path, each with its own line number
        positions = np.flatnonzero(left).tolist()
        rows_left = rows_at(positions)  # a CSV row of blank cells gives none: nothing to settle
        out, refused, more, _ = _settle_block(engine, rows_left, fmt, len(rows_left), seen)
        summary.merge(more)
        if fmt.fmt == "parquet":
            others = out
        else:
            rejected_lines = {r.line for r in refused}
            others = list(zip([number for number, _ in rows_left if number not in rejected_lines], out,
                              strict=True))
    # The statement of the rows priced here is made on another thread (see _Behind),
    # while this one prices the next table.
    if fmt.fmt == "parquet":
        return [partial(_parquet_part, engine, priced, frame, first, others, fmt)], refused, summary, table.num_rows
    if not others:
        return [partial(_line_buffers, priced, frame, taken)], refused, summary, table.num_rows
    numbers = first + frame.rows[taken]
    lines = (t.encode() for part in priced.statement_lines(frame, taken) for t in part.to_pylist())
    mine = zip(numbers.tolist(), lines, strict=True)
    return [b"".join(text for _, text in sorted([*mine, *others]))], refused, summary, table.num_rows


def _line_buffers(priced: Any, frame: Any, taken: Any) -> Iterator[memoryview]:
    """The bytes of the statement lines, a slice (:data:`~shoppolicy.columnar.shapes.LINES_AT_ONCE` lines) each."""
    for lines in priced.statement_lines(frame, taken):
        yield _buffer(lines)


def _made(items: list[Any]) -> Iterator[Any]:
    """A block's statement items, each deferred one (a function) made now."""
    for item in items:
        if callable(item):
            yield from item()
        else:
            yield item


def _buffer(lines: pa.Array) -> memoryview:
    """The bytes of an Arrow string array's values, end to end (each ends its line)."""
    import numpy as np

    if not len(lines):
        return memoryview(b"")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    return memoryview(lines.buffers()[2])[int(offsets[0]):int(offsets[-1])]


def _parquet_part(engine: Engine, priced: Any, frame: Any, first: int, others: list[tuple[int, Any]],
                  fmt: _Formatter) -> list[pa.Table]:
    import pyarrow as pa

    from shoppolicy.columnar.statement import from_quotes, from_shapes

    codes = _codes(engine)
    part = from_shapes(priced.shapes, frame, first + frame.rows, codes, fmt.plan_id)  # in line order
    if not others:
        return [part]
    rows = from_quotes([q for _, q in others], [n for n, _ in others], codes, fmt.plan_id)
    return [pa.concat_tables([part, rows]).sort_by("line")]


_CODES: weakref.WeakKeyDictionary[Engine, list[str]] = weakref.WeakKeyDictionary()


def _codes(engine: Engine) -> list[str]:
    """The fee codes of an engine's markets (the Parquet statement's columns), once per engine."""
    found = _CODES.get(engine)
    if found is None:
        from shoppolicy.columnar.statement import fee_codes

        found = _CODES[engine] = fee_codes(engine)
    return found


def output_clash(input_file: str, out: str | None, rejects: str | None, summary_file: str | None,
                 plans: str | None = None) -> str | None:
    """What is wrong when two of the files name the same file (by path, link or inode),
    or None; standard input and output (``-``), and a file that is no regular file
    (``/dev/null``), clash with nothing.  ``plans``: the plans file written beside the
    statement (``--trail ref``, Parquet)."""
    named = [(name, path) for name, path in (("INPUT", input_file), ("--out", out), ("--rejects", rejects),
                                             ("--summary", summary_file), ("the plans file", plans))
             if path and path != "-"]
    for i, (name, path) in enumerate(named):
        for other, other_path in named[:i]:
            if _same_file(path, other_path):
                what = "the input file" if other == "INPUT" else f"{other}"
                if name == "the plans file":
                    return (f"the plans file {path}, written beside the statement, names the same file as {what} "
                            f"({other_path}); it would be overwritten: choose another --out")
                return f"{name} {path} names the same file as {what} ({other_path}); it would be overwritten"
    return None


def _same_file(a: str, b: str) -> bool:
    if os.path.exists(a) and not os.path.isfile(a):  # /dev/null, a pipe, a terminal: nothing to overwrite
        return False
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


class _Output:
    """A file written under a temporary name beside its target (``.NAME.RANDOM.part``)
    and renamed to it when :meth:`done` is called: a run that fails never leaves a half
    file under the final name.  ``-`` is standard output (unless ``dash_is_stdout`` is
    false: then a file named ``-``), and a target that exists but is no regular file
    (``/dev/null``, a pipe) is written in place."""

    def __init__(self, path: str, stack: ExitStack, *, dash_is_stdout: bool = True) -> None:
        self.path = path
        self.temp: str | None = None
        if path == "-" and dash_is_stdout:
            sys.stdout.flush()  # statement bytes go to the binary stream beneath it
            self.stream: IO[bytes] = sys.stdout.buffer
            return
        try:
            if os.path.exists(path) and not os.path.isfile(path):
                self.stream = stack.enter_context(open(path, "wb"))  # noqa: SIM115 (the stack closes it)
                return
            folder, name = os.path.split(os.path.abspath(path))
            self.temp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part")
            fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise ShopPolicyError(f"cannot write {path}: {exc.strerror or exc}") from None
        stack.callback(self._discard)
        self.stream = stack.enter_context(os.fdopen(fd, "wb"))

    def done(self) -> None:
        """Put the finished file under its name (keeping the mode of a file it replaces)."""
        self.stream.flush()
        if self.temp is not None:
            if os.path.isfile(self.path):
                os.chmod(self.temp, stat.S_IMODE(os.stat(self.path).st_mode))
            os.replace(self.temp, self.path)
            self.temp = None

    def _discard(self) -> None:
        if self.temp is not None:
            with suppress(OSError):
                os.unlink(self.temp)


def statement_format(out: str, out_format: str | None) -> str:
    """The statement's format: as asked, else by --out's extension, else JSON Lines."""
    if out_format:
        return out_format
    lower = out.lower()
    return "csv" if lower.endswith(".csv") else "parquet" if lower.endswith(".parquet") else "jsonl"


def plans_path(out: str, fmt: str) -> str:
    """Where the plans (each explanation trail once) go beside a statement ``out``."""
    ext = ".parquet" if fmt == "parquet" else ".jsonl"
    stem = out[:-len(ext)] if out.lower().endswith(ext) else out
    return f"{stem}.plans{ext}"


def run_settle(engine: Engine | Callable[[], Engine], input_file: str, *, out: str = "-", rejects: str | None = None,
               summary_file: str | None = None, out_format: str | None = None, input_format: str | None = None,
               progress: bool | None = None, jobs: int | None = None, trail: str = "full",
               summary: Summary | None = None) -> int:
    """Settle ``input_file`` into ``out``; return the exit code (0, or 3 when a row was
    rejected or an order is incomplete).  ``engine``: the engine, or a function that
    builds it: when the batch reads a JSON Lines file with Arrow on threads of its own
    (pyarrow installed, ``jobs`` not 1), the function is called once the file's reading
    has begun, so that the two overlap (the CLI passes one: building the engine takes a
    tenth of a second).
    ``summary``, when given, gains the batch's totals (:meth:`Summary.merge`), so a
    caller combining batches adds them exactly.

    ``out_format``: ``jsonl``, ``csv`` or ``parquet`` (default: by ``out``'s extension).
    ``trail="ref"``: each JSON line names its plan instead of carrying its explanation
    trail, and the trails are written once per plan beside the statement
    (:func:`plans_path`); a Parquet statement always works so.  ``jobs``: the CPU
    threads Arrow may use (default: all); ``jobs=1`` reads, prices and writes on this
    thread alone.  The statement, the plans and the rejects are written beside
    their targets under temporary names, renamed when the batch ends (:class:`_Output`).
    """
    from shoppolicy import columnar

    if trail not in TRAILS:
        raise InputError(f"expected --trail full or ref, got {trail!r}", field="trail")
    kind = statement_format(out, out_format)
    arrow = columnar.available()
    if kind == "parquet" and not arrow:
        raise InputError("a Parquet statement needs pyarrow: pip install 'shoppolicy[columnar]'")
    if kind == "csv" and trail == "ref":
        raise InputError("--trail ref applies to JSON Lines statements (a CSV statement names each fee's rule)")
    sidecar = kind == "parquet" or trail == "ref"
    if sidecar and out == "-":
        raise InputError(f"a {'Parquet statement' if kind == 'parquet' else 'statement with --trail ref'} is "
                         "written with its plans beside it: name a file with --out")
    clash = output_clash(input_file, out, rejects, summary_file, plans_path(out, kind) if sidecar else None)
    if clash is not None:
        raise InputError(clash)
    fmt = _Formatter(kind, "ref" if kind == "parquet" else trail)
    if input_file != "-" and not os.path.isfile(input_file):
        raise InputError(f"cannot read {input_file}: no such file")
    if arrow and jobs:
        import pyarrow as pa

        pa.set_cpu_count(jobs)
    bar = _Progress(progress if progress is not None else sys.stderr.isatty())
    total = Summary()
    source = "<stdin>" if input_file == "-" else input_file
    one_thread = jobs == 1  # --jobs 1: no thread beside the main one, as a loop of its own
    with ExitStack() as stack:
        # A file is read from the start, while the engine is built.  Standard input is
        # not: a read there waits for its writer, which might wait for this command.
        early = arrow and not one_thread and input_file != "-"
        reading = _begin_reading(input_file, source, input_format, fmt, stack) if early else None
        if callable(engine) and not isinstance(engine, Engine):
            engine = engine()
        # The engine, plugins and modules live for the whole batch: frozen, the garbage
        # collector stops walking them again and again while millions of orders pass.
        stack.enter_context(_gc_frozen())
        statement = _Output(out, stack)
        sink = statement.stream
        reject_file = _Output(rejects, stack, dash_is_stdout=False) if rejects else None
        reject_sink = reject_file.stream if reject_file is not None else None
        # The summary file is opened first: a path that cannot be written stops the batch
        # before any file is put in place.
        summary_out = _Output(summary_file, stack, dash_is_stdout=False) if summary_file else None
        writer = _ParquetSink(engine, sink, fmt) if kind == "parquet" else None
        if writer is not None:
            stack.callback(writer.abandon)  # closed before its file is, if the batch stops
        sink.write(fmt.header())
        behind = _Behind(stack, enabled=not one_thread)
        if arrow and not early:
            reading = _begin_reading(input_file, source, input_format, fmt, stack, ahead=not one_thread)
        rows = 0
        for text, refused, part, count in _serial(engine, input_file, fmt, input_format, arrow, reading):
            if writer is not None:
                behind.submit(writer.write, text)
            elif text:  # a chunk's lines in a few writes (buffered: the row path's lines are many)
                behind.submit(sink.writelines, text)
            for r in refused:
                _reject(r, source, reject_sink)
            total.merge(part)
            rows += count
            bar.tick(rows)
        behind.wait()
        bar.done(rows)
        if writer is not None:
            writer.close()
        if sidecar:
            _write_plans(plans_path(out, kind), kind, fmt.plans(), stack)
        statement.done()
        if reject_file is not None:
            reject_file.done()
        _summary(total, summary_file, stack, summary_out)
    if summary is not None:
        summary.merge(total)
    return EXIT_REJECTED if total.rejected or total.incomplete else 0


class _Behind:
    """Statements made and written on other threads while the next chunks are priced:
    made two at a time (Arrow makes the text without the interpreter's lock), written in
    order, one at a time, at most :data:`AHEAD` waiting.  An error making or writing one
    is raised here when that statement's turn comes (at a later :meth:`submit`, or at
    :meth:`wait`); no statement after it is written."""

    def __init__(self, stack: ExitStack, *, enabled: bool = True) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="shoppolicy-write")) \
            if enabled else None
        self.makers = stack.enter_context(ThreadPoolExecutor(AHEAD, thread_name_prefix="shoppolicy-make")) \
            if enabled else None
        self.pending: deque[Any] = deque()
        self.failed = False  # set by the writing thread: the statements after a failed one are not written

    def submit(self, write: Callable[[list[Any]], Any], items: list[Any]) -> None:
        """``write(items)``, each deferred item (a function) made first (see :func:`_made`)."""
        while len(self.pending) >= AHEAD:
            self.pending.popleft().result()
        if self.pool is None or self.makers is None:
            write(list(_made(items)))
            return
        made = self.makers.submit(lambda: list(_made(items)))

        def written() -> None:
            if self.failed:
                return
            try:
                write(made.result())
            except BaseException:
                self.failed = True
                raise

        self.pending.append(self.pool.submit(written))

    def wait(self) -> None:
        while self.pending:
            self.pending.popleft().result()


class _ParquetSink:
    """The Parquet statement: a row group per chunk.  Its columns (every fee code the
    installed markets can charge) are worked out here, on the batch's own thread: the
    threads that make and write the statement never compile plans."""

    def __init__(self, engine: Engine, sink: IO[bytes], fmt: _Formatter) -> None:
        import pyarrow.parquet as pq

        from shoppolicy.columnar.statement import schema, writer_options

        self.engine, self.fmt = engine, fmt
        statement = schema(_codes(engine))
        self.writer = pq.ParquetWriter(sink, statement, **writer_options(statement))
        self.closed = False

    def write(self, items: list[Any]) -> None:
        """A chunk's statement, made (see :class:`_Behind`): tables from the columnar
        path, or the row path's numbered quotes."""
        from shoppolicy.columnar.statement import from_quotes

        tables = [item for item in items if not isinstance(item, tuple)]
        numbered = [item for item in items if isinstance(item, tuple)]
        if numbered:
            tables.append(from_quotes([q for _, q in numbered], [n for n, _ in numbered], _codes(self.engine),
                                      self.fmt.plan_id))
        for table in tables:
            if table.num_rows:
                self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()
        self.closed = True

    def abandon(self) -> None:
        """Close the writer of a batch that stopped, before its file is closed and removed."""
        if not self.closed:
            with suppress(Exception):
                self.writer.close()
            self.closed = True


def _write_plans(path: str, kind: str, plans: dict[str, bytes], stack: ExitStack) -> None:
    written = _Output(path, stack, dash_is_stdout=False)
    if kind == "parquet":
        import pyarrow.parquet as pq

        from shoppolicy.columnar.statement import plans_table

        pq.write_table(plans_table(plans), written.stream)
    else:
        for plan_id in sorted(plans):
            written.stream.write(b'{"plan":"' + plan_id.encode() + b'",' + plans[plan_id][1:] + b"\n")
    written.done()


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """Everything alive now (engine, plugins, modules) left out of garbage collection."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _reject(rejected: Rejected, source: str, sink: IO[bytes] | None) -> None:
    if sink is not None:
        record: dict[str, Any] = {"line": rejected.line, "order_id": rejected.order_id, "field": rejected.field,
                                  "reason": rejected.reason}
        sink.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace"))
    else:
        field = f"field {rejected.field!r}: " if rejected.field else ""
        sys.stderr.write(f"rejected: {source}, line {rejected.line}: {field}{rejected.reason}\n")


def _summary(summary: Summary, path: str | None, stack: ExitStack, written: _Output | None = None) -> None:
    data = summary.as_dict()
    for totals in data["totals"]:  # in the currency's minor unit, however the rows' sums were grouped
        unit = quantum(totals["currency"])
        for key in ("amount", "priced_amount", "fees", "creator_commission", "net"):
            value = totals.get(key)
            if isinstance(value, str) and value not in ("None", "null"):
                total = Decimal(value)
                shown = total.quantize(unit)
                if shown == total:  # zeros added or dropped, never a digit rounded away
                    totals[key] = str(shown)
    if path:
        written = written or _Output(path, stack, dash_is_stdout=False)
        written.stream.write((json.dumps(data, indent=2) + "\n").encode())
        written.done()
        return
    lines = [f"settled {data['accepted']} of {data['orders']} orders: {data['complete']} complete, "
             f"{data['incomplete']} incomplete (policy gaps); {data['rejected']} rejected"]
    for t in data["totals"]:
        priced = (f"{t['priced']} with a known net (amount {t['priced_amount']}): fees {t['fees']}, creator "
                  f"commission {t['creator_commission']}, net {t['net']}" if t["priced"] else "no net known")
        lines.append(f"  {t['market']} {t['currency']}: {t['orders']} orders ({t['complete']} complete, "
                     f"{t['incomplete']} incomplete), amount {t['amount']}; {priced}")
    for market, count in data["rejected_by_market"].items():
        lines.append(f"  {market or '(no market named)'}: {count} rejected")
    for m in data["missing"][:20]:
        lines.append(f"  missing {m['market']} {m['rule']} {m['key']}: blocks {m['orders']} orders "
                     f"(from {m['needed_from']})")
    if len(data["missing"]) > 20:
        lines.append(f"  ... and {len(data['missing']) - 20} more missing keys (--summary FILE lists all; "
                     "`shoppolicy gaps` writes a template)")
    sys.stderr.write("\n".join(lines) + "\n")
