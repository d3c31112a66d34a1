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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs

from shoppolicy.convert import parse_datetime, structure
from shoppolicy.errors import InputError, MarketError, PolicyGapError, ShopPolicyError
from shoppolicy.model import (
    CreatorShare,
    FeeLine,
    IncentiveResult,
    Market,
    OrderRecord,
    PayoutLine,
    PenaltyLine,
    Quote,
    RuleState,
    ShopPenalties,
    TrailEntry,
    ViolationEvent,
)
from shoppolicy.money import ZERO, on_minor_unit, quantum, to_decimal, too_precise
from shoppolicy.orders import structure_order
from shoppolicy.plugins import PluginHost, PluginInfo, build_host
from shoppolicy.policy import ORIGIN_OVERRIDE, Entry, Layer, MarketPolicy, PolicyView, load_policy_file
from shoppolicy.rules import Charge, IncentiveProgram, ViolationHandler
from shoppolicy.settle import Rejected, Summary, settle_rows

_Compiled = tuple[tuple[Any, ...], PolicyGapError | None]
_COMMISSION_FIELDS = ("affiliate_plan", "commission_rate")


class Engine:
    """Markets, plugins and policy layers, with cached plans per market and time slice.

    ``policy_files`` are the user's override files, lowest first (later files win);
    ``plugins`` are extra plugin modules or objects registered from Python, and
    ``entry_points=False`` skips the installed plugins (useful in tests).
    """

    def __init__(self, *, policy_files: Sequence[str | Path] = (),
                 plugins: Iterable[ModuleType | object] = (), entry_points: bool = True) -> None:
        self._host: PluginHost = build_host(plugins, entry_points=entry_points)
        overrides: list[Entry] = []
        for order, file in enumerate(policy_files):
            layer = Layer(name=f"override {Path(file).name}", origin=ORIGIN_OVERRIDE, order=order)
            overrides.extend(load_policy_file(file, layer))
        known = set(self._host.markets)
        for entry in overrides:
            if entry.market not in known:
                raise MarketError(f"{entry.path}: market {entry.market!r} is not a known market "
                                  f"({', '.join(sorted(known)) or 'no plugins installed'})")
        self._entries = [*self._host.entries, *overrides]
        self._policies: dict[str, MarketPolicy] = {}
        self._fee_plans: dict[tuple[str, int], _Compiled] = {}
        self._payout_plans: dict[tuple[str, int], _Compiled] = {}
        self._fast_plans: dict[int, tuple[Callable[..., Any], ...] | None] = {}
        self._handlers: dict[str, dict[str, ViolationHandler]] = {}
        self._programs: dict[str, IncentiveProgram] | None = None
        self._zones: dict[str, zoneinfo.ZoneInfo] = {}

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
            found = self._policies[market_id] = MarketPolicy(market, self.chain(market), self._entries, owners)
        return found

    def view(self, market_id: str, at: dt.date | dt.datetime | str) -> PolicyView:
        """The policy of a market in force at a local date (00:00) or date-time."""
        when = parse_datetime(at)
        return self.policy(market_id).view(self._local(self.market(market_id), when))

    # -- quoting -----------------------------------------------------------------------

    def quote(self, order: OrderRecord | Mapping[str, Any]) -> Quote:
        """Fees, creator commission, net and payout dates of one order."""
        # The batch's hot path: one call per order, so the common case is kept flat.
        record = order if type(order) is OrderRecord else self._order(order)
        market = self._plain_market(record) or self._order_market(record)  # the latter raises, saying why
        record = self._localised(record, market)
        fees: list[FeeLine] = []
        creator: CreatorShare | None = None
        for charge in self._fee_plan(market, record.placed_at):
            for line in charge.apply(record):
                if type(line) is FeeLine:
                    fees.append(line)
                elif creator is None:
                    assert isinstance(line, CreatorShare)
                    creator = line
                else:
                    raise ShopPolicyError(f"{market.id}: two creator commissions on order {record.order_id} "
                                          f"({creator.rule}, {line.rule})")
        total = ZERO
        trail: list[TrailEntry] = []
        for f in fees:
            total += f.amount
            if f.trail is not None:
                trail.append(f.trail)
        net = record.amount - total
        if creator is not None:
            net -= creator.commission
            if creator.trail is not None:
                trail.append(creator.trail)
        payouts, pending = self._payouts(market, record, creator, strict=False)
        merchant, creator_date = paid_dates(((p.party, p.date, p.trail) for p in payouts), trail)
        return Quote(record.order_id, market.id, record.currency, record.amount, tuple(fees), net, creator,
                     merchant, creator_date, tuple(payouts), _passthrough(record), tuple(pending), tuple(trail))

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
        """Payout lines of one order; a policy gap raises instead of being reported."""
        record = self._order(order)
        market = self._order_market(record)
        record = self._localised(record, market)
        if getattr(record, market.payout_basis) is None:
            raise InputError(f"required for a payout date in {market.id} (payouts count from it)",
                             field=market.payout_basis)
        creator = None
        if record.affiliate_plan is not None:
            # Only the commission matters here: a fee that cannot be computed (no published
            # rate, no category) must not stop the payout date; a bad commission must.
            for charge in self._fee_plan(market, record.placed_at):
                try:
                    creator = next((x for x in charge.apply(record) if isinstance(x, CreatorShare)), creator)
                except PolicyGapError:
                    continue
                except InputError as exc:
                    if exc.field in _COMMISSION_FIELDS:
                        raise
                    continue
        payouts, _ = self._payouts(market, record, creator, strict=True)
        return payouts

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
            for batch in self._host.pm.hook.shoppolicy_incentive_programs():
                for program in batch:
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
                interpretation=e.interpretation if e is not None else None))
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

    def _compile(self, cache: dict[tuple[str, int], _Compiled], hook: str, market: Market,
                 at: dt.datetime) -> _Compiled:
        policy = self.policy(market.id)
        key = (market.id, policy.epoch(at))
        found = cache.get(key)
        if found is None:
            view = policy.view(at)
            try:
                batches = getattr(self._host.pm.hook, hook)(market=market, policy=view)
                rules = sorted((r for batch in batches for r in batch), key=lambda r: r.rule)
                found = (tuple(rules), None)
            except PolicyGapError as gap:
                found = ((), gap)
            cache[key] = found
        return found

    def _fee_plan(self, market: Market, at: dt.datetime) -> tuple[Charge, ...]:
        charges, gap = self._compile(self._fee_plans, "shoppolicy_fee_rules", market, at)
        if gap is not None:
            raise gap
        return charges

    def _fast_methods(self, payouts: bool, market: Market, at: dt.datetime) -> tuple[Callable[..., Any], ...] | None:
        """The ``fast`` methods of a plan's charges (or payout rules), or None when one
        has none or the plan is a gap: the batch then quotes the order in full."""
        cache, hook = ((self._payout_plans, "shoppolicy_payout_rules") if payouts
                       else (self._fee_plans, "shoppolicy_fee_rules"))
        compiled = self._compile(cache, hook, market, at)
        key = id(compiled)  # compiled plans are cached for the engine's life: their ids stay theirs
        if key not in self._fast_plans:
            rules, gap = compiled
            methods = tuple(r.fast for r in rules if _fast_is_own(r))
            self._fast_plans[key] = methods if gap is None and len(methods) == len(rules) else None
        return self._fast_plans[key]

    def _payouts(self, market: Market, record: OrderRecord, creator: CreatorShare | None,
                 *, strict: bool) -> tuple[list[PayoutLine], list[str]]:
        basis = getattr(record, market.payout_basis)
        if basis is None:
            return [], [f"payout: the order has no {market.payout_basis} yet"]
        rules, gap = self._compile(self._payout_plans, "shoppolicy_payout_rules", market, basis)
        if gap is not None:
            if strict:
                raise gap
            return [], [f"payout: {gap}"]
        lines: list[PayoutLine] = []
        pending: list[str] = []
        for rule in rules:
            try:
                line = rule.apply(record, creator)
            except (PolicyGapError, InputError) as exc:
                # A quote still gives its fees; the payout it cannot date is named, not guessed.
                if strict:
                    raise
                pending.append(f"payout: {exc}")
                continue
            if line is not None:
                lines.append(line)
        return lines, pending

    def _violation_handlers(self, market: Market) -> dict[str, ViolationHandler]:
        found = self._handlers.get(market.id)
        if found is None:
            found = {}
            for batch in self._host.pm.hook.shoppolicy_violation_handlers(market=market):
                for handler in batch:
                    for kind in handler.kinds:
                        if kind in found:
                            raise ShopPolicyError(f"{market.id}: violation kind {kind!r} has two handlers")
                        found[kind] = handler
            self._handlers[market.id] = found
        return found


