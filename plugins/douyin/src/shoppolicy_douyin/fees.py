"""Douyin fee schedule: technical service fee (技术服务费, DY-FEE-1) and the Selected
Alliance (精选联盟) creator commission with the platform's take on it (DY-FEE-2, DY-FEE-3).

:func:`compile_fees` reads the policy of one time slice and returns compiled charges;
their ``apply`` does Decimal arithmetic only.  The numbers live in
``policy/douyin.toml`` and the user's override files, never here.  Payout dates and
deposit deductions live in :mod:`.payout` and :mod:`.violations`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

import attrs

from shoppolicy import CreatorShare, FeeLine, InputError, Market, OrderRecord, PolicyFileError, PolicyGapError
from shoppolicy.model import TrailEntry
from shoppolicy.money import round_money, to_decimal
from shoppolicy.policy import Entry, PolicyView
from shoppolicy.rules import CreatorCommission, FastCreator, FastFee, FeeForm, base_named, trail_for

FEE_RULE = "DY-FEE-1"
COMMISSION_RULE = "DY-FEE-2"
TAKE_RULE = "DY-FEE-3"
FEE_CODE = "technical_service_fee"
RATE_PREFIX = "technical_service_fee.rate."
BASE_KEY = "technical_service_fee.base"
MIN_KEY = "technical_service_fee.min_rate"
MAX_KEY = "technical_service_fee.max_rate"
PLANS_KEY = "creator_commission.plans"
TAKE_KEY = "creator_commission.platform_take"


@attrs.frozen(slots=True)
class CategoryRate:
    """One category's technical service fee rate, with where it came from."""

    rate: Decimal
    source: str
    confidence: str | None
    trail: TrailEntry


@attrs.frozen(slots=True)
class TechnicalServiceFee:
    """技术服务费: ``round(amount × category rate)``, half-up to the fen (DY-FEE-1).

    ``refused`` holds categories whose supplied rate lies outside the published range:
    orders of those categories fail with the message (naming the value's file), orders
    of other categories are unaffected.
    """

    market: str
    currency: str
    base: Callable[[OrderRecord], Decimal]
    rates: Mapping[str, CategoryRate]
    policy: PolicyView
    refused: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)
    rule: str = FEE_RULE

    _forms: dict[str, tuple[CategoryRate, FeeForm]] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def fast(self, order: OrderRecord) -> FastFee:
        found, base, amount = self._price(order)
        category = order.category
        assert category is not None
        form = self._forms.get(category)
        if form is None or form[0] is not found:
            form = self._forms[category] = (found, FeeForm(code=FEE_CODE, rule=self.rule, source=found.source,
                                                           rate=found.rate, confidence=found.confidence,
                                                           trail=found.trail))
        return form[1], amount, base

    def apply(self, order: OrderRecord) -> Iterable[FeeLine]:
        form, amount, base = self.fast(order)
        return (form.line(amount, base),)

    def _price(self, order: OrderRecord) -> tuple[CategoryRate, Decimal, Decimal]:
        category = order.category
        if category is None:
            known = ", ".join(sorted(self.rates)) or "none supplied yet"
            raise InputError(f"required for the technical service fee (技术服务费, {self.rule}): the order's "
                             f"category key in the {self.market} fee table (known: {known})", field="category")
        if category in self.refused:
            path, message = self.refused[category]
            raise PolicyFileError(path, message)
        found = self.rates.get(category)
        if found is None:
            # Resolved again for the message only: it says whether the rate ended, is
            # announced, or was never published (the reason of the [[gaps]] entry).
            key = RATE_PREFIX + category
            why = self.policy.state(key)
            raise PolicyGapError(market=self.market, rule=self.rule, key=key, on=order.placed_at.date(),
                                 state=why.state, detail=why.detail, category=category)
        base = self.base(order)
        return found, base, round_money(base * found.rate, self.currency)


