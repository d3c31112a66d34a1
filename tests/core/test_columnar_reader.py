"""How the columnar path reads JSON Lines (:class:`shoppolicy.columnar.frame.JsonChunks`):
Arrow's rows are the chunk's lines one to one, or the chunk is left to the row path
(``None``); the schema of the first line's fields, widened when a later line gives
another field, never changes what is read."""

from __future__ import annotations

import json

import pytest

pa = pytest.importorskip("pyarrow")

from shoppolicy.columnar.frame import ORDER_SCHEMA, JsonChunks, read_json_chunk  # noqa: E402

ORDER = {"order_id": "A1", "market": "tiktok-us", "currency": "USD", "amount": "10.00",
         "placed_at": "2024-10-12"}


def lines(*orders: dict[str, object]) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in orders)


def test_each_line_is_one_row_with_every_order_field() -> None:
    table = read_json_chunk(lines(ORDER, {**ORDER, "order_id": "A2"}))
    assert table is not None and table.schema == ORDER_SCHEMA
    assert table.column("order_id").to_pylist() == ["A1", "A2"]
    assert table.column("tax").null_count == 2  # a field no line gives: all null


def test_a_last_line_without_newline_is_a_row() -> None:
    table = read_json_chunk(lines(ORDER) + json.dumps({**ORDER, "order_id": "A2"}).encode())
    assert table is not None and table.column("order_id").to_pylist() == ["A1", "A2"]


@pytest.mark.parametrize("chunk", [
    lines(ORDER)[:-1] + lines(ORDER) + b"  \n",  # two objects on a line, then a blank line: as many '{' as lines
    lines(ORDER) + b"\n" + lines(ORDER),  # a blank line
    b" " + lines(ORDER),  # a line not starting with its object
    lines({**ORDER, "shop_id": "{x}"}),  # a brace in a text
    lines({**ORDER, "shop_id": {"id": "x"}}),  # a nested object
    lines({**ORDER, "amount": 10}),  # a number where the contract has text
    lines({**ORDER, "colour": "red"}),  # a field that is no order field
    b"",
])
def test_a_chunk_arrow_cannot_read_line_for_line_goes_to_the_row_path(chunk: bytes) -> None:
    assert read_json_chunk(chunk) is None


def test_a_field_the_first_line_did_not_give_is_read_in_a_later_chunk() -> None:
    reader = JsonChunks()
    first = reader.read(lines(ORDER))
    later = reader.read(lines({**ORDER, "order_id": "A2", "tax": "1.00"}))  # parsed again with every field
    after = reader.read(lines({**ORDER, "order_id": "A3", "buyer_shipping": "2.00"}))
    assert first is not None and later is not None and after is not None
    assert later.column("tax").to_pylist() == ["1.00"]
    assert after.column("buyer_shipping").to_pylist() == ["2.00"]
    assert {t.schema for t in (first, later, after)} == {ORDER_SCHEMA}


def test_a_later_chunk_with_a_bad_value_is_still_refused_after_the_retry() -> None:
    reader = JsonChunks()
    assert reader.read(lines(ORDER)) is not None
    assert reader.read(lines({**ORDER, "tax": 1})) is None  # a number: refused with every field too


def test_the_lines_of_a_chunk_are_counted_once_and_only_for_that_chunk() -> None:
    reader = JsonChunks()
    chunk = lines(ORDER, {**ORDER, "order_id": "A2"}) + json.dumps({**ORDER, "order_id": "A3"}).encode()
    assert reader.read(chunk) is not None and reader.line_count(chunk) == 3
    other = b"\xff\n{}\n"  # not UTF-8: refused before its lines are counted
    assert reader.read(other) is None and reader.line_count(other) == 2
    assert reader.line_count(b"{}\n{}\n{}\n{}\n") == 4  # never read: counted here
