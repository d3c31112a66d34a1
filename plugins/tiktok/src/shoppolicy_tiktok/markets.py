"""The markets this plugin owns (rules-catalogue.md, "TikTok Shop — Markets").

``tiktok-sea`` is an abstract regional parent: it holds the mechanics and data the
Southeast Asian country variants share, and quotes no order itself (it has no currency).
"""

from __future__ import annotations

from shoppolicy import Market

US, UK, SEA = "tiktok-us", "tiktok-uk", "tiktok-sea"

MARKETS: tuple[Market, ...] = (
    Market(id=US, name="TikTok Shop US", currency="USD", timezone="America/Los_Angeles", region="US"),
    Market(id=UK, name="TikTok Shop UK", currency="GBP", timezone="Europe/London", region="UK"),
    Market(id=SEA, name="TikTok Shop Southeast Asia (regional parent)", currency=None, timezone="UTC",
           abstract=True, region="SEA"),
    Market(id="tiktok-id", name="TikTok Shop Indonesia (Tokopedia)", currency="IDR", timezone="Asia/Jakarta",
           parent=SEA, region="SEA"),
    Market(id="tiktok-my", name="TikTok Shop Malaysia", currency="MYR", timezone="Asia/Kuala_Lumpur",
           parent=SEA, region="SEA"),
    Market(id="tiktok-th", name="TikTok Shop Thailand", currency="THB", timezone="Asia/Bangkok",
           parent=SEA, region="SEA"),
    Market(id="tiktok-vn", name="TikTok Shop Vietnam", currency="VND", timezone="Asia/Ho_Chi_Minh",
           parent=SEA, region="SEA"),
    Market(id="tiktok-ph", name="TikTok Shop Philippines", currency="PHP", timezone="Asia/Manila",
           parent=SEA, region="SEA"),
    Market(id="tiktok-sg", name="TikTok Shop Singapore", currency="SGD", timezone="Asia/Singapore",
           parent=SEA, region="SEA"),
)

MARKET_IDS = frozenset(m.id for m in MARKETS)
