"""reconcile: every status and every figure, on fixtures written from
statement-formats.md (issue 17's acceptance list)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shoppolicy import Engine
from shoppolicy.records import read_all
from shoppolicy.statements import read_statement, reconcile
from shoppolicy.statements.model import ArithmeticFinding
from tests.statements.conftest import export_workbook, fixture

D = Decimal


def rows(result: object) -> list[tuple[object, ...]]:
    return [(r.order_id, r.fee, r.status, r.computed, r.charged, r.difference)
            for r in result.rows]  # type: ignore[attr-defined]


def us_orders() -> list[dict[str, object]]:
    return [r for _, r in read_all(fixture("tiktok-us-orders.jsonl"))]


def test_a_us_statement_against_the_sellers_orders_shows_every_status(engine: Engine) -> None:
    result = reconcile(read_statement(fixture("tiktok-us-202501-statement.jsonl")), engine, orders=us_orders())
    assert result.market == "tiktok-us" and result.currency == "USD"
    assert rows(result) == [
        # before 2023-10-01 no referral fee is published: a gap, with the charged figure beside it
        ("US0", "referral_fee", "gap", None, D("0.50"), None),
        # after 2024-07-01: 8% of amount + buyer shipping (45.00 + 5.00)
        ("US1", "referral_fee", "match", D("4.00"), D("4.00"), D("0.00")),
        ("US1", "creator_commission", "match", D("4.50"), D("4.50"), D("0.00")),
        ("US1", "shipping.actual_shipping_fee_amount", "not_modelled", None, D("6.00"), None),
        ("US1", "shipping.customer_paid_shipping_fee_amount", "not_modelled", None, D("-5.00"), None),
        # a partial refund: 40 of 100 refunded, 8% of the 60 kept; 20% of the 3.20 returned
        ("US2", "referral_fee", "match", D("4.80"), D("4.80"), D("0.00")),
        ("US2", "refund_admin_fee", "match", D("0.64"), D("0.64"), D("0.00")),
        # one cent more than 25.99 × 8% = 2.0792 → 2.08, and the adjustment that names the order
        ("US3", "referral_fee", "mismatch", D("2.08"), D("2.09"), D("0.01")),
        ("US3", "adjustment:PLATFORM_COMMISSION_ADJUSTMENT", "not_modelled", None, D("-0.01"), None),
        ("US4", "referral_fee", "match", D("2.40"), D("2.40"), D("0.00")),
        ("US4", "fee.sfp_service_fee_amount", "not_modelled", None, D("0.90"), None),
        ("US4", "fee.future_program_fee_amount", "not_modelled", None, D("0.25"), None),
        ("US5", "order", "missing_from_orders", None, None, None),
        ("US5", "referral_fee", "missing_from_orders", None, D("4.80"), None),
        ("US9", "order", "missing_from_statement", D("1.20"), None, None),
    ]
    us1 = result.rows[1]
    assert (us1.rule, us1.layer, us1.confidence) == ("TT-FEE-1", "shoppolicy-tiktok 0.1.0: fees-us.toml [tiktok-us]",
                                                     "third-party")
    assert us1.source == "https://fitsmallbusiness.com/how-much-does-tiktok-shop-take"
    assert us1.statement_keys == ("fee.referral_fee_amount",)
    gap = result.rows[0].gap
    assert gap is not None and (gap.rule, gap.key, gap.on.isoformat()) == ("TT-FEE-1", "fee.charged", "2023-08-01")
    assert result.rows[8].adjustment_id == "ADJ1"
    assert [(u.what, u.name) for u in result.unknown] == [("fee key", "future_program_fee_amount")]
    assert result.findings == () and result.checks == 36
    assert not result.explained
    referral = next(s for s in result.summary if s.fee == "referral_fee")
    assert (referral.orders, referral.matches, referral.mismatches, referral.gaps, referral.missing,
            referral.differences, referral.difference_total, referral.charged_total) == (
        6, 3, 1, 1, 1, 1, D("0.01"), D("18.59"))


def test_a_tolerance_of_one_cent_turns_the_mismatch_into_a_match(engine: Engine) -> None:
    result = reconcile(read_statement(fixture("tiktok-us-202501-statement.jsonl")), engine, orders=us_orders(),
                       tolerance=D("0.01"))
    us3 = next(r for r in result.rows if r.order_id == "US3" and r.fee == "referral_fee")
    assert (us3.status, us3.difference) == ("match", D("0.01"))


def test_without_orders_the_records_are_built_from_the_statement(engine: Engine) -> None:
    result = reconcile(read_statement(fixture("tiktok-us-202501-statement.jsonl")), engine)
    got = {(r.order_id, r.fee): (r.status, r.computed, r.charged) for r in result.rows}
    assert got[("US1", "referral_fee")] == ("match", D("4.00"), D("4.00"))  # amount 45, shipping 5 from the statement
    assert got[("US2", "refund_admin_fee")] == ("match", D("0.64"), D("0.64"))  # the refund from customer_refund
    assert got[("US5", "referral_fee")] == ("match", D("4.80"), D("4.80"))
    creator = next(r for r in result.rows if r.fee == "creator_commission")
    assert creator.status == "gap" and "commission rate" in (creator.detail or "")


def test_a_uk_order_after_2024_09_02_pays_9_percent_and_one_before_5(engine: Engine) -> None:
    statement = read_statement(fixture("tiktok-uk-202501-orders.json"))
    assert statement.format == "tiktok-202501-order"
    uk1 = next(line for line in statement.lines if line.order_id == "UK1")
    assert uk1.facts is not None and (uk1.facts.amount, uk1.facts.buyer_shipping, uk1.facts.quantity) == (
        D("94.00"), D("5.00"), 3)  # two SKUs summed
    result = reconcile(statement, engine)
    assert [r for r in rows(result) if r[1] == "commission"] == [
        ("UK1", "commission", "match", D("8.91"), D("8.91"), D("0.00")),  # 9% of 94.00 + 5.00
        ("UK2", "commission", "match", D("1.00"), D("1.00"), D("0.00")),  # 5% of 20.00 (2024-08-20)
    ]
    assert result.explained and result.findings == () and result.checks == 10


def test_an_archived_202309_record_reports_the_fee_residual(engine: Engine) -> None:
    result = reconcile(read_statement(fixture("tiktok-vn-202309.json")), engine)
    assert rows(result) == [
        ("VN1", "payment_fee", "match", D("5045"), D("5045"), D("0")),  # 5% of 100,900
        ("VN1", "commission", "gap", None, D("3800"), None),
        ("VN1", "shipping.shipping_fee_amount", "not_modelled", None, D("24400"), None),
    ]
    assert result.findings == (ArithmeticFinding(
        "transaction VT1", "fee_amount = Σ the fee fields listed (+ shipping_fee_amount outside the US/UK): the "
        "residual is fees with no field", D("-34245"), D("-33245"), "VND"),)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_seller_center_export_as_csv_and_as_xlsx(engine: Engine, tmp_path: Path, kind: str) -> None:
    path = fixture("tiktok-us-export.csv") if kind == "csv" else str(export_workbook(tmp_path))
    statement = read_statement(path)
    assert statement.format == f"tiktok-export-{kind}"
    result = reconcile(statement, engine)
    assert rows(result) == [
        ("EX1", "referral_fee", "match", D("2.84"), D("2.84"), D("0.00")),  # two SKU rows: 35.50 × 8%
        ("EX2", "referral_fee", "match", D("0.99"), D("0.99"), D("0.00")),
        ("EX2", "fee.sfp_service_fee_amount", "not_modelled", None, D("0.30"), None),
        ("EX2", "other.program_x_fee", "not_modelled", None, D("0.10"), None),
        ("EX2", "adjustment:PLATFORM_COMMISSION_ADJUSTMENT", "not_modelled", None, D("-0.05"), None),
    ]
    assert [(u.what, u.name) for u in result.unknown] == [("column", "program x fee")]
    assert [(f.where, f.declared, f.computed) for f in result.findings] == [("row 6", D("-1.39"), D("-1.29"))]


def test_reconcile_with_a_policy_gap_names_it(engine: Engine) -> None:
    statement = read_statement(fixture("douyin-settle-bill.jsonl"))
    result = reconcile(statement, engine, orders=[r for _, r in read_all(fixture("douyin-orders.jsonl"))])
    tea = result.rows[0]
    assert (tea.order_id, tea.status, tea.charged) == ("DY1", "gap", D("2.56"))
    assert tea.gap is not None and tea.gap.key == "technical_service_fee.rate.tea"
    assert (tea.gap.low, tea.gap.high) == (D("0.01"), D("0.05"))  # the published 1%-5% range
