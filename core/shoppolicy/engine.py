"""The engine: the one object tools embed, and the facade over plugins and policy.

It resolves a market's policy once per time slice into compiled charges and payout
rules (cached), then applies them to orders as plain arithmetic.  Operations: quote,
payout, penalties, incentive evaluation, the rules in force, and batch settlement
(:mod:`shoppolicy.settle`).  Input may be attrs records or plain dicts (structured with
the strict converter); results are attrs values (:mod:`shoppolicy.model`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs

from shoppolicy.blocks.fees import GapSpec, RateSlot
from shoppolicy.blocks.keys import KeySpec, RuleSpec
from shoppolicy.convert import parse_datetime, structure
from shoppolicy.errors import InputError, MarketError, PolicyFileError, PolicyGapError, ShopPolicyError
from shoppolicy.model import (
    CreatorShare,
    Gap,
    IncentiveResult,
    Market,
    OrderRecord,
    PayoutLine,
    PenaltyLine,
    Quote,
    RuleState,
    ShopPenalties,
    ViolationEvent,
)
from shoppolicy.money import ZERO, on_minor_unit, quantum, to_decimal, too_precise
from shoppolicy.orders import structure_order
from shoppolicy.plugins import PluginHost, PluginInfo, build_host
from shoppolicy.policy import ORIGIN_OVERRIDE, Entry, Layer, MarketPolicy, PolicyView, load_policy_file
from shoppolicy.policy_check import check_entry, spec_for
from shoppolicy.pricing import price
from shoppolicy.rules import IncentiveProgram, ViolationHandler
from shoppolicy.settle import Rejected, Summary, settle_rows
from shoppolicy.trail import is_stale

FEES, PAYOUTS = "fee", "payout"


class Engine:
    """Markets, plugins and policy layers, with cached plans per market and time slice.

    ``policy_files`` are the user's override files, lowest first (later files win);
    ``plugins`` are extra plugin modules or objects registered from Python, and
    ``entry_points=False`` skips the installed plugins (useful in tests).
    """

    def __init__(self, *, policy_files: Sequence[str | Path] = (),
                 plugins: Iterable[ModuleType | object] = (), entry_points: bool = True) -> None:
        # Kept to build the same engine with one more override layer (with_overrides).
        self._setup = (tuple(policy_files), tuple(plugins), entry_points)
        self._host: PluginHost = build_host(self._setup[1], entry_points=entry_points)
        overrides: list[Entry] = []
        for order, file in enumerate(policy_files):
            layer = Layer(name=f"override {Path(file).name}", origin=ORIGIN_OVERRIDE, order=order)
            overrides.extend(load_policy_file(file, layer))
        known = set(self._host.markets)
        for entry in overrides:
            if entry.market not in known:
                raise MarketError(f"{entry.path}: market {entry.market!r} is not a known market "
                                  f"({', '.join(sorted(known)) or 'no plugins installed'})")
        self._entries = [*self._check_keys(self._host.entries, strict=False), *self._check_keys(overrides, strict=True)]
        self._policies: dict[str, MarketPolicy] = {}
        self._plans: dict[tuple[str, str, int], tuple[Any, ...]] = {}
        self._plans_by_time: dict[tuple[str, str, dt.datetime], tuple[Any, ...]] = {}
        self._handlers: dict[str, dict[str, ViolationHandler]] = {}
        self._programs: dict[str, IncentiveProgram] | None = None
        self._zones: dict[str, zoneinfo.ZoneInfo] = {}
        # Compile once: an override's overlapping, misplaced or refused values are reported
        # now, at load, not once per order of a batch.
        touched = {entry.market for entry in overrides}
        paths = {entry.path for entry in overrides}
        for market in list(self._host.markets.values()):
            if not market.abstract and touched & {m.id for m in self.chain(market)}:
                self._compile_every_slice(market, paths)

    def _compile_every_slice(self, market: Market, override_paths: set[str]) -> None:
        """Build ``market``'s fee and payout plans for every policy time slice; a value of
        an override that a block refuses (a rate outside its published range) stops here."""
        policy = self.policy(market.id)
        points = policy.boundaries
        instants = [points[0] - dt.timedelta(days=1), *points] if points else [dt.datetime(2000, 1, 1)]
        for at in instants:
            self._plan(PAYOUTS, market, at)
            for block in self._plan(FEES, market, at):
                table = getattr(block, "table", None)
                for refused in getattr(table, "refused", {}).values():
                    if isinstance(refused, PolicyFileError) and refused.file in override_paths:
                        raise refused

    def _check_keys(self, entries: Sequence[Entry], *, strict: bool) -> list[Entry]:
        """``entries`` checked against the keys the markets' plugins declare.  An override
        (``strict``) that fails refuses its file; a plugin's own entry that fails is left
        out and reported in :attr:`problems` (one broken plugin file never stops the SDK)."""
        kept = []
        specs_of: dict[str, Any] = {}
        failed: dict[str, str] = {}  # distribution -> the first of its values refused
        for entry in entries:
            market = self._host.markets.get(entry.market)
            if market is None:
                kept.append(entry)
                continue
            if entry.market not in specs_of:
                specs_of[entry.market] = self._host.declared_keys(self.chain(market))
            specs = specs_of[entry.market]
            if specs is None:
                kept.append(entry)
                continue
            try:
                check_entry(entry, specs, market.currency)
            except PolicyFileError as exc:
                if strict:
                    raise
                failed.setdefault(entry.layer.distribution or entry.layer.name, str(exc))
                continue
            kept.append(entry)
        for distribution, why in failed.items():  # a plugin whose own data is refused is not used
            self._host.withdraw(distribution, f"its policy data does not match the declared keys: {why}")
        return [e for e in kept if e.layer.distribution not in failed] if failed else kept

    def with_overrides(self, *policy_files: str | Path) -> Engine:
        """A new engine like this one with ``policy_files`` layered above its own overrides."""
        files, plugins, entry_points = self._setup
        return Engine(policy_files=[*files, *policy_files], plugins=plugins, entry_points=entry_points)

    # -- what is installed -------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """Plugins that failed to load and markets that are unavailable, one line each."""
        return list(self._host.problems)

    def markets(self) -> list[Market]:
        return sorted(self._host.markets.values(), key=lambda m: m.id)

    def plugins(self) -> list[PluginInfo]:
        return self._host.plugin_infos()

    def market(self, market_id: str) -> Market:
        try:
            return self._host.markets[market_id]
        except KeyError:
            known = ", ".join(sorted(self._host.markets)) or "none (no market plugin is installed)"
            why = next((p for p in self._host.problems if repr(market_id) in p), None)
            raise MarketError(why or f"unknown market {market_id!r}; installed markets: {known}") from None

    def chain(self, market: Market) -> list[Market]:
        """``market`` and its parents, root first."""
        chain = [market]
        while chain[0].parent is not None:
            chain.insert(0, self.market(chain[0].parent))
        return chain

    def policy(self, market_id: str) -> MarketPolicy:
        found = self._policies.get(market_id)
        if found is None:
            market = self.market(market_id)
            owners = {m.id: m.plugin for m in self._host.markets.values()}
            found = MarketPolicy(market, self.chain(market), self._entries, owners)
            self._check_values(found)
            self._policies[market_id] = found
        return found

    def _check_values(self, policy: MarketPolicy) -> None:
        """Refuse values that break a constraint their plugin declares (a ``KeyCheck``),
        in any time slice where every key of the constraint has a value in force."""
        for check in self._host.declared_checks(policy.chain):
            for at in policy.slices_of(check.keys):
                found = [policy.resolve(key, at) for key in check.keys]
                if not all(r.state == "in_force" and r.entry is not None for r in found):
                    continue
                entries = [r.entry for r in found if r.entry is not None]
                problem = check.check({e.key: e.value for e in entries})
                if problem is not None:
                    values = ", ".join(f"{e.key} = {e.value!r}" for e in entries)
                    since = "" if at == dt.datetime.min else f" from {at.isoformat()}"
                    raise PolicyFileError("; ".join(dict.fromkeys(e.path for e in entries)),
                                          f"{values} for {policy.market.id}{since}: {problem} ({check.rule})")

    def view(self, market_id: str, at: dt.date | dt.datetime | str) -> PolicyView:
        """The policy of a market in force at a local date (00:00) or date-time."""
        when = parse_datetime(at)
        return self.policy(market_id).view(self._local(self.market(market_id), when))

    # -- quoting -----------------------------------------------------------------------

    def quote(self, order: OrderRecord | Mapping[str, Any]) -> Quote:
        """Fees, creator commission, net and payout dates of one order, with a gap for
        every figure the policy data cannot determine (:mod:`shoppolicy.pricing`)."""
        record = order if type(order) is OrderRecord else self._order(order)
        market = self._plain_market(record) or self._order_market(record)  # the latter raises, saying why
        record = self._localised(record, market)
        return price(record, market, self._plan(FEES, market, record.placed_at), self._plan)

    def rate_slot(self, order: OrderRecord | Mapping[str, Any], code: str) -> RateSlot | None:
        """Where ``order``'s rate of fee ``code`` lives in the policy data and what it
        multiplies, from the plan that prices it (``None``: the fee does not apply to the
        order, has no rate, or its base is unknown).  ``learn-rates`` inverts it."""
        record = self._order(order)
        market = self._order_market(record)
        record = self._localised(record, market)
        for charge in self._plan(FEES, market, record.placed_at):
            slot_of = getattr(charge, "rate_slot", None)
            if getattr(charge, "code", None) == code and slot_of is not None:
                slot: RateSlot | None = slot_of(record)
                return slot
        return None

    def quote_many(self, orders: Iterable[OrderRecord | Mapping[str, Any]]) -> Iterable[Quote]:
        for order in orders:
            yield self.quote(order)

    def settle(self, orders: Iterable[OrderRecord | Mapping[str, Any]],
               summary: Summary | None = None) -> Iterator[Quote | Rejected]:
        """Settle a stream of orders: a :class:`Quote` per accepted order, a
        :class:`~shoppolicy.settle.Rejected` (line number and reason) per bad one.

        Lazy: nothing is read ahead, so a file of any size streams through.  Pass a
        :class:`~shoppolicy.settle.Summary` to collect totals per market and currency.
        """
        return settle_rows(self, enumerate(orders, start=1), summary)

    def payout(self, order: OrderRecord | Mapping[str, Any]) -> list[PayoutLine]:
        """Payout lines of one order; a payout the policy data cannot date raises its
        :class:`~shoppolicy.errors.PolicyGapError` (:meth:`payout_quote` reports it instead)."""
        quote = self.payout_quote(order)
        for gap in quote.gaps:
            if gap.figure.startswith("payout:"):
                raise gap.as_error()
        return list(quote.payouts)

    def payout_quote(self, order: OrderRecord | Mapping[str, Any]) -> Quote:
        """The quote of an order whose payout dates are asked for: an order without the
        basis date (delivery or completion) is refused with its field rather than left
        pending; a date the policy data cannot give is a gap in the quote."""
        record = self._order(order)
        market = self._order_market(record)
        if getattr(record, market.payout_basis) is None:
            raise InputError(f"required for a payout date in {market.id} (payouts count from it)",
                             field=market.payout_basis)
        return self.quote(record)

    # -- violations and incentives -------------------------------------------------------

    def penalties(self, events: Iterable[ViolationEvent | Mapping[str, Any]],
                  deposit: Decimal | str | None = None) -> list[ShopPenalties]:
        """Apply each shop's events in time order to its security deposit.

        ``deposit`` is every shop's starting balance (in its market's currency); without
        it, deductions are totalled but no balance is kept.
        """
        start = to_decimal(deposit, "deposit") if deposit is not None else None
        shops: dict[tuple[str, str], list[ViolationEvent]] = {}
        for i, raw in enumerate(events, start=1):
            try:
                event = raw if isinstance(raw, ViolationEvent) else structure(raw, ViolationEvent, what="event")
                market = self.market(event.market)
            except MarketError as exc:
                raise InputError(str(exc), field="market", row=i) from None
            except InputError as exc:
                raise exc.at(row=exc.row or i) from None
            # An event has no currency field: its amount is in its market's currency.
            if event.amount is not None and market.currency is not None \
                    and not on_minor_unit(event.amount, market.currency):
                raise InputError(too_precise(event.amount, market.currency), field="amount", row=i)
            handlers = self._violation_handlers(market)
            if event.kind not in handlers:
                raise InputError(f"unknown violation kind {event.kind!r} for {market.id}; known kinds: "
                                 f"{', '.join(sorted(handlers)) or 'none'}", field="kind", row=i)
            event = attrs.evolve(event, at=self._local(market, event.at))
            shops.setdefault((market.id, event.shop_id), []).append(event)
        lookup = self.view
        results = []
        for (market_id, shop_id), shop_events in sorted(shops.items()):
            market = self.market(market_id)
            shop_events.sort(key=lambda e: e.at)
            handlers = self._violation_handlers(market)
            lines: list[PenaltyLine] = []
            for handler in dict.fromkeys(handlers.values()):
                mine = [e for e in shop_events if e.kind in handler.kinds]
                if mine:
                    lines.extend(handler.assess(mine, lookup))
            lines.sort(key=lambda line: line.at)
            results.append(_apply_deposit(market, shop_id, lines, start))
        return results

    def incentive_programs(self) -> dict[str, IncentiveProgram]:
        if self._programs is None:
            programs: dict[str, IncentiveProgram] = {}
            for program in self._host.incentive_programs():
                if program.id in programs:
                    raise ShopPolicyError(f"incentive programme {program.id!r} is declared twice")
                programs[program.id] = program
            self._programs = programs
        return self._programs

    def incentive(self, program_id: str, records: Iterable[Any]) -> list[IncentiveResult]:
        """Evaluate one programme (eligibility, reasons, ranking) over its input records."""
        programs = self.incentive_programs()
        if program_id not in programs:
            raise InputError(f"unknown incentive programme {program_id!r}; known: "
                             f"{', '.join(sorted(programs)) or 'none'}", field="program")
        program = programs[program_id]
        structured = []
        for i, raw in enumerate(records, start=1):
            if isinstance(raw, program.record_type):
                structured.append(raw)
                continue
            try:
                structured.append(structure(raw, program.record_type, what="record"))
            except InputError as exc:
                raise exc.at(row=exc.row or i) from None
        return list(program.evaluate(structured, self.view))

    # -- rules in force ----------------------------------------------------------------

    def declared_keys(self, market_id: str) -> list[KeySpec] | None:
        """The policy keys the plugins declare for a market (``None``: none declared)."""
        return self._host.declared_keys(self.chain(self.market(market_id)))

    def declared_rules(self, market_id: str) -> list[RuleSpec]:
        """The rules declared for a market with no number of their own (e.g. TT-VIO-1)."""
        return self._host.declared_rules(self.chain(self.market(market_id)))

    def rules(self, market_id: str, as_of: dt.date | dt.datetime | str) -> list[RuleState]:
        """Every policy key of a market on a date: value, state, source and layer."""
        view = self.view(market_id, as_of)
        out = []
        for resolved in view.all_states():
            e = resolved.entry
            rule = e.rule if e is not None else (self.policy(market_id).rules_of(resolved.key) or "")
            in_force = resolved.state == "in_force" and e is not None
            out.append(RuleState(
                market=market_id, key=resolved.key, rule=rule, state=resolved.state,
                value=_show(e.value) if in_force and e is not None else None,
                source=e.source if e is not None and not e.is_gap else None,
                confidence=e.confidence if e is not None else None,
                retrieved=e.retrieved if e is not None else None,
                layer=e.layer.name if e is not None else None,
                defined_for=e.market if e is not None else None,
                effective_from=e.start if e is not None else None,
                effective_to=e.end if e is not None else None,
                detail=resolved.detail,
                interpretation=e.interpretation if e is not None else None,
                stale=in_force and e is not None and is_stale(e.retrieved, view.at.date())))
        for spec in self.declared_keys(market_id) or ():  # declared keys the data gives no value for
            if "*" in spec.pattern and any(spec_for(r.key, [spec]) is spec for r in out):
                continue
            if any(r.key == spec.pattern for r in out):
                continue
            out.append(RuleState(market=market_id, key=spec.pattern, rule=spec.rules, state="unset",
                                 detail=f"declared ({spec.type}: {spec.description}); no value in the data"))
        for declared in self.declared_rules(market_id):
            out.append(RuleState(market=market_id, key="", rule=declared.rule, state="no_number",
                                 detail=declared.description))
        return sorted(out, key=lambda r: (r.rule, r.key))

    # -- internals ---------------------------------------------------------------------

    def _order(self, order: OrderRecord | Mapping[str, Any]) -> OrderRecord:
        if isinstance(order, OrderRecord):
            return order
        return structure_order(order)

    def _plain_market(self, record: OrderRecord) -> Market | None:
        """The order's market when it is installed, concrete and in the order's currency;
        otherwise None (:meth:`_order_market` says what is wrong)."""
        market = self._host.markets.get(record.market)
        if market is None or market.abstract or record.currency != market.currency:
            return None
        return market

    def _order_market(self, record: OrderRecord) -> Market:
        """The order's market, after checking market and currency (raises InputError)."""
        try:
            market = self.market(record.market)
        except MarketError as exc:
            raise InputError(str(exc), field="market") from None
        if market.abstract:
            children = sorted(m.id for m in self._host.markets.values() if m.parent == market.id)
            raise InputError(f"{market.id} is a regional parent with no currency of its own; "
                             f"use one of its markets: {', '.join(children)}", field="market")
        if record.currency != market.currency:
            raise InputError(f"expected {market.currency} for market {market.id}, got {record.currency}",
                             field="currency")
        return market

    def _localised(self, record: OrderRecord, market: Market) -> OrderRecord:
        """The record with its times in the market's wall-clock time (rules see local dates)."""
        if (record.placed_at.tzinfo is None and (record.delivered_at is None or record.delivered_at.tzinfo is None)
                and (record.completed_at is None or record.completed_at.tzinfo is None)):
            return record
        return attrs.evolve(
            record, placed_at=self._local(market, record.placed_at),
            delivered_at=self._local(market, record.delivered_at) if record.delivered_at else None,
            completed_at=self._local(market, record.completed_at) if record.completed_at else None)

    def _local(self, market: Market, when: dt.datetime) -> dt.datetime:
        if when.tzinfo is None:
            return when
        zone = self._zones.get(market.timezone)
        if zone is None:
            zone = self._zones[market.timezone] = zoneinfo.ZoneInfo(market.timezone)
        return when.astimezone(zone).replace(tzinfo=None)

    def plan(self, kind: str, market: Market, at: dt.datetime) -> tuple[Any, ...]:
        """The compiled fee (``"fee"``) or payout (``"payout"``) blocks of ``market`` in
        force at the local instant ``at`` (what the batch's columnar path prices with)."""
        return self._plan(kind, market, at)

    def _plan(self, kind: str, market: Market, at: dt.datetime) -> tuple[Any, ...]:
        """The compiled fee (or payout) blocks of ``market`` for the policy time slice of
        ``at``: built once per slice, gaps included, and remembered (and, since a batch
        meets a few dozen distinct times, remembered by the time itself too)."""
        try:
            return self._plans_by_time[(kind, market.id, at)]
        except KeyError:
            pass
        policy = self.policy(market.id)
        key = (kind, market.id, policy.epoch(at))
        found = self._plans.get(key)
        if found is None:
            found = self._plans[key] = self._compile(kind, market, policy.view(at))
        if len(self._plans_by_time) >= 65536:  # bounded, for inputs whose every time stamp differs
            self._plans_by_time.clear()
        self._plans_by_time[(kind, market.id, at)] = found
        return found

    def _compile(self, kind: str, market: Market, view: PolicyView) -> tuple[Any, ...]:
        try:
            blocks = self._host.compile(kind, market, self.chain(market), view)
        except PolicyGapError as gap:  # a plugin that raises while compiling: the gap on every order
            return (Unpriced(kind, market, GapSpec.of(gap)),)
        if blocks is None:  # nobody prices this market: a named gap on every order, never a zero
            return (Unpriced(kind, market, GapSpec(
                market=market.id, rule="(none)", key="fee rules" if kind == FEES else "payout rules",
                detail=f"no installed plugin gives {kind} rules for {market.id} or its parents; install the "
                       "market's plugin or one that prices it")),)
        return tuple(sorted(blocks, key=lambda r: r.rule))

    def _violation_handlers(self, market: Market) -> dict[str, ViolationHandler]:
        found = self._handlers.get(market.id)
        if found is None:
            found = {}
            for handler in self._host.violation_handlers(market):
                for kind in handler.kinds:
                    if kind in found:
                        raise ShopPolicyError(f"{market.id}: violation kind {kind!r} has two handlers")
                    found[kind] = handler
            self._handlers[market.id] = found
        return found


