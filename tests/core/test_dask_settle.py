"""``settle --dask`` and :func:`shoppolicy.dask_settle.settle_dask`: many files over Dask
equal to one process, file by file (statement, rejects) and in total (summary); the
refusals; the engine each worker builds for itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from shoppolicy import Engine
from shoppolicy.batch import run_settle
from shoppolicy.cli import cli
from shoppolicy.dask_settle import (
    PARTITION_FORMAT,
    SUMMARY_NAME,
    _scheduler_kind,
    order_files,
    settle_dask,
    worker_engine,
    write_summary,
)
from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.settle import Summary

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SHOPPOLICY_SHARED", ROOT.parent / "shared")) / "bench"
POLICY = str(ROOT / "tests" / "bench" / "bench-policy.toml")  # synthetic rates: the generated orders' keys
FILES = 4


def _rows(path: str | Path) -> list[Any]:
    """A statement part's rows, in file order (JSON Lines or Parquet)."""
    if str(path).endswith(".parquet"):
        import pyarrow.parquet as pq

        return list(pq.read_table(path).to_pylist())
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 generated orders in 4 files, with a bad amount in the first file and an
    order_id repeated within the second."""
    generator = SHARED / "gen_orders.py"
    if not generator.is_file():
        pytest.skip(f"no order generator at {generator} (set SHOPPOLICY_SHARED to the shared directory)")
    folder = tmp_path_factory.mktemp("dask-in")
    everything = folder / "all.jsonl.txt"  # not an input: *.jsonl and *.csv are
    subprocess.run([sys.executable, str(generator), "4000", str(everything)], check=True)
    lines = everything.read_text().splitlines()
    size = len(lines) // FILES
    for i in range(FILES):
        part = lines[i * size:(i + 1) * size]
        if i == 0:
            bad = dict(json.loads(part[10]), order_id="BAD-AMOUNT", amount="12.3.4")
            part.insert(500, json.dumps(bad))
        if i == 1:
            part.append(part[7])  # the same order_id again, within one file
        (folder / f"orders-{i}.jsonl").write_text("\n".join(part) + "\n")
    return folder


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(policy_files=[POLICY])


@pytest.fixture(scope="module")
def reference(inputs: Path, engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One process: each file settled in turn (statement and rejects per file), and all
    the orders as one file (the totals)."""
    out = tmp_path_factory.mktemp("dask-ref")
    files = order_files(str(inputs))
    summaries = []
    for i, name in enumerate(files):
        summaries.append(Summary())
        run_settle(engine, name, out=str(out / f"part-{i}.{PARTITION_FORMAT}"), rejects=str(out / f"rejects-{i}"),
                   summary_file=os.devnull, out_format=PARTITION_FORMAT, progress=False, summary=summaries[-1])
    whole = out / "whole-orders.jsonl"
    whole.write_text("".join(Path(name).read_text() for name in files))
    total = Summary()
    run_settle(engine, str(whole), out=str(out / f"whole.{PARTITION_FORMAT}"), rejects=str(out / "whole-rejects"),
               summary_file=os.devnull, out_format=PARTITION_FORMAT, progress=False, summary=total)
    write_summary(total, str(out / "summary.json"))
    return {"files": files, "dir": out, "summaries": summaries, "total": total}


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The address of a LocalCluster of 2 worker processes, 1 thread each."""
    distributed = pytest.importorskip("distributed", reason="settle --dask on a cluster needs the distributed extra")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                                  silence_logs=50) as local:
        yield local.scheduler_address


def test_settle_dask_on_a_two_worker_cluster_equals_one_process(
        inputs: Path, reference: dict[str, Any], cluster: str, tmp_path: Path) -> None:
    out, rejects = tmp_path / "statement", tmp_path / "rejects.jsonl"
    result = settle_dask(str(inputs), str(out), scheduler=cluster, policy_files=[POLICY], rejects=str(rejects))
    ref: Path = reference["dir"]
    files: list[str] = reference["files"]
    assert [p.input for p in result.partitions] == files and len(files) == FILES
    # Statement: each part is its file's statement, row for row; together, the one process's rows.
    for i, part in enumerate(result.partitions):
        assert part.statement == str(out / f"part-{i:05d}.{PARTITION_FORMAT}")
        assert _rows(part.statement) == _rows(ref / f"part-{i}.{PARTITION_FORMAT}")
        if part.plans is not None:
            assert _rows(part.plans) == _rows(ref / f"part-{i}.plans.parquet")
    every_part = [r for p in result.partitions for r in _rows(p.statement)]
    assert sorted(map(_key, every_part)) == sorted(map(_key, _rows(ref / f"whole.{PARTITION_FORMAT}")))
    # Rejects: each file's, numbered within it; together with the file they come from.
    expected = [{"file": name, **json.loads(line)} for i, name in enumerate(files)
                for line in (ref / f"rejects-{i}").read_text().splitlines()]
    assert [json.loads(line) for line in rejects.read_text().splitlines()] == expected
    assert [(r["file"], r["line"], r["order_id"], r["field"]) for r in expected] == [
        (files[0], 501, "BAD-AMOUNT", "amount"), (files[1], 1001, "O000001007", "order_id")]
    for i, part in enumerate(result.partitions):
        assert Path(part.rejects).read_text() == (ref / f"rejects-{i}").read_text()
    # Totals: exact, per file and merged, and the merged ones those of the whole in one process.
    assert [p.summary.as_dict() for p in result.partitions] == [s.as_dict() for s in reference["summaries"]]
    assert result.summary.as_dict() == reference["total"].as_dict()
    assert result.summary_file == str(out / SUMMARY_NAME)
    assert Path(result.summary_file).read_text() == (ref / "summary.json").read_text()
    assert (result.rejected, result.code) == (2, 3)
    assert sorted(os.listdir(tmp_path)) == ["rejects.jsonl", "statement"]  # nothing left beside


def test_settle_dask_cli_synchronous(inputs: Path, reference: dict[str, Any], tmp_path: Path) -> None:
    pytest.importorskip("dask", reason="settle --dask needs dask (the distributed extra)")
    out, summary = tmp_path / "out", tmp_path / "summary.json"
    result = CliRunner().invoke(cli, ["--policy", POLICY, "settle", str(inputs), "--dask", "synchronous",
                                      "--out", str(out), "--summary", str(summary)])
    assert result.exit_code == 3, result.output
    assert summary.read_text() == (out / SUMMARY_NAME).read_text() == (reference["dir"] / "summary.json").read_text()
    plans = ["_plans"] if PARTITION_FORMAT == "parquet" else []
    assert sorted(os.listdir(out)) == [*plans, "_rejects", SUMMARY_NAME, *(f"part-{i:05d}.{PARTITION_FORMAT}"
                                                                           for i in range(FILES))]
    # Without --rejects each reject is a line on standard error, naming its file and line, as settle reports it.
    assert f"rejected: {reference['files'][0]}, line 501: field 'amount': " in result.stderr
    assert f"rejected: {reference['files'][1]}, line 1001: field 'order_id': " in result.stderr


def test_settle_dask_cli_usage_errors(inputs: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    no_out = runner.invoke(cli, ["settle", str(inputs), "--dask"])
    assert no_out.exit_code == 2
    assert "--dask writes a directory of statement parts: name it with --out DIR" in no_out.stderr
    # --dask takes an optional value: given just before INPUT, it takes INPUT as its scheduler.
    swallowed = runner.invoke(cli, ["settle", "--dask", str(inputs), "--out", str(tmp_path / "o")])
    assert swallowed.exit_code == 2
    assert f"to settle the files of {inputs}, write --dask after INPUT or --dask=local" in swallowed.stderr
    directory = runner.invoke(cli, ["settle", str(inputs), "--out", str(tmp_path / "o")])
    assert directory.exit_code == 2 and "is a directory; settle --dask settles every file" in directory.stderr


def _key(row: Any) -> str:
    """A statement row as text, to compare rows regardless of their order (and of their
    line number, which counts within each input file)."""
    return json.dumps({k: v for k, v in row.items() if k != "line"}, sort_keys=True, default=str)


def _one_line_error(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return str(lines[0])


def test_settle_dask_refuses_what_it_cannot_do(inputs: Path, tmp_path: Path) -> None:
    pytest.importorskip("dask", reason="settle --dask needs dask (the distributed extra)")
    one = str(inputs / "orders-0.jsonl")
    empty = tmp_path / "empty"
    empty.mkdir()
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("")
    cases = [
        ((str(empty), str(tmp_path / "o")), {}, f"{empty} matches no order file (*.jsonl or *.csv)"),
        ((str(inputs / "*.csv"), str(tmp_path / "o")), {}, f"{inputs / '*.csv'} matches no order file"),
        ((str(tmp_path / "nowhere"), str(tmp_path / "o")), {}, f"cannot read {tmp_path / 'nowhere'}: no such file"),
        (("-", str(tmp_path / "o")), {}, "standard input (-) cannot be split into partitions"),
        (([one, one], str(tmp_path / "o")), {}, f"{one} is named twice among the inputs"),
        ((one, str(full)), {}, f"the output directory {full} is not empty"),
        ((one, one), {}, f"the output directory {one} exists and is not a directory"),
        ((one, str(tmp_path / "o")), {"rejects": one}, f"--rejects {one} names the same file as the input file"),
        ((one, str(tmp_path / "o")), {"scheduler": "nonsense"}, "'nonsense' is not a scheduler: local"),
    ]
    for args, options, message in cases:
        with pytest.raises(ShopPolicyError) as caught:
            settle_dask(*args, policy_files=[POLICY], **options)
        assert message in str(caught.value), (args, options)
    assert sorted(os.listdir(tmp_path)) == ["empty", "full"]  # nothing was written


def test_settle_dask_refuses_without_dask_or_distributed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    try:
        import dask  # noqa: F401
    except ImportError:
        pass
    else:  # without distributed, the default is dask's processes scheduler (one machine, no cluster)
        monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed: importing it fails
        assert (_scheduler_kind("local"), _scheduler_kind("threads")) == ("dask", "dask")
        with pytest.raises(ShopPolicyError, match=r"^the scheduler address tcp://10\.0\.0\.1:8786 needs "
                                                  r"distributed: pip install 'shoppolicy\[distributed\]'$"):
            _scheduler_kind("tcp://10.0.0.1:8786")
    monkeypatch.setitem(sys.modules, "dask", None)
    for scheduler in ("local", "synchronous", "tcp://10.0.0.1:8786"):
        with pytest.raises(ShopPolicyError, match=r"^settling with Dask needs dask: pip install"):
            _scheduler_kind(scheduler)
    result = CliRunner().invoke(cli, ["settle", str(tmp_path), "--dask", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert _one_line_error(result) == "error: settling with Dask needs dask: pip install 'shoppolicy[distributed]'"
    assert os.listdir(tmp_path) == []


def test_a_failed_run_leaves_no_output_directory(inputs: Path, tmp_path: Path) -> None:
    pytest.importorskip("dask", reason="settle --dask needs dask (the distributed extra)")
    bad = tmp_path / "bad.toml"
    bad.write_text('[policy]\nmarket = "tiktok-us"\n[[values]]\nrule = "TT-FEE-1"\n')
    result = CliRunner().invoke(cli, ["--policy", str(bad), "settle", str(inputs), "--dask=synchronous",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert _one_line_error(result).startswith(f"error: {bad}: values[0].key: ")
    assert sorted(os.listdir(tmp_path)) == ["bad.toml"]  # no out, no .out.*.part


def test_each_worker_builds_its_engine_once_and_again_when_a_policy_file_changes(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(Path(POLICY).read_text())
    first = worker_engine([str(policy)])
    assert worker_engine([str(policy)]) is first
    stat = policy.stat()
    os.utime(policy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert worker_engine([str(policy)]) is not first


def test_a_worker_error_reaches_the_client_as_one_line(inputs: Path, cluster: str, tmp_path: Path) -> None:
    # A policy file error's class takes more than its message: it is sent on as the base class.
    with pytest.raises(ShopPolicyError, match=r"values\[0\]\.key: required field missing") as caught:
        bad = tmp_path / "bad.toml"
        bad.write_text('[policy]\nmarket = "tiktok-us"\n[[values]]\nrule = "TT-FEE-1"\n')
        settle_dask(str(inputs / "orders-0.jsonl"), str(tmp_path / "out"), scheduler=cluster, policy_files=[str(bad)])
    assert type(caught.value) is ShopPolicyError
    assert not isinstance(caught.value, InputError)
    assert sorted(os.listdir(tmp_path)) == ["bad.toml"]
