"""The batch's fast path: an order priced straight into its statement line.

``settle`` spends most of its time not on arithmetic but on the objects around it: a
fee line, a creator share and a quote per order, then a dict per result to encode.  For
a plan whose charges all offer ``fast`` (:class:`~shoppolicy.rules.FastCharge`), this
module prices the order with those methods and writes the line from pieces encoded once
per fee form, creator form and trail.  The line is byte for byte what
``render.statement_line(engine.quote(order))`` gives (a property test holds the two to
it); any order the fast path does not take (a charge declines it, the plan has no fast
path, the market or currency is wrong) is quoted in full by the caller.  The ``fast``
methods raise the errors their ``apply`` methods raise, so a bad order is rejected with
the same message either way.  What does not live here: reading rows
(:mod:`shoppolicy.orders`), rejecting them (:mod:`shoppolicy.settle`) and files
(:mod:`shoppolicy.batch`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from shoppolicy.engine import Engine, _passthrough, paid_dates
from shoppolicy.errors import InputError, PolicyGapError, ShopPolicyError
from shoppolicy.model import Market, OrderRecord, TrailEntry
from shoppolicy.money import ZERO
from shoppolicy.render import trail_tail
from shoppolicy.rules import CreatorForm, Decline, FeeForm
from shoppolicy.settle import Figures

Methods = tuple[Callable[..., Any], ...]
_Shape = tuple[str, bytes]
"""A statement line's template (``%s`` where the order's own figures go) and its trail tail."""


class FastStatements:
    """Statement lines of orders an engine's fast plans can price (see the module)."""

    def __init__(self, engine: Engine, dumps: Callable[[Any], bytes]) -> None:
        self._engine = engine
        self._dumps = dumps
        # Keyed by the ids of the forms and trails of a line, which the cache keeps alive.
        self._shapes: dict[tuple[object, ...], tuple[_Shape, tuple[object, ...]]] = {}
        self._pending: dict[int, tuple[ShopPolicyError, str, str]] = {}
        # The fast methods of a plan (None: it has none) by (market, payout rules?, time).
        # Orders of a month share a few dozen dates: remembered by value, the plan of an
        # order is one dict look-up, written out where it is needed.
        self._by_time: dict[tuple[str, bool, dt.datetime], Methods | None] = {}
        self._dates: dict[dt.date | None, str] = {None: "null"}  # payout dates as JSON

    def _methods(self, payouts: bool, market: Market, at: dt.datetime) -> Methods | None:
        """The fast methods of a time not met yet, worked out and remembered."""
        if len(self._by_time) > 65536:  # bounded, for inputs whose every time stamp differs
            self._by_time.clear()
        found = self._by_time[(market.id, payouts, at)] = self._engine._fast_methods(payouts, market, at)
        return found

    def _returned_gap(self, gap: ShopPolicyError) -> tuple[ShopPolicyError, str, str]:
        """A gap a payout rule returned, met for the first time: itself, its pending text,
        and ``[text]`` as JSON, remembered by its identity."""
        if len(self._pending) > 4096:  # a plugin returning a new error per order: stay bounded
            self._pending.clear()
        text = f"payout: {gap}"
        found = self._pending[id(gap)] = (gap, text, self._dumps([text]).decode())
        return found

    def _date_json(self, day: dt.date | None) -> str:
        # A batch pays on a few dozen dates: each is written out once.
        if len(self._dates) > 4096:  # bounded, like every cache here
            self._dates.clear()
            self._dates[None] = "null"
        text = self._dates[day] = "null" if day is None else f'"{day.isoformat()}"'
        return text

    def _json_text(self, value: str) -> str:
        # What the encoder writes for a string with nothing to escape, without calling it.
        # (line() writes an order id of letters and digits, the usual one, before asking.)
        if value.isprintable() and '"' not in value and "\\" not in value:
            return f'"{value}"'
        return self._dumps(value).decode()

    def _text(self, value: object) -> str:
        return self._dumps(value).decode().replace("%", "%%")

    def _shape(self, key: tuple[object, ...], market: str, currency: str, fees: list[FeeForm],
               creator: CreatorForm | None, trail: tuple[TrailEntry, ...]) -> _Shape:
        """The template of a line with these fee forms and creator form: the layout of
        ``render.statement_line``, constants encoded once, ``%s`` for figures."""
        text = self._text
        parts = ['{"order_id":%s,"market":', text(market), ',"currency":', text(currency), ',"amount":"%s","fees":[']
        for i, form in enumerate(fees):
            parts += ["," if i else "", '{"code":', text(form.code), ',"amount":"%s","rule":', text(form.rule),
                      ',"source":', text(form.source), ',"base":%s,"rate":',
                      text(None if form.rate is None else str(form.rate)), ',"fixed":',
                      text(None if form.fixed is None else str(form.fixed)), ',"confidence":', text(form.confidence),
                      ',"note":', text(form.note), "}"]
        parts.append('],"total_fees":"%s","creator_commission":"%s","creator":')
        if creator is None:
            parts.append("null")
        else:
            parts += ['{"plan":', text(creator.plan), ',"rate":"%s","commission":"%s","platform_take":"%s",'
                      '"creator_receives":"%s","rule":', text(creator.rule), ',"source":', text(creator.source), "}"]
        parts.append(',"net":"%s","payout_date":%s,"creator_payout_date":%s,"passthrough":%s,"pending":%s')
        shape = ("".join(parts), trail_tail(trail, self._dumps))
        if len(self._shapes) > 4096:  # a plugin building forms or trails per order: stay bounded
            self._shapes.clear()
        self._shapes[key] = (shape, (*fees, creator, *trail))  # the objects whose ids make the key
        return shape

    def line(self, record: OrderRecord) -> tuple[bytes, Figures] | None:
        """The statement line and figures of ``record``, or None to quote it in full.

        Raises what the plan's charges and payout rules raise for a bad order
        (``InputError``, ``PolicyGapError``), as a full quote would.
        """
        engine = self._engine
        market = engine._plain_market(record)
        if market is None:
            return None
        record = engine._localised(record, market)
        try:  # the plan of a time already met (the usual case), without a call
            charges = self._by_time[(market.id, False, record.placed_at)]
        except KeyError:
            charges = self._methods(False, market, record.placed_at)
        if charges is None:
            return None
        order_id = record.order_id
        figures: list[object] = [f'"{order_id}"' if order_id.isalnum() else self._json_text(order_id), record.amount]
        forms: list[FeeForm] = []
        creator: tuple[CreatorForm, Decimal, Decimal, Decimal] | None = None
        total = ZERO
        try:
            for fast in charges:
                priced = fast(record)
                if priced is None:
                    continue
                if isinstance(priced[0], FeeForm):
                    form, fee, base = priced
                    forms.append(form)
                    figures += (fee, "null" if base is None else f'"{base!s}"')
                    total += fee
                elif not isinstance(priced[0], CreatorForm):
                    raise TypeError(f"{fast!r} returned {priced!r}: expected (FeeForm, amount, base), "
                                    "(CreatorForm, rate, commission, take) or None")
                elif creator is None:
                    creator = priced
                else:
                    return None  # two commissions: the full quote says what is wrong
        except Decline:
            return None
        net = record.amount - total
        if creator is None:
            commission = ZERO
            figures += (total, "0")
        else:
            _, rate, commission, take = creator
            net -= commission
            text = str(commission)  # written twice
            figures += (total, text, rate, text, take, commission - take)
        merchant, creator_date, paid_trail, pending = self._payouts(market, record, creator)
        passthrough = _passthrough(record)
        dates = self._dates
        figures += (net, dates.get(merchant) or self._date_json(merchant),
                    dates.get(creator_date) or self._date_json(creator_date),
                    self._dumps({k: str(v) for k, v in passthrough.items()}).decode() if passthrough else "{}",
                    pending)
        key = (market.id, *map(id, forms), id(creator[0]) if creator else None, *map(id, paid_trail))
        found = self._shapes.get(key)
        if found is not None:
            template, tail = found[0]
        else:
            trail = tuple(t for t in (*(f.trail for f in forms), creator[0].trail if creator else None, *paid_trail)
                          if t is not None)
            template, tail = self._shape(key, market.id, record.currency, forms, creator[0] if creator else None,
                                         trail)
        return (template % tuple(figures)).encode() + tail, (market.id, record.currency, record.amount, total,
                                                             commission, net)

    def _payouts(self, market: Market, record: OrderRecord, creator: tuple[CreatorForm, Decimal, Decimal, Decimal]
                 | None) -> tuple[dt.date | None, dt.date | None, list[TrailEntry], str]:
        """Merchant and creator payout dates, the payout trail, and the pending reasons as JSON."""
        engine = self._engine
        returned = None  # a gap a payout rule returned (see _returned_gap)
        basis = getattr(record, market.payout_basis)
        try:
            rules = self._by_time[(market.id, True, basis)] if basis is not None else None
        except KeyError:
            rules = self._methods(True, market, basis)
        if rules is None:  # no fast path for these rules (or no basis date, or a gap): the engine's own
            share = creator[0].share(*creator[1:]) if creator is not None else None
            lines, pending = engine._payouts(market, record, share, strict=False)
            paid: list[tuple[str, dt.date, TrailEntry | None]] = [(p.party, p.date, p.trail) for p in lines]
        else:
            pending, paid = [], []
            commissioned = creator is not None
            for fast in rules:
                try:
                    found = fast(record, commissioned)
                except (PolicyGapError, InputError) as exc:
                    pending.append(f"payout: {exc}")
                    continue
                if isinstance(found, tuple):
                    paid.append(found)
                elif isinstance(found, PolicyGapError):  # returned rather than raised: cheaper, and kept
                    returned = self._pending.get(id(found))
                    if returned is None or returned[0] is not found:
                        returned = self._returned_gap(found)
                    pending.append(returned[1])
                elif found is not None:
                    raise TypeError(f"{fast!r} returned {found!r}: expected (party, date, trail), a "
                                    "PolicyGapError or None")
        trail: list[TrailEntry] = []
        merchant, creator_date = paid_dates(paid, trail)
        if not pending:
            return merchant, creator_date, trail, "[]"
        if returned is not None and len(pending) == 1:  # the one reason, encoded once per gap
            return merchant, creator_date, trail, returned[2]
        return merchant, creator_date, trail, self._dumps(pending).decode()
