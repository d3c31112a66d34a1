"""Statement fixtures (tests/statements/fixtures, written from statement-formats.md) and
an engine with the installed first-party plugins."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shoppolicy import Engine

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def engine() -> Engine:
    found = Engine()
    if not {"douyin", "tiktok-us"} <= {m.id for m in found.markets()}:
        pytest.skip("the first-party plugins are not installed")
    return found


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def export_workbook(folder: Path) -> Path:
    """The export CSV as the Seller Center's xlsx: an "Order Details" sheet whose amounts
    are spreadsheet numbers (floats), as openpyxl hands them back."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Order Details"
    with open(FIXTURES / "tiktok-us-export.csv", encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append([_cell(c) for c in row])
    book.create_sheet("Summary")
    path = folder / "tiktok-us-export.xlsx"
    book.save(path)
    return path


def _cell(text: str) -> object:
    try:
        return float(text) if "." in text else int(text) if text.lstrip("-").isdigit() and len(text) < 8 else text
    except ValueError:
        return text
