"""The conformance checks a plugin distribution runs against itself.

Each check returns an :class:`Outcome`: the problems found (an empty list passes), or a
reason it was skipped, plus warnings.  The pytest plugin
(:mod:`shoppolicy.testing.pytest_plugin`) turns each check into one test item; tools can
call :meth:`Conformance.run` directly.

A plugin declares sample inputs as optional attributes of the object its entry point
loads (usually the module with the hook implementations):

``SAMPLE_ORDERS``
    a list of order records (dicts with the order-record fields), at least one per market
    the plugin owns;
``SAMPLE_EVENTS``
    a list of violation events;
``SAMPLE_RECORDS``
    a mapping of incentive programme id to a list of its input records.

They are data, not hooks, so the hook specs stay unchanged and pluggy ignores them.
"""

from __future__ import annotations

import importlib.metadata
import re
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any

import attrs
import pluggy

from shoppolicy import hookspecs
from shoppolicy.authoring import Shipped, describe, entry_problems, load_shipped, normalize_distribution
from shoppolicy.convert import structure
from shoppolicy.engine import Engine
from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.model import CreatorShare, FeeLine, IncentiveResult, Market, OrderRecord, Quote, ShopPenalties
from shoppolicy.money import MINOR_UNITS, ZERO, quantum, unknown_currency

SAMPLE_ATTRIBUTES = ("SAMPLE_ORDERS", "SAMPLE_EVENTS", "SAMPLE_RECORDS")
_MARKET_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@attrs.frozen
class Check:
    id: str
    title: str


CHECKS: tuple[Check, ...] = (
    Check("entry-points", "the distribution declares plugins in the shoppolicy entry-point group, and they import"),
    Check("hooks", "every hook implementation matches its spec (pluggy validation and check_pending)"),
    Check("markets", "every market has a valid id, currency and time zone, and an existing parent"),
    Check("policy-data", "every shipped value has a source that resolves, valid dates and known keys, "
                         "with no overlapping date ranges in one layer"),
    Check("engine", "the engine loads the plugin beside every other installed plugin, and its markets resolve"),
    Check("samples", "the declared sample orders, events and records evaluate without error"),
    Check("exact-money", "no float reaches money: policy values are exact and every money figure is a Decimal "
                         "on the currency's minor unit"),
    Check("split-property", "for orders generated from the samples, fees + creator commission + net == amount "
                            "exactly"),
    Check("declared-keys", "the plugin declares the policy keys its markets read (shoppolicy_policy_keys), so a "
                           "misspelt key in a policy file is refused at load"),
)


