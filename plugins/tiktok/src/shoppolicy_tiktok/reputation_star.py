"""Reputation Star — 口碑之星 — (TT-INC-1), programme id ``reputation-star``.

One input record per shop (:class:`ShopReputation`) with the figures TikTok Shop counts
over the policy period: orders created 2023-01-01..2023-02-28 inclusive, UTC+0.  A record
says which UTC+0 dates its figures were counted over (``period_from``, ``period_to``);
figures reaching outside the programme period make the shop ineligible with a reason,
and a shorter window is evaluated but marked provisional.

Eligibility (all required, each failure a reason): a cross-border merchant (跨境商家); more
than 20 reviews in the period; average daily GMV above USD 150; no governance penalty
(治理规则处罚) in the period; a T30 merchant-responsible negative review rate (商责差评率)
better — lower — than the industry benchmark the record gives.

Ranking: per (region, industry), region ``SEA`` for tiktok-sea and its variants and ``UK``
for tiktok-uk (policy key ``reputation_star.region``; tiktok-us has none and is not in
the programme), the TOP10 of each group awarded.  Reputation contribution =
``w_order_volume × order_volume + w_review_rate × review_rate + w_negative_review_rate ×
negative_review_rate``; the seed gives neither the weights nor the six industries, so
both are policy gaps until an override file supplies them for the region's market
(tiktok-sea or tiktok-uk, so that every shop of a group is scored alike).  The negative
review weight must be zero or negative, the others zero or positive: the weights carry
both sign and scale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from shoppolicy import IncentiveResult, InputError, MarketError
from shoppolicy.convert import field_error
from shoppolicy.errors import PolicyFileError
from shoppolicy.money import ZERO
from shoppolicy.policy import Entry, PolicyView
from shoppolicy.rules import PolicyLookup, rank_within_groups, trail_for

PROGRAM_ID = "reputation-star"
RULE = "TT-INC-1"
_KEY = "reputation_star."
WEIGHTS = ("order_volume", "review_rate", "negative_review_rate")


def _count(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 0:
        raise field_error(attribute, f"expected a whole number >= 0, got {value}")


def _money(instance: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if value < 0:
        raise field_error(attribute, f"expected a decimal string >= 0, got {value}")


def _rate(instance: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if not ZERO <= value <= 1:
        raise field_error(attribute, f"expected a rate between \"0\" and \"1\" (e.g. \"0.012\"), got {value}")


@attrs.frozen(slots=True)
class ShopReputation:
    """One shop's Reputation Star figures over the period its orders were counted.

    Dates are UTC+0 days; rates are fractions ("0.012" = 1.2%).  ``negative_review_rate``
    (店铺差评率) enters the contribution, ``negative_review_rate_t30`` the threshold.
    """

    shop_id: str
    market: str
    industry: str
    cross_border: bool
    period_from: dt.date
    period_to: dt.date = attrs.field()
    review_count: int = attrs.field(validator=_count)
    average_daily_gmv_usd: Decimal = attrs.field(validator=_money)
    governance_penalty: bool = attrs.field()
    negative_review_rate_t30: Decimal = attrs.field(validator=_rate)
    industry_benchmark_rate: Decimal = attrs.field(validator=_rate)
    order_volume: int = attrs.field(validator=_count)
    review_rate: Decimal = attrs.field(validator=_rate)
    negative_review_rate: Decimal = attrs.field(validator=_rate)

    @period_to.validator
    def _after_start(self, attribute: attrs.Attribute[Any], value: dt.date) -> None:
        if value < self.period_from:
            raise field_error(attribute, f"expected a date on or after period_from ({self.period_from}), got {value}")


@attrs.frozen(slots=True)
class _Programme:
    """The programme's values for one region, read once per evaluation."""

    region: str
    market: str
    period_from: dt.date
    period_to: dt.date
    reviews_more_than: int
    gmv_above: Decimal
    top_n: int
    industries: tuple[str, ...]
    weights: dict[str, Decimal]
    entries: tuple[Entry, ...]


def _date(view: PolicyView, key: str) -> tuple[dt.date, Entry]:
    entry = view.entry(key, RULE)
    try:
        return dt.date.fromisoformat(str(entry.value)), entry
    except ValueError:
        raise PolicyFileError(entry.path, f"{key}: expected an ISO date, got {entry.value!r}") from None


def _programme(view: PolicyView, region: str) -> _Programme:
    start, start_entry = _date(view, _KEY + "period_from")
    end, end_entry = _date(view, _KEY + "period_to")
    entries = [start_entry, end_entry]
    ints = {}
    for key in ("reviews_more_than", "top_n"):
        ints[key] = view.integer(_KEY + key, RULE)
        entries.append(view.entry(_KEY + key, RULE))
    gmv_key = _KEY + "average_daily_gmv_usd_above"
    gmv = view.decimal(gmv_key, RULE)
    entries.append(view.entry(gmv_key, RULE))
    industries_entry = view.entry(_KEY + "industries", RULE)
    industries = industries_entry.value
    if not isinstance(industries, list) or not industries or not all(isinstance(i, str) and i for i in industries):
        raise PolicyFileError(industries_entry.path, f"{_KEY}industries: expected a list of industry keys, "
                              f"got {industries!r}")
    entries.append(industries_entry)
    weights = {}
    for name in WEIGHTS:
        key = f"{_KEY}weight.{name}"
        weight = view.decimal(key, RULE)
        entry = view.entry(key, RULE)
        if (name == "negative_review_rate" and weight > 0) or (name != "negative_review_rate" and weight < 0):
            sign = "zero or negative: more negative reviews must never raise the contribution" \
                if name == "negative_review_rate" else "zero or positive"
            raise PolicyFileError(entry.path, f"{key}: expected {sign}, got {weight}")
        weights[name] = weight
        entries.append(entry)
    return _Programme(region=region, market=view.market.id, period_from=start, period_to=end,
                      reviews_more_than=ints["reviews_more_than"], gmv_above=gmv, top_n=ints["top_n"],
                      industries=tuple(industries), weights=weights, entries=tuple(entries))


