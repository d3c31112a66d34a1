"""The incentive programmes this plugin evaluates (口碑经营, TT-INC-*).

Each programme lives in its own module: reputation_star.py (口碑之星, TT-INC-1,
``reputation-star``) and recommended_goods.py (口碑推荐好货, TT-INC-2,
``recommended-goods``).  This module only lists them for the hook.
"""

from __future__ import annotations

from shoppolicy.rules import IncentiveProgram
from shoppolicy_tiktok.recommended_goods import RecommendedGoods
from shoppolicy_tiktok.reputation_star import ReputationStar


def programs() -> list[IncentiveProgram]:
    return [ReputationStar(), RecommendedGoods()]
