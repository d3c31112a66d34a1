"""Reader for the Seller Center settlement export: the "Order Details" sheet of the
xlsx workbook, or the same table saved as CSV (statement-formats.md §4).

Headers are normalised (spaces stripped and collapsed, case folded) and looked up in an
alias table: trailing spaces (``Type ``), the Thai files' ``Ajustment amount``, localised
names.  The header row is found by scanning; header rows repeated inside the data are
skipped; rows of one order (one per SKU) are summed.  A column the table does not name
is kept (a non-zero amount as an ``other.*`` charge) and reported.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.money import ZERO
from shoppolicy.statements.amounts import cell_amount, local_time
from shoppolicy.statements.mapping import TRANSACTION_TYPES
from shoppolicy.statements.model import ORDER, Notes, OrderFacts, Statement, StatementLine, merge_orders

EXPORT_XLSX, EXPORT_CSV = "tiktok-export-xlsx", "tiktok-export-csv"
SHEET = "order details"

#: Columns that are not charges: identity, dates, totals and price components.
_FIELDS = {
    "statement date": "statement_date", "statement date (utc)": "statement_date", "data do extrato": "statement_date",
    "statement id": "statement_id", "payment id": "payment_id", "status": "status", "type": "type",
    "currency": "currency", "order/adjustment id": "order_id", "related order id": "related_order_id",
    "sku id": "sku_id", "quantity": "quantity", "product name": "product_name", "sku name": "sku_name",
    "order created date": "placed_at", "order created time": "placed_at", "order delivery date": "delivered_at",
    "delivery option": "delivery_option", "collection method": "collection_method",
    "chargeable package weight": "package_weight", "adjustment reasons": "adjustment_reason",
    "total settlement amount": "settlement", "số tiền quyết toán": "settlement",
    "total revenue": "revenue", "customer payment": "customer_payment", "customer refund": "customer_refund",
    "net sales": "net_sales", "gross sales": "gross_sales", "gross sales refund": "gross_sales_refund",
    "seller discount": "seller_discount", "seller discounts": "seller_discount",
    "seller discount refund": "seller_discount_refund", "refund of seller discounts": "seller_discount_refund",
    "subtotal before discounts": "subtotal_before_discounts",
    "subtotal after seller discounts": "subtotal_after_seller_discounts",
    "refund subtotal before seller discounts": "refund_subtotal", "platform discounts": "platform_discount",
    "platform discounts refund": "platform_discount_refund", "shipping": "shipping_total",
    "seller shipping fee": "shipping_total", "fees": "fees_total", "total fees": "fees_total",
    "adjustment amount": "adjustment", "ajustment amount": "adjustment",
}
_TEXT_FIELDS = {"statement_date", "statement_id", "payment_id", "status", "type", "currency", "order_id",
                "related_order_id", "sku_id", "quantity", "product_name", "sku_name", "placed_at", "delivered_at",
                "delivery_option", "collection_method", "package_weight", "adjustment_reason"}
#: Charge columns, by the Finance API key they mirror where there is one.
_CHARGES = {
    "referral fee": "fee.referral_fee_amount", "transaction fee": "fee.transaction_fee_amount",
    "phí giao dịch": "fee.transaction_fee_amount", "refund administration fee": "fee.refund_administration_fee_amount",
    "tiktok shop commission fee": "fee.platform_commission_amount",
    "affiliate commission": "fee.affiliate_commission_amount",
    "affiliate commission before pit": "fee.affiliate_commission_amount_before_pit",
    "personal income tax withheld from affiliate commission": "tax.pit_amount",
    "affiliate partner commission": "fee.affiliate_partner_commission_amount",
    "affiliate shop ads commission": "fee.affiliate_ads_commission_amount",
    "affiliate commission deposit": "fee.affiliate_commission_deposit",
    "affiliate commission refund": "fee.affiliate_commission_refund",
    "sfp service fee": "fee.sfp_service_fee_amount", "fee per item sold": "fee.fee_per_item_sold_amount",
    "live specials service fee": "fee.live_specials_fee_amount",
    "voucher xtra service fee": "fee.voucher_xtra_service_fee_amount",
    "bonus cashback service fee": "fee.bonus_cashback_service_fee_amount",
    "eams program service fee": "fee.eams_program_service_fee",
    "brands crazy deals/flash sale service fee": "fee.brands_crazy_deals_flash_sale_service_fee",
    "tiktok paylater program fee": "fee.seller_paylater_handling_fee_amount",
    "commerce growth fee": "fee.seller_growth_fee_amount", "infrastructure fee": "fee.vn_fix_infrastructure_fee",
    "campaign resource fee": "fee.campaign_resource_fee",
    "credit card installment - interest rate cost": "fee.credit_card_installment_interest_cost",
    "sales tax on referral fees": "tax.sales_tax_referral_fee_amount",
    "icms difal": "tax.icms_difal", "icms penalty": "tax.icms_penalty",
    "tiktok shop shipping fee": "shipping.tiktok_shop_shipping_fee",
    "fulfilled by tiktok shop (fbt) shipping fee": "shipping.fbt_shipping_fee",
    "fbt fulfillment fee": "shipping.fbt_fulfillment_fee",
    "customer shipping fee offset": "shipping.customer_shipping_fee_offset",
    "signature confirmation service fee": "shipping.signature_confirmation_fee",
    "shipping insurance fee": "shipping.shipping_insurance_fee",
    "customer-paid shipping fee": "shipping.customer_paid_shipping_fee",
    "customer-paid shipping fee refund": "shipping.customer_paid_shipping_fee_refund",
    "tiktok shop shipping incentive": "shipping.shipping_incentive",
    "tiktok shop shipping incentive refund": "shipping.shipping_incentive_refund",
    "shipping fee subsidy": "shipping.shipping_fee_subsidy", "return shipping fee": "shipping.return_shipping_fee",
    "actual shipping fee": "shipping.actual_shipping_fee",
    "platform shipping fee discount": "shipping.platform_shipping_fee_discount",
    "customer shipping fee": "shipping.customer_paid_shipping_fee",
    "actual return shipping fee": "shipping.actual_return_shipping_fee",
    "refunded customer shipping fee": "shipping.refunded_customer_shipping_fee",
    "shipping subsidy": "shipping.shipping_subsidy",
}
#: Parts of the affiliate commission shown beside it, not added again into the fee total.
_SUB_FIGURES = frozenset({"fee.affiliate_commission_amount_before_pit", "tax.pit_amount"})


def normalise(header: object) -> str:
    """A header as looked up: spaces stripped and collapsed, case folded."""
    return re.sub(r"\s+", " ", str(header or "")).strip().casefold()


def _column(header: str) -> tuple[str, str]:
    """(kind, name) of a normalised header: a field, a charge, or unknown."""
    if header in _FIELDS:
        return "field", _FIELDS[header]
    if header in _CHARGES:
        return "charge", _CHARGES[header]
    if header.startswith("personal income tax withheld"):
        return "charge", "tax.pit_amount"
    return "unknown", "other." + re.sub(r"[^0-9a-z]+", "_", header).strip("_")


def read_xlsx(path: str | Path, source: str, currency: str | None) -> Statement:
    """The "Order Details" sheet of a settlement workbook (openpyxl, the ``statements`` extra)."""
    try:
        import openpyxl  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise ShopPolicyError("reading an .xlsx statement needs openpyxl: pip install 'shoppolicy[statements]' "
                              "(or save the Order Details sheet as CSV)") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for a bad file
        raise InputError(f"cannot read {source} as an xlsx workbook: {exc}") from None
    try:
        sheet = next((s for s in book.worksheets if normalise(s.title) == SHEET), None)
        if sheet is None:
            raise InputError(f"{source}: no sheet named Order Details (sheets: "
                             f"{', '.join(s.title for s in book.worksheets)})")
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return read_table(rows, source, EXPORT_XLSX, currency)


def read_csv(path: str | Path, source: str, currency: str | None) -> Statement:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows: list[list[Any]] = [list(r) for r in csv.reader(handle)]
    return read_table(rows, source, EXPORT_CSV, currency)


def _header_at(rows: Sequence[Sequence[Any]]) -> int:
    for i, row in enumerate(rows[:30]):
        names = {normalise(c) for c in row}
        if "order/adjustment id" in names or ("type" in names and "total settlement amount" in names):
            return i
    raise InputError("no header row with 'Order/adjustment ID' in the first 30 rows of the Order Details table")


def read_table(rows: Sequence[Sequence[Any]], source: str, fmt: str, currency: str | None) -> Statement:
    """The Order Details table (a header row, then one row per SKU or adjustment)."""
    notes = Notes()
    at = _header_at(rows)
    header = [normalise(c) for c in rows[at]]
    columns = [_column(h) for h in header]
    for h, (kind, _) in zip(header, columns, strict=True):
        if kind == "unknown" and h:
            notes.unknown("column", h, f"{source} header row {at + 1}")
    lines = []
    seen_currency = currency
    for number, row in enumerate(rows[at + 1:], start=at + 2):
        if not any(c not in (None, "") for c in row) or [normalise(c) for c in row] == header:
            continue
        line = _line(row, columns, header, f"row {number}", currency, notes)
        seen_currency = seen_currency or line.currency
        lines.append(line)
    return Statement(source=source, format=fmt, platform="tiktok", lines=tuple(merge_orders(lines)),
                     currency=seen_currency, cost_sign=-1, findings=tuple(notes.findings), checks=notes.checks,
                     unknown=notes.unknown_items)


def _line(row: Sequence[Any], columns: Sequence[tuple[str, str]], header: Sequence[str], where: str,
          currency: str | None, notes: Notes) -> StatementLine:
    cells = dict(zip(columns, list(row) + [None] * (len(columns) - len(row)), strict=False))
    text = {name: cells[(kind, name)] for kind, name in cells if kind == "field" and name in _TEXT_FIELDS}
    row_currency = str(text.get("currency") or "").strip() or currency

    def amount(kind: str, name: str) -> Decimal | None:
        return cell_amount(cells.get((kind, name)), row_currency, f"{where}: {name}")

    totals = {name: value for (kind, name) in cells if kind == "field" and name not in _TEXT_FIELDS
              and (value := amount(kind, name)) is not None}
    charges: dict[str, Decimal] = {}
    for (kind, name), raw in cells.items():
        if kind == "charge" or (kind == "unknown" and raw not in (None, "")):
            try:
                value = amount(kind, name)
            except InputError:
                if kind == "charge":
                    raise
                continue  # an unknown text column (a note, a name): reported, not an amount
            if value is not None:
                charges[name] = charges.get(name, ZERO) + value
    kind = re.sub(r"[\s/-]+", "_", str(text.get("type") or "").strip()).upper() or ORDER
    if kind not in TRANSACTION_TYPES:
        notes.unknown("transaction type", kind, where)
    _check(notes, where, row_currency, totals, charges)
    order_id = _text(text.get("order_id"))
    related = _text(text.get("related_order_id"))
    facts = _facts(totals, _quantity(text.get("quantity"), where)) if kind == ORDER else None
    return StatementLine(
        id=where, type=kind, currency=row_currency, charges=charges,
        order_id=order_id if kind == ORDER else None, adjustment_id=None if kind == ORDER else order_id,
        related_order_id=related if related != order_id else None,
        placed_at=local_time(text.get("placed_at"), f"{where}: order created date"), facts=facts,
        adjustment=totals.get("adjustment"), statement_id=_text(text.get("statement_id")))


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    if text.endswith(".0") and text[:-2].isdigit():  # an id stored as a spreadsheet number
        text = text[:-2]
    return text or None


def _quantity(value: object, where: str) -> int | None:
    text = _text(value)
    if text is None:
        return None
    if not text.isdigit():
        raise InputError(f"expected a whole number, got {value!r}", field=f"{where}: quantity")
    return int(text)


def _facts(totals: Mapping[str, Decimal], quantity: int | None) -> OrderFacts:
    """amount = the subtotal after the seller's discounts (or gross sales + the negative
    seller discount); refunds from the customer refund or the refunded subtotal."""
    amount = totals.get("subtotal_after_seller_discounts")
    if amount is None:
        gross = totals.get("gross_sales", totals.get("subtotal_before_discounts", ZERO))
        amount = gross + totals.get("seller_discount", ZERO)
    refunded = totals.get("customer_refund")
    if refunded is None:
        refunded = totals.get("refund_subtotal", totals.get("gross_sales_refund", ZERO)) \
            + totals.get("seller_discount_refund", ZERO)
    return OrderFacts(amount=max(amount, ZERO), platform_discount=abs(totals.get("platform_discount", ZERO)),
                      refunded=abs(refunded), quantity=quantity)


def _check(notes: Notes, where: str, currency: str | None, totals: Mapping[str, Decimal],
           charges: Mapping[str, Decimal]) -> None:
    """Total settlement = revenue + shipping + fees + adjustment; fees = Σ fee columns."""
    revenue = totals.get("revenue", totals.get("net_sales"))
    if "fees_total" in totals and revenue is not None:
        notes.check(where, "Total settlement amount = Total Revenue (or Net sales) + Shipping + Total Fees + "
                    "Adjustment amount", totals.get("settlement"), revenue + totals.get("shipping_total", ZERO)
                    + totals["fees_total"] + totals.get("adjustment", ZERO), currency)
    notes.check(where, "Total Fees = Σ fee and tax columns", totals.get("fees_total"),
                _sum(v for k, v in charges.items() if k.startswith(("fee.", "tax.")) and k not in _SUB_FIGURES),
                currency)


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)

