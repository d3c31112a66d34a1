"""The batch's fast path writes, order by order, the statement line a full quote gives.

Orders like the benchmark's (TikTok US with the synthetic category rates of
tests/bench/bench-policy.toml), the Douyin and TikTok example files, and orders the
fast methods decline (refunds, caps, add-on fees) are each settled both ways.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shoppolicy import Engine, ShopPolicyError
from shoppolicy.batch import json_dumps, run_settle
from shoppolicy.fastpath import FastStatements
from shoppolicy.orders import structure_order
from shoppolicy.records import read_records
from shoppolicy.render import statement_line

ROOT = Path(__file__).resolve().parents[1]


try:
    import orjson

    ENCODERS: list[Callable[[Any], bytes]] = [json_dumps, orjson.dumps]
except ImportError:  # the fast path is checked with whichever encoder settle would use
    ENCODERS = [json_dumps]
encoders = pytest.mark.parametrize("dumps", ENCODERS, ids=["json", "orjson"][: len(ENCODERS)])
BENCH_POLICY = ROOT / "tests" / "bench" / "bench-policy.toml"
DOUYIN_OVERRIDE = ROOT / "examples" / "douyin" / "my-categories.toml"


def bench_like_orders(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Orders shaped like ../shared/bench/gen_orders.py's, around the 2024-11-01 change."""
    rnd = random.Random(seed)
    for i in range(n):
        placed = dt.date(2024, 9, 1) + dt.timedelta(days=rnd.randint(0, 120))
        plan = rnd.choice([None, "open", "targeted", "shop"])
        yield {"order_id": f"O{i:06d}", "market": "tiktok-us", "currency": "USD",
               "category": rnd.choice(["beauty", "home", "electronics", "apparel", "food", "toys"]),
               "amount": f"{rnd.randint(100, 50000) / 100:.2f}", "placed_at": placed.isoformat(),
               "delivered_at": (placed + dt.timedelta(days=rnd.randint(2, 9))).isoformat(),
               "seller_type": "cross_border_pop", "affiliate_plan": plan,
               "commission_rate": rnd.choice(["0.10", "0.15", "0.20"]) if plan else None}


def both_ways(engine: Engine, row: dict[str, Any], dumps: Callable[[Any], bytes]) -> tuple[object, object, bool]:
    """(full quote's line or error, fast path's line or error, whether the fast path took it)."""
    try:
        record = structure_order(row)
    except ShopPolicyError as exc:
        return str(exc), str(exc), False
    try:
        want: object = statement_line(engine.quote(record), dumps)
    except ShopPolicyError as exc:
        want = f"{type(exc).__name__}: {exc}"
    try:
        done = FastStatements(engine, dumps).line(record)
    except ShopPolicyError as exc:
        return want, f"{type(exc).__name__}: {exc}", True
    return want, want if done is None else done[0], done is not None


@encoders
def test_fast_path_takes_every_benchmark_order_and_writes_the_same_line(dumps: Callable[[Any], bytes]) -> None:
    engine = Engine(policy_files=[BENCH_POLICY])
    fast = FastStatements(engine, dumps)  # one writer, as in a batch: its templates are reused
    taken = 0
    for row in bench_like_orders(400):
        record = structure_order(row)
        done = fast.line(record)
        assert done is not None, row
        assert done[0] == statement_line(engine.quote(record), dumps)
        taken += 1
    assert taken == 400


@encoders
def test_orders_of_one_delivery_day_keep_their_own_seller_type_and_tier(dumps: Callable[[Any], bytes]) -> None:
    # One writer, as in a batch: what it and the plugin remember of a delivery day must
    # not carry one order's settlement period (TT-PAY-1/2) over to another's.
    engine = Engine(policy_files=[BENCH_POLICY])
    fast = FastStatements(engine, dumps)
    changes = [{}, {"seller_type": "local"}, {"settlement_tier": "short"}, {"settlement_tier": "normal"}] * 2
    paid = []
    for i, change in enumerate(changes):
        row = {**next(bench_like_orders(1, seed=3)), "order_id": f"S{i}", "delivered_at": "2024-10-31", **change}
        record = structure_order(row)
        want = statement_line(engine.quote(record), dumps)
        done = fast.line(record)
        assert done is not None and done[0] == want
        paid.append(json.loads(want)["payout_date"])
    # 2024-10-31 + 15 days on the normal tier (the default); the others have no published period
    assert paid == ["2024-11-15", None, None, "2024-11-15"] * 2


