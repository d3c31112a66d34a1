"""Sample orders for the conformance kit (shoppolicy.testing): one or more per fee regime
of TT-FEE-1..12 that the shipped data can quote on its own.

The kit reads ``SAMPLE_ORDERS`` from the object the entry point loads (plugin.py re-exports
this list) and varies each sample's amount, quantity and the price components it uses.
Vietnam and Thailand have none: no date has every fee they charge published (Vietnam's
commission is a gap in every period, TT-FEE-21; Thailand's Commerce Growth Fee is attested
from 2026-11-23 only, when its Marketplace commission is a gap, TT-FEE-13), so a quote
needs a seller's rate (see examples/overrides/) and the kit warns that it cannot check
their arithmetic; tests/tiktok/test_fees_properties.py checks it with the overrides.
"""

from __future__ import annotations

from typing import Any

SAMPLE_ORDERS: list[dict[str, Any]] = [
    # TT-FEE-1: 2% of C + D + USD 0.30 (2023); 8% of amount + shipping, the refunded share returned
    {"order_id": "fee-us-2023", "market": "tiktok-us", "amount": "100.00", "currency": "USD",
     "placed_at": "2023-11-01T10:00:00", "platform_discount": "10.00", "buyer_shipping": "5.00", "tax": "8.00"},
    {"order_id": "fee-us-2024", "market": "tiktok-us", "amount": "100.00", "currency": "USD",
     "placed_at": "2024-08-01T10:00:00", "buyer_shipping": "5.00", "refunded": "40.00"},
    # TT-FEE-2: the refund administration fee beside the referral fee
    {"order_id": "fee-us-2025-refund", "market": "tiktok-us", "amount": "100.00", "currency": "USD",
     "placed_at": "2025-06-01T10:00:00", "buyer_shipping": "5.00", "refunded": "40.00"},
    # TT-FEE-3: 9% of amount + shipping less refunds (the catalogue's 8.55 example), with a creator
    {"order_id": "fee-uk", "market": "tiktok-uk", "amount": "90.00", "currency": "GBP",
     "placed_at": "2024-10-01T10:00:00", "platform_discount": "10.00", "buyer_shipping": "5.00",
     "refunded": "20.00", "affiliate_plan": "open", "commission_rate": "0.10"},
    # TT-FEE-10: 1% + IDR 2,000; the June 2023 table; 8% + VAT; 6.97% tax included
    {"order_id": "fee-id-2023-05", "market": "tiktok-id", "amount": "100000", "currency": "IDR",
     "placed_at": "2023-05-31T10:00:00", "category": "beauty"},
    {"order_id": "fee-id-2023-07", "market": "tiktok-id", "amount": "100000", "currency": "IDR",
     "placed_at": "2023-07-01T10:00:00", "category": "beauty", "refunded": "25000"},
    {"order_id": "fee-id-2025-11", "market": "tiktok-id", "amount": "100000", "currency": "IDR",
     "placed_at": "2025-11-01T10:00:00", "category": "marketplace_10pct", "buyer_shipping": "10000"},
    {"order_id": "fee-id-2026", "market": "tiktok-id", "amount": "100000", "currency": "IDR",
     "placed_at": "2026-03-01T10:00:00", "category": "unlisted"},
    # TT-FEE-4, TT-FEE-5: 2.12% + 2.12% of C − R; a store-type rate + 2.16%
    {"order_id": "fee-my-2023", "market": "tiktok-my", "amount": "100.00", "currency": "MYR",
     "placed_at": "2023-08-20T10:00:00", "buyer_shipping": "10.00", "refunded": "55.00"},
    {"order_id": "fee-my-2025", "market": "tiktok-my", "amount": "100.00", "currency": "MYR",
     "placed_at": "2025-08-20T10:00:00", "store_type": "marketplace", "category": "gold_jewellery",
     "buyer_shipping": "10.00"},
    # TT-FEE-11: a new shop that completed the seller missions pays 0%, and the 2.24% transaction fee
    {"order_id": "fee-ph", "market": "tiktok-ph", "amount": "100.00", "currency": "PHP",
     "placed_at": "2024-06-01T10:00:00", "seller_type": "new_shop"},
    # TT-FEE-6, TT-FEE-7: 2.18% commission and transaction fee; 3.27% and a category at 2.18%
    {"order_id": "fee-sg-2024-06", "market": "tiktok-sg", "amount": "450.00", "currency": "SGD",
     "placed_at": "2024-06-01T10:00:00", "buyer_shipping": "80.00", "refunded": "200.00"},
    {"order_id": "fee-sg-2024-10", "market": "tiktok-sg", "amount": "900.00", "currency": "SGD",
     "placed_at": "2024-10-01T10:00:00", "category": "womenswear"},
    {"order_id": "fee-sg-2024-10-electronics", "market": "tiktok-sg", "amount": "2000.00", "currency": "SGD",
     "placed_at": "2024-10-01T10:00:00", "category": "phones_electronics"},
]
