"""Order records as Arrow columns: reading JSON Lines into a table, and the rows the
columnar path takes.

The row path (:func:`shoppolicy.orders.structure_order`) is the authority on what an
order is.  This module only picks out, with vector operations, the rows that are
certainly in the plain form the row path's quick reader accepts *and* that the columnar
path prices the same way: canonical money text (``12.50``, never ``12.5`` or ``012.50``,
whose text the statement would repeat differently), dates ``YYYY-MM-DD`` or
``YYYY-MM-DDTHH:MM:SS`` without an offset, no refund.  Every other row, accepted or
refused, goes through the row path with its line number, so its figures or its reject
reason are the row path's own.  What does not live here: pricing
(:mod:`.figures`) and statement lines (:mod:`.lines`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from shoppolicy.convert import FIRST_DAY, LAST_DAY
from shoppolicy.money import MINOR_UNITS
from shoppolicy.orders import MAX_QUANTITY
from shoppolicy.records import line_count

TEXT_FIELDS = ("order_id", "market", "currency", "amount", "placed_at", "category", "delivered_at",
               "completed_at", "shop_id", "seller_type", "store_type", "settlement_tier", "affiliate_plan",
               "commission_rate", "platform_discount", "buyer_shipping", "tax", "refunded",
               "platform_discount_refunded")
FLAG_FIELDS = ("pre_order", "new_shop", "creator_sample", "cancelled_before_shipping", "tax_registered_org")
#: What Arrow reads a JSON line as.  A value of another JSON type (a number for the
#: amount, a string for a flag), an unknown key, a key given twice or a lone surrogate
#: makes Arrow refuse the whole chunk, which then goes through the row path.
ORDER_SCHEMA = pa.schema([(name, pa.string()) for name in TEXT_FIELDS]
                         + [("quantity", pa.int64())] + [(name, pa.bool_()) for name in FLAG_FIELDS])
#: The order fields a fee or payout block may choose by (besides the dates): every
#: row of a combination of these values is priced by one set of block outcomes.
CHOICE_FIELDS = ("market", "category", "seller_type", "store_type", "settlement_tier", "affiliate_plan",
                 "commission_rate", *FLAG_FIELDS)
COMPONENTS = ("platform_discount", "buyer_shipping", "tax")
KEPT_TEXT = ("order_id", "market", "currency", "amount", "placed_at", "category", "delivered_at", "completed_at",
             "shop_id", "seller_type", "store_type", "settlement_tier", "affiliate_plan", "commission_rate",
             *COMPONENTS)

_ORDER_ID = r"^[^\"\\\x00-\x1f]+$"  # written into the statement as it is: nothing JSON would escape
_RATE = re.compile(r"(0(\.[0-9]{1,12})?|1(\.0{1,12})?)\Z")  # canonical, 0 to 1 (OrderRecord's own bounds)
_MOMENT_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2})?\Z")


_NEWLINE, _BRACE = ord("\n"), ord("{")
_MASK_KEPT = 1 << 26  # the largest mask kept from chunk to chunk (a chunk of a very long line gets its own)


def money_pattern(places: int) -> str:
    """Money text whose ``str(Decimal(text))`` is the text itself, below 10^12."""
    whole = "(0|[1-9][0-9]{0,11})"
    return f"^{whole}\\.[0-9]{{{places}}}$" if places else f"^{whole}$"


def read_json_chunk(chunk: bytes) -> pa.Table | None:
    """The table of a chunk of whole JSON lines, one row per line in order; ``None`` when
    Arrow cannot read it line for line (a blank line, two objects on a line, a value of
    an unexpected type...): the row path then reads every line of it."""
    return JsonChunks().read(chunk)


class JsonChunks:
    """Reads the chunks of one JSON Lines file in turn (:meth:`read`).

    Arrow parses a schema of the fields the lines hold nearly twice as fast as one of
    every order field, most of which a file never gives.  So the schema is that of the
    file's first line; a chunk Arrow refuses with it (another field, or a value of the
    wrong type) is parsed again with every field, and so are the chunks after it.  Either
    way the table has every field of :data:`ORDER_SCHEMA`, those not given all null."""

    def __init__(self) -> None:
        self._schema: pa.Schema | None = None  # None until the first chunk is read
        self._counted = (0, 0)  # the id of the last chunk read (alive while it is asked of), its lines
        self._mask = np.empty(0, dtype=bool)

    def line_count(self, chunk: bytes) -> int:
        """The lines of ``chunk`` (counted by :meth:`read` already, if it was the last read)."""
        if self._counted[0] == id(chunk):
            return self._counted[1]
        return line_count(chunk)

    def read(self, chunk: bytes) -> pa.Table | None:
        """The table of the next chunk (see :func:`read_json_chunk`)."""
        self._counted = (0, 0)  # this chunk's lines are not counted yet
        if not chunk.isascii():
            try:
                chunk.decode()  # Arrow does not check: a line that is not UTF-8 is the row path's to refuse
            except UnicodeDecodeError:
                return None
        if not chunk.startswith(b"{"):
            return None
        # Every line starts with a brace and holds no other: a nested object, a brace in a
        # text, a line not starting an object is not for Arrow.  Otherwise each line
        # starts the one object it holds (Arrow refuses an object as a value), so Arrow's
        # rows are the lines, one to one.  (numpy scans the bytes faster than bytes.count.)
        text = np.frombuffer(chunk, dtype=np.uint8)
        if len(self._mask) < len(text) <= _MASK_KEPT:  # one mask for every chunk: no new memory each time
            self._mask = np.empty(len(text), dtype=bool)
        mask = self._mask[:len(text)] if len(text) <= len(self._mask) else np.empty(len(text), dtype=bool)
        newlines = np.flatnonzero(np.equal(text, _NEWLINE, out=mask))
        ended = chunk.endswith(b"\n")
        lines = len(newlines) + (not ended)
        self._counted = (id(chunk), lines)
        starts = (newlines[:-1] if ended else newlines) + 1
        if (text[starts] != _BRACE).any() or np.count_nonzero(np.equal(text, _BRACE, out=mask)) != lines:
            return None
        if self._schema is None:
            self._schema = _first_line_schema(chunk)
        table = _parse(chunk, self._schema)
        if table is None and self._schema is not ORDER_SCHEMA:
            self._schema = ORDER_SCHEMA  # perhaps a field the first line did not give
            table = _parse(chunk, ORDER_SCHEMA)
        if table is None or table.num_rows != lines:
            return None
        if table.schema is ORDER_SCHEMA or table.num_columns == len(ORDER_SCHEMA):
            return table
        given = set(table.column_names)
        return pa.table([table.column(f.name) if f.name in given else pa.chunked_array([pa.nulls(lines, f.type)])
                         for f in ORDER_SCHEMA], schema=ORDER_SCHEMA)


def _first_line_schema(chunk: bytes) -> pa.Schema:
    """The schema of the order fields the first line of ``chunk`` gives (every field's,
    when that line is not a JSON object)."""
    try:
        first = json.loads(chunk[:chunk.find(b"\n")] if b"\n" in chunk else chunk)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
        return ORDER_SCHEMA
    if not isinstance(first, dict):
        return ORDER_SCHEMA
    return pa.schema([f for f in ORDER_SCHEMA if f.name in first])


def _parse(chunk: bytes, schema: pa.Schema) -> pa.Table | None:
    """Arrow's table of ``chunk`` in ``schema``, a field outside it refused; ``None``
    when Arrow refuses the chunk."""
    # One block for the whole chunk: its columns come whole, not in pieces to join again
    # (a reading thread parses the next chunks while this one is priced: see
    # shoppolicy.batch).
    read = pa_json.ReadOptions(use_threads=False, block_size=len(chunk) + 1)
    parse = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error",
                                 newlines_in_values=False)
    try:
        return pa_json.read_json(pa.BufferReader(chunk), read_options=read, parse_options=parse)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def as_orders(table: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """``table`` (as Spark or another reader gives it: any subset of the order fields,
    flags and quantity perhaps as text) in :data:`ORDER_SCHEMA`, and the rows whose
    values kept their meaning: a row with a value in an unknown column, or a flag or
    quantity text that is not plainly one, is the row path's to read."""
    n = table.num_rows
    usable = np.ones(n, dtype=bool)
    columns = []
    for field in ORDER_SCHEMA:
        if field.name not in table.column_names:
            columns.append(pa.nulls(n, field.type))
            continue
        values = table.column(field.name).combine_chunks()
        if values.type == field.type:
            columns.append(values)
        elif pa.types.is_string(values.type) and field.type == pa.bool_():
            usable &= _null(values) | _valid(pc.is_in(values, value_set=pa.array(["true", "false", ""])))
            columns.append(pc.if_else(pc.equal(values, "true"), True, pc.if_else(pc.equal(values, "false"),
                                                                                   False, None)))
        elif pa.types.is_string(values.type) and field.type == pa.int64():
            plain = _valid(pc.match_substring_regex(values, r"^[1-9][0-9]{0,6}$"))
            usable &= _null(values) | plain
            columns.append(pc.cast(pc.if_else(pa.array(plain), values, None), pa.int64()))
        else:
            usable[:] = False  # a type the row path reads (or refuses) value by value
            columns.append(pa.nulls(n, field.type))
    for name in table.column_names:
        if name not in ORDER_SCHEMA.names:
            usable &= _null(table.column(name).combine_chunks())
    return pa.table(columns, schema=ORDER_SCHEMA), usable


