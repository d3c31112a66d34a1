"""Sample inputs for the conformance kit (shoppolicy.testing): violation events and
incentive records of the TikTok Shop rules in this package (TT-VIO-1, TT-INC-2).

The kit reads ``SAMPLE_EVENTS`` and ``SAMPLE_RECORDS`` from the object the entry point
loads (plugin.py), which re-exports these.  Reputation Star records are left out: its
weights and industries are policy gaps until a user supplies them, so evaluating it
without an override is meant to fail.  Sample orders live with the platform fees, whose
categories decide which orders can be quoted.
"""

from __future__ import annotations

from typing import Any

SAMPLE_EVENTS: list[dict[str, Any]] = [
    {"shop_id": "sample-id", "market": "tiktok-id", "kind": "livestream_stop", "at": "2025-01-05T20:00:00",
     "reason": "voluntary"},
    {"shop_id": "sample-id", "market": "tiktok-id", "kind": "livestream_stop", "at": "2025-01-10T21:30:00",
     "reason": "platform_violation", "amount": "1000000"},
    {"shop_id": "sample-uk", "market": "tiktok-uk", "kind": "livestream_stop", "at": "2025-02-01T18:00:00",
     "reason": "contract", "amount": "250.00"},
    {"shop_id": "sample-us", "market": "tiktok-us", "kind": "livestream_stop", "at": "2025-02-01T18:00:00",
     "reason": "platform_other"},
]

SAMPLE_RECORDS: dict[str, list[dict[str, Any]]] = {
    "recommended-goods": [
        {"session_id": "sample-1", "shop_id": "sample-id", "market": "tiktok-id", "product_id": "p-1",
         "creator_id": "c-1", "session_date": "2023-03-01", "goods_subsidy": True, "product_tier": "regular",
         "purchase_limit": 5},
        {"session_id": "sample-2", "shop_id": "sample-uk", "market": "tiktok-uk", "product_id": "p-2",
         "creator_id": "c-2", "session_date": "2023-03-02", "commission_incentive": True, "plan": "targeted",
         "agreed_rate": "0.15", "required_rate": "0.12", "plan_rate": "0.15", "sales_amount": "1200.00",
         "currency": "GBP"},
    ],
}
