"""Reconcile a statement: for each order, our figures (computed as of the order's own
dates by :meth:`~shoppolicy.engine.Engine.quote`, the one pricing path) against what the
platform charged, fee by fee, with the statement's own arithmetic checked beside them.

Each row: order, fee code, computed, charged (a cost, positive: TikTok's negative
amounts are turned round), ``difference = charged − computed``, a status, and the rule,
source and layer behind the computed figure.  Statuses:

- ``match`` / ``mismatch``: both figures, equal within the tolerance or not;
- ``not_modelled``: a platform charge with no code of ours (shipping, programme fees,
  taxes, adjustments), listed with its amount;
- ``gap``: we cannot compute it (the policy gap, or the input the statement lacks);
- ``missing_from_orders``: an order of the statement not in the seller's orders file;
- ``missing_from_statement``: an order (or a fee) of ours the statement does not show.

Adjustment rows follow the order they name.  A summary per fee code counts orders,
matches and differences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from shoppolicy.engine import Engine
from shoppolicy.errors import ShopPolicyError
from shoppolicy.model import FeeLine, Gap, OrderRecord, Quote
from shoppolicy.money import ZERO
from shoppolicy.statements.mapping import CREATOR, FEE_KEYS, creator_keys
from shoppolicy.statements.model import ArithmeticFinding, Statement, StatementLine, UnknownItem
from shoppolicy.statements.orders import Paired, infer_market, pair

STATUSES = ("match", "mismatch", "not_modelled", "gap", "missing_from_orders", "missing_from_statement")
#: Statuses that leave a statement unexplained (exit 3).
UNEXPLAINED = frozenset({"mismatch", "gap", "missing_from_orders", "missing_from_statement"})


@attrs.frozen(slots=True)
class ReconcileRow:
    """One fee of one order (or one adjustment, or one whole order missing on a side)."""

    order_id: str | None
    fee: str
    status: str
    currency: str | None
    computed: Decimal | None = None
    charged: Decimal | None = None
    difference: Decimal | None = None
    market: str | None = None
    rule: str | None = None
    source: str | None = None
    layer: str | None = None
    confidence: str | None = None
    statement_keys: tuple[str, ...] = ()
    adjustment_id: str | None = None
    gap: Gap | None = None
    detail: str | None = None


@attrs.frozen(slots=True)
class FeeSummary:
    """One fee code (or platform key) over the statement."""

    fee: str
    orders: int
    matches: int
    mismatches: int
    gaps: int
    not_modelled: int
    missing: int
    #: Rows whose difference is not zero, and the sum of their differences.
    differences: int
    difference_total: Decimal
    charged_total: Decimal


@attrs.frozen(slots=True)
class Reconciliation:
    """Every row, the summary per fee, and what the statement's arithmetic and keys say."""

    statement: str
    format: str
    market: str | None
    currency: str | None
    tolerance: Decimal
    rows: tuple[ReconcileRow, ...]
    summary: tuple[FeeSummary, ...]
    findings: tuple[ArithmeticFinding, ...]
    checks: int
    unknown: tuple[UnknownItem, ...]

    @property
    def explained(self) -> bool:
        """Every fee compared matches and the statement adds up (``not_modelled`` rows are listed, not compared)."""
        return not self.findings and not any(r.status in UNEXPLAINED for r in self.rows)


def reconcile(statement: Statement, engine: Engine, *, orders: Iterable[OrderRecord | Mapping[str, Any]] | None = None,
              tolerance: Decimal = ZERO, market: str | None = None) -> Reconciliation:
    """Check ``statement`` against ``orders`` (built from the statement when ``None``)."""
    market = infer_market(statement, engine, market)
    paired, unnamed = pair(statement, market, orders)
    beside: dict[str, list[StatementLine]] = {}
    alone: list[StatementLine] = []
    ordered = {p.line.order_id for p in paired}
    for line in statement.lines:
        if line.is_order:
            continue
        if line.related_order_id is not None and line.related_order_id in ordered:
            beside.setdefault(line.related_order_id, []).append(line)
        else:
            alone.append(line)
    rows: list[ReconcileRow] = []
    sign = statement.cost_sign
    for item in paired:
        rows.extend(_order_rows(item, engine, market, sign, tolerance))
        for adjustment in beside.get(item.line.order_id or "", []):
            rows.extend(_adjustment_rows(adjustment, item.line.order_id, market, sign))
    for adjustment in alone:
        rows.extend(_adjustment_rows(adjustment, adjustment.related_order_id, market, sign))
    for record in unnamed:
        rows.append(_unnamed_row(record, engine))
    return Reconciliation(statement=statement.source, format=statement.format, market=market,
                          currency=statement.currency, tolerance=tolerance, rows=tuple(rows), summary=summarise(rows),
                          findings=statement.findings, checks=statement.checks, unknown=statement.unknown)


