"""One story, many papers: a wire story printed by several outlets, lightly edited, is one
*story* in the store, and retrieval returns it once, with the other papers that printed it.

How a new article finds its story, when it is stored (nothing already stored is re-grouped):
its lead (first chunk) is compared with the few stored leads nearest to it by embedding (one
Chroma query per batch) and with the batch's own earlier leads. The comparison is textual:
the share of the shorter lead's word triples found in the other (containment, so that a paper
printing only the first half of a wire story, or adding its own dateline, still counts). At
``STORY_RESEMBLANCE`` or above, and published within ``STORY_DAYS`` of each other when both
dates are known (a daily market report repeats yesterday's words with today's figures: a new
story each day), the article joins the other's story. Otherwise it begins its own, whose id is
the article's.

A story id is a label each member carries (on its article record and every chunk), not a
record of its own: removing one copy leaves the others whole, still grouped under the label
(which may then name an article no longer stored).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest import normalize_for_matching

# Chosen on the archive (benchmarks/stories.py, BENCHMARKS.md): pairs printed under the same
# headline by two papers against pairs that share a subject and are different stories.
STORY_RESEMBLANCE = 0.6
STORY_DAYS = 3
NEIGHBOURS = 5  # stored leads compared with each new one
MIN_TRIPLES = 20  # a lead of fewer word triples (about 20 words) says too little to be anyone's copy
# Leads less similar than this by embedding are not compared word by word (copies are far above).
MIN_SIMILARITY = 0.85
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Lead:
    """An article's first chunk, as stories compare it."""

    article_id: str
    story: str
    text: str
    day: int | None


def triples(text: str) -> frozenset[tuple[str, str, str]]:
    words = _WORD.findall(normalize_for_matching(text).casefold())
    return frozenset(zip(words, words[1:], words[2:]))


def resemblance(a: frozenset, b: frozenset) -> float:
    """The share of the shorter side's word triples found in the other (0 when either is too short)."""
    if min(len(a), len(b)) < MIN_TRIPLES:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def same_story(a: Lead, a_triples: frozenset, b: Lead, b_triples: frozenset | None = None) -> bool:
    if a.day is not None and b.day is not None and abs(a.day - b.day) > STORY_DAYS:
        return False
    return resemblance(a_triples, triples(b.text) if b_triples is None else b_triples) >= STORY_RESEMBLANCE


def assign_stories(leads: Sequence[Lead], vectors: np.ndarray, stored: Sequence[Sequence[tuple[Lead, float]]]) -> list[str]:
    """The story of each new lead: that of the first stored neighbour (``stored[i]``, nearest
    first, with its similarity) or earlier lead of the same batch it is a copy of, else its own."""
    stories: list[str] = []
    own = [triples(lead.text) for lead in leads]
    for i, lead in enumerate(leads):
        story = lead.article_id
        for neighbour, similarity in stored[i]:
            if neighbour.article_id != lead.article_id and similarity >= MIN_SIMILARITY \
                    and same_story(lead, own[i], neighbour):
                story = neighbour.story
                break
        else:
            if i:
                similar = vectors[:i] @ vectors[i]
                for j in np.argsort(-similar):
                    if similar[j] < MIN_SIMILARITY:
                        break
                    if leads[j].article_id != lead.article_id and same_story(lead, own[i], leads[j], own[j]):
                        story = stories[j]
                        break
        stories.append(story)
    return stories
