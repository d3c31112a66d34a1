"""Many order files settled at once over Dask: ``settle --dask`` and :func:`settle_dask`.

What lives here: finding the input files (a directory, a glob, a list), one Dask task
per file, the engine each worker process builds for itself from the installed entry
points, the client's exact merge of the partitions' totals, and the output directory's
layout (statement parts, rejects, summary).

What does not: reading, checking, pricing and rejecting rows, and writing one file's
statement, all of which is :func:`shoppolicy.batch.run_settle`, called by each task as
``settle`` calls it for one file.  So a partition's statement is byte for byte what
``settle`` writes for that file.  Dask and distributed are optional (the
``distributed`` extra); they are imported only when a run starts.

Each input file is one ``dask.delayed`` task rather than a partition of a Dask
dataframe or bag: the rows never pass through Dask (the worker reads its file and writes
its statement part itself), only a file name goes in and a small :class:`Partition`
(paths and totals) comes back, so the graph is one task per file and nothing is
shuffled.  An ``order_id`` is checked unique within each file, not across files.
"""

from __future__ import annotations

import glob
import importlib.metadata
import json
import logging
import os
import re
import secrets
import shutil
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from typing import Any, TypeVar

import attrs

from shoppolicy.batch import EXIT_REJECTED, _Output, _reject, _summary, output_clash, run_settle
from shoppolicy.engine import Engine
from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.plugins import ENTRY_POINT_GROUP
from shoppolicy.settle import Rejected, Summary

#: The statement parts' format.  JSON Lines until run_settle writes Parquet; then
#: "parquet" (the parts become a Parquet dataset; their plans go to ``_plans/``).
PARTITION_FORMAT = "parquet"
INPUT_SUFFIXES = (".jsonl", ".csv")
LOCAL_SCHEDULERS = ("threads", "processes", "synchronous")
SUMMARY_NAME = "_summary.json"
# Beside the statement parts, under names starting with "_": Parquet readers (pyarrow,
# Dask, Spark) skip those, so the directory reads as the statement alone.
REJECTS_DIR, PLANS_DIR = "_rejects", "_plans"
_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://\S+|[\w.-]+:\d+|\[[0-9A-Fa-f:.]+\]:\d+")
_INSTALL = "pip install 'shoppolicy[distributed]'"
T = TypeVar("T")


@attrs.frozen(slots=True)
class Partition:
    """One input file's share of a run: the file, where its outputs are, and its totals
    (paths as the caller named them; a worker opens them from the caller's directory)."""

    index: int
    input: str
    statement: str
    rejects: str
    plans: str | None  # the plans table of a Parquet statement part; None for other formats
    summary: Summary = attrs.field(factory=Summary)
    #: What the worker's engine reported at load (a plugin that failed to load, say).
    problems: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class DaskResult:
    """A whole run: the exact total of every partition, each partition, and the files written."""

    summary: Summary
    partitions: tuple[Partition, ...]
    summary_file: str
    rejects: str | None
    problems: tuple[str, ...] = ()

    @property
    def rejected(self) -> int:
        return self.summary.rejected

    @property
    def statements(self) -> tuple[str, ...]:
        return tuple(p.statement for p in self.partitions)

    @property
    def code(self) -> int:
        """The exit code ``settle`` gives: 3 when a row was rejected or an order is incomplete, else 0."""
        return EXIT_REJECTED if self.summary.rejected or self.summary.incomplete else 0


@attrs.frozen(slots=True)
class _Job:
    """What every task of a run shares: the caller's directory (relative names are
    opened from it on any worker) and how to settle."""

    cwd: str
    policy_files: tuple[str, ...]
    input_format: str | None
    statement_format: str


