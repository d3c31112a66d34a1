"""The benchmark's Dask run: ``settle_dask`` on a LocalCluster of single-threaded worker processes.

usage: python tests/bench/dask_driver.py IN_DIR OUT_DIR POLICY WORKERS TIMING.json

bench_settle.py times this whole process (imports, the cluster's start and shutdown
included); TIMING.json gets the seconds it took to start the cluster and the seconds
spent in ``settle_dask`` alone, which the benchmark prints beside them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(src: str, out: str, policy: str, workers: int, timing: str) -> None:
    start = time.perf_counter()
    from dask.distributed import LocalCluster

    from shoppolicy.dask_settle import settle_dask

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        ready = time.perf_counter()
        # The folder as the input (its *.jsonl files, sorted, one task each), the cluster's
        # address as the scheduler, and Parquet parts (settle_dask writes JSON Lines unless
        # told), so the run compares with the single process writing Parquet.
        settle_dask(src, out, scheduler=cluster.scheduler_address, policy_files=[policy],
                    statement_format="parquet")
        done = time.perf_counter()
    Path(timing).write_text(json.dumps({"cluster_start": ready - start, "settle_dask": done - ready}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
