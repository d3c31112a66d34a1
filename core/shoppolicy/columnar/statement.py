"""The statement as an Arrow table (what ``settle --out X.parquet`` writes): one row per
order, a column per fee code, payout dates and gaps, and the plan id under which the
explanation trail is written once (the plans table, :func:`plans_table`).

Money columns are ``decimal128(38, 4)``: four places hold every ISO 4217 minor unit, so
the orders of several currencies share one column exactly.  Rows come from the
columnar path's shapes (:func:`from_shapes`) or from the row path's quotes
(:func:`from_quotes`); both give the same values for the same order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from shoppolicy.blocks.fees import PercentFee
from shoppolicy.columnar.frame import Frame
from shoppolicy.columnar.lines import decimals, rescale
from shoppolicy.columnar.shapes import Shape
from shoppolicy.engine import FEES, Engine
from shoppolicy.model import Quote

PLACES = 4
MONEY = pa.decimal128(38, PLACES)
_FIXED = [("line", pa.int64()), ("order_id", pa.string()), ("market", pa.string()), ("currency", pa.string()),
          ("amount", MONEY)]
_AFTER = [("total_fees", MONEY), ("creator_commission", MONEY), ("net", MONEY), ("payout_date", pa.date32()),
          ("creator_payout_date", pa.date32()), ("complete", pa.bool_()), ("gaps", pa.string()),
          ("plan_id", pa.string())]
PLANS_SCHEMA = pa.schema([("plan_id", pa.string()), ("plan", pa.string())])


def fee_codes(engine: Engine) -> list[str]:
    """Every fee code the installed markets' plans can charge, in any time slice."""
    codes: set[str] = set()
    for market in engine.markets():
        if market.abstract:
            continue
        policy = engine.policy(market.id)
        for at in [dt.datetime(2000, 1, 1), *policy.boundaries]:  # the first slice, then each change
            for charge in engine.plan(FEES, market, at):
                code = getattr(charge, "code", None)
                if code:
                    codes.add(code)
                if isinstance(charge, PercentFee):
                    codes.update(a.code for a in charge.gap_addons)
                    table = charge.table
                    if table is not None:
                        choices = [*table.rates.values(), *table.seller_rates.values(),
                                   *(c for _, c in table.flag_rates if hasattr(c, "addons"))]
                        if table.default is not None:
                            choices.append(table.default)
                        codes.update(a.code for c in choices for a in c.addons)
    codes -= {"fees", "creator_commission"}  # gaps' figures (an unpriced market, a commission), never fee lines
    return sorted(codes)


def schema(codes: Sequence[str]) -> pa.Schema:
    return pa.schema([*_FIXED, *[(f"fee.{c}", MONEY) for c in codes], *_AFTER])


#: Columns of few distinct values, dictionary-encoded.  Money and ids are not: a
#: dictionary of their million values costs more to build than it saves.
_DICTIONARY = ("market", "currency", "payout_date", "creator_payout_date", "gaps", "plan_id")
#: Columns without min/max statistics: a reader filters by line, market, money or date,
#: seldom by the order id or the gaps' text, and the text statistics cost the most to write.
_NO_STATISTICS = ("order_id", "gaps", "plan_id")


def writer_options(statement: pa.Schema) -> dict[str, Any]:
    """The Parquet writer's options for a statement of this schema."""
    names = statement.names
    return {"use_dictionary": [n for n in names if n in _DICTIONARY],
            "write_statistics": [n for n in names if n not in _NO_STATISTICS]}


def gaps_text(quote: Quote) -> str:
    return " | ".join(f"{g.figure}: {g.rule} {g.key}" for g in quote.gaps)


