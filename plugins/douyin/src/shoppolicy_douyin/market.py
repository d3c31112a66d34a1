"""The ``douyin`` market declaration and its local time (Asia/Shanghai).

What lives here: the :class:`~shoppolicy.model.Market` value, the test of whether a
market is ours (``douyin`` or a variant declaring it as parent), and the conversion of
an order's times to Shanghai wall-clock time.  What does not: any rule (see
:mod:`.fees`, :mod:`.payout`, :mod:`.violations`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from shoppolicy import Market

MARKET_ID = "douyin"
MARKET = Market(id=MARKET_ID, name="Douyin Shop (抖店)", currency="CNY", timezone="Asia/Shanghai",
                payout_basis="completed_at")
ZONE = zoneinfo.ZoneInfo(MARKET.timezone)


def owns(market: Market) -> bool:
    """Douyin itself, or a regional variant another package declares under it."""
    return market.id == MARKET_ID or market.parent == MARKET_ID


def local(when: dt.datetime) -> dt.datetime:
    """``when`` as a naive Shanghai date-time.

    The engine converts times only to pick a policy slice; order records reach the
    compiled rules as given, so a completion time with a UTC offset is converted here
    before its calendar date is used.
    """
    return when if when.tzinfo is None else when.astimezone(ZONE).replace(tzinfo=None)
