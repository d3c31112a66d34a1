"""Batch settlement: a stream of order records in, statement lines and rejects out.

A row that cannot be settled (malformed, unknown market or category, wrong currency)
becomes a :class:`Rejected` with its line number and reason; the batch goes on and no
row is dropped.  An order with a policy gap is not rejected: its statement line carries
every figure the data determines and names the gaps (it counts as incomplete).  Nothing
here holds more than one row at a time, so memory does not grow with the batch;
:class:`Summary` keeps running totals per market and currency (exact Decimals, so the
totals equal the sum of the lines).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.model import OrderRecord, Quote
from shoppolicy.money import ZERO

if TYPE_CHECKING:
    from shoppolicy.engine import Engine

T = TypeVar("T")


@attrs.frozen(slots=True)
class Rejected:
    """A row the batch could not settle, and why."""

    line: int
    reason: str
    order_id: str | None = None
    field: str | None = None
    #: The market the row names, when it names one (a string): rejects are counted per market.
    market: str | None = None


@attrs.define(slots=True)
class Totals:
    """One market and currency's orders: how many, how many complete, and the money
    totals.  ``amount`` is summed over every order; fees, commission and net over the
    ``priced`` orders, those whose net is known (complete ones, and those whose only gap
    is a payout date) — so the three add up: amount of the priced = fees + commission + net."""

    orders: int = 0
    complete: int = 0
    priced: int = 0
    amount: Decimal = ZERO
    priced_amount: Decimal = ZERO
    fees: Decimal = ZERO
    creator_commission: Decimal = ZERO
    net: Decimal = ZERO

    @property
    def incomplete(self) -> int:
        return self.orders - self.complete

    def merge(self, other: Totals) -> None:
        self.orders += other.orders
        self.complete += other.complete
        self.priced += other.priced
        self.priced_amount += other.priced_amount
        self.amount += other.amount
        self.fees += other.fees
        self.creator_commission += other.creator_commission
        self.net += other.net


@attrs.define(slots=True)
class Missing:
    """One missing policy key: how many orders it blocks, and the earliest date it is needed."""

    orders: int
    needed_from: dt.date


@attrs.define(slots=True)
class Summary:
    """Running totals of a batch: per (market, currency), rejected rows, and each missing
    policy key with the number of orders it blocks."""

    accepted: int = 0
    rejected: int = 0
    incomplete: int = 0
    totals: dict[tuple[str, str], Totals] = attrs.field(factory=dict)
    missing: dict[tuple[str, str, str], Missing] = attrs.field(factory=dict)
    #: Rejected rows by the market they name ("" for a row that names none).
    rejected_by_market: dict[str, int] = attrs.field(factory=dict)

    def add(self, quote: Quote) -> None:
        """Count one accepted order."""
        self.accepted += 1
        market = (quote.market, quote.currency)
        totals = self.totals.get(market)
        if totals is None:
            totals = self.totals[market] = Totals()
        totals.orders += 1
        amount = quote.amount
        totals.amount += amount
        net = quote.net
        gaps = quote.gaps
        if net is not None:  # complete, or only a payout date is a gap: the money figures stand
            creator = quote.creator
            commission = creator.commission if creator is not None else ZERO
            totals.priced += 1
            totals.priced_amount += amount
            totals.net += net
            totals.fees += amount - net - commission
            totals.creator_commission += commission
        if not gaps:
            totals.complete += 1
            return
        self.incomplete += 1
        missing = self.missing
        for gap in {(g.market, g.rule, g.key): g for g in gaps}.values():
            where = (gap.market, gap.rule, gap.key)
            found = missing.get(where)
            if found is None:
                missing[where] = Missing(1, gap.on)
            else:
                found.orders += 1
                if gap.on < found.needed_from:
                    found.needed_from = gap.on

    def reject(self, row: Rejected) -> Rejected:
        """Count one rejected row (per market where it names one); return it."""
        self.rejected += 1
        market = row.market or ""
        self.rejected_by_market[market] = self.rejected_by_market.get(market, 0) + 1
        return row

    def merge(self, other: Summary) -> None:
        """Add another batch's counts and totals (a worker's share of the batch)."""
        self.accepted += other.accepted
        self.rejected += other.rejected
        for market, count in other.rejected_by_market.items():
            self.rejected_by_market[market] = self.rejected_by_market.get(market, 0) + count
        self.incomplete += other.incomplete
        for key, t in other.totals.items():
            mine = self.totals.get(key)
            if mine is None:
                mine = self.totals[key] = Totals()
            mine.merge(t)
        for where, m in other.missing.items():
            found = self.missing.get(where)
            if found is None:
                self.missing[where] = Missing(m.orders, m.needed_from)
            else:
                found.orders += m.orders
                found.needed_from = min(found.needed_from, m.needed_from)

    def missing_keys(self) -> list[tuple[tuple[str, str, str], Missing]]:
        """Each missing key, the one blocking most orders first."""
        return sorted(self.missing.items(), key=lambda km: (-km[1].orders, km[0]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders": self.accepted + self.rejected, "accepted": self.accepted,
            "complete": self.accepted - self.incomplete, "incomplete": self.incomplete, "rejected": self.rejected,
            "rejected_by_market": dict(sorted(self.rejected_by_market.items())),
            "totals": [{"market": m, "currency": c, "orders": t.orders, "complete": t.complete,
                        "incomplete": t.incomplete, "amount": str(t.amount), "priced": t.priced,
                        "priced_amount": _known(t.priced, t.priced_amount), "fees": _known(t.priced, t.fees),
                        "creator_commission": _known(t.priced, t.creator_commission),
                        "net": _known(t.priced, t.net)}
                       for (m, c), t in sorted(self.totals.items())],
            "missing": [{"market": m, "rule": r, "key": k, "orders": found.orders,
                         "needed_from": found.needed_from.isoformat()}
                        for (m, r, k), found in self.missing_keys()],
        }


def _known(priced: int, total: Decimal) -> str | None:
    """A total over the priced orders; ``None`` when no order's figures are known."""
    return str(total) if priced else None


