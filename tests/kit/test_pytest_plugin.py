"""The kit's pytest plugin, run in a subprocess as a plugin author runs it: off unless
asked for, case files collected and diffed, the example plugin passing, the broken one
failing with readable messages."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.kit.conftest import ACME_CASE, ACME_ORDER, EXAMPLE, PLUGINS, ROOT, kit_env, needs_example

Run = Callable[..., subprocess.CompletedProcess[str]]

CASE = ACME_CASE + ACME_ORDER + '''expect = { net = "94.00", fees = { platform_fee = "6.00" } }
''' + ACME_ORDER.replace("A1", "A2") + '''expect = { net = "95.00", fees = { platform_fee = "6.00" } }
'''


def project(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_loaded_but_not_asked_for_it_changes_nothing(tmp_path: Path, run_pytest: Run) -> None:
    # A case file that would not even load: collected, it would be an error.
    where = project(tmp_path, **{"test_plain.py": "def test_one():\n    assert 1 + 1 == 2\n",
                                 "case_broken.toml": "this is not TOML ="})
    result = run_pytest("-rA", cwd=where)
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout
    assert "case_broken" not in result.stdout and "shoppolicy" not in result.stdout


def test_case_files_are_collected_on_request_and_diffed(tmp_path: Path, run_pytest: Run) -> None:
    where = project(tmp_path, **{"case_acme.toml": CASE})
    result = run_pytest("--shoppolicy-cases", "-v", cwd=where, paths=(ROOT,))
    assert result.returncode == 1, result.stdout
    assert "case_acme.toml::orders[A1] PASSED" in result.stdout
    assert "case_acme.toml::orders[A2] FAILED" in result.stdout
    assert "case_acme.toml::orders[A2] (as of 2024-07-01): 1 of 2 expected figure(s) differ" in result.stdout
    assert "  figure  expected  actual\n  net     95.00     94.00\n" in result.stdout


def test_ini_setting_turns_case_files_on(tmp_path: Path, run_pytest: Run) -> None:
    where = project(tmp_path, **{"case_acme.toml": CASE.replace("95.00", "94.00"),
                                 "pytest.ini": "[pytest]\nshoppolicy_cases = true\n"})
    result = run_pytest(cwd=where, paths=(ROOT,))
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


def test_an_invalid_case_file_is_a_collection_error_naming_each_key(tmp_path: Path, run_pytest: Run) -> None:
    bad = CASE.replace("net =", "nett =").replace("as_of", "colour = 1\nas_of")
    where = project(tmp_path, **{"case_bad.toml": bad})
    result = run_pytest("--shoppolicy-cases", cwd=where, paths=(ROOT,))
    assert result.returncode == 2, result.stdout
    assert "case_bad.toml: invalid case file:" in result.stdout
    assert "  orders[0].expect.nett: unknown field" in result.stdout
    assert "  colour: unknown field" in result.stdout
    assert "Traceback" not in result.stdout


@needs_example
def test_the_example_plugin_passes_the_kit(run_pytest: Run) -> None:
    # Its pyproject.toml asks for the kit (shoppolicy_conformance) and holds its case files.
    result = run_pytest("-v", cwd=EXAMPLE)
    assert result.returncode == 0, result.stdout
    for check in ("entry-points", "hooks", "markets", "policy-data", "engine", "samples", "exact-money",
                  "split-property"):
        assert f"shoppolicy-conformance[shoppolicy-example-mall]::{check} PASSED" in result.stdout
    assert "tests/case_fees.toml::orders[toys] PASSED" in result.stdout
    assert " failed" not in result.stdout and "skipped" not in result.stdout


@needs_example
def test_k_selects_among_the_kit_checks(run_pytest: Run) -> None:
    result = run_pytest("-k", "hooks or markets", cwd=EXAMPLE)
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout and "deselected" in result.stdout


def test_the_broken_plugin_fails_the_kit_readably(faulty_site: Path, tmp_path: Path, run_pytest: Run) -> None:
    result = run_pytest("--shoppolicy-conformance", "shoppolicy-broken", cwd=tmp_path, paths=(faulty_site, PLUGINS))
    assert result.returncode == 1, result.stdout
    out = result.stdout
    assert "shoppolicy-broken fails the markets check (1 problem(s))" in out
    assert "shoppolicy_markets raised ValueError: currency: expected an ISO 4217 code" in out and "got 'XYZ'" in out
    assert "shoppolicy-broken fails the policy-data check (6 problem(s))" in out
    assert "broken_no_source.toml: values[0].source: required field missing (every value needs a source" in out
    assert "broken: unknown hook 'shoppolicy_fee_rule'" in out
    assert "Traceback" not in out


def test_warnings_and_sloppy_money_through_pytest(faulty_site: Path, tmp_path: Path, run_pytest: Run) -> None:
    result = run_pytest("--shoppolicy-conformance=shoppolicy-sloppy", "--shoppolicy-examples=5", "-rA", cwd=tmp_path,
                        paths=(faulty_site, PLUGINS))
    assert result.returncode == 1, result.stdout
    assert "ConformanceWarning: shoppolicy-sloppy: no SAMPLE_ORDERS for market(s) sloppy-annex" in result.stdout
    assert "shoppolicy-sloppy fails the exact-money check (2 problem(s))" in result.stdout
    assert "  - sample order 's2': fee float_fee amount is a float (1.0), expected a Decimal" in result.stdout
    assert "FAILED shoppolicy-conformance[shoppolicy-sloppy]::split-property" in result.stdout


@pytest.mark.skipif(not any(ep.name == "shoppolicy" for ep in importlib.metadata.entry_points(group="pytest11")),
                    reason="the pytest11 entry point is registered in pyproject.toml by the lead")
def test_registered_as_pytest11_plugin_named_shoppolicy(tmp_path: Path) -> None:
    (ep,) = [ep for ep in importlib.metadata.entry_points(group="pytest11") if ep.name == "shoppolicy"]
    assert ep.value == "shoppolicy.testing.pytest_plugin"
    (tmp_path / "test_plain.py").write_text("def test_one():\n    pass\n")
    env = kit_env()
    del env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]  # autoloaded, as in any project where shoppolicy is installed
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout
