"""Quote orders from Python: one engine, a few orders, the figures and why.

    pip install -e examples/thirdparty-plugin     # the fictional Example Mall (EXAMPLE DATA)
    python examples/embed_quote.py

The engine loads every installed plugin once; build it once and reuse it (each market's
policy is resolved per time slice and cached, so quoting is plain arithmetic).  Results
are attrs values with exact ``Decimal`` money; :mod:`shoppolicy.render` turns them into
the JSON the CLI prints.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal

from shoppolicy import Engine, MarketError, ShopPolicyError, render

ORDERS = [
    {"order_id": "em-1001", "market": "example-mall", "category": "books", "amount": "40.00", "currency": "EUR",
     "placed_at": "2025-03-03T10:00:00", "delivered_at": "2025-03-05T16:00:00"},
    {"order_id": "em-1002", "market": "example-mall", "category": "fashion", "amount": "120.00", "currency": "EUR",
     "placed_at": "2025-03-03", "delivered_at": "2025-03-06", "buyer_shipping": "4.95",
     "affiliate_plan": "open", "commission_rate": "0.15"},
    # No published rate for toys: the commission is a named policy gap (what is missing and
    # how to supply it); the order's other figures stand and its net is unknown (None).
    {"order_id": "em-1003", "market": "example-mall", "category": "toys", "amount": "10.00", "currency": "EUR",
     "placed_at": "2025-03-04"},
]


def main() -> int:
    engine = Engine()  # Engine(policy_files=["my_rates.toml"]) layers a user's override files on top
    for problem in engine.problems:  # a broken plugin is reported, the others keep working
        print(f"warning: {problem}", file=sys.stderr)
    try:
        engine.market("example-mall")
    except MarketError:
        print("error: this example quotes orders of the fictional Example Mall, whose plugin is not installed; "
              "install it with: pip install -e examples/thirdparty-plugin", file=sys.stderr)
        return 1
    net_total = Decimal(0)
    for order in ORDERS:
        try:
            quote = engine.quote(order)
        except ShopPolicyError as error:  # bad input, unknown market, ...: one readable line
            print(f"{order['order_id']}: error: {error}\n")
            continue
        if quote.net is not None:
            net_total += quote.net
        print(f"{quote.order_id}: {quote.amount} {quote.currency}, net {quote.net}, paid {quote.payout_date}")
        for gap in quote.gaps:  # each figure the data cannot determine, and how to supply it
            print(f"  gap: {gap.figure} needs {gap.key!r} ({gap.rule}) on {gap.on}: {gap.supply}")
        for fee in quote.fees:
            print(f"  {fee.code:<20} {fee.amount:>8}  {fee.rule}")
        if quote.creator is not None:
            print(f"  {'creator commission':<20} {quote.creator.commission:>8}  {quote.creator.rule} "
                  f"(creator receives {quote.creator.creator_receives})")
        for why in quote.trail:  # every figure's rule, parameters, source and layer
            print(f"    why {why.rule}: {why.params} from {why.layer} [{why.confidence}]")
        data = render.quote_dict(quote)  # the JSON a tool would store: money as decimal strings
        print("  json:", json.dumps({k: data[k] for k in ("order_id", "currency", "total_fees", "net")}), "\n")
    print(f"net of the complete orders: {net_total} EUR")  # Decimal: exact, no float rounding
    return 0


if __name__ == "__main__":
    sys.exit(main())
