"""Helpers of the kit's tests: the deliberately faulty plugins of ``plugins/``, installed
as distributions on a temporary path, and pytest run in a subprocess with the kit."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

PLUGINS = Path(__file__).parent / "plugins"
ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "thirdparty-plugin"


#: What the policy-data check and ``check-sources`` find in the broken plugin's files
#: (paths relative to ``PLUGINS``): every problem, one line each.
BROKEN_POLICY_PROBLEMS = [
    "broken_no_source.toml: values[0].source: required field missing (every value needs a source: a catalogue "
    "id such as DY-FEE-1, or an https URL)",
    "broken_float.toml: values[0].value: write decimals as strings (\"0.1\"), a TOML float is not exact",
    "broken_sources.toml: 4 entries for market 'broken-mall', which no installed plugin declares",
    "broken_sources.toml: values[0]: source 'somebody said so' is neither a catalogue id (PREFIX-FAMILY-N, "
    "e.g. TT-PAY-2) nor an https URL",
    "broken_sources.toml: values[1]: source cites https://example.com/fees but the value has no retrieved date "
    "(the day it was read)",
    "broken_sources.toml: values[2]: 'payout.days' for broken-mall overlaps broken_sources.toml: values[3] in "
    "the plugin layer (from 2024-01-01T00:00:00 until 2025-01-01T00:00:00 vs from 2024-06-01T00:00:00)",
]

#: The head of a case file run against the acme test plugin alone, and one acme order.
ACME_CASE = '''
as_of = 2024-07-01
plugins = ["tests.acme.plugin"]
entry_points = false
'''
ACME_ORDER = '''
[[orders]]
order_id = "A1"
market = "acme"
category = "toys"
amount = "100.00"
currency = "USD"
delivered_at = 2024-07-03
'''


def relative(line: str) -> str:
    return line.replace(f"{PLUGINS}/", "")


def write_dist(site: Path, name: str, entry_points: dict[str, str]) -> None:
    """The ``.dist-info`` pip would write for an installed distribution ``name``."""
    info = site / f"{name.replace('-', '_')}-0.0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n")
    lines = "".join(f"{k} = {v}\n" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[shoppolicy]\n{lines}")


@pytest.fixture
def faulty_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``shoppolicy-broken`` and ``shoppolicy-sloppy`` installed (on ``sys.path`` here, and
    on ``PYTHONPATH`` for subprocesses started with :func:`kit_env`)."""
    site = tmp_path / "site"
    write_dist(site, "shoppolicy-broken", {"broken": "shoppolicy_broken"})
    write_dist(site, "shoppolicy-sloppy", {"sloppy": "shoppolicy_sloppy"})
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


def kit_env(*paths: Path) -> dict[str, str]:
    """Environment for a subprocess: ``paths`` first on ``PYTHONPATH``; pytest loads only
    the plugins named with ``-p`` (so the kit loads the same way whether or not its
    ``pytest11`` entry point is installed)."""
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env["PYTHONPATH"] = os.pathsep.join([*(str(p) for p in paths), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.fixture
def run_pytest() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run pytest with the kit loaded (``-p shoppolicy.testing.pytest_plugin``) in ``cwd``."""

    def run(*args: str, cwd: Path, paths: tuple[Path, ...] = ()) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pytest", "-p", "shoppolicy.testing.pytest_plugin", "-p", "no:cacheprovider",
                   *args]
        return subprocess.run(command, cwd=cwd, env=kit_env(*paths), capture_output=True, text=True, timeout=300)

    return run


def example_installed() -> bool:
    try:
        importlib.metadata.distribution("shoppolicy-example-mall")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


needs_example = pytest.mark.skipif(not example_installed(),
                                   reason="pip install -e examples/thirdparty-plugin (nox's tests session does)")
