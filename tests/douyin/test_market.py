"""The plugin as installed: the ``douyin`` market it declares through the entry point."""

from __future__ import annotations

from shoppolicy import Engine


def test_douyin_market_is_declared_by_the_installed_plugin(engine: Engine) -> None:
    market = engine.market("douyin")
    assert (market.name, market.currency, market.timezone, market.parent, market.plugin) == (
        "Douyin Shop (抖店)", "CNY", "Asia/Shanghai", None, "shoppolicy-douyin")
    assert not [p for p in engine.problems if "douyin" in p]
    info = next(i for i in engine.plugins() if i.distribution == "shoppolicy-douyin")
    assert (info.status, info.markets) == ("ok", ("douyin",))


def test_every_published_value_cites_a_douyin_catalogue_id(engine: Engine) -> None:
    states = engine.rules("douyin", "2025-01-01")
    assert {s.rule for s in states} == {"DY-FEE-1", "DY-FEE-2", "DY-FEE-3", "DY-PAY-1", "DY-VIO-1", "DY-VIO-2",
                                        "DY-VIO-3", "DY-VIO-4"}
    for s in states:
        if s.state == "in_force":
            assert s.source is not None and s.source.startswith(s.rule), s
            assert s.confidence in ("seed", "derived"), s  # derived: worked out from the seed
            assert s.retrieved is not None and s.retrieved.isoformat() == "2022-12-12", s  # the seed's date
