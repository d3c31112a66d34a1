"""The batch benchmark: ``shoppolicy settle`` against the hand-written bare loops.

usage: python tests/bench/bench_settle.py [N ...]   (default: 100000 1000000)

For each N it generates N synthetic tiktok-us orders with ../shared/bench/gen_orders.py,
then in the same run times, as whole processes: ``bare_loop.py`` (stdlib json),
``bare_loop_orjson.py`` when orjson is installed, and ``shoppolicy settle`` with the
synthetic policy of ``bench-policy.toml`` (the same category rates and settlement periods
the bare loops hard-code), single-process and with one worker per core.  It prints
wall time, the ratio to the stdlib loop, orders per second and peak resident memory, and
checks that the SDK's figures equal the bare loop's, order by order.

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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHARED = Path(os.environ.get("SHOPPOLICY_SHARED", ROOT.parent / "shared")) / "bench"
OUT = ROOT / "bench-out"


def peak_rss(cmd: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one command, via /usr/bin/time -v when present,
    else the children's rusage."""
    if Path("/usr/bin/time").exists():
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
        for line in done.stderr.decode().splitlines():
            if "Maximum resident set size" in line:
                return elapsed, int(line.split(":")[1])
        return elapsed, 0
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


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


def run(n: int) -> None:
    OUT.mkdir(exist_ok=True)
    orders = OUT / f"orders-{n}.jsonl"
    if not orders.exists():
        subprocess.run([sys.executable, str(SHARED / "gen_orders.py"), str(n), str(orders)], check=True)
    policy = HERE / "bench-policy.toml"
    shoppolicy = [sys.executable, "-m", "shoppolicy", "--policy", str(policy), "settle", str(orders),
                  "--no-progress", "--summary", str(OUT / "summary.json")]
    rows: list[tuple[str, float, int]] = []
    bare_t, bare_m = peak_rss([sys.executable, str(SHARED / "bare_loop.py"), str(orders), str(OUT / "bare.jsonl")])
    rows.append(("bare_loop.py (stdlib json)", bare_t, bare_m))
    try:
        import orjson  # noqa: F401
        t, m = peak_rss([sys.executable, str(SHARED / "bare_loop_orjson.py"), str(orders), str(OUT / "bare-oj.jsonl")])
        rows.append(("bare_loop_orjson.py", t, m))
    except ImportError:
        pass
    variants = [("", {}), (" (stdlib json)", {"SHOPPOLICY_NO_ORJSON": "1"})]
    for jobs in (1, os.cpu_count() or 1):
        for label, env in variants:
            cmd = [*shoppolicy, "--jobs", str(jobs), "--out", str(OUT / f"sdk-{jobs}.jsonl")]
            t, m = peak_rss(["env", *(f"{k}={v}" for k, v in env.items()), *cmd])
            rows.append((f"shoppolicy settle --jobs {jobs}{label}", t, m))
    checked = compare(OUT / "sdk-1.jsonl", OUT / "bare.jsonl")
    print(f"\n{n:,} orders  (python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()})")
    print(f"{'program':34s} {'seconds':>8s} {'x bare':>7s} {'orders/s':>10s} {'peak RSS MB':>12s}")
    for name, t, m in rows:
        print(f"{name:34s} {t:8.2f} {t / bare_t:7.2f} {n / t:10,.0f} {m / 1024:12.1f}")
    print(f"figures checked equal to bare_loop.py for {checked:,} orders")


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]:
        run(size)
