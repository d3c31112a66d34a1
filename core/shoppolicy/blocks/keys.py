"""Declared policy keys: the keys a plugin's blocks read, with their value types and rules.

A plugin returns :class:`KeySpec` values from ``shoppolicy_policy_keys``; every value
and gap of a policy file (shipped or override) must match a declared key of its market,
cite a rule declared with that key, and hold a value of the declared type, or the file
is refused at load (:mod:`shoppolicy.policy_check`).  The helpers here declare the keys
the readers of :mod:`.from_policy` use, so a plugin composing blocks declares them with
one call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from shoppolicy.blocks.bases import BASES

#: The order fields a rate key may be made of, and how refunds touch a fee.
KEY_FIELDS = ("category", "store_type")
ON_REFUND = ("return_refunded_share", "keep")

#: The value types a key may declare, and what each accepts.
TYPES = {
    "rate": "a decimal string between \"0\" and \"1\" (e.g. \"0.05\")",
    "money": "a decimal string >= 0 on the currency's minor unit (e.g. \"0.30\")",
    "decimal": "a decimal string (e.g. \"-0.5\")",
    "count": "a whole number from 0 to 1,000,000",
    "days": "a whole number of days from 0 to 3650",
    "flag": "true or false",
    "date": "a date (2025-01-01)",
    "text": "a non-empty string",
    "names": "a list of non-empty strings",
    "days_of_month": "a list of days of the month, 1 to 31",
    "fraction": "a fraction such as \"11/12\"",
}


@attrs.frozen(slots=True)
class KeySpec:
    """One declared key (or key pattern: ``*`` matches one part of a key, ``**`` one or
    more) of a plugin's markets.

    ``rules`` is a pattern of the rule ids a value of the key may cite (``TT-FEE-*``;
    alternatives joined by ``|``: ``TT-FEE-4|TT-FEE-5``); ``markets`` restricts the
    declaration to some markets (and their variants); empty: every market the plugin
    owns.  ``choices`` are the values a ``text`` (or each name of a ``names``) may take.
    """

    pattern: str
    type: str = attrs.field()
    rules: str
    description: str = ""
    markets: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()

    @type.validator
    def _known_type(self, attribute: object, value: str) -> None:
        if value not in TYPES:
            raise ValueError(f"KeySpec {self.pattern}: type {value!r} is not one of {', '.join(TYPES)}")


@attrs.frozen(slots=True)
class RuleSpec:
    """A catalogue rule a plugin implements with no policy number of its own (its figures
    come from the inputs, e.g. TT-VIO-1's deduction from the event or contract), declared
    so that ``coverage`` lists it beside the rules that have keys."""

    rule: str
    description: str = ""
    markets: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class KeyCheck:
    """A constraint on declared keys' values that their types cannot say: one key's
    (TT-INC-1: six industries) or several keys' together (DY-PAY-1: the newcomer period
    is longer than the regular one).

    Checked when a market's policy is built (at load for a market an override file
    touches): on every policy time slice in which each key of ``keys`` has a value in
    force, ``check`` receives those values by key and returns ``None`` when they are
    fine, else the problem; the data is then refused with one line naming the files and
    the keys.  While a key has no value (a gap), there is nothing to check.
    """

    rule: str
    keys: tuple[str, ...]
    check: Callable[[Mapping[str, Any]], str | None]
    description: str = ""
    markets: tuple[str, ...] = ()


def fee_keys(prefix: str, rules: str, *, markets: tuple[str, ...] = ()) -> list[KeySpec]:
    """The keys :func:`~shoppolicy.blocks.from_policy.fee` reads under ``prefix``
    (``fee.commission.`` for the commission of a ``fee.charged`` list)."""
    choices = {"base": tuple(BASES), "on_refund": ON_REFUND, "keyed_by": KEY_FIELDS}
    spec = [
        ("base", "text", "the fee base: amount, amount+shipping, amount+shipping-refund, "
                         "customer_payment-refund, customer_payment+discount or none"),
        ("rate", "rate", "the flat rate"),
        ("rate.**", "rate", "the rate of one key (category, or store type and category)"),
        ("rate_incl_tax.**", "rate", "the rate of one key, tax included (no tax add-on)"),
        ("seller_rate.*", "rate", "the rate of a seller type, whatever the key"),
        ("flag_rate.*", "rate", "the rate of orders with an order flag (new_shop), whatever the key"),
        ("keyed_by", "names", "the order fields a rate key is made of (category, store_type)"),
        ("store_types", "names", "the store types a rate key may name"),
        ("fixed", "money", "a fixed amount per order, added to the percentage"),
        ("cap_per_unit", "money", "a cap per unit sold"),
        ("on_refund", "text", "return_refunded_share or keep"),
        ("seller_types", "names", "the seller types that pay the fee"),
        ("charged_store_types", "names", "the store types that pay the fee"),
        ("exempt_if", "names", "order flags that exempt an order (e.g. refunded_before_delivery)"),
        ("charged_if", "names", "order flags an order must have to pay the fee (e.g. pre_order)"),
        ("discount.rate", "rate", "a promotional cut of one published rate"),
        ("discount.on_rate", "rate", "the rate the cut applies to"),
        ("discount.fixed", "money", "a promotional cut of the fixed amount (shown as the amount less the cut)"),
        ("label", "text", "a name shown in the fee line's note"),
        ("min_rate", "rate", "the lowest published rate (a missing rate's range)"),
        ("max_rate", "rate", "the highest published rate (a missing rate's range)"),
        ("low_cap_per_unit", "money", "the per-unit cap of a missing rate's low end (sources capping apart)"),
        ("high_cap_per_unit", "money", "the per-unit cap of a missing rate's high end (sources capping apart)"),
        ("share", "rate", "a refund-share add-on: the share of its parent fee"),
        ("cap_per_sku", "money", "a refund-share add-on: the cap per SKU"),
        ("base_fraction", "fraction", "a tax add-on: the fraction of its parent fee taxed"),
    ]
    return [KeySpec(pattern=prefix + suffix, type=kind, rules=rules, description=what, markets=markets,
                    choices=choices.get(suffix, ())) for suffix, kind, what in spec]
