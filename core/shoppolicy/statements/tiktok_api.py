"""Readers for TikTok Shop Finance API responses: statement transactions 202501 (by
statement, pages concatenated; by order, with ``sku_transactions``) and the archived
202309 layout (statement-formats.md §1-§3).

Each transaction becomes a :class:`~.model.StatementLine`; the statement's own totals are
checked against the sums of their parts with the signed formulas of the reference
(settlement = revenue + shipping + fee_tax + adjustment; fee_tax = Σ fee + Σ tax; a
statement total = Σ of its transactions), and each one that does not add up is a finding
with both figures.  Fee and tax breakdowns are read as maps: a key the reference does
not name is kept and reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from shoppolicy.errors import InputError
from shoppolicy.money import ZERO
from shoppolicy.statements.amounts import api_amount, unix_time
from shoppolicy.statements.mapping import TAX_NAMES, TRANSACTION_TYPES, known_fee
from shoppolicy.statements.model import ORDER, Notes, OrderFacts, Statement, StatementLine, merge_orders

V202501_STATEMENT, V202501_ORDER, V202309 = "tiktok-202501-statement", "tiktok-202501-order", "tiktok-202309"
_SUPPLEMENTARY = "supplementary_component"


def _id(value: object) -> str | None:
    """An id, or ``None`` for the API's "no id" (``"0"``, ``""``, absent)."""
    text = str(value).strip() if value is not None else ""
    return None if text in ("", "0") else text


def _amounts(data: object, where: str) -> dict[str, Decimal]:
    """A breakdown object as a map of its amounts (nested objects left out)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InputError(f"expected an object, got {type(data).__name__}", field=where)
    return {k: api_amount(v, f"{where}.{k}") for k, v in data.items() if not isinstance(v, (Mapping, list))}


def _total(values: Mapping[str, Decimal]) -> Decimal:
    return sum(values.values(), ZERO)


def _breakdowns(t: Mapping[str, Any], where: str, notes: Notes) -> tuple[dict[str, Decimal], dict[str, Decimal],
                                                                         dict[str, Decimal], dict[str, Decimal]]:
    """(charges, revenue items, shipping items, supplementary items) of a 202501 transaction or SKU."""
    fee_tax = t.get("fee_tax_breakdown") or {}
    fees = _amounts(fee_tax.get("fee"), f"{where}.fee_tax_breakdown.fee")
    taxes = _amounts(fee_tax.get("tax"), f"{where}.fee_tax_breakdown.tax")
    shipping_raw = t.get("shipping_cost_breakdown") or {}
    shipping = _amounts(shipping_raw, f"{where}.shipping_cost_breakdown")
    supplementary = _amounts(t.get(_SUPPLEMENTARY), f"{where}.{_SUPPLEMENTARY}")
    supplementary.update({f"shipping.{k}": v for k, v in
                          _amounts(shipping_raw.get(_SUPPLEMENTARY), f"{where}.shipping_cost_breakdown").items()})
    for name in fees:
        if not known_fee(name):
            notes.unknown("fee key", name, where)
    for name in taxes:
        if name not in TAX_NAMES:
            notes.unknown("tax key", name, where)
    charges = {**{f"fee.{k}": v for k, v in fees.items()}, **{f"tax.{k}": v for k, v in taxes.items()},
               **{f"shipping.{k}": v for k, v in shipping.items()}}
    return charges, _amounts(t.get("revenue_breakdown"), f"{where}.revenue_breakdown"), shipping, supplementary


def _facts_202501(revenue: Mapping[str, Decimal], shipping: Mapping[str, Decimal],
                  supplementary: Mapping[str, Decimal], quantity: int | None) -> OrderFacts:
    """The order-record fields of a 202501 transaction: amount = gross subtotal + the
    (negative) seller discount; the buyer's shipping before any refund of it."""
    amount = revenue.get("subtotal_before_discount_amount", ZERO) + revenue.get("seller_discount_amount", ZERO)
    refunded_goods = -(revenue.get("refund_subtotal_before_discount_amount", ZERO)
                       + revenue.get("seller_discount_refund_amount", ZERO))
    shipping_refund = abs(supplementary.get("shipping.refunded_customer_shipping_fee_amount", ZERO))
    buyer_shipping = shipping.get("customer_paid_shipping_fee_amount", ZERO) + shipping_refund
    refunded = abs(supplementary["customer_refund_amount"]) if "customer_refund_amount" in supplementary \
        else refunded_goods + shipping_refund
    tax = abs(supplementary.get("sales_tax_payment_amount", ZERO))
    return OrderFacts(amount=max(amount, ZERO), platform_discount=abs(supplementary.get("platform_discount_amount",
                                                                                      ZERO)),
                      buyer_shipping=max(buyer_shipping, ZERO), tax=tax, refunded=max(refunded, ZERO),
                      quantity=quantity)


