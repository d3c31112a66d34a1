"""Policy case files: a date, the inputs, optional overrides and the exact figures expected.

A case file (``case_*.toml``) is a test a plugin or policy-data author writes without
Python.  Its keys are checked like a policy file's (an unknown key is an error naming
its path), and every expected figure is compared exactly, as the decimal string the
JSON output prints: ``"8.00"`` is not ``"8"``.  The pytest plugin collects the files; tools
can call :func:`load_case` and :meth:`Case.run`.

Layout (every section optional, but a case must expect something)::

    as_of = 2025-03-01                 # the date of the case (required)
    description = "..."
    plugins = ["my_plugin.hooks"]      # modules registered from Python, besides
    entry_points = true                #   the installed plugins (false: only those)
    policy_files = ["negotiated.toml"] # override files, relative to the case file
    [override]                         # an inline override file, layered last
    [[override.values]] ...

    [[orders]]  ...order fields...     # placed_at defaults to as_of
    [orders.expect]  net = "93.75" ...

    deposit = "500.00"
    [[events]]  ...event fields...     # at defaults to as_of
    [[expect.shops]] ...

    program = "example-mall-rising-sellers"
    [[records]] ...
    [[expect.results]] ...

    [[expect.rules]]                   # rule states on as_of
    market = "example-mall" ...
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import attrs

from shoppolicy import render
from shoppolicy.convert import converter, structure, validation_problems
from shoppolicy.engine import Engine
from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.model import IncentiveResult, OrderRecord, PenaltyLine, ShopPenalties, ViolationEvent
from shoppolicy.testing import CASE_PATTERN

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["CASE_PATTERN", "Case", "CaseFileError", "CaseResult", "Mismatch", "format_failure", "load_case"]

NONE = "(none)"

# --- the schema -------------------------------------------------------------------------


@attrs.frozen
class QuoteExpect:
    """What one order's quote must show.  Money as decimal strings, dates as TOML dates."""

    fees: dict[str, str] | None = None
    fee_rules: dict[str, str] | None = None
    total_fees: str | None = None
    creator_commission: str | None = None
    creator_receives: str | None = None
    net: str | None = None
    payout_date: dt.date | None = None
    creator_payout_date: dt.date | None = None
    pending: list[str] | None = None
    #: ``false`` for an order with policy gaps; each gap as "figure: rule key" (contained).
    complete: bool | None = None
    gaps: list[str] | None = None
    error: str | None = None


@attrs.frozen
class LineExpect:
    """One penalty line, in time order."""

    kind: str | None = None
    deduction: str | None = None
    rule: str | None = None
    points: str | None = None
    flags: list[str] | None = None
    order_id: str | None = None
    severity: str | None = None


@attrs.frozen
class ShopExpect:
    """One shop's penalties: totals, deposit balance, lines and warnings."""

    shop_id: str
    market: str | None = None
    total_deduction: str | None = None
    deposit_balance: str | None = None
    lines: list[LineExpect] | None = None
    warnings: list[str] | None = None


@attrs.frozen
class ResultExpect:
    """One incentive result, by subject (shop or product)."""

    subject: str
    eligible: bool | None = None
    reasons: list[str] | None = None
    score: str | None = None
    group: str | None = None
    rank: int | None = None
    awarded: bool | None = None


@attrs.frozen
class RuleExpect:
    """One policy key of a market on ``as_of``, as ``shoppolicy rules`` shows it."""

    market: str
    key: str
    state: str | None = None
    value: str | None = None
    rule: str | None = None
    source: str | None = None
    confidence: str | None = None
    layer: str | None = None


@attrs.frozen
class Expect:
    shops: list[ShopExpect] | None = None
    penalties_error: str | None = None
    results: list[ResultExpect] | None = None
    incentive_error: str | None = None
    rules: list[RuleExpect] | None = None


