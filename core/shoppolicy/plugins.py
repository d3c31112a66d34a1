"""Plugin discovery and registration: entry points, validation, market ownership.

Entry points of the ``shoppolicy`` group are loaded one at a time (pluggy's own loader
stops at the first broken one).  A plugin that fails to import, to register, or to
validate (unknown hook names, bad market declarations, bad policy files) is
unregistered and reported with its distribution and version; the others keep working.
A market id claimed by two plugins is unavailable, with an error naming both.

What does not live here: policy resolution (:mod:`shoppolicy.policy`) and the facade
callers use (:mod:`shoppolicy.engine`).
"""

from __future__ import annotations

import importlib.metadata
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import attrs
import pluggy

from shoppolicy import hookspecs
from shoppolicy.blocks.keys import KeyCheck, KeySpec, RuleSpec
from shoppolicy.errors import PluginError, ShopPolicyError
from shoppolicy.model import Market
from shoppolicy.policy import ORIGIN_OWNER, Entry, Layer, PolicyView, parse_policy

T = TypeVar("T")

ENTRY_POINT_GROUP = hookspecs.PROJECT


@attrs.frozen(slots=True)
class PluginInfo:
    """What ``shoppolicy plugins`` lists: one registered (or failed) plugin."""

    name: str
    distribution: str
    version: str
    status: str  # "ok" or "failed"
    markets: tuple[str, ...] = ()
    error: str | None = None


