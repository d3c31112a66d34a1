"""The order records a statement is checked against: the seller's own (``--orders``),
matched by order id, or built from the statement itself (order id, amounts, discounts,
shipping, tax, quantities: no category, seller type or affiliate plan, which no
statement carries).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from shoppolicy.engine import Engine
from shoppolicy.errors import InputError
from shoppolicy.model import OrderRecord
from shoppolicy.statements.model import OrderFacts, Statement, StatementLine


@attrs.frozen(slots=True)
class Paired:
    """A statement's order line and the order record it is checked against (``None``:
    the seller's orders file has no such order)."""

    line: StatementLine
    record: OrderRecord | Mapping[str, Any] | None
    built: bool


def infer_market(statement: Statement, engine: Engine, market: str | None = None) -> str | None:
    """The market of a statement: ``market`` when given, else the one installed market
    of the statement's platform in its currency (``None`` when no currency is known)."""
    if market is not None:
        engine.market(market)  # an unknown market is refused here, naming the installed ones
        return market
    if statement.currency is None:
        return None
    found = [m.id for m in engine.markets() if not m.abstract and m.currency == statement.currency
             and (m.id == statement.platform or m.id.startswith(statement.platform + "-"))]
    if len(found) != 1:
        raise InputError(f"{statement.source}: cannot tell the market of a {statement.currency} {statement.platform} "
                         f"statement ({', '.join(found) or 'no installed market'}); name it with --market")
    return found[0]


def record_of(line: StatementLine, market: str) -> dict[str, Any]:
    """An order record built from a statement line's price components."""
    facts = line.facts
    if facts is None or line.order_id is None or line.placed_at is None:
        raise InputError(f"{line.id}: the statement gives no order id, creation time or amounts to build an order "
                         "from; pass --orders")
    placed = line.placed_at
    record: dict[str, Any] = {
        "order_id": line.order_id, "market": market, "currency": line.currency, "amount": str(facts.amount),
        "placed_at": placed.isoformat() if placed.tzinfo is not None else placed.replace(microsecond=0).isoformat(),
        "platform_discount": str(facts.platform_discount), "buyer_shipping": str(facts.buyer_shipping),
        "tax": str(facts.tax), "refunded": str(min(facts.refunded, _paid(facts)))}
    if facts.quantity:
        record["quantity"] = facts.quantity
    return record


def _paid(facts: OrderFacts) -> Decimal:
    # A refund is at most what the buyer paid (the order record's contract): a statement's
    # refund that includes parts we do not model (fees returned to the buyer) is capped.
    return facts.amount - facts.platform_discount + facts.buyer_shipping + facts.tax


def pair(statement: Statement, market: str | None,
         orders: Iterable[OrderRecord | Mapping[str, Any]] | None) -> tuple[list[Paired], list[Any]]:
    """Each order line of ``statement`` with its record, and the seller's orders the
    statement does not name."""
    by_id: dict[str, OrderRecord | Mapping[str, Any]] | None = None
    if orders is not None:
        by_id = {}
        for record in orders:
            order_id = record.order_id if isinstance(record, OrderRecord) else str(record.get("order_id", ""))
            by_id[order_id] = record
    paired = []
    named = set()
    for line in statement.lines:
        if not line.is_order:
            continue
        assert line.order_id is not None
        named.add(line.order_id)
        if by_id is None:
            if market is None:
                raise InputError(f"{statement.source}: the statement names no currency; name the market with "
                                 "--market or pass --orders")
            paired.append(Paired(line, record_of(line, market), built=True))
        else:
            paired.append(Paired(line, by_id.get(line.order_id), built=False))
    unnamed = [r for order_id, r in (by_id or {}).items() if order_id not in named]
    return paired, unnamed
