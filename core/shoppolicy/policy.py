"""Dated, sourced, layered policy data: loading TOML files and resolving values.

A policy file holds ``[[values]]`` (a number or setting with its dates and source) and
``[[gaps]]`` (a value no source gives, with the reason).  Files come in layers; for a
market the order, lowest first, is: the owner plugin's data for the root market, then for
each variant down the chain, then data other installed plugins contribute, then the
user's override files in the order given.  Per key and instant, the highest layer with an
entry covering that instant wins.  Rank never depends on install order: two entries of
the same rank that overlap in time are an error naming both files.

What does not live here: what the values *mean* (the blocks of :mod:`shoppolicy.blocks`
and the plugins' compositions), the keys a plugin declares (:mod:`shoppolicy.policy_check`)
and the cache of compiled plans (:mod:`shoppolicy.engine`).

Time semantics: ``effective_from`` is a date (from 00:00) or a local date-time in the
market's time zone; ``effective_to`` given as a date is the last day in force (inclusive),
given as a date-time the instant the value stops (exclusive).  ``announced_on`` marks a
value published before it is in force.

Checked at load, each problem one line naming the file and the key path: the file is
UTF-8 (a byte order mark is allowed); a time has no offset (policy times are the
market's own) and lies in 2000..2099; a value holds no TOML float, and no number that
would overflow the arithmetic it feeds: a decimal is written plainly (no exponent) with
at most :data:`MAX_VALUE` in size and 12 decimal places, and a whole number under a key
that names days (``settlement.days.regular``, ``after_sales_days``) is at most
:data:`MAX_DAYS`.
"""

from __future__ import annotations

import bisect
import codecs
import datetime as dt
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from shoppolicy.convert import converter, parse_datetime, validation_problems
from shoppolicy.errors import PolicyFileError, PolicyGapError
from shoppolicy.model import Market
from shoppolicy.money import to_decimal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

CONFIDENCE_LEVELS = ("seed", "official", "third-party", "user", "derived", "statement")
#: The largest number (either sign) a policy value may hold: a rate or an amount of this
#: size applied to an order's amount (at most 10^12 too) stays inside Decimal's digits.
MAX_VALUE = 10**12
#: The most days a value under a key naming days may count (ten years): a payout date
#: counted from any order date (2000..2099) stays in the calendar.
MAX_DAYS = 3650
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,13}(?:\.[0-9]{1,12})?").fullmatch
ORIGIN_OWNER, ORIGIN_CONTRIBUTED, ORIGIN_OVERRIDE = 0, 1, 2
ORIGIN_NAMES = {ORIGIN_OWNER: "plugin", ORIGIN_CONTRIBUTED: "contributed", ORIGIN_OVERRIDE: "override"}

# --- file schema (what cattrs checks: keys and simple types) ------------------------


@attrs.frozen(slots=True)
class _Header:
    market: str | None = None
    description: str | None = None


@attrs.frozen(slots=True)
class _ValueSpec:
    rule: str
    key: str
    value: Any
    source: str
    market: str | None = None
    effective_from: Any = None
    effective_to: Any = None
    announced_on: Any = None
    confidence: str | None = None
    retrieved: Any = None
    note: str | None = None
    interpretation: str | None = None


@attrs.frozen(slots=True)
class _GapSpec:
    rule: str
    key: str
    reason: str
    market: str | None = None
    effective_from: Any = None
    effective_to: Any = None
    note: str | None = None
    #: What the sources do say: the published range of the rate (the span of both
    #: sources where they conflict) and an unconfirmed figure, as decimal strings.
    low: Any = None
    high: Any = None
    candidate: Any = None
    source: str | None = None
    retrieved: Any = None
    confidence: str | None = None


@attrs.frozen(slots=True)
class _FileSpec:
    policy: _Header = attrs.field(factory=_Header)
    values: list[_ValueSpec] = attrs.field(factory=list)
    gaps: list[_GapSpec] = attrs.field(factory=list)


# --- loaded entries -----------------------------------------------------------------