@pytest.mark.parametrize("change", [
    {"refunded": "10.00"},                                 # the referral fee returns the refunded share
    {"buyer_shipping": "5.00", "platform_discount": "2.00"},  # passthrough shown beside net
    {"delivered_at": None},                                # no payout date yet: pending
    {"seller_type": "local"},                              # no published settlement period: a gap
    {"affiliate_plan": "secret", "commission_rate": "0.1"},  # refused by the commission rule
    {"placed_at": "2023-10-01T00:00:00"},                  # before the 8% rate: another plan
    {"placed_at": "2024-10-31T23:30:00-07:00"},            # an offset: localised first
    {"order_id": 'say "hi" \\ back'},                      # order ids the encoder must escape
    {"order_id": "订单-0001"}, {"order_id": "订单0001"}, {"order_id": "tab\there\u007f"},
])
@encoders
def test_fast_path_agrees_with_a_full_quote_off_the_plain_case(change: dict[str, Any],
                                                               dumps: Callable[[Any], bytes]) -> None:
    engine = Engine(policy_files=[BENCH_POLICY])
    for row in bench_like_orders(40, seed=11):
        row.update(change)
        want, got, _ = both_ways(engine, row, dumps)
        assert got == want


def test_refunded_orders_are_left_to_the_full_quote() -> None:
    engine = Engine(policy_files=[BENCH_POLICY])
    row = next(bench_like_orders(1))
    row["refunded"] = "1.00"
    assert FastStatements(engine, json_dumps).line(structure_order(row)) is None


@pytest.mark.parametrize("path", ["examples/orders.jsonl", "examples/douyin/orders.jsonl",
                                  "examples/tiktok/orders.jsonl", "examples/tiktok-fees.jsonl",
                                  "examples/tiktok/us-settlement.jsonl"])
@encoders
def test_example_files_settle_the_same_both_ways(path: str, dumps: Callable[[Any], bytes]) -> None:
    engine = Engine(policy_files=[DOUYIN_OVERRIDE])
    rows = [row for _, row in read_records(ROOT / path) if isinstance(row, dict)]
    assert rows
    taken = 0
    for row in rows:
        want, got, took = both_ways(engine, row, dumps)
        assert got == want, row.get("order_id")
        taken += took
    assert taken  # the fast path is exercised, not bypassed


def test_settle_writes_identical_statements_with_the_fast_path_off(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "orders.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in bench_like_orders(300)) +
                   (ROOT / "examples" / "orders.jsonl").read_text())
    engine = Engine(policy_files=[BENCH_POLICY, DOUYIN_OVERRIDE])
    outputs = []
    for off in ("", "1"):
        monkeypatch.setenv("SHOPPOLICY_NO_FAST_PATH", off)
        out, summary = tmp_path / f"out{off}.jsonl", tmp_path / f"sum{off}.json"
        run_settle(engine, str(src), out=str(out), summary_file=str(summary), progress=False, jobs=1)
        outputs.append((out.read_bytes(), summary.read_text()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0].count(b"\n") >= 300


def test_a_subclass_overriding_apply_does_not_inherit_fast() -> None:
    """A subclass that changes ``apply`` but not ``fast`` would price orders two ways."""
    from shoppolicy.engine import _fast_is_own

    class Base:
        def apply(self, order: object) -> tuple[()]:
            return ()

        def fast(self, order: object) -> None:
            return None

    class NewApply(Base):
        def apply(self, order: object) -> tuple[()]:
            return ()

    class NewBoth(NewApply):
        def fast(self, order: object) -> None:
            return None

    class NewFastOnly(Base):
        def fast(self, order: object) -> None:
            return None

    assert [_fast_is_own(c()) for c in (Base, NewApply, NewBoth, NewFastOnly)] == [True, False, True, True]


def test_a_rejected_row_with_an_empty_order_id_reports_none() -> None:
    from shoppolicy import InputError
    from shoppolicy.settle import rejected

    assert rejected(4, {"order_id": "", "amount": "x"}, InputError("bad", field="amount")).order_id is None


def test_payout_dates_the_fast_path_remembers_stay_right_and_bounded() -> None:
    fast = FastStatements(Engine(policy_files=[BENCH_POLICY]), json_dumps)
    start = dt.date(2000, 1, 1)
    for day in range(5000):  # more payout dates than are kept
        paid = start + dt.timedelta(days=day)
        assert (fast._dates.get(paid) or fast._date_json(paid)) == f'"{paid.isoformat()}"'
        assert len(fast._dates) <= 4097 and fast._dates[None] == "null"
