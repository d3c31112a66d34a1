"""Checking policy data against the keys plugins declare (:mod:`shoppolicy.blocks.keys`).

Every value and gap of a policy file, shipped or override, for a market whose owner (or
an owner up its chain) declares keys must name a declared key, cite a rule declared with
it, and hold a value of the declared type; otherwise the file is refused at load with one
line naming the file, the key and the nearest declared key.  A ``*`` in a declared
pattern stands for one part of a key, ``**`` for one or more; a gap declared for a whole
family (``fee.commission.rate.*``) is accepted where declared keys lie under it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from shoppolicy.blocks.keys import TYPES, KeySpec
from shoppolicy.errors import PolicyFileError
from shoppolicy.money import quantum, to_decimal
from shoppolicy.policy import Entry

#: No amount in policy data reaches this many major units: later arithmetic cannot overflow.
MAX_MAGNITUDE = Decimal(10) ** 12


def _parts_match(pattern: Sequence[str], key: Sequence[str]) -> bool:
    if not pattern:
        return not key
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_parts_match(rest, key[i:]) for i in range(1, len(key) + 1))
    return bool(key) and (head == "*" or head == key[0]) and _parts_match(rest, key[1:])


def _under(pattern: Sequence[str], prefix: Sequence[str]) -> bool:
    """Whether some key ``pattern`` matches starts with the parts ``prefix``."""
    for i, part in enumerate(prefix):
        if i >= len(pattern):
            return False
        if pattern[i] == "**":
            return True
        if pattern[i] != "*" and pattern[i] != part:
            return False
    return len(pattern) > len(prefix)


@functools.lru_cache(maxsize=4096)
def _pattern_parts(pattern: str) -> tuple[str, ...]:
    return tuple(pattern.split("."))


def spec_for(key: str, specs: Sequence[KeySpec]) -> KeySpec | None:
    """The declaration ``key`` falls under (a family wildcard: the first one under it)."""
    parts = key.split(".")
    if parts[-1] == "*":
        return next((s for s in specs if _under(_pattern_parts(s.pattern), parts[:-1])), None)
    for spec in specs:
        pattern = _pattern_parts(spec.pattern)
        # Most declarations differ from the key in their first part: passed over at once.
        if pattern and pattern[0] not in ("*", "**", parts[0]):
            continue
        if _parts_match(pattern, parts):
            return spec
    return None


def _instantiate(pattern: Sequence[str], key: Sequence[str]) -> list[str]:
    """``pattern`` with each ``*`` taking the key's part in its place (``**`` the rest),
    so a misspelling is compared with what the pattern would accept there."""
    out: list[str] = []
    for i, part in enumerate(pattern):
        if part == "**":
            out.extend(key[i:] or ["*"])
            break
        out.append(key[i] if part == "*" and i < len(key) else part)
    return out


def nearest(key: str, specs: Sequence[KeySpec]) -> str | None:
    """The declared pattern closest to ``key`` (compared as ``key`` would fill it in)."""
    parts = key.split(".")
    best, score = None, -1.0
    for spec in specs:
        filled = ".".join(_instantiate(spec.pattern.split("."), parts))
        ratio = difflib.SequenceMatcher(None, key, filled).ratio()
        if ratio > score:
            best, score = spec.pattern, ratio
    return best


def check_entry(entry: Entry, specs: Sequence[KeySpec], currency: str | None) -> None:
    """Refuse ``entry`` (raise PolicyFileError) unless a declaration in ``specs`` covers it."""
    spec = spec_for(entry.key, specs)
    if spec is None:
        near = nearest(entry.key, specs)
        hint = f"; nearest declared key: {near}" if near else ""
        raise PolicyFileError(entry.path, f"key {entry.key!r} is not declared for {entry.market}{hint} "
                              "(`shoppolicy coverage` lists every declared key)")
    rules = [r.strip() for r in entry.rule.split(",") if r.strip()]
    allowed = spec.rules.split("|")
    wrong = [r for r in rules if not any(fnmatch.fnmatchcase(r, pattern) for pattern in allowed)]
    if wrong or not rules:
        raise PolicyFileError(entry.path, f"key {entry.key!r}: rule {', '.join(wrong) or repr(entry.rule)} is not "
                              f"declared with it (expected {spec.rules})")
    if entry.is_gap:
        return
    problem = value_problem(entry.value, spec.type, currency)
    if problem is not None:
        raise PolicyFileError(entry.path, f"key {entry.key!r}: expected {TYPES[spec.type]}, got "
                              f"{entry.value!r}{problem}")
    if spec.choices:
        given = entry.value if isinstance(entry.value, list) else [entry.value]
        unknown = [v for v in given if v not in spec.choices]
        if unknown:
            raise PolicyFileError(entry.path, f"key {entry.key!r}: {', '.join(map(repr, unknown))} is not one of "
                                  f"{', '.join(spec.choices)}")


def value_problem(value: Any, kind: str, currency: str | None) -> str | None:
    """``None`` when ``value`` is of type ``kind``; otherwise a (possibly empty) detail."""
    if kind in ("rate", "money", "decimal"):
        if not isinstance(value, str):
            return ""
        try:
            number = to_decimal(value)
        except (TypeError, ValueError):
            return ""
        if abs(number) > MAX_MAGNITUDE:
            return f" (at most {MAX_MAGNITUDE:,} in magnitude)"
        if kind == "rate" and not 0 <= number <= 1:
            return ""
        if kind == "money":
            if number < 0:
                return ""
            if currency is not None and number != number.quantize(quantum(currency)):
                return f" (more decimal places than {currency} has)"
        return None
    if kind in ("days", "count"):
        high = 3650 if kind == "days" else 1_000_000
        return None if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= high else ""
    if kind == "flag":
        return None if isinstance(value, bool) else ""
    if kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return None
        try:
            dt.date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return ""
        return None if isinstance(value, str) else ""
    if kind == "text":
        return None if isinstance(value, str) and value.strip() else ""
    if kind == "names":
        ok = isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value)
        return None if ok else ""
    if kind == "days_of_month":
        ok = isinstance(value, list) and value and all(
            isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 31 for v in value)
        return None if ok else ""
    if kind == "fraction":
        if isinstance(value, str) and value.count("/") == 1:
            try:
                a, b = (to_decimal(p.strip()) for p in value.split("/"))
            except (TypeError, ValueError):
                return ""
            return None if a > 0 and b > 0 else ""
        return ""
    return ""
