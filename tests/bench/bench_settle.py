"""The batch benchmark: ``shoppolicy settle`` against the hand-written bare loops.

usage: python tests/bench/bench_settle.py [--repeat R] [--baseline-rev REV] [N ...]
       (default: R=3, N=100000 1000000)

For each N it generates N synthetic tiktok-us orders with ../shared/bench/gen_orders.py,
then in the same run times, as whole processes: ``bare_loop.py`` (stdlib json),
``bare_loop_orjson.py`` when orjson is installed, and ``shoppolicy settle`` with the
synthetic policy of ``bench-policy.toml`` (the same category rates and settlement periods
the bare loops hard-code), writing each statement it can (issue #18):

- a Parquet statement (``--out X.parquet``), by default, with ``--jobs 1`` (one CPU
  thread) and with the standard library's json;
- JSON Lines with ``--trail ref`` (each line names its plan, the trails go once per
  plan to a sidecar file), the same three ways;
- JSON Lines with the full trail (the default statement), the same three ways;
- the Dask run: the input split into 8 files in a folder, settled by
  ``shoppolicy.dask_settle.settle_dask`` on a ``LocalCluster`` of 2 single-threaded
  worker processes (``dask_driver.py``), into a folder of Parquet statements.  It runs in
  an environment of its own (``bench-out/dask-env``, made once): Dask brings pandas,
  which pyarrow imports at its first compute call when it is installed, so the other
  programs run, as ``pip install 'shoppolicy[columnar]'`` installs them, without it.

A statement the installed ``settle`` cannot write yet (no Parquet, no ``--trail``, no
``shoppolicy.dask_settle``) is found by settling three orders before the timed runs; its
programs are skipped with a note.

Each program runs R times, the programs taking turns, and the best time of each is
reported (the machine's speed varies from minute to minute; taking turns exposes every
program to it alike).  Before each run, untimed, the program's output from the round
before is removed and the disk synced, so every run writes a new file and none waits on
another's write-back.  For each program it prints wall time, CPU time (user + system of
the whole process tree, workers included), CPU/wall, peak resident memory of the process
tree, wall and CPU time as multiples of each bare loop's, and orders per second.

Every statement is then checked, streamed, against ``bare_loop.py``'s output order by
order: platform fee (the sum of the fee amounts), creator commission, net and payout
date.  Any difference ends the run with exit code 1.

After the last N it prints ``Engine.quote``'s latency on one warm tiktok-us order
(measured in a process of its own), the machine, and issue #18's targets with PASS or
FAIL at each N, with each program's cost per order so one can see it is linear.

With ``--baseline-rev REV`` the code of another commit (say, the one before a change)
is installed beside this one (a git worktree and a virtual environment under
``bench-out/``) and its ``settle`` and ``Engine.quote`` take their turns in the same run,
so a before/after comparison shares the machine's minute, its cores and its JSON library.

The policy values are synthetic and only for this benchmark; they are not policy.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import metadata
from itertools import zip_longest
from pathlib import Path
from typing import Any

try:  # the checks only; the timed programs choose their own JSON library
    from orjson import loads
except ImportError:
    from json import loads

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHARED = Path(os.environ.get("SHOPPOLICY_SHARED", ROOT.parent / "shared")) / "bench"
OUT = ROOT / "bench-out"
POLICY = HERE / "bench-policy.toml"

# Issue #18's targets, as multiples of bare_loop.py (stdlib json, one thread) at each N.
PARQUET_WALL, PARQUET_CPU, TRAIL_REF_WALL, PEAK_RSS_MB = 0.2, 0.5, 0.5, 500
# Engine.quote on one warm tiktok-us order, docs/batch.md's run of 2026-11-30 (2 cores,
# x86_64, Python 3.11.7); with --baseline-rev the baseline measured in this run is used instead.
QUOTE_WAS_US, QUOTE_NOISE = 7.9, 0.05
DASK_FILES, DASK_WORKERS = 8, 2

BARE, BARE_OJ = "bare_loop.py (stdlib json)", "bare_loop_orjson.py"
PARQUET, TRAIL_REF, FULL = "settle -> parquet", "settle --trail ref -> jsonl", "settle -> jsonl, full trail"
DASK = f"settle_dask, {DASK_FILES} files, {DASK_WORKERS} workers"


# -- running and timing -------------------------------------------------------------------

def _tree_rss_kib(pid: int) -> int:
    """Resident memory (KiB) of ``pid`` and its descendants, read from /proc."""
    try:
        with open(f"/proc/{pid}/status") as f:
            own = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        children: list[int] = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children += [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        return 0
    return own + sum(_tree_rss_kib(c) for c in children)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, float]:
    """Wall time, peak resident memory (KiB) and CPU seconds (user + system) of one
    command and its child processes.  Memory: the sum over the process tree, sampled
    from /proc every 10 ms for the first second and every 50 ms after; where /proc is
    missing, the largest process's peak by rusage (which on Linux counts the forked
    parent's pages before exec, so it is not used where /proc is there).  Standard error
    goes to a file, so a chatty program (Dask's logs) never blocks on a full pipe."""
    errors = OUT / "stderr.txt"
    start = time.perf_counter()
    with errors.open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **(env or {})})
        peak = 0
        sampling = Path("/proc").is_dir()
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if sampling:
                peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.01 if time.perf_counter() - start < 1 else 0.05)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 3):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{errors.read_text(errors='replace')[-2000:]}")
    return elapsed, peak if sampling else usage.ru_maxrss, usage.ru_utime + usage.ru_stime


