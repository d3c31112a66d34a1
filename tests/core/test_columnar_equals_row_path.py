"""``settle``'s columnar path (:mod:`shoppolicy.columnar`) against the row path: for
batches of orders over every concrete market, the statement (full trail and
``--trail ref`` with its plans file), the summary, the rejects and the exit code are
byte for byte the row path's (``SHOPPOLICY_NO_ARROW=1``), and a Parquet statement holds
the row path's figures.

Each property of issue 18's acceptance has its test: ties at half a minor unit, caps,
zero amounts, full refunds, IDR and VND (no minor unit), orders across a policy date
switch, every market.  None is vacuous: each calls the columnar path's own pieces
(:func:`~shoppolicy.columnar.frame.read_json_chunk`, ``plain_rows``, ``price_frame``)
on the same bytes and checks that it priced the rows the property is about, with no
shape whose line differed from the row path's (``mismatched``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import math
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
np = pytest.importorskip("numpy")

from shoppolicy import Engine, batch, render  # noqa: E402
from shoppolicy.batch import run_settle  # noqa: E402
from shoppolicy.blocks.commission import CreatorCommission  # noqa: E402
from shoppolicy.blocks.fees import GapSpec, PercentFee, RateChoice  # noqa: E402
from shoppolicy.blocks.payouts import PayoutDays  # noqa: E402
from shoppolicy.columnar.frame import plain_rows, read_json_chunk  # noqa: E402
from shoppolicy.columnar.shapes import Known, price_frame  # noqa: E402
from shoppolicy.money import MINOR_UNITS  # noqa: E402
from shoppolicy.orders import structure_order  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = sorted(str(p) for p in (ROOT / "examples" / "overrides").glob("*.toml"))
FIRST_SLICE = dt.datetime(2000, 1, 1)

SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=12, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# --- the engines and what their policy data knows ------------------------------------------


@functools.cache
def engine(filled: bool) -> Engine:
    """The installed markets as shipped, or with the example overrides (rates where the
    shipped data has gaps: more orders complete, Indonesia's capped Dynamic Commission)."""
    return Engine(policy_files=OVERRIDES) if filled else Engine()


@dataclass(frozen=True)
class Vocab:
    """What one market's blocks choose by, over every policy time slice."""

    market: str
    currency: str
    places: int
    basis: str
    boundaries: tuple[dt.datetime, ...]
    categories: tuple[str, ...]
    store_types: tuple[str, ...]
    seller_types: tuple[str, ...]
    plans: tuple[str, ...]
    tiers: tuple[str, ...]
    rates: tuple[Decimal, ...]  # every rate a fee may apply (for amounts that tie)
    caps: tuple[Decimal, ...]  # per-unit caps


def _choices(table: Any) -> list[RateChoice]:
    found = [*table.rates.values(), *table.seller_rates.values(),
             *(c for _, c in table.flag_rates if isinstance(c, RateChoice))]
    if table.default is not None:
        found.append(table.default)
    return found


def _specs(table: Any) -> list[GapSpec]:
    found = [table.flat_gap, *table.key_gaps.values(), *(c for _, c in table.flag_rates if isinstance(c, GapSpec))]
    if table.per_key_gap is not None:
        found.append(table.per_key_gap)
    return found


@functools.cache
def vocab(filled: bool, market_id: str) -> Vocab:
    eng = engine(filled)
    market = eng.market(market_id)
    boundaries = tuple(eng.policy(market_id).boundaries)
    categories: set[str] = set()
    store_types: set[str] = set()
    seller_types: set[str] = set()
    plans: set[str] = set()
    tiers: set[str] = set()
    rates: set[Decimal] = set()
    caps: set[Decimal] = set()
    for at in (FIRST_SLICE, *boundaries):
        for charge in eng.plan("fee", market, at):
            payers = getattr(charge, "payers", None)
            if payers is not None:
                store_types |= set(payers.store_types or ())
                seller_types |= set(payers.seller_types or ())
            if isinstance(charge, CreatorCommission):
                plans |= charge.plans
            if not isinstance(charge, PercentFee):
                continue
            caps |= {c for c in (charge.cap_per_unit, *(charge.range_caps or ())) if c is not None}
            table = charge.table
            if table is None:
                continue
            store_types |= set(table.store_types or ())
            seller_types |= set(table.seller_rates)
            rates |= {c.rate for c in _choices(table)}
            rates |= {r for s in _specs(table) for r in (s.low, s.high) if r is not None}
            for key in [*table.rates, *table.key_gaps, *table.refused]:
                parts = key.split(".")
                if len(parts) != len(table.keyed_by):
                    continue
                for name, value in zip(table.keyed_by, parts, strict=True):
                    {"category": categories, "store_type": store_types,
                     "seller_type": seller_types}.get(name, set()).add(value)
        for rule in eng.plan("payout", market, at):
            if isinstance(rule, PayoutDays):
                tiers |= set(rule.choices.get("settlement_tier", ()))
                for key in rule.periods:
                    seller_types |= {v for f, v in zip(rule.keyed_by, key, strict=True) if f == "seller_type"}
    return Vocab(market_id, market.currency, MINOR_UNITS[market.currency], market.payout_basis, boundaries,
                 tuple(sorted(categories)), tuple(sorted(store_types)), tuple(sorted(seller_types)),
                 tuple(sorted(plans)), tuple(sorted(tiers)), tuple(sorted(rates)), tuple(sorted(caps)))


def markets(filled: bool = False) -> list[str]:
    return [m.id for m in engine(filled).markets() if not m.abstract]


MARKETS = markets()


def fraction(rate: Decimal) -> tuple[int, int]:
    """``rate`` as ``(n, 10**k)``."""
    sign, digits, exponent = rate.as_tuple()
    assert isinstance(exponent, int)
    number = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    return (number * 10 ** exponent, 1) if exponent >= 0 else (number, 10 ** -exponent)


@functools.cache
def tie(rate: Decimal) -> tuple[int, int] | None:
    """``(first, period)``: the bases in minor units whose product with ``rate`` ends in
    exactly half a minor unit are ``first + j × period``; None when there are none."""
    n, scale = fraction(rate)
    if scale == 1 or scale % 2 or scale > 10 ** 7 or n <= 0:
        return None
    period = scale // math.gcd(n, scale)
    for a in range(1, period + 1):
        if a * n % scale == scale // 2:
            return a, period
    return None


COMMISSION_RATES = ("0", "0.05", "0.1", "0.125", "0.15", "0.2", "0.075", "0.333", "1", "0.0005", "0.5")
LONG_RATE = "0.123456789012"


# --- orders -----------------------------------------------------------------------------------


def money_text(minor: int, places: int) -> str:
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10 ** places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def offbeat(text: str, places: int, variant: int, numbers: bool) -> Any:
    """Money the row path accepts (or refuses) but whose text is not the canonical one."""
    if variant == 0 and places and text.endswith("0"):
        return text.rstrip("0").rstrip(".")  # 12.5, 12
    if variant == 1:
        return "0" + text  # 012.50
    if variant == 2 and numbers and Decimal(text) == int(Decimal(text)):
        return int(Decimal(text))  # a JSON number (Arrow refuses the chunk: all of it is the row path's)
    if variant == 3:
        return text + ("0" if places else ".0")  # one place too many: refused
    return text


@dataclass
class Knobs:
    """How an order is drawn (percentages)."""

    amount: str = "any"  # any (of the others), small, medium, large, huge, zero, tie, cap
    offbeat: int = 8  # money text not canonical
    numbers: bool = False  # JSON numbers and string flags (a chunk Arrow refuses)
    refund: int = 5  # a refund (full or partial)
    full_refund: int = 50  # of refunds: the whole customer payment
    components: int = 25
    near_boundary: int = 50
    basis: int = 75
    offset: int = 5  # a time with an offset (+07:00, Z)
    commission: int = 35
    flags: int = 12
    bad: int = 3  # a value the row path refuses
    quantity: int = 25
    since: dt.datetime = dt.datetime(2022, 6, 1)  # placements from (boundaries aside)
    negative_payment: bool = True  # a platform discount above the rest of the payment (refused alike)
    odd_ids: int = 0  # an order_id JSON escapes (a quote, a backslash, a tab) or beyond ASCII
    #: amounts up to 10^12 and a commission rate of 12 places, whose products pass int64:
    #: the columnar path leaves those (and the orders priced with them) to the row path
    extreme: bool = False


LAST_PLACED = dt.datetime(2027, 6, 1)


def _pct(draw: Callable[..., Any], p: int) -> bool:
    """True ``p`` times in 100 (shrinking towards False: the plain order)."""
    return p > 0 and draw(st.integers(0, 99)) >= 100 - p


@st.composite
def order(draw: Callable[..., Any], v: Vocab, knobs: Knobs) -> dict[str, Any]:
    places = v.places
    row: dict[str, Any] = {"market": v.market, "currency": v.currency}
    if _pct(draw, knobs.bad):
        row["currency"] = draw(st.sampled_from(["USD", "IDR", "VND", "XXX", ""]))
    # placement: near a boundary of the market's policy, or anywhere
    if v.boundaries and _pct(draw, knobs.near_boundary):
        edge = draw(st.sampled_from(v.boundaries))
        placed = edge + dt.timedelta(seconds=draw(st.sampled_from([-86400, -3600, -1, 0, 0, 1, 3600, 86399])))
    else:
        span = int((LAST_PLACED - knobs.since).total_seconds())
        placed = knobs.since + dt.timedelta(seconds=draw(st.integers(0, span)) // 60 * 60)
    row["placed_at"] = _moment_text(draw, placed, knobs)
    if _pct(draw, knobs.bad):
        row["placed_at"] = draw(st.sampled_from(["2023-02-29T10:00:00", "2100-01-01", "1999-12-31T23:59:59",
                                                 "2024-02-29", "2099-12-31T23:59:59", "2000-01-01"]))
    if _pct(draw, knobs.basis):
        later = placed + dt.timedelta(days=draw(st.integers(0, 45)), hours=draw(st.integers(0, 23)))
        if _pct(draw, knobs.bad):
            later = placed - dt.timedelta(days=2)  # before the placement: refused
        row[v.basis] = _moment_text(draw, later, knobs)
        if _pct(draw, 15):  # the other basis too (read, not used)
            row["completed_at" if v.basis == "delivered_at" else "delivered_at"] = _moment_text(draw, later, knobs)
    # what the blocks choose by
    if v.categories or _pct(draw, 50):
        row["category"] = draw(st.sampled_from([*v.categories, "no_such_category", None]))
    if v.store_types:
        row["store_type"] = draw(st.sampled_from([*v.store_types, None] + (["kiosk"] if _pct(draw, knobs.bad) else [])))
    if v.seller_types or _pct(draw, 20):
        row["seller_type"] = draw(st.sampled_from([*v.seller_types, "local", None]))
    if v.tiers and _pct(draw, 50):
        row["settlement_tier"] = draw(st.sampled_from([*v.tiers, *(["weekly"] if _pct(draw, knobs.bad) else [])]))
    if v.plans and _pct(draw, knobs.commission):
        row["affiliate_plan"] = draw(st.sampled_from([*v.plans, *(["mystery"] if _pct(draw, knobs.bad) else [])]))
        if not _pct(draw, knobs.bad):
            row["commission_rate"] = draw(st.sampled_from([*COMMISSION_RATES, *([LONG_RATE] if knobs.extreme else [])]))
    for flag in ("pre_order", "new_shop", "creator_sample", "cancelled_before_shipping", "tax_registered_org"):
        if _pct(draw, knobs.flags):
            row[flag] = True
        elif _pct(draw, 3):
            row[flag] = False
    if _pct(draw, knobs.quantity):
        row["quantity"] = draw(st.sampled_from([1, 2, 3, 7, 1000, 1_000_000]))
        if _pct(draw, knobs.bad):
            row["quantity"] = draw(st.sampled_from([0, -1, 1_000_001]))
    if knobs.numbers and _pct(draw, 3):
        row["pre_order"] = "true"  # a flag as text: the row path reads it, Arrow refuses the chunk
    # money
    minor = _amount(draw, v, knobs, row.get("quantity", 1))
    if _pct(draw, knobs.bad):
        minor = -minor
    components = {}
    if _pct(draw, knobs.components) and knobs.amount not in ("tie",):
        for name in ("buyer_shipping", "platform_discount", "tax"):
            if _pct(draw, 60):
                components[name] = draw(st.sampled_from([0, 1, 5, 99, 10 ** places, 1234 * 10 ** places]))
    paid = minor - components.get("platform_discount", 0) + components.get("buyer_shipping", 0) \
        + components.get("tax", 0)
    if paid < 0 and "platform_discount" in components and not knobs.negative_payment:
        paid += components.pop("platform_discount")  # see test_a_discount_above_the_payment_is_refused_alike
    texts = {"amount": money_text(minor, places),
             **{k: money_text(c, places) for k, c in components.items()}}
    if _pct(draw, knobs.refund):
        refunded = paid if _pct(draw, knobs.full_refund) or paid <= 0 else draw(st.integers(0, paid))
        texts["refunded"] = money_text(refunded, places)
        if "platform_discount" in components and _pct(draw, 30):
            texts["platform_discount_refunded"] = money_text(components["platform_discount"], places)
    for name, text in texts.items():
        if _pct(draw, knobs.offbeat):
            row[name] = offbeat(text, places, draw(st.integers(0, 3)), knobs.numbers)
        else:
            row[name] = text
    if _pct(draw, 10):  # "" is "not given", on both paths
        row[draw(st.sampled_from(["category", "shop_id", "tax", "store_type"]))] = ""
    if _pct(draw, 30):
        row["shop_id"] = draw(st.sampled_from(["S1", "店铺-2"]))
    return {k: x for k, x in row.items() if x is not None}


def _moment_text(draw: Callable[..., Any], when: dt.datetime, knobs: Knobs) -> str:
    kind = 99 - draw(st.integers(0, 99))  # shrinking towards a plain date-time
    if kind < knobs.offset:
        return when.isoformat() + draw(st.sampled_from(["+07:00", "Z", "+00:00", "-05:00"]))
    if kind < 35 and when.time() == dt.time(0):
        return when.date().isoformat()
    if kind < 20:
        return when.date().isoformat()  # a date alone: midnight, maybe the other side of the boundary
    return when.isoformat(timespec="seconds")


def _amount(draw: Callable[..., Any], v: Vocab, knobs: Knobs, quantity: int) -> int:
    places = v.places
    kind = knobs.amount
    if kind == "any":
        kind = draw(st.sampled_from(["small", "small", "medium", "medium", "large", "zero", "tie", "cap",
                                     *(["huge"] if knobs.extreme else [])]))
    if kind == "zero":
        return 0
    if kind == "tie":
        found = [t for r in v.rates if (t := tie(r)) is not None]
        rate = draw(st.sampled_from(COMMISSION_RATES[1:]))  # a commission that ties, else a fee
        choices = found + [t for t in [tie(Decimal(rate))] if t is not None]
        if choices:
            first, period = draw(st.sampled_from(choices))
            return first + period * draw(st.integers(0, 2000))
        kind = "medium"
    if kind == "cap" and v.caps:
        # cap × quantity × 10..500: past the cap at any rate from 1/10, below at none under 1/500
        cap = draw(st.sampled_from(v.caps))
        return int(cap * 10 ** places) * quantity * draw(st.integers(10, 500)) + draw(st.integers(0, 10 ** places))
    if kind == "small":
        return draw(st.integers(0, 100 * 10 ** places))
    if kind == "large":
        return draw(st.integers(10 ** (6 + places), 10 ** (11 + places)))
    if kind == "huge":  # up to the largest amount an order may hold (products past int64: the row path's)
        return draw(st.integers(10 ** (11 + places), 10 ** (12 + places)))
    return draw(st.integers(0, 10 ** (4 + places)))


CHOICES = ("category", "store_type", "seller_type", "settlement_tier", "affiliate_plan", "commission_rate",
           "pre_order", "new_shop", "creator_sample", "cancelled_before_shipping", "tax_registered_org")


@st.composite
def batch_of(draw: Callable[..., Any], markets_: Iterable[str], knobs: Knobs, filled: bool = False,
             size: tuple[int, int] = (1, 8)) -> list[dict[str, Any]]:
    """Orders of each market, in random order.  Most share the fields a block chooses by
    with a few others (a *profile*): the columnar path prices one combination of them
    with one representative, so its vectors are tested on the rest."""
    rows: list[dict[str, Any]] = []
    for market_id in markets_:
        v = vocab(filled, market_id)
        profiles = draw(st.lists(order(v, knobs), min_size=1, max_size=2))
        for row in draw(st.lists(order(v, knobs), min_size=size[0], max_size=size[1])):
            if not _pct(draw, 20):
                profile = draw(st.sampled_from(profiles))
                row = {**{k: x for k, x in row.items() if k not in CHOICES},
                       **{k: profile[k] for k in CHOICES if k in profile}}
                if not _pct(draw, 30):  # placed (and paid) about when the profile's order was
                    _about(draw, row, profile, v.basis)
            rows.append(row)
    order_ = draw(st.permutations(range(len(rows))))
    out = []
    for i, k in enumerate(order_):
        order_id = f"{rows[k]['market'][:9]}-{i}"
        if _pct(draw, knobs.odd_ids):
            order_id += draw(st.sampled_from(ODD_ID_ENDS))
        out.append({"order_id": order_id, **rows[k]})
    return out


ODD_ID_ENDS = ["-店铺é", '-"quoted"', "-back\\slash", "-tab\there", "-\u2028", "-😀", "-\x7f", " "]


def _about(draw: Callable[..., Any], row: dict[str, Any], profile: dict[str, Any], basis: str) -> None:
    """Make ``row`` like ``profile`` but for its amount: placed within hours of it, its
    payout basis (if the profile has one) within days, the same price components and
    quantity (so most such rows share a shape)."""
    try:
        placed = dt.datetime.fromisoformat(profile["placed_at"])
    except ValueError:
        return
    placed += dt.timedelta(minutes=draw(st.integers(0, 600)))
    row["placed_at"] = placed.isoformat()
    for name in (basis, "buyer_shipping", "platform_discount", "tax", "refunded", "platform_discount_refunded",
                 "quantity"):
        row.pop(name, None)
    if basis in profile:
        row[basis] = (placed + dt.timedelta(days=draw(st.integers(0, 12)))).isoformat()
    if "quantity" in profile:
        row["quantity"] = profile["quantity"]
    if isinstance(row["amount"], str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?", row["amount"]):
        places = MINOR_UNITS.get(row["currency"], 2)
        paid = int(Decimal(row["amount"]).scaleb(places))
        for name in ("buyer_shipping", "tax", "platform_discount"):
            value = profile.get(name)
            if isinstance(value, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
                minor = int(Decimal(value).scaleb(places))
                if name != "platform_discount" or minor <= paid:
                    row[name] = money_text(minor, places)
                    paid += -minor if name == "platform_discount" else minor


def jsonl(rows: list[dict[str, Any]], escaped: bool = False) -> bytes:
    """JSON Lines; ``escaped``: every text beyond ASCII written as a JSON escape."""
    return "".join(json.dumps(r, ensure_ascii=escaped) + "\n" for r in rows).encode()


# --- both paths ------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    files: dict[str, bytes | None]


#: The sizes of the chunks ``settle`` reads (patched smaller: many chunks, each a table).
CHUNK_SIZES = [name for name in dir(batch) if name.endswith("CHUNK_BYTES")]


def settle(eng: Engine, src: Path, folder: Path, *, row_path: bool, trail: str = "full",
           out: str = "statement.jsonl", chunk: int | None = None) -> Run:
    folder.mkdir()
    target = folder / out
    with pytest.MonkeyPatch.context() as mp:
        # run_settle freezes the heap after a full collection: a test process's heap
        # makes that most of a small batch's time, and it changes no output.
        mp.setattr(batch, "_gc_frozen", contextlib.nullcontext)
        if chunk is not None:
            for name in CHUNK_SIZES:
                mp.setattr(batch, name, chunk)
        if row_path:
            mp.setenv("SHOPPOLICY_NO_ARROW", "1")
        else:
            mp.delenv("SHOPPOLICY_NO_ARROW", raising=False)
        code = run_settle(eng, str(src), out=str(target), rejects=str(folder / "rejects.jsonl"),
                          summary_file=str(folder / "summary.json"), trail=trail, progress=False)
    plans = Path(batch.plans_path(str(target), batch.statement_format(str(target), None)))
    return Run(code, {"statement": target.read_bytes(), "summary": (folder / "summary.json").read_bytes(),
                      "rejects": (folder / "rejects.jsonl").read_bytes(),
                      "plans": plans.read_bytes() if plans.exists() else None})


def first_difference(a: bytes | None, b: bytes | None) -> str:
    if a is None or b is None:
        return f"columnar {a!r}\nrow path {b!r}"
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False)):
        if x != y:
            return f"line {i + 1}:\ncolumnar {x.decode()}\nrow path {y.decode()}"
    return f"lines: columnar {len(a.splitlines())}, row path {len(b.splitlines())}"


def same_as_row_path(eng: Engine, rows: list[dict[str, Any]], trails: tuple[str, ...] = ("full", "ref"), *,
                     chunk: int | None = None, escaped: bool = False) -> bytes:
    """Settle ``rows`` both ways (per trail; in chunks of about ``chunk`` bytes) and
    assert every output is the same; return the input."""
    data = jsonl(rows, escaped)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = folder / "orders.jsonl"
        src.write_bytes(data)
        for trail in trails:
            columnar = settle(eng, src, folder / f"columnar-{trail}", row_path=False, trail=trail, chunk=chunk)
            row = settle(eng, src, folder / f"row-{trail}", row_path=True, trail=trail, chunk=chunk)
            for name in columnar.files:
                assert columnar.files[name] == row.files[name], \
                    f"--trail {trail}: {name} differs\n{first_difference(columnar.files[name], row.files[name])}"
            assert columnar.code == row.code
    return data


@dataclass
class Taken:
    """What the columnar path itself prices of a batch (one chunk)."""

    rows: list[dict[str, Any]]
    taken: set[int]  # row numbers (0-based) the columnar path priced
    priced: Any
    quotes: dict[int, Any] = field(default_factory=dict)  # row path quotes of the taken rows

    def markets(self) -> set[str]:
        return {self.rows[i]["market"] for i in self.taken}


def columnar_taken(eng: Engine, rows: list[dict[str, Any]], data: bytes) -> Taken:
    """Run the columnar path's own pieces on ``data`` (one chunk): the rows it prices."""
    table = read_json_chunk(data)
    assert table is not None, "Arrow refused the batch: nothing for the columnar path"
    frame = plain_rows(table, {m.id: m.currency for m in eng.markets() if not m.abstract and m.currency})
    priced = price_frame(eng, frame, functools.partial(render.statement_line, dumps=batch._dumps), Known())
    assert priced.mismatched == 0, "a shape's line differed from the row path's"
    taken = {int(i) for part in priced.rows for i in frame.rows[part]}
    return Taken(rows, taken, priced, {i: eng.quote(rows[i]) for i in taken})


def plain(row: dict[str, Any], places: int) -> bool:
    """Whether the generator made ``row`` in the form the columnar path takes (whatever
    the row path then says of it): canonical money, no refund, times without an offset."""
    pattern = r"(0|[1-9][0-9]{0,11})" + (rf"\.[0-9]{{{places}}}" if places else "")
    if not isinstance(row.get("amount"), str) or not re.fullmatch(pattern, row["amount"]):
        return False
    for name in ("buyer_shipping", "platform_discount", "tax"):
        value = row.get(name)
        if value not in (None, "") and (not isinstance(value, str) or not re.fullmatch(pattern, value)):
            return False
    zero = money_text(0, places)
    if any(row.get(k) not in (None, "", zero) for k in ("refunded", "platform_discount_refunded")):
        return False
    moments = [row.get(k) for k in ("placed_at", "delivered_at", "completed_at")]
    return all(m is None or ("+" not in m and not m.endswith("Z") and m.count("-") == 2) for m in moments)


def accepted(eng: Engine, row: dict[str, Any]) -> bool:
    try:
        eng.quote(row)
    except Exception:
        return False
    return True


def plain_accepted(eng: Engine, rows: list[dict[str, Any]]) -> set[int]:
    return {i for i, r in enumerate(rows)
            if r.get("currency") in MINOR_UNITS and plain(r, MINOR_UNITS[r["currency"]]) and accepted(eng, r)}


# --- the properties -----------------------------------------------------------------------------


@SETTINGS
@pytest.mark.parametrize("filled", [False, True], ids=["shipped", "with-overrides"])
@given(data=st.data())
def test_every_market(filled: bool, data: st.DataObject) -> None:
    """Every concrete market, every order field a block chooses by: the same statement,
    summary, rejects and exit code, full trail and ``--trail ref`` (plans file too); the
    columnar path prices orders of every market."""
    eng = engine(filled)
    shipped = {"douyin", *(f"tiktok-{c}" for c in ("us", "uk", "id", "my", "th", "vn", "ph", "sg"))}
    assert shipped <= set(markets(filled))
    rows = data.draw(batch_of(markets(filled), Knobs(), filled, size=(3, 8)))
    raw = same_as_row_path(eng, rows)
    taken = columnar_taken(eng, rows, raw)
    wanted = plain_accepted(eng, rows)
    for market_id in markets(filled):
        mine = {i for i in wanted if rows[i]["market"] == market_id}
        if mine:
            assert mine & taken.taken, f"{market_id}: none of its plain orders priced by the columnar path"
    assert len(taken.taken & wanted) >= 0.8 * len(wanted), (len(taken.taken & wanted), len(wanted))


def with_ties(eng: Engine, rows: list[dict[str, Any]], draw: Callable[..., Any],
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``rows`` with each amount moved to one whose fee at the order's own rate (or whose
    creator commission) is exactly half a minor unit, where its rates allow one; and the
    rows so moved."""
    out = []
    moved = []
    for row in rows:
        try:
            quote = eng.quote(row)
        except Exception:
            out.append(row)
            continue
        rates = [f.rate for f in quote.fees if f.rate is not None and f.base == quote.amount]
        if quote.creator is not None:
            rates.append(quote.creator.rate)
        found = [t for r in rates if (t := tie(r)) is not None]
        if found:
            first, period = draw(st.sampled_from(found))
            row = {**row, "amount": money_text(first + period * draw(st.integers(0, 500)), MINOR_UNITS[quote.currency])}
            moved.append(row)
        out.append(row)
    return out, moved


@SETTINGS
@given(data=st.data())
def test_ties_at_half_a_minor_unit(data: st.DataObject) -> None:
    """Amounts whose fee (or commission) at the order's own rate is exactly half a minor
    unit: rounded half away from zero on both paths."""
    eng = engine(True)
    drawn = data.draw(batch_of(MARKETS, Knobs(amount="tie", refund=0, offbeat=0, bad=0, components=0, offset=0),
                               True, size=(2, 5)))
    rows, moved = with_ties(eng, drawn, data.draw)
    raw = same_as_row_path(eng, rows, trails=("full",))
    taken = columnar_taken(eng, rows, raw)
    priced_share(eng, rows, taken, lambda row, q: row in moved and _ties(q))  # none: no rate published


def _ties(q: Any) -> bool:
    return any(_is_tie(f.base, f.rate, q.currency) for f in q.fees) or (
        q.creator is not None and _is_tie(q.amount, q.creator.rate, q.currency))


def _is_tie(base: Decimal | None, rate: Decimal | None, currency: str) -> bool:
    if base is None or rate is None:
        return False
    exact = base * rate * 10 ** MINOR_UNITS[currency]
    return exact - exact.to_integral_value(rounding="ROUND_FLOOR") == Decimal("0.5")


def priced_share(eng: Engine, rows: list[dict[str, Any]], taken: Taken,
                 about: Callable[[dict[str, Any], Any], bool]) -> set[int]:
    """The plain orders the row path accepts that ``about(row, quote)`` picks (the
    property under test; a batch without one is not an example), and of them those the
    columnar path priced: at least one, and most."""
    subject = {i for i in plain_accepted(eng, rows) if about(rows[i], eng.quote(rows[i]))}
    assume(subject)
    priced = subject & taken.taken
    assert priced and 2 * len(priced) >= len(subject), (
        f"the columnar path priced {len(priced)} of {len(subject)}; left: {[rows[i] for i in subject - priced]}")
    return priced


CAPPED_MARKETS = [m for m in markets(True) if vocab(True, m).caps]


@SETTINGS
@given(data=st.data())
def test_caps(data: st.DataObject) -> None:
    """Per-unit caps (Thailand's Commerce Growth Fee, Indonesia's Dynamic Commission),
    often on several units: capped on both paths alike."""
    eng = engine(True)
    assert {"tiktok-th", "tiktok-id"} <= set(CAPPED_MARKETS)
    rows = data.draw(batch_of(CAPPED_MARKETS, Knobs(amount="cap", quantity=70, refund=3, bad=0, near_boundary=20,
                                                          since=dt.datetime(2025, 6, 1)),
                              True, size=(4, 10)))
    raw = same_as_row_path(eng, rows, trails=("full",))
    taken = columnar_taken(eng, rows, raw)
    priced = priced_share(eng, rows, taken, lambda row, q: any(f.note and "capped at" in f.note for f in q.fees))
    assert {rows[i]["market"] for i in priced} <= {"tiktok-th", "tiktok-id"}


@SETTINGS
@given(data=st.data())
def test_zero_amounts(data: st.DataObject) -> None:
    """Orders of amount zero (with and without price components) in every market."""
    eng = engine(False)
    rows = data.draw(batch_of(MARKETS, Knobs(amount="zero", offbeat=10, bad=0), size=(1, 4)))
    raw = same_as_row_path(eng, rows, trails=("full",))
    taken = columnar_taken(eng, rows, raw)
    priced = priced_share(eng, rows, taken, lambda row, q: q.amount == 0)
    assert {rows[i]["market"] for i in priced} == set(MARKETS) or len(priced) >= 3


@SETTINGS
@given(data=st.data())
def test_full_refunds(data: st.DataObject) -> None:
    """Full refunds (refunded = what the buyer paid) and partial ones, beside plain
    orders: the refunds are the row path's, each in its place in the statement, the
    others the columnar path's."""
    eng = engine(True)
    rows = data.draw(batch_of(MARKETS, Knobs(refund=50, full_refund=70, components=40, bad=0), True,
                              size=(2, 6)))
    raw = same_as_row_path(eng, rows, trails=("full", "ref"))
    taken = columnar_taken(eng, rows, raw)
    full = [i for i, r in enumerate(rows) if "refunded" in r and accepted(eng, r)
            and 0 < structure_order(r).refunded == structure_order(r).customer_payment]
    assume(full)
    assert not any(Decimal(str(rows[i].get("refunded", 0))) for i in taken.taken)
    priced_share(eng, rows, taken, lambda row, q: True)


@SETTINGS
@given(data=st.data())
def test_idr_and_vnd_without_minor_unit(data: st.DataObject) -> None:
    """Rupiah and dong: whole amounts, fees rounded to whole units."""
    eng = engine(True)
    rows = data.draw(batch_of(["tiktok-id", "tiktok-vn"], Knobs(), True, size=(8, 20)))
    raw = same_as_row_path(eng, rows, trails=("full", "ref"))
    taken = columnar_taken(eng, rows, raw)
    priced = priced_share(eng, rows, taken, lambda row, q: bool(q.fees))
    assert all("." not in rows[i]["amount"] for i in priced)


def _slice(row: dict[str, Any], filled: bool) -> int:
    """The policy time slice the order is placed in."""
    placed = dt.datetime.fromisoformat(row["placed_at"])
    return sum(placed >= b for b in vocab(filled, row["market"]).boundaries)


@SETTINGS
@given(data=st.data())
def test_policy_date_switch(data: st.DataObject) -> None:
    """Orders placed (and delivered or completed) on both sides of each market's policy
    boundaries, to the second: each priced by the plan in force at its own time."""
    eng = engine(False)
    rows = data.draw(batch_of(MARKETS, Knobs(near_boundary=100, offset=0, bad=0, refund=0), size=(4, 10)))
    raw = same_as_row_path(eng, rows, trails=("full",))
    taken = columnar_taken(eng, rows, raw)
    both = {m for m in MARKETS if len({_slice(rows[i], False) for i in plain_accepted(eng, rows)
                                       if rows[i]["market"] == m}) > 1}
    assume(both)
    priced = priced_share(eng, rows, taken, lambda row, q: row["market"] in both)
    assert any(len({_slice(rows[i], False) for i in priced if rows[i]["market"] == m}) > 1 for m in both), \
        "no market priced by the columnar path on both sides of a policy boundary"


@SETTINGS
@given(data=st.data())
def test_non_canonical_text_goes_to_the_row_path(data: st.DataObject) -> None:
    """Money text not in canonical form ("12.5", "012.50", one place too many, a JSON
    number, a flag as text), times with offsets, values the row path refuses: the
    statement and rejects are still the row path's."""
    eng = engine(False)
    rows = data.draw(batch_of(MARKETS, Knobs(offbeat=40, numbers=True, offset=30, bad=15, extreme=True), size=(1, 5)))
    same_as_row_path(eng, rows, trails=("full",))


@SETTINGS
@given(data=st.data())
def test_many_chunks_and_order_ids_json_escapes(data: st.DataObject) -> None:
    """A batch read in many small chunks (what a batch learns in one, the next reuses),
    with order_ids JSON escapes (a quote, a backslash, a tab, U+2028) or beyond ASCII,
    written with the escapes or as UTF-8."""
    assert CHUNK_SIZES, "settle's chunk sizes are not module constants any more: patch them here"
    eng = engine(True)
    escaped = data.draw(st.booleans())
    rows = data.draw(batch_of(MARKETS, Knobs(odd_ids=30, refund=10), True, size=(3, 8)))
    raw = same_as_row_path(eng, rows, chunk=data.draw(st.sampled_from([600, 1500, 4000])), escaped=escaped)
    assert columnar_taken(eng, rows, raw).taken


def test_a_discount_above_the_payment_is_refused_alike() -> None:
    """An order whose platform discount exceeds amount + shipping + tax (what the buyer
    paid is negative) is refused by the row path; beside an order of the same fields
    and components, the columnar path must refuse it too."""
    rows = [{"order_id": "A", "market": "tiktok-us", "currency": "USD", "placed_at": "2024-08-01T10:00:00",
             "amount": "30.00", "platform_discount": "5.00"},
            {"order_id": "B", "market": "tiktok-us", "currency": "USD", "placed_at": "2024-08-01T10:00:00",
             "amount": "10.00", "platform_discount": "20.00"}]
    assert not accepted(engine(False), rows[1])
    same_as_row_path(engine(False), rows, trails=("full",))


def _parquet_rows(path: Path) -> dict[str, dict[str, Any]]:
    table = pq.read_table(path)
    return {r["order_id"]: r for r in table.to_pylist()}


def _parquet_plans(path: Path) -> dict[str, Any]:
    """The plans table: each plan id with its plan (the JSON of its second column)."""
    table = pq.read_table(path)
    text = next(name for name in table.column_names if name != "plan_id")
    return {row["plan_id"]: _as_plan(json.loads(row[text])) for row in table.to_pylist()}


def _jsonl_plans(data: bytes | None) -> dict[str, Any]:
    """The plans file beside a ``--trail ref`` statement: ``{"plan": id, ...the plan}``."""
    plans = {}
    for line in (data or b"").splitlines():
        plan = json.loads(line)
        plans[plan.pop("plan")] = _as_plan(plan)
    return plans


def _as_plan(plan: Any) -> dict[str, Any]:
    return plan if isinstance(plan, dict) else {"trail": plan}  # a plan that is only its trail


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@SETTINGS
@given(data=st.data())
def test_parquet_statement_holds_the_row_path_figures(data: st.DataObject) -> None:
    """A Parquet statement (columnar only) against the row path's JSON Lines statement:
    amount, each fee by code, total fees, commission, net, payout dates, completeness,
    gaps and plan id of every order."""
    eng = engine(True)
    rows = data.draw(batch_of(MARKETS, Knobs(refund=15, extreme=True), True, size=(2, 6)))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = folder / "orders.jsonl"
        src.write_bytes(jsonl(rows))
        columnar = settle(eng, src, folder / "columnar", row_path=False, out="statement.parquet")
        row = settle(eng, src, folder / "row", row_path=True)
        row_ref = settle(eng, src, folder / "row-ref", row_path=True, trail="ref")
        assert columnar.code == row.code
        assert columnar.files["summary"] == row.files["summary"]
        assert columnar.files["rejects"] == row.files["rejects"]
        figures = _parquet_rows(folder / "columnar" / "statement.parquet")
        lines = [json.loads(x) for x in (row.files["statement"] or b"").splitlines()]
        refs = [json.loads(x) for x in (row_ref.files["statement"] or b"").splitlines()]
        assert sorted(figures) == sorted(x["order_id"] for x in lines)
        numbers = {r["order_id"]: i + 1 for i, r in enumerate(rows)}
        assert [figures[x["order_id"]]["line"] for x in lines] == [numbers[x["order_id"]] for x in lines]
        assert _parquet_plans(folder / "columnar" / "statement.plans.parquet") == _jsonl_plans(row_ref.files["plans"])
        for line, ref in zip(lines, refs, strict=True):
            got = figures[line["order_id"]]
            fees: dict[str, Decimal] = {}
            for fee in line["fees"]:
                fees[fee["code"]] = fees.get(fee["code"], Decimal(0)) + Decimal(fee["amount"])
            shown = {k.removeprefix("fee."): _money(v) for k, v in got.items()
                     if k.startswith("fee.") and v is not None}
            where = f"order {line['order_id']}: {json.dumps(rows[numbers[line['order_id']] - 1])}"
            assert shown == fees, where
            assert (got["market"], got["currency"]) == (line["market"], line["currency"]), where
            assert _money(got["amount"]) == Decimal(line["amount"]), where
            assert _money(got["total_fees"]) == _money(line["total_fees"]), where
            assert _money(got["creator_commission"]) == Decimal(line["creator_commission"]), where
            assert _money(got["net"]) == _money(line["net"]), where
            for name in ("payout_date", "creator_payout_date"):
                assert (got[name].isoformat() if got[name] else None) == line[name], where
            assert got["complete"] == line["complete"], where
            assert got["gaps"] == " | ".join(f"{g['figure']}: {g['rule']} {g['key']}" for g in line["gaps"]), where
            assert got["plan_id"] == ref["plan"], where
