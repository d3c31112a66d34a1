"""Checks for people who write policy data and plugins: sources, coverage, shipped files.

What lives here: loading every installed plugin's markets and policy files one file at a
time (so one bad file does not hide the others), the rules a ``source`` must follow,
overlap and unknown-market checks over shipped values, and the market × rule coverage
matrix of a date.  The ``coverage`` and ``check-sources`` commands
(:mod:`shoppolicy.cli_authoring`) and the conformance kit (:mod:`shoppolicy.testing`)
share them.  What does not: loading plugins for computing (:mod:`shoppolicy.plugins`).

A source resolves when each of its ``;``-separated references is either

* a catalogue id of the shape ``PREFIX-FAMILY-N`` (``DY-FEE-1``, ``TT-PAY-2``,
  ``TEST-FEE-1``, ``EXAMPLE-FEE-1``), optionally followed by free text after a space,
  colon, comma or parenthesis (``TT-PAY-1 (seed 001)``), or
* an ``https://`` URL.

Any URL in a source needs the value's ``retrieved`` date (the day it was read).  The
catalogue itself is not shipped, so any id of that shape is accepted: the id names a
line of the catalogue its plugin cites, and the plugin's reviewers check that line.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from shoppolicy.engine import Engine
from shoppolicy.errors import PolicyFileError, ShopPolicyError
from shoppolicy.hookspecs import PROJECT
from shoppolicy.model import Market
from shoppolicy.plugins import _resource_name, load_plugin_file
from shoppolicy.policy import ORIGIN_OVERRIDE, ORIGIN_OWNER, Entry, Resolved
from shoppolicy.trail import is_stale, months_after

#: A catalogue id at the start of a reference: ``DY-FEE-1``, ``TT-PAY-2``, ``EXAMPLE-VIO-1``.
CATALOGUE_ID = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)+-[0-9]+(?=$|[\s:,(])")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
STATES = ("in_force", "announced", "not_yet", "ended", "gap")


def normalize_distribution(name: str) -> str:
    """PEP 503 normalisation, so ``shoppolicy_example-mall`` finds ``shoppolicy-example-mall``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@attrs.frozen(slots=True)
class Problem:
    """One thing wrong, and where: a file and key path, a distribution or a market."""

    where: str
    message: str
    #: ``policy`` (a file or value), ``import`` (an entry point) or ``markets`` (a declaration).
    kind: str = "policy"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def describe(exc: BaseException) -> str:
    """``Type: field: message`` for an exception a plugin raised (the field when a
    validator named it, e.g. a Market's ``currency``)."""
    field = getattr(exc, "field", None)
    return f"{type(exc).__name__}: {field + ': ' if isinstance(field, str) else ''}{exc}"


# --- sources --------------------------------------------------------------------------


def source_problems(source: str, retrieved: dt.date | None) -> list[str]:
    """Why ``source`` does not resolve (empty when it does)."""
    if not source.strip():
        return ["no source: name a catalogue id (e.g. DY-FEE-1) or an https URL with a retrieved date"]
    problems = []
    for part in (p.strip() for p in source.split(";")):
        if not part:
            problems.append(f"empty reference in source {source!r}")
        elif not CATALOGUE_ID.match(part) and not part.startswith("https://"):
            if part.startswith("http://"):
                problems.append(f"source {part!r}: use an https URL")
            else:
                problems.append(f"source {part!r} is neither a catalogue id (PREFIX-FAMILY-N, e.g. TT-PAY-2) "
                                "nor an https URL")
    urls = _URL.findall(source)
    if urls and retrieved is None:
        problems.append(f"source cites {urls[0]} but the value has no retrieved date (the day it was read)")
    return problems


# --- shipped data ---------------------------------------------------------------------


@attrs.frozen
class ShippedPlugin:
    """One installed plugin (an entry point) and what it ships."""

    name: str
    distribution: str
    version: str
    plugin: object | None
    markets: tuple[Market, ...] = ()
    entries: tuple[Entry, ...] = ()


@attrs.frozen
class Shipped:
    """Every installed plugin's markets and policy values, and the problems met loading them.

    ``problems`` are those of the selected distributions only; ``all_markets`` and
    ``claims`` cover every installed plugin, because a contributed layer or a variant may
    name another distribution's market.
    """

    plugins: tuple[ShippedPlugin, ...]
    problems: tuple[Problem, ...]
    all_markets: Mapping[str, Market]
    #: Every distribution declaring each market id (more than one is a conflict).
    claims: Mapping[str, tuple[str, ...]]

    @property
    def entries(self) -> list[Entry]:
        return [e for p in self.plugins for e in p.entries]

    @property
    def owners(self) -> dict[str, str]:
        """Each market id's (first) owner distribution."""
        return {market: dists[0] for market, dists in self.claims.items()}


def _call(plugin: object, hook: str) -> Sequence[Any]:
    fn = getattr(plugin, hook, None)
    if fn is None or not callable(fn) or not hasattr(fn, f"{PROJECT}_impl"):
        return ()
    return fn() or ()


