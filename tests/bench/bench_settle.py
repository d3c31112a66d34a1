"""The batch benchmark: ``shoppolicy settle`` against the hand-written bare loops.

usage: python tests/bench/bench_settle.py [--repeat R] [--baseline-rev REV] [N ...]
       (default: R=3, N=100000 1000000)

For each N it generates N synthetic tiktok-us orders with ../shared/bench/gen_orders.py,
then in the same run times, as whole processes: ``bare_loop.py`` (stdlib json),
``bare_loop_orjson.py`` when orjson is installed, and ``shoppolicy settle`` with the
synthetic policy of ``bench-policy.toml`` (the same category rates and settlement periods
the bare loops hard-code): as it runs by default (one worker per core for a large file),
in one process, and with the standard library's json.  Each program runs R times, the
programs taking turns, and the best time of each is reported (the machine's speed
varies from minute to minute; taking turns exposes every program to it alike).  Before
each run, untimed, the program's output from the round before is removed and the disk
synced, so every run writes a new file and none waits on another's write-back.  It
prints wall time, the ratio to the stdlib loop, orders per second and peak resident
memory of the whole process tree (workers included), and checks that the SDK's figures
equal the bare loop's, order by order.

With ``--baseline-rev REV`` the code of another commit (say, the one before a change)
is installed beside this one (a git worktree and a virtual environment under
``bench-out/``) and its ``settle`` takes its turns in the same run, so a before/after
comparison shares the machine's minute, its cores and its JSON library.  Each program's
CPU time (user + system, of the whole process tree) is reported beside its wall time.

The policy values are synthetic and only for this benchmark; they are not policy.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from shoppolicy.batch import default_jobs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHARED = Path(os.environ.get("SHOPPOLICY_SHARED", ROOT.parent / "shared")) / "bench"
OUT = ROOT / "bench-out"


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
    command and its child processes; memory sampled every 50 ms from /proc (the largest
    process's, by rusage, where /proc is missing)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    peak = 0
    sampling = Path("/proc").is_dir()
    while proc.poll() is None:
        if sampling:
            peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        assert proc.stderr is not None
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.read().decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not sampling:
        peak = after.ru_maxrss
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, peak, cpu


def compare(sdk_out: Path, bare_out: Path) -> int:
    """Check the SDK's statement equals the bare loop's figures order by order."""
    checked = 0
    with sdk_out.open() as sdk, bare_out.open() as bare:
        for s_line, b_line in zip(sdk, bare, strict=True):
            s, b = json.loads(s_line), json.loads(b_line)
            fee = sum((Decimal(f["amount"]) for f in s["fees"]), Decimal(0))
            got = (s["order_id"], fee, Decimal(s["creator_commission"]), Decimal(s["net"]), s["payout_date"])
            want = (b["order_id"], Decimal(b["platform_fee"]), Decimal(b["creator_commission"]), Decimal(b["net"]),
                    b["payout_date"])
            if got != want:
                sys.exit(f"figures differ:\n sdk  {got}\n bare {want}")
            checked += 1
    return checked


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
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", f"{tree}[fast]", "-e",
                        str(tree / "plugins" / "douyin"), "-e", str(tree / "plugins" / "tiktok")], check=True)
    return str(python)


def run(n: int, repeat: int, baseline: tuple[str, str] | None = None) -> None:
    OUT.mkdir(exist_ok=True)
    orders = OUT / f"orders-{n}.jsonl"
    if not orders.exists():
        subprocess.run([sys.executable, str(SHARED / "gen_orders.py"), str(n), str(orders)], check=True)
    policy = HERE / "bench-policy.toml"
    settle = [sys.executable, "-m", "shoppolicy", "--policy", str(policy), "settle", str(orders), "--no-progress",
              "--summary", str(OUT / "summary.json")]
    # (name, command, environment, the file it writes)
    programs: list[tuple[str, list[str], dict[str, str], Path]] = [
        ("bare_loop.py (stdlib json)", [sys.executable, str(SHARED / "bare_loop.py"), str(orders),
                                        str(OUT / "bare.jsonl")], {}, OUT / "bare.jsonl")]
    try:
        import orjson  # noqa: F401
        programs.append(("bare_loop_orjson.py", [sys.executable, str(SHARED / "bare_loop_orjson.py"), str(orders),
                                                 str(OUT / "bare-oj.jsonl")], {}, OUT / "bare-oj.jsonl"))
    except ImportError:
        pass
    programs += [
        ("shoppolicy settle (default jobs)", [*settle, "--out", str(OUT / "sdk.jsonl")], {}, OUT / "sdk.jsonl"),
        ("shoppolicy settle --jobs 1", [*settle, "--jobs", "1", "--out", str(OUT / "sdk-1.jsonl")], {},
         OUT / "sdk-1.jsonl"),
        ("settle, default jobs, stdlib json", [*settle, "--out", str(OUT / "sdk-stdlib.jsonl")],
         {"SHOPPOLICY_NO_ORJSON": "1"}, OUT / "sdk-stdlib.jsonl"),
    ]
    if baseline is not None:
        rev, python = baseline
        old = [python, *settle[1:]]
        programs += [
            (f"baseline {rev} (default jobs)", [*old, "--out", str(OUT / "base.jsonl")], {}, OUT / "base.jsonl"),
            (f"baseline {rev} --jobs 1", [*old, "--jobs", "1", "--out", str(OUT / "base-1.jsonl")], {},
             OUT / "base-1.jsonl"),
        ]
    best: dict[str, tuple[float, int, float]] = {}
    for _ in range(repeat):  # the programs take turns, so a slow minute hits them all alike
        for name, cmd, env, written in programs:
            # Each program writes a new file, and starts with nothing of the last one's
            # left to write back: removing the previous round's output (1.7 GB for the
            # SDK at 1M orders) and the disk's catching up are not timed.
            written.unlink(missing_ok=True)
            os.sync()
            t, m, cpu = timed(cmd, env)
            seen = best.get(name, (float("inf"), 0, float("inf")))
            best[name] = (min(seen[0], t), max(seen[1], m), min(seen[2], cpu))
    checked = compare(OUT / "sdk.jsonl", OUT / "bare.jsonl")
    if (OUT / "sdk.jsonl").read_bytes() != (OUT / "sdk-1.jsonl").read_bytes():
        sys.exit("the statement written by workers differs from the one-process statement")
    bare_t = best[programs[0][0]][0]
    jobs = default_jobs(str(orders))
    print(f"\n{n:,} orders  (python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}; "
          f"default jobs here: {jobs}; best of {repeat})")
    bare_cpu = best[programs[0][0]][2]
    print(f"{'program':40s} {'wall s':>7s} {'x bare':>7s} {'cpu s':>7s} {'x bare':>7s} {'orders/s':>10s} "
          f"{'peak RSS MB':>12s}")
    for name, *_ in programs:
        t, m, cpu = best[name]
        print(f"{name:40s} {t:7.2f} {t / bare_t:7.2f} {cpu:7.2f} {cpu / bare_cpu:7.2f} {n / t:10,.0f} "
              f"{m / 1024:12.1f}")
    print(f"figures checked equal to bare_loop.py for {checked:,} orders")


if __name__ == "__main__":
    args = sys.argv[1:]
    repeats = 3
    base: tuple[str, str] | None = None
    while args[:1] in (["--repeat"], ["--baseline-rev"]):
        if args[0] == "--repeat":
            repeats = int(args[1])
        else:
            base = (args[1], baseline_python(args[1]))
        args = args[2:]
    byte_compile()
    for size in [int(a) for a in args] or [100_000, 1_000_000]:
        run(size, repeats, base)