def settle_dask(inputs: str | Sequence[str], out_dir: str, *, scheduler: str | None = None,
                policy_files: Sequence[str] = (), input_format: str | None = None, rejects: str | None = None,
                progress: bool = False, summary_file: str | None = None,
                statement_format: str | None = None) -> DaskResult:
    """Settle every file of ``inputs`` as one Dask task each, into the directory ``out_dir``.

    ``inputs``: a directory (each ``*.jsonl`` and ``*.csv`` file in it, sorted), a glob,
    a file, or a list of these; the files are the partitions, in that order.
    ``out_dir`` must be new or empty.  It receives one statement part per input file
    (``part-00000.parquet`` and on, in ``statement_format``: :data:`PARTITION_FORMAT`
    unless given), each file's rejects (``_rejects/part-00000.jsonl`` and on, lines
    numbered within the file), the plans of Parquet parts (``_plans/``), and
    ``_summary.json``, the merged summary as ``settle --summary`` writes it (also
    written to ``summary_file`` when given).  It is written under another name beside
    it and renamed when the run ends; a run that fails leaves nothing.
    ``rejects``: one file with every reject, each gaining ``"file"``, its input file;
    without it each reject is a line on standard error, as ``settle`` reports them.

    ``scheduler``: ``None`` or ``"local"``, a ``distributed.LocalCluster`` of one worker
    process per CPU (at most one per file), or dask's ``"processes"`` scheduler when
    distributed is not installed; ``"threads"``, ``"processes"`` or ``"synchronous"``,
    that dask scheduler; anything else, the address of a running scheduler
    (``tcp://host:8786``).  Every worker builds its engine from the plugins installed
    where it runs, with ``policy_files``, and must see the input, output and policy
    files under the same names (relative names are taken from this process's directory).
    """
    fmt = statement_format or PARTITION_FORMAT
    kind = _scheduler_kind(scheduler or "local")
    files = order_files(inputs)
    for name in files:
        clash = output_clash(name, None, rejects, summary_file)
        if clash is not None:
            raise InputError(clash)
    work = _work_dir(out_dir, fmt)
    try:
        job = _Job(os.getcwd(), tuple(os.path.abspath(p) for p in policy_files), input_format, fmt)
        done = _compute(_partitions(files, work, fmt), job, kind, scheduler, progress)
        total = Summary()
        for part in done:  # Decimal sums: the same total in any order, to the last digit
            total.merge(part.summary)
        write_summary(total, os.path.join(work, SUMMARY_NAME))
        _gather_rejects(done, rejects)
        if os.path.isdir(out_dir):
            os.rmdir(out_dir)  # empty (checked): the finished run takes its place
        os.replace(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if summary_file is not None:
        write_summary(total, summary_file)
    return DaskResult(summary=total, partitions=tuple(_moved(p, work, out_dir) for p in done),
                      summary_file=os.path.join(out_dir, SUMMARY_NAME), rejects=rejects,
                      problems=tuple(dict.fromkeys(p for part in done for p in part.problems)))


def _partitions(files: Sequence[str], out_dir: str, fmt: str) -> list[Partition]:
    return [Partition(index=i, input=name, statement=os.path.join(out_dir, f"part-{i:05d}.{fmt}"),
                      rejects=os.path.join(out_dir, REJECTS_DIR, f"part-{i:05d}.jsonl"),
                      plans=os.path.join(out_dir, PLANS_DIR, f"part-{i:05d}.parquet") if fmt == "parquet" else None)
            for i, name in enumerate(files)]


def _moved(part: Partition, work: str, out_dir: str) -> Partition:
    def there(path: str) -> str:
        return os.path.join(out_dir, os.path.relpath(path, work))

    return attrs.evolve(part, statement=there(part.statement), rejects=there(part.rejects),
                        plans=there(part.plans) if part.plans is not None else None)


def order_files(inputs: str | Sequence[str]) -> list[str]:
    """The order files ``inputs`` names, in partition order: each directory's ``*.jsonl``
    and ``*.csv`` files (not its subdirectories' nor hidden ones) sorted, each glob's
    matches sorted, each file itself.  None at all, a name that is neither, or one file
    named twice is refused."""
    files: list[str] = []
    for name in [inputs] if isinstance(inputs, str) else inputs:
        if name == "-":
            raise InputError("standard input (-) cannot be split into partitions; name files, a directory or a glob")
        if os.path.isdir(name):
            found = sorted(os.path.join(name, f) for f in os.listdir(name)
                           if f.lower().endswith(INPUT_SUFFIXES) and not f.startswith(".")
                           and os.path.isfile(os.path.join(name, f)))
        elif any(c in name for c in "*?["):
            found = sorted(f for f in glob.glob(name) if os.path.isfile(f))
        elif os.path.isfile(name):
            found = [name]
        else:
            raise InputError(f"cannot read {name}: no such file or directory")
        if not found:
            raise InputError(f"{name} matches no order file (*.jsonl or *.csv)")
        files.extend(found)
    first: dict[str, int] = {}
    for i, name in enumerate(files):
        earlier = first.setdefault(os.path.realpath(name), i)
        if earlier != i:
            raise InputError(f"{name} is named twice among the inputs (also as {files[earlier]}); "
                             "each file is one partition")
    return files


def _work_dir(out_dir: str, fmt: str) -> str:
    """A new directory beside ``out_dir`` (``.NAME.RANDOM.part``) for the run to write
    in, renamed to ``out_dir`` when the run ends, as ``settle`` writes a file: a run that
    fails or is stopped leaves no partial statement under the final name.  ``out_dir``
    must not exist or be empty, since a run's parts must not mix with another's."""
    if os.path.exists(out_dir):
        if not os.path.isdir(out_dir):
            raise InputError(f"the output directory {out_dir} exists and is not a directory")
        if os.listdir(out_dir):
            raise InputError(f"the output directory {out_dir} is not empty; name a new or empty directory")
    folder, name = os.path.split(os.path.abspath(out_dir))
    work = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part")
    try:
        os.mkdir(work)
        for sub in (REJECTS_DIR, *([PLANS_DIR] if fmt == "parquet" else [])):
            os.mkdir(os.path.join(work, sub))
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise ShopPolicyError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    return work


def scheduler_problem(scheduler: str) -> str | None:
    """What is wrong with a scheduler's name, or None: ``local``, ``threads``,
    ``processes``, ``synchronous``, or an address (``tcp://host:8786``, ``host:8786``)."""
    if scheduler == "local" or scheduler in LOCAL_SCHEDULERS or _ADDRESS.fullmatch(scheduler):
        return None
    return (f"{scheduler!r} is not a scheduler: local (the default), threads, processes, synchronous, "
            "or the address of a running one (tcp://host:8786)")


def _scheduler_kind(scheduler: str) -> str:
    """``local`` (a LocalCluster), ``dask`` (one of dask's own schedulers) or ``address``;
    refused when it is none of them or when what it needs is not installed."""
    problem = scheduler_problem(scheduler)
    if problem is not None:
        raise InputError(problem)
    try:
        import dask  # noqa: F401
    except ImportError:
        raise ShopPolicyError(f"settling with Dask needs dask: {_INSTALL}") from None
    if scheduler in LOCAL_SCHEDULERS:
        return "dask"
    try:
        import distributed  # noqa: F401
    except ImportError:
        if scheduler == "local":  # the same one-machine parallelism, without distributed's cluster
            return "dask"
        raise ShopPolicyError(f"the scheduler address {scheduler} needs distributed: {_INSTALL}") from None
    return "local" if scheduler == "local" else "address"


def _compute(parts: list[Partition], job: _Job, kind: str, scheduler: str | None,
             progress: bool) -> list[Partition]:
    """Run one task per partition on the scheduler; the settled partitions, in order."""
    import dask

    tasks = [dask.delayed(settle_partition, pure=False)(part, job) for part in parts]
    ticker = _Ticker(len(parts), progress)
    workers = min(os.cpu_count() or 1, len(parts))
    if kind == "dask":
        from dask.callbacks import Callback

        keys = {t.key for t in tasks}

        class _Count(Callback):  # type: ignore[misc]  # Any to mypy (pyproject.toml)
            def _posttask(self, key: Any, *args: Any) -> None:
                if key in keys:
                    ticker.tick()

        name = scheduler if scheduler in LOCAL_SCHEDULERS else "processes"
        with _Count():
            done = list(dask.compute(*tasks, scheduler=name, num_workers=workers))
        ticker.done()
        return done
    from distributed import Client, LocalCluster, as_completed

    with ExitStack() as stack:
        if kind == "local":  # a worker process per CPU: settling is CPU-bound Python, one thread each
            # Its workers log a failed task at length on this terminal; the client reports it
            # in one line.  No dashboard, and no warning that its usual port is taken (its
            # HTTP server starts anyway): a run to watch is one on a cluster of one's own.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Port .* is already in use")
                cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                           dashboard_address=None, silence_logs=logging.CRITICAL))
            client = stack.enter_context(Client(cluster, set_as_default=False))
        else:
            client = stack.enter_context(Client(scheduler, set_as_default=False))
        futures = client.compute(tasks)
        try:
            for _ in as_completed(futures, loop=client.loop):
                ticker.tick()
            done = list(client.gather(futures))
        except BaseException:
            client.cancel(futures)  # a file that fails stops the run: the others stop too
            raise
        ticker.done()
        return done


