"""TikTok Shop platform fees (TT-FEE-1..12): policy data compiled into charges.

Rules are data, mechanics are code.  The numbers and dates live in ``policy/fees-*.toml``;
this module reads them from the :class:`~shoppolicy.policy.PolicyView` of one market and
time slice and returns compiled charges (:mod:`shoppolicy_tiktok.fees_model`) whose
``apply(order)`` is plain Decimal arithmetic.  ``tiktok-sea`` holds what the Southeast
Asian variants share (which fees exist, their bases, how refunds touch them); each
country file holds its rates and dates.

Policy keys, for a fee code ``X`` (``referral_fee``, ``commission``, ``transaction_fee``,
``payment_fee``, or any code an override adds):

``fee.charged``
    the fee codes the market charges (a list).  No value in force: every order of the
    slice gets the policy gap.
``fee.X.base``
    the fee base, a name of :data:`shoppolicy.rules.BASES` (``amount``, ``amount+shipping``,
    ``amount+shipping-refund``, ``customer_payment-refund``, ``customer_payment+discount``).
``fee.X.rate``, ``fee.X.rate.<key>``, ``fee.X.rate_incl_tax.<key>``, ``fee.X.seller_rate.<seller_type>``
    the flat rate (every key without its own), a rate per key, a rate per key that
    already includes tax (no VAT add-on), a rate for a seller type whatever the key.
    A ``[[gaps]]`` entry ``fee.X.rate.*`` says rates are published per key and names why
    a key is missing.
``fee.X.keyed_by``
    the order fields the key is made of, default ``["category"]``; Malaysia from
    2024-09-05: ``["store_type", "category"]`` (key ``marketplace.gold_jewellery``), with
    ``fee.X.store_types`` the store types an order may name.
``fee.X.fixed``, ``fee.X.cap_per_unit``
    a per-order amount added to the percentage; a cap per unit (× ``quantity``).
``fee.X.on_refund``
    ``return_refunded_share`` (the fee on the refunded share R / C of the base is returned)
    or ``keep`` (refunds change the fee only through its base, if at all).
``fee.X.seller_types``
    the ``seller_type`` values the fee applies to (Thailand's cross-border transaction fee).
``fee.X.discount.rate``, ``fee.X.discount.on_rate``
    a promotional cut of one published rate: a rate equal to ``on_rate`` is charged
    × (1 − ``rate``) (Indonesia, 2025-10-01..2026-02-10: 10% → 8%).
``fee.X.label``
    a name shown in the fee line's note (Thailand's Commerce Growth Fee).

Add-on fees, each its own line, computed from their parent fee's line:
``commission_vat`` (``fee.commission_vat.rate``, ``fee.commission_vat.base_fraction`` as
``"11/12"``) and ``refund_admin_fee`` (``fee.refund_admin_fee.share``,
``fee.refund_admin_fee.cap_per_sku``).

The list, the base and the rates are required: with no value in force they are a policy
gap, never a silent zero.  The other parts (fixed amount, cap, refund handling, discount,
seller types, key fields, label) are optional: a part with no value in force is absent
(a promotion that ended, a per-order amount that was dropped), unless a ``[[gaps]]``
entry for it is in force.  A fee whose number is missing compiles to a
:class:`~shoppolicy_tiktok.fees_model.GapFee`, so only the orders that carry it fail (a
Thai local seller is not stopped by the cross-border fee's gap).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation

from shoppolicy import Market, PolicyGapError
from shoppolicy.errors import PolicyFileError
from shoppolicy.money import ZERO, quantum, to_decimal
from shoppolicy.policy import Entry, PolicyView
from shoppolicy.rules import Charge, base_named, trail_for
from shoppolicy_tiktok.fees_model import (
    AddOn,
    GapFee,
    GapSpec,
    PercentFee,
    RateChoice,
    RateTable,
    RefundAdminFee,
    VatOnFee,
)

CHARGED = "fee.charged"
#: Add-on fee codes and the fee whose line each is computed from.
ADDONS: Mapping[str, str] = {"commission_vat": "commission", "refund_admin_fee": "referral_fee"}
KEY_FIELDS = ("category", "store_type")
ON_REFUND = ("return_refunded_share", "keep")
_FALLBACK_RULE = "TT-FEE"


def fee_charges(market: Market, policy: PolicyView) -> list[Charge]:
    """The platform fees of ``market`` for the policy slice of ``policy``."""
    if market.abstract or market.currency is None:
        return []
    try:
        charged = _required(policy, CHARGED, _FALLBACK_RULE)
    except PolicyGapError as gap:  # raised per order (dated at it), so other charges still apply
        return [GapFee(code=CHARGED, rule=gap.rule, gap=GapSpec.of(gap))]
    codes = _strings(charged)
    unit = quantum(market.currency)
    charges: list[Charge] = []
    for code in codes:
        if code in ADDONS:
            if ADDONS[code] not in codes:
                raise PolicyFileError(charged.path, f"{CHARGED}: {code} is computed from {ADDONS[code]}, "
                                                    "which is not charged")
            continue
        rule = _rule_of(policy, code, charged.rule)
        seller_types = _seller_types(policy, code, rule)
        try:
            addons = [_addon_builder(policy, a, unit) for a in codes if ADDONS.get(a) == code]
            charges.append(_percent_fee(policy, market, code, rule, unit, seller_types, addons))
        except PolicyGapError as gap:
            charges.append(GapFee(code=code, rule=gap.rule, gap=GapSpec.of(gap), seller_types=seller_types))
    return charges


# --- reading values ---------------------------------------------------------------------


def _gap(policy: PolicyView, key: str, rule: str) -> PolicyGapError:
    found = policy.state(key)
    return PolicyGapError(market=policy.market.id, rule=found.entry.rule if found.entry else rule, key=key,
                          on=policy.at.date(), state=found.state, detail=found.detail)


def _required(policy: PolicyView, key: str, rule: str) -> Entry:
    found = policy.state(key)
    if found.state == "in_force" and found.entry is not None:
        return found.entry
    raise _gap(policy, key, rule)


def _optional(policy: PolicyView, key: str, rule: str) -> Entry | None:
    """The entry in force; ``None`` when no value of ``key`` is in force (the fee has no
    such part now); a policy gap when a ``[[gaps]]`` entry for ``key`` is in force."""
    found = policy.state(key)
    if found.state == "in_force" and found.entry is not None:
        return found.entry
    if found.state == "gap" and found.entry is not None:
        raise _gap(policy, key, rule)
    return None


def _decimal(entry: Entry, *, low: Decimal | None = None, high: Decimal | None = None) -> Decimal:
    try:
        value = to_decimal(entry.value)
    except (TypeError, ValueError) as exc:
        raise PolicyFileError(entry.path, f"{entry.key}: {exc}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise PolicyFileError(entry.path, f"{entry.key}: expected a value between {low} and {high}, got {value}")
    return value


def _rate(entry: Entry) -> Decimal:
    return _decimal(entry, low=ZERO, high=Decimal(1))


def _money(entry: Entry, unit: Decimal) -> Decimal:
    value = _decimal(entry, low=ZERO)
    if value != value.quantize(unit):
        raise PolicyFileError(entry.path, f"{entry.key}: {value} is not a whole number of minor units ({unit})")
    return value.quantize(unit)  # "199" THB is shown as 199.00, like every other amount


def _strings(entry: Entry) -> list[str]:
    value = entry.value
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PolicyFileError(entry.path, f"{entry.key}: expected a list of names, got {value!r}")
    return list(value)


def _text(entry: Entry, allowed: Sequence[str] | None = None) -> str:
    value = entry.value
    if not isinstance(value, str) or (allowed is not None and value not in allowed):
        expected = f"one of {', '.join(allowed)}" if allowed else "a string"
        raise PolicyFileError(entry.path, f"{entry.key}: expected {expected}, got {value!r}")
    return value


def _fraction(entry: Entry) -> tuple[Decimal, Decimal]:
    """``"11/12"`` → (11, 12)."""
    text = _text(entry)
    try:
        numerator, denominator = (Decimal(part.strip()) for part in text.split("/"))
    except (ValueError, InvalidOperation):
        raise PolicyFileError(entry.path, f"{entry.key}: expected a fraction such as \"11/12\", got {text!r}") from None
    if numerator <= 0 or denominator <= 0:
        raise PolicyFileError(entry.path, f"{entry.key}: expected a positive fraction, got {text!r}")
    return numerator, denominator


def _rule_of(policy: PolicyView, code: str, fallback: str) -> str:
    """The catalogue rule a fee's rates cite (for ordering and for gaps)."""
    for key in (f"fee.{code}.rate", f"fee.{code}.rate.*"):
        entry = policy.state(key).entry
        if entry is not None:
            return entry.rule
    for _, entry in policy.with_prefix(f"fee.{code}.rate"):
        return entry.rule
    return fallback


