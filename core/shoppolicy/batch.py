"""The ``settle`` command's I/O: streaming statement and rejects writers, progress,
summary, and the optional fan-out of JSON Lines input over worker processes.

Rows are quoted through the one pricing path (:meth:`shoppolicy.engine.Engine.quote`)
and rejected by the rules of :func:`shoppolicy.settle.settle_each`; this module moves
rows between files and the engine.  Memory stays flat: one chunk of about
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
import itertools
import json
import multiprocessing
import os
import secrets
import stat
import sys
import tempfile
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

import attrs

from shoppolicy import render
from shoppolicy.engine import Engine
from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.model import OrderRecord, Quote
from shoppolicy.money import quantum
from shoppolicy.orders import structure_order
from shoppolicy.records import Row, check_start, detect_format, iter_json_lines, read_records
from shoppolicy.settle import Rejected, Summary, renumbered, repeated, settle_each

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
                  seen: dict[str, int] | None = None) -> tuple[list[bytes], list[Rejected], Summary, int]:
    # Each order is encoded as soon as it is priced, so its objects are freed while still
    # in the CPU cache (only its line waits for the rest of the chunk).  ``seen``: the
    # first line of each order_id so far (settle_each refuses a repeat and adds the new ones).
    summary = Summary()
    encode = fmt.encoder()
    out: list[bytes] = []
    write, quote, add = out.append, engine.quote, summary.add

    def price(item: Mapping[str, Any] | OrderRecord) -> None:
        priced = quote(item if isinstance(item, OrderRecord) else structure_order(item))
        write(encode(priced))  # after pricing: an order that raises adds nothing
        add(priced)

    refused = [r for r in settle_each(rows, summary, price, seen) if r is not None]
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
    out_fd: int | None  # None: the output is not a plain file descriptor; every chunk is spooled
    written: Synchronized[int]  # chunks in the output so far


_WORKER: _Shared | None = None
_Task = tuple[int, int, int, bytes | None]
"""Index, byte offset and length of a chunk, and its bytes when the input cannot be
re-read (standard input)."""


_Done = tuple[str | None, list[Rejected], Summary, int, dict[str, int], "array[int]"]
"""What a worker gives for a chunk: its spool file (None: written in turn), rejected rows,
totals, lines read, the first line of each order_id in the chunk, and the length of each
statement line it wrote (for the parent to take one back; see :func:`_repeats`)."""


def _work(task: _Task) -> _Done:
    """Settle one chunk; its rows are numbered from the chunk's first line (the parent,
    which alone knows how many lines came before, renumbers them and refuses an
    order_id an earlier chunk used)."""
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
    ids: dict[str, int] = {}
    text, refused, summary, count = _settle_block(shared.engine, rows, shared.fmt, count, ids)
    lengths = array("Q", map(len, text))
    data = b"".join(text)
    del text  # the chunk's lines are held once, not twice, while they are written
    if shared.out_fd is not None:
        with shared.written.get_lock():
            if shared.written.value == index:  # every earlier chunk is out: this one's turn
                _write_all(shared.out_fd, data)
                shared.written.value = index + 1
                return None, refused, summary, count, ids, lengths
    part = os.path.join(shared.spool, f"{index}.part")
    with open(part, "wb") as f:
        f.write(data)
    return part, refused, summary, count, ids, lengths


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _parallel(engine: Engine, path: str, fmt: _Formatter, jobs: int,
              sink: IO[bytes], taken_back: list[tuple[int, int]] | None) -> Iterator[_Block]:
    """Settle ``path`` in ``jobs`` workers.  A statement line written in turn whose
    order_id an earlier chunk used is added to ``taken_back`` as (offset, length) in the
    output, for the caller to cut once the batch ends (:meth:`_Output.cut`); with no
    file to cut (``taken_back`` None: standard output, say), every chunk is spooled and
    cut as it is appended."""
    global _WORKER
    context = multiprocessing.get_context("fork")
    sink.flush()  # the workers write beneath the parent's buffer
    # Only a plain binary file that can be cut afterwards is written beneath: a wrapper's
    # file descriptor (a compressing stream, say) is not where its bytes go.
    out_fd = sink.fileno() if isinstance(sink, io.BufferedWriter) and taken_back is not None else None
    start = sink.tell() if out_fd is not None else 0  # the CSV header's length
    written: Synchronized[int] = context.Value("q", 0)
    source = "<stdin>" if path == "-" else path
    with ExitStack() as stack:
        spool = stack.enter_context(tempfile.TemporaryDirectory(prefix="shoppolicy-settle-"))
        _WORKER = _Shared(engine, fmt, path, spool, out_fd, written)  # set before the fork: inherited
        pool = stack.enter_context(context.Pool(jobs))
        pending: deque[tuple[AsyncResult[_Done], int, int, bytes | None]] = deque()
        seen: dict[str, int] = {}  # the first line of each order_id, in the file's numbers
        lines_before = bytes_before = 0

        def landed(turn: int) -> _Block:
            nonlocal lines_before, bytes_before
            result, offset, length, chunk = pending.popleft()
            part, refused, summary, count, ids, lengths = result.get()
            refused = [renumbered(r, lines_before) for r in refused]
            cuts: list[tuple[int, int]] = []
            if seen.keys().isdisjoint(ids):  # the usual case: every order_id new, added in C's loops
                seen.update(zip(ids.keys(), map(lines_before.__add__, ids.values()), strict=True))
            else:
                if chunk is None:
                    chunk = _read_span(path, offset, length)
                refused, cuts = _repeats(engine, fmt, _ChunkSeen(ids, lengths, lines_before, chunk, offset == 0),
                                         refused, summary, seen, source)
            if part is not None:  # spooled: its turn is now, as every earlier chunk is out
                with written.get_lock():
                    assert written.value == turn, (written.value, turn)
                    if cuts:
                        _append_cut(part, sink, cuts)
                    else:
                        _append_file(part, sink)
                    written.value = turn + 1
            else:
                assert taken_back is not None  # only a file that can be cut is written by the workers
                taken_back.extend((start + bytes_before + at, size) for at, size in cuts)
            bytes_before += sum(lengths) - (sum(size for _, size in cuts) if part is not None else 0)
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
            pending.append((pool.apply_async(_work, ((index, offset, length, chunk),)), offset, length, chunk))
            if len(pending) >= 2 * jobs:  # bounded: memory must not grow with the batch
                yield landed(done)
                done += 1
        while pending:
            yield landed(done)
            done += 1
    _WORKER = None  # the workers are gone; let the engine go with the caller


@attrs.frozen
class _ChunkSeen:
    """What the parent knows of a chunk a worker settled: its order_ids (first line in the
    chunk), the lengths of its statement lines, the lines before it, and its bytes."""

    ids: dict[str, int]
    lengths: array[int]
    lines_before: int
    data: bytes
    at_start: bool


def _repeats(engine: Engine, fmt: _Formatter, chunk: _ChunkSeen,
             refused: list[Rejected], summary: Summary, seen: dict[str, int],
             source: str) -> tuple[list[Rejected], list[tuple[int, int]]]:
    """The chunk's rejects once every row whose order_id an earlier chunk used is refused
    as a repeat, as one process would have refused it; the (offset, length) in the
    chunk's statement of each such row the worker accepted, taken back from ``summary``
    too; ``seen`` gains the chunk's new order_ids."""
    before = chunk.lines_before
    rejected_lines = {r.line - before for r in refused}
    accepted = sorted(set(chunk.ids.values()) - rejected_lines)  # each accepted row's order_id is its own
    place = {line: i for i, line in enumerate(accepted)}
    starts = list(itertools.accumulate(chunk.lengths, initial=0))
    cuts: list[tuple[int, int]] = []
    again: list[int] = []
    for order_id, local in chunk.ids.items():
        earlier = seen.setdefault(order_id, local + before)
        number = local + before
        if earlier == number:
            continue
        refused = [repeated(r.line, order_id, earlier) if r.line == number or (
            r.order_id == order_id and r.earlier == number) else r for r in refused]
        if local not in rejected_lines:
            i = place[local]
            cuts.append((starts[i], chunk.lengths[i]))
            again.append(local)
            refused.append(repeated(number, order_id, earlier))
    if again:  # priced again, to take their figures back out of the chunk's totals
        lines = chunk.data.removeprefix(codecs.BOM_UTF8).split(b"\n") if chunk.at_start else chunk.data.split(b"\n")
        rows = [row for local in again
                for row in iter_json_lines([lines[local - 1]], local, source, _loads, _LOADS_REFUSES_SURROGATES)]
        summary.withdraw(_settle_block(engine, rows, fmt, len(rows))[2])
    return sorted(refused, key=lambda r: r.line), sorted(cuts)


