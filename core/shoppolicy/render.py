"""Results as JSON-ready dicts (the contracts of design.md) and as text tables.

What lives here: the shape of every result the CLI prints and tools read back.  What
does not: computing them (:mod:`shoppolicy.engine`).  Money is a decimal string; the
currency is named once per result.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from shoppolicy.convert import unstructure
from shoppolicy.model import (
    CreatorShare,
    IncentiveResult,
    PayoutLine,
    Quote,
    RuleState,
    ShopPenalties,
    TrailEntry,
)


def _drop_trail(data: dict[str, Any]) -> dict[str, Any]:
    data.pop("trail", None)
    return data


def creator_dict(share: CreatorShare) -> dict[str, Any]:
    return {"plan": share.plan, "rate": str(share.rate), "commission": str(share.commission),
            "platform_take": str(share.platform_take), "creator_receives": str(share.creator_receives),
            "rule": share.rule, "source": share.source}


# Trail entries are built once per compiled plan and shared by every order it quotes,
# so their rendering is cached by identity (bounded, in case a plugin builds them per order).
_TRAILS: dict[int, tuple[TrailEntry, dict[str, Any]]] = {}
_TRAIL_FRAGMENTS: dict[tuple[int, ...], tuple[tuple[TrailEntry, ...], bytes]] = {}
_CACHE_LIMIT = 4096


def trail_dict(entry: TrailEntry) -> dict[str, Any]:
    hit = _TRAILS.get(id(entry))
    if hit is not None and hit[0] is entry:
        return hit[1]
    if len(_TRAILS) > _CACHE_LIMIT:
        _TRAILS.clear()
    data: dict[str, Any] = unstructure(entry)
    _TRAILS[id(entry)] = (entry, data)
    return data


def _core(quote: Quote) -> dict[str, Any]:
    # Written out by hand (no helper calls per field): this runs once per order of a batch.
    creator = quote.creator
    return {
        "order_id": quote.order_id,
        "market": quote.market,
        "currency": quote.currency,
        "amount": str(quote.amount),
        "fees": [{"code": f.code, "amount": str(f.amount), "rule": f.rule, "source": f.source,
                  "base": None if f.base is None else str(f.base), "rate": None if f.rate is None else str(f.rate),
                  "fixed": None if f.fixed is None else str(f.fixed), "confidence": f.confidence, "note": f.note}
                 for f in quote.fees],
        "total_fees": str(quote.total_fees),
        "creator_commission": str(quote.creator_commission),
        "creator": creator_dict(creator) if creator is not None else None,
        "net": str(quote.net),
        "payout_date": quote.payout_date.isoformat() if quote.payout_date else None,
        "creator_payout_date": quote.creator_payout_date.isoformat() if quote.creator_payout_date else None,
        "passthrough": {k: str(v) for k, v in quote.passthrough.items()} if quote.passthrough else {},
        "pending": list(quote.pending),
    }


def quote_dict(quote: Quote) -> dict[str, Any]:
    """A quote (statement) line: design.md's result contract, trail included."""
    data = _core(quote)
    data["trail"] = [trail_dict(t) for t in quote.trail]
    return data


def statement_line(quote: Quote, dumps: Callable[[Any], bytes]) -> bytes:
    """``quote_dict`` as one line of JSON (UTF-8, newline included).

    ``dumps`` encodes a JSON value to compact bytes (orjson, or json with
    ``separators=(",", ":")``).  The trail is spliced in by :func:`trail_tail`.
    """
    return dumps(_core(quote))[:-1] + trail_tail(quote.trail, dumps)


def trail_tail(trail: tuple[TrailEntry, ...], dumps: Callable[[Any], bytes]) -> bytes:
    """``,"trail":[...]}`` and the newline that end a statement line.

    A trail is shared by every order a plan quotes the same way, so its encoding is
    cached (found by the identity of its entries, checked by equality) instead of being
    encoded per order.
    """
    key = tuple(map(id, trail))
    hit = _TRAIL_FRAGMENTS.get(key)
    if hit is None or hit[0] != trail:
        if len(_TRAIL_FRAGMENTS) > _CACHE_LIMIT:
            _TRAIL_FRAGMENTS.clear()
        hit = _TRAIL_FRAGMENTS[key] = (trail, b',"trail":' + dumps([trail_dict(t) for t in trail]) + b"}\n")
    return hit[1]