def _order_rows(item: Paired, engine: Engine, market: str | None, sign: int, tolerance: Decimal) -> list[ReconcileRow]:
    line = item.line
    charges = line.charges
    if item.record is None:
        return _missing_rows(line, market, sign)
    try:
        quote = engine.quote(item.record)
    except ShopPolicyError as exc:  # the record (ours, or built from the statement) cannot be priced
        return [ReconcileRow(line.order_id, "order", "gap", line.currency, market=market,
                             detail=f"cannot price the order: {exc}"), *_unmodelled(line, set(), market, sign)]
    mapping = FEE_KEYS.get(quote.market, {})
    whole_gap = next((g for g in quote.gaps if g.figure == "fees"), None)
    codes = list(dict.fromkeys([*(f.code for f in quote.fees),
                                *(g.figure for g in quote.fee_gaps if g.figure != "fees"),
                                *(c for c, keys in mapping.items() if any(k in charges for k in keys))]))
    rows = []
    consumed: set[str] = set()
    for code in codes:
        keys = tuple(k for k in mapping.get(code, ()) if k in charges)
        consumed.update(keys)
        charged = sign * sum((charges[k] for k in keys), ZERO) if keys else None
        lines = [f for f in quote.fees if f.code == code]
        gap = next((g for g in quote.gaps if g.figure == code), None) or whole_gap
        row = _compare(quote, code, lines, gap, charged, keys, tolerance)
        if row is not None:
            rows.append(row)
    creator = _creator_row(quote, item, charges, sign, tolerance, consumed)
    if creator is not None:
        rows.append(creator)
    return rows + _unmodelled(line, consumed, quote.market, sign)


def _compare(quote: Quote, code: str, lines: Sequence[FeeLine], gap: Gap | None, charged: Decimal | None,
             keys: tuple[str, ...], tolerance: Decimal) -> ReconcileRow | None:
    computed = sum((f.amount for f in lines), ZERO) if lines else (None if gap is not None else ZERO)
    if not lines and gap is None and not charged:
        return None  # nothing computed, nothing charged
    trail = lines[0].trail if lines else None
    common: dict[str, Any] = dict(
        market=quote.market, statement_keys=keys, computed=computed, charged=charged,
        rule=lines[0].rule if lines else (gap.rule if gap else None), source=lines[0].source if lines else None,
        layer=trail.layer if trail else None, confidence=lines[0].confidence if lines else None)
    if gap is not None and not lines:
        return ReconcileRow(quote.order_id, code, "gap", quote.currency, gap=gap,
                            detail=f"needs {gap.key} ({gap.rule}) on {gap.on}", **common)
    if charged is None:
        return ReconcileRow(quote.order_id, code, "missing_from_statement", quote.currency,
                            detail="the statement has no field known to carry this fee (statement-formats.md §6)",
                            **common)
    assert computed is not None
    difference = charged - computed
    status = "match" if abs(difference) <= tolerance else "mismatch"
    return ReconcileRow(quote.order_id, code, status, quote.currency, difference=difference, **common)


def _creator_row(quote: Quote, item: Paired, charges: Mapping[str, Decimal], sign: int, tolerance: Decimal,
                 consumed: set[str]) -> ReconcileRow | None:
    keys, accounted = creator_keys(quote.market, charges)
    present = tuple(k for k in keys if k in charges)
    consumed.update(k for k in accounted if k in charges)
    charged = sign * sum((charges[k] for k in present), ZERO) if present else None
    share = quote.creator
    commission_gap = next((g for g in quote.gaps if g.figure == CREATOR), None)
    if share is None and commission_gap is None and not charged:
        return None
    common: dict[str, Any] = dict(market=quote.market, statement_keys=present, charged=charged,
                                  rule=share.rule if share else None, source=share.source if share else None,
                                  layer=share.trail.layer if share and share.trail else None,
                                  confidence=share.trail.confidence if share and share.trail else None)
    if commission_gap is not None:
        return ReconcileRow(quote.order_id, CREATOR, "gap", quote.currency, gap=commission_gap, **common)
    if share is None and item.built:
        return ReconcileRow(quote.order_id, CREATOR, "gap", quote.currency, detail=(
            "the statement gives no commission rate: pass --orders with the order's affiliate_plan and "
            "commission_rate"), **common)
    computed = share.commission if share is not None else ZERO
    if charged is None:
        return ReconcileRow(quote.order_id, CREATOR, "missing_from_statement", quote.currency, computed=computed,
                            **common)
    difference = charged - computed
    return ReconcileRow(quote.order_id, CREATOR, "match" if abs(difference) <= tolerance else "mismatch",
                        quote.currency, computed=computed, difference=difference, **common)


