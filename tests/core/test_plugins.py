"""Plugin discovery through entry points, and plugins that must not take the SDK down."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shoppolicy import Engine

CONTRIB = '''
from pathlib import Path
from shoppolicy import hookimpl

@hookimpl
def shoppolicy_policy_files():
    return [Path(__file__).with_name("contrib.toml")]
'''

DUPLICATE = '''
from shoppolicy import Market, hookimpl

@hookimpl
def shoppolicy_markets():
    return [Market(id="acme", name="Another Acme", currency="USD", timezone="UTC"),
            Market(id="dup-only", name="Dup only", currency="EUR", timezone="UTC")]
'''

MISSPELT = '''
from shoppolicy import hookimpl

@hookimpl
def shoppolicy_fee_ruels(market, policy):
    return []
'''

BAD_ZONE = '''
from shoppolicy import Market, hookimpl

@hookimpl
def shoppolicy_markets():
    return [Market(id="nowhere", name="Nowhere", currency="USD", timezone="Mars/Olympus")]
'''


def test_entry_point_discovery_names_distribution_and_version(acme_installed: None) -> None:
    engine = Engine()
    info = next(i for i in engine.plugins() if i.name == "acme")
    assert (info.distribution, info.version, info.status) == ("acme-plugin", "1.2.0", "ok")
    assert info.markets == ("acme", "acme-west")
    assert engine.market("acme-west").plugin == "acme-plugin"
    assert engine.market("acme-west").parent == "acme"


def test_broken_plugin_is_reported_and_others_keep_working(acme_installed: None,
                                                           make_dist: Callable[..., Path]) -> None:
    make_dist("broken-plugin", "0.3.0", {"broken": "module_that_does_not_exist"})
    engine = Engine()
    broken = next(i for i in engine.plugins() if i.name == "broken")
    assert broken.status == "failed"
    assert "ModuleNotFoundError" in (broken.error or "")
    assert any(p.startswith("broken-plugin 0.3.0: plugin 'broken' was not loaded") for p in engine.problems)
    # acme still quotes: 100.00 × 6% (in force from 2024-07-01) = 6.00
    assert engine.quote({"order_id": "1", "market": "acme", "category": "toys", "amount": "100.00",
                         "currency": "USD", "placed_at": "2024-07-01"}).fees[0].amount == 6


def test_duplicate_market_id_names_both_plugins_and_keeps_the_rest(acme_installed: None,
                                                                   make_dist: Callable[..., Path]) -> None:
    make_dist("zz-dup", "2.0", {"dup": "dup_plugin"}, {"dup_plugin": DUPLICATE})
    engine = Engine()
    problem = next(p for p in engine.problems if "'acme'" in p)
    assert "acme-plugin 1.2.0" in problem and "zz-dup 2.0" in problem
    assert "acme" not in [m.id for m in engine.markets()]
    # the duplicate plugin's other market, and acme's variant's own data, are untouched
    assert engine.market("dup-only").currency == "EUR"


def test_misspelt_hook_name_is_reported(make_dist: Callable[..., Path]) -> None:
    make_dist("typo-plugin", "1.0", {"typo": "typo_plugin"}, {"typo_plugin": MISSPELT})
    engine = Engine()
    info = next(i for i in engine.plugins() if i.name == "typo")
    assert info.status == "failed"
    assert "shoppolicy_fee_ruels" in (info.error or "")


def test_market_with_unknown_time_zone_is_refused(make_dist: Callable[..., Path]) -> None:
    make_dist("zone-plugin", "1.0", {"zone": "zone_plugin"}, {"zone_plugin": BAD_ZONE})
    engine = Engine()
    info = next(i for i in engine.plugins() if i.name == "zone")
    assert info.status == "failed" and "Mars/Olympus" in (info.error or "")


def test_contributed_policy_layer_sits_above_the_owner(acme_installed: None, make_dist: Callable[..., Path],
                                                       tmp_path: Path) -> None:
    info = make_dist("acme-negotiated", "0.1", {"contrib": "contrib_plugin"}, {"contrib_plugin": CONTRIB})
    (info.parent / "contrib.toml").write_text(
        '[[values]]\nmarket = "acme-west"\nrule = "TEST-PAY-1"\nkey = "payout.days"\nvalue = 2\n'
        'source = "TEST-PAY-1"\n')
    engine = Engine()
    state = next(r for r in engine.rules("acme-west", "2024-07-01") if r.key == "payout.days")
    assert state.value == "2"
    assert state.layer is not None and state.layer.startswith("acme-negotiated 0.1")