def payout_dict(order_id: str, market: str, lines: Sequence[PayoutLine]) -> dict[str, Any]:
    return {"order_id": order_id, "market": market, "payouts": [_drop_trail(unstructure(p)) for p in lines],
            "trail": [trail_dict(p.trail) for p in lines if p.trail is not None]}


def penalties_dict(shops: Sequence[ShopPenalties]) -> dict[str, Any]:
    out = []
    for shop in shops:
        data = unstructure(shop)
        data["lines"] = [_drop_trail(line) for line in data["lines"]]
        out.append(data)
    return {"shops": out}


def incentive_dict(program: str, results: Sequence[IncentiveResult]) -> dict[str, Any]:
    return {"program": program, "results": [unstructure(r) for r in results]}


def rules_dict(market: str, as_of: str, states: Sequence[RuleState]) -> dict[str, Any]:
    return {"market": market, "as_of": as_of, "rules": [unstructure(s) for s in states]}


# --- text -------------------------------------------------------------------------------


def table(rows: Iterable[Sequence[object]], header: Sequence[str]) -> str:
    """A plain aligned text table; columns align by display width (a Chinese character
    takes two terminal columns)."""
    cells = [[str(h) for h in header]] + [["" if c is None else str(c) for c in row] for row in rows]
    sizes = [[display_width(c) for c in r] for r in cells]
    widths = [max(s[i] for s in sizes) for i in range(len(header))]
    lines = ["  ".join(c + " " * (w - n) for c, n, w in zip(r, s, widths, strict=True)).rstrip()
             for r, s in zip(cells, sizes, strict=True)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def display_width(text: str) -> int:
    """The terminal columns ``text`` takes: two for wide and full-width characters, none
    for combining marks."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def quote_text(quote: Quote, *, explain: bool = False) -> str:
    rows: list[list[object]] = [[f.code, f.amount, f.rule, f.base, f.rate, f.note or ""] for f in quote.fees]
    if quote.creator is not None:
        c = quote.creator
        rows.append([f"creator_commission ({c.plan})", c.commission, c.rule, quote.amount, c.rate,
                     f"platform keeps {c.platform_take}, creator receives {c.creator_receives}"])
    out = [f"order {quote.order_id}  {quote.market}  {quote.amount} {quote.currency}",
           table(rows, ["fee", "amount", "rule", "base", "rate", "note"]) if rows else "(no fees)",
           f"net (merchant keeps): {quote.net} {quote.currency}"]
    for key, value in quote.passthrough.items():
        out.append(f"  {key}: {value} {quote.currency} (passes through, not in net)")
    if quote.payout_date:
        out.append(f"merchant payout: {quote.payout_date}")
    if quote.creator_payout_date:
        out.append(f"creator payout: {quote.creator_payout_date}")
    out.extend(f"pending: {p}" for p in quote.pending)
    if explain:
        out.append("why:")
        for t in quote.trail:
            params = ", ".join(f"{k}={v}" for k, v in t.params.items())
            conf = f" [{t.confidence}]" if t.confidence else ""
            out.append(f"  {t.rule} {t.what}: {params}")
            out.append(f"      source: {t.source}{conf}")
            out.append(f"      layer: {t.layer}")
    return "\n".join(out)


# --- batch statements ---------------------------------------------------------------------

STATEMENT_COLUMNS = ("order_id", "market", "currency", "amount", "fees", "total_fees", "creator_commission",
                     "net", "payout_date", "creator_payout_date", "rules", "pending")


def statement_row(quote: Quote) -> list[str]:
    """A statement line flattened for CSV: fee lines as ``code=amount (rule)`` joined by ``; ``."""
    return [
        quote.order_id, quote.market, quote.currency, str(quote.amount),
        "; ".join(f"{f.code}={f.amount} ({f.rule})" for f in quote.fees), str(quote.total_fees),
        str(quote.creator_commission), str(quote.net),
        quote.payout_date.isoformat() if quote.payout_date else "",
        quote.creator_payout_date.isoformat() if quote.creator_payout_date else "",
        " ".join(dict.fromkeys(t.rule for t in quote.trail)), " | ".join(quote.pending),
    ]