class PluginHost:
    """A pluggy manager plus what was learnt while registering plugins."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []
        self.markets: dict[str, Market] = {}
        self.entries: list[Entry] = []
        self.problems: list[str] = []
        self._claims: dict[str, list[str]] = {}
        self._conflicted: set[str] = set()
        self._owners: dict[str, object] = {}  # market id -> the plugin object that owns it
        self._callers: dict[tuple[int, str], Any] = {}
        #: Declared policy keys and rules without keys, by the distribution that declares them.
        self.key_specs: dict[str, list[KeySpec]] = {}
        self.rule_specs: dict[str, list[RuleSpec]] = {}
        self.key_checks: dict[str, list[KeyCheck]] = {}

    # -- loading ---------------------------------------------------------------------

    def load_entry_points(self) -> None:
        """Register every plugin of the ``shoppolicy`` entry-point group, one at a time."""
        eps = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        for ep in eps:
            dist = getattr(ep, "dist", None)
            dist_name = dist.name if dist is not None else ep.value.split(":")[0]
            version = dist.version if dist is not None else ""
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not take the SDK down
                self._fail(ep.name, dist_name, version, f"failed to import {ep.value}: "
                           f"{type(exc).__name__}: {exc}")
                continue
            self.register(plugin, name=ep.name, distribution=dist_name, version=version)

    def register(self, plugin: ModuleType | object, *, name: str | None = None,
                 distribution: str | None = None, version: str = "") -> bool:
        """Register one plugin; return False (and record why) when it cannot be used."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        dist = distribution or name
        if self.pm.is_registered(plugin) or self.pm.get_plugin(name) is not None:
            self._fail(name, dist, version, "registered twice")
            return False
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self._fail(name, dist, version, f"does not match the hook specs: {exc}")
            return False
        try:
            markets = self._declared_markets(plugin, dist)
            entries = self._policy_entries(plugin, dist, version)
            keys = self._declared_keys(plugin)
        except Exception as exc:
            self.pm.unregister(plugin)
            detail = str(exc) if isinstance(exc, ShopPolicyError) else f"{type(exc).__name__}: {exc}"
            self._fail(name, dist, version, f"failed to validate: {detail}")
            return False
        claimed = []
        for market in markets:
            owners = self._claims.setdefault(market.id, [])
            owners.append(f"{dist} {version}".strip())
            if len(owners) > 1:
                self._conflicted.add(market.id)
                self.markets.pop(market.id, None)
                self.problems.append(str(PluginError(
                    f"market {market.id!r} is claimed by {' and by '.join(owners)}; it is unavailable "
                    "until one of them is uninstalled")))
            elif market.id not in self._conflicted:
                self.markets[market.id] = attrs.evolve(market, plugin=dist)
                self._owners[market.id] = plugin
                claimed.append(market.id)
        self.entries.extend(entries)
        if keys:
            self.key_specs.setdefault(dist, []).extend(k for k in keys if isinstance(k, KeySpec))
            self.rule_specs.setdefault(dist, []).extend(k for k in keys if isinstance(k, RuleSpec))
            self.key_checks.setdefault(dist, []).extend(k for k in keys if isinstance(k, KeyCheck))
        self.infos.append(PluginInfo(name=name, distribution=dist, version=version, status="ok",
                                     markets=tuple(claimed)))
        return True

    def withdraw(self, distribution: str, why: str) -> None:
        """Unregister ``distribution``'s plugins after loading (their data was refused):
        their markets, and the variants that depend on them, become unavailable."""
        for plugin in {id(p): p for m, p in self._owners.items()
                       if self.markets.get(m) is not None and self.markets[m].plugin == distribution}.values():
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
        self.infos = [attrs.evolve(i, status="failed", error=why, markets=()) if i.distribution == distribution
                      else i for i in self.infos]
        self.problems.append(str(PluginError(f"not used: {why}", distribution=distribution)))
        for market_id in [m.id for m in self.markets.values() if m.plugin == distribution]:
            self.markets.pop(market_id, None)
            self._owners.pop(market_id, None)
        self.entries = [e for e in self.entries if e.layer.distribution != distribution]
        self.key_specs.pop(distribution, None)
        self.rule_specs.pop(distribution, None)
        self._callers.clear()
        self.finish()

    def finish(self) -> None:
        """Check what needs every plugin loaded: each market's parent exists."""
        for market in list(self.markets.values()):
            if market.parent is not None and market.parent not in self.markets:
                self.problems.append(str(PluginError(
                    f"market {market.id!r} names parent {market.parent!r}, which no loaded plugin declares; "
                    f"{market.id!r} is unavailable", distribution=market.plugin)))
                del self.markets[market.id]

    # -- helpers ---------------------------------------------------------------------

    def _fail(self, name: str, dist: str, version: str, why: str) -> None:
        self.infos.append(PluginInfo(name=name, distribution=dist, version=version, status="failed", error=why))
        self.problems.append(str(PluginError(f"plugin {name!r} was not loaded: {why}",
                                             distribution=dist, version=version)))

    def _impls(self, plugin: object, hook: str) -> list[Any]:
        caller = getattr(self.pm.hook, hook)
        return [impl.function for impl in caller.get_hookimpls() if impl.plugin is plugin]

    def _declared_markets(self, plugin: object, dist: str) -> list[Market]:
        markets: list[Market] = []
        for fn in self._impls(plugin, "shoppolicy_markets"):
            for market in fn() or ():
                if not isinstance(market, Market):
                    raise PluginError(f"shoppolicy_markets returned {type(market).__name__}, expected Market")
                try:
                    zoneinfo.ZoneInfo(market.timezone)
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    raise PluginError(f"market {market.id!r} has an unknown time zone {market.timezone!r}") from None
                if market.currency is None and not market.abstract:
                    raise PluginError(f"market {market.id!r} needs a currency (only an abstract parent may have none)")
                markets.append(market)
        return markets

    def _policy_entries(self, plugin: object, dist: str, version: str) -> list[Entry]:
        entries: list[Entry] = []
        for fn in self._impls(plugin, "shoppolicy_policy_files"):
            for resource in fn() or ():
                entries.extend(load_plugin_file(resource, dist, version))
        return entries

    def _declared_keys(self, plugin: object) -> list[KeySpec | RuleSpec | KeyCheck]:
        keys: list[KeySpec | RuleSpec | KeyCheck] = []
        for fn in self._impls(plugin, "shoppolicy_policy_keys"):
            for spec in fn() or ():
                if not isinstance(spec, (KeySpec, RuleSpec, KeyCheck)):
                    raise PluginError(f"shoppolicy_policy_keys returned {type(spec).__name__}, expected KeySpec, "
                                      "RuleSpec or KeyCheck")
                keys.append(spec)
        return keys

    # -- the typed facade: one method per hook ---------------------------------------

    def compile(self, kind: str, market: Market, chain: Sequence[Market], policy: PolicyView) -> list[Any] | None:
        """The fee (``kind`` "fee") or payout blocks of ``market`` for one policy slice.

        Ownership is the dispatch: the owner of the market answers; when it gives no
        rules (a variant registered with data only), the owner of its parent answers
        for it, and so on up the chain.  ``None``: nobody prices the market.
        """
        hook = "shoppolicy_fee_rules" if kind == "fee" else "shoppolicy_payout_rules"
        implemented = {id(impl.plugin) for impl in getattr(self.pm.hook, hook).get_hookimpls()
                       if not (impl.hookwrapper or impl.wrapper)}
        for owned in reversed(chain):  # the market itself first, then its parents
            plugin = self._owners.get(owned.id)
            if plugin is None or id(plugin) not in implemented:  # an owner with data only: its parent's answer
                continue
            found = self._call(plugin, hook, market=market, policy=policy)
            if found is not None:
                return found
        return None

    def violation_handlers(self, market: Market) -> list[Any]:
        return [handler for batch in self.pm.hook.shoppolicy_violation_handlers(market=market) for handler in batch]

    def incentive_programs(self) -> list[Any]:
        return [program for batch in self.pm.hook.shoppolicy_incentive_programs() for program in batch]

    def declared_keys(self, chain: Sequence[Market]) -> list[KeySpec] | None:
        """The keys declared for a market with this chain (root first); ``None`` when
        no owner in the chain declares any (its data is then not checked)."""
        ids = {m.id for m in chain}
        found: dict[int, KeySpec] | None = None
        for market in chain:
            owner = self.markets.get(market.id)
            for spec in self.key_specs.get(owner.plugin, ()) if owner is not None else ():
                if not spec.markets or ids & set(spec.markets):
                    found = found if found is not None else {}
                    found.setdefault(id(spec), spec)
        return list(found.values()) if found is not None else None

    def declared_rules(self, chain: Sequence[Market]) -> list[RuleSpec]:
        """The rules without keys declared for a market with this chain (root first)."""
        found: dict[str, RuleSpec] = {}
        for spec in self._declared(self.rule_specs, chain):
            found.setdefault(spec.rule, spec)
        return list(found.values())

    def declared_checks(self, chain: Sequence[Market]) -> list[KeyCheck]:
        """The constraints on key values declared for a market with this chain."""
        return list({id(check): check for check in self._declared(self.key_checks, chain)}.values())

    def _declared(self, by_dist: Mapping[str, Sequence[T]], chain: Sequence[Market]) -> list[T]:
        """The declarations of the owners along ``chain`` (root first) that apply to it."""
        ids = {m.id for m in chain}
        found: list[T] = []
        for market in chain:
            owner = self.markets.get(market.id)
            for spec in by_dist.get(owner.plugin, ()) if owner is not None else ():
                markets: tuple[str, ...] = getattr(spec, "markets", ())
                if not markets or ids & set(markets):
                    found.append(spec)
        return found

    def _call(self, plugin: object, hook: str, **kwargs: Any) -> list[Any] | None:
        """``hook`` asked of ``plugin`` and of the plugins that own no market (so their
        wrappers adjust the owner's answer), not of other markets' owners; the answers
        joined (``None``: none answered)."""
        key = (id(plugin), hook)
        caller = self._callers.get(key)
        if caller is None:
            others = [p for p in dict.fromkeys(self._owners.values()) if p is not plugin]
            caller = self._callers[key] = self.pm.subset_hook_caller(hook, remove_plugins=others)
        given = caller(**kwargs)
        return [item for answer in given for item in answer] if given else None

    def plugin_infos(self) -> list[PluginInfo]:
        return sorted(self.infos, key=lambda i: (i.distribution, i.name))


def load_plugin_file(resource: Any, dist: str, version: str) -> list[Entry]:
    """One policy file a plugin ships, as entries of that plugin's layer."""
    owner = f"{dist} {version}" if version else dist
    layer = Layer(name=f"{owner}: {Path(str(resource)).name}", origin=ORIGIN_OWNER, distribution=dist)
    return parse_policy(resource.read_text(encoding="utf-8"), _resource_name(resource, dist), layer)


def _resource_name(resource: Any, dist: str) -> str:
    text = str(resource)
    marker = text.find("site-packages/")
    return f"{dist}:{text[marker + 14:]}" if marker >= 0 else text


def build_host(plugins: Iterable[ModuleType | object] = (), *, entry_points: bool = True) -> PluginHost:
    """A host with the installed plugins (``entry_points``) and ``plugins`` registered."""
    host = PluginHost()
    if entry_points:
        host.load_entry_points()
    for plugin in plugins:
        host.register(plugin)
    host.finish()
    return host