@attrs.frozen
class Frame:
    """The rows of a table the columnar path prices (``rows``: their positions in the
    table), with their values as arrays: money in integer minor units, times as
    ``datetime64[s]``, texts as Arrow strings (``""`` read as not given)."""

    rows: np.ndarray
    text: dict[str, pa.Array]
    flags: dict[str, np.ndarray]
    money: dict[str, np.ndarray]  # amount and the price components, in minor units
    quantity: np.ndarray
    placed: np.ndarray  # datetime64[s]
    delivered: np.ndarray  # datetime64[s], NaT where not given
    completed: np.ndarray
    places: np.ndarray  # the currency's minor-unit places, per row

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i`` as the JSON object the row path reads (values not given left out)."""
        data: dict[str, Any] = {name: values[i].as_py() or None for name, values in self.text.items()}
        data.update((name, bool(values[i])) for name, values in self.flags.items() if values[i])
        if self.quantity[i] != 1:
            data["quantity"] = int(self.quantity[i])
        return {k: v for k, v in data.items() if v is not None}


def plain_rows(table: pa.Table, markets: dict[str, str], usable: np.ndarray | None = None, *,
               escapes: bool = True) -> Frame:
    """The rows of ``table`` (in :data:`ORDER_SCHEMA`) the columnar path takes;
    ``markets``: each concrete market's currency; ``usable``: the rows that may be taken
    at all (default: every row); ``escapes``: whether a text may hold a JSON escape (read
    from a chunk with a backslash): without one no text holds a quote, a backslash or a
    control character, which JSON cannot write unescaped.

    Texts of few distinct values (market, currency, dates, rates) are checked once per
    distinct value; money is read by Arrow's decimal parser and kept only where Arrow
    writes it back as the same text (canonical)."""
    n = table.num_rows
    col = {name: _whole(table.column(name)) for name in table.column_names}
    order_id = col["order_id"]
    ok = _valid(pc.greater(pc.binary_length(order_id), 0))
    if escapes:
        ok &= _valid(pc.match_substring_regex(order_id, _ORDER_ID))
    if usable is not None:
        ok &= usable
    market, currency = col["market"], col["currency"]
    pairs = {f"{m}\x00{c}" for m, c in markets.items()}
    ok &= _per_value(pc.binary_join_element_wise(market, currency, "\x00"), lambda v: v in pairs)
    places = np.full(n, -1, dtype=np.int64)
    money = {name: np.zeros(n, dtype=np.int64) for name in ("amount", *COMPONENTS)}
    money_ok = np.zeros(n, dtype=bool)
    codes = [c for c in _present(currency) if c in MINOR_UNITS]
    for code in codes:
        mine = _valid(pc.equal(currency, code)) if len(codes) > 1 else _valid(pc.is_valid(currency))
        digits = MINOR_UNITS[code]
        places[mine] = digits
        good = mine.copy()
        for name in ("amount", *COMPONENTS, "refunded", "platform_discount_refunded"):
            values, plain, given = _money(col[name], digits)
            if name == "amount":
                plain &= given
            elif name in COMPONENTS:
                plain |= ~given
            else:  # a refund: the row path's (see the docstring)
                plain = ~given | (plain & (values == 0))
            good &= plain
            if name in money:
                money[name] = np.where(mine, values, money[name])
        money_ok |= good
    ok &= money_ok
    # What the buyer paid, C = amount - platform discount + shipping + tax, is not negative
    # (OrderRecord refuses a refund above it, and a refund of 0 is above a negative C).
    ok &= money["amount"] - money["platform_discount"] + money["buyer_shipping"] + money["tax"] >= 0
    rate, plan = col["commission_rate"], col["affiliate_plan"]
    rate_given = _valid(pc.not_equal(rate, ""))
    plan_given = _valid(pc.not_equal(plan, ""))
    ok &= rate_given == plan_given
    ok &= ~rate_given | _per_value(rate, lambda v: _RATE.match(v) is not None)
    quantity = np.asarray(pc.fill_null(col["quantity"], 1).to_numpy(zero_copy_only=False), dtype=np.int64)
    ok &= (quantity >= 1) & (quantity <= MAX_QUANTITY)
    placed, good = _moments(col["placed_at"], required=True)
    ok &= good
    delivered, good = _moments(col["delivered_at"], required=False)
    ok &= good & (np.isnat(delivered) | (delivered >= placed))
    completed, good = _moments(col["completed_at"], required=False)
    ok &= good & (np.isnat(completed) | (completed >= placed))
    rows = np.flatnonzero(ok)
    every = len(rows) == n
    take = None if every else pa.array(rows)
    text = {name: col[name] if every else col[name].take(take) for name in KEPT_TEXT}
    flags = {name: np.zeros(len(rows), dtype=bool) if col[name].null_count == n else
             np.asarray(pc.fill_null(col[name], False).to_numpy(zero_copy_only=False), dtype=bool)[rows]
             for name in FLAG_FIELDS}
    return Frame(rows=rows, text=text, flags=flags, money={k: v[rows] for k, v in money.items()},
                 quantity=quantity[rows], placed=placed[rows], delivered=delivered[rows], completed=completed[rows],
                 places=places[rows])


def _money(values: pa.Array, places: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(minor units, canonical, given)`` of money text in a currency of ``places``:
    canonical where Arrow's decimal parser reads the text and writes it back unchanged
    (``12.50``, never ``12.5`` or ``012.50``), is not negative and is below 10^12."""
    if values.null_count == len(values):  # not given on any row (as most price components)
        nothing = np.zeros(len(values), dtype=bool)
        return np.zeros(len(values), dtype=np.int64), nothing, nothing
    given = _valid(pc.not_equal(values, ""))
    try:
        parsed = pc.cast(values, pa.decimal128(18, places))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # some text is no number: read the plain ones
        shaped = pc.match_substring_regex(values, money_pattern(places))
        parsed = pc.cast(pc.if_else(shaped, values, pa.scalar(None, pa.string())), pa.decimal128(18, places))
    canonical = _valid(pc.equal(pc.cast(parsed, pa.string()), values))
    words = np.frombuffer(parsed.buffers()[1], dtype=np.int64, count=2 * len(values), offset=parsed.offset * 16)
    low, high = words[0::2], words[1::2]
    small = (high == 0) & (low >= 0) & (low < 10 ** (12 + places))
    plain = canonical & small
    return np.where(plain, low, 0), plain, given