def _seller_types(policy: PolicyView, code: str, rule: str) -> frozenset[str] | None:
    entry = _optional(policy, f"fee.{code}.seller_types", rule)
    return frozenset(_strings(entry)) if entry is not None else None


# --- compiling ------------------------------------------------------------------------

#: Binds an add-on to one rate choice: ``(entries the rate rests on) -> AddOn``.
AddOnBuilder = Callable[[Sequence[Entry], bool], AddOn | None]


def _addon_builder(policy: PolicyView, code: str, unit: Decimal) -> AddOnBuilder:
    prefix = f"fee.{code}."
    if code == "commission_vat":
        rate_entry = _required(policy, prefix + "rate", _rule_of(policy, code, "TT-FEE-10"))
        fraction_entry = _required(policy, prefix + "base_fraction", rate_entry.rule)
        vat_rate = _rate(rate_entry)
        numerator, denominator = _fraction(fraction_entry)

        def vat(used: Sequence[Entry], tax_included: bool) -> AddOn | None:
            if tax_included:  # the rate already includes the VAT (Indonesia 2026: 6.97%)
                return None
            trail = trail_for(rate_entry.rule, f"{code}: VAT on the commission",
                              [rate_entry, fraction_entry, *used], vat_rate=vat_rate,
                              base_fraction=f"{numerator}/{denominator}")
            return VatOnFee(code=code, rule=rate_entry.rule, source=rate_entry.source, rate=vat_rate,
                            numerator=numerator, denominator=denominator, unit=unit, trail=trail)
        return vat
    # refund_admin_fee (TT-FEE-2)
    share_entry = _required(policy, prefix + "share", _rule_of(policy, code, "TT-FEE-2"))
    cap_entry = _required(policy, prefix + "cap_per_sku", share_entry.rule)
    share = _rate(share_entry)
    cap = _money(cap_entry, unit)

    def admin(used: Sequence[Entry], tax_included: bool) -> AddOn | None:
        trail = trail_for(share_entry.rule, f"{code}: share of the refunded item's fee",
                          [share_entry, cap_entry, *used], share=share, cap_per_sku=cap)
        return RefundAdminFee(code=code, rule=share_entry.rule, source=share_entry.source, share=share, cap=cap,
                              unit=unit, trail=trail)
    return admin