@attrs.frozen
class Outcome:
    """What one check found: ``problems`` (empty passes), or ``skipped`` with the reason."""

    problems: list[str] = attrs.field(factory=list)
    skipped: str | None = None
    warnings: list[str] = attrs.field(factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems and self.skipped is None


@attrs.frozen
class _Loaded:
    name: str
    value: str
    plugin: object | None
    error: str | None


class Conformance:
    """The conformance checks of one installed distribution.

    Everything is loaded lazily and once: the distribution's entry points, a plugin
    manager holding only its plugins, an :class:`~shoppolicy.engine.Engine` with every
    installed plugin, and the results of the samples.
    """

    def __init__(self, distribution: str, *, max_examples: int = 50) -> None:
        self.distribution = distribution
        self.max_examples = max_examples
        self._key = normalize_distribution(distribution)

    def run(self, check: str) -> Outcome:
        """Run one check by id (see :data:`CHECKS`)."""
        method = getattr(self, "check_" + check.replace("-", "_"), None)
        if method is None:
            raise ValueError(f"unknown check {check!r}; known: {', '.join(c.id for c in CHECKS)}")
        if check != "entry-points" and not self._plugins:
            return Outcome([f"cannot check: {self._why_unloaded()}"])
        outcome: Outcome = method()
        return outcome

    def run_all(self) -> dict[str, Outcome]:
        return {c.id: self.run(c.id) for c in CHECKS}

    # -- what is loaded ----------------------------------------------------------------

    @cached_property
    def _entry_points(self) -> list[_Loaded]:
        found = []
        for ep in sorted(importlib.metadata.entry_points(group=hookspecs.PROJECT), key=lambda e: e.name):
            if ep.dist is None or normalize_distribution(ep.dist.name) != self._key:
                continue
            try:
                found.append(_Loaded(ep.name, ep.value, ep.load(), None))
            except Exception as exc:
                found.append(_Loaded(ep.name, ep.value, None, describe(exc)))
        return found

    @cached_property
    def _plugins(self) -> list[tuple[str, object]]:
        return [(e.name, e.plugin) for e in self._entry_points if e.plugin is not None]

    def _why_unloaded(self) -> str:
        if not self._entry_points:
            return f"{self.distribution} is not installed or declares no entry point in group {hookspecs.PROJECT!r}"
        return "no entry point of the distribution imports (see the entry-points check)"

    @cached_property
    def _manager(self) -> tuple[pluggy.PluginManager, list[str]]:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        problems = []
        for name, plugin in self._plugins:
            try:
                pm.register(plugin, name=name)
            except Exception as exc:
                problems.append(f"{name}: {exc}")
        return pm, problems

    @cached_property
    def _shipped(self) -> Shipped:
        return load_shipped([self.distribution])

    @cached_property
    def engine(self) -> Engine:
        return Engine()

    def _dist_name(self) -> str:
        return next((p.distribution for p in self._shipped.plugins), self.distribution)

    def _own_markets(self) -> list[Market]:
        return [m for p in self._shipped.plugins for m in p.markets]

    # -- checks ------------------------------------------------------------------------

    def check_entry_points(self) -> Outcome:
        if not self._entry_points:
            return Outcome([self._why_unloaded()])
        return Outcome([f"entry point {e.name} = {e.value} failed to import: {e.error}"
                        for e in self._entry_points if e.error])

    def check_hooks(self) -> Outcome:
        pm, registration = self._manager
        problems = list(registration)
        specs = sorted(n for n in dir(hookspecs) if n.startswith(hookspecs.PROJECT + "_"))
        for name in sorted(pm.hook.__dict__):
            caller = getattr(pm.hook, name)
            if name.startswith("_") or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if not impl.optionalhook:
                    problems.append(f"{impl.plugin_name}: unknown hook {name!r} (no such hook spec; known: "
                                    f"{', '.join(specs)})")
        if not problems:
            try:
                pm.check_pending()
            except pluggy.PluginValidationError as exc:
                problems.append(str(exc))
        for name, plugin in self._plugins:
            impls = [n for n in dir(plugin) if n.startswith(hookspecs.PROJECT + "_")
                     and callable(getattr(plugin, n, None))]
            unmarked = [n for n in impls if not hasattr(getattr(plugin, n), f"{hookspecs.PROJECT}_impl")]
            problems.extend(f"{name}: {n} is not decorated with @shoppolicy.hookimpl, so pluggy ignores it"
                            for n in unmarked)
            if pm.is_registered(plugin) and not pm.get_hookcallers(plugin):
                problems.append(f"{name}: implements no shoppolicy hook")
        return Outcome(problems)

    def check_markets(self) -> Outcome:
        pm, registration = self._manager
        if registration:
            return Outcome([f"cannot check: the plugin does not register ({registration[0]})"])
        problems: list[str] = []
        declared: list[Market] = []
        for impl in pm.hook.shoppolicy_markets.get_hookimpls():
            try:
                result: Any = impl.function() or ()
            except Exception as exc:
                problems.append(f"{impl.plugin_name}: shoppolicy_markets raised {describe(exc)}")
                continue
            for market in result:
                if isinstance(market, Market):
                    declared.append(market)
                else:
                    problems.append(f"{impl.plugin_name}: shoppolicy_markets returned {type(market).__name__}, "
                                    "expected shoppolicy.Market")
        known = self._shipped.all_markets
        seen: set[str] = set()
        for m in declared:
            problems.extend(f"market {m.id!r}: {p}" for p in _market_problems(m, known))
            if m.id in seen:
                problems.append(f"market {m.id!r} is declared twice")
            seen.add(m.id)
            others = [d for d in self._shipped.claims.get(m.id, ()) if normalize_distribution(d) != self._key]
            if others:
                problems.append(f"market {m.id!r} is also declared by {', '.join(others)}: each market id has "
                                "one owner")
        return Outcome(problems)

    def check_policy_data(self) -> Outcome:
        shipped = self._shipped
        problems = [str(p) for p in shipped.problems if p.kind == "policy"]
        problems.extend(str(p) for p in entry_problems(shipped.entries, shipped.all_markets, shipped.owners))
        return Outcome(problems)

    def check_engine(self) -> Outcome:
        engine = self.engine
        dist = self._dist_name()
        # The host reports a plugin that failed to load, a market claimed twice and a
        # missing parent with the distribution's name in the line.
        problems = [p for p in engine.problems if dist in p]
        available = {m.id for m in engine.markets()}
        for m in self._own_markets():
            if m.id not in available:
                if not problems:
                    problems.append(f"market {m.id!r} is not available in the engine")
                continue
            try:
                engine.policy(m.id)
            except ShopPolicyError as exc:
                problems.append(f"market {m.id!r}: {exc}")
        return Outcome(problems)

    def _samples(self, attribute: str) -> Iterator[tuple[str, Any]]:
        for name, plugin in self._plugins:
            value = getattr(plugin, attribute, None)
            if value is not None:
                yield name, value

    @cached_property
    def _sample_results(self) -> tuple[list[Quote], list[ShopPenalties], list[IncentiveResult], Outcome]:
        engine = self.engine
        problems: list[str] = []
        quotes: list[Quote] = []
        shops: list[ShopPenalties] = []
        incentives: list[IncentiveResult] = []
        orders = self._sample_orders(problems)
        for order in orders:
            try:
                quote = engine.quote(order)
            except ShopPolicyError as exc:
                problems.append(f"sample order {order.get('order_id')!r} ({order.get('market')}): {exc}")
                continue
            except Exception as exc:  # a plugin bug: report it with the order, keep checking the others
                problems.append(f"sample order {order.get('order_id')!r} ({order.get('market')}): {describe(exc)}")
                continue
            quotes.append(quote)
            problems.extend(f"sample order {quote.order_id!r}: {p}" for p in split_problems(quote))
        for name, events in self._samples("SAMPLE_EVENTS"):
            if not _is_records(events):
                problems.append(f"{name}.SAMPLE_EVENTS: expected a list of event dicts")
                continue
            try:
                shops.extend(engine.penalties(events))
            except ShopPolicyError as exc:
                problems.append(f"{name}.SAMPLE_EVENTS: {exc}")
        for name, programs in self._samples("SAMPLE_RECORDS"):
            if not isinstance(programs, Mapping) or not all(_is_records(r) for r in programs.values()):
                problems.append(f"{name}.SAMPLE_RECORDS: expected a mapping of programme id to a list of record dicts")
                continue
            for program, records in programs.items():
                try:
                    incentives.extend(engine.incentive(program, records))
                except ShopPolicyError as exc:
                    problems.append(f"{name}.SAMPLE_RECORDS[{program!r}]: {exc}")
        if not any(True for a in SAMPLE_ATTRIBUTES for _ in self._samples(a)):
            return quotes, shops, incentives, Outcome(skipped="the plugin declares no SAMPLE_ORDERS, SAMPLE_EVENTS "
                                                              "or SAMPLE_RECORDS (see the plugin testing guide)")
        warnings = []
        sampled = {str(o.get("market")) for o in orders}
        missing = [m.id for m in self._own_markets() if not m.abstract and m.id not in sampled]
        if missing:
            warnings.append(f"no SAMPLE_ORDERS for market(s) {', '.join(missing)}: the kit cannot check their "
                            "arithmetic")
        return quotes, shops, incentives, Outcome(problems, None, warnings)

    def _sample_orders(self, problems: list[str]) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = []
        for name, value in self._samples("SAMPLE_ORDERS"):
            if _is_records(value):
                orders.extend(dict(o) for o in value)
            else:
                problems.append(f"{name}.SAMPLE_ORDERS: expected a list of order dicts")
        return orders

    def check_samples(self) -> Outcome:
        return self._sample_results[3]

    def check_exact_money(self) -> Outcome:
        problems = [f"{e.path}: value holds the float {f!r}; write decimals as strings"
                    for e in self._shipped.entries for f in _floats(e.value)]
        problems.extend(self._fee_line_problems())
        quotes, shops, incentives, _ = self._sample_results
        for q in quotes:
            problems.extend(f"sample order {q.order_id!r}: {p}" for p in split_problems(q))
        for shop in shops:
            for line in shop.lines:
                for what, value in (("deduction", line.deduction), ("uncapped", line.uncapped),
                                    ("balance_after", line.balance_after)):
                    problems.extend(f"penalty of shop {shop.shop_id!r} ({line.kind}): {p}"
                                    for p in _money_problems(what, value, shop.currency, optional=what != "deduction"))
        for r in incentives:
            if r.score is not None and not isinstance(r.score, Decimal):
                problems.append(f"incentive {r.program} for {r.subject!r}: score is a {type(r.score).__name__}, "
                                "expected a Decimal")
        return Outcome(list(dict.fromkeys(problems)))

    def _fee_line_problems(self) -> list[str]:
        """Check what this plugin's compiled charges yield for each sample order, before the
        engine adds anything up (a float would only surface there as a TypeError)."""
        pm, _ = self._manager
        engine = self.engine
        problems: list[str] = []
        for order in self._sample_orders([]):
            try:
                record = structure(order, OrderRecord, what="order")
                market = engine.market(record.market)
                view = engine.view(market.id, record.placed_at)
                batches: list[Any] = [impl.function(market=market, policy=view)
                                      for impl in pm.hook.shoppolicy_fee_rules.get_hookimpls()]
                lines = [line for batch in batches for charge in batch or () for line in charge.apply(record)]
            except ShopPolicyError:
                continue  # the samples check reports it
            currency = market.currency or ""
            where = f"sample order {record.order_id!r}"
            for line in lines:
                if isinstance(line, FeeLine):
                    problems.extend(f"{where}: {p}" for p in _fee_problems(line, currency))
                elif isinstance(line, CreatorShare):
                    problems.extend(f"{where}: {p}" for p in _creator_problems(line, currency))
        return problems

    def _usable_samples(self) -> list[dict[str, Any]] | Outcome:
        """The sample orders that quote without error, or why there are none."""
        orders = self._sample_orders([])
        quotes = {q.order_id for q in self._sample_results[0]}
        usable = [o for o in orders if o.get("order_id") in quotes]
        if not orders:
            return Outcome(skipped="the plugin declares no SAMPLE_ORDERS to generate orders from")
        if not usable:
            return Outcome(skipped="no sample order quotes without error (see the samples check), so there is "
                                   "nothing to generate orders from")
        return usable

    def check_split_property(self) -> Outcome:
        usable = self._usable_samples()
        if isinstance(usable, Outcome):
            return usable
        return Outcome(split_property_problems(self.engine, usable, self.max_examples))

    def check_declared_keys(self) -> Outcome:
        host = self.engine._host
        owned = [m for m in self.engine.markets() if normalize_distribution(m.plugin) == self._key]
        if not owned:
            return Outcome(skipped="the distribution owns no market")
        return Outcome([f"market {m.id!r}: no policy keys declared (implement shoppolicy_policy_keys)"
                        for m in owned if host.declared_keys(self.engine.chain(m)) is None])


# --- shared helpers ---------------------------------------------------------------------


def _is_records(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, Mapping) for v in value)