@attrs.frozen
class CaseSpec:
    as_of: dt.date
    description: str | None = None
    plugins: list[str] = attrs.field(factory=list)
    entry_points: bool = True
    policy_files: list[str] = attrs.field(factory=list)
    override: dict[str, Any] | None = None
    orders: list[dict[str, Any]] = attrs.field(factory=list)
    events: list[dict[str, Any]] = attrs.field(factory=list)
    deposit: str | None = None
    program: str | None = None
    records: list[dict[str, Any]] = attrs.field(factory=list)
    expect: Expect = attrs.field(factory=Expect)


#: Every table of the format, for the documentation test.
SCHEMA: tuple[type, ...] = (CaseSpec, QuoteExpect, Expect, ShopExpect, LineExpect, ResultExpect, RuleExpect)


class CaseFileError(ShopPolicyError):
    """A case file that cannot be used: bad TOML, unknown keys, bad inputs.  Lists every problem."""

    def __init__(self, file: str, problems: Sequence[tuple[str, str]]) -> None:
        self.file = file
        self.problems = list(problems)
        lines = [f"{path}: {problem}" if path else problem for path, problem in self.problems]
        super().__init__(f"{file}: " + ("\n  ".join(["invalid case file:", *lines]) if len(lines) > 1 else lines[0]))


@attrs.frozen
class Mismatch:
    """One expected figure that differs: its path, what the case expects, what came out."""

    path: str
    expected: str
    actual: str


@attrs.frozen
class CaseResult:
    check: str
    mismatches: tuple[Mismatch, ...]
    compared: int
    actual: Any = None

    @property
    def passed(self) -> bool:
        return not self.mismatches


# --- loading ------------------------------------------------------------------------------


def _structure_all(raw: Any, cls: type[Any], prefix: str, problems: list[tuple[str, str]]) -> Any:
    try:
        return converter.structure(raw, cls)
    except Exception as exc:  # cattrs raises exception groups: name every key path
        problems.extend((f"{prefix}{path}" if path else prefix.rstrip("."), p) for path, p in validation_problems(exc))
        return None