def _plugin_entries(plugin: object, dist: str, version: str) -> tuple[list[Entry], list[Problem]]:
    entries: list[Entry] = []
    problems: list[Problem] = []
    try:
        resources = list(_call(plugin, "shoppolicy_policy_files"))
    except Exception as exc:
        return [], [Problem(dist, f"shoppolicy_policy_files raised {describe(exc)}")]
    for resource in resources:
        label = _resource_name(resource, dist)  # as the plugin host names it, so messages agree
        try:
            entries.extend(load_plugin_file(resource, dist, version))
        except ShopPolicyError as exc:
            message = str(exc).removeprefix(f"{label}: ")
            if isinstance(exc, PolicyFileError) and (exc.key_path or "").endswith(".source"):
                message += " (every value needs a source: a catalogue id such as DY-FEE-1, or an https URL)"
            problems.append(Problem(label, message))
        except OSError as exc:
            problems.append(Problem(label, f"cannot read: {exc}"))
    return entries, problems


def load_shipped(distributions: Iterable[str] = ()) -> Shipped:
    """Load every installed plugin's markets and policy files, one file at a time.

    ``distributions`` selects whose files and problems are reported (default: all).
    """
    wanted = {normalize_distribution(d) for d in distributions}
    plugins: list[ShippedPlugin] = []
    problems: list[Problem] = []
    all_markets: dict[str, Market] = {}
    claims: dict[str, tuple[str, ...]] = {}
    eps = sorted(importlib.metadata.entry_points(group=PROJECT), key=lambda ep: ep.name)
    for ep in eps:
        dist = ep.dist.name if ep.dist is not None else ep.value.split(":")[0]
        version = ep.dist.version if ep.dist is not None else ""
        selected = not wanted or normalize_distribution(dist) in wanted
        mine: list[Problem] = []
        try:
            plugin: object | None = ep.load()
        except Exception as exc:
            plugin = None
            mine.append(Problem(dist, f"entry point {ep.name} = {ep.value} failed to import: {describe(exc)}",
                                "import"))
        markets: list[Market] = []
        entries: list[Entry] = []
        if plugin is not None:
            try:
                markets = [m for m in _call(plugin, "shoppolicy_markets") if isinstance(m, Market)]
            except Exception as exc:
                mine.append(Problem(dist, f"shoppolicy_markets raised {describe(exc)}", "markets"))
            for market in markets:
                all_markets.setdefault(market.id, market)
                claims[market.id] = (*claims.get(market.id, ()), dist)
            if selected:
                entries, file_problems = _plugin_entries(plugin, dist, version)
                mine.extend(file_problems)
        if selected:
            plugins.append(ShippedPlugin(ep.name, dist, version, plugin, tuple(markets), tuple(entries)))
            problems.extend(mine)
    return Shipped(tuple(plugins), tuple(problems), all_markets, claims)


def entry_problems(entries: Sequence[Entry], markets: Mapping[str, Market],
                   owners: Mapping[str, str]) -> list[Problem]:
    """Sources that do not resolve, values for unknown markets, overlaps within one layer.

    Two entries are in one layer when they have the same rank in
    :class:`~shoppolicy.policy.MarketPolicy`: the owner's data for a market, or the data
    other plugins contribute to it (all contributors share one rank, so their values for
    one key must not overlap either), or one override file.
    """
    problems: list[Problem] = []
    groups: dict[tuple[str, str, str], list[Entry]] = {}
    unknown: dict[tuple[str, str], int] = {}
    for e in entries:
        if e.market not in markets:
            where = (e.path.rsplit(": ", 1)[0], e.market)
            unknown[where] = unknown.get(where, 0) + 1
        if not e.is_gap:
            problems.extend(Problem(e.path, p) for p in source_problems(e.source, e.retrieved))
            if e.announced is not None and e.start is not None and e.announced > e.start:
                problems.append(Problem(e.path, f"announced_on {e.announced.date()} is after effective_from "
                                                f"{e.start.date()}"))
        groups.setdefault((e.market, e.key, _layer_of(e, owners)), []).append(e)
    problems[:0] = [Problem(file, f"{n} entr{'y' if n == 1 else 'ies'} for market {market!r}, which no installed "
                                  "plugin declares") for (file, market), n in unknown.items()]
    for (market, key, layer), items in groups.items():
        items.sort(key=lambda e: (e.start or dt.datetime.min, e.path))
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                if a.overlaps(b):
                    problems.append(Problem(a.path, f"{key!r} for {market} overlaps {b.path} in the {layer} layer "
                                                    f"({a.span} vs {b.span})"))
    return problems


def _layer_of(entry: Entry, owners: Mapping[str, str]) -> str:
    if entry.layer.origin == ORIGIN_OVERRIDE:
        return f"override {entry.layer.order}"
    # A market nobody declares counts as its writer's own: the unknown market is the problem.
    if entry.layer.origin == ORIGIN_OWNER and entry.layer.distribution == owners.get(entry.market,
                                                                                     entry.layer.distribution):
        return "plugin"
    return "contributed"