@dataclass
class Program:
    """One timed command, the statement it writes and how that statement is checked."""

    name: str
    cmd: list[str]
    out: Path  # a file, or the folder of the Dask run
    kind: str  # "bare", "parquet", "jsonl", "jsonl-ref", "dask" (figures checked), "baseline" (not checked)
    env: dict[str, str] = field(default_factory=dict)
    same_as: str | None = None  # a JSON Lines statement that must equal this program's byte for byte
    best: tuple[float, int, float] = (float("inf"), 0, float("inf"))  # wall s, peak KiB, CPU s
    inner: dict[str, float] = field(default_factory=dict)  # the Dask driver's own timings (best)

    def clear(self) -> None:
        if self.out.is_dir():
            shutil.rmtree(self.out)
        self.out.unlink(missing_ok=True)
        if self.kind == "dask":
            (OUT / "dask-timing.json").unlink(missing_ok=True)

    def run(self) -> None:
        wall, peak, cpu = timed(self.cmd, self.env)
        self.best = (min(self.best[0], wall), max(self.best[1], peak), min(self.best[2], cpu))
        if self.kind == "dask":
            for key, seconds in json.loads((OUT / "dask-timing.json").read_text()).items():
                self.inner[key] = min(self.inner.get(key, float("inf")), seconds)


# -- what the installed settle can write ---------------------------------------------------

@dataclass(frozen=True)
class Features:
    parquet: bool
    trail_ref: bool
    dask: bool
    notes: tuple[str, ...]


def probe(python: str, orders: Path, where: str) -> Features:
    """What ``python``'s shoppolicy can write, found by settling three orders each way
    (Parquet: a file that starts with Parquet's magic bytes; ``--trail ref``: lines that
    name a plan and carry no trail; Dask: ``shoppolicy.dask_settle`` and dask.distributed
    import)."""
    OUT.mkdir(exist_ok=True)
    few = OUT / "probe-orders.jsonl"
    with orders.open("rb") as f:
        few.write_bytes(b"".join(f.readline() for _ in range(3)))
    base = [python, "-m", "shoppolicy", "--policy", str(POLICY), "settle", str(few), "--no-progress",
            "--summary", str(OUT / "probe-summary.json")]
    notes = []

    def settles(extra: list[str], out: Path) -> str | None:
        """None if settle wrote ``out``, else why not (the last line of its standard error)."""
        out.unlink(missing_ok=True)
        done = subprocess.run([*base, *extra, "--out", str(out)], capture_output=True, text=True)
        if done.returncode in (0, 3) and out.exists():
            return None
        return f"exit {done.returncode}: {(done.stderr.strip().splitlines() or ['-'])[-1]}"

    out = OUT / "probe.parquet"
    no_parquet = settles([], out)
    if no_parquet is None and out.read_bytes()[:4] != b"PAR1":
        no_parquet = "it writes no Parquet file"
    if no_parquet is not None:
        notes.append(f"{where}: settle --out X.parquet ({no_parquet}): the Parquet programs skipped")
    out = OUT / "probe-ref.jsonl"
    no_ref = settles(["--trail", "ref"], out)
    if no_ref is None:
        first = loads(out.read_bytes().splitlines()[0])
        if "plan" not in first or "trail" in first:
            no_ref = "its lines do not name their plan instead of a trail"
    if no_ref is not None:
        notes.append(f"{where}: settle --trail ref ({no_ref}): the --trail ref programs skipped")
    check = "import dask.distributed, shoppolicy.dask_settle"
    dask = subprocess.run([dask_python() if python == sys.executable else python, "-c", check],
                          capture_output=True).returncode == 0
    if not dask:
        notes.append(f"{where}: shoppolicy.dask_settle or dask.distributed does not import: the Dask run skipped")
    return Features(no_parquet is None, no_ref is None, dask, tuple(notes))