def paid_dates(paid: Iterable[tuple[str, dt.date, TrailEntry | None]],
               trail: list[TrailEntry]) -> tuple[dt.date | None, dt.date | None]:
    """The first merchant and creator payout dates of ``(party, date, trail)`` lines,
    adding each line's trail entry to ``trail``."""
    merchant = creator = None
    for party, day, why in paid:
        if party == "merchant":
            merchant = merchant or day
        elif party == "creator":
            creator = creator or day
        if why is not None:
            trail.append(why)
    return merchant, creator


def _fast_is_own(rule: object) -> bool:
    """Whether ``rule`` has a ``fast`` method written for its own ``apply``: a subclass
    that overrides ``apply`` but inherits ``fast`` would price orders differently."""
    mro = type(rule).__mro__
    fast_owner = next((c for c in mro if "fast" in vars(c)), None)
    apply_owner = next((c for c in mro if "apply" in vars(c)), None)
    return (fast_owner is not None and apply_owner is not None and callable(getattr(rule, "fast", None))
            and issubclass(fast_owner, apply_owner))


def _passthrough(record: OrderRecord) -> dict[str, Decimal]:
    if not (record.platform_discount or record.buyer_shipping or record.tax or record.refunded):
        return {}
    parts = {"platform_discount": record.platform_discount, "buyer_shipping": record.buyer_shipping,
             "tax": record.tax, "refunded": record.refunded}
    shown = {k: v for k, v in parts.items() if v}
    shown["customer_payment"] = record.customer_payment
    return shown


def _apply_deposit(market: Market, shop_id: str, lines: list[PenaltyLine],
                   start: Decimal | None) -> ShopPenalties:
    currency = market.currency or ""
    total = sum((line.deduction for line in lines), ZERO)
    warnings: list[str] = []
    if start is None:
        return ShopPenalties(shop_id=shop_id, market=market.id, currency=currency, lines=tuple(lines),
                             total_deduction=total)
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