class Unpriced:
    """The plan of a market no plugin prices, or whose compilation raised a gap: a gap on
    every order, dated at the order (its placement for fees, its payout basis for payouts)."""

    def __init__(self, kind: str, market: Market, gap: GapSpec) -> None:
        self.kind, self.gap, self.rule, self.basis = kind, gap, gap.rule, market.payout_basis
        self.code = "fees" if kind == FEES else None

    def apply(self, order: OrderRecord, creator: CreatorShare | None = None) -> tuple[Gap, ...] | Gap:
        if self.kind == FEES:
            return (self.gap.gap("fees", order.placed_at.date()),)
        return self.gap.gap("payout:merchant", getattr(order, self.basis).date())


def _apply_deposit(market: Market, shop_id: str, lines: list[PenaltyLine],
                   start: Decimal | None) -> ShopPenalties:
    currency = market.currency or ""
    total = sum((line.deduction for line in lines), ZERO)
    warnings: list[str] = []
    if start is None:
        return ShopPenalties(shop_id=shop_id, market=market.id, currency=currency, lines=tuple(lines),
                             total_deduction=total)
    if currency and start != start.quantize(quantum(currency)):  # never rounded away: refused
        raise InputError(f"{too_precise(start, currency)} ({market.id})", field="deposit")
    start = start.quantize(quantum(currency)) if currency else start
    balance = start
    out = []
    for line in lines:
        balance -= line.deduction
        if balance < 0 and not warnings:
            warnings.append(f"deposit balance goes below zero ({balance} {currency}) at the {line.kind} event of "
                            f"{line.at.isoformat()}: top up the security deposit")
        out.append(attrs.evolve(line, balance_after=balance))
    return ShopPenalties(shop_id=shop_id, market=market.id, currency=currency, lines=tuple(out),
                         total_deduction=total, deposit_start=start, deposit_balance=balance,
                         warnings=tuple(warnings))


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