# -- the programs ---------------------------------------------------------------------------

def settle_programs(python: str, label: str, orders: Path, can: Features, *, baseline: bool) -> list[Program]:
    """``settle`` writing each statement ``can`` says it writes: by default, with one CPU
    thread (``--jobs 1``) and, but for a baseline, with the standard library's json."""
    settle = [python, "-m", "shoppolicy", "--policy", str(POLICY), "settle", str(orders), "--no-progress",
              "--summary", str(OUT / "summary.json")]
    programs = []
    for wanted, name, extra, suffix, kind in (
            (can.parquet, PARQUET, [], ".parquet", "parquet"),
            (can.trail_ref, TRAIL_REF, ["--trail", "ref"], ".jsonl", "jsonl-ref"),
            (True, FULL, [], ".jsonl", "jsonl")):
        if not wanted:
            continue
        stem = OUT / f"{'base-' if baseline else ''}{kind}"
        ways: list[tuple[str, list[str], str, dict[str, str]]] = [
            (" (default jobs)", [], "", {}), (" --jobs 1", ["--jobs", "1"], "-1", {})]
        if not baseline:
            ways.append((", stdlib json", [], "-stdlib", {"SHOPPOLICY_NO_ORJSON": "1"}))
        first = None
        for way, jobs, tag, env in ways:
            out = Path(f"{stem}{tag}{suffix}")
            program = Program(f"{label}{name}{way}", [*settle, *extra, *jobs, "--out", str(out)], out,
                              "baseline" if baseline else kind, env=env)
            # JSON Lines: each variant byte for byte as the default; Parquet: each file's figures are checked
            if first is not None and kind != "parquet" and not baseline:
                program.same_as = first.name
            first = first or program
            programs.append(program)
    return programs


