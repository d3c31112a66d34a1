"""What a set of orders is missing: the distinct policy keys their gaps name, how many
orders each blocks and the earliest date it is needed, and an override template that
supplies them (``shoppolicy gaps ORDERS [--template]``).

The template holds one ``[[values]]`` entry per missing key with ``rule``, ``key`` and
``effective_from`` filled in and ``value = ""`` and ``source = ""`` left for the user;
loading it unfilled fails with one line naming the first key left empty
(:func:`shoppolicy.policy.parse_policy`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from shoppolicy.model import Gap, Quote


@attrs.define(slots=True)
class MissingKey:
    """One policy key the orders need and the data does not give."""

    market: str
    rule: str
    key: str
    orders: int
    needed_from: dt.date
    example: Gap

    @property
    def fillable(self) -> bool:
        """Whether an override value can supply it (not: no plugin prices the market)."""
        return self.rule != "(none)" and "*" not in self.key and "<" not in self.key


def missing_keys(quotes: Iterable[Quote]) -> list[MissingKey]:
    """The distinct missing keys of ``quotes``, the one blocking most orders first."""
    found: dict[tuple[str, str, str], MissingKey] = {}
    for quote in quotes:
        for gap in {(g.market, g.rule, g.key): g for g in quote.gaps}.values():
            key = (gap.market, gap.rule, gap.key)
            entry = found.get(key)
            if entry is None:
                found[key] = MissingKey(gap.market, gap.rule, gap.key, 1, gap.on, gap)
            else:
                entry.orders += 1
                entry.needed_from = min(entry.needed_from, gap.on)
    return sorted(found.values(), key=lambda m: (-m.orders, m.market, m.key))


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _comment(text: str) -> str:
    return " ".join(text.split())  # one line: a reason may hold line breaks


def gap_end(until: dt.datetime) -> dt.date | dt.datetime:
    """``effective_to`` for a value that fills a gap ending at ``until`` (exclusive): a
    date (its last day, inclusive) when the gap ends at midnight, else the instant."""
    if until.time() == dt.time():
        return (until - dt.timedelta(days=1)).date()
    return until


def values_entry(*, market: str, rule: str, key: str, effective_from: dt.date,
                 value: str, source: str, confidence: str, effective_to: dt.date | dt.datetime | None = None,
                 note: str | None = None) -> list[str]:
    """One ``[[values]]`` entry of an override file, as TOML lines (a blank line last)."""
    lines = [
        "[[values]]",
        f"market = {_toml_string(market)}",
        f"rule = {_toml_string(rule)}",
        f"key = {_toml_string(key)}",
        f"effective_from = {effective_from.isoformat()}",
    ]
    if effective_to is not None:
        lines.append(f"effective_to = {effective_to.isoformat()}")
    lines += [f"value = {_toml_string(value)}", f"source = {_toml_string(source)}",
              f"confidence = {_toml_string(confidence)}"]
    if note is not None:
        lines.append(f"note = {_toml_string(note)}")
    return [*lines, ""]


def template(missing: Iterable[MissingKey], *, source_file: str) -> str:
    """An override file (TOML) with one entry to fill in per missing key."""
    lines = [
        f"# Policy override template written by `shoppolicy gaps {source_file} --template`.",
        "# Fill in each value (a rate or amount as a decimal string such as \"0.05\", days as a",
        "# whole number without quotes) and its source (where the figure comes from: a page and",
        "# the date you read it, or your own statement), then pass this file with --policy.",
        "# An entry left empty stops the file from loading, naming its key.",
        "",
    ]
    for m in missing:
        gap = m.example
        if not m.fillable:
            lines += [_comment(f"# not fillable here: {m.market} {m.rule} {m.key} ({gap.detail or gap.state}); "
                               f"{m.orders} order(s)"), ""]
            continue
        lines.append(_comment(f"# {m.orders} order(s) need this from {m.needed_from}; {gap.detail or gap.state}"))
        if gap.low is not None:
            lines.append(_comment(f"# published range: {gap.low} to {gap.high}"
                                  + (f" ({gap.source})" if gap.source else "")))
        if gap.candidate is not None:
            lines.append(_comment(f"# unconfirmed candidate: {gap.candidate}"
                                  + (f" ({gap.source})" if gap.source else "")))
        if gap.until is not None:
            lines.append(f"# the gap ends {gap.until.isoformat()}: the value stops there")
        lines += values_entry(market=m.market, rule=m.rule, key=m.key, effective_from=m.needed_from, value="",
                              source="", confidence="user",
                              effective_to=gap_end(gap.until) if gap.until is not None else None)
    return "\n".join(lines)
