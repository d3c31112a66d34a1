"""Results as JSON-ready dicts (the contracts of design.md) and as text tables.

What lives here: the shape of every result the CLI prints and tools read back.  What
does not: computing them (:mod:`shoppolicy.engine`).  Money is a decimal string; the
currency is named once per result.
"""

from __future__ import annotations

import copy
import hashlib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from shoppolicy.convert import unstructure
from shoppolicy.model import (
    CreatorShare,
    FeeLine,
    Gap,
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


# A fee line's text other than its amount and base is its form's (FeeLine.form): built once
# per form and copied, by identity like the trail's.
_FORMS: dict[int, tuple[object, dict[str, Any]]] = {}


def fee_dict(f: FeeLine) -> dict[str, Any]:
    """One fee line as JSON: code, amount, rule, source, base, rate, fixed part, confidence, note."""
    form = f.form
    if form is not None:
        hit = _FORMS.get(id(form))
        if hit is not None and hit[0] is form:
            data = hit[1].copy()
            data["amount"] = str(f.amount)
            data["base"] = None if f.base is None else str(f.base)
            return data
    data = {"code": f.code, "amount": str(f.amount), "rule": f.rule, "source": f.source,
            "base": None if f.base is None else str(f.base), "rate": None if f.rate is None else str(f.rate),
            "fixed": None if f.fixed is None else str(f.fixed), "confidence": f.confidence, "note": f.note}
    if form is not None:
        if len(_FORMS) > _CACHE_LIMIT:
            _FORMS.clear()
        _FORMS[id(form)] = (form, data.copy())
    return data


def _core(quote: Quote, fee: Callable[[FeeLine], dict[str, Any]] = fee_dict,
          gap: Callable[[Gap], dict[str, Any]] | None = None) -> dict[str, Any]:
    # Written out by hand (no helper calls per field): this runs once per order of a batch.
    # ``fee`` and ``gap`` render each fee line and gap (in full, or referenced: see
    # statement_line_ref).
    creator = quote.creator
    return {
        "order_id": quote.order_id,
        "market": quote.market,
        "currency": quote.currency,
        "amount": str(quote.amount),
        "fees": [fee(f) for f in quote.fees],
        "total_fees": money_text(quote.total_fees),
        "creator_commission": str(quote.creator_commission),
        "creator": creator_dict(creator) if creator is not None else None,
        "net": money_text(quote.net),
        "payout_date": quote.payout_date.isoformat() if quote.payout_date else None,
        "creator_payout_date": quote.creator_payout_date.isoformat() if quote.creator_payout_date else None,
        "passthrough": {k: str(v) for k, v in quote.passthrough.items()} if quote.passthrough else {},
        "pending": list(quote.pending),
        "complete": not quote.gaps,
        "gaps": [(gap or gap_dict)(g) for g in quote.gaps] if quote.gaps else [],
        "stale": list(quote.stale) if quote.stale else [],
    }


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


_GAPS: dict[int, tuple[Gap, dict[str, Any]]] = {}


def gap_dict(gap: Gap) -> dict[str, Any]:
    """A policy gap as JSON: what is missing, what the sources say, how to supply it.

    Blocks share one gap object among the orders it blocks (a payout gap per delivery
    day), so the rendering is cached by identity, like the trail's."""
    hit = _GAPS.get(id(gap))
    if hit is not None and hit[0] is gap:
        return hit[1]
    if len(_GAPS) > _CACHE_LIMIT:
        _GAPS.clear()
    data = _gap_dict(gap)
    _GAPS[id(gap)] = (gap, data)
    return data


def _gap_dict(gap: Gap) -> dict[str, Any]:
    data: dict[str, Any] = {
        "figure": gap.figure, "rule": gap.rule, "market": gap.market, "key": gap.key, "category": gap.category,
        "date": gap.on.isoformat(), "state": gap.state, "detail": gap.detail}
    if gap.low is not None or gap.candidate is not None:
        data["published"] = {"low": money_text(gap.low), "high": money_text(gap.high),
                             "candidate": money_text(gap.candidate), "source": gap.source}
    if gap.low_amount is not None:
        data["bounds"] = {"low": str(gap.low_amount), "high": str(gap.high_amount),
                          "note": "bounds from the published range, not the fee; not in net"}
    data["supply"] = gap.supply
    return data


def quote_dict(quote: Quote) -> dict[str, Any]:
    """A quote (statement) line: design.md's result contract, trail included.

    The dict is the caller's own: the renderings cached for statement lines are copied.
    """
    data = copy.deepcopy(_core(quote))
    data["trail"] = [copy.deepcopy(trail_dict(t)) for t in quote.trail]
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


_PLANS: dict[tuple[int, ...], tuple[tuple[object, ...], str, bytes]] = {}


def plan_of(quote: Quote, dumps: Callable[[Any], bytes]) -> tuple[str, bytes]:
    """``(plan id, the plan as JSON)`` of a quote: what its statement line says the same
    way for every order priced the same way, written once per plan beside a statement
    with referenced trails (``settle --trail ref``, Parquet): the explanation ``trail``,
    each fee's ``rate``, ``fixed`` part, ``confidence`` and ``note`` (by code, in line
    order), and each gap's ``detail``, ``state``, ``published`` range and how to
    ``supply`` it.  The id is a digest of that JSON, so the same plan has the same id in
    every run, process and partition."""
    parts = (*quote.trail, *(f.form if f.form is not None else f for f in quote.fees), *quote.gaps)
    key = tuple(map(id, parts))
    hit = _PLANS.get(key)
    if hit is None or hit[0] != parts:
        if len(_PLANS) > _CACHE_LIMIT:
            _PLANS.clear()
        plan = {"trail": [trail_dict(t) for t in quote.trail],
                "fees": [{"code": f.code, "rate": money_text(f.rate), "fixed": money_text(f.fixed),
                          "confidence": f.confidence, "note": f.note} for f in quote.fees],
                "gaps": [_gap_explained(g) for g in quote.gaps]}
        text = dumps(plan)
        hit = _PLANS[key] = (parts, hashlib.sha256(text).hexdigest()[:16], text)
    return hit[1], hit[2]


def _gap_explained(gap: Gap) -> dict[str, Any]:
    data = _gap_dict(gap)
    return {k: data[k] for k in ("figure", "rule", "market", "key", "category", "state", "detail", "published",
                                 "supply") if k in data}


def statement_line_ref(quote: Quote, dumps: Callable[[Any], bytes]) -> bytes:
    """A statement line whose explanations are referenced by plan id (``settle --trail
    ref``): every figure of the order stays on the line — each fee's code, amount, rule,
    source and base, the creator's share, net, payout dates, each gap's figure, rule, key,
    date and bounds — and what every order of the plan shares is written once, beside the
    statement (:func:`plan_of`)."""
    line = _core(quote, _fee_ref, _gap_ref)
    line["plan"] = plan_of(quote, dumps)[0]
    return dumps(line) + b"\n"


def _fee_ref(fee: FeeLine) -> dict[str, Any]:
    return {"code": fee.code, "amount": str(fee.amount), "rule": fee.rule, "source": fee.source,
            "base": None if fee.base is None else str(fee.base)}


def _gap_ref(gap: Gap) -> dict[str, Any]:
    data: dict[str, Any] = {"figure": gap.figure, "rule": gap.rule, "key": gap.key, "date": gap.on.isoformat()}
    if gap.low_amount is not None:
        data["bounds"] = {"low": str(gap.low_amount), "high": str(gap.high_amount)}
    return data


def payout_dict(order_id: str, market: str, lines: Sequence[PayoutLine], gaps: Sequence[Gap] = ()) -> dict[str, Any]:
    return {"order_id": order_id, "market": market, "payouts": [_drop_trail(unstructure(p)) for p in lines],
            "complete": not gaps, "gaps": [gap_dict(g) for g in gaps],
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
           f"net (merchant keeps): {quote.net} {quote.currency}" if quote.net is not None else
           "net (merchant keeps): unknown until the gaps below are filled"]
    for key, value in quote.passthrough.items():
        out.append(f"  {key}: {value} {quote.currency} (passes through, not in net)")
    if quote.payout_date:
        out.append(f"merchant payout: {quote.payout_date}")
    if quote.creator_payout_date:
        out.append(f"creator payout: {quote.creator_payout_date}")
    out.extend(f"pending: {p}" for p in quote.pending)
    for gap in quote.gaps:
        bounds = f"; bounds {gap.low_amount}..{gap.high_amount} {quote.currency}" if gap.low_amount is not None else ""
        published = f"; published range {gap.low}..{gap.high}" if gap.low is not None else ""
        candidate = f"; unconfirmed candidate {gap.candidate}" if gap.candidate is not None else ""
        out.append(f"gap: {gap.figure} ({gap.rule}) needs {gap.key!r} on {gap.on}{published}{candidate}{bounds}")
    out.extend(f"stale: {note} (more than 12 months before the order)" for note in quote.stale)
    if explain:
        out.append("why:")
        for t in quote.trail:
            params = ", ".join(f"{k}={v}" for k, v in t.params.items())
            conf = f" [{t.confidence}]" if t.confidence else ""
            confirmed = f"; last confirmed {t.confirmed}" if t.confirmed else ""
            out.append(f"  {t.rule} {t.what}: {params}")
            out.append(f"      source: {t.source}{conf}{confirmed}")
            out.append(f"      layer: {t.layer}")
    return "\n".join(out)


# --- batch statements ---------------------------------------------------------------------

STATEMENT_COLUMNS = ("order_id", "market", "currency", "amount", "fees", "total_fees", "creator_commission",
                     "net", "payout_date", "creator_payout_date", "rules", "pending", "complete", "gaps", "stale")


def statement_row(quote: Quote) -> list[str]:
    """A statement line flattened for CSV: fee lines as ``code=amount (rule)`` joined by ``; ``."""
    return [
        quote.order_id, quote.market, quote.currency, str(quote.amount),
        "; ".join(f"{f.code}={f.amount} ({f.rule})" for f in quote.fees),
        "" if quote.total_fees is None else str(quote.total_fees),
        str(quote.creator_commission), "" if quote.net is None else str(quote.net),
        quote.payout_date.isoformat() if quote.payout_date else "",
        quote.creator_payout_date.isoformat() if quote.creator_payout_date else "",
        " ".join(dict.fromkeys(t.rule for t in quote.trail)), " | ".join(quote.pending),
        "true" if not quote.gaps else "false", " | ".join(f"{g.figure}: {g.rule} {g.key}" for g in quote.gaps),
        " | ".join(quote.stale),
    ]


# --- statements (reconcile, learn-rates) ------------------------------------------------


def reconcile_records(result: Any) -> list[dict[str, Any]]:
    """A :class:`~shoppolicy.statements.Reconciliation` as JSON Lines records, each with
    its ``kind``: ``row`` (one fee of one order), ``arithmetic`` (a statement total that
    does not add up, both figures), ``unknown`` (a key or type no reference names),
    ``summary`` (one fee over the statement), and a closing ``statement``."""
    out: list[dict[str, Any]] = []
    for row in result.rows:
        data = unstructure(row)
        data["gap"] = gap_dict(row.gap) if row.gap is not None else None
        out.append({"kind": "row", **data})
    for finding in result.findings:
        out.append({"kind": "arithmetic", **unstructure(finding), "difference": str(finding.difference)})
    out.extend({"kind": "unknown", **unstructure(item)} for item in result.unknown)
    out.extend({"kind": "summary", **unstructure(s)} for s in result.summary)
    out.append({"kind": "statement", "statement": result.statement, "format": result.format, "market": result.market,
                "currency": result.currency, "tolerance": str(result.tolerance), "rows": len(result.rows),
                "arithmetic_checks": result.checks, "arithmetic_findings": len(result.findings),
                "explained": result.explained})
    return out


def reconcile_text(result: Any) -> str:
    """The reconciliation for people: rows, arithmetic findings, unknown items, summary."""
    out = [f"statement {result.statement} ({result.format}), market {result.market or '?'}, "
           f"{result.currency or '?'}, tolerance {result.tolerance}",
           table([[r.order_id or "", r.fee, r.status, r.computed, r.charged, r.difference,
                   r.rule or "", r.detail or (r.gap.key if r.gap else "")] for r in result.rows],
                 ["order", "fee", "status", "computed", "charged", "difference", "rule", "detail"])]
    if result.findings:
        out += ["", f"statement arithmetic: {len(result.findings)} of {result.checks} checks do not add up",
                table([[f.where, f.check, f.declared, f.computed, f.difference] for f in result.findings],
                      ["where", "check", "declared", "computed", "difference"])]
    else:
        out += ["", f"statement arithmetic: all {result.checks} checks add up"]
    if result.unknown:
        out += ["", table([[u.what, u.name, u.first_seen, u.count] for u in result.unknown],
                          ["unknown", "name", "first seen", "count"])]
    out += ["", table([[s.fee, s.orders, s.matches, s.mismatches, s.gaps, s.not_modelled, s.missing, s.differences,
                        s.difference_total, s.charged_total] for s in result.summary],
                      ["fee", "orders", "match", "mismatch", "gap", "not modelled", "missing", "differences",
                       "difference total", "charged total"])]
    return "\n".join(out)


def learned_dict(result: Any) -> dict[str, Any]:
    """A :class:`~shoppolicy.statements.LearnedRates` as JSON."""
    def value(v: Any) -> dict[str, Any]:
        return {"market": v.market, "fee": v.code, "rule": v.rule, "key": v.key, "value": str(v.value),
                "interval": {"low": str(v.low), "high": money_text(v.high)},
                "effective_from": v.effective_from.isoformat(),
                "effective_to": v.effective_to.isoformat() if v.effective_to else None,
                "orders": [e.order_id for e in v.evidence], "source": v.source}

    return {"statement": result.statement, "format": result.format, "values": [value(v) for v in result.values],
            "conflicts": [{"market": c.market, "fee": c.code, "key": c.key, "reason": c.reason,
                           "orders": [{"order_id": e.order_id, "charged": str(e.charged), "base": str(e.base)}
                                      for e in c.evidence]} for c in result.conflicts],
            "not_learned": [unstructure(n) for n in result.not_learned]}


def learned_text(result: Any) -> str:
    out = [table([[v.market, v.key, v.value, v.effective_from, v.effective_to or "", len(v.evidence)]
                  for v in result.values], ["market", "key", "rate", "from", "to", "orders"])
           if result.values else "no rate learned"]
    for c in result.conflicts:
        orders = ", ".join(f"{e.order_id} ({e.charged} on {e.base})" for e in c.evidence)
        out.append(f"conflict, not written: {c.market} {c.key}: {c.reason}; orders {orders}")
    out.extend(f"not learned: order {n.order_id} {n.code}: {n.reason}" for n in result.not_learned)
    return "\n".join(out)