def _per_value(values: pa.Array, test: Any) -> np.ndarray:
    """``test(text)`` of each row's value, called once per distinct value (null: false)."""
    encoded = pc.dictionary_encode(values)
    verdicts = np.array([test(v) for v in encoded.dictionary.to_pylist()] + [False], dtype=bool)
    indices = encoded.indices.fill_null(len(encoded.dictionary))
    return np.asarray(verdicts[np.asarray(indices.to_numpy(zero_copy_only=False))])


def _whole(column: pa.ChunkedArray) -> pa.Array:
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _valid(mask: Any) -> np.ndarray:
    """A boolean Arrow array as numpy, null read as false."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _null(values: pa.Array) -> np.ndarray:
    return np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _present(values: pa.Array) -> list[str]:
    return [v for v in pc.unique(values).to_pylist() if v is not None]


def _moments(values: pa.Array, *, required: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(datetime64[s] values, the rows whose value the columnar path reads)``: a date
    or a date-time without an offset, a real day from FIRST_DAY to LAST_DAY.  A month of
    orders has a few dozen distinct dates: each is read once."""
    encoded = pc.dictionary_encode(values)
    texts = encoded.dictionary.to_pylist()
    stamps = np.full(len(texts) + 1, np.datetime64("NaT", "s"), dtype="datetime64[s]")
    good = np.zeros(len(texts) + 1, dtype=bool)
    good[-1] = not required  # null: not given
    for i, text in enumerate(texts):
        if text == "":
            good[i] = not required
            continue
        if _MOMENT_TEXT.match(text) is None:
            continue
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:  # shaped like a date but not one (2024-02-30)
            continue
        if FIRST_DAY <= when.date() <= LAST_DAY:
            stamps[i], good[i] = np.datetime64(when, "s"), True
    at = np.asarray(encoded.indices.fill_null(len(texts)).to_numpy(zero_copy_only=False))
    return stamps[at], good[at]
