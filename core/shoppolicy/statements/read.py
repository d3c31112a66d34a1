"""Reading a statement file: its format named or detected, then the reader for it.

Detection: ``.xlsx`` is the Seller Center workbook and ``.csv`` its Order Details table;
any other file is JSON (one document, an array of pages, or pages one after another, as
JSON Lines or simply concatenated) whose shape names the format: ``transactions``
(202501 by statement), ``sku_transactions`` (202501 by order),
``statement_transactions`` (202309), a ``data`` list of settle-bill rows (Douyin).
JSON numbers are read as ``Decimal``, never as floats.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from shoppolicy.errors import InputError
from shoppolicy.statements import douyin, tiktok_api, tiktok_export
from shoppolicy.statements.model import Statement

FORMATS = (tiktok_api.V202501_STATEMENT, tiktok_api.V202501_ORDER, tiktok_api.V202309, tiktok_export.EXPORT_XLSX,
           tiktok_export.EXPORT_CSV, douyin.SETTLE_V3)


def read_statement(path: str | Path, fmt: str | None = None, *, currency: str | None = None) -> Statement:
    """The statement in ``path``; ``fmt`` one of :data:`FORMATS` (detected when ``None``);
    ``currency`` for an export without a Currency column."""
    path = Path(path)
    source = path.name
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown statement format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise InputError(f"cannot read {path}: no such file")
    if fmt == tiktok_export.EXPORT_XLSX or (fmt is None and path.suffix.lower() == ".xlsx"):
        return tiktok_export.read_xlsx(path, source, currency)
    if fmt == tiktok_export.EXPORT_CSV or (fmt is None and path.suffix.lower() == ".csv"):
        return tiktok_export.read_csv(path, source, currency)
    pages = [_unwrap(d) for d in _documents(path.read_text(encoding="utf-8-sig"), source)]
    found = fmt or _detect(pages, source)
    if found == douyin.SETTLE_V3:
        rows: list[Mapping[str, Any]] = []
        for page in pages:
            data = page.get("data")
            rows.extend(data if isinstance(data, list) else [page])
        return douyin.read_settle_bill(rows, source)
    if found == tiktok_api.V202501_STATEMENT:
        return tiktok_api.read_202501_statement(pages, source)
    if found == tiktok_api.V202501_ORDER:
        return tiktok_api.read_202501_orders(pages, source)
    return tiktok_api.read_202309(pages, source)


def _documents(text: str, source: str) -> list[Any]:
    """Every JSON value in ``text``, one after another (a lone array is its items)."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    out: list[Any] = []
    at, end = 0, len(text)
    while True:
        while at < end and text[at].isspace():
            at += 1
        if at >= end:
            break
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") \
                from None
        out.append(value)
    if len(out) == 1 and isinstance(out[0], list):
        out = out[0]
    if not out or not all(isinstance(d, Mapping) for d in out):
        raise InputError(f"{source}: expected JSON objects (API responses, pages or rows)")
    return out


def _unwrap(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """A response's ``data`` (the page), or the page itself."""
    data = document.get("data")
    if isinstance(data, Mapping) and ("code" in document or "request_id" in document or "message" in document):
        return data
    return document


def _detect(pages: list[Mapping[str, Any]], source: str) -> str:
    page = pages[0]
    if "transactions" in page:
        return tiktok_api.V202501_STATEMENT
    if "sku_transactions" in page:
        return tiktok_api.V202501_ORDER
    if "statement_transactions" in page or "sku_statement_transactions" in page:
        return tiktok_api.V202309
    rows = page.get("data")
    if douyin.is_row(page) or (isinstance(rows, list) and rows and douyin.is_row(rows[0])):
        return douyin.SETTLE_V3
    raise InputError(f"{source}: cannot tell the statement format from the file; name it with --statement-format "
                     f"({', '.join(FORMATS)})")
