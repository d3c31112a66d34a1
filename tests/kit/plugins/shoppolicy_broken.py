"""A deliberately broken plugin: each conformance check has something to find in it.

Test data only (never installed): see README.md beside this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shoppolicy import Market, hookimpl

HERE = Path(__file__).parent


@hookimpl
def shoppolicy_markets() -> list[Market]:
    # "XYZ" is not an ISO 4217 code the core knows: Market refuses it.
    return [Market(id="broken-mall", name="Broken Mall", currency="XYZ", timezone="Europe/Berlin")]


@hookimpl
def shoppolicy_policy_files() -> list[Path]:
    return [HERE / "broken_no_source.toml", HERE / "broken_float.toml", HERE / "broken_sources.toml"]


@hookimpl
def shoppolicy_fee_rule(market: Market, policy: Any) -> None:  # misspelt: the spec is shoppolicy_fee_rules
    return None


def shoppolicy_payout_rules(market: Market, policy: Any) -> None:  # no @hookimpl: pluggy would ignore it
    return None
