"""The payout block: when a party (merchant or creator) is paid for an order.

One mechanic serves every market: the party is paid a number of days after a basis
date (delivery, or completion), where the days depend on order fields such as the
seller type and settlement tier; optionally the payment then waits for the first of
given days of the month (Vietnam's creators: the 1st or the 16th).  A combination with
no published period is a :class:`~shoppolicy.model.Gap`, never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from operator import attrgetter

import attrs

from shoppolicy.blocks.fees import GapSpec
from shoppolicy.errors import InputError, PolicyGapError
from shoppolicy.model import CreatorShare, Gap, OrderRecord, PayoutLine, TrailEntry


@attrs.frozen(slots=True)
class Period:
    """A published payout period: ``days`` after the basis date, then (if
    ``pay_days_of_month``) the first of those days of the month on or after it
    (after it, unless ``on_count_day``)."""

    days: int
    rule: str
    source: str
    pay_days_of_month: tuple[int, ...] = ()
    on_count_day: bool = True
    trail: TrailEntry | None = None

    def pay_date(self, basis: dt.date) -> dt.date:
        counted = basis + dt.timedelta(days=self.days)
        if not self.pay_days_of_month:
            return counted
        first = counted if self.on_count_day else counted + dt.timedelta(days=1)
        year, month = first.year, first.month
        while True:  # at most two months are looked at: every month has a day 1
            for day in self.pay_days_of_month:
                try:
                    candidate = dt.date(year, month, day)
                except ValueError:  # e.g. the 31st of a short month: no pay day then
                    continue
                if candidate >= first:
                    return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@attrs.frozen(slots=True)
class PayoutDays:
    """``party`` is paid per the :class:`Period` of the order's ``keyed_by`` values.

    ``choices`` lists the allowed values of a field (tiers) and ``defaults`` the value an
    order without the field takes; a field with neither is required.  ``creator_only``:
    paid only on an order that carries a creator commission.
    """

    party: str
    market: str
    rule: str
    basis: str
    keyed_by: tuple[str, ...]
    periods: Mapping[tuple[str, ...], Period]
    missing: Mapping[tuple[str, ...], GapSpec]
    fallback: GapSpec
    choices: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    defaults: Mapping[str, str] = attrs.field(factory=dict)
    creator_only: bool = False
    what: str = ""
    # Answers by basis day and key: a month of orders has a few dozen delivery days, so
    # each (frozen) line or gap is worked out once and shared.
    _answers: dict[object, PayoutLine | Gap] = attrs.field(factory=dict, init=False, eq=False, repr=False)
    _inputs: Callable[[OrderRecord], object] = attrs.field(init=False, eq=False, repr=False)

    @_inputs.default
    def _what_the_answer_depends_on(self) -> Callable[[OrderRecord], object]:
        return attrgetter(self.basis, "settlement_tier", *self.keyed_by)

    def apply(self, order: OrderRecord, creator: CreatorShare | None) -> PayoutLine | Gap | None:
        if self.creator_only and creator is None and order.affiliate_plan is None:
            return None  # no creator on the order (a commission that is a gap still has a date)
        inputs = self._inputs(order)
        found = self._answers.get(inputs)
        if found is None:
            when = getattr(order, self.basis)
            if when is None:
                raise InputError(f"required for the {self.party} payout date ({self.rule})", field=self.basis)
            basis = when.date()  # local: the engine hands blocks the market's wall-clock times
            if len(self._answers) >= 4096:  # bounded, for deliveries spanning years
                self._answers.clear()
            found = self._answers[inputs] = self._answer(order, basis)
        return found

    def _answer(self, order: OrderRecord, basis: dt.date) -> PayoutLine | Gap:
        values = [self._value(order, field) for field in self.keyed_by]
        if None in values:  # the period depends on an input the order lacks: a gap naming it
            field = self.keyed_by[values.index(None)]
            return Gap.from_error(f"payout:{self.party}", self._missing_input(field, values, basis))
        key = tuple(v for v in values if v is not None)
        period = self.periods.get(key)
        if period is None:
            spec = self.missing.get(key, self.fallback)
            what = ".".join(key)
            return spec.gap(f"payout:{self.party}", basis, key=spec.key.replace("*", what))
        paid = period.pay_date(basis)
        return PayoutLine(party=self.party, date=paid, rule=period.rule, source=period.source,
                          tier=order.settlement_tier or self.defaults.get("settlement_tier"), basis=self.basis,
                          basis_date=basis, days=(paid - basis).days, trail=period.trail)

    def _missing_input(self, field: str, values: list[str | None], basis: dt.date) -> PolicyGapError:
        allowed = self.choices.get(field)
        known = sorted({k[self.keyed_by.index(field)] for k in self.periods})
        hint = f"periods are published for: {', '.join(known)}" if known else \
            "no value has a published period here; an override file supplies one"
        extra = f" (one of {', '.join(allowed)})" if allowed else ""
        parts = ".".join(v if v is not None else f"<{f}>" for f, v in zip(self.keyed_by, values, strict=True))
        key = self.fallback.key.replace("*", parts) if "*" in self.fallback.key else self.fallback.key
        return PolicyGapError(market=self.market, rule=self.rule, key=key, on=basis,
                              detail=f"the order gives no {field}{extra}: the {self.party} payout date "
                                     f"({self.what or self.rule}) depends on it; {hint}")

    def _value(self, order: OrderRecord, field: str) -> str | None:
        value = getattr(order, field)
        allowed = self.choices.get(field)
        if value is None:
            return self.defaults.get(field)
        if allowed is not None and value not in allowed:
            default = f" (default {self.defaults[field]})" if field in self.defaults else ""
            raise InputError(f"expected one of {', '.join(allowed)}{default}, got {value!r}", field=field)
        return value  # type: ignore[no-any-return]
