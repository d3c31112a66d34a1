"""The statement commands: ``shoppolicy reconcile`` and ``shoppolicy learn-rates``.

Thin: read the statement (:func:`shoppolicy.statements.read_statement`) and the orders,
call :func:`~shoppolicy.statements.reconcile` or :func:`~shoppolicy.statements.learn_rates`,
render.  :func:`register` adds them to the ``shoppolicy`` group.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

import click

from shoppolicy import render
from shoppolicy.cli_common import format_option
from shoppolicy.engine import Engine
from shoppolicy.errors import InputError
from shoppolicy.records import read_all
from shoppolicy.statements import FORMATS, learn_rates, read_statement, reconcile

EXIT_UNEXPLAINED = 3


class _CliState(Protocol):
    format: str

    @property
    def engine(self) -> Engine: ...


def _state() -> _CliState:
    return click.get_current_context().obj  # type: ignore[no-any-return]


def _tolerance(ctx: click.Context, param: click.Parameter, value: str) -> Decimal:
    try:
        found = Decimal(value)
    except InvalidOperation:
        found = Decimal(-1)
    if not found.is_finite() or found < 0:
        raise click.BadParameter(f"expected an amount >= 0 such as 0.01, got {value!r}")
    return found


def _orders(path: str | None) -> list[dict[str, Any]] | None:
    if path is None:
        return None
    return [record for _, record in read_all(path)]


_STATEMENT = click.argument("statement", type=click.Path(dir_okay=False))
_OPTIONS = [
    click.option("--orders", "orders_file", type=click.Path(dir_okay=False, allow_dash=True),
                 help="The seller's order records (JSON Lines or CSV); default: built from the statement."),
    click.option("--statement-format", "statement_format", type=click.Choice(FORMATS),
                 help="The statement's format; default: detected from the file."),
    click.option("--market", help="The market, for a statement that names no currency (or an ambiguous one)."),
]


def _with_options(command: Any) -> Any:
    for option in reversed(_OPTIONS):
        command = option(command)
    return _STATEMENT(command)


@click.command("reconcile")
@format_option
@_with_options
@click.option("--tolerance", default="0", show_default=True, callback=_tolerance, metavar="AMOUNT",
              help="A difference up to this amount still matches (default: exact to the minor unit).")
def reconcile_command(statement: str, orders_file: str | None, statement_format: str | None, market: str | None,
                      tolerance: Decimal) -> None:
    """Check STATEMENT (a TikTok Shop or Douyin statement) against our figures, fee by fee.

    One row per order and fee: computed, charged, difference and status (match,
    mismatch, not_modelled, gap, missing_from_orders, missing_from_statement) with the
    rule, source and layer of the computed figure; the statement's own arithmetic; a
    summary per fee.  Exit 3 when anything is unexplained.
    """
    state = _state()
    parsed = read_statement(statement, statement_format, currency=_currency(state.engine, market))
    result = reconcile(parsed, state.engine, orders=_orders(orders_file), tolerance=tolerance, market=market)
    if state.format == "json":
        for record in render.reconcile_records(result):
            click.echo(json.dumps(record, ensure_ascii=False))
    else:
        click.echo(render.reconcile_text(result))
    if not result.explained:
        sys.exit(EXIT_UNEXPLAINED)


@click.command("learn-rates")
@format_option
@_with_options
@click.option("--out", "out", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the learned rates as an override file (TOML; - for standard output).")
def learn_rates_command(statement: str, orders_file: str | None, statement_format: str | None, market: str | None,
                        out: str | None) -> None:
    """Learn the rates STATEMENT proves: one override value per distinct rate that
    reproduces every order it came from to the minor unit (confidence "statement").

    Orders of one rate key that imply different rates are listed as a conflict and not
    written (exit 3).
    """
    state = _state()
    parsed = read_statement(statement, statement_format, currency=_currency(state.engine, market))
    result = learn_rates(parsed, state.engine, orders=_orders(orders_file), market=market)
    if out == "-":
        click.echo(result.toml())
    else:
        if out is not None:
            Path(out).write_text(result.toml(), encoding="utf-8")
            click.echo(f"wrote {out}: {len(result.values)} rate(s), {len(result.conflicts)} conflict(s)", err=True)
        if state.format == "json":
            click.echo(json.dumps(render.learned_dict(result), ensure_ascii=False))
        else:
            click.echo(render.learned_text(result))
    if result.conflicts:
        sys.exit(EXIT_UNEXPLAINED)


def _currency(engine: Engine, market: str | None) -> str | None:
    if market is None:
        return None
    try:
        return engine.market(market).currency
    except Exception as exc:  # MarketError: one line, as every input error
        raise InputError(str(exc), field="--market") from None


def register(group: click.Group) -> None:
    group.add_command(reconcile_command)
    group.add_command(learn_rates_command)