def split_input(orders: Path, n: int) -> Path:
    """``orders`` cut into DASK_FILES files of consecutive lines in a folder of their own (made once)."""
    folder = OUT / f"orders-{n}-split"
    if not folder.is_dir():
        part = OUT / f"orders-{n}-split.part"
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir()
        per_file = -(-n // DASK_FILES)
        with orders.open("rb") as src:
            for i in range(DASK_FILES):
                with (part / f"orders-{i:02d}.jsonl").open("wb") as dst:
                    dst.writelines(src.readline() for _ in range(per_file))
        part.rename(folder)
    return folder


def programs_for(n: int, orders: Path, can: Features, baseline: tuple[str, str, Features] | None) -> list[Program]:
    bare_out = OUT / "bare.jsonl"
    programs = [Program(BARE, [sys.executable, str(SHARED / "bare_loop.py"), str(orders), str(bare_out)], bare_out,
                        "bare")]
    try:
        import orjson  # noqa: F401
        programs.append(Program(BARE_OJ, [sys.executable, str(SHARED / "bare_loop_orjson.py"), str(orders),
                                          str(OUT / "bare-oj.jsonl")], OUT / "bare-oj.jsonl", "bare"))
    except ImportError:
        pass
    programs += settle_programs(sys.executable, "", orders, can, baseline=False)
    if can.dask:
        folder = split_input(orders, n)
        programs.append(Program(DASK, [dask_python(), str(HERE / "dask_driver.py"), str(folder),
                                       str(OUT / "dask-out"), str(POLICY), str(DASK_WORKERS),
                                       str(OUT / "dask-timing.json")], OUT / "dask-out", "dask"))
    if baseline is not None:
        rev, python, old = baseline
        programs += settle_programs(python, f"baseline {rev}: ", orders, old, baseline=True)
    return programs


# -- the figure check -----------------------------------------------------------------------

Figures = tuple[str, Decimal | None, Decimal | None, Decimal | None, str | None]


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _date(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def bare_figures(path: Path) -> Iterator[Figures]:
    with path.open("rb") as f:
        for line in f:
            b = loads(line)
            yield (b["order_id"], Decimal(b["platform_fee"]), Decimal(b["creator_commission"]), Decimal(b["net"]),
                   b["payout_date"])


def jsonl_figures(path: Path, *, trail_ref: bool) -> Iterator[Figures]:
    """Each line's figures; with ``trail_ref``, each line must name its plan and carry no trail."""
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            s = loads(line)
            if trail_ref and ("trail" in s or "plan" not in s):
                sys.exit(f"{path}:{number}: a --trail ref line carries a trail or names no plan")
            fee = sum((Decimal(f["amount"]) for f in s["fees"]), Decimal(0))
            yield (s["order_id"], fee, _decimal(s["creator_commission"]), _decimal(s["net"]), s["payout_date"])


# The Parquet statement's columns (issue #18; the names are the lead's to confirm: adjust here).
FEE_COLUMN_PREFIX = "fee."
ID, COMMISSION, NET, PAYOUT = "order_id", "creator_commission", "net", "payout_date"


def parquet_batch_figures(batch: Any) -> Iterator[Figures]:
    """The figures of each row of a Parquet statement's record batch: the platform fee is
    the sum of the ``fee.<code>`` columns (decimal128; null where a fee does not apply)."""
    fees = [batch.column(name).to_pylist() for name in batch.schema.names if name.startswith(FEE_COLUMN_PREFIX)]
    ids, commission, net, payout = (batch.column(name).to_pylist() for name in (ID, COMMISSION, NET, PAYOUT))
    for i, order_id in enumerate(ids):
        fee = sum((column[i] for column in fees if column[i] is not None), Decimal(0))
        yield order_id, fee, _decimal(commission[i]), _decimal(net[i]), _date(payout[i])


def _figure_columns(names: Iterable[str]) -> list[str]:
    return [name for name in names if name.startswith(FEE_COLUMN_PREFIX) or name in (ID, COMMISSION, NET, PAYOUT)]


def parquet_figures(path: Path) -> Iterator[Figures]:
    import pyarrow.parquet as pq

    statement = pq.ParquetFile(path)
    for batch in statement.iter_batches(batch_size=65_536, columns=_figure_columns(statement.schema_arrow.names)):
        yield from parquet_batch_figures(batch)


def dask_figures(folder: Path) -> Iterator[Figures]:
    """The figures of the Parquet statement parts in ``folder`` (``part-00000.parquet`` and
    on; ``_plans/``, ``_rejects/`` and the like aside), in order_id order: the synthetic
    orders' ids grow with their line, so this is input order however the parts were cut."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(p for p in folder.glob("*.parquet")
                   if not p.name.startswith(("_", ".")) and not p.name.endswith(".plans.parquet"))
    if not files:
        sys.exit(f"the Dask run wrote no Parquet statement under {folder}")
    tables = [pq.read_table(p, columns=_figure_columns(pq.read_schema(p).names)) for p in files]
    table = pa.concat_tables(tables, promote_options="default").sort_by(ID)
    for batch in table.to_batches(max_chunksize=65_536):
        yield from parquet_batch_figures(batch)


def check_figures(program: Program, bare_out: Path) -> int:
    """Exit 1 at the first order whose figures differ from bare_loop.py's, or if the counts differ."""
    if program.kind == "parquet":
        rows = parquet_figures(program.out)
    elif program.kind == "dask":
        rows = dask_figures(program.out)
    else:
        rows = jsonl_figures(program.out, trail_ref=program.kind == "jsonl-ref")
    checked = 0
    for got, want in zip_longest(rows, bare_figures(bare_out)):
        if got is None or want is None:
            sys.exit(f"{program.name}: {checked:,} orders equal, then {'the SDK' if got is None else 'the bare loop'}"
                     f"'s output ends")
        if got != want:
            sys.exit(f"figures differ ({program.name}, order {checked + 1}):\n sdk  {got}\n bare {want}")
        checked += 1
    return checked


def check(programs: list[Program], n: int) -> list[str]:
    """Every statement of this tree against bare_loop.py's (or byte for byte against its
    default-jobs twin); the notes to print (a missing plan sidecar is one)."""
    bare_out, notes = programs[0].out, []
    for program in programs:
        if program.kind in ("bare", "baseline"):
            continue
        if program.same_as is not None:
            twin = next(p for p in programs if p.name == program.same_as)
            if not filecmp.cmp(program.out, twin.out, shallow=False):
                sys.exit(f"the statement of {program.name!r} differs from the one of {twin.name!r}")
            continue
        checked = check_figures(program, bare_out)
        if checked != n:
            sys.exit(f"{program.name}: {checked:,} orders in the statement, {n:,} in the input")
        sidecar = {"parquet": program.out.with_suffix(".plans.parquet"),
                   "jsonl-ref": program.out.with_suffix(".plans.jsonl")}.get(program.kind)
        if sidecar is not None and not sidecar.exists():
            notes.append(f"{program.name}: no plan sidecar {sidecar.name} beside the statement")
    return notes


# -- Engine.quote ---------------------------------------------------------------------------

QUOTE = r"""
import json, sys, time, timeit
from shoppolicy import Engine
policy, orders = sys.argv[1:3]
with open(orders) as f:
    orders = [json.loads(f.readline()) for _ in range(2)]
engine = Engine(policy_files=[policy])
found = []
for order in orders:
    for _ in range(5000):
        engine.quote(order)
    number, repeat = 20000, 7
    scope = {"quote": engine.quote, "order": order}
    wall = min(timeit.Timer("quote(order)", globals=scope).repeat(repeat, number))
    cpu = min(timeit.Timer("quote(order)", timer=time.process_time, globals=scope).repeat(repeat, number))
    found.append({"wall_us": wall / number * 1e6, "cpu_us": cpu / number * 1e6, "order": order})
print(json.dumps(found))
"""


def quote_latency(python: str, orders: Path) -> list[dict[str, Any]]:
    """``Engine.quote`` of the first two synthetic orders (the first has an affiliate plan,
    so a creator commission and a gap for its payout date; the second has none and is
    complete), each given as a dict, on a warm engine with the bench policy, in a fresh
    process: µs per call, best of 7 × 20,000 (timeit: one thread, the garbage collector
    off while timing), by wall clock and by CPU time."""
    done = subprocess.run([python, "-c", QUOTE, str(POLICY), str(orders)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"Engine.quote measurement failed:\n{done.stderr[-2000:]}")
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def quote_turns(pythons: dict[str, str], orders: Path, rounds: int) -> dict[str, list[dict[str, Any]]]:
    """``quote_latency`` of each interpreter, taking turns ``rounds`` times; the best of each."""
    best: dict[str, list[dict[str, Any]]] = {}
    for _ in range(rounds):
        for who, python in pythons.items():
            found = quote_latency(python, orders)
            if who not in best:
                best[who] = found
                continue
            for mine, new in zip(best[who], found, strict=True):
                for key in ("wall_us", "cpu_us"):
                    mine[key] = min(mine[key], new[key])
    return best


# -- the machine ----------------------------------------------------------------------------

def machine() -> list[str]:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
        memory = f", {kib / 1024 ** 2:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass

    def version(dist: str) -> str:
        try:
            return f"{dist} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            return f"{dist} not installed"

    rev = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return [
        f"machine: {model}, {os.cpu_count()} cores ({usable} usable){memory}; {platform.system()} "
        f"{platform.release()} {platform.machine()}",
        f"python {platform.python_version()} ({platform.python_implementation()}); "
        + ", ".join(version(d) for d in ("pyarrow", "orjson", "dask", "distributed")),
        f"shoppolicy at {rev.stdout.strip() or 'unknown revision'}; "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
    ]


# -- one size -------------------------------------------------------------------------------

def byte_compile() -> None:
    """Byte-compile the SDK and plugins, as pip does when it installs a wheel.

    An editable install, run where PYTHONDONTWRITEBYTECODE is set (it is on the machine
    of docs/batch.md's figures), would otherwise compile every module again on each run:
    about 0.1 s of start-up that no installed copy pays (the bare loops import only the
    standard library, which is compiled already).
    """
    import compileall

    import shoppolicy
    import shoppolicy_douyin
    import shoppolicy_tiktok

    for package in (shoppolicy, shoppolicy_douyin, shoppolicy_tiktok):
        for folder in package.__path__:
            compileall.compile_dir(folder, quiet=1)


def baseline_python(rev: str) -> str:
    """The interpreter of a virtual environment with the code of ``rev`` installed (made once)."""
    tree = OUT / f"baseline-{rev}"
    python = tree / ".venv" / "bin" / "python"
    if not python.exists():
        OUT.mkdir(exist_ok=True)
        if not tree.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True)
        subprocess.run([sys.executable, "-m", "venv", str(tree / ".venv")], check=True)
        extras = "fast"
        pyproject = (tree / "pyproject.toml").read_text()
        extras += "".join(f",{extra}" for extra in ("columnar", "distributed") if f"\n{extra} = " in pyproject)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", f"{tree}[{extras}]", "-e",
                        str(tree / "plugins" / "douyin"), "-e", str(tree / "plugins" / "tiktok")], check=True)
    return str(python)