@attrs.frozen(slots=True)
class SelectedAllianceCommission:
    """精选联盟佣金: the core's :class:`~shoppolicy.rules.CreatorCommission` (amount ×
    commission_rate, the platform keeping its take from the creator), with Douyin's
    own messages for plans it does not know and a rate given without a plan."""

    inner: CreatorCommission
    rule: str = COMMISSION_RULE

    def fast(self, order: OrderRecord) -> FastCreator | None:
        return self.inner.fast(order) if self._commissioned(order) else None

    def apply(self, order: OrderRecord) -> Iterable[CreatorShare]:
        return self.inner.apply(order) if self._commissioned(order) else ()

    def _commissioned(self, order: OrderRecord) -> bool:
        """Whether the order carries a commission (refusing a plan Douyin does not know)."""
        plan = order.affiliate_plan
        plans = " or ".join(repr(p) for p in sorted(self.inner.plans))
        if plan is None:
            if order.commission_rate is not None:
                # A rate with no plan is ambiguous: refusing it beats silently dropping it.
                raise InputError(f"commission_rate is given but no affiliate_plan: set {plans} (精选联盟) for an "
                                 f"order a creator sold through the Selected Alliance, or leave commission_rate "
                                 f"out ({self.rule}: other orders carry no commission)", field="affiliate_plan")
            return False
        if plan not in self.inner.plans:
            raise InputError(f"expected {plans} (Selected Alliance, 精选联盟; {self.rule}), the affiliate plan "
                             f"Douyin Shop knows; got {plan!r}. Leave it out for an order no creator sold",
                             field="affiliate_plan")
        return True


Fee = TechnicalServiceFee | SelectedAllianceCommission


def compile_fees(market: Market, policy: PolicyView) -> list[Fee]:
    """The charges (:class:`~shoppolicy.rules.Charge`) of one policy time slice: the
    technical service fee and the commission."""
    return [_technical_service_fee(market, policy), _commission(market, policy)]


def _technical_service_fee(market: Market, policy: PolicyView) -> TechnicalServiceFee:
    base_entry = policy.entry(BASE_KEY, FEE_RULE)
    try:
        base = base_named(str(base_entry.value), base_entry)
    except ValueError as exc:
        raise PolicyFileError(base_entry.path, f"{BASE_KEY}: {exc}") from None
    low_entry = policy.entry(MIN_KEY, FEE_RULE)
    high_entry = policy.entry(MAX_KEY, FEE_RULE)
    low, high = _rate(low_entry, MIN_KEY), _rate(high_entry, MAX_KEY)
    rates: dict[str, CategoryRate] = {}
    refused: dict[str, tuple[str, str]] = {}
    for key, entry in policy.with_prefix(RATE_PREFIX):
        category = key[len(RATE_PREFIX):]
        rate = _rate(entry, key)
        if not low <= rate <= high:
            refused[category] = (entry.path, _out_of_range(key, rate, low, high, low_entry, high_entry))
            continue
        trail = trail_for(FEE_RULE, "technical service fee (技术服务费)", [entry, base_entry, low_entry, high_entry],
                          category=category, rate=rate, base=base_entry.value, range=f"{low}-{high}")
        rates[category] = CategoryRate(rate=rate, source=entry.source, confidence=entry.confidence, trail=trail)
    return TechnicalServiceFee(market=market.id, currency=market.currency or "", base=base, rates=rates,
                               policy=policy, refused=refused)


def _commission(market: Market, policy: PolicyView) -> SelectedAllianceCommission:
    plans_entry = policy.entry(PLANS_KEY, COMMISSION_RULE)
    plans = plans_entry.value
    if not isinstance(plans, list) or not plans or not all(isinstance(p, str) for p in plans):
        raise PolicyFileError(plans_entry.path, f"{PLANS_KEY}: expected a list of plan names, got {plans!r}")
    take_entry = policy.entry(TAKE_KEY, TAKE_RULE)
    take = _rate(take_entry, TAKE_KEY)
    trail = trail_for(COMMISSION_RULE, "Selected Alliance creator commission (精选联盟佣金), less the "
                      f"platform's take ({TAKE_RULE})", [plans_entry, take_entry],
                      plans=",".join(plans), platform_take=take)
    inner = CreatorCommission(rule=COMMISSION_RULE, source=f"{plans_entry.source}; {take_entry.source}",
                              currency=market.currency or "", plans=frozenset(plans), platform_take=take,
                              trail=trail)
    return SelectedAllianceCommission(inner=inner)


def _rate(entry: Entry, key: str) -> Decimal:
    try:
        rate = to_decimal(entry.value, key)
    except (TypeError, ValueError) as exc:
        raise PolicyFileError(entry.path, str(exc)) from None
    if not 0 <= rate <= 1:
        raise PolicyFileError(entry.path, f"{key}: expected a rate between \"0\" and \"1\" (e.g. \"0.05\"), "
                              f"got {rate}")
    return rate


def _out_of_range(key: str, rate: Decimal, low: Decimal, high: Decimal, low_entry: Entry, high_entry: Entry) -> str:
    return (f"{key} = {rate} is outside the technical service fee range {low}-{high} ({FEE_RULE}; "
            f"{MIN_KEY} from {low_entry.layer.name}, {MAX_KEY} from {high_entry.layer.name}); correct the rate, "
            f"or if the platform really charges you this, also override {MIN_KEY}/{MAX_KEY} with your source")
