"""TT-INC-1 Reputation Star (口碑之星) and TT-INC-2 Reputation Recommended Goods (口碑推荐好货)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shoppolicy import Engine, IncentiveResult, InputError, PolicyFileError, PolicyGapError

from .helpers import session, shop, star_override

STAR = "reputation-star"
GOODS = "recommended-goods"


@pytest.fixture
def star_engine(tmp_path: Path) -> Engine:
    """Engine with test weights and industries for tiktok-sea and tiktok-uk (helpers.STAR_WEIGHTS)."""
    return Engine(policy_files=[star_override(tmp_path / "star.toml")])


def by_subject(results: list[IncentiveResult]) -> dict[str, IncentiveResult]:
    return {r.subject: r for r in results}


# --- TT-INC-1 ----------------------------------------------------------------------


def test_TT_INC_1_without_weights_and_industries_evaluation_is_a_policy_gap(engine: Engine) -> None:
    with pytest.raises(PolicyGapError) as info:
        engine.incentive(STAR, [shop()])
    assert (info.value.market, info.value.rule) == ("tiktok-sea", "TT-INC-1")
    assert info.value.key.startswith("reputation_star.")


def test_TT_INC_1_weights_for_one_region_leave_the_other_a_gap(tmp_path: Path) -> None:
    engine = Engine(policy_files=[star_override(tmp_path / "sea.toml", markets=("tiktok-sea",))])
    assert engine.incentive(STAR, [shop()])[0].eligible
    with pytest.raises(PolicyGapError) as info:
        engine.incentive(STAR, [shop(market="tiktok-uk")])
    assert info.value.market == "tiktok-uk"


def test_TT_INC_1_a_shop_passing_every_threshold_is_eligible(star_engine: Engine) -> None:
    # 21 reviews > 20; USD 150.01 > 150; no penalty; T30 0.009 < benchmark 0.010
    result = star_engine.incentive(STAR, [shop()])[0]
    assert result.eligible and result.reasons == ()
    # 0.01 × 1000 + 100 × 0.30 − 500 × 0.010 = 10 + 30 − 5 = 35
    assert result.score == Decimal("35")
    assert (result.group, result.rank, result.awarded) == ("SEA/beauty", 1, True)


def test_TT_INC_1_every_failed_threshold_has_its_own_reason(star_engine: Engine) -> None:
    record = shop(cross_border=False, period_to="2023-03-01", review_count=20, average_daily_gmv_usd="150",
                  governance_penalty=True, negative_review_rate_t30="0.010", industry_benchmark_rate="0.010")
    result = star_engine.incentive(STAR, [record])[0]
    assert not result.eligible and result.rank is None and result.awarded is False
    assert [r.split(":")[0] for r in result.reasons] == [
        "period", "cross-border", "reviews", "average daily GMV", "governance penalty",
        "T30 merchant-responsible negative review rate"]


@pytest.mark.parametrize(("field", "failing", "passing"), [
    ("review_count", 20, 21),                           # more than 20
    ("average_daily_gmv_usd", "150.00", "150.01"),      # above USD 150
    ("negative_review_rate_t30", "0.010", "0.0099"),    # better (lower) than the 0.010 benchmark
    ("governance_penalty", True, False),
])
def test_TT_INC_1_thresholds_are_strict(star_engine: Engine, field: str, failing: Any, passing: Any) -> None:
    results = star_engine.incentive(STAR, [shop("fail", **{field: failing}), shop("pass", **{field: passing})])
    found = by_subject(results)
    assert not found["fail"].eligible and len(found["fail"].reasons) == 1
    assert found["pass"].eligible


def test_TT_INC_1_top10_of_each_region_and_industry_are_awarded(star_engine: Engine) -> None:
    # SEA beauty: shops with volume 100·i, review rate 0.30, negative 0.010 across the SEA
    # countries: 0.01 × 100·i + 30 − 5 = i + 25, so shop 11 ranks 1st ... shop 1 ranks 11th.
    markets = ["tiktok-id", "tiktok-my", "tiktok-th", "tiktok-vn", "tiktok-ph", "tiktok-sg"]
    records = [shop(f"sea-{i}", markets[i % len(markets)], order_volume=100 * i) for i in range(1, 12)]
    records.append(shop("uk-1", "tiktok-uk", order_volume=100))       # 1 + 25 = 26: alone in UK/beauty
    records.append(shop("sea-home", "tiktok-id", industry="home"))   # alone in SEA/home
    found = by_subject(star_engine.incentive(STAR, records))
    for i in range(1, 12):
        result = found[f"sea-{i}"]
        assert result.score == Decimal(i + 25)
        assert (result.group, result.rank, result.awarded) == ("SEA/beauty", 12 - i, i >= 2)
    assert (found["uk-1"].group, found["uk-1"].rank, found["uk-1"].awarded) == ("UK/beauty", 1, True)
    assert (found["sea-home"].group, found["sea-home"].rank) == ("SEA/home", 1)


def test_TT_INC_1_us_shops_are_not_in_the_programme(star_engine: Engine) -> None:
    result = star_engine.incentive(STAR, [shop(market="tiktok-us")])[0]
    assert not result.eligible and result.rank is None
    assert "not in the programme" in result.reasons[0]


def test_TT_INC_1_the_programme_period_is_2023_01_01_to_2023_02_28_utc(star_engine: Engine) -> None:
    found = by_subject(star_engine.incentive(STAR, [
        shop("full"),
        shop("early", period_from="2022-12-31"),
        shop("late", period_to="2023-03-01"),
        shop("partial", period_to="2023-02-10"),
    ]))
    assert found["full"].eligible and "provisional" not in found["full"].details
    assert not found["early"].eligible and found["early"].reasons[0].startswith("period")
    assert not found["late"].eligible and found["late"].reasons[0].startswith("period")
    assert found["partial"].eligible and "provisional" in found["partial"].details


def test_TT_INC_1_an_industry_outside_the_six_is_refused(star_engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        star_engine.incentive(STAR, [shop(industry="garden")])
    assert info.value.field == "industry" and "beauty" in str(info.value)


def test_TT_INC_1_a_positive_negative_review_weight_is_refused(tmp_path: Path) -> None:
    weights = {"order_volume": "1", "review_rate": "1", "negative_review_rate": "1"}
    engine = Engine(policy_files=[star_override(tmp_path / "bad.toml", weights=weights)])
    with pytest.raises(PolicyFileError) as info:
        engine.incentive(STAR, [shop()])
    assert "negative_review_rate" in str(info.value)


@pytest.mark.parametrize(("field", "value"), [("negative_review_rate", "1.5"), ("review_count", -1),
                                              ("period_to", "2022-12-01"), ("average_daily_gmv_usd", 150.5)])
def test_TT_INC_1_bad_figures_are_refused_naming_the_field(star_engine: Engine, field: str, value: Any) -> None:
    with pytest.raises(InputError) as info:
        star_engine.incentive(STAR, [shop(**{field: value})])
    assert info.value.field == field


def test_TT_INC_1_a_shop_given_twice_is_refused(star_engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        star_engine.incentive(STAR, [shop("a"), shop("a")])
    assert info.value.field == "shop_id"


# --- TT-INC-2 ----------------------------------------------------------------------


def subsidy(limit: int, tier: str = "regular", **fields: Any) -> dict[str, Any]:
    return session(goods_subsidy=True, product_tier=tier, purchase_limit=limit, **fields)


def commission(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"commission_incentive": True, "plan": "targeted", "agreed_rate": "0.15",
                              "required_rate": "0.12", "plan_rate": "0.15"}
    record.update(fields)
    return session(**record)


def test_TT_INC_2_subsidy_and_commission_in_one_session_is_refused(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.incentive(GOODS, [commission(goods_subsidy=True)])
    assert "never both" in str(info.value)


def test_TT_INC_2_a_session_with_no_incentive_is_refused(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.incentive(GOODS, [session()])
    assert info.value.field == "goods_subsidy"


@pytest.mark.parametrize(("tier", "allowed", "too_many"), [("regular", 5, 6), ("high_value", 1, 2)])
def test_TT_INC_2_subsidy_purchase_limits(engine: Engine, tier: str, allowed: int, too_many: int) -> None:
    ok = engine.incentive(GOODS, [subsidy(allowed, tier)])[0]
    assert ok.eligible and ok.details["max_purchase_limit"] == str(allowed)
    over = engine.incentive(GOODS, [subsidy(too_many, tier)])[0]
    assert not over.eligible
    assert over.reasons == (f"purchase limit: {too_many} orders set on a {tier.replace('_', '-')} product, "
                            f"at most {allowed} with the goods subsidy",)


def test_TT_INC_2_a_field_of_the_other_incentive_is_refused(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.incentive(GOODS, [subsidy(5, agreed_rate="0.10")])
    assert info.value.field == "agreed_rate"
    with pytest.raises(InputError) as info:
        engine.incentive(GOODS, [commission(purchase_limit=3)])
    assert info.value.field == "purchase_limit"


def test_TT_INC_2_the_creator_gets_an_extra_5_percent_commission(engine: Engine) -> None:
    # UK: 1200.00 GBP × 0.05 = 60.00 GBP; Indonesia: 3500010 × 0.05 = 175000.50 → 175001 IDR (whole rupiah)
    uk = engine.incentive(GOODS, [commission(market="tiktok-uk", sales_amount="1200.00", currency="GBP")])[0]
    assert uk.eligible and uk.details["status"] == "active"
    assert (uk.details["extra_commission_rate"], uk.details["extra_commission"]) == ("0.05", "60.00")
    idr = engine.incentive(GOODS, [commission(sales_amount="3500010", currency="IDR")])[0]
    assert idr.details["extra_commission"] == "175001"
    # Vietnam: 99990 VND × 0.05 = 4999.5 → 5000 VND (whole dong, half up)
    vnd = engine.incentive(GOODS, [commission(market="tiktok-vn", sales_amount="99990", currency="VND")])[0]
    assert vnd.details["extra_commission"] == "5000"


@pytest.mark.parametrize(("change", "reason"), [
    ({"plan_rate": "0.14"}, "extra commission revoked: the targeted plan's rate 0.14 is below the agreed 0.15"),
    ({"plan_rate": None, "plan_cancelled": True}, "extra commission revoked: the targeted plan's rate was cancelled"),
])
def test_TT_INC_2_the_extra_5_percent_is_revoked_when_the_plan_rate_is_cancelled_or_lowered(
        engine: Engine, change: dict[str, Any], reason: str) -> None:
    result = engine.incentive(GOODS, [commission(sales_amount="1000000", currency="IDR", **change)])[0]
    assert not result.eligible and result.reasons == (reason,)
    assert (result.details["status"], result.details["extra_commission"]) == ("revoked", "0")


def test_TT_INC_2_a_plan_rate_raised_above_the_agreed_rate_keeps_the_extra(engine: Engine) -> None:
    assert engine.incentive(GOODS, [commission(plan_rate="0.20")])[0].eligible


def test_TT_INC_2_the_agreed_rate_must_meet_the_platforms_requirement(engine: Engine) -> None:
    result = engine.incentive(GOODS, [commission(agreed_rate="0.10", plan_rate="0.10")])[0]
    assert result.reasons == ("commission rate: the agreed 0.10 does not meet the platform's required 0.12",)


def test_TT_INC_2_sales_in_another_currency_are_refused(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        engine.incentive(GOODS, [commission(sales_amount="100.00", currency="USD")])
    assert info.value.field == "currency" and "IDR" in str(info.value)


def test_TT_INC_2_us_sessions_are_a_policy_gap(engine: Engine) -> None:
    with pytest.raises(PolicyGapError) as info:
        engine.incentive(GOODS, [subsidy(1, market="tiktok-us")])
    assert (info.value.market, info.value.rule) == ("tiktok-us", "TT-INC-2")