def rejected(number: int, item: Mapping[str, Any] | OrderRecord | None, exc: ShopPolicyError) -> Rejected:
    """The :class:`Rejected` of row ``number`` (``None``: a row that is no record) that raised ``exc``."""
    order_id = item.order_id if isinstance(item, OrderRecord) else item.get("order_id") if item is not None else None
    market = item.market if isinstance(item, OrderRecord) else item.get("market") if item is not None else None
    return Rejected(line=number, reason=exc.message if isinstance(exc, InputError) else str(exc),
                    order_id=order_id if isinstance(order_id, str) and order_id else None,
                    field=exc.field if isinstance(exc, InputError) else None,
                    market=market if isinstance(market, str) and market else None)


def settle_each(rows: Iterable[tuple[int, Mapping[str, Any] | OrderRecord | InputError]], summary: Summary,
                price: Callable[[Mapping[str, Any] | OrderRecord], T]) -> Iterator[T | Rejected]:
    """``price`` each numbered row; a row that is no record, or whose pricing raises a
    :class:`ShopPolicyError`, becomes a :class:`Rejected` (counted in ``summary``).

    The one place where the batch's rejection rules live: ``price`` adds what it
    accepts to ``summary`` itself (a quote, or a statement line's figures).
    """
    for number, item in rows:
        if isinstance(item, InputError):
            yield summary.reject(rejected(number, None, item))
            continue
        try:
            result = price(item)
        except ShopPolicyError as exc:
            yield summary.reject(rejected(number, item, exc))
            continue
        yield result


def settle_rows(engine: Engine, rows: Iterable[tuple[int, Mapping[str, Any] | OrderRecord | InputError]],
                summary: Summary | None = None) -> Iterator[Quote | Rejected]:
    """Settle numbered rows (as :func:`shoppolicy.records.read_records` yields them)."""
    totals = summary if summary is not None else Summary()
    quote = engine.quote

    def price(item: Mapping[str, Any] | OrderRecord) -> Quote:
        result = quote(item)
        totals.add(result)
        return result

    return settle_each(rows, totals, price)
