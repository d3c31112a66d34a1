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

from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from shoppolicy.convert import FIRST_DAY, LAST_DAY
from shoppolicy.money import MINOR_UNITS
from shoppolicy.orders import MAX_QUANTITY

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

_PARSE = pa_json.ParseOptions(explicit_schema=ORDER_SCHEMA, unexpected_field_behavior="error",
                              newlines_in_values=False)
_READ = pa_json.ReadOptions(use_threads=True, block_size=1 << 20)
_ORDER_ID = r"^[^\"\\\x00-\x1f]+$"  # written into the statement as it is: nothing JSON would escape
_RATE = r"^(0(\.[0-9]{1,12})?|1(\.0{1,12})?)$"  # canonical, 0 to 1 (OrderRecord's own bounds)
_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_MOMENT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2})?$"


def money_pattern(places: int) -> str:
    """Money text whose ``str(Decimal(text))`` is the text itself, below 10^12."""
    whole = "(0|[1-9][0-9]{0,11})"
    return f"^{whole}\\.[0-9]{{{places}}}$" if places else f"^{whole}$"


def read_json_chunk(chunk: bytes) -> pa.Table | None:
    """The table of a chunk of whole JSON lines, one row per line in order; ``None`` when
    Arrow cannot read it line for line (a blank line, two objects on a line, a value of
    an unexpected type...): the row path then reads every line of it."""
    if not chunk.isascii():
        try:
            chunk.decode()  # Arrow does not check: a line that is not UTF-8 is the row path's to refuse
        except UnicodeDecodeError:
            return None
    lines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
    starts = chunk.count(b"\n{") + chunk.startswith(b"{")
    if not lines or starts != lines or chunk.count(b"{") != lines or chunk.count(b"}") != lines:
        return None  # a nested object, a brace in a text, a line not starting an object: not for Arrow
    try:
        table = pa_json.read_json(pa.BufferReader(chunk), read_options=_READ, parse_options=_PARSE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return table if table.num_rows == lines else None


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
        data: dict[str, Any] = {name: values[i].as_py() for name, values in self.text.items()}
        data.update((name, bool(values[i])) for name, values in self.flags.items() if values[i])
        if self.quantity[i] != 1:
            data["quantity"] = int(self.quantity[i])
        return {k: v for k, v in data.items() if v is not None}


def plain_rows(table: pa.Table, markets: dict[str, str]) -> Frame:
    """The rows of ``table`` the columnar path takes; ``markets``: each concrete market's
    currency."""
    n = table.num_rows
    col = {name: table.column(name).combine_chunks() for name in table.column_names}
    ok = _valid(pc.match_substring_regex(col["order_id"], _ORDER_ID))
    market, currency = col["market"], col["currency"]
    wanted = pc.binary_join_element_wise(market, currency, "\x00")
    ok &= _valid(pc.is_in(wanted, value_set=pa.array([f"{m}\x00{c}" for m, c in markets.items()])))
    places = np.full(n, -1, dtype=np.int64)
    money: dict[str, np.ndarray] = {}
    money_ok = np.zeros(n, dtype=bool)
    for code in _present(currency):
        if code not in MINOR_UNITS:
            continue
        mine = _valid(pc.equal(currency, code))
        places[mine] = MINOR_UNITS[code]
        pattern = money_pattern(MINOR_UNITS[code])
        good = mine & _valid(pc.match_substring_regex(col["amount"], pattern))
        for name in COMPONENTS:
            given = col[name]
            good &= ~_valid(pc.not_equal(given, "")) | _valid(pc.match_substring_regex(given, pattern))
        zero = "0." + "0" * MINOR_UNITS[code] if MINOR_UNITS[code] else "0"
        for name in ("refunded", "platform_discount_refunded"):  # a refund: the row path's (see the docstring)
            given = col[name]
            good &= ~_valid(pc.not_equal(given, "")) | _valid(pc.equal(given, zero))
        money_ok |= good
    ok &= money_ok
    rate, plan = _blank_is_null(col["commission_rate"]), _blank_is_null(col["affiliate_plan"])
    ok &= _null(rate) == _null(plan)
    ok &= _null(rate) | _valid(pc.match_substring_regex(rate, _RATE))
    quantity = col["quantity"].to_numpy(zero_copy_only=False)
    quantity_given = ~_null(col["quantity"])
    quantity = np.where(quantity_given, np.nan_to_num(quantity, nan=1), 1).astype(np.int64)
    ok &= (quantity >= 1) & (quantity <= MAX_QUANTITY)
    placed, good = _moments(col["placed_at"], required=True)
    ok &= good
    delivered, good = _moments(col["delivered_at"], required=False)
    ok &= good & (np.isnat(delivered) | (delivered >= placed))
    completed, good = _moments(col["completed_at"], required=False)
    ok &= good & (np.isnat(completed) | (completed >= placed))
    rows = np.flatnonzero(ok)
    take = pa.array(rows)
    text = {name: _blank_is_null(col[name]).take(take) for name in KEPT_TEXT}
    flags = {name: np.asarray(pc.fill_null(col[name], False).take(take).to_numpy(zero_copy_only=False), dtype=bool)
             for name in FLAG_FIELDS}
    kept_places = places[rows]
    money = {name: _minor(text[name], kept_places) for name in ("amount", *COMPONENTS)}
    return Frame(rows=rows, text=text, flags=flags, money=money, quantity=quantity[rows], placed=placed[rows],
                 delivered=delivered[rows], completed=completed[rows], places=kept_places)


def _valid(mask: Any) -> np.ndarray:
    """A boolean Arrow array as numpy, null read as false."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _null(values: pa.Array) -> np.ndarray:
    return np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _present(values: pa.Array) -> list[str]:
    return [v for v in pc.unique(values).to_pylist() if v is not None]


def _blank_is_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)


def _minor(values: pa.Array, places: np.ndarray) -> np.ndarray:
    """Canonical money text (or null: zero) as integer minor units."""
    whole = pc.fill_null(pc.replace_substring(values, ".", ""), "0")
    return np.asarray(pc.cast(whole, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _moments(values: pa.Array, *, required: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(datetime64[s] values, the rows whose value the columnar path reads)``: a date
    or a date-time without an offset, a real day (Arrow's parser rolls 2024-02-30 over
    to March: the day is read back and compared) from FIRST_DAY to LAST_DAY."""
    values = _blank_is_null(values)
    absent = _null(values)
    shaped = _valid(pc.match_substring_regex(values, _MOMENT))
    day_only = _valid(pc.match_substring_regex(values, _DAY))
    padded = pc.if_else(pa.array(day_only), pc.binary_join_element_wise(values, "T00:00:00", ""), values)
    parsed = pc.strptime(padded, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    back = pc.strftime(parsed, format="%Y-%m-%dT%H:%M:%S")
    real = _valid(pc.equal(back, padded))
    stamps = parsed.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    days = stamps.astype("datetime64[D]")
    in_range = (days >= np.datetime64(FIRST_DAY)) & (days <= np.datetime64(LAST_DAY))
    good = shaped & real & in_range
    stamps = np.where(good, stamps, np.datetime64("NaT"))
    return stamps, (good | (absent & (not required)))
