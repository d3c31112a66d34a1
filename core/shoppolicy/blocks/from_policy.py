"""Building blocks from policy data: read one market's values in force for a time slice
(a :class:`~shoppolicy.policy.PolicyView`) and build the blocks that price its orders.

A plugin composes its market from these readers; the keys each reads are declared in
:mod:`.keys`.  A number the data does not give becomes a gap inside the block (only the
orders that need it carry it), never a silent zero.

Fee keys, relative to a fee's prefix (``fee.<code>.`` for a market's ``fee.charged``
list): ``base`` (a name of :data:`~shoppolicy.blocks.bases.BASES`), ``rate``,
``rate.<key>``, ``rate_incl_tax.<key>``, ``seller_rate.<seller_type>``, ``keyed_by``,
``store_types``, ``fixed``, ``cap_per_unit``, ``on_refund``, ``seller_types``,
``charged_store_types``, ``exempt_if`` and ``charged_if`` (order flags, :data:`FLAGS`),
``discount.rate``, ``discount.on_rate``, ``discount.fixed``, ``label``,
``min_rate``/``max_rate`` (a published range: rates outside it are refused, and it is
the range of a missing rate), ``low_cap_per_unit``/``high_cap_per_unit`` (the caps of
that range's two ends, where its sources cap differently).  An add-on's prefix holds
``rate`` and ``base_fraction`` (a tax on its parent fee) or ``share``, ``cap_per_sku``
and ``exempt_if`` (a share of its parent fee on refund).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation

from shoppolicy.blocks.bases import base_named
from shoppolicy.blocks.commission import CommissionGap, CreatorCommission
from shoppolicy.blocks.fees import (
    AddOn,
    GapFee,
    GapSpec,
    Payers,
    PercentFee,
    RateChoice,
    RateTable,
    RefundShareFee,
    TaxOnFee,
)
from shoppolicy.blocks.keys import KEY_FIELDS, ON_REFUND, TYPES
from shoppolicy.blocks.payouts import PayoutDays, Period
from shoppolicy.errors import PolicyFileError, PolicyGapError
from shoppolicy.model import DERIVED_FLAGS, FLAG_FIELDS, Market
from shoppolicy.money import ZERO, quantum, to_decimal
from shoppolicy.policy import Entry, PolicyView
from shoppolicy.policy_check import value_problem
from shoppolicy.trail import trail_for

#: The order flags ``exempt_if`` and ``charged_if`` may name.
FLAGS = (*FLAG_FIELDS, *DERIVED_FLAGS)
TAX_ON, REFUND_SHARE = "tax_on", "refund_share"



# --- reading values ---------------------------------------------------------------------


def required(policy: PolicyView, key: str, rule: str) -> Entry:
    """The entry in force for ``key``; otherwise its policy gap is raised."""
    found = policy.state(key)
    if found.state == "in_force" and found.entry is not None:
        return found.entry
    raise policy.gap(key, rule, found=found)


def optional(policy: PolicyView, key: str, rule: str) -> Entry | None:
    """The entry in force; ``None`` when no value of ``key`` is in force (the block has
    no such part now); the policy gap when a ``[[gaps]]`` entry for ``key`` is in force."""
    found = policy.state(key)
    if found.state == "in_force" and found.entry is not None:
        return found.entry
    if found.state == "gap" and found.entry is not None:
        raise policy.gap(key, rule, found=found)
    return None


def decimal(entry: Entry, *, low: Decimal | None = None, high: Decimal | None = None) -> Decimal:
    try:
        value = to_decimal(entry.value)
    except (TypeError, ValueError) as exc:
        raise PolicyFileError(entry.path, f"{entry.key}: {exc}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise PolicyFileError(entry.path, f"{entry.key}: expected a value between {low} and {high}, got {value}")
    return value


def rate(entry: Entry) -> Decimal:
    return decimal(entry, low=ZERO, high=Decimal(1))


def money(entry: Entry, unit: Decimal) -> Decimal:
    value = decimal(entry, low=ZERO)
    if value != value.quantize(unit):
        raise PolicyFileError(entry.path, f"{entry.key}: {value} is not a whole number of minor units ({unit})")
    return value.quantize(unit)  # "199" THB is shown as 199.00, like every other amount


def whole(entry: Entry, low: int = 0) -> int:
    value = entry.value
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise PolicyFileError(entry.path, f"{entry.key}: expected a whole number >= {low}, got {value!r}")
    return value


def names(entry: Entry) -> list[str]:
    value = entry.value
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise PolicyFileError(entry.path, f"{entry.key}: expected a list of names, got {value!r}")
    return list(value)


def flags(entry: Entry) -> tuple[str, ...]:
    """A list of order flags (:data:`FLAGS`): a misspelt one would never match, so it is refused."""
    found = names(entry)
    unknown = [f for f in found if f not in FLAGS]
    if unknown:
        raise PolicyFileError(entry.path, f"{entry.key}: unknown order flag(s) {', '.join(unknown)}; "
                                          f"expected {', '.join(FLAGS)}")
    return tuple(found)


def text(entry: Entry, allowed: Sequence[str] | None = None) -> str:
    value = entry.value
    if not isinstance(value, str) or (allowed is not None and value not in allowed):
        expected = f"one of {', '.join(allowed)}" if allowed else "a string"
        raise PolicyFileError(entry.path, f"{entry.key}: expected {expected}, got {value!r}")
    return value


def days_of_month(entry: Entry) -> tuple[int, ...]:
    """A list of days of the month, 1 to 31 (the declared type's check), sorted, each once."""
    if value_problem(entry.value, "days_of_month", None) is not None:
        raise PolicyFileError(entry.path, f"{entry.key}: expected {TYPES['days_of_month']}, got {entry.value!r}")
    return tuple(sorted(set(entry.value)))


def flag(entry: Entry) -> bool:
    if not isinstance(entry.value, bool):
        raise PolicyFileError(entry.path, f"{entry.key}: expected true or false, got {entry.value!r}")
    return entry.value


def fraction(entry: Entry) -> tuple[Decimal, Decimal]:
    """``"11/12"`` → (11, 12)."""
    value = text(entry)
    try:
        numerator, denominator = (Decimal(part.strip()) for part in value.split("/"))
    except (ValueError, InvalidOperation):
        raise PolicyFileError(entry.path, f"{entry.key}: expected a fraction such as \"11/12\", got {value!r}") \
            from None
    if numerator <= 0 or denominator <= 0:
        raise PolicyFileError(entry.path, f"{entry.key}: expected a positive fraction, got {value!r}")
    return numerator, denominator


def rule_of(policy: PolicyView, prefix: str, fallback: str) -> str:
    """The catalogue rule a fee's rates cite (for ordering and for gaps)."""
    for key in (prefix + "rate", prefix + "rate.*", prefix + "base"):
        entry = policy.state(key).entry
        if entry is not None:
            return entry.rule
    for _, entry in policy.with_prefix(prefix + "rate"):
        return entry.rule
    return fallback


# --- fees -------------------------------------------------------------------------------

AddOnBuilder = Callable[[Sequence[Entry], bool], AddOn | None]
"""Binds an add-on to one rate choice: ``(entries the rate rests on, tax included) -> AddOn``."""


def fee_schedule(market: Market, policy: PolicyView, *, list_key: str, fallback_rule: str,
                 addons: Mapping[str, tuple[str, str]] = {}) -> list[PercentFee | GapFee]:
    """Every fee the list ``list_key`` names (``fee.<code>.`` keys each); ``addons`` maps
    an add-on fee code to its kind (``tax_on`` or ``refund_share``) and its parent code."""
    if market.currency is None:
        return []
    try:
        charged = required(policy, list_key, fallback_rule)
    except PolicyGapError as gap:  # a gap per order (dated at it), so the other figures still stand
        return [GapFee(code="fees", rule=gap.rule, gap=GapSpec.of(gap))]
    codes = names(charged)
    unit = quantum(market.currency)
    fees: list[PercentFee | GapFee] = []
    for code in codes:
        if code in addons:
            if addons[code][1] not in codes:
                raise PolicyFileError(charged.path, f"{list_key}: {code} is computed from {addons[code][1]}, "
                                                    "which is not charged")
            continue
        prefix = f"fee.{code}."
        rule = rule_of(policy, prefix, charged.rule)
        built = [_addon(policy, f"fee.{a}.", a, kind, unit) for a, (kind, parent) in addons.items()
                 if parent == code and a in codes]
        fees.append(fee(market, policy, code=code, prefix=prefix, rule=rule, addons=built))
    return fees


def fee(market: Market, policy: PolicyView, *, code: str, prefix: str, rule: str,
        addons: Sequence[AddOnBuilder] = ()) -> PercentFee | GapFee:
    """One fee read from the keys under ``prefix``; a gap block when its base is unknown."""
    unit = quantum(market.currency or "")
    try:
        payers, payer_entries = _payers(policy, market, code, prefix, rule)
    except PolicyGapError as gap:
        return GapFee(code=code, rule=gap.rule, gap=GapSpec.of(gap))
    try:
        return _percent_fee(policy, market, code, prefix, rule, unit, payers, payer_entries, addons)
    except PolicyGapError as gap:
        return GapFee(code=code, rule=gap.rule, gap=GapSpec.of(gap), payers=payers)


def _payers(policy: PolicyView, market: Market, code: str, prefix: str,
            rule: str) -> tuple[Payers | None, list[Entry]]:
    """Who pays the fee (``None``: every order), and the entries that say so."""
    seller_entry = optional(policy, prefix + "seller_types", rule)
    store_entry = optional(policy, prefix + "charged_store_types", rule)
    exempt_entry = optional(policy, prefix + "exempt_if", rule)
    charged_entry = optional(policy, prefix + "charged_if", rule)
    entries = [e for e in (seller_entry, store_entry, exempt_entry, charged_entry) if e is not None]
    if not entries:
        return None, entries
    store_types = frozenset(names(store_entry)) if store_entry is not None else None
    store_gap = None
    if store_entry is not None and store_types is not None:
        shops = " or ".join(sorted(store_types))
        # An order input, not a policy key: "<store_type>" (as RateTable names a missing key
        # field), so `gaps --template` lists it as not fillable by an override.
        store_gap = GapSpec(market=market.id, rule=store_entry.rule, key="<store_type>",
                            detail=f"the order gives no store_type: {code} is charged to {shops} shops only "
                                   f"({store_entry.key}); give the order's store_type (marketplace, mall)")
    payers = Payers(seller_types=frozenset(names(seller_entry)) if seller_entry is not None else None,
                    store_types=store_types, exempt_if=flags(exempt_entry) if exempt_entry is not None else (),
                    charged_if=flags(charged_entry) if charged_entry is not None else (), store_gap=store_gap)
    return payers, entries


def _addon(policy: PolicyView, prefix: str, code: str, kind: str, unit: Decimal) -> AddOnBuilder:
    if kind == TAX_ON:
        rate_entry = required(policy, prefix + "rate", rule_of(policy, prefix, code))
        fraction_entry = required(policy, prefix + "base_fraction", rate_entry.rule)
        tax_rate = rate(rate_entry)
        numerator, denominator = fraction(fraction_entry)

        def tax(used: Sequence[Entry], tax_included: bool) -> AddOn | None:
            if tax_included:  # the rate already includes the tax (Indonesia 2026: 6.97%)
                return None
            trail = trail_for(rate_entry.rule, f"{code}: tax on the fee", [rate_entry, fraction_entry, *used],
                              tax_rate=tax_rate, base_fraction=f"{numerator}/{denominator}")
            return TaxOnFee(code=code, rule=rate_entry.rule, source=rate_entry.source, rate=tax_rate,
                            numerator=numerator, denominator=denominator, unit=unit, trail=trail)
        return tax
    share_entry = required(policy, prefix + "share", rule_of(policy, prefix, code))
    cap_entry = required(policy, prefix + "cap_per_sku", share_entry.rule)
    exempt_entry = optional(policy, prefix + "exempt_if", share_entry.rule)
    share = rate(share_entry)
    cap = money(cap_entry, unit)
    exempt = flags(exempt_entry) if exempt_entry is not None else ()
    own = [share_entry, cap_entry] + ([exempt_entry] if exempt_entry is not None else [])
    params: dict[str, object] = {"share": share, "cap_per_sku": cap}
    if exempt:
        params["exempt_if"] = ", ".join(exempt)

    def refund_share(used: Sequence[Entry], tax_included: bool) -> AddOn | None:
        trail = trail_for(share_entry.rule, f"{code}: share of the refunded item's fee", [*own, *used], **params)
        return RefundShareFee(code=code, rule=share_entry.rule, source=share_entry.source, share=share, cap=cap,
                              unit=unit, trail=trail, exempt_if=exempt)
    return refund_share


def _percent_fee(policy: PolicyView, market: Market, code: str, prefix: str, rule: str, unit: Decimal,
                 payers: Payers | None, payer_entries: Sequence[Entry],
                 addons: Sequence[AddOnBuilder]) -> PercentFee:
    base_entry = required(policy, prefix + "base", rule)
    try:
        base = base_named(text(base_entry))
    except ValueError as exc:
        raise PolicyFileError(base_entry.path, f"{base_entry.key}: {exc}") from None
    fixed_entry = optional(policy, prefix + "fixed", rule)
    cap_entry = optional(policy, prefix + "cap_per_unit", rule)
    refund_entry = optional(policy, prefix + "on_refund", rule)
    label_entry = optional(policy, prefix + "label", rule)
    cut_entry = optional(policy, prefix + "discount.fixed", rule)
    fixed = money(fixed_entry, unit) if fixed_entry is not None else ZERO
    cap = money(cap_entry, unit) if cap_entry is not None else None
    returns = refund_entry is not None and text(refund_entry, ON_REFUND) == "return_refunded_share"
    label = text(label_entry) if label_entry is not None else None
    shared = [e for e in (base_entry, fixed_entry if fixed else None, cap_entry, *payer_entries) if e is not None]
    params: dict[str, object] = {"base": base_entry.value}
    if fixed:
        params["fixed"] = fixed
    if cut_entry is not None:  # a promotional cut of the fixed amount: shown as the amount less the cut
        cut = money(cut_entry, unit)
        if cut > fixed:
            raise PolicyFileError(cut_entry.path, f"{cut_entry.key}: the cut {cut} is more than the fixed "
                                                  f"amount {fixed}")
        shared.append(cut_entry)
        params["fixed_discount"] = cut
        shown = f"{fixed} less a discount of {cut}"
        label = f"{label}; {shown}" if label else shown
        fixed -= cut
    if cap is not None:
        params["cap_per_unit"] = cap
    for flag_key, names_of in (("exempt_if", payers.exempt_if if payers else ()),
                               ("charged_if", payers.charged_if if payers else ())):
        if names_of:
            params[flag_key] = ", ".join(names_of)
    common = dict(code=code, market=market.id, unit=unit, base=base, fixed=fixed, cap_per_unit=cap,
                  returns_refunded_share=returns, payers=payers, label=label,
                  range_caps=_range_caps(policy, prefix, rule, unit))
    if text(base_entry) == "none":  # a fixed amount per order, no rate
        if fixed_entry is None:
            raise policy.gap(prefix + "fixed", rule)
        what = f"{code}: a fixed amount per order" + (f" ({label})" if label else "")
        trail = trail_for(fixed_entry.rule, what, shared, **params)
        return PercentFee(rule=fixed_entry.rule, source=fixed_entry.source, table=None, fixed_trail=trail,
                          **common)  # type: ignore[arg-type]
    make = _ChoiceMaker(code=code, what=f"{code} on {base_entry.value}", shared=shared, params=params,
                        refund_entry=refund_entry if returns else None,
                        discount=_discount(policy, prefix, rule), addons=addons)
    table = _rate_table(policy, market, code, prefix, rule, make)
    gap_addons = tuple(a for a in (build(shared, False) for build in addons) if a is not None)
    return PercentFee(rule=rule, source=base_entry.source, table=table, gap_addons=gap_addons,
                      **common)  # type: ignore[arg-type]


class _ChoiceMaker:
    """Turns a rate entry into a :class:`RateChoice`: the discount applied, the trails
    built from every entry the figure rests on, the add-ons bound to it."""

    def __init__(self, *, code: str, what: str, shared: Sequence[Entry], params: Mapping[str, object],
                 refund_entry: Entry | None, discount: tuple[Decimal, Decimal, list[Entry]] | None,
                 addons: Sequence[AddOnBuilder]) -> None:
        self.code, self.what, self.shared, self.params = code, what, list(shared), dict(params)
        self.refund_entry, self.discount, self.addons = refund_entry, discount, addons

    def __call__(self, entry: Entry, key: str | None, tax_included: bool = False) -> RateChoice:
        value = rate(entry)
        used = [entry, *self.shared]
        note = None
        if self.discount is not None and value == self.discount[1]:
            cut, on_rate, discount_entries = self.discount
            value = (value * (1 - cut)).normalize()  # 0.10 × 0.80 = 0.08, not 0.0800
            used.extend(discount_entries)
            note = f"promotional discount of {cut} on the {on_rate} rate: {on_rate} → {value}"
        what = self.what + (f" ({key})" if key else "")
        params = {**({"key": key} if key else {}), "rate": value, **self.params}
        trail = trail_for(entry.rule, what, used, **params)
        trail_refund = trail
        if self.refund_entry is not None:
            trail_refund = trail_for(entry.rule, what, [*used, self.refund_entry], **params,
                                     on_refund=self.refund_entry.value)
        bound = tuple(a for a in (build(used, tax_included) for build in self.addons) if a is not None)
        return RateChoice(rate=value, rule=entry.rule, source=entry.source, trail=trail, trail_refund=trail_refund,
                          tax_included=tax_included, note=note, addons=bound)


def _rate_table(policy: PolicyView, market: Market, code: str, prefix: str, rule: str,
                make: _ChoiceMaker) -> RateTable:
    """Every rate of the fee in force now, and the gaps an order may fall into."""
    bounds = _bounds(policy, prefix, rule)
    rates: dict[str, RateChoice] = {}
    refused: dict[str, Exception] = {}
    key_gaps: dict[str, GapSpec] = {}
    for section, tax_included in (("rate.", False), ("rate_incl_tax.", True)):
        for key, entry in policy.with_prefix(prefix + section):
            name = key.removeprefix(prefix + section)
            if name in rates:
                raise PolicyFileError(entry.path, f"{key}: {name} also has a rate under {prefix}rate.{name}; "
                                                  "a key's rate either includes tax or not")
            problem = _outside(entry, bounds)
            if problem is not None:
                refused[name] = problem
                continue
            rates[name] = make(entry, name, tax_included=tax_included)
    for state in policy.all_states():  # keys with no rate now: announced, ended, not yet, or a gap of their own
        key = state.key
        if state.state != "in_force" and state.entry is not None and key.startswith(prefix + "rate.") \
                and not key.endswith("*") and not policy.explained_by_family_gap(key, state, prefix + "rate"):
            key_gaps[key.removeprefix(prefix + "rate.")] = GapSpec.of(policy.gap(key, rule, found=state))
    seller_rates = {key.removeprefix(prefix + "seller_rate."): make(entry, key.removeprefix(prefix))
                    for key, entry in policy.with_prefix(prefix + "seller_rate.")}
    flag_rates = _flag_rates(policy, prefix, rule, make)
    flat = policy.state(prefix + "rate")
    default = make(flat.entry, None) if flat.state == "in_force" and flat.entry is not None else None
    per_key = policy.state(prefix + "rate.*")
    per_key_gap = None
    if per_key.state == "gap" and per_key.entry is not None:  # a [[gaps]] entry in force now
        per_key_gap = _with_range(GapSpec.of(policy.gap(prefix + "rate.*", rule, found=per_key)), bounds)
    flat_gap = _with_range(GapSpec.of(policy.gap(prefix + "rate", rule)), bounds)
    keyed_by, store_types = _keys(policy, prefix, rule)
    return RateTable(market=market.id, code=code, prefix=prefix, keyed_by=keyed_by, rates=rates, default=default,
                     flat_gap=flat_gap, seller_rates=seller_rates, store_types=store_types, per_key_gap=per_key_gap,
                     refused=refused, key_gaps=key_gaps, flag_rates=flag_rates)


def _flag_rates(policy: PolicyView, prefix: str, rule: str,
                make: _ChoiceMaker) -> tuple[tuple[str, RateChoice | GapSpec], ...]:
    """The rates (and declared gaps) of orders with an order flag, ``flag_rate.<flag>``."""
    found: list[tuple[str, RateChoice | GapSpec]] = []
    section = prefix + "flag_rate."
    for state in policy.all_states():
        key = state.key
        if not key.startswith(section) or key.endswith("*") or state.entry is None:
            continue
        flag = key.removeprefix(section)
        if flag not in FLAGS:
            raise PolicyFileError(state.entry.path, f"{key}: unknown order flag {flag}; expected {', '.join(FLAGS)}")
        if state.state == "in_force":
            found.append((flag, make(state.entry, key.removeprefix(prefix))))
        elif state.state == "gap":  # a [[gaps]] entry: an order with the flag has no published rate
            found.append((flag, GapSpec.of(policy.gap(key, rule, found=state))))
    return tuple(found)


_Bounds = tuple[Decimal, Decimal, Entry, Entry] | None


def _range_caps(policy: PolicyView, prefix: str, rule: str,
                unit: Decimal) -> tuple[Decimal | None, Decimal | None] | None:
    """The per-unit caps of a missing rate's low and high end, where the data gives them."""
    low_entry = optional(policy, prefix + "low_cap_per_unit", rule)
    high_entry = optional(policy, prefix + "high_cap_per_unit", rule)
    if low_entry is None and high_entry is None:
        return None
    return (money(low_entry, unit) if low_entry is not None else None,
            money(high_entry, unit) if high_entry is not None else None)


def _bounds(policy: PolicyView, prefix: str, rule: str) -> _Bounds:
    low_entry = optional(policy, prefix + "min_rate", rule)
    high_entry = optional(policy, prefix + "max_rate", rule)
    if low_entry is None or high_entry is None:
        return None
    return rate(low_entry), rate(high_entry), low_entry, high_entry


def _outside(entry: Entry, bounds: _Bounds) -> PolicyFileError | None:
    if bounds is None:
        return None
    value = rate(entry)
    low, high, low_entry, high_entry = bounds
    if low <= value <= high:
        return None
    lo_key, hi_key = low_entry.key, high_entry.key
    return PolicyFileError(entry.path, f"{entry.key} = {value} is outside the published range {low}-{high} "
                           f"({entry.rule}; {lo_key} from {low_entry.layer.name}, {hi_key} from "
                           f"{high_entry.layer.name}); correct the rate, or if the platform really charges you "
                           f"this, also override {lo_key}/{hi_key} with your source")


def _with_range(spec: GapSpec, bounds: _Bounds) -> GapSpec:
    """A missing rate of a fee with a published range has that range (unless its own)."""
    if bounds is None or spec.low is not None:
        return spec
    return GapSpec(market=spec.market, rule=spec.rule, key=spec.key, state=spec.state, detail=spec.detail,
                   low=bounds[0], high=bounds[1], candidate=spec.candidate,
                   source=spec.source or "; ".join(dict.fromkeys((bounds[2].source, bounds[3].source))))


def _keys(policy: PolicyView, prefix: str, rule: str) -> tuple[tuple[str, ...], frozenset[str] | None]:
    entry = optional(policy, prefix + "keyed_by", rule)
    keyed_by = tuple(names(entry)) if entry is not None else ("category",)
    unknown = [f for f in keyed_by if f not in KEY_FIELDS]
    if entry is not None and unknown:
        raise PolicyFileError(entry.path, f"{entry.key}: unknown order field(s) {', '.join(unknown)}; "
                                          f"expected {', '.join(KEY_FIELDS)}")
    store_types = None
    if "store_type" in keyed_by:
        store_types = frozenset(names(required(policy, prefix + "store_types", rule)))
    return keyed_by, store_types


def _discount(policy: PolicyView, prefix: str, rule: str) -> tuple[Decimal, Decimal, list[Entry]] | None:
    cut_entry = optional(policy, prefix + "discount.rate", rule)
    if cut_entry is None:
        return None
    on_entry = required(policy, prefix + "discount.on_rate", cut_entry.rule)
    return rate(cut_entry), rate(on_entry), [cut_entry, on_entry]


# --- creator commission -----------------------------------------------------------------


def creator_commission(market: Market, policy: PolicyView, *, plans_key: str, take_key: str, rule: str,
                       take_rule: str | None = None, plan_label: str | None = None,
                       what: str = "creator commission = amount × commission_rate"
                       ) -> CreatorCommission | CommissionGap:
    """The creator commission: the plans the market knows and the platform's take (a gap
    for commissioned orders only, where the data gives neither)."""
    try:
        return _creator_commission(market, policy, plans_key=plans_key, take_key=take_key, rule=rule,
                                   take_rule=take_rule, plan_label=plan_label, what=what)
    except PolicyGapError as gap:
        return CommissionGap(rule=gap.rule, gap=GapSpec.of(gap))


def _creator_commission(market: Market, policy: PolicyView, *, plans_key: str, take_key: str, rule: str,
                        take_rule: str | None, plan_label: str | None, what: str) -> CreatorCommission:
    plans_entry = required(policy, plans_key, rule)
    plans = names(plans_entry)
    take_entry = required(policy, take_key, take_rule or rule)
    take = rate(take_entry)
    trail = trail_for(rule, what, [plans_entry, take_entry], plans=" > ".join(plans), platform_take=take)
    source = "; ".join(dict.fromkeys((plans_entry.source, take_entry.source)))
    return CreatorCommission(rule=rule, source=source, unit=quantum(market.currency or ""), plans=frozenset(plans),
                             platform_take=take, plan_label=plan_label, trail=trail)


# --- payout days ------------------------------------------------------------------------


def payout_table(market: Market, policy: PolicyView, *, party: str, prefix: str, keyed_by: Sequence[str],
                 suffix: str, rule: str, basis: str, what: str, choices: Mapping[str, Sequence[str]] = {},
                 defaults: Mapping[str, str] = {}, creator_only: bool = False) -> PayoutDays:
    """Payout periods under ``<prefix><value>[.<value>...]<suffix>`` (whole days), one
    per combination of the order's ``keyed_by`` values; other combinations are gaps."""
    periods: dict[tuple[str, ...], Period] = {}
    missing: dict[tuple[str, ...], GapSpec] = {}
    for state in policy.all_states():
        key = state.key
        if not (key.startswith(prefix) and key.endswith(suffix)) or "*" in key:
            continue
        middle = key[len(prefix):len(key) - len(suffix)]
        parts = tuple(middle.split(".")) if middle else ()
        entry = state.entry
        if len(parts) != len(keyed_by) or not all(parts) or any(
                field in choices and value not in choices[field]
                for field, value in zip(keyed_by, parts, strict=False)):
            pattern = prefix + ".".join(f"<{f}>" for f in keyed_by) + suffix
            allowed = "; ".join(f"{f} one of {', '.join(c)}" for f, c in choices.items())
            raise PolicyFileError(entry.path if entry is not None else key,
                                  f"{key}: expected a key {pattern}{' with ' + allowed if allowed else ''}")
        if state.state == "in_force" and entry is not None:
            days = whole(entry)
            params = dict(zip(keyed_by, parts, strict=True))
            periods[parts] = Period(days=days, rule=entry.rule, source=entry.source,
                                    trail=trail_for(entry.rule, what, [entry], party=party, **params, days=days))
        else:
            missing[parts] = GapSpec.of(policy.gap(key, rule, found=state))
    pattern = prefix + "*" + suffix if keyed_by else prefix.rstrip(".")
    fallback = GapSpec.of(policy.gap(prefix + "*", rule))
    fallback = GapSpec(market=fallback.market, rule=fallback.rule, key=pattern, state=fallback.state,
                       detail=fallback.detail, low=fallback.low, high=fallback.high)
    return PayoutDays(party=party, market=market.id, rule=rule, basis=basis, keyed_by=tuple(keyed_by),
                      periods=periods, missing=missing, fallback=fallback,
                      choices={k: tuple(v) for k, v in choices.items()}, defaults=dict(defaults),
                      creator_only=creator_only, what=what)


def single_period(market: Market, *, party: str, period: Period, basis: str, creator_only: bool,
                  rule: str) -> PayoutDays:
    """A payout that does not depend on order fields."""
    never = GapSpec(market=market.id, rule=rule, key="")
    return PayoutDays(party=party, market=market.id, rule=rule, basis=basis, keyed_by=(), periods={(): period},
                      missing={}, fallback=never, creator_only=creator_only)


def gap_period(market: Market, *, party: str, gap: PolicyGapError, basis: str, creator_only: bool) -> PayoutDays:
    """A payout with no published period: a gap on every order it applies to."""
    return PayoutDays(party=party, market=market.id, rule=gap.rule, basis=basis, keyed_by=(), periods={},
                      missing={}, fallback=GapSpec.of(gap), creator_only=creator_only)