def _check_parts(notes: Notes, where: str, currency: str | None, declared: Mapping[str, Decimal],
                 charges: Mapping[str, Decimal], revenue: Mapping[str, Decimal], shipping: Mapping[str, Decimal],
                 fee_tax_key: str, adjustment: Decimal) -> None:
    """settlement = revenue + shipping + fee_tax + adjustment, and each total = Σ its breakdown."""
    fee_tax = sum((v for k, v in charges.items() if k.startswith(("fee.", "tax."))), ZERO)
    notes.check(where, f"settlement_amount = revenue_amount + shipping_cost_amount + {fee_tax_key}"
                + (" + adjustment_amount" if fee_tax_key == "fee_tax_amount" else ""),
                declared.get("settlement_amount"),
                declared.get("revenue_amount", ZERO) + declared.get("shipping_cost_amount", ZERO)
                + declared.get(fee_tax_key, ZERO) + adjustment, currency)
    notes.check(where, f"{fee_tax_key} = Σ fee_tax_breakdown.fee + Σ fee_tax_breakdown.tax",
                declared.get(fee_tax_key), fee_tax, currency)
    notes.check(where, "revenue_amount = Σ revenue_breakdown", declared.get("revenue_amount"), _total(revenue),
                currency)
    notes.check(where, "shipping_cost_amount = Σ shipping_cost_breakdown (supplementary parts not added)",
                declared.get("shipping_cost_amount"), _total(shipping), currency)


def _declared(t: Mapping[str, Any], where: str, *names: str) -> dict[str, Decimal]:
    return {n: api_amount(t[n], f"{where}.{n}") for n in names if n in t}


def read_202501_statement(pages: Sequence[Mapping[str, Any]], source: str) -> Statement:
    """Get Transactions by Statement (202501): one or more pages of one or more statements."""
    notes = Notes()
    lines: list[StatementLine] = []
    seen: set[str] = set()
    roots: dict[str, tuple[Mapping[str, Any], list[Mapping[str, Any]]]] = {}
    currency = None
    for page in pages:
        statement_id = str(page.get("id") or page.get("statement_id") or "?")
        currency = page.get("currency") or currency
        root = roots.setdefault(statement_id, (page, []))
        for i, t in enumerate(page.get("transactions") or []):
            tid = str(t.get("id") or f"{statement_id}/{len(seen) + i}")
            if tid in seen:  # pages overlap when fetched again: one line per transaction id
                continue
            seen.add(tid)
            where = f"transaction {tid}"
            lines.append(_line_202501(t, tid, where, page.get("currency"), statement_id, notes))
            root[1].append(t)
    for statement_id, (page, transactions) in roots.items():
        _check_statement_root(page, statement_id, transactions, notes)
    return Statement(source=source, format=V202501_STATEMENT, platform="tiktok", lines=tuple(merge_orders(lines)),
                     currency=currency, cost_sign=-1, findings=tuple(notes.findings), checks=notes.checks,
                     unknown=notes.unknown_items)


