"""The explanation trail: one entry per figure, naming its rule, parameters, sources,
layers, the weakest confidence of the values it rests on and the oldest date a source
confirmed one of them (``confirmed``).

Freshness: a figure whose values were last confirmed more than :data:`STALE_AFTER_MONTHS`
months before the order's date says so in the quote (``Quote.stale``).  The entry keeps
the instant that starts and the text it adds, so pricing an order costs one comparison
per trail entry.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence

from shoppolicy.model import TrailEntry
from shoppolicy.policy import Entry

#: A value last confirmed more than this many months before an order's date is stale for it.
STALE_AFTER_MONTHS = 12

# "statement": a rate learned from the seller's own statement (what the platform charged),
# as strong as the platform's own page.
_CONFIDENCE_ORDER = {None: 0, "seed": 0, "official": 1, "statement": 1, "derived": 2, "user": 2, "third-party": 3}


def trail_for(rule: str, what: str, entries: Sequence[Entry], **params: object) -> TrailEntry:
    """One trail entry for a figure computed from ``entries`` with ``params``.

    Sources and layers of several entries are joined; the confidence is the weakest
    of them, so a figure resting on one third-party value says so.
    """
    sources = list(dict.fromkeys(e.source for e in entries))
    layers = list(dict.fromkeys(f"{e.layer.name} [{e.market}]" for e in entries))
    confidence = max((e.confidence for e in entries), key=lambda c: _CONFIDENCE_ORDER.get(c, 0), default=None)
    confirmed = min((e.retrieved for e in entries if e.retrieved is not None), default=None)
    return TrailEntry(rule=rule, what=what, params={k: str(v) for k, v in params.items()},
                      source="; ".join(sources), layer="; ".join(layers), confidence=confidence,
                      confirmed=confirmed, stale_from=stale_from(confirmed) if confirmed else None,
                      stale_note=f"{rule} {what}: last confirmed {confirmed}" if confirmed else "")


def months_after(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months on (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stale_from(confirmed: dt.date, months: int = STALE_AFTER_MONTHS) -> dt.datetime:
    """The first local instant whose date is more than ``months`` months after ``confirmed``."""
    day = months_after(confirmed, months) + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day)


def is_stale(confirmed: dt.date | None, on: dt.date, months: int = STALE_AFTER_MONTHS) -> bool:
    """Whether a value a source last confirmed on ``confirmed`` is stale on ``on``."""
    return confirmed is not None and on > months_after(confirmed, months)


