"""Douyin violations: deposit deductions (扣除保证金) and penalty points (扣分), DY-VIO-1..4.

One handler per rule, each assessing one shop's events of its kind in time order (the
engine groups events by shop, converts their times to Shanghai wall-clock time and
applies the deductions to the starting deposit).  Offence history is the events
supplied for the shop: nothing outside them is assumed.  Amounts, caps, counts and
windows are policy data read at each event's time; the mechanics below are the
catalogue's interpretations:

- ``false_advertising`` (虚假宣传, DY-VIO-1): by severity; a minor event that is not the
  shop's first false-advertising event is charged as ``false_advertising.repeat_minor_as``.
- ``fake_shipping`` (虚假发货, DY-VIO-2): per violating order, capped per shop and
  Shanghai calendar day (the crossing deduction is cut to what is left); an order
  penalised again is flagged ``delisting_risk``, a severe event ``closure_risk``.
- ``cs_check_failed`` (客服抽查, DY-VIO-3): the first failure beyond the allowed count
  triggers one deduction; later ones do not.
- ``reply_rate_missed`` (三分钟回复率, DY-VIO-4): penalty points inside the 08:00–23:00
  assessment window; outside it the event is reported, flagged, with 0 points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import attrs

from shoppolicy import InputError, Market, PenaltyLine, PolicyFileError, ViolationEvent
from shoppolicy.blocks.keys import KeySpec
from shoppolicy.money import ZERO, round_money
from shoppolicy.policy import Entry, PolicyView
from shoppolicy.rules import PolicyLookup, trail_for

SEVERITIES = ("minor", "moderate", "severe")

KEYS: list[KeySpec] = [
    KeySpec("false_advertising.deduction.*", "money", "DY-VIO-1", "deposit deduction by severity"),
    KeySpec("false_advertising.repeat_minor_as", "text", "DY-VIO-1", "the severity a repeated minor offence counts as"),
    KeySpec("fake_shipping.deduction_per_order", "money", "DY-VIO-2", "deduction per violating order"),
    KeySpec("fake_shipping.daily_cap_per_shop", "money", "DY-VIO-2", "deductions per shop per calendar day"),
    KeySpec("cs_check.failures_allowed", "count", "DY-VIO-3", "failed phone checks before a deduction"),
    KeySpec("cs_check.deduction", "money", "DY-VIO-3", "the deduction for too many failed checks"),
    KeySpec("reply_rate.window_start", "text", "DY-VIO-4", "start of the assessed hours (08:00)"),
    KeySpec("reply_rate.window_end", "text", "DY-VIO-4", "end of the assessed hours (23:00)"),
    KeySpec("reply_rate.points", "decimal", "DY-VIO-4", "penalty points for a missed reply"),
]
FLAG_REPEAT = "repeat_offence"
FLAG_CAPPED = "daily_cap"
FLAG_DELISTING = "delisting_risk"
FLAG_CLOSURE = "closure_risk"
FLAG_OUTSIDE = "outside_assessment_window"


def _where(event: ViolationEvent) -> str:
    order = f", order {event.order_id}" if event.order_id else ""
    return f"{event.kind} event of shop {event.shop_id} at {event.at.isoformat()}{order}"


def _severity(event: ViolationEvent, rule: str, *, required: bool) -> str | None:
    if event.severity is None:
        if required:
            raise InputError(f"{_where(event)}: required for {rule}, one of {', '.join(SEVERITIES)}",
                             field="severity")
        return None
    if event.severity not in SEVERITIES:
        raise InputError(f"{_where(event)}: expected one of {', '.join(SEVERITIES)}, got {event.severity!r}",
                         field="severity")
    return event.severity


def _no_amount(event: ViolationEvent, rule: str) -> None:
    # The deduction is policy data; an amount on the event would be silently ignored.
    if event.amount is not None:
        raise InputError(f"{_where(event)}: not used on douyin, the deduction comes from policy data ({rule}); "
                         "change it with an override file (--policy FILE)", field="amount")


def _money(policy: PolicyView, key: str, rule: str, currency: str) -> tuple[Decimal, Entry]:
    entry = policy.entry(key, rule)
    return round_money(policy.decimal(key, rule), currency), entry


@attrs.frozen(slots=True)
class FalseAdvertising:
    """虚假宣传 (DY-VIO-1): minor (first offence) / moderate / severe deductions."""

    currency: str
    rule: str = "DY-VIO-1"
    kinds: tuple[str, ...] = ("false_advertising",)

    def assess(self, events: Sequence[ViolationEvent], lookup: PolicyLookup) -> list[PenaltyLine]:
        out = []
        for count, event in enumerate(events):
            _no_amount(event, self.rule)
            severity = _severity(event, self.rule, required=True)
            assert severity is not None
            policy = lookup(event.market, event.at)
            charged, note = severity, None
            flags: tuple[str, ...] = ()
            used: list[Entry] = []
            if severity == "minor" and count > 0:
                repeat = policy.entry("false_advertising.repeat_minor_as", self.rule)
                if repeat.value not in SEVERITIES:
                    raise PolicyFileError(repeat.path, f"false_advertising.repeat_minor_as: expected one of "
                                          f"{', '.join(SEVERITIES)}, got {repeat.value!r}")
                charged, flags, used = str(repeat.value), (FLAG_REPEAT,), [repeat]
                note = (f"minor, but false-advertising event {count + 1} of the shop (not its first): "
                        f"charged as {charged}")
            deduction, entry = _money(policy, f"false_advertising.deduction.{charged}", self.rule, self.currency)
            out.append(PenaltyLine(
                shop_id=event.shop_id, market=event.market, kind=event.kind, at=event.at, deduction=deduction,
                rule=self.rule, source=entry.source, order_id=event.order_id, severity=severity, flags=flags,
                note=note, trail=trail_for(self.rule, "false advertising deposit deduction (虚假宣传)",
                                           [entry, *used], severity=severity, charged_as=charged,
                                           offence=count + 1)))
        return out


@attrs.frozen(slots=True)
class FakeShipping:
    """虚假发货 (DY-VIO-2): a deduction per violating order, capped per shop and day."""

    currency: str
    rule: str = "DY-VIO-2"
    kinds: tuple[str, ...] = ("fake_shipping",)

    def assess(self, events: Sequence[ViolationEvent], lookup: PolicyLookup) -> list[PenaltyLine]:
        out = []
        spent: dict[dt.date, Decimal] = {}
        times_penalised: dict[str, int] = {}
        for event in events:
            _no_amount(event, self.rule)
            severity = _severity(event, self.rule, required=False)
            if event.order_id is None:
                raise InputError(f"{_where(event)}: required, {self.rule} deducts per violating order",
                                 field="order_id")
            policy = lookup(event.market, event.at)
            per_order, per_entry = _money(policy, "fake_shipping.deduction_per_order", self.rule, self.currency)
            cap, cap_entry = _money(policy, "fake_shipping.daily_cap_per_shop", self.rule, self.currency)
            day = event.at.date()  # already Shanghai wall-clock time: the cap's calendar day
            so_far = spent.get(day, ZERO)
            deduction = min(per_order, max(cap - so_far, ZERO))
            spent[day] = so_far + deduction
            times = times_penalised[event.order_id] = times_penalised.get(event.order_id, 0) + 1
            flags = []
            notes = []
            if deduction < per_order:
                flags.append(FLAG_CAPPED)
                notes.append(f"cut from {per_order} to {deduction}: {so_far} of the {cap} {self.currency} daily cap "
                             f"already deducted on {day.isoformat()} (Asia/Shanghai)")
            if times > 1:
                flags.append(FLAG_DELISTING)
                notes.append(f"order penalised {times} times: the product may be delisted (下架)")
            if severity == "severe":
                flags.append(FLAG_CLOSURE)
                notes.append("severe: the shop may be closed or forced to exit (关店/强制退店); no amount is "
                             "published for that, so it is charged like any other")
            out.append(PenaltyLine(
                shop_id=event.shop_id, market=event.market, kind=event.kind, at=event.at, deduction=deduction,
                rule=self.rule, source=per_entry.source, order_id=event.order_id, severity=severity,
                flags=tuple(flags), note="; ".join(notes) or None, uncapped=per_order,
                trail=trail_for(self.rule, "fake shipping deposit deduction (虚假发货)", [per_entry, cap_entry],
                                per_order=per_order, daily_cap=cap, day=day.isoformat(),
                                deducted_before_today=so_far, times_order_penalised=times)))
        return out


@attrs.frozen(slots=True)
class CustomerServiceCheck:
    """客服抽查 (DY-VIO-3): one deduction once failed phone checks exceed the allowed count."""

    currency: str
    rule: str = "DY-VIO-3"
    kinds: tuple[str, ...] = ("cs_check_failed",)

    def assess(self, events: Sequence[ViolationEvent], lookup: PolicyLookup) -> list[PenaltyLine]:
        out = []
        triggered_at: int | None = None
        for failures, event in enumerate(events, start=1):
            _no_amount(event, self.rule)
            severity = _severity(event, self.rule, required=False)
            policy = lookup(event.market, event.at)
            allowed_entry = policy.entry("cs_check.failures_allowed", self.rule)
            allowed = policy.integer("cs_check.failures_allowed", self.rule)
            amount, entry = _money(policy, "cs_check.deduction", self.rule, self.currency)
            if triggered_at is None and failures > allowed:
                triggered_at = failures
                deduction = amount
                note = f"failure {failures}: more than {allowed} failed checks"
            elif triggered_at is None:
                deduction = round_money(ZERO, self.currency)
                note = f"failure {failures} of {allowed} allowed before a deduction"
            else:
                deduction = round_money(ZERO, self.currency)
                note = (f"failure {failures}: the deduction was already triggered at failure {triggered_at}; "
                        "later failures in the same supply do not trigger another")
            out.append(PenaltyLine(
                shop_id=event.shop_id, market=event.market, kind=event.kind, at=event.at, deduction=deduction,
                rule=self.rule, source=entry.source, order_id=event.order_id, severity=severity, note=note,
                trail=trail_for(self.rule, "customer-service spot check deduction (客服抽查)", [allowed_entry, entry],
                                failures=failures, failures_allowed=allowed, deduction=amount)))
        return out


@attrs.frozen(slots=True)
class ReplyRate:
    """三分钟回复率 (DY-VIO-4): penalty points for a missed reply inside the assessment window."""

    currency: str
    rule: str = "DY-VIO-4"
    kinds: tuple[str, ...] = ("reply_rate_missed",)

    def assess(self, events: Sequence[ViolationEvent], lookup: PolicyLookup) -> list[PenaltyLine]:
        out = []
        for event in events:
            _no_amount(event, self.rule)
            severity = _severity(event, self.rule, required=False)
            policy = lookup(event.market, event.at)
            start_entry, start = self._time(policy, "reply_rate.window_start")
            end_entry, end = self._time(policy, "reply_rate.window_end")
            window = f"{start:%H:%M}-{end:%H:%M}"
            if start <= event.at.time() < end:
                points_entry = policy.entry("reply_rate.points", self.rule)  # a gap until supplied
                points = policy.decimal("reply_rate.points", self.rule)
                flags: tuple[str, ...] = ()
                note = None
                entries = [start_entry, end_entry, points_entry]
                source = points_entry.source
            else:
                points, flags, entries, source = ZERO, (FLAG_OUTSIDE,), [start_entry, end_entry], start_entry.source
                note = f"at {event.at:%H:%M}, outside the {window} assessment window (Asia/Shanghai): not assessed"
            out.append(PenaltyLine(
                shop_id=event.shop_id, market=event.market, kind=event.kind, at=event.at,
                deduction=round_money(ZERO, self.currency),
                rule=self.rule, source=source, order_id=event.order_id, severity=severity, points=points,
                flags=flags, note=note,
                trail=trail_for(self.rule, "three-minute reply rate penalty points (三分钟回复率扣分)", entries,
                                window=window, time=f"{event.at:%H:%M}", points=points)))
        return out

    def _time(self, policy: PolicyView, key: str) -> tuple[Entry, dt.time]:
        entry = policy.entry(key, self.rule)
        try:
            return entry, dt.time.fromisoformat(str(entry.value))
        except ValueError:
            raise PolicyFileError(entry.path, f"{key}: expected a time of day such as \"08:00\", "
                                  f"got {entry.value!r}") from None


Handler = FalseAdvertising | FakeShipping | CustomerServiceCheck | ReplyRate


def handlers(market: Market) -> list[Handler]:
    """The violation handlers of a Douyin market, one per rule (each a
    :class:`~shoppolicy.rules.ViolationHandler`)."""
    currency = market.currency or "CNY"
    return [FalseAdvertising(currency), FakeShipping(currency), CustomerServiceCheck(currency), ReplyRate(currency)]