def _read_span(path: str, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


def _serial(engine: Engine, path: str, fmt: _Formatter, input_format: str | None,
) -> Iterator[_Block]:
    seen: dict[str, int] = {}  # the first line of each order_id
    if detect_format(path, input_format) == "jsonl":
        source = "<stdin>" if path == "-" else path
        for first, offset, chunk in _chunks(path):
            rows, count = _json_rows(first, chunk, source, offset == 0)
            yield _settle_block(engine, rows, fmt, count, seen)
        return
    block: list[Row] = []
    for row in read_records(path, "csv", OrderRecord):
        block.append(row)
        if len(block) == CSV_BLOCK_ROWS:
            yield _settle_block(engine, block, fmt, len(block), seen)
            block = []
    if block:
        yield _settle_block(engine, block, fmt, len(block), seen)


CSV_BLOCK_ROWS = 4000
PARALLEL_FROM_BYTES = 2_000_000


def default_jobs(path: str = "-") -> int:
    """One worker per CPU (at most 4) for a file large enough to repay starting them."""
    try:
        large = path != "-" and os.path.getsize(path) >= PARALLEL_FROM_BYTES
    except OSError:
        large = False
    return max(1, min(os.cpu_count() or 1, 4)) if large else 1


def output_clash(input_file: str, out: str | None, rejects: str | None, summary_file: str | None) -> str | None:
    """What is wrong when two of the files name the same file (by path, link or inode),
    or None; standard input and output (``-``), and a file that is no regular file
    (``/dev/null``), clash with nothing."""
    named = [(name, path) for name, path in (("INPUT", input_file), ("--out", out), ("--rejects", rejects),
                                             ("--summary", summary_file)) if path and path != "-"]
    for i, (name, path) in enumerate(named):
        for other, other_path in named[:i]:
            if _same_file(path, other_path):
                what = "the input file" if other == "INPUT" else f"{other}"
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

    def cut(self, ranges: list[tuple[int, int]]) -> None:
        """Remove the ``(offset, length)`` byte ranges (sorted, apart) from the file."""
        assert self.temp is not None, "only a file written under a temporary name is cut"
        self.stream.flush()
        kept = self.temp + ".cut"
        with open(self.temp, "rb") as source, open(kept, "wb") as target:
            at = 0
            for offset, length in [*ranges, (os.fstat(source.fileno()).st_size, 0)]:
                source.seek(at)
                _copy(source, target, offset - at)
                at = offset + length
        os.replace(kept, self.temp)

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
            with suppress(OSError):
                os.unlink(self.temp + ".cut")


def _copy(source: IO[bytes], target: IO[bytes], size: int) -> None:
    while size > 0:
        data = source.read(min(size, 1 << 20))
        if not data:
            return
        target.write(data)
        size -= len(data)


def run_settle(engine: Engine, input_file: str, *, out: str = "-", rejects: str | None = None,
               summary_file: str | None = None, out_format: str | None = None, input_format: str | None = None,
               progress: bool | None = None, jobs: int = 1, summary: Summary | None = None) -> int:
    """Settle ``input_file`` into ``out``; return the exit code (0, or 3 when a row was
    rejected or an order is incomplete).  ``summary``, when given, gains the batch's
    totals (:meth:`Summary.merge`), so a caller combining batches adds them exactly.

    ``jobs > 1`` settles JSON Lines input in that many forked worker processes (CSV,
    whose quoted cells may span lines, is always read by one process).  The statement
    and the rejects are written beside their targets under temporary names, renamed when
    the batch ends (:class:`_Output`).
    """
    clash = output_clash(input_file, out, rejects, summary_file)
    if clash is not None:
        raise InputError(clash)
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
        statement = _Output(out, stack)
        sink = statement.stream
        reject_file = _Output(rejects, stack, dash_is_stdout=False) if rejects else None
        reject_sink = reject_file.stream if reject_file is not None else None
        sink.write(fmt.header())
        taken_back: list[tuple[int, int]] = []  # statement lines of repeated order_ids, cut at the end
        blocks = (_parallel(engine, input_file, fmt, jobs, sink,
                            taken_back if statement.temp is not None else None) if parallel
                  else _serial(engine, input_file, fmt, input_format))
        rows = 0
        for text, refused, block_summary, count in blocks:
            if text:  # one write per chunk, not one per 8 KB buffer: statement lines are long (their trail)
                sink.write(b"".join(text))
            for r in refused:
                _reject(r, source, reject_sink)
            total.merge(block_summary)
            rows += count
            bar.tick(rows)
        bar.done(rows)
        if taken_back:
            statement.cut(taken_back)
        statement.done()
        if reject_file is not None:
            reject_file.done()
        _summary(total, summary_file, stack)
    if summary is not None:
        summary.merge(total)
    return EXIT_REJECTED if total.rejected or total.incomplete else 0


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


def _append_cut(part: str, sink: IO[bytes], cuts: list[tuple[int, int]]) -> None:
    """Append a worker's statement file without the ``(offset, length)`` ranges, then drop it."""
    with open(part, "rb") as source:
        data = source.read()
    at = 0
    for offset, length in cuts:
        sink.write(data[at:offset])
        at = offset + length
    sink.write(data[at:])
    sink.flush()  # out before the next chunk, which a worker may write beneath the buffer
    os.unlink(part)


def _reject(rejected: Rejected, source: str, sink: IO[bytes] | None) -> None:
    if sink is not None:
        record: dict[str, Any] = {"line": rejected.line, "order_id": rejected.order_id, "field": rejected.field,
                                  "reason": rejected.reason}
        sink.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace"))
    else:
        field = f"field {rejected.field!r}: " if rejected.field else ""
        sys.stderr.write(f"rejected: {source}, line {rejected.line}: {field}{rejected.reason}\n")


def _summary(summary: Summary, path: str | None, stack: ExitStack) -> None:
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
        written = _Output(path, stack, dash_is_stdout=False)
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
