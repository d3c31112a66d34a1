"""The ``settle`` command's I/O: streaming statement and rejects writers, progress,
summary, and the optional fan-out of JSON Lines input over worker processes.

Rows are priced by the fast path (:mod:`shoppolicy.fastpath`) where it applies and
quoted in full otherwise (rejected by the rules of :func:`shoppolicy.settle.settle_each`); this
module moves rows between files and the engine.  Memory stays flat: one chunk of about
512 KB and its statement lines at a time in a single process, or a bounded number of
chunks in flight with ``jobs > 1``.  Output order is
input order either way.  orjson is used for JSON when it is installed (the ``fast``
extra); the standard library's json otherwise.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import IO, TYPE_CHECKING, Any

import attrs

from shoppolicy import render
from shoppolicy.engine import Engine
from shoppolicy.errors import InputError
from shoppolicy.fastpath import FastStatements
from shoppolicy.model import OrderRecord, Quote
from shoppolicy.orders import structure_order
from shoppolicy.records import Row, check_start, detect_format, iter_json_lines, read_records
from shoppolicy.settle import Figures, Rejected, Summary, figures, settle_each

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult
    from multiprocessing.sharedctypes import Synchronized

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


class _Formatter:
    """Statement lines as JSON Lines or CSV, encoded as UTF-8."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt

    def header(self) -> bytes:
        return _csv_bytes([render.STATEMENT_COLUMNS]) if self.fmt == "csv" else b""

    def encoder(self) -> Callable[[Quote], bytes]:
        if self.fmt == "csv":
            return lambda q: _csv_bytes([render.statement_row(q)])
        line = render.statement_line
        return lambda q: line(q, _dumps)


