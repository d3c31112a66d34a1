"""Options shared by the CLI's command modules (cli.py and cli_authoring.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from shoppolicy.convert import parse_date
from shoppolicy.orders import money_problem

FORMATS = ("json", "table")
F = TypeVar("F", bound=Callable[..., Any])


def as_of(value: str | None) -> dt.date:
    """``--as-of``: an ISO date, today when not given; a usage error otherwise."""
    if value is None:
        return dt.date.today()
    try:
        return parse_date(value)
    except (TypeError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None


def _set_format(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_root().obj.format = value


def format_option(command: F) -> F:
    """``--format`` after the command name: the same as the group's ``--format`` before it."""
    return click.option("--format", type=click.Choice(FORMATS), expose_value=False, callback=_set_format,
                        help="Output format (also accepted before the command).")(command)


if TYPE_CHECKING:  # generic in the click the types are checked with, not in every click we support
    _TextParam = click.ParamType[str]
else:
    _TextParam = click.ParamType


class MoneyType(_TextParam):
    """An amount option (``--deposit``): a plain decimal string as order amounts are
    written (docs/concepts.md), not negative."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        problem = money_problem(text)
        if problem is None and text.startswith("-") and text.strip("-0.") != "":
            problem = f"expected an amount >= 0, got {text!r}"
        if problem is not None:
            self.fail(problem, param, ctx)
        return text


MONEY = MoneyType()