def _unmodelled(line: StatementLine, consumed: set[str], market: str | None, sign: int,
                order_id: str | None = None) -> list[ReconcileRow]:
    return [ReconcileRow(order_id or line.order_id, key, "not_modelled", line.currency, charged=sign * value,
                         market=market, statement_keys=(key,), adjustment_id=line.adjustment_id,
                         detail="a platform charge with no fee code of ours")
            for key, value in line.charges.items() if value and key not in consumed]


def _missing_rows(line: StatementLine, market: str | None, sign: int) -> list[ReconcileRow]:
    """An order of the statement the orders file lacks: its charges, none computed."""
    mapping = FEE_KEYS.get(market or "", {})
    rows = [ReconcileRow(line.order_id, "order", "missing_from_orders", line.currency, market=market,
                         detail="the orders file has no order with this id")]
    consumed: set[str] = set()
    for code, keys in mapping.items():
        present = tuple(k for k in keys if k in line.charges)
        consumed.update(present)
        if present:
            rows.append(ReconcileRow(line.order_id, code, "missing_from_orders", line.currency, market=market,
                                     charged=sign * sum((line.charges[k] for k in present), ZERO),
                                     statement_keys=present))
    return rows + _unmodelled(line, consumed, market, sign)


def _adjustment_rows(line: StatementLine, order_id: str | None, market: str | None, sign: int) -> list[ReconcileRow]:
    """An adjustment beside the order it names: its amount (an inflow turned into a cost,
    like the fees), then any charge it carries."""
    rows = []
    if line.adjustment:
        rows.append(ReconcileRow(order_id, f"adjustment:{line.type}", "not_modelled", line.currency,
                                 charged=-line.adjustment, market=market, adjustment_id=line.adjustment_id,
                                 detail=f"adjustment {line.adjustment_id or line.id}"
                                        + (f" of order {order_id}" if order_id else " (names no order)")))
    return rows + _unmodelled(line, set(), market, sign, order_id)


def _unnamed_row(record: OrderRecord | Mapping[str, Any], engine: Engine) -> ReconcileRow:
    try:
        quote = engine.quote(record)
    except ShopPolicyError as exc:
        order_id = record.order_id if isinstance(record, OrderRecord) else record.get("order_id")
        return ReconcileRow(str(order_id), "order", "missing_from_statement", None,
                            detail=f"not on the statement (and cannot be priced: {exc})")
    return ReconcileRow(quote.order_id, "order", "missing_from_statement", quote.currency,
                        computed=quote.total_fees, market=quote.market,
                        detail="in the orders file, not on the statement (computed: the order's fees)")


def summarise(rows: Iterable[ReconcileRow]) -> tuple[FeeSummary, ...]:
    """Per fee: rows, matches, mismatches, gaps, unmodelled and missing ones, and the
    count and sum of non-zero differences."""
    groups: dict[str, list[ReconcileRow]] = {}
    for row in rows:
        if row.fee != "order":
            groups.setdefault(row.fee, []).append(row)
    out = []
    for fee, mine in groups.items():
        count = {s: sum(1 for r in mine if r.status == s) for s in STATUSES}
        differing = [r.difference for r in mine if r.difference]
        out.append(FeeSummary(
            fee=fee, orders=len({r.order_id for r in mine}), matches=count["match"], mismatches=count["mismatch"],
            gaps=count["gap"], not_modelled=count["not_modelled"],
            missing=count["missing_from_orders"] + count["missing_from_statement"], differences=len(differing),
            difference_total=sum((d for d in differing if d is not None), ZERO),
            charged_total=sum((r.charged for r in mine if r.charged is not None), ZERO)))
    return tuple(out)