def from_shapes(shapes: Sequence[Shape], frame: Frame, lines: np.ndarray, codes: Sequence[str],
                plan_id: Callable[[Any], str]) -> pa.Table:
    """The rows of the columnar path's shapes, in line order; ``lines``: each frame row's
    line number.  Each column is gathered over the whole table first (a numpy
    assignment per shape) and turned into Arrow once."""
    target = schema(codes)
    if not shapes:
        return target.empty_table()
    rows = np.concatenate([shape.rows for shape in shapes])
    n = len(frame)
    money: dict[str, np.ndarray] = {}
    known: dict[str, np.ndarray] = {}
    dates = {name: np.full(n, np.datetime64("NaT", "D"), dtype="datetime64[D]")
             for name in ("payout_date", "creator_payout_date")}
    shape_of = np.zeros(n, dtype=np.int32)

    def put(name: str, at: np.ndarray, values: np.ndarray, places: int) -> None:
        if name not in money:
            money[name], known[name] = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        exact = rescale(values, places, PLACES)
        assert exact is not None  # more places than the currency's: never (PLACES is the most)
        money[name][at] = exact
        known[name][at] = True

    for s, shape in enumerate(shapes):
        quote, values, at = shape.quote, shape.values, shape.rows
        shape_of[at] = s
        put("amount", at, values[("amount",)], shape.places)
        for j, fee in enumerate(quote.fees):
            put(f"fee.{fee.code}", at, values[("fee_amount", j)], shape.places)
        if quote.total_fees is not None:
            put("total_fees", at, values[("total",)], shape.places)
        commission = values.get(("commission",))
        put("creator_commission", at, commission if commission is not None else np.zeros(len(at), np.int64),
            shape.places)
        if quote.net is not None:
            put("net", at, values[("net",)], shape.places)
        for name, hole in (("payout_date", ("payout",)), ("creator_payout_date", ("creator_payout",))):
            found = values.get(hole)
            if found is not None:
                dates[name][at] = found
    order = np.sort(rows)
    index = pa.array(shape_of[order])
    described = {"market": [s.quote.market for s in shapes], "currency": [s.quote.currency for s in shapes],
                 "complete": [not s.quote.gaps for s in shapes], "gaps": [gaps_text(s.quote) for s in shapes],
                 "plan_id": [plan_id(s.quote) for s in shapes]}
    columns: list[pa.Array] = []
    absent: dict[pa.DataType, pa.Array] = {}  # one all-null column, shared by the fee codes no row has
    for field in target:
        name = field.name
        if name == "line":
            columns.append(pa.array(lines[order]))
        elif name == "order_id":
            columns.append(frame.text["order_id"].take(pa.array(order)))
        elif name in described:
            columns.append(pa.array(described[name], field.type).take(index))
        elif name in dates:
            columns.append(pa.array(dates[name][order], pa.date32()))
        elif name in money:
            values = decimals(money[name][order], PLACES)
            columns.append(pa.Array.from_buffers(MONEY, len(order), [pa.array(known[name][order]).buffers()[1],
                                                                    values.buffers()[1]]))
        else:
            nulls = absent.get(field.type)
            if nulls is None:
                nulls = absent[field.type] = pa.nulls(len(order), field.type)
            columns.append(nulls)
    return pa.table(columns, schema=target)


def from_quotes(quotes: Sequence[Quote], lines: Sequence[int], codes: Sequence[str],
                plan_id: Callable[[Any], str]) -> pa.Table:
    """The rows of quotes the row path gave (``lines``: their line numbers)."""
    target = schema(codes)
    data: dict[str, list[Any]] = {f.name: [] for f in target}
    for quote, number in zip(quotes, lines, strict=True):
        fees: dict[str, Decimal] = {}
        for fee in quote.fees:
            fees[fee.code] = fees.get(fee.code, Decimal(0)) + fee.amount
        row = {"line": number, "order_id": quote.order_id, "market": quote.market, "currency": quote.currency,
               "amount": quote.amount, **{f"fee.{c}": v for c, v in fees.items()},
               "total_fees": quote.total_fees, "creator_commission": quote.creator_commission, "net": quote.net,
               "payout_date": quote.payout_date, "creator_payout_date": quote.creator_payout_date,
               "complete": not quote.gaps, "gaps": gaps_text(quote),
               "plan_id": plan_id(quote)}
        for name, values in data.items():
            values.append(row.get(name))
    return pa.table([pa.array(data[f.name], f.type) for f in target], schema=target)


def plans_table(plans: dict[str, bytes]) -> pa.Table:
    ids = sorted(plans)
    return pa.table([pa.array(ids), pa.array([plans[i].decode() for i in ids])], schema=PLANS_SCHEMA)
