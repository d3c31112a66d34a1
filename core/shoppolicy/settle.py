"""Batch settlement: a stream of order records in, statement lines and rejects out.

A row that cannot be settled (malformed, unknown market, wrong currency, an
``order_id`` an earlier row already used, or any error at all while it is read, checked
or priced) becomes a :class:`Rejected` with its line number and reason; the batch goes
on and no row is dropped.  An order with a policy gap is not rejected: its statement
line carries every figure the data determines and names the gaps (it counts as
incomplete).  Nothing here holds more than one row at a time, but for the ``order_id``
of each row seen (about 150 bytes an order);
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
    #: For a repeated ``order_id``: the line of the earlier row that used it.
    earlier: int | None = None


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

    def merge(self, other: Totals, sign: int = 1) -> None:
        """Add ``other``'s counts and totals (``sign=-1``: take them back)."""
        self.orders += sign * other.orders
        self.complete += sign * other.complete
        self.priced += sign * other.priced
        self.priced_amount += sign * other.priced_amount
        self.amount += sign * other.amount
        self.fees += sign * other.fees
        self.creator_commission += sign * other.creator_commission
        self.net += sign * other.net


@attrs.define(slots=True)
class Missing:
    """One missing policy key: the orders it blocks, by the date each needs it (so a batch
    that takes an order back still knows the earliest date the key is needed)."""

    days: dict[dt.date, int] = attrs.field(factory=dict)

    @property
    def orders(self) -> int:
        return sum(self.days.values())

    @property
    def needed_from(self) -> dt.date:
        return min(self.days)

    def count(self, day: dt.date, orders: int = 1) -> None:
        left = self.days.get(day, 0) + orders
        if left:
            self.days[day] = left
        else:
            del self.days[day]


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
                found = missing[where] = Missing()
            found.count(gap.on)

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
                found = self.missing[where] = Missing()
            for day, orders in m.days.items():
                found.count(day, orders)

    def missing_keys(self) -> list[tuple[tuple[str, str, str], Missing]]:
        """Each missing key, the one blocking most orders first."""
        return sorted(self.missing.items(), key=lambda km: (-km[1].orders, km[0]))

    def withdraw(self, other: Summary) -> None:
        """Take back the orders ``other`` accepted (rows found to repeat an ``order_id``
        after a worker settled them), counting them as rejected."""
        self.accepted -= other.accepted
        self.rejected += other.accepted
        self.incomplete -= other.incomplete
        for (market, currency), t in other.totals.items():
            self.totals[(market, currency)].merge(t, sign=-1)
            self.rejected_by_market[market] = self.rejected_by_market.get(market, 0) + t.orders
        for where, m in other.missing.items():
            found = self.missing[where]
            for day, orders in m.days.items():
                found.count(day, -orders)
            if not found.days:
                del self.missing[where]

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


def rejected(number: int, item: object, exc: Exception) -> Rejected:
    """The :class:`Rejected` of row ``number`` (``None``: a row that is no record) that raised ``exc``."""
    order_id = _order_id(item)
    market = item.market if isinstance(item, OrderRecord) else item.get("market") if isinstance(item, dict) else None
    if isinstance(exc, InputError):
        reason = exc.message
    elif isinstance(exc, ShopPolicyError):
        reason = str(exc)
    else:  # not one of the SDK's own errors: a bug, named so it can be reported
        reason = (f"unexpected error while settling this row ({type(exc).__name__}: {' '.join(str(exc).split())}); "
                  "please report it")
    return Rejected(line=number, reason=reason, order_id=order_id if isinstance(order_id, str) and order_id else None,
                    field=exc.field if isinstance(exc, InputError) else None,
                    market=market if isinstance(market, str) and market else None)


def repeated(number: int, order_id: str, earlier: int) -> Rejected:
    """The :class:`Rejected` of row ``number``, whose ``order_id`` row ``earlier`` used first."""
    return Rejected(line=number, reason=f"order_id {order_id!r} repeats line {earlier}; an order_id is unique "
                    "within a batch", order_id=order_id, field="order_id", earlier=earlier)


def renumbered(reject: Rejected, lines_before: int) -> Rejected:
    """``reject`` of a row numbered from a chunk's start, numbered from the file's."""
    if reject.earlier is not None and reject.order_id is not None:
        return repeated(reject.line + lines_before, reject.order_id, reject.earlier + lines_before)
    return attrs.evolve(reject, line=reject.line + lines_before)


def settle_each(rows: Iterable[tuple[int, Mapping[str, Any] | OrderRecord | InputError]], summary: Summary,
                price: Callable[[Mapping[str, Any] | OrderRecord], T],
                seen: dict[str, int] | None = None) -> Iterator[T | Rejected]:
    """``price`` each numbered row; a row that is no record, whose ``order_id`` is in
    ``seen`` (the first line of each ``order_id`` so far; every row adds its own), or
    whose reading, checking or pricing raises any exception, becomes a
    :class:`Rejected` (counted in ``summary``).

    The one place where the batch's rejection rules live: ``price`` adds what it
    accepts to ``summary`` itself (a quote, or a statement line's figures).
    """
    first_line = seen.setdefault if seen is not None else None
    for number, item in rows:
        if type(item) is dict:  # the usual row, tested first: once per order of a batch
            order_id = item.get("order_id")
        elif isinstance(item, InputError):
            yield summary.reject(rejected(number, None, item))
            continue
        else:
            order_id = _order_id(item)
        if first_line is not None and type(order_id) is str and order_id:
            earlier = first_line(order_id, number)
            if earlier != number:
                yield summary.reject(attrs.evolve(repeated(number, order_id, earlier),
                                                  market=item.get("market") if type(item) is dict else None))
                continue
        try:
            result = price(item)
        except Exception as exc:  # whatever a row raises is that row's reject, never the batch's end
            yield summary.reject(rejected(number, item, exc))
            continue
        yield result


def _order_id(item: object) -> object:
    if isinstance(item, OrderRecord):
        return item.order_id
    return item.get("order_id") if isinstance(item, Mapping) else None


def settle_rows(engine: Engine, rows: Iterable[tuple[int, Mapping[str, Any] | OrderRecord | InputError]],
                summary: Summary | None = None) -> Iterator[Quote | Rejected]:
    """Settle numbered rows (as :func:`shoppolicy.records.read_records` yields them);
    an ``order_id`` used by an earlier row is refused."""
    totals = summary if summary is not None else Summary()
    quote = engine.quote

    def price(item: Mapping[str, Any] | OrderRecord) -> Quote:
        result = quote(item)
        totals.add(result)
        return result

    return settle_each(rows, totals, price, {})