def dask_python() -> str:
    """The interpreter of a virtual environment with this tree and Dask installed (made
    once; the tree installed editable).  The other programs run without Dask: Dask brings
    pandas, which pyarrow imports at its first compute call (some 0.2 s a process) when
    it is installed, and ``shoppolicy[columnar]`` alone does not bring it."""
    env = OUT / "dask-env"
    python = env / "bin" / "python"
    if not python.exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", f"{ROOT}[fast,columnar,distributed]",
                        "-e", str(ROOT / "plugins" / "douyin"), "-e", str(ROOT / "plugins" / "tiktok")], check=True)
    return str(python)


def orders_file(n: int) -> Path:
    OUT.mkdir(exist_ok=True)
    orders = OUT / f"orders-{n}.jsonl"
    if not orders.exists():
        subprocess.run([sys.executable, str(SHARED / "gen_orders.py"), str(n), str(orders)], check=True)
    return orders


def run(n: int, repeat: int, can: Features, baseline: tuple[str, str, Features] | None) -> list[Program]:
    orders = orders_file(n)
    programs = programs_for(n, orders, can, baseline)
    before = os.getloadavg()[0]
    for _ in range(repeat):  # the programs take turns, so a slow minute hits them all alike
        for program in programs:
            # Each program writes a new file, and starts with nothing of the last one's
            # left to write back: removing the previous round's output (1.7 GB for the
            # full-trail statement at 1M orders) and the disk's catching up are not timed.
            program.clear()
            os.sync()
            program.run()
    after = os.getloadavg()[0]
    notes = check(programs, n)
    report(n, repeat, programs, notes, (before, after))
    return programs


def ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}" if b else "-"


def report(n: int, repeat: int, programs: list[Program], notes: list[str], load: tuple[float, float]) -> None:
    bare = programs[0]
    oj = next((p for p in programs if p.name == BARE_OJ), None)
    load = " / ".join(f"{x:.2f}" for x in load)
    print(f"\n{n:,} orders  (best of {repeat}; {os.cpu_count()} cores; load average before / after: {load})")
    width = max(len(p.name) for p in programs)
    print(f"{'program':{width}s} {'wall s':>7s} {'cpu s':>7s} {'cpu/wall':>8s} {'RSS MB':>7s} {'wall/bare':>9s} "
          f"{'cpu/bare':>8s} {'wall/oj':>7s} {'cpu/oj':>7s} {'orders/s':>10s}")
    for p in programs:
        wall, peak, cpu = p.best
        print(f"{p.name:{width}s} {wall:7.2f} {cpu:7.2f} {cpu / wall:8.2f} {peak / 1024:7.1f} "
              f"{ratio(wall, bare.best[0]):>9s} {ratio(cpu, bare.best[2]):>8s} {ratio(wall, oj and oj.best[0]):>7s} "
              f"{ratio(cpu, oj and oj.best[2]):>7s} {n / wall:10,.0f}")
        if p.inner:
            print(f"{'':4s}of which: {p.inner['cluster_start']:.2f} s to start the cluster, "
                  f"{p.inner['settle_dask']:.2f} s in settle_dask")
    print("bare: bare_loop.py, stdlib json, one thread; oj: bare_loop_orjson.py, one thread.  settle uses orjson "
          "unless marked stdlib json; default jobs: Arrow may use every core, --jobs 1: one CPU thread.")
    checked = [p.name for p in programs if p.kind not in ("bare", "baseline")]
    print(f"figures equal to bare_loop.py's for all {n:,} orders: {len(checked)} statements "
          f"({', '.join(checked)})")
    if any(p.kind == "baseline" for p in programs):
        print("(baseline statements are timed, not checked)")
    for note in notes:
        print(f"note: {note}")