def load_case(path: str | Path) -> Case:
    """Read and validate a case file; raise :class:`CaseFileError` listing every problem."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CaseFileError(str(p), [("", f"cannot read: {exc.strerror or exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise CaseFileError(str(p), [("", f"not valid TOML: {exc}")]) from None
    problems: list[tuple[str, str]] = []
    expects: list[Any] = []
    orders = raw.get("orders", [])
    if isinstance(orders, list) and all(isinstance(o, dict) for o in orders):
        orders = [dict(o) for o in orders]
        for i, order in enumerate(orders):
            expect = order.pop("expect", None)
            if expect is None:
                problems.append((f"orders[{i}].expect", "required: the figures this order's quote must show"))
            expects.append(_structure_all(expect or {}, QuoteExpect, f"orders[{i}].expect.", problems))
        raw = dict(raw, orders=orders)
    spec: CaseSpec | None = _structure_all(raw, CaseSpec, "", problems)
    if spec is None:
        raise CaseFileError(str(p), problems)
    as_of = dt.datetime.combine(spec.as_of, dt.time())
    records: list[OrderRecord] = []
    for i, order in enumerate(spec.orders):
        try:
            records.append(structure({"placed_at": as_of, **order}, OrderRecord, what="order"))
        except InputError as exc:
            problems.append((f"orders[{i}]" + (f".{exc.field}" if exc.field else ""), exc.message))
    events: list[ViolationEvent] = []
    for i, event in enumerate(spec.events):
        try:
            events.append(structure({"at": as_of, **event}, ViolationEvent, what="event"))
        except InputError as exc:
            problems.append((f"events[{i}]" + (f".{exc.field}" if exc.field else ""), exc.message))
    e = spec.expect
    if spec.events and e.shops is None and e.penalties_error is None:
        problems.append(("expect.shops", "required with [[events]] (or expect.penalties_error)"))
    if (e.shops is not None or e.penalties_error is not None) and not spec.events:
        problems.append(("events", "required with expect.shops or expect.penalties_error"))
    if spec.records or spec.program or e.results is not None or e.incentive_error is not None:
        if not spec.program:
            problems.append(("program", "required with [[records]]: the incentive programme id"))
        if e.results is None and e.incentive_error is None:
            problems.append(("expect.results", "required with [[records]] (or expect.incentive_error)"))
    for i, x in enumerate(expects):
        if x is not None and x == QuoteExpect():
            problems.append((f"orders[{i}].expect", "expects nothing: name at least one figure"))
    if not spec.orders and not spec.events and not spec.records and not e.rules:
        problems.append(("", "the case checks nothing: add [[orders]], [[events]], [[records]] or [[expect.rules]]"))
    if problems:
        raise CaseFileError(str(p), problems)
    return Case(p, spec, list(zip(records, expects, strict=True)), events)


# --- running ------------------------------------------------------------------------------


class Case:
    """A loaded case file: its checks share one engine, built on first use."""

    def __init__(self, path: Path, spec: CaseSpec, orders: list[tuple[OrderRecord, QuoteExpect]],
                 events: list[ViolationEvent]) -> None:
        self.path = path
        self.spec = spec
        self.orders = orders
        self.events = events

    def checks(self) -> list[str]:
        """The names of the checks, one per order plus one per other section."""
        names = [f"orders[{record.order_id}]" for record, _ in self.orders]
        if self.spec.events:
            names.append("penalties")
        if self.spec.program:
            names.append(f"incentive[{self.spec.program}]")
        if self.spec.expect.rules:
            names.append("rules")
        return names

    @cached_property
    def engine(self) -> Engine:
        spec = self.spec
        try:
            plugins = [importlib.import_module(name) for name in spec.plugins]
        except ImportError as exc:
            raise CaseFileError(str(self.path), [("plugins", f"cannot import: {exc}")]) from None
        files = [self.path.parent / f for f in spec.policy_files]
        with tempfile.TemporaryDirectory(prefix="shoppolicy-case-") as tmp:
            inline = Path(tmp) / f"{self.path.stem}.override.toml"
            if spec.override is not None:
                inline.write_text(toml_document(spec.override), encoding="utf-8")
                files.append(inline)
            try:
                return Engine(policy_files=files, plugins=plugins, entry_points=spec.entry_points)
            except ShopPolicyError as exc:
                # Name the case file, not the temporary copy of its [override] table.
                message = str(exc).replace(str(inline), f"{self.path} [override]")
                raise CaseFileError(str(self.path), [("", message)]) from None

    def run(self, check: str) -> CaseResult:
        """Run one check by name (see :meth:`checks`)."""
        engine = self.engine
        for record, expect in self.orders:
            if check == f"orders[{record.order_id}]":
                return _run_quote(engine, check, record, expect)
        if check == "penalties":
            return _run_penalties(engine, self.spec, self.events)
        if check == f"incentive[{self.spec.program}]":
            return _run_incentive(engine, self.spec)
        if check == "rules":
            return _run_rules(engine, self.spec)
        raise KeyError(f"{self.path}: no check {check!r}; known: {', '.join(self.checks())}")


class _Compare:
    """Collects mismatches between expected and actual figures, compared as text."""

    def __init__(self) -> None:
        self.mismatches: list[Mismatch] = []
        self.compared = 0

    def eq(self, path: str, expected: object, actual: object) -> None:
        if expected is None:
            return
        self.compared += 1
        want, got = _text(expected), _text(actual)
        if want != got:
            self.mismatches.append(Mismatch(path, want, got))

    def contains(self, path: str, expected: str | None, actual: str | None) -> None:
        if expected is None:
            return
        self.compared += 1
        if actual is None or expected not in actual:
            self.mismatches.append(Mismatch(path, f"containing {expected!r}", NONE if actual is None else actual))

    def texts(self, path: str, expected: Sequence[str] | None, actual: Sequence[str]) -> None:
        """Each expected text is contained in the actual text at its position; same count."""
        if expected is None:
            return
        self.eq(f"{path} (count)", len(expected), len(actual))
        for i, (want, got) in enumerate(zip(expected, actual, strict=False)):
            self.contains(f"{path}[{i}]", want, got)

    def table(self, path: str, expected: Mapping[str, str] | None, actual: Mapping[str, str]) -> None:
        """Exactly the expected keys, each with its value."""
        if expected is None:
            return
        for key in sorted(set(expected) | set(actual)):
            self.eq(f"{path}.{key}", expected.get(key, NONE), actual.get(key, NONE))

    def error(self, expected: str | None, exc: ShopPolicyError | None) -> None:
        if exc is None:
            self.eq("error", expected and f"containing {expected!r}", NONE)
        elif expected is None:
            self.compared += 1
            self.mismatches.append(Mismatch("error", NONE, str(exc)))
        else:
            self.contains("error", expected, str(exc))

    def result(self, check: str, actual: Any) -> CaseResult:
        return CaseResult(check, tuple(self.mismatches), self.compared, actual)


def _text(value: object) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _run_quote(engine: Engine, check: str, record: OrderRecord, x: QuoteExpect) -> CaseResult:
    c = _Compare()
    try:
        quote = engine.quote(record)
    except ShopPolicyError as exc:
        c.error(x.error, exc)
        return c.result(check, {"error": str(exc)})
    c.error(x.error, None)
    fees: dict[str, str] = {}
    rules: dict[str, str] = {}
    for f in quote.fees:  # a code that repeats shows every amount
        fees[f.code] = f"{fees[f.code]} + {f.amount}" if f.code in fees else str(f.amount)
        rules[f.code] = f"{rules[f.code]} + {f.rule}" if f.code in rules else f.rule
    c.table("fees", x.fees, fees)
    c.table("fee_rules", x.fee_rules, rules)
    c.eq("total_fees", x.total_fees, quote.total_fees)
    c.eq("creator_commission", x.creator_commission, quote.creator.commission if quote.creator else None)
    c.eq("creator_receives", x.creator_receives, quote.creator.creator_receives if quote.creator else None)
    c.eq("net", x.net, quote.net)
    c.eq("payout_date", x.payout_date, quote.payout_date)
    c.eq("creator_payout_date", x.creator_payout_date, quote.creator_payout_date)
    c.texts("pending", x.pending, quote.pending)
    c.eq("complete", x.complete, quote.complete)
    c.texts("gaps", x.gaps, [f"{g.figure}: {g.rule} {g.key}" for g in quote.gaps])
    return c.result(check, render.quote_dict(quote))


def _run_penalties(engine: Engine, spec: CaseSpec, events: list[ViolationEvent]) -> CaseResult:
    c = _Compare()
    x = spec.expect
    try:
        shops = engine.penalties(events, deposit=spec.deposit)
    except ShopPolicyError as exc:
        c.error(x.penalties_error, exc)
        return c.result("penalties", {"error": str(exc)})
    c.error(x.penalties_error, None)
    actual: dict[str, ShopPenalties] = {s.shop_id: s for s in shops}
    if x.shops is not None:
        c.eq("shops", ", ".join(sorted(s.shop_id for s in x.shops)), ", ".join(sorted(actual)))
        for want in x.shops:
            got = actual.get(want.shop_id)
            if got is not None:
                _compare_shop(c, f"shops[{want.shop_id}]", want, got)
    return c.result("penalties", render.penalties_dict(shops))


def _compare_shop(c: _Compare, path: str, want: ShopExpect, got: ShopPenalties) -> None:
    c.eq(f"{path}.market", want.market, got.market)
    c.eq(f"{path}.total_deduction", want.total_deduction, got.total_deduction)
    c.eq(f"{path}.deposit_balance", want.deposit_balance, got.deposit_balance)
    c.texts(f"{path}.warnings", want.warnings, got.warnings)
    if want.lines is not None:
        c.eq(f"{path}.lines (count)", len(want.lines), len(got.lines))
        for i, (w, g) in enumerate(zip(want.lines, got.lines, strict=False)):
            _compare_line(c, f"{path}.lines[{i}]", w, g)


def _compare_line(c: _Compare, path: str, w: LineExpect, g: PenaltyLine) -> None:
    c.eq(f"{path}.kind", w.kind, g.kind)
    c.eq(f"{path}.deduction", w.deduction, g.deduction)
    c.eq(f"{path}.rule", w.rule, g.rule)
    c.eq(f"{path}.points", w.points, g.points)
    c.eq(f"{path}.flags", None if w.flags is None else ", ".join(w.flags), ", ".join(g.flags))
    c.eq(f"{path}.order_id", w.order_id, g.order_id)
    c.eq(f"{path}.severity", w.severity, g.severity)


def _run_incentive(engine: Engine, spec: CaseSpec) -> CaseResult:
    c = _Compare()
    x = spec.expect
    check = f"incentive[{spec.program}]"
    assert spec.program is not None
    try:
        results = engine.incentive(spec.program, spec.records)
    except ShopPolicyError as exc:
        c.error(x.incentive_error, exc)
        return c.result(check, {"error": str(exc)})
    c.error(x.incentive_error, None)
    actual: dict[str, IncentiveResult] = {r.subject: r for r in results}
    if x.results is not None:
        c.eq("subjects", ", ".join(sorted(r.subject for r in x.results)), ", ".join(sorted(actual)))
        for want in x.results:
            got = actual.get(want.subject)
            if got is None:
                continue
            path = f"results[{want.subject}]"
            c.eq(f"{path}.eligible", want.eligible, got.eligible)
            c.texts(f"{path}.reasons", want.reasons, got.reasons)
            c.eq(f"{path}.score", want.score, got.score)
            c.eq(f"{path}.group", want.group, got.group)
            c.eq(f"{path}.rank", want.rank, got.rank)
            c.eq(f"{path}.awarded", want.awarded, got.awarded)
    return c.result(check, render.incentive_dict(spec.program, results))


def _run_rules(engine: Engine, spec: CaseSpec) -> CaseResult:
    c = _Compare()
    shown: dict[str, Any] = {}
    for want in spec.expect.rules or ():
        path = f"rules[{want.market} {want.key}]"
        try:
            states = {s.key: s for s in engine.rules(want.market, spec.as_of)}
        except ShopPolicyError as exc:
            c.error(None, exc)
            continue
        shown[want.market] = render.rules_dict(want.market, spec.as_of.isoformat(), list(states.values()))
        got = states.get(want.key)
        if got is None:
            c.eq(path, "a policy key", f"no key {want.key!r} in {want.market}")
            continue
        c.eq(f"{path}.state", want.state, got.state)
        c.eq(f"{path}.value", want.value, got.value)
        c.eq(f"{path}.rule", want.rule, got.rule)
        c.eq(f"{path}.source", want.source, got.source)
        c.eq(f"{path}.confidence", want.confidence, got.confidence)
        c.contains(f"{path}.layer", want.layer, got.layer)
    return c.result("rules", shown)


# --- reporting ----------------------------------------------------------------------------


def format_failure(case: Case, result: CaseResult) -> str:
    """The diff of a failed check: one line per figure that differs, then the actual result."""
    rows = [("figure", "expected", "actual"), *((m.path, m.expected, m.actual) for m in result.mismatches)]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{case.path.name}::{result.check} (as of {case.spec.as_of.isoformat()}): "
             f"{len(result.mismatches)} of {result.compared} expected figure(s) differ"]
    if case.spec.description:
        lines.append(f"  {case.spec.description}")
    lines.extend(f"  {a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}" for a, b, c in rows)
    if result.actual is not None:
        lines.append("actual result:")
        lines.append(json.dumps(result.actual, ensure_ascii=False, indent=2))
    return "\n".join(lines)


# --- a small TOML writer for the [override] table ------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_string(text: str) -> str:
    # JSON's escapes are TOML's; DEL is a control character TOML wants escaped too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # a float is written as a float, for the policy loader to refuse by name
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def toml_document(doc: Mapping[str, Any]) -> str:
    """Write a policy file's data (as ``tomllib`` read it) back as TOML text."""
    lines: list[str] = []
    nested = {k: v for k, v in doc.items() if isinstance(v, Mapping)
              or (isinstance(v, list) and v and all(isinstance(i, Mapping) for i in v))}
    lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in doc.items() if k not in nested)
    for key, value in nested.items():
        for table in [value] if isinstance(value, Mapping) else value:
            lines.append(f"[{_toml_key(key)}]" if isinstance(value, Mapping) else f"[[{_toml_key(key)}]]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"