def _market_problems(m: Market, known: Mapping[str, Market]) -> list[str]:
    problems = []
    if not _MARKET_ID.fullmatch(m.id):
        problems.append("the id must be lowercase letters and digits joined by hyphens (e.g. example-mall)")
    if not m.name.strip():
        problems.append("needs a name")
    if m.currency is None and not m.abstract:
        problems.append("needs a currency (only an abstract regional parent may have none)")
    elif m.currency is not None and m.currency not in MINOR_UNITS:
        problems.append(f"unknown currency: {unknown_currency(m.currency)}")
    try:
        zoneinfo.ZoneInfo(m.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(f"unknown time zone {m.timezone!r}; expected an IANA name such as Asia/Shanghai")
    parent, seen = m.parent, {m.id}
    while parent is not None:
        if parent not in known:
            problems.append(f"parent {parent!r} is declared by no installed plugin")
            break
        if parent in seen:
            problems.append(f"parent chain loops back to {parent!r}")
            break
        seen.add(parent)
        parent = known[parent].parent
    return problems


def _floats(value: object) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _floats(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _floats(item)


def _money_problems(what: str, value: object, currency: str, *, optional: bool = False,
                    on_unit: bool = True) -> list[str]:
    if value is None and optional:
        return []
    if not isinstance(value, Decimal):
        return [f"{what} is a {type(value).__name__} ({value!r}), expected a Decimal"]
    if on_unit and currency in MINOR_UNITS and value != value.quantize(quantum(currency)):
        return [f"{what} {value} is not on the {currency} minor unit ({quantum(currency)})"]
    return []


def _fee_problems(f: FeeLine, currency: str) -> list[str]:
    problems = _money_problems(f"fee {f.code} amount", f.amount, currency)
    for what, value in (("base", f.base), ("rate", f.rate), ("fixed", f.fixed)):
        problems.extend(_money_problems(f"fee {f.code} {what}", value, currency, optional=True, on_unit=False))
    return problems


def _creator_problems(c: CreatorShare, currency: str) -> list[str]:
    problems = []
    for what, value in (("commission", c.commission), ("platform_take", c.platform_take),
                        ("creator_receives", c.creator_receives)):
        problems.extend(_money_problems(f"creator {what}", value, currency))
    if not problems and c.platform_take + c.creator_receives != c.commission:
        problems.append(f"creator: platform_take {c.platform_take} + creator_receives {c.creator_receives} "
                        f"!= commission {c.commission}")
    return problems


def split_problems(q: Quote) -> list[str]:
    """Why a quote's split does not add back exactly (empty when it does)."""
    problems = [p for f in q.fees for p in _fee_problems(f, q.currency)]
    commission = ZERO
    if q.creator is not None:
        problems.extend(_creator_problems(q.creator, q.currency))
        commission = q.creator.commission
    if q.net is None:  # an incomplete quote: nothing to add back until its gaps are filled
        return problems
    problems.extend(_money_problems("net", q.net, q.currency, on_unit=False))
    if not problems:
        fees = sum((f.amount for f in q.fees), ZERO)
        if fees + commission + q.net != q.amount:
            problems.append(f"fees {fees} + creator commission {commission} + net {q.net} != amount {q.amount}")
    return problems


def split_property_problems(engine: Engine, samples: Sequence[Mapping[str, Any]], max_examples: int) -> list[str]:
    """Generate orders around each sample (amount, quantity, commission rate, price parts)
    with hypothesis and check that every split adds back exactly."""

    def split_adds_back(record: OrderRecord) -> None:
        found = split_problems(engine.quote(record))
        assert not found, "; ".join(found)

    return _around_samples(engine, samples, max_examples, split_adds_back)


def _around_samples(engine: Engine, samples: Sequence[Mapping[str, Any]], max_examples: int,
                    check: Callable[[OrderRecord], None]) -> list[str]:
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        return ["hypothesis is not installed: pip install 'shoppolicy[test]'"]
    problems = []
    for sample in samples:
        try:
            _property(sample, max_examples, check)()
        except Exception as exc:
            notes = [n for n in getattr(exc, "__notes__", []) if n.strip()]
            detail = f"{type(exc).__name__}: {exc}" + ("\n" + "\n".join(notes) if notes else "")
            problems.append(f"orders generated from sample {sample.get('order_id')!r} ({sample.get('market')}): "
                            f"{detail}")
    return problems


def _property(sample: Mapping[str, Any], max_examples: int, check: Callable[[OrderRecord], None]) -> Callable[[], None]:
    from hypothesis import HealthCheck, Phase, given, reject, settings
    from hypothesis import strategies as st

    currency = str(sample.get("currency"))
    places = MINOR_UNITS.get(currency, 2)
    money = st.decimals(min_value=0, max_value=100_000, places=places, allow_nan=False, allow_infinity=False)

    def holds_around_sample(amount: Decimal, quantity: int, rate: Decimal, parts: st.DataObject) -> None:
        order = dict(sample, amount=str(amount), quantity=quantity)
        if order.get("affiliate_plan") is not None:
            order["commission_rate"] = str(rate)
        for part in ("platform_discount", "buyer_shipping", "tax", "refunded"):
            if order.get(part) not in (None, "0", 0):  # vary only the price parts the sample uses
                order[part] = str(parts.draw(money, label=part))
        try:
            record = structure(order, OrderRecord, what="order")
        except InputError:
            reject()  # e.g. a refund above what the buyer paid: not an order
        check(record)

    # Named after the check, so hypothesis's falsifying example says which property failed.
    holds_around_sample.__name__ = holds_around_sample.__qualname__ = check.__name__
    # Derandomised and without a database: the same orders on every run, no files written.
    test: Callable[[], None] = settings(
        max_examples=max_examples, deadline=None, database=None, derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=[HealthCheck.too_slow])(
        given(amount=money, quantity=st.integers(1, 5),
              rate=st.integers(0, 10_000).map(lambda n: Decimal(n).scaleb(-4)), parts=st.data())(holds_around_sample))
    return test