# -- the targets ----------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def targets(results: dict[int, list[Program]], quotes: dict[str, list[dict[str, Any]]], skipped: tuple[str, ...],
            base_rev: str | None, quote_rounds: int) -> None:
    sizes = sorted(results)
    width = 20

    def find(n: int, name: str) -> Program | None:
        return next((p for p in results[n] if p.name == name), None)

    def row(label: str, cell: Any) -> None:
        print(f"{label:56s}" + "".join(f"{cell(n):>{width}s}" for n in sizes))

    def target(label: str, name: str, limit: float, measure: int) -> None:
        def cell(n: int) -> str:
            p, bare = find(n, name), results[n][0]
            if p is None:
                return "skipped"
            x = p.best[measure] / bare.best[measure]
            return f"{x:.2f}x {verdict(x <= limit)}"
        row(label, cell)

    print("\n" + "=" * (56 + width * len(sizes)))
    print("issue #18: the targets (multiples of bare_loop.py: stdlib json, one thread)")
    for line in machine():
        print(line)
    row("", lambda n: f"{n:,} orders")
    target(f"Parquet wall <= {PARQUET_WALL}x (default jobs, orjson)", f"{PARQUET} (default jobs)", PARQUET_WALL, 0)
    target(f"Parquet CPU <= {PARQUET_CPU}x (default jobs, orjson)", f"{PARQUET} (default jobs)", PARQUET_CPU, 2)
    target(f"JSONL --trail ref wall <= {TRAIL_REF_WALL}x (default jobs)", f"{TRAIL_REF} (default jobs)",
           TRAIL_REF_WALL, 0)

    def rss(n: int) -> str:
        own = [p for p in results[n] if p.kind in ("parquet", "jsonl", "jsonl-ref")]
        top = max(own, key=lambda p: p.best[1])
        mb = top.best[1] / 1024
        return f"{mb:.0f} MB {verdict(mb < PEAK_RSS_MB)}"
    row(f"peak RSS < {PEAK_RSS_MB} MB (the largest of the settle runs, Dask aside)", rss)
    row("figures equal to bare_loop.py's, every order", lambda n: f"{n:,} PASS")
    print("like with like (same JSON library or same cores on both sides):")
    for label, name, floor, measure in (
            ("  Parquet, stdlib json / bare_loop.py, wall", f"{PARQUET}, stdlib json", BARE, 0),
            ("  Parquet, stdlib json / bare_loop.py, CPU", f"{PARQUET}, stdlib json", BARE, 2),
            ("  Parquet --jobs 1 / bare_loop_orjson.py, wall", f"{PARQUET} --jobs 1", BARE_OJ, 0),
            ("  Parquet --jobs 1 / bare_loop_orjson.py, CPU", f"{PARQUET} --jobs 1", BARE_OJ, 2),
            ("  --trail ref, stdlib json / bare_loop.py, wall", f"{TRAIL_REF}, stdlib json", BARE, 0),
            ("  --trail ref --jobs 1 / bare_loop_orjson.py, wall", f"{TRAIL_REF} --jobs 1", BARE_OJ, 0)):
        def cell(n: int, name: str = name, floor: str = floor, measure: int = measure) -> str:
            p, f = find(n, name), find(n, floor)
            return f"{p.best[measure] / f.best[measure]:.2f}x" if p and f else "skipped"
        row(label, cell)

    def dask(n: int) -> str:
        p, single = find(n, DASK), find(n, f"{PARQUET} (default jobs)")
        return f"{p.best[0]:.2f} s / {single.best[0]:.2f} s" if p and single else "skipped"
    row(f"Dask ({DASK_FILES} files, {DASK_WORKERS} workers) / one process, Parquet wall", dask)
    row("  of which in settle_dask (cluster started)",
        lambda n: f"{p.inner['settle_dask']:.2f} s" if (p := find(n, DASK)) and p.inner else "skipped")
    print("  (no target: the two Dask workers share the same 2 cores the single process uses)")

    print("cost per order (µs, wall; marginal: between the smallest and the largest N) and peak RSS (MB):")
    names = max(len(p.name) for p in results[sizes[0]])
    for p in results[sizes[0]]:
        runs = [find(n, p.name) for n in sizes]
        cells = [f"{q.best[0] / n * 1e6:.2f} µs {q.best[1] / 1024:.0f} MB" if q else "-"
                 for q, n in zip(runs, sizes, strict=True)]
        extra = ""
        if len(sizes) > 1 and runs[0] and runs[-1]:
            marginal = (runs[-1].best[0] - runs[0].best[0]) / (sizes[-1] - sizes[0])
            fixed = runs[0].best[0] - marginal * sizes[0]
            extra = f"  marginal {marginal * 1e6:.2f} µs, fixed {fixed:.2f} s"
        print(f"  {p.name:{names}s}" + "".join(f"{c:>{width}s}" for c in cells) + extra)

    print(f"Engine.quote, one warm tiktok-us order given as a dict; best of {quote_rounds} processes taking turns "
          f"x 7 x 20,000 calls in one thread, timeit (gc off); µs per call, wall / CPU:")
    for i, measured in enumerate(quotes["this tree"]):
        order = measured["order"]
        cells = "".join(f"   {who}: {q[i]['wall_us']:.2f} / {q[i]['cpu_us']:.2f}" for who, q in quotes.items())
        what = (f"{order['order_id']} ({order['category']}, "
                f"{'plan ' + order['affiliate_plan'] if order['affiliate_plan'] else 'no affiliate plan'})")
        if base_rev is None:
            judged = (f"{measured['wall_us'] / QUOTE_WAS_US:.2f}x docs/batch.md's {QUOTE_WAS_US} µs "
                      f"(another run, its order not recorded: --baseline-rev gives the verdict)")
        else:
            now, was = measured["wall_us"], quotes[base_rev][i]["wall_us"]
            judged = (f"{now / was:.2f}x baseline {base_rev}: no regression (within {QUOTE_NOISE:.0%}) "
                      f"{verdict(now <= was * (1 + QUOTE_NOISE))}")
        print(f"  {what}:{cells};  {judged}")
    for note in skipped:
        print(f"note: {note}")


def main(argv: list[str]) -> None:
    args = argv[:]
    repeats = 3
    base_rev: str | None = None
    while args[:1] in (["--repeat"], ["--baseline-rev"]):
        if args[0] == "--repeat":
            repeats = int(args[1])
        else:
            base_rev = args[1]
        args = args[2:]
    sizes = [int(a) for a in args] or [100_000, 1_000_000]
    byte_compile()
    for line in machine():
        print(line)
    first = orders_file(min(sizes))
    can = probe(sys.executable, first, "this tree")
    skipped = can.notes
    baseline = None
    pythons = {"this tree": sys.executable}
    if base_rev is not None:
        python = baseline_python(base_rev)
        old = probe(python, first, f"baseline {base_rev}")
        skipped += old.notes
        baseline = (base_rev, python, old)
        pythons[base_rev] = python
    quote_rounds = max(repeats, 3)
    quotes = quote_turns(pythons, first, quote_rounds)
    for note in skipped:
        print(f"note: {note}")
    results = {size: run(size, repeats, can, baseline) for size in sizes}
    targets(results, quotes, skipped, base_rev, quote_rounds)


if __name__ == "__main__":
    main(sys.argv[1:])
