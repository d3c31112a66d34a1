"""The exceptions a caller can catch, each able to say what went wrong in one line.

Every error the SDK raises on purpose derives from :class:`ShopPolicyError`; the CLI
prints ``str(error)`` as its single stderr line and exits 1.  Programming errors
(bugs) are not wrapped: they should surface as tracebacks in tests.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal


class ShopPolicyError(Exception):
    """Base class of every error the SDK reports to its users."""


class InputError(ShopPolicyError, ValueError):
    """A record (order, event, shop) that does not match its contract.

    ``field`` is a dotted path into the record, ``row`` the 1-based line number when the
    record came from a file, ``source`` the file name.
    """

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None,
                 source: str | None = None) -> None:
        self.message = message
        self.field = field
        self.row = row
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.row is not None:
            where.append(f"line {self.row}")
        prefix = ", ".join(where)
        field = f"field {self.field!r}: " if self.field else ""
        return f"{prefix + ': ' if prefix else ''}{field}{self.message}"

    def at(self, *, row: int | None = None, source: str | None = None) -> InputError:
        """The same error, placed at a row of a file."""
        return InputError(self.message, field=self.field, row=row if row is not None else self.row,
                          source=source or self.source)


class PolicyFileError(ShopPolicyError):
    """A policy data file that cannot be used: bad TOML, unknown key, bad value or dates."""

    def __init__(self, file: str, message: str, key_path: str | None = None) -> None:
        self.file = file
        self.key_path = key_path
        self.message = message
        where = f"{file}: {key_path}: " if key_path else f"{file}: "
        super().__init__(where + message)


class PolicyGapError(ShopPolicyError, LookupError):
    """A rule needs a number that no source gives (and no override supplies).

    The message names the market, the rule, the policy key and the date, says why the
    value is missing (never published, announced but not in force, ended), and how to
    supply it with an override file.
    """

    def __init__(self, *, market: str, rule: str, key: str, on: dt.date | dt.datetime,
                 state: str = "gap", detail: str | None = None, category: str | None = None,
                 low: Decimal | None = None, high: Decimal | None = None, candidate: Decimal | None = None,
                 source: str | None = None, until: dt.datetime | None = None) -> None:
        self.market = market
        self.rule = rule
        self.key = key
        self.on = on
        self.state = state
        self.detail = detail
        self.category = category
        self.low = low
        self.high = high
        self.candidate = candidate
        self.source = source
        self.until = until  # when the gap ends (a value starts), where the data says
        super().__init__(_gap_message(market, rule, key, on, detail, category))


@functools.lru_cache(maxsize=4096)
def _gap_message(market: str, rule: str, key: str, on: dt.date | dt.datetime, detail: str | None,
                 category: str | None) -> str:
    # Cached: in a batch the same gap (market, rule, key, day) is met by many orders.
    day = on.isoformat() if isinstance(on, dt.date) else str(on)
    cat = f", category {category!r}" if category else ""
    why = f" ({detail})" if detail else ""
    return (f"policy gap: {market} rule {rule}{cat} has no value for {key!r} in force on {day}"
            f"{why}; supply one with an override file (--policy FILE) holding "
            f"[[values]] market = \"{market}\", rule = \"{rule}\", key = \"{key}\", value = ..., "
            f"effective_from = ..., source = ...")


class MarketError(ShopPolicyError, LookupError):
    """An unknown market id, or a market whose plugin failed to load."""


class PluginError(ShopPolicyError):
    """A plugin that cannot be used: it failed to import or to validate, or it claims a
    market another plugin owns."""

    def __init__(self, message: str, *, distribution: str | None = None,
                 version: str | None = None) -> None:
        self.distribution = distribution
        self.version = version
        who = f"{distribution} {version}: " if distribution else ""
        super().__init__(who + message)
