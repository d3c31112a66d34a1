"""Incentive programmes (TT-INC-*): to be built (issue 4)."""

from __future__ import annotations

from shoppolicy.rules import IncentiveProgram


def programs() -> list[IncentiveProgram]:
    return []
