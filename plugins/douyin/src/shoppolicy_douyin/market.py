"""The ``douyin`` market declaration (CNY, Asia/Shanghai, paid from completion).

What lives here: the :class:`~shoppolicy.model.Market` value and the test of whether a
market is ours (``douyin`` or a variant declaring it as parent).  Order and event times
reach the rules already in Shanghai wall-clock time: the engine converts them.  What
does not: any rule (see :mod:`.fees`, :mod:`.payout`, :mod:`.violations`).
"""

from __future__ import annotations

from shoppolicy import Market

MARKET_ID = "douyin"
MARKET = Market(id=MARKET_ID, name="Douyin Shop (抖店)", currency="CNY", timezone="Asia/Shanghai",
                payout_basis="completed_at")


def owns(market: Market) -> bool:
    """Douyin itself, or a regional variant another package declares under it."""
    return market.id == MARKET_ID or market.parent == MARKET_ID