def _percent_fee(policy: PolicyView, market: Market, code: str, rule: str, unit: Decimal,
                 seller_types: frozenset[str] | None, addons: Sequence[AddOnBuilder]) -> PercentFee:
    prefix = f"fee.{code}."
    base_entry = _required(policy, prefix + "base", rule)
    try:
        base = base_named(_text(base_entry), base_entry)
    except ValueError as exc:
        raise PolicyFileError(base_entry.path, str(exc)) from None
    fixed_entry = _optional(policy, prefix + "fixed", rule)
    cap_entry = _optional(policy, prefix + "cap_per_unit", rule)
    refund_entry = _optional(policy, prefix + "on_refund", rule)
    label_entry = _optional(policy, prefix + "label", rule)
    fixed = _money(fixed_entry, unit) if fixed_entry is not None else ZERO
    cap = _money(cap_entry, unit) if cap_entry is not None else None
    returns = refund_entry is not None and _text(refund_entry, ON_REFUND) == "return_refunded_share"
    # The entries every rate of the fee rests on (a zero fixed part adds nothing to a figure).
    shared = [e for e in (base_entry, fixed_entry if fixed else None, cap_entry) if e is not None]
    params: dict[str, object] = {"base": base_entry.value}
    if fixed:
        params["fixed"] = fixed
    if cap is not None:
        params["cap_per_unit"] = cap
    maker = _ChoiceMaker(code=code, what=f"{code} on {base_entry.value}", shared=shared, params=params,
                         refund_entry=refund_entry if returns else None, discount=_discount(policy, prefix, rule),
                         addons=addons)
    table = _rate_table(policy, market, code, rule, maker)
    label = _text(label_entry) if label_entry is not None else None
    return PercentFee(code=code, rule=rule, currency=market.currency or "", unit=unit, base=base, table=table,
                      fixed=fixed, cap_per_unit=cap, returns_refunded_share=returns, seller_types=seller_types,
                      label=label)


