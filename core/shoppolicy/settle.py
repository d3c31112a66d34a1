"""Batch settlement: a stream of order records in, statement lines and rejects out.

A row that cannot be settled (malformed, unknown market or category, wrong currency,
policy gap) becomes a :class:`Rejected` with its line number and reason; the batch goes
on and no row is dropped.  Nothing here holds more than one row at a time, so memory
does not grow with the batch; :class:`Summary` keeps running totals per market and
currency (exact Decimals, so the totals equal the sum of the lines).
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


def rejected(number: int, item: Mapping[str, Any] | OrderRecord | None, exc: ShopPolicyError) -> Rejected:
    """The :class:`Rejected` of row ``number`` (``None``: a row that is no record) that raised ``exc``."""
    order_id = item.order_id if isinstance(item, OrderRecord) else item.get("order_id") if item is not None else None
    return Rejected(line=number, reason=exc.message if isinstance(exc, InputError) else str(exc),
                    order_id=order_id if isinstance(order_id, str) and order_id else None,
                    field=exc.field if isinstance(exc, InputError) else None)


def settle_each(rows: Iterable[tuple[int, Mapping[str, Any] | OrderRecord | InputError]], summary: Summary,
                price: Callable[[Mapping[str, Any] | OrderRecord], T]) -> Iterator[T | Rejected]:
    """``price`` each numbered row; a row that is no record, or whose pricing raises a
    :class:`ShopPolicyError`, becomes a :class:`Rejected` (counted in ``summary``).

    The one place where the batch's rejection rules live: ``price`` adds what it
    accepts to ``summary`` itself (a quote, or a statement line's figures).
    """
    for number, item in rows:
        if isinstance(item, InputError):
            summary.rejected += 1
            yield rejected(number, None, item)
            continue
        try:
            result = price(item)
        except ShopPolicyError as exc:
            summary.rejected += 1
            yield rejected(number, item, exc)
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
