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
from collections.abc import Callable, Iterable, Sequence
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
PLANS_SCHEMA = pa.schema([("plan_id", pa.string()), ("trail", pa.string())])


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


def gaps_text(quote: Quote) -> str:
    return " | ".join(f"{g.figure}: {g.rule} {g.key}" for g in quote.gaps)


def _scaled(values: np.ndarray, places: int) -> pa.Array:
    exact = rescale(values, places, PLACES)
    assert exact is not None
    return decimals(exact, PLACES)


def from_shapes(shapes: Iterable[Shape], frame: Frame, lines: np.ndarray, codes: Sequence[str],
                plan_id: Callable[[Any], str]) -> pa.Table:
    """The rows of the columnar path's shapes; ``lines``: each frame row's line number."""
    target = schema(codes)
    tables = []
    for shape in shapes:
        quote, values, n = shape.quote, shape.values, len(shape.rows)
        columns: dict[str, pa.Array] = {
            "line": pa.array(lines[shape.rows]), "order_id": frame.text["order_id"].take(pa.array(shape.rows)),
            "market": pa.array([quote.market] * n, pa.string()), "currency": pa.array([quote.currency] * n),
            "amount": _scaled(values[("amount",)], shape.places)}
        for j, fee in enumerate(quote.fees):
            amount = values[("fee_amount", j)]
            name = f"fee.{fee.code}"
            columns[name] = _scaled(amount, shape.places)
        total = values[("total",)] if quote.total_fees is not None else None
        columns["total_fees"] = _scaled(total, shape.places) if total is not None else pa.nulls(n, MONEY)
        commission = values.get(("commission",))
        columns["creator_commission"] = _scaled(commission if commission is not None
                                                else np.zeros(n, dtype=np.int64), shape.places)
        columns["net"] = _scaled(values[("net",)], shape.places) if quote.net is not None else pa.nulls(n, MONEY)
        for name, hole in (("payout_date", ("payout",)), ("creator_payout_date", ("creator_payout",))):
            found = values.get(hole)
            columns[name] = pa.array(found, pa.date32()) if found is not None else pa.nulls(n, pa.date32())
        columns["complete"] = pa.array([not quote.gaps] * n, pa.bool_())
        columns["gaps"] = pa.array([gaps_text(quote)] * n, pa.string())
        columns["plan_id"] = pa.array([plan_id(quote.trail)] * n, pa.string())
        tables.append(pa.table([columns.get(f.name, pa.nulls(n, f.type)) for f in target], schema=target))
    return pa.concat_tables(tables) if tables else target.empty_table()


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
               "plan_id": plan_id(quote.trail)}
        for name, values in data.items():
            values.append(row.get(name))
    return pa.table([pa.array(data[f.name], f.type) for f in target], schema=target)


def plans_table(plans: dict[str, bytes]) -> pa.Table:
    ids = sorted(plans)
    return pa.table([pa.array(ids), pa.array([plans[i].decode() for i in ids])], schema=PLANS_SCHEMA)