class _ChoiceMaker:
    """Turns a rate entry into a :class:`RateChoice`: the discount applied, the trails
    built from every entry the figure rests on, the add-ons bound to it."""

    def __init__(self, *, code: str, what: str, shared: Sequence[Entry], params: Mapping[str, object],
                 refund_entry: Entry | None, discount: tuple[Decimal, Decimal, list[Entry]] | None,
                 addons: Sequence[AddOnBuilder]) -> None:
        self.code, self.what, self.shared, self.params = code, what, list(shared), dict(params)
        self.refund_entry, self.discount, self.addons = refund_entry, discount, addons

    def __call__(self, entry: Entry, key: str | None, tax_included: bool = False) -> RateChoice:
        rate = _rate(entry)
        used = [entry, *self.shared]
        note = None
        if self.discount is not None and rate == self.discount[1]:
            cut, on_rate, discount_entries = self.discount
            rate = (rate * (1 - cut)).normalize()  # 0.10 × 0.80 = 0.08, not 0.0800
            used.extend(discount_entries)
            note = f"promotional discount of {cut} on the {on_rate} rate: {on_rate} → {rate}"
        what = self.what + (f" ({key})" if key else "")
        params = {**({"key": key} if key else {}), "rate": rate, **self.params}
        trail = trail_for(entry.rule, what, used, **params)
        trail_refund = trail
        if self.refund_entry is not None:
            trail_refund = trail_for(entry.rule, what, [*used, self.refund_entry], **params,
                                     on_refund=self.refund_entry.value)
        bound = tuple(a for a in (build(used, tax_included) for build in self.addons) if a is not None)
        return RateChoice(rate=rate, rule=entry.rule, source=entry.source, trail=trail, trail_refund=trail_refund,
                          tax_included=tax_included, note=note, addons=bound)


def _rate_table(policy: PolicyView, market: Market, code: str, rule: str, make: _ChoiceMaker) -> RateTable:
    """Every rate of the fee in force now, and the gaps an order may fall into."""
    prefix = f"fee.{code}."
    rates: dict[str, RateChoice] = {}
    for key, entry in policy.with_prefix(prefix + "rate."):
        name = key.removeprefix(prefix + "rate.")
        rates[name] = make(entry, name)
    for key, entry in policy.with_prefix(prefix + "rate_incl_tax."):
        name = key.removeprefix(prefix + "rate_incl_tax.")
        if name in rates:
            raise PolicyFileError(entry.path, f"{key}: {name} also has a rate under {prefix}rate.{name}; "
                                              "a key's rate either includes tax or not")
        rates[name] = make(entry, name, tax_included=True)
    seller_rates = {key.removeprefix(prefix + "seller_rate."): make(entry, key.removeprefix(prefix))
                    for key, entry in policy.with_prefix(prefix + "seller_rate.")}
    flat = policy.state(prefix + "rate")
    default = make(flat.entry, None) if flat.state == "in_force" and flat.entry is not None else None
    per_key = policy.state(prefix + "rate.*")
    per_key_gap = None
    if per_key.state == "gap" and per_key.entry is not None:  # a [[gaps]] entry in force now
        per_key_gap = GapSpec(market=market.id, rule=per_key.entry.rule, key=prefix + "rate.*",
                              detail=per_key.detail)
    flat_gap = GapSpec.of(_gap(policy, prefix + "rate", rule))
    if not rates and default is None and not seller_rates and per_key_gap is None:
        raise flat_gap.error(policy.at.date())  # no rate at all: the whole fee is a gap
    keyed_by, store_types = _keys(policy, prefix, rule)
    return RateTable(market=market.id, code=code, keyed_by=keyed_by, rates=rates, default=default,
                     flat_gap=flat_gap, seller_rates=seller_rates, store_types=store_types, per_key_gap=per_key_gap)


def _keys(policy: PolicyView, prefix: str, rule: str) -> tuple[tuple[str, ...], frozenset[str] | None]:
    entry = _optional(policy, prefix + "keyed_by", rule)
    keyed_by = tuple(_strings(entry)) if entry is not None else ("category",)
    unknown = [f for f in keyed_by if f not in KEY_FIELDS]
    if entry is not None and unknown:
        raise PolicyFileError(entry.path, f"{entry.key}: unknown order field(s) {', '.join(unknown)}; "
                                          f"expected {', '.join(KEY_FIELDS)}")
    store_types = None
    if "store_type" in keyed_by:
        store_types = frozenset(_strings(_required(policy, prefix + "store_types", rule)))
    return keyed_by, store_types


def _discount(policy: PolicyView, prefix: str, rule: str) -> tuple[Decimal, Decimal, list[Entry]] | None:
    cut_entry = _optional(policy, prefix + "discount.rate", rule)
    if cut_entry is None:
        return None
    on_entry = _required(policy, prefix + "discount.on_rate", cut_entry.rule)
    return _rate(cut_entry), _rate(on_entry), [cut_entry, on_entry]
