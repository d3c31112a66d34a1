"""Batch settlement: a stream of order records in, statement lines and rejects out.

A row that cannot be settled (malformed, unknown market or category, wrong currency,
policy gap, an ``order_id`` an earlier row already used, or any error at all while it
is read, checked or priced) becomes a :class:`Rejected` with its line number and
reason; the batch goes on and no row is dropped.  Nothing here holds more than one row
at a time, but for the ``order_id`` of each row seen (about 150 bytes an order);
:class:`Summary` keeps running totals per market and currency (exact Decimals, so the
totals equal the sum of the lines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.model import OrderRecord, Quote
from shoppolicy.money import ZERO

if TYPE_CHECKING:
    from shoppolicy.engine import Engine

T = TypeVar("T")

Figures = tuple[str, str, Decimal, Decimal, Decimal, Decimal]
"""``(market, currency, amount, total fees, creator commission, net)`` of one accepted order."""
_KEY = itemgetter(0, 1)
_COLUMNS = [itemgetter(i) for i in range(2, 6)]


@attrs.frozen(slots=True)
class Rejected:
    """A row the batch could not settle, and why."""

    line: int
    reason: str
    order_id: str | None = None
    field: str | None = None
    #: For a repeated ``order_id``: the line of the earlier row that used it.
    earlier: int | None = None


@attrs.define(slots=True)
class Totals:
    orders: int = 0
    amount: Decimal = ZERO
    fees: Decimal = ZERO
    creator_commission: Decimal = ZERO
    net: Decimal = ZERO

    def add(self, orders: int, amount: Decimal, fees: Decimal, creator_commission: Decimal, net: Decimal) -> None:
        self.orders += orders
        self.amount += amount
        self.fees += fees
        self.creator_commission += creator_commission
        self.net += net


@attrs.define(slots=True)
class Summary:
    """Running totals of a batch: per (market, currency), plus rejected rows."""

    accepted: int = 0
    rejected: int = 0
    totals: dict[tuple[str, str], Totals] = attrs.field(factory=dict)

    def _totals(self, key: tuple[str, str]) -> Totals:
        found = self.totals.get(key)
        if found is None:
            found = self.totals[key] = Totals()
        return found

    def add(self, quote: Quote) -> None:
        """Count one accepted order."""
        market, currency, *amounts = figures(quote)
        self.accepted += 1
        self._totals((market, currency)).add(1, *amounts)

    def add_all(self, accepted: Sequence[Figures]) -> None:
        """Count accepted orders by their figures, in their order (the batch's fast path
        has no Quote; a chunk's orders are added column by column, in C's loops)."""
        self.accepted += len(accepted)
        keys = set(map(_KEY, accepted))
        for key in keys:
            rows = accepted if len(keys) == 1 else [f for f in accepted if _KEY(f) == key]
            self._totals(key).add(len(rows), *(sum(map(column, rows), ZERO) for column in _COLUMNS))

    def merge(self, other: Summary) -> None:
        """Add another batch's counts and totals (a worker's share of the batch)."""
        self.accepted += other.accepted
        self.rejected += other.rejected
        for key, t in other.totals.items():
            self._totals(key).add(t.orders, t.amount, t.fees, t.creator_commission, t.net)

    def withdraw(self, other: Summary) -> None:
        """Take back the orders ``other`` accepted (rows found to repeat an ``order_id``
        after a worker settled them), counting them as rejected."""
        self.accepted -= other.accepted
        self.rejected += other.accepted
        for key, t in other.totals.items():
            self._totals(key).add(-t.orders, -t.amount, -t.fees, -t.creator_commission, -t.net)

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders": self.accepted + self.rejected, "accepted": self.accepted, "rejected": self.rejected,
            "totals": [{"market": m, "currency": c, "orders": t.orders, "amount": str(t.amount), "fees": str(t.fees),
                        "creator_commission": str(t.creator_commission), "net": str(t.net)}
                       for (m, c), t in sorted(self.totals.items())],
        }


def figures(quote: Quote) -> Figures:
    """The figures a summary counts of one accepted order."""
    return quote.market, quote.currency, quote.amount, quote.total_fees, quote.creator_commission, quote.net


def rejected(number: int, item: object, exc: Exception) -> Rejected:
    """The :class:`Rejected` of row ``number`` (``None``: a row that is no record) that raised ``exc``."""
    order_id = _order_id(item)
    if isinstance(exc, InputError):
        reason = exc.message
    elif isinstance(exc, ShopPolicyError):
        reason = str(exc)
    else:  # not one of the SDK's own errors: a bug, named so it can be reported
        reason = (f"unexpected error while settling this row ({type(exc).__name__}: {' '.join(str(exc).split())}); "
                  "please report it")
    return Rejected(line=number, reason=reason, order_id=order_id if isinstance(order_id, str) and order_id else None,
                    field=exc.field if isinstance(exc, InputError) else None)


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
            summary.rejected += 1
            yield rejected(number, None, item)
            continue
        else:
            order_id = _order_id(item)
        if first_line is not None and type(order_id) is str and order_id:
            earlier = first_line(order_id, number)
            if earlier != number:
                summary.rejected += 1
                yield repeated(number, order_id, earlier)
                continue
        try:
            result = price(item)
        except Exception as exc:  # whatever a row raises is that row's reject, never the batch's end
            summary.rejected += 1
            yield rejected(number, item, exc)
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