def _csv_bytes(rows: Iterable[Iterable[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


_Block = tuple[list[bytes], list[Rejected], Summary, int]
"""What settling one chunk gives: statement lines still to write (none from the workers,
which write their chunks or spool them for the parent), rejected rows, totals, rows read."""


def _settle_block(engine: Engine, rows: Iterable[Row], fmt: _Formatter, count: int,
                  fast: FastStatements | None) -> tuple[list[bytes], list[Rejected], Summary, int]:
    # Each order is encoded as soon as it is priced, so its objects are freed while still
    # in the CPU cache (only its line and figures wait for the rest of the chunk).
    # Orders the fast path does not take are quoted in full.
    summary = Summary()
    encode = fmt.encoder()
    out: list[bytes] = []
    accepted: list[Figures] = []  # counted in the summary once per chunk
    write, count_in = out.append, accepted.append

    def price(item: Mapping[str, Any] | OrderRecord) -> None:
        record = item if isinstance(item, OrderRecord) else structure_order(item)
        done = fast.line(record) if fast is not None else None
        if done is None:
            quote = engine.quote(record)
            line, priced = encode(quote), figures(quote)
        else:
            line, priced = done
        write(line)  # after pricing: an order that raises adds nothing
        count_in(priced)

    refused = [r for r in settle_each(rows, summary, price) if r is not None]
    summary.add_all(accepted)
    return out, refused, summary, count


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


def _spans(path: str) -> Iterator[tuple[int, int]]:
    """``(byte offset, length)`` of each chunk of whole lines of a regular file, found
    without reading the file: a seek and the rest of one line per chunk."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        offset = 0
        while offset < size:
            f.seek(offset + CHUNK_BYTES - 1)
            f.readline()  # the rest of the line the cut falls in (a newline just before the cut ends it)
            end = min(f.tell(), size)
            yield offset, end - offset
            offset = end


def _chunks(path: str) -> Iterator[tuple[int, int, bytes]]:
    """``(first line number, byte offset, chunk)`` of each chunk of whole lines."""
    with ExitStack() as stack:
        handle = sys.stdin.buffer if path == "-" else stack.enter_context(open(path, "rb"))
        first, offset = 1, 0
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                return
            if not chunk.endswith(b"\n"):
                chunk += handle.readline()  # finish the line the read cut
            yield first, offset, chunk
            first += chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
            offset += len(chunk)


# --- worker processes (fork: the workers inherit the parent's loaded engine) ------------
#
# A worker reads its chunk from the input file itself.  When every earlier chunk is
# already in the output (the usual case: workers finish in turn), it writes its lines
# straight to the output, whose file position the processes share; otherwise it spools
# them to a file of its own, which the parent appends when the chunk's turn comes.  A
# shared counter, the number of chunks written, decides the turn under its lock.  So the
# parent only finds line boundaries and, now and then, copies a spooled chunk: it leaves
# the CPUs to the workers, and most statement bytes are written once.


@attrs.frozen
class _Shared:
    """What the forked workers inherit: the engine and where lines go."""

    engine: Engine
    fmt: _Formatter
    path: str
    spool: str
    fast: FastStatements | None
    out_fd: int | None  # None: the output is not a plain file descriptor; every chunk is spooled
    written: Synchronized[int]  # chunks in the output so far


_WORKER: _Shared | None = None
_Task = tuple[int, int, int, bytes | None]
"""Index, byte offset and length of a chunk, and its bytes when the input cannot be
re-read (standard input)."""


def _work(task: _Task) -> tuple[str | None, list[Rejected], Summary, int]:
    """Settle one chunk; its rejected rows are numbered from the chunk's first line (the
    parent, which alone knows how many lines came before, renumbers them)."""
    shared = _WORKER
    assert shared is not None
    index, offset, length, chunk = task
    if chunk is None:
        with open(shared.path, "rb") as f:
            f.seek(offset)
            chunk = f.read(length)
        if len(chunk) != length:  # rows would be lost without a word
            raise InputError(f"{shared.path} changed while it was settled (expected {length} bytes at offset "
                             f"{offset}, read {len(chunk)}); settle it again once it is complete")
    rows, count = _json_rows(1, chunk, "<stdin>" if shared.path == "-" else shared.path, offset == 0)
    text, refused, summary, count = _settle_block(shared.engine, rows, shared.fmt, count, shared.fast)
    data = b"".join(text)
    del text  # the chunk's lines are held once, not twice, while they are written
    if shared.out_fd is not None:
        with shared.written.get_lock():
            if shared.written.value == index:  # every earlier chunk is out: this one's turn
                _write_all(shared.out_fd, data)
                shared.written.value = index + 1
                return None, refused, summary, count
    part = os.path.join(shared.spool, f"{index}.part")
    with open(part, "wb") as f:
        f.write(data)
    return part, refused, summary, count


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _parallel(engine: Engine, path: str, fmt: _Formatter, jobs: int, fast: FastStatements | None,
              sink: IO[bytes]) -> Iterator[_Block]:
    global _WORKER
    context = multiprocessing.get_context("fork")
    sink.flush()  # the workers write beneath the parent's buffer
    # Only a plain binary file (or standard output) is written beneath: a wrapper's file
    # descriptor (a compressing stream, say) is not where its bytes go.
    out_fd = sink.fileno() if isinstance(sink, io.BufferedWriter) else None
    written: Synchronized[int] = context.Value("q", 0)
    with ExitStack() as stack:
        spool = stack.enter_context(tempfile.TemporaryDirectory(prefix="shoppolicy-settle-"))
        _WORKER = _Shared(engine, fmt, path, spool, fast, out_fd, written)  # set before the fork: inherited
        pool = stack.enter_context(context.Pool(jobs))
        pending: deque[AsyncResult[tuple[str | None, list[Rejected], Summary, int]]] = deque()

        lines_before = 0

        def landed(turn: int) -> _Block:
            nonlocal lines_before
            part, refused, summary, count = pending.popleft().get()
            if part is not None:  # spooled: its turn is now, as every earlier chunk is out
                with written.get_lock():
                    assert written.value == turn, (written.value, turn)
                    _append_file(part, sink)
                    written.value = turn + 1
            refused = [attrs.evolve(r, line=r.line + lines_before) for r in refused]
            lines_before += count
            return [], refused, summary, count

        # A file's chunks are found by seeking, and each worker reads its own; standard
        # input, and a file that does not report its size (as /proc's), pass through the parent.
        spans: Iterable[tuple[int, int, bytes | None]] = (
            ((offset, len(chunk), chunk) for _, offset, chunk in _chunks(path))
            if path == "-" or os.stat(path).st_size == 0
            else ((offset, length, None) for offset, length in _spans(path)))
        done = 0
        for index, (offset, length, chunk) in enumerate(spans):
            pending.append(pool.apply_async(_work, ((index, offset, length, chunk),)))
            if len(pending) >= 2 * jobs:  # bounded: memory must not grow with the batch
                yield landed(done)
                done += 1
        while pending:
            yield landed(done)
            done += 1
    _WORKER = None  # the workers are gone; let the engine go with the caller


def _serial(engine: Engine, path: str, fmt: _Formatter, input_format: str | None,
            fast: FastStatements | None) -> Iterator[_Block]:
    if detect_format(path, input_format) == "jsonl":
        source = "<stdin>" if path == "-" else path
        for first, offset, chunk in _chunks(path):
            rows, count = _json_rows(first, chunk, source, offset == 0)
            yield _settle_block(engine, rows, fmt, count, fast)
        return
    block: list[Row] = []
    for row in read_records(path, "csv", OrderRecord):
        block.append(row)
        if len(block) == CSV_BLOCK_ROWS:
            yield _settle_block(engine, block, fmt, len(block), fast)
            block = []
    if block:
        yield _settle_block(engine, block, fmt, len(block), fast)


CSV_BLOCK_ROWS = 4000
PARALLEL_FROM_BYTES = 2_000_000


def default_jobs(path: str = "-") -> int:
    """One worker per CPU (at most 4) for a file large enough to repay starting them."""
    try:
        large = path != "-" and os.path.getsize(path) >= PARALLEL_FROM_BYTES
    except OSError:
        large = False
    return max(1, min(os.cpu_count() or 1, 4)) if large else 1


def run_settle(engine: Engine, input_file: str, *, out: str = "-", rejects: str | None = None,
               summary_file: str | None = None, out_format: str | None = None, input_format: str | None = None,
               progress: bool | None = None, jobs: int = 1) -> int:
    """Settle ``input_file`` into ``out``; return the exit code (0, or 3 with rejected rows).

    ``jobs > 1`` settles JSON Lines input in that many forked worker processes (CSV,
    whose quoted cells may span lines, is always read by one process).
    """
    fmt = _Formatter(out_format or ("csv" if out.lower().endswith(".csv") else "jsonl"))
    parallel = (jobs > 1 and detect_format(input_file, input_format) == "jsonl"
                and "fork" in multiprocessing.get_all_start_methods())
    if input_file != "-" and not os.path.isfile(input_file):
        raise InputError(f"cannot read {input_file}: no such file")
    bar = _Progress(progress if progress is not None else sys.stderr.isatty())
    total = Summary()
    source = "<stdin>" if input_file == "-" else input_file
    with ExitStack() as stack:
        # The engine, plugins and modules live for the whole batch: frozen, the garbage
        # collector stops walking them again and again while millions of orders pass.
        stack.enter_context(_gc_frozen())
        if out == "-":
            sys.stdout.flush()  # statement bytes go to the binary stream beneath it
        sink = sys.stdout.buffer if out == "-" else stack.enter_context(open(out, "wb"))
        reject_sink = stack.enter_context(open(rejects, "w", encoding="utf-8")) if rejects else None
        sink.write(fmt.header())
        # SHOPPOLICY_NO_FAST_PATH=1 quotes every order in full (same lines, slower): for a
        # plugin author who suspects their fast methods.
        use_fast = fmt.fmt == "jsonl" and not os.environ.get("SHOPPOLICY_NO_FAST_PATH")
        fast = FastStatements(engine, _dumps) if use_fast else None
        blocks = (_parallel(engine, input_file, fmt, jobs, fast, sink) if parallel
                  else _serial(engine, input_file, fmt, input_format, fast))
        rows = 0
        for text, refused, summary, count in blocks:
            if text:  # one write per chunk, not one per 8 KB buffer: statement lines are long (their trail)
                sink.write(b"".join(text))
            for r in refused:
                _reject(r, source, reject_sink)
            total.merge(summary)
            rows += count
            bar.tick(rows)
        bar.done(rows)
    _summary(total, summary_file)
    return EXIT_REJECTED if total.rejected else 0


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """Everything alive now (engine, plugins, modules) left out of garbage collection."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _append_file(part: str, sink: IO[bytes]) -> None:
    """Append a worker's statement file to the output (by the kernel where it can), then drop it."""
    sink.flush()
    with open(part, "rb") as source:
        size = os.fstat(source.fileno()).st_size
        sent = 0
        try:
            while sent < size:
                done = os.sendfile(sink.fileno(), source.fileno(), sent, size - sent)
                if done == 0:
                    break
                sent += done
        except (AttributeError, OSError, io.UnsupportedOperation):  # no sendfile here, or not to this sink
            source.seek(sent)
            sink.write(source.read())
            sink.flush()  # out before the next chunk, which a worker may write beneath the buffer
    os.unlink(part)


def _reject(rejected: Rejected, source: str, sink: IO[str] | None) -> None:
    if sink is not None:
        record: dict[str, Any] = {"line": rejected.line, "order_id": rejected.order_id, "field": rejected.field,
                                  "reason": rejected.reason}
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        field = f"field {rejected.field!r}: " if rejected.field else ""
        sys.stderr.write(f"rejected: {source}, line {rejected.line}: {field}{rejected.reason}\n")


def _summary(summary: Summary, path: str | None) -> None:
    data = summary.as_dict()
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        return
    lines = [f"settled {data['accepted']} of {data['orders']} orders; {data['rejected']} rejected"]
    for t in data["totals"]:
        lines.append(f"  {t['market']} {t['currency']}: {t['orders']} orders, amount {t['amount']}, "
                     f"fees {t['fees']}, creator commission {t['creator_commission']}, net {t['net']}")
    sys.stderr.write("\n".join(lines) + "\n")
