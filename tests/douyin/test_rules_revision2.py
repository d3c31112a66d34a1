"""Issue 16's audit of the Douyin policy data (rules-catalogue.md, revision of 2026-11-30):
every date the plugin chose is recorded with its reason, derived values say so, and every
value says when a source last confirmed it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoppolicy import Engine
from shoppolicy.policy import Entry, load_policy_file

DOUYIN_TOML = (Path(__file__).resolve().parents[2] / "plugins" / "douyin" / "src" / "shoppolicy_douyin" / "policy"
               / "douyin.toml")
VALUES = [e for e in load_policy_file(DOUYIN_TOML) if not e.is_gap]


@pytest.mark.parametrize("entry", VALUES, ids=[e.key for e in VALUES])
def test_DY_every_value_starts_at_the_seeds_date_and_says_why(entry: Entry) -> None:
    assert entry.start is not None and entry.start.date().isoformat() == "2022-12-12"
    assert "In force from 2022-12-12, the date of seed 002" in (entry.interpretation or "")
    assert entry.retrieved is not None and entry.retrieved.isoformat() == "2022-12-12"  # the seed's own date


@pytest.mark.parametrize(("rule", "key"), [("DY-PAY-1", "settlement.tiers"),
                                          ("DY-VIO-1", "false_advertising.repeat_minor_as")])
def test_DY_derived_values_are_labelled_derived(engine: Engine, rule: str, key: str) -> None:
    entry = engine.view("douyin", "2025-01-01").entry(key, rule)
    assert entry.confidence == "derived" and (entry.note or "").startswith(f"Derived from {rule}")


def test_DY_FEE_1_an_order_before_the_seed_is_a_gap_not_a_guess(engine: Engine) -> None:
    states = {r.key: r for r in engine.rules("douyin", "2022-12-11")}
    assert states["technical_service_fee.base"].state == "not_yet"