def _line_202501(t: Mapping[str, Any], tid: str, where: str, currency: str | None, statement_id: str,
                 notes: Notes) -> StatementLine:
    kind = str(t.get("type") or "").strip().upper() or "?"
    if kind not in TRANSACTION_TYPES:
        notes.unknown("transaction type", kind, where)
    charges, revenue, shipping, supplementary = _breakdowns(t, where, notes)
    declared = _declared(t, where, "settlement_amount", "revenue_amount", "shipping_cost_amount",
                         "fee_tax_amount", "adjustment_amount")
    adjustment = declared.get("adjustment_amount", ZERO)
    _check_parts(notes, where, currency, declared, charges, revenue, shipping, "fee_tax_amount", adjustment)
    order_id = _id(t.get("order_id"))
    return StatementLine(
        id=tid, type=kind, currency=currency, charges=charges, order_id=order_id,
        adjustment_id=_id(t.get("adjustment_id")),
        related_order_id=_id(t.get("adjustment_order_id")) or _id(t.get("associated_order_id")),
        placed_at=unix_time(t.get("order_create_time"), f"{where}.order_create_time"),
        facts=_facts_202501(revenue, shipping, supplementary, None) if kind == ORDER else None,
        adjustment=adjustment if "adjustment_amount" in declared else None, statement_id=statement_id)


def _check_statement_root(page: Mapping[str, Any], statement_id: str, transactions: list[Mapping[str, Any]],
                          notes: Notes) -> None:
    """The statement's totals against each other and against its transactions."""
    where = f"statement {statement_id}"
    currency = page.get("currency")
    total = _declared(page, where, "total_settlement_amount", "payable_amount", "total_reserve_amount")
    parts = _amounts(page.get("total_settlement_breakdown"), f"{where}.total_settlement_breakdown")
    if parts:
        notes.check(where, "total_settlement_amount = total_revenue_amount + total_shipping_cost_amount + "
                    "total_fee_tax_amount + total_adjustment_amount", total.get("total_settlement_amount"),
                    _total(parts), currency)
    if "payable_amount" in total:
        notes.check(where, "payable_amount = total_settlement_amount + total_reserve_amount", total["payable_amount"],
                    total.get("total_settlement_amount", ZERO) + total.get("total_reserve_amount", ZERO), currency)
    if "total_count" in page:
        notes.check(where, "total_count = the number of transactions in the pages read",
                    Decimal(int(page["total_count"])), Decimal(len(transactions)))
    for total_key, parts_key, field in (
            ("total_settlement_amount", None, "settlement_amount"), (None, "total_revenue_amount", "revenue_amount"),
            (None, "total_shipping_cost_amount", "shipping_cost_amount"),
            (None, "total_fee_tax_amount", "fee_tax_amount"), (None, "total_adjustment_amount", "adjustment_amount")):
        declared = total.get(total_key) if total_key else parts.get(parts_key or "")
        if declared is not None and transactions:
            notes.check(where, f"{total_key or parts_key} = Σ transactions' {field}", declared,
                        sum((api_amount(t.get(field), field) for t in transactions), ZERO), currency)


def read_202501_orders(orders: Sequence[Mapping[str, Any]], source: str) -> Statement:
    """Get Transactions by Order (202501): one object per order, its SKUs summed."""
    notes = Notes()
    lines: list[StatementLine] = []
    currency = None
    for data in orders:
        order_id = _id(data.get("order_id")) or "?"
        where = f"order {order_id}"
        currency = data.get("currency") or currency
        declared = _declared(data, where, "settlement_amount", "revenue_amount", "shipping_cost_amount",
                             "fee_and_tax_amount")
        charges: dict[str, Decimal] = {}
        revenue: dict[str, Decimal] = {}
        shipping: dict[str, Decimal] = {}
        facts: OrderFacts | None = None
        skus = data.get("sku_transactions") or []
        for i, sku in enumerate(skus):
            sku_where = f"{where} sku {sku.get('sku_id') or i}"
            sku_charges, sku_revenue, sku_shipping, supplementary = _breakdowns(sku, sku_where, notes)
            quantity = _quantity(sku.get("quantity"), f"{sku_where}.quantity")
            sku_facts = _facts_202501(sku_revenue, sku_shipping, supplementary, quantity)
            facts = sku_facts if facts is None else facts + sku_facts
            for target, items in ((charges, sku_charges), (revenue, sku_revenue), (shipping, sku_shipping)):
                for k, v in items.items():
                    target[k] = target.get(k, ZERO) + v
        _check_parts(notes, where, data.get("currency"), declared, charges, revenue, shipping, "fee_and_tax_amount",
                     ZERO)
        if "total_count" in data:
            notes.check(where, "total_count = the number of sku_transactions", Decimal(int(data["total_count"])),
                        Decimal(len(skus)))
        lines.append(StatementLine(
            id=order_id, type=ORDER, currency=data.get("currency"), charges=charges, order_id=order_id,
            placed_at=unix_time(data.get("order_create_time"), f"{where}.order_create_time"), facts=facts,
            statement_id=next((str(s["statement_id"]) for s in skus if s.get("statement_id")), None)))
    return Statement(source=source, format=V202501_ORDER, platform="tiktok", lines=tuple(merge_orders(lines)),
                     currency=currency, cost_sign=-1, findings=tuple(notes.findings), checks=notes.checks,
                     unknown=notes.unknown_items)


