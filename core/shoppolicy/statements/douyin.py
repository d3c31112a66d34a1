"""Reader for Douyin Shop's settle bill, ``order.getSettleBillDetailV3`` (结算账单),
amounts in fen (statement-formats.md §5.1).

One row per sub-order (子订单, our order granularity) and settlement; pages are
concatenated and de-duplicated on (``request_no``, ``order_id``).  A row of
``trade_type`` 0 is the order's settlement; a refund after settlement or a deposit
refund (1, 2, 3) is an adjustment shown beside its order.  The expense fields are read
as magnitudes, and ``settle_amount = total_income − total_outcome`` is checked: both are
the reference's plausible reading, **UNVERIFIED** on a real bill, and labelled so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from shoppolicy.money import ZERO
from shoppolicy.statements.amounts import fen, local_time
from shoppolicy.statements.model import ORDER, Notes, OrderFacts, Statement, StatementLine, merge_orders

SETTLE_V3 = "douyin-settle-v3"
#: The expense fields (合计支出's parts) — each a charge.
EXPENSES = ("platform_service_fee", "commission", "good_learn_channel_fee", "colonel_service_fee",
            "channel_promotion_fee", "other_sharing_amount", "partner_commission")
TRADE_TYPES = {0: ORDER, 1: "REFUND_AFTER_SETTLEMENT", 2: "DEPOSIT_REFUND", 3: "REFUND_AFTER_SETTLEMENT_OTHER_ROUTE"}
#: Fields of a row that are neither charges nor unknown.
_FIELDS = frozenset({
    "settle_time", "request_no", "shop_order_id", "order_id", "settle_amount", "pay_type_desc", "trade_type",
    "is_contains_refund_before_settle", "order_time", "product_id", "goods_count", "flow_type_desc", "order_type",
    "total_amount", "total_goods_amount", "post_amount", "shop_coupon", "refund_before_settle", "platform_coupon",
    "author_coupon", "zt_pay_promotion", "zr_pay_promotion", "real_pay_amount", "total_income", "total_outcome",
    "remark", "packing_amount", "free_commission_flag", "real_free_commission_amount", "old_for_new_promotion",
    "bank_promotion", "post_promotion_amount", "gov_promotion_amount", "gov_promotion_shop_reduce_amount",
    "other_platform_promotion_amount", "product_name", "author_id", "author_name", *EXPENSES})
_UNVERIFIED = " (formula UNVERIFIED: statement-formats.md §5.1)"


def is_row(data: object) -> bool:
    return isinstance(data, Mapping) and "settle_amount" in data and ("request_no" in data or "order_id" in data)


def read_settle_bill(rows: Sequence[Mapping[str, Any]], source: str) -> Statement:
    notes = Notes()
    lines: list[StatementLine] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows):
        key = (str(row.get("request_no") or i), str(row.get("order_id") or ""))
        if key in seen:  # a page fetched twice: one line per settlement and sub-order
            continue
        seen.add(key)
        lines.append(_line(row, f"row {i + 1} (order {key[1] or '?'})", notes))
    return Statement(source=source, format=SETTLE_V3, platform="douyin", lines=tuple(merge_orders(lines)),
                     currency="CNY", cost_sign=1, findings=tuple(notes.findings), checks=notes.checks,
                     unknown=notes.unknown_items)


def _line(row: Mapping[str, Any], where: str, notes: Notes) -> StatementLine:
    def yuan(name: str) -> Decimal:
        return fen(row.get(name), f"{where}.{name}")

    charges = {f"fee.{name}": yuan(name) for name in EXPENSES if name in row}
    for name, value in row.items():
        if name not in _FIELDS:
            notes.unknown("field", name, where)
            if isinstance(value, int) and not isinstance(value, bool):
                charges[f"other.{name}"] = yuan(name)
    trade = row.get("trade_type", 0)
    kind = TRADE_TYPES.get(trade, f"TRADE_TYPE_{trade}") if isinstance(trade, int) else f"TRADE_TYPE_{trade}"
    if kind.startswith("TRADE_TYPE_"):
        notes.unknown("transaction type", kind, where)
    if "total_outcome" in row:
        notes.check(where, "total_outcome = Σ expense fields" + _UNVERIFIED, yuan("total_outcome"),
                    sum((charges.get(f"fee.{n}", ZERO) for n in EXPENSES), ZERO), "CNY")
    if "total_income" in row and "total_outcome" in row:
        notes.check(where, "settle_amount = total_income − total_outcome" + _UNVERIFIED, yuan("settle_amount"),
                    yuan("total_income") - yuan("total_outcome"), "CNY")
    order_id = str(row.get("order_id") or "").strip() or None
    facts = None
    if kind == ORDER:
        # amount: goods after the seller's coupon (店铺券); the platform's subsidy (平台补贴) is
        # its discount; shipping (运费) is the buyer's; refunds before settlement (结算前退款).
        facts = OrderFacts(amount=max(yuan("total_goods_amount") - yuan("shop_coupon"), ZERO),
                           platform_discount=yuan("platform_coupon"), buyer_shipping=yuan("post_amount"),
                           refunded=yuan("refund_before_settle"),
                           quantity=row.get("goods_count") if isinstance(row.get("goods_count"), int) else None)
    return StatementLine(
        id=str(row.get("request_no") or where), type=kind, currency="CNY", charges=charges,
        order_id=order_id if kind == ORDER else None, adjustment_id=None if kind == ORDER else row.get("request_no"),
        related_order_id=None if kind == ORDER else order_id,
        placed_at=local_time(row.get("order_time"), f"{where}.order_time"), facts=facts,
        adjustment=None if kind == ORDER else yuan("settle_amount"), statement_id=row.get("request_no"))
