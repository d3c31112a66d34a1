"""The authoring commands: ``shoppolicy coverage`` and ``shoppolicy check-sources``.

They live apart from :mod:`shoppolicy.cli` because they serve plugin and policy-data
authors rather than sellers; :func:`register` adds them to the ``shoppolicy`` group.
The group's ``--format`` and ``--policy`` options are read from the click context
object, as every other command does.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any, Protocol

import click

from shoppolicy import render
from shoppolicy.authoring import STATES, MarketCoverage, check_sources, coverage, natural_key, stale_values
from shoppolicy.cli_common import as_of as _as_of
from shoppolicy.cli_common import format_option
from shoppolicy.convert import unstructure
from shoppolicy.engine import Engine
from shoppolicy.policy import Entry

_CODES = {"in_force": "F", "announced": "A", "not_yet": "N", "ended": "E", "gap": "G", "no_number": "-"}
_LAYER_MARKS = {"contributed": "+c", "override": "+o"}
LEGEND = ("F in force, A announced (not yet in force), N not yet (no value before a later start), "
          "E ended (no successor), G policy gap; a number counts keys when a rule's keys differ; "
          "+c a value in force comes from a contributed layer, +o from an override file; - a rule declared "
          "with no number of its own (computed from the inputs); . no key; * a value in force was last confirmed "
          "by a source more than 12 months before the date")


class _CliState(Protocol):
    """What the ``shoppolicy`` group puts in the context object."""

    format: str

    @property
    def engine(self) -> Engine: ...


def _state() -> _CliState:
    state: _CliState = click.get_current_context().find_root().obj
    return state


def _cell(market: MarketCoverage, rule: str) -> str:
    found = next((r for r in market.rules if r.rule == rule), None)
    if found is None:
        return "."
    if len(found.counts) <= 1:
        text = _CODES[found.state]
    else:
        text = " ".join(f"{_CODES[s]}{found.counts[s]}" for s in STATES if s in found.counts)
    return text + "".join(_LAYER_MARKS[k] for k in found.layer_kinds if k in _LAYER_MARKS) + \
        ("*" if found.stale else "")


def coverage_text(rows: Sequence[MarketCoverage], as_of: dt.date) -> str:
    """The market × rule matrix as a text table, with its legend."""
    rules = sorted({r.rule for m in rows for r in m.rules}, key=natural_key)
    table = render.table([[rule, *(_cell(m, rule) for m in rows)] for rule in rules],
                         ["rule", *(m.market for m in rows)])
    lines = [f"policy coverage on {as_of.isoformat()}", table, "", LEGEND]
    lines.extend(f"error: {m.market}: {m.error}" for m in rows if m.error)
    return "\n".join(lines)


def coverage_dict(rows: Sequence[MarketCoverage], as_of: dt.date) -> dict[str, Any]:
    return {"as_of": as_of.isoformat(), "markets": [unstructure(m) for m in rows]}


@click.command("coverage")
@format_option
@click.option("--as-of", "as_of", metavar="DATE", help="Date (YYYY-MM-DD) in each market's time zone; default today.")
@click.option("--market", "markets", multiple=True, metavar="ID", help="Only this market; repeatable.")
def coverage_command(as_of: str | None, markets: tuple[str, ...]) -> None:
    """Show, for each market, which rules are in force, announced, not yet, ended or a
    policy gap on a date, and whether a contributed or override layer supplies them."""
    state = _state()
    day = _as_of(as_of)
    rows = coverage(state.engine, day, markets)
    if state.format == "json":
        click.echo(json.dumps(coverage_dict(rows, day), ensure_ascii=False))
    else:
        click.echo(coverage_text(rows, day))


@click.command("check-sources")
@format_option
@click.option("--distribution", "distributions", multiple=True, metavar="NAME",
              help="Only the policy files of this installed distribution; repeatable.")
@click.option("--stale", "stale_months", type=click.IntRange(min=0), metavar="MONTHS",
              help="Also list the values a source last confirmed more than MONTHS months before --as-of.")
@click.option("--as-of", "as_of", metavar="DATE", help="The date --stale counts back from (YYYY-MM-DD); default today.")
def check_sources_command(distributions: tuple[str, ...], stale_months: int | None, as_of: str | None) -> None:
    """Check every shipped policy value: its source resolves (a catalogue id such as
    TT-PAY-2, or an https URL with a retrieved date), no two values of one key overlap
    in one layer, and every file has only known keys.  Exit 1 listing every problem.
    With --stale MONTHS, also list (without failing) the values last confirmed more than
    MONTHS months before the date whose period reaches past that age."""
    shipped, problems = check_sources(distributions)
    day = _as_of(as_of)
    stale = stale_values(shipped.entries, stale_months, day) if stale_months is not None else None
    values = sum(not e.is_gap for e in shipped.entries)
    summary = f"{values} value(s) in {len(shipped.plugins)} plugin(s) checked: "
    if _state().format == "json":
        data: dict[str, Any] = {"ok": not problems, "values": values,
                                "plugins": [p.distribution for p in shipped.plugins],
                                "problems": [unstructure(p) for p in problems]}
        if stale is not None:
            data["stale"] = {"months": stale_months, "as_of": day.isoformat(),
                             "values": [_stale_dict(e) for e in stale]}
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        for problem in problems:
            click.echo(str(problem))
        click.echo(summary + (f"{len(problems)} problem(s)" if problems else "every source resolves"),
                   err=bool(problems))
        if stale is not None:
            click.echo(f"{len(stale)} value(s) last confirmed more than {stale_months} month(s) before "
                       f"{day.isoformat()}:")
            for e in stale:
                click.echo(f"  {e.market} {e.key} ({e.rule}): last confirmed "
                           f"{e.retrieved.isoformat() if e.retrieved else 'never (no retrieved date)'}"
                           f"; {e.path}")
    if not shipped.plugins:
        click.echo("error: no installed plugin matches" + (f" {', '.join(distributions)}" if distributions else ""),
                   err=True)
        sys.exit(1)
    if problems:
        sys.exit(1)


def _stale_dict(entry: Entry) -> dict[str, Any]:
    return {"market": entry.market, "key": entry.key, "rule": entry.rule,
            "retrieved": entry.retrieved.isoformat() if entry.retrieved else None, "path": entry.path}


def register(group: click.Group) -> None:
    """Add the authoring commands to ``group`` (the ``shoppolicy`` command); idempotent."""
    for command in (coverage_command, check_sources_command):
        if command.name not in group.commands:
            group.add_command(command)