def _quantity(value: object, where: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise InputError(f"expected a whole number, got {value!r}", field=where) from None


# --- 202309 (archived) -------------------------------------------------------------------

#: 202309 fields that are not charges: identity, totals and the price components.
_FIELDS_202309 = frozenset({
    "id", "type", "order_id", "adjustment_id", "adjustment_order_id", "order_create_time", "currency", "status",
    "statement_time", "statement_id", "sku_statement_transactions", "settlement_amount", "revenue_amount",
    "customer_payment_amount", "platform_discount_amount", "platform_discount_refund_amount",
    "customer_order_refund_amount", "customer_refund_amount", "platform_refund_subsidy_amount",
    "shipping_fee_subsidy_amount", "fee_amount", "sales_tax_payment_amount", "sales_tax_refund_amount",
    "sales_tax_amount", "retail_delivery_fee_amount", "retail_delivery_fee_payment_amount",
    "retail_delivery_fee_refund_amount", "adjustment_amount", "gross_sales_amount", "gross_sales_refund_amount",
    "seller_discount_amount", "seller_discount_refund_amount", "net_sales_amount", "shipping_cost_amount",
    "customer_paid_shipping_fee_amount", "customer_paid_shipping_fee_refund_amount", "return_shipping_fee_amount",
    "actual_shipping_fee_amount", "platform_shipping_fee_discount_amount", "actual_return_shipping_fee_amount",
    "signature_confirmation_fee_amount", "shipping_insurance_fee_amount", "fbm_shipping_cost_amount",
    "fbt_shipping_cost_amount", "shipping_cost_discount_amount", "shipping_cost_discount_refund_amount",
    "customer_shipping_fee_offset_amount", "fbt_fulfillment_fee_amount", "promo_shipping_incentive_amount",
    "after_seller_discounts_subtotal_amount", "subtotal_after_seller_discounts_amount",
    "customer_shipping_fee_amount", "shipping_fee_amount"})
_US_UK_2024 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def read_202309(pages: Sequence[Mapping[str, Any]], source: str) -> Statement:
    """Get (Order) Statement Transactions, 202309: flat transactions with named amounts."""
    notes = Notes()
    lines: list[StatementLine] = []
    seen: set[str] = set()
    currency = None
    for page in pages:
        currency = page.get("currency") or currency
        statement_id = _id(page.get("statement_id"))
        settlements = []
        for i, t in enumerate(page.get("statement_transactions") or []):
            tid = str(t.get("id") or f"{statement_id}/{i}")
            if tid in seen:
                continue
            seen.add(tid)
            line, settlement = _line_202309(t, tid, t.get("currency") or page.get("currency"), statement_id, notes)
            lines.append(line)
            settlements.append(settlement)
        where = f"statement {statement_id or '?'}"
        root = _declared(page, where, "settlement_amount", "revenue_amount", "fee_amount", "adjustment_amount")
        if "revenue_amount" in root:
            notes.check(where, "settlement_amount = revenue_amount + fee_amount + adjustment_amount",
                        root.get("settlement_amount"), root["revenue_amount"] + root.get("fee_amount", ZERO)
                        + root.get("adjustment_amount", ZERO), currency)
        if "total_count" in page:
            notes.check(where, "total_count = the number of transactions in the pages read",
                        Decimal(int(page["total_count"])), Decimal(len(settlements)))
        if settlements and "settlement_amount" in root:
            notes.check(where, "settlement_amount = Σ transactions' settlement_amount", root["settlement_amount"],
                        sum(settlements, ZERO), currency)
    return Statement(source=source, format=V202309, platform="tiktok", lines=tuple(merge_orders(lines)),
                     currency=currency, cost_sign=-1, findings=tuple(notes.findings), checks=notes.checks,
                     unknown=notes.unknown_items)


def _line_202309(t: Mapping[str, Any], tid: str, currency: str | None, statement_id: str | None,
                 notes: Notes) -> tuple[StatementLine, Decimal]:
    where = f"transaction {tid}"
    kind = str(t.get("type") or "").strip().upper() or "?"
    if kind not in TRANSACTION_TYPES:
        notes.unknown("transaction type", kind, where)
    get = {k: api_amount(v, f"{where}.{k}") for k, v in t.items()
           if k.endswith("_amount") or k in ("affiliate_commission_before_pit", "pit_amount")}
    charges: dict[str, Decimal] = {}
    for name, value in get.items():
        if name in _FIELDS_202309:
            continue
        if known_fee(name):
            charges[f"fee.{name}"] = value
        elif name in TAX_NAMES:
            charges[f"tax.{name}"] = value
        else:
            notes.unknown("field", name, where)
            charges[f"other.{name}"] = value
    if "shipping_fee_amount" in get:
        charges["shipping.shipping_fee_amount"] = get["shipping_fee_amount"]
    placed = unix_time(t.get("order_create_time"), f"{where}.order_create_time")
    adjustment = get.get("adjustment_amount", ZERO)
    us_uk = currency in ("USD", "GBP") and "net_sales_amount" in get and placed is not None and placed >= _US_UK_2024
    if us_uk:
        notes.check(where, "settlement_amount = net_sales_amount + shipping_cost_amount + fee_amount + "
                    "adjustment_amount (US/UK orders from 2024)", get.get("settlement_amount"),
                    get["net_sales_amount"] + get.get("shipping_cost_amount", ZERO) + get.get("fee_amount", ZERO)
                    + adjustment, currency)
    elif "revenue_amount" in get:
        notes.check(where, "settlement_amount = revenue_amount + fee_amount + adjustment_amount",
                    get.get("settlement_amount"), get["revenue_amount"] + get.get("fee_amount", ZERO) + adjustment,
                    currency)
    listed = sum((v for k, v in charges.items() if k.startswith(("fee.", "other."))
                  and k != "fee.affiliate_commission_before_pit"), ZERO)
    shipping_inside = ZERO if currency in ("USD", "GBP") else get.get("shipping_fee_amount", ZERO)
    notes.check(where, "fee_amount = Σ the fee fields listed (+ shipping_fee_amount outside the US/UK): "
                "the residual is fees with no field", get.get("fee_amount"), listed + shipping_inside, currency)
    quantity = sum((int(s.get("quantity") or 0) for s in t.get("sku_statement_transactions") or []), 0) or None
    facts = None
    if kind == ORDER:
        shipping = get.get("customer_paid_shipping_fee_amount", get.get("customer_shipping_fee_amount", ZERO))
        tax = abs(get.get("sales_tax_payment_amount", ZERO))
        discount = abs(get.get("platform_discount_amount", ZERO))
        subtotal = get.get("subtotal_after_seller_discounts_amount", get.get("after_seller_discounts_subtotal_amount"))
        if subtotal is None and "gross_sales_amount" in get:
            subtotal = get["gross_sales_amount"] + get.get("seller_discount_amount", ZERO)
        if subtotal is None:  # customer_payment = subtotal + shipping − platform discount + tax
            subtotal = get.get("customer_payment_amount", ZERO) + discount - shipping - tax
        refunded = abs(get.get("customer_refund_amount", get.get("customer_order_refund_amount", ZERO)))
        facts = OrderFacts(amount=max(subtotal, ZERO), platform_discount=discount, buyer_shipping=max(shipping, ZERO),
                           tax=tax, refunded=refunded, quantity=quantity)
    line = StatementLine(
        id=tid, type=kind, currency=currency, charges=charges, order_id=_id(t.get("order_id")),
        adjustment_id=_id(t.get("adjustment_id")), related_order_id=_id(t.get("adjustment_order_id")),
        placed_at=placed, facts=facts, adjustment=get.get("adjustment_amount"),
        statement_id=_id(t.get("statement_id")) or statement_id)
    return line, get.get("settlement_amount", ZERO)