@attrs.frozen(slots=True)
class Layer:
    """Where entries came from: a plugin's file or a user's override file."""

    name: str
    origin: int
    order: int = 0
    distribution: str | None = None

    @property
    def kind(self) -> str:
        return ORIGIN_NAMES[self.origin]


@attrs.frozen(slots=True)
class Entry:
    """One dated value (or a declared gap) for one market and key."""

    market: str
    rule: str
    key: str
    value: Any
    source: str
    layer: Layer
    path: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    announced: dt.datetime | None = None
    confidence: str | None = None
    retrieved: dt.date | None = None
    note: str | None = None
    interpretation: str | None = None
    is_gap: bool = False
    #: A gap's published range and unconfirmed candidate (fractions, e.g. 0.081), and
    #: the source that gives them (a gap's ``source`` stays empty: it has no value).
    low: Decimal | None = None
    high: Decimal | None = None
    candidate: Decimal | None = None
    gap_source: str | None = None

    def covers(self, at: dt.datetime) -> bool:
        return (self.start is None or self.start <= at) and (self.end is None or at < self.end)

    def overlaps(self, other: Entry) -> bool:
        lo = max(self.start or dt.datetime.min, other.start or dt.datetime.min)
        hi = min(self.end or dt.datetime.max, other.end or dt.datetime.max)
        return lo < hi

    @property
    def span(self) -> str:
        start = self.start.isoformat() if self.start else "the beginning"
        end = f" until {self.end.isoformat()}" if self.end else ""
        return f"from {start}{end}"


def _start(value: Any, path: str, file: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        found = parse_datetime(value)
    except (TypeError, ValueError) as exc:
        raise PolicyFileError(file, str(exc), path) from None
    if found.tzinfo is not None:
        raise PolicyFileError(file, f"expected a date or a local date-time without an offset (policy times are "
                              f"in the market's time zone), got {_toml(value)}", path)
    return found


def _toml(value: Any) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.time)) else repr(value)


def _end(value: Any, path: str, file: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day) + dt.timedelta(days=1)
    if isinstance(value, str) and len(value.strip()) == 10:
        day = _start(value, path, file)
        assert day is not None
        return day + dt.timedelta(days=1)
    return _start(value, path, file)


def _check_exact(value: Any, path: str, file: str, key: str = "") -> None:
    """Refuse TOML floats anywhere in a value (0.1 as a float is not one tenth), and
    numbers and times later arithmetic could not take (see the module docstring)."""
    if isinstance(value, float):
        raise PolicyFileError(file, f"write decimals as strings (\"{value}\"), a TOML float is not exact", path)
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_exact(item, f"{path}[{i}]", file, key)
    if isinstance(value, dict):
        for k, item in value.items():
            _check_exact(item, f"{path}.{k}", file, key)
    if isinstance(value, (dt.date, dt.time)):
        _start(value, path, file)  # an offset or a date out of range is refused alike
    problem = _number_problem(value, key) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    if problem is not None:
        raise PolicyFileError(file, f"{problem} (key {key!r})" if key else problem, path)


def _number_problem(value: int | str, key: str) -> str | None:
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None  # text, not a number
        if _PLAIN_DECIMAL(value) is None:
            return (f"write a decimal plainly, as ASCII digits with at most one \".\" and 12 decimal places "
                    f"(no exponent, spaces or separators), got {value!r}")
    else:
        number = Decimal(value)
    if any("days" in part for part in key.split(".")) and abs(number) > MAX_DAYS:
        return f"expected at most {MAX_DAYS:,} days, got {value!r}"
    if abs(number) > MAX_VALUE:
        return f"expected at most {MAX_VALUE:,} (10^12) either side of zero, got {value!r}"
    return None