def _view(lookup: PolicyLookup, market: str, at: dt.datetime) -> PolicyView:
    try:
        return lookup(market, at)
    except MarketError as exc:
        raise InputError(str(exc), field="market") from None


def _reasons(r: ShopReputation, p: _Programme) -> list[str]:
    reasons = []
    if r.period_from < p.period_from or r.period_to > p.period_to:
        reasons.append(f"period: figures counted {r.period_from}..{r.period_to} (UTC+0) reach outside the programme "
                       f"period {p.period_from}..{p.period_to}")
    if not r.cross_border:
        reasons.append("cross-border: the programme is for cross-border merchants (跨境商家)")
    if not r.review_count > p.reviews_more_than:
        reasons.append(f"reviews: {r.review_count} in the period is not more than {p.reviews_more_than}")
    if not r.average_daily_gmv_usd > p.gmv_above:
        reasons.append(f"average daily GMV: USD {r.average_daily_gmv_usd} is not above USD {p.gmv_above}")
    if r.governance_penalty:
        reasons.append("governance penalty: the shop was penalised under the governance rules in the period")
    if not r.negative_review_rate_t30 < r.industry_benchmark_rate:
        reasons.append(f"T30 merchant-responsible negative review rate: {r.negative_review_rate_t30} is not better "
                       f"(lower) than the industry benchmark {r.industry_benchmark_rate}")
    return reasons


@attrs.frozen(slots=True)
class ReputationStar:
    """TT-INC-1: eligibility with a reason per failed threshold, ranking per (region, industry)."""

    id: str = PROGRAM_ID
    name: str = "Reputation Star (口碑之星)"
    record_type: type = ShopReputation

    def evaluate(self, records: Sequence[ShopReputation], lookup: PolicyLookup) -> list[IncentiveResult]:
        seen: set[tuple[str, str]] = set()
        programmes: dict[tuple[str, int], _Programme] = {}
        results: list[IncentiveResult] = []
        for r in records:
            if (r.market, r.shop_id) in seen:
                raise InputError(f"shop {r.shop_id} of {r.market} appears twice; give one record per shop",
                                 field="shop_id")
            seen.add((r.market, r.shop_id))
            at = dt.datetime(r.period_from.year, r.period_from.month, r.period_from.day, tzinfo=dt.timezone.utc)
            region_entry = _view(lookup, r.market, at).optional(_KEY + "region")
            if region_entry is None:
                results.append(IncentiveResult(
                    program=self.id, subject=r.shop_id, market=r.market, eligible=False,
                    reasons=(f"region: {r.market} is not in the programme; Reputation Star ranks Southeast Asia "
                             "(tiktok-sea markets) and UK shops only (TT-INC-1)",)))
                continue
            region_view = _view(lookup, region_entry.market, at)
            programme = programmes.get((region_view.market.id, region_view.epoch))
            if programme is None:
                programme = programmes[(region_view.market.id, region_view.epoch)] = \
                    _programme(region_view, str(region_entry.value))
            results.append(self._result(r, programme))
        return self._ranked(results, programmes.values())

    def _result(self, r: ShopReputation, p: _Programme) -> IncentiveResult:
        if r.industry not in p.industries:
            raise InputError(f"expected one of the programme's industries for {p.region} "
                             f"({', '.join(p.industries)}), got {r.industry!r} (shop {r.shop_id})", field="industry")
        reasons = _reasons(r, p)
        w = p.weights
        score = (w["order_volume"] * r.order_volume + w["review_rate"] * r.review_rate
                 + w["negative_review_rate"] * r.negative_review_rate)
        details = {"region": p.region, "industry": r.industry, "contribution": str(score),
                   "period": f"{r.period_from}..{r.period_to} (UTC+0)"}
        if not reasons and (r.period_from, r.period_to) != (p.period_from, p.period_to):
            details["provisional"] = (f"figures counted {r.period_from}..{r.period_to}; the programme period is "
                                      f"{p.period_from}..{p.period_to}")
        trail = trail_for(RULE, "reputation contribution and thresholds", p.entries,
                          **{f"weight.{k}": v for k, v in w.items()}, region=p.region)
        return IncentiveResult(program=self.id, subject=r.shop_id, market=r.market, eligible=not reasons,
                               reasons=tuple(reasons), score=score, group=f"{p.region}/{r.industry}",
                               details=details, trail=(trail,))

    @staticmethod
    def _ranked(results: list[IncentiveResult], programmes: Any) -> list[IncentiveResult]:
        # One top_n per region; a group never spans two regions (its name starts with one).
        top = {p.region: p.top_n for p in programmes}
        out = list(results)
        for region, top_n in top.items():
            mine = [i for i, res in enumerate(results) if res.group is not None and res.group.startswith(region + "/")]
            for i, ranked in zip(mine, rank_within_groups([results[i] for i in mine], top_n), strict=True):
                out[i] = ranked
        return [res if res.awarded is not None else attrs.evolve(res, awarded=False) for res in out]
