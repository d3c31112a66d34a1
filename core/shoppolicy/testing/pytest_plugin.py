"""The conformance kit as a pytest plugin (registered as ``shoppolicy`` in ``pytest11``).

It does nothing unless asked for, so installing shoppolicy changes no other test run:

``--shoppolicy-conformance=DIST`` (repeatable; ini ``shoppolicy_conformance``)
    adds one test per conformance check of the installed distribution DIST, and
    collects case files;
``--shoppolicy-cases`` (ini ``shoppolicy_cases = true``)
    collects case files (``case_*.toml``) only.

With plugin autoloading disabled, load it with ``-p shoppolicy``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from shoppolicy.testing import CASE_PATTERN

if TYPE_CHECKING:
    from shoppolicy.testing.cases import Case, CaseResult
    from shoppolicy.testing.conformance import Check, Conformance

DEFAULT_EXAMPLES = 50


class ConformanceWarning(UserWarning):
    """Something the kit could not check, e.g. a market without sample orders."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("shoppolicy", "shoppolicy plugin conformance kit")
    group.addoption("--shoppolicy-conformance", action="append", default=[], metavar="DIST",
                    help="run the conformance checks of the installed shoppolicy plugin distribution DIST "
                         "(repeatable); also collects case_*.toml files")
    group.addoption("--shoppolicy-cases", action="store_true", default=False,
                    help="collect shoppolicy policy case files (case_*.toml)")
    group.addoption("--shoppolicy-examples", type=int, default=None, metavar="N",
                    help=f"orders hypothesis generates per sample order (default {DEFAULT_EXAMPLES})")
    parser.addini("shoppolicy_conformance", type="args", default=[],
                  help="distributions to run the shoppolicy conformance checks for")
    parser.addini("shoppolicy_cases", type="bool", default=False, help="collect shoppolicy case files (case_*.toml)")


def _distributions(config: pytest.Config) -> list[str]:
    names = [*config.getoption("shoppolicy_conformance"), *config.getini("shoppolicy_conformance")]
    return list(dict.fromkeys(names))


def _cases_enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("shoppolicy_cases") or config.getini("shoppolicy_cases") or _distributions(config))


def pytest_report_header(config: pytest.Config) -> list[str]:
    if not _cases_enabled(config):
        return []
    import shoppolicy

    dists = _distributions(config)
    return [f"shoppolicy {shoppolicy.__version__} conformance kit: "
            f"{', '.join(dists) if dists else 'no distribution'}; case files {CASE_PATTERN}"]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if fnmatch.fnmatch(file_path.name, CASE_PATTERN) and _cases_enabled(parent.config):
        file: CaseFile = CaseFile.from_parent(parent, path=file_path)
        return file
    return None


@pytest.hookimpl(tryfirst=True)  # before -k and --deselect, so they apply to the kit's tests too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    dists = _distributions(config)
    if not dists:
        return
    examples = config.getoption("shoppolicy_examples") or DEFAULT_EXAMPLES
    added: list[pytest.Item] = []
    for dist in dists:
        name = f"shoppolicy-conformance[{dist}]"
        suite: ConformanceSuite = ConformanceSuite.from_parent(
            session, name=name, nodeid=name, distribution=dist, max_examples=examples)
        added.extend(suite.collect())
    items[:0] = added


# --- conformance ------------------------------------------------------------------------


class ConformanceSuite(pytest.Collector):
    """The checks of one distribution; they share its loaded plugins and engine."""

    def __init__(self, *, distribution: str, max_examples: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from shoppolicy.testing.conformance import Conformance

        self.conformance: Conformance = Conformance(distribution, max_examples=max_examples)

    def collect(self) -> list[pytest.Item]:
        from shoppolicy.testing.conformance import CHECKS

        return [ConformanceItem.from_parent(self, name=check.id, check=check) for check in CHECKS]


class ConformanceFailure(Exception):
    def __init__(self, title: str, problems: list[str]) -> None:
        super().__init__(title)
        self.title = title
        self.problems = problems


class ConformanceItem(pytest.Item):
    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        suite = self.parent
        assert isinstance(suite, ConformanceSuite)
        outcome = suite.conformance.run(self.check.id)
        for message in outcome.warnings:
            self.warn(ConformanceWarning(f"{suite.conformance.distribution}: {message}"))
        if outcome.skipped:
            pytest.skip(outcome.skipped)
        if outcome.problems:
            raise ConformanceFailure(self.check.title, outcome.problems)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        exc = excinfo.value
        if isinstance(exc, ConformanceFailure):
            suite = self.parent
            assert isinstance(suite, ConformanceSuite)
            head = (f"{suite.conformance.distribution} fails the {self.check.id} check "
                    f"({len(exc.problems)} problem(s)): {exc.title}")
            return "\n".join([head, *(f"  - {p}" for p in exc.problems)])
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, self.name  # a line number, so that warnings can be placed


# --- case files ---------------------------------------------------------------------------


class CaseFile(pytest.File):
    """A ``case_*.toml`` file: one test per order, plus penalties, incentive and rules."""

    case: Case

    def collect(self) -> Iterator[pytest.Item]:
        from shoppolicy.testing.cases import load_case

        self.case = load_case(self.path)
        for name in self.case.checks():
            yield CaseItem.from_parent(self, name=name)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from shoppolicy.errors import ShopPolicyError

        if isinstance(excinfo.value, ShopPolicyError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class CaseMismatch(Exception):
    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.check)
        self.result = result


class CaseItem(pytest.Item):
    def runtest(self) -> None:
        parent = self.parent
        assert isinstance(parent, CaseFile)
        result = parent.case.run(self.name)
        if not result.passed:
            raise CaseMismatch(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from shoppolicy.errors import ShopPolicyError
        from shoppolicy.testing.cases import format_failure

        parent = self.parent
        assert isinstance(parent, CaseFile)
        if isinstance(excinfo.value, CaseMismatch):
            return format_failure(parent.case, excinfo.value.result)
        if isinstance(excinfo.value, ShopPolicyError):
            return f"{self.path.name}::{self.name}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, self.name  # a line number, so that warnings can be placed