def parse_policy(text: str, file: str, layer: Layer) -> list[Entry]:
    """Parse and validate one policy file's text into entries (values and gaps)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(file, f"not valid TOML: {exc}") from None
    try:
        spec = converter.structure(raw, _FileSpec)
    except Exception as exc:  # cattrs raises exception groups; name the first key path
        path, problem = validation_problems(exc)[0]
        raise PolicyFileError(file, problem, path or None) from None
    entries: list[Entry] = []
    default_market = spec.policy.market
    sections: tuple[tuple[str, Sequence[_ValueSpec | _GapSpec]], ...] = (("values", spec.values),
                                                                          ("gaps", spec.gaps))
    for section, items in sections:
        for i, item in enumerate(items):
            path = f"{section}[{i}]"
            market = item.market or default_market
            if not market:
                raise PolicyFileError(file, "required: name the market here or in [policy] market", f"{path}.market")
            start = _start(item.effective_from, f"{path}.effective_from", file)
            end = _end(item.effective_to, f"{path}.effective_to", file)
            if start and end and end <= start:
                raise PolicyFileError(file, f"effective_to is before effective_from ({item.effective_from})",
                                      f"{path}.effective_to")
            if not item.rule.strip() or not item.key.strip():
                raise PolicyFileError(file, "rule and key must not be empty", path)
            if item.confidence is not None and item.confidence not in CONFIDENCE_LEVELS:
                raise PolicyFileError(file, f"expected one of {', '.join(CONFIDENCE_LEVELS)}, "
                                      f"got {item.confidence!r}", f"{path}.confidence")
            if isinstance(item, _ValueSpec):
                if "*" in item.key:
                    raise PolicyFileError(file, f"{item.key}: a value names one key; a key with '*' stands for a "
                                          "family and only a [[gaps]] entry may use it", f"{path}.key")
                if item.value == "":
                    raise PolicyFileError(file, f"{item.key}: value left empty; fill in the value and its source, "
                                          "or remove the entry", f"{path}.value")
                _check_exact(item.value, f"{path}.value", file, item.key)
                if not item.source.strip():
                    raise PolicyFileError(file, "every value needs a source (a catalogue id or a URL)",
                                          f"{path}.source")
                announced = _start(item.announced_on, f"{path}.announced_on", file)
                # A user's own value with no confidence is the user's: never stronger than a source.
                confidence = item.confidence or ("user" if layer.origin == ORIGIN_OVERRIDE else None)
                retrieved = _start(item.retrieved, f"{path}.retrieved", file)
                entries.append(Entry(
                    market=market, rule=item.rule, key=item.key, value=item.value, source=item.source,
                    layer=layer, path=f"{file}: {path}", start=start, end=end, announced=announced,
                    confidence=confidence, retrieved=retrieved.date() if retrieved else None,
                    note=item.note, interpretation=item.interpretation))
            else:
                low, high, candidate = (_fraction(getattr(item, name), f"{path}.{name}", file)
                                        for name in ("low", "high", "candidate"))
                if (low is None) != (high is None):
                    raise PolicyFileError(file, "a range needs both low and high", f"{path}.low")
                if low is not None and high is not None and low > high:
                    raise PolicyFileError(file, f"low ({low}) is above high ({high})", f"{path}.low")
                if (low is not None or candidate is not None) and not (item.source or "").strip():
                    raise PolicyFileError(file, "a range or a candidate needs its source", f"{path}.source")
                retrieved = _start(item.retrieved, f"{path}.retrieved", file)
                entries.append(Entry(
                    market=market, rule=item.rule, key=item.key, value=None, source="", layer=layer,
                    path=f"{file}: {path}", start=start, end=end, note=item.reason, is_gap=True,
                    confidence=item.confidence, retrieved=retrieved.date() if retrieved else None,
                    low=low, high=high, candidate=candidate, gap_source=item.source))
    return entries


def _fraction(value: Any, path: str, file: str) -> Decimal | None:
    """A gap's ``low``, ``high`` or ``candidate``: a decimal string between 0 and 1."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PolicyFileError(file, f"write a rate as a decimal string (\"0.081\"), got {value!r}", path)
    try:
        found = to_decimal(value)
    except (TypeError, ValueError):
        found = None
    if found is None or not found.is_finite() or not 0 <= found <= 1:
        raise PolicyFileError(file, f"expected a rate between 0 and 1 as a decimal string, got {value!r}", path)
    return found


