"""Livestream stops (TT-VIO-1): to be built (issue 4)."""

from __future__ import annotations

from shoppolicy import Market
from shoppolicy.rules import ViolationHandler


def handlers(market: Market) -> list[ViolationHandler]:
    return []