# --- in the worker ---------------------------------------------------------------------

_ENGINE: tuple[object, Engine] | None = None
_ENGINE_LOCK = threading.Lock()  # the threads scheduler settles several files in one process


def worker_engine(policy_files: Sequence[str]) -> Engine:
    """This process's engine for ``policy_files``, built from the installed entry points
    the first time and kept for every later partition, until a policy file or the
    installed plugins change.  An engine is never sent to a worker: it holds plugin
    modules and compiled plans, and each worker's plugins are those installed there."""
    global _ENGINE
    key = (tuple(_stamp(p) for p in policy_files),
           sorted((ep.name, ep.value, getattr(ep.dist, "version", "")) for ep in
                  importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)))
    with _ENGINE_LOCK:
        if _ENGINE is None or _ENGINE[0] != key:
            _ENGINE = (key, Engine(policy_files=policy_files))
        return _ENGINE[1]


def _stamp(path: str) -> tuple[str, int, int] | str:
    try:
        found = os.stat(path)
    except OSError:  # missing: the engine says so in its own words
        return path
    return path, found.st_mtime_ns, found.st_size


def settle_partition(part: Partition, job: _Job) -> Partition:
    """Settle one input file in this process: its statement part, rejects and totals."""
    def here(name: str) -> str:
        return os.path.join(job.cwd, name)

    summary = Summary()
    engine = _portably(None, worker_engine, job.policy_files)
    # The partition's summary comes back as an object, merged by the client; the text
    # summary settle writes without a summary file is not wanted from each worker.
    _portably(part.input, run_settle, engine, here(part.input), out=here(part.statement), rejects=here(part.rejects),
              summary_file=os.devnull, input_format=job.input_format, out_format=job.statement_format,
              progress=False, summary=summary)
    if part.plans is not None:  # run_settle puts the plans beside the part; they go under _plans/
        os.replace(here(os.path.splitext(part.statement)[0] + ".plans.parquet"), here(part.plans))
    return attrs.evolve(part, summary=summary, problems=tuple(engine.problems))