def load_policy_file(path: str | Path, layer: Layer | None = None) -> list[Entry]:
    """Load a user's override file (the ``--policy FILE`` layer unless told otherwise)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise PolicyFileError(str(p), f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
        line = data.count(b"\n", 0, at) + 1
        column = at - (data.rfind(b"\n", 0, at) + 1) + 1
        raise PolicyFileError(str(p), f"not UTF-8 text (byte 0x{data[at]:02x} at line {line}, column {column}); "
                              "save it as UTF-8") from None
    return parse_policy(text, str(p), layer or Layer(name=f"override {p.name}", origin=ORIGIN_OVERRIDE))


# --- resolution ---------------------------------------------------------------------


@attrs.frozen(slots=True)
class Resolved:
    """The state of one key at one instant: ``in_force`` (with its entry), ``announced``,
    ``ended``, ``not_yet`` or ``gap``."""

    key: str
    state: str
    entry: Entry | None = None
    detail: str | None = None

    @property
    def value(self) -> Any:
        return self.entry.value if self.entry is not None and self.state == "in_force" else None


class MarketPolicy:
    """All entries that apply to one market (its chain of parents included), ranked.

    Built once per market; :meth:`view` gives the values in force at an instant, and
    :meth:`epoch` the index of the time slice an instant falls in (plans are cached per
    slice, so one resolution serves every order between two policy changes).
    """

    def __init__(self, market: Market, chain: Sequence[Market], entries: Iterable[Entry],
                 owners: Mapping[str, str]) -> None:
        self.market = market
        self.chain = tuple(chain)  # root first, the market itself last
        depth = {m.id: i for i, m in enumerate(self.chain)}
        ranked: dict[str, list[tuple[tuple[int, int, int], Entry]]] = {}
        for entry in entries:
            if entry.market not in depth:
                continue
            origin = entry.layer.origin
            if origin == ORIGIN_OWNER and entry.layer.distribution != owners.get(entry.market):
                origin = ORIGIN_CONTRIBUTED
            rank = (origin, entry.layer.order, depth[entry.market])
            ranked.setdefault(entry.key, []).append((rank, entry))
        self._candidates: dict[str, list[tuple[tuple[int, int, int], Entry]]] = {}
        self._ranks: dict[int, tuple[int, int, int]] = {id(e): r for items in ranked.values() for r, e in items}
        points: set[dt.datetime] = set()
        for key, items in ranked.items():
            items.sort(key=lambda re: (re[0], re[1].start or dt.datetime.min), reverse=True)
            _check_overlaps(market.id, key, items)
            self._candidates[key] = items
            for _, e in items:
                points.update(p for p in (e.start, e.end, e.announced) if p is not None)
        self.boundaries: list[dt.datetime] = sorted(points)
        # Every start, end and announcement is a boundary, so a key resolves alike
        # anywhere in one time slice: each (key, slice) is resolved once.
        self._resolved: dict[tuple[str, int], Resolved] = {}
        self._notes: dict[str, str | None] = {}  # each key's declared gap note (see gap_note)

    def all_keys(self) -> list[str]:
        return sorted(self._candidates)

    def slices_of(self, keys: Iterable[str]) -> list[dt.datetime]:
        """An instant in each time slice in which some of ``keys`` could change: the
        beginning of time and every start or end of their entries."""
        points = {p for key in keys for _, e in self._candidates.get(key, ()) for p in (e.start, e.end)
                  if p is not None}
        return [dt.datetime.min, *sorted(points)]

    def epoch(self, at: dt.datetime) -> int:
        return bisect.bisect_right(self.boundaries, at)

    def view(self, at: dt.datetime) -> PolicyView:
        """The policy in force at ``at`` (its time slice is ``view.epoch``)."""
        return PolicyView(self, at, bisect.bisect_right(self.boundaries, at))

    def resolve(self, key: str, at: dt.datetime) -> Resolved:
        """What ``key`` is at ``at``: in force, a gap, announced, not yet, or ended."""
        memo = (key, bisect.bisect_right(self.boundaries, at))
        found = self._resolved.get(memo)
        if found is None:
            found = self._resolved[memo] = self._resolve(key, at)
        return found

    def _resolve(self, key: str, at: dt.datetime) -> Resolved:
        items = self._candidates.get(key, ())
        for _, entry in items:
            if entry.covers(at):
                if entry.is_gap:
                    return Resolved(key, "gap", entry, entry.note)
                return Resolved(key, "in_force", entry)
        entries = [e for _, e in items if not e.is_gap]
        announced = [e for e in entries if e.announced and e.start and e.announced <= at < e.start]
        if announced:
            e = min(announced, key=lambda x: x.start or dt.datetime.min)
            return Resolved(key, "announced", e, f"announced {e.announced:%Y-%m-%d}, in force from {e.start}")
        later = [e for e in entries if e.start and e.start > at]
        if later:
            e = min(later, key=lambda x: x.start or dt.datetime.min)
            return Resolved(key, "not_yet", e, f"no value before {e.start}")
        ended = [e for e in entries if e.end and e.end <= at]
        if ended:
            e = max(ended, key=lambda x: x.end or dt.datetime.min)
            return Resolved(key, "ended", e, f"ended {e.end}, no successor published")
        gap = self.gap_note(key)
        return Resolved(key, "gap", None, gap)

    def declared_gap(self, key: str, at: dt.datetime) -> Entry | None:
        """The ``[[gaps]]`` entry in force at ``at`` for ``key`` or a wildcard covering it."""
        for _, e in self._candidates.get(key, ()):
            if e.is_gap and e.covers(at):
                return e
        for pattern, items in self._candidates.items():
            if pattern.endswith("*") and key.startswith(pattern[:-1]):
                for _, e in items:
                    if e.is_gap and e.covers(at):
                        return e
        return None

    def rank(self, entry: Entry) -> tuple[int, int, int]:
        """The layer rank of one of this market's entries (higher wins)."""
        return self._ranks[id(entry)]

    def gap_note(self, key: str) -> str | None:
        """The reason a declared gap gives for ``key`` (or a wildcard like ``rate.*``)."""
        if key not in self._notes:
            self._notes[key] = self._gap_note(key)
        return self._notes[key]

    def _gap_note(self, key: str) -> str | None:
        for _, e in self._candidates.get(key, ()):
            if e.is_gap and e.note:
                return e.note
        for pattern, items in self._candidates.items():
            if pattern.endswith("*") and key.startswith(pattern[:-1]):
                for _, e in items:
                    if e.is_gap and e.note:
                        return e.note
        return None

    def rules_of(self, key: str) -> str | None:
        items = self._candidates.get(key)
        if items:
            return items[0][1].rule
        for pattern, items in self._candidates.items():
            if pattern.endswith("*") and key.startswith(pattern[:-1]):
                return items[0][1].rule
        return None


def _check_overlaps(market: str, key: str, items: Sequence[tuple[tuple[int, int, int], Entry]]) -> None:
    for i, (rank, a) in enumerate(items):
        for rank_b, b in items[i + 1:]:
            if rank_b != rank:
                break
            if a.overlaps(b):
                raise PolicyFileError(
                    a.path, f"{key!r} for {market} overlaps {b.path} ({a.span} vs {b.span}) in the same "
                    "layer; close one range (effective_to) or move one value to an override file")


class PolicyView:
    """The values of one market in force at one instant, as plugins read them.

    Lookups raise :class:`PolicyGapError` for anything not in force, so a plugin cannot
    turn a missing number into a silent zero.  ``used`` records the entries read, which
    becomes the explanation trail of results computed from this view.
    """

    __slots__ = ("_policy", "at", "epoch", "market")

    def __init__(self, policy: MarketPolicy, at: dt.datetime, epoch: int) -> None:
        self._policy = policy
        self.market = policy.market
        self.at = at
        self.epoch = epoch

    def state(self, key: str) -> Resolved:
        return self._policy.resolve(key, self.at)

    def entry(self, key: str, rule: str, category: str | None = None, *, on: dt.date | None = None) -> Entry:
        """The entry in force for ``key``, or a :class:`PolicyGapError` naming ``rule``
        (dated ``on``, the order's own date, where the caller knows it)."""
        found = self._policy.resolve(key, self.at)
        if found.state != "in_force" or found.entry is None:
            raise self.gap(key, rule, category, on=on, found=found)
        return found.entry

    def explained_by_family_gap(self, key: str, found: Resolved, family: str | None = None) -> bool:
        """Whether a key with no value now (ended, not yet) is better explained by the
        ``[[gaps]]`` entry in force for its family (``rate.*``, or the fee's flat key
        ``family``): the declared gap speaks when its layer ranks at least as high as the
        key's own entry (a user's override that ended names itself; an announced value
        always does)."""
        if found.state == "announced" or (found.entry is not None and found.entry.is_gap):
            return False  # a published value on its way, or a gap declared for this very key, names itself
        declared = self._policy.declared_gap(key, self.at)
        if family is not None and (declared is None or declared is found.entry):
            flat = self._policy.resolve(family, self.at)  # a gap declared on the fee's flat key, now
            declared = flat.entry if flat.state == "gap" and flat.entry is not None and flat.entry.is_gap else None
        if declared is None or found.entry is None or declared is found.entry:
            return False
        return self._policy.rank(declared) >= self._policy.rank(found.entry)

    def gap(self, key: str, rule: str, category: str | None = None, *, on: dt.date | None = None,
            found: Resolved | None = None) -> PolicyGapError:
        """The policy gap of ``key`` now: its state, reason, and any published range or
        candidate a declared gap records (for a wildcard key, the wildcard's)."""
        found = found or self._policy.resolve(key, self.at)
        declared = found.entry if found.entry is not None and found.entry.is_gap else None
        if declared is None and found.state == "gap":
            declared = self._policy.declared_gap(key, self.at)
        return PolicyGapError(
            market=self.market.id, rule=declared.rule if declared else (found.entry.rule if found.entry else rule),
            key=key, on=on or self.at.date(), state=found.state,
            detail=found.detail or (declared.note if declared is not None else None),
            category=category, low=declared.low if declared else None, high=declared.high if declared else None,
            candidate=declared.candidate if declared else None,
            source=declared.gap_source if declared else None,
            until=declared.end if declared else (found.entry.start if found.state in ("not_yet", "announced")
                                                 and found.entry is not None else None))

    def get(self, key: str, rule: str, category: str | None = None) -> Any:
        return self.entry(key, rule, category).value

    def decimal(self, key: str, rule: str, category: str | None = None) -> Decimal:
        entry = self.entry(key, rule, category)
        try:
            return to_decimal(entry.value)
        except (TypeError, ValueError) as exc:
            raise PolicyFileError(entry.path, f"{key}: {exc}") from None

    def integer(self, key: str, rule: str) -> int:
        entry = self.entry(key, rule)
        if isinstance(entry.value, bool) or not isinstance(entry.value, int):
            raise PolicyFileError(entry.path, f"{key}: expected a whole number, got {entry.value!r}")
        return entry.value

    def boolean(self, key: str, rule: str) -> bool:
        entry = self.entry(key, rule)
        if not isinstance(entry.value, bool):
            raise PolicyFileError(entry.path, f"{key}: expected true or false, got {entry.value!r}")
        return entry.value

    def text(self, key: str, rule: str) -> str:
        entry = self.entry(key, rule)
        if not isinstance(entry.value, str):
            raise PolicyFileError(entry.path, f"{key}: expected a string, got {entry.value!r}")
        return entry.value

    def optional(self, key: str) -> Entry | None:
        """The entry in force, or ``None`` when the key has no value now (any reason)."""
        found = self._policy.resolve(key, self.at)
        return found.entry if found.state == "in_force" else None

    def has(self, key: str) -> bool:
        return self.optional(key) is not None

    def with_prefix(self, prefix: str) -> Iterator[tuple[str, Entry]]:
        """Every key under ``prefix`` with a value in force (e.g. a category table)."""
        for key in self._policy.all_keys():
            if key.startswith(prefix) and not key.endswith("*"):
                entry = self.optional(key)
                if entry is not None:
                    yield key, entry

    def all_states(self) -> list[Resolved]:
        return [self._policy.resolve(k, self.at) for k in self._policy.all_keys()]
