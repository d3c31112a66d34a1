"""Reading statements: the official example's shape, amounts as Decimal only, header
aliases, format detection and errors."""

from __future__ import annotations

import builtins
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.statements import read_statement
from shoppolicy.statements.amounts import api_amount, cell_amount, fen, text_amount
from shoppolicy.statements.tiktok_export import normalise
from tests.statements.conftest import export_workbook, fixture

D = Decimal


def test_the_official_examples_shape_parses_and_its_arithmetic_is_reported_with_both_figures() -> None:
    statement = read_statement(fixture("tiktok-official-example-shape.json"))
    assert (statement.format, statement.currency) == ("tiktok-202501-statement", "GBP")
    (line,) = statement.lines
    fees = {k: v for k, v in line.charges.items() if k.startswith("fee.")}
    assert len(fees) == 54 and fees["fee.gmv_max_coupon_fee"] == 0  # "0 " with its trailing space
    assert sum(fees.values()) == 155 and sum(v for k, v in line.charges.items() if k.startswith("tax.")) == 93
    assert statement.unknown == ()  # every key is one the reference names
    found = {(f.where, f.check.split(" =")[0]): (f.declared, f.computed) for f in statement.findings}
    assert found == {  # statement-formats.md §3's table, computed with Decimal
        ("transaction 180023453", "settlement_amount"): (D(130), D(270)),
        ("transaction 180023453", "fee_tax_amount"): (D(-30), D(248)),
        ("transaction 180023453", "revenue_amount"): (D(200), D(32)),
        ("transaction 180023453", "shipping_cost_amount"): (D(-70), D(17)),
        ("statement 7238804564097517339", "total_settlement_amount"): (D(130), D(240)),
        ("statement 7238804564097517339", "total_count"): (D(2), D(1)),
        ("statement 7238804564097517339", "total_revenue_amount"): (D(100), D(200)),
        ("statement 7238804564097517339", "total_shipping_cost_amount"): (D(120), D(-70)),
        ("statement 7238804564097517339", "total_fee_tax_amount"): (D(20), D(-30)),
        ("statement 7238804564097517339", "total_adjustment_amount"): (D(0), D(170)),
    }
    # payable = settlement + reserve (150 = 130 + 20) and Σ settlement (130) add up
    assert statement.checks == len(found) + 2


def test_pages_are_concatenated_and_transactions_counted_once() -> None:
    statement = read_statement(fixture("tiktok-us-202501-statement.jsonl"))
    assert [line.order_id or line.adjustment_id for line in statement.lines] == [
        "US0", "US1", "US2", "US3", "US4", "US5", "ADJ1"]
    douyin = read_statement(fixture("douyin-settle-bill.jsonl"))  # DY4 is on both pages
    assert [line.order_id or line.related_order_id for line in douyin.lines] == [
        "DY1", "DY2", "DY3", "DY4", "DY5", "DY6", "DY7", "DY2"]
    assert douyin.lines[0].charges["fee.platform_service_fee"] == D("2.56")  # 256 fen


@pytest.mark.parametrize(("value", "expected"), [('"-17.14"', "-17.14"), ("0 ", "0"), ("", "0"), (3, "3")])
def test_api_amounts_are_decimal_strings(value: Any, expected: str) -> None:
    assert api_amount(value.strip('"') if isinstance(value, str) else value, "x") == D(expected)


def test_floats_are_refused_where_text_is_expected() -> None:
    with pytest.raises(InputError, match="decimal string"):
        api_amount(17.14, "fee")
    with pytest.raises(InputError, match="whole number of fen"):
        fen(12.5, "platform_service_fee")
    assert fen(12345, "x") == D("123.45")


@pytest.mark.parametrize(("text", "currency", "expected"), [
    ("BRL 35,91", "BRL", "35.91"), ("BRL 35.91", "BRL", "35.91"), ("1,234.56", "USD", "1234.56"),
    ("1.234,56", "EUR", "1234.56"), ("74.332", "VND", "74332"), ("-74332", "VND", "-74332"), ("(1.00)", "USD", "-1.00"),
])
def test_text_amounts(text: str, currency: str, expected: str) -> None:
    assert text_amount(text, currency, "cell") == D(expected)


def test_a_spreadsheet_number_goes_through_its_text_and_must_land_on_the_minor_unit() -> None:
    assert cell_amount(35.910000000000004, "USD", "cell") == D("35.91")
    assert str(cell_amount(0.1 + 0.2, "USD", "cell")) == "0.30"  # on the minor unit, as text would be
    assert cell_amount(7, "USD", "cell") == D(7)
    with pytest.raises(InputError, match="at most 2 decimal places for USD"):
        cell_amount(12.345, "USD", "row 3: referral fee")


def test_headers_are_normalised() -> None:
    assert normalise("Order/adjustment ID  ") == "order/adjustment id"
    assert normalise(" Type ") == "type"
    assert normalise("Total  Settlement\tAmount") == "total settlement amount"


def test_the_format_is_detected_or_named(tmp_path: Path) -> None:
    assert read_statement(fixture("tiktok-vn-202309.json")).format == "tiktok-202309"
    assert read_statement(fixture("douyin-settle-bill.jsonl"), "douyin-settle-v3").platform == "douyin"
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="--statement-format"):
        read_statement(odd)
    with pytest.raises(InputError, match="unknown statement format"):
        read_statement(odd, "csv")


def test_xlsx_needs_the_statements_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = export_workbook(tmp_path)
    real = builtins.__import__

    def no_openpyxl(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "openpyxl":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openpyxl)
    with pytest.raises(ShopPolicyError, match=r"pip install 'shoppolicy\[statements\]'"):
        read_statement(path)
