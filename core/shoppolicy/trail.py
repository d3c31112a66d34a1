"""The explanation trail: one entry per figure, naming its rule, parameters, sources,
layers and the weakest confidence of the values it rests on."""

from __future__ import annotations

from collections.abc import Sequence

from shoppolicy.model import TrailEntry
from shoppolicy.policy import Entry

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
    return TrailEntry(rule=rule, what=what, params={k: str(v) for k, v in params.items()},
                      source="; ".join(sources), layer="; ".join(layers), confidence=confidence)