def check_sources(distributions: Iterable[str] = ()) -> tuple[Shipped, list[Problem]]:
    """Every problem of the shipped policy data (of ``distributions``, default all)."""
    shipped = load_shipped(distributions)
    problems = [*shipped.problems, *entry_problems(shipped.entries, shipped.all_markets, shipped.owners)]
    return shipped, problems


def stale_values(entries: Iterable[Entry], months: int, as_of: dt.date) -> list[Entry]:
    """The values a source last confirmed more than ``months`` months before ``as_of``
    whose period reaches past that age (an order of such a period would say so in its
    trail), oldest first.  A value with no ``retrieved`` date is listed too: nothing says
    when it was confirmed."""
    found = []
    for e in entries:
        if e.is_gap:
            continue
        if e.retrieved is None:
            found.append(e)
            continue
        aged = months_after(e.retrieved, months)
        if as_of > aged and (e.end is None or e.end.date() > aged):
            found.append(e)
    return sorted(found, key=lambda e: (e.retrieved or dt.date.min, e.market, e.key))


# --- coverage -------------------------------------------------------------------------


@attrs.frozen
class KeyCoverage:
    """One policy key of a market on the coverage date."""

    key: str
    state: str
    layer: str | None = None
    layer_kind: str | None = None
    defined_for: str | None = None
    source: str | None = None
    detail: str | None = None
    #: When a source last confirmed the value (``retrieved``), and whether that is more
    #: than 12 months before the coverage date.
    confirmed: dt.date | None = None
    stale: bool = False


@attrs.frozen
class RuleCoverage:
    """One rule of one market: the states of its keys on the coverage date."""

    rule: str
    state: str  # one of STATES when every key agrees, "partial", or "no_number" (a rule with no key)
    counts: dict[str, int]
    layer_kinds: tuple[str, ...]
    keys: tuple[KeyCoverage, ...]
    #: Some value in force was last confirmed more than 12 months before the date.
    stale: bool = False


@attrs.frozen
class MarketCoverage:
    market: str
    plugin: str
    abstract: bool
    rules: tuple[RuleCoverage, ...] = ()
    error: str | None = None


def _layer_kind(entry: Entry, market: Market, owners: Mapping[str, str]) -> str:
    kind = _layer_of(entry, owners)
    if kind.startswith("override"):
        return "override"
    if kind == "plugin" and entry.market != market.id:
        return "parent"
    return kind


def _key_coverage(resolved: Resolved, market: Market, owners: Mapping[str, str], as_of: dt.date) -> KeyCoverage:
    e = resolved.entry
    if e is None:
        return KeyCoverage(resolved.key, resolved.state, detail=resolved.detail)
    return KeyCoverage(resolved.key, resolved.state, layer=e.layer.name, layer_kind=_layer_kind(e, market, owners),
                       defined_for=e.market, source=e.source or None, detail=resolved.detail,
                       confirmed=e.retrieved,
                       stale=resolved.state == "in_force" and is_stale(e.retrieved, as_of))


def natural_key(text: str) -> tuple[tuple[int, str], ...]:
    """Sort ``TT-FEE-2`` before ``TT-FEE-10``."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text))


def coverage(engine: Engine, as_of: dt.date, markets: Sequence[str] = ()) -> list[MarketCoverage]:
    """For each market, each rule's state on ``as_of`` and the layers its values come from."""
    owners = {m.id: m.plugin for m in engine.markets()}
    chosen = [engine.market(m) for m in markets] if markets else engine.markets()
    out = []
    for market in chosen:
        try:
            policy = engine.policy(market.id)
            view = engine.view(market.id, as_of)
            by_rule: dict[str, list[KeyCoverage]] = {}
            for resolved in view.all_states():
                rule = resolved.entry.rule if resolved.entry is not None else policy.rules_of(resolved.key) or "?"
                by_rule.setdefault(rule, []).append(_key_coverage(resolved, market, owners, as_of))
        except ShopPolicyError as exc:
            out.append(MarketCoverage(market.id, market.plugin, market.abstract, error=str(exc)))
            continue
        rules = []
        for spec in engine.declared_rules(market.id):  # rules with no number: computed from the inputs
            if not any(spec.rule in (r.strip() for r in rule.split(",")) for rule in by_rule):
                by_rule[spec.rule] = []
        for rule, keys in sorted(by_rule.items(), key=lambda item: natural_key(item[0])):
            if not keys:
                rules.append(RuleCoverage(rule, "no_number", {}, (), ()))
                continue
            counts = {s: n for s in STATES if (n := sum(k.state == s for k in keys))}
            state = next(iter(counts)) if len(counts) == 1 else "partial"
            kinds = tuple(sorted({k.layer_kind for k in keys if k.layer_kind and k.state == "in_force"}))
            rules.append(RuleCoverage(rule, state, counts, kinds, tuple(keys), any(k.stale for k in keys)))
        out.append(MarketCoverage(market.id, market.plugin, market.abstract, tuple(rules)))
    return out
