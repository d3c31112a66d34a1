"""Option parsing shared by the CLI's command modules (cli.py and cli_authoring.py)."""

from __future__ import annotations

import datetime as dt

import click

from shoppolicy.convert import parse_date


def as_of(value: str | None) -> dt.date:
    """``--as-of``: an ISO date, today when not given; a usage error otherwise."""
    if value is None:
        return dt.date.today()
    try:
        return parse_date(value)
    except (TypeError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