def _portably(source: str | None, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, its SDK errors raised again as :class:`ShopPolicyError`
    with the same message (naming ``source`` when it does not).  The error reaches the
    client pickled, and neither some subclasses (whose arguments are not their message)
    nor a chained original (hence the raise outside the handler) can be rebuilt there."""
    try:
        return call(*args, **kwargs)
    except ShopPolicyError as exc:
        message = str(exc) if source is None or source in str(exc) else f"{source}: {exc}"
    raise ShopPolicyError(message)


# --- back in the client ----------------------------------------------------------------

def _gather_rejects(parts: Sequence[Partition], rejects: str | None) -> None:
    """Every partition's rejects, in partition order, into ``rejects`` (each gaining its
    input file), or on standard error as ``settle`` reports them."""
    with ExitStack() as stack:
        target = _Output(rejects, stack, dash_is_stdout=False) if rejects else None
        for part in parts:
            for record in _read_rejects(part.rejects):
                if target is not None:
                    line = json.dumps({"file": part.input, **record}, ensure_ascii=False) + "\n"
                    target.stream.write(line.encode("utf-8", "backslashreplace"))
                else:
                    _reject(Rejected(line=record["line"], reason=record["reason"], order_id=record["order_id"],
                                     field=record["field"]), part.input, None)
        if target is not None:
            target.done()


def _read_rejects(path: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            yield json.loads(line)


def write_summary(summary: Summary, path: str | None) -> None:
    """The summary as ``settle`` gives it: JSON to ``path``, or text on standard error."""
    with ExitStack() as stack:
        _summary(summary, path, stack)


class _Ticker:
    """Files settled so far, on standard error."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.count, self.enabled = total, 0, enabled

    def tick(self) -> None:
        self.count += 1
        if self.enabled:
            sys.stderr.write(f"\r{self.count} of {self.total} files settled")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
