"""Every check of the project: tests on each supported Python, lint, types, docs, bench.

`nox` (no arguments) runs what CI runs: tests on every installed Python 3.10-3.13, lint
and types.  `nox -s docs` builds the docs with warnings as errors, `nox -s bench` runs the
batch benchmark.  Interpreters installed through pyenv are found even when they are not
on PATH (pyenv only exposes its global version).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
ROOT = Path(__file__).parent
LOCAL_PACKAGES = ["-e", ".", "-e", "plugins/douyin", "-e", "plugins/tiktok"]

nox.options.sessions = ["tests", "lint", "types", "docs", "conformance"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True


def _expose_pyenv_interpreters() -> None:
    """Put each pyenv-installed 3.10-3.13 on PATH so nox finds python3.X."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    extra = []
    for version in PYTHONS:
        found = sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin")))
        if found:
            extra.append(found[-1])
    if extra:
        os.environ["PATH"] = os.pathsep.join([*os.environ.get("PATH", "").split(os.pathsep), *extra])


_expose_pyenv_interpreters()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole test suite (core, plugins, CLI, properties) on one Python."""
    # openpyxl (the `statements` extra): the tests read the settlement export as .xlsx too.
    session.install(*LOCAL_PACKAGES, "pytest>=8", "hypothesis>=6.100", "openpyxl>=3.1")
    # The `distributed` extra (pyarrow, dask, distributed): settle --dask is tested on a
    # LocalCluster of two worker processes (a few seconds).
    session.install("-e", ".[distributed]")
    if session.python == "3.11":  # one Python also runs with the `fast` extra (orjson); the others without
        session.install("orjson>=3.9")
    if os.path.isdir("examples/thirdparty-plugin"):
        session.install("-e", "examples/thirdparty-plugin")
    session.run("pytest", "-q", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff over every Python file of the project."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session(python="3.11")
def types(session: nox.Session) -> None:
    """mypy --strict on the core package."""
    session.install(*LOCAL_PACKAGES, "orjson>=3.9", "mypy>=1.10", "pytest>=8", "hypothesis>=6.100",
                    "numpy>=1.24", "pyarrow>=14")
    session.run("mypy", "--strict", "core/shoppolicy")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """The batch benchmark against ../shared/bench's bare loops (100,000 and 1,000,000 orders by default)."""
    # fast: orjson; columnar: pyarrow (the Parquet statement, read back by the figure check).  The Dask
    # run makes an environment of its own (bench-out/dask-env): Dask brings pandas, which pyarrow
    # imports at its first compute call, and a columnar install has none.
    session.install("-e", ".[fast,columnar]", "-e", "plugins/douyin", "-e", "plugins/tiktok")
    session.run("python", "tests/bench/bench_settle.py", *session.posargs)


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the docs with warnings as errors."""
    session.install("-e", ".", "-r", "docs/requirements.txt")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html", *session.posargs)


@nox.session(python="3.11")
def conformance(session: nox.Session) -> None:
    """The plugin author kit against the first-party plugins and the example plugin."""
    session.install(*LOCAL_PACKAGES, "-e", "examples/thirdparty-plugin", "pytest>=8", "hypothesis>=6.100")
    session.chdir("examples/thirdparty-plugin")  # its pytest config adds its own distribution and case files
    session.run("pytest", "-p", "no:cacheprovider", "--shoppolicy-conformance=shoppolicy-douyin",
                "--shoppolicy-conformance=shoppolicy-tiktok", *session.posargs)
