"""Ranking rules every backend applies the same way, whatever its scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

Doc = TypeVar("Doc")


def merge_by_language(lists: Sequence[Sequence[tuple[Doc, float]]], limit: int) -> list[tuple[Doc, float]]:
    """Ranked lists of several languages as one, by score relative to the best of each list.

    BM25 scores of different fields are not comparable (a Chinese run with its phrase bonus
    scores in the hundreds, a French word in single digits), so the best passage of every
    language scores 1.0 and comes first, in the order the lists are given; after that,
    passages go by relative score, and on a tie by their rank in their own list.
    """
    entries = []
    for order, ranked in enumerate(lists):
        best = ranked[0][1] if ranked and ranked[0][1] > 0 else 1.0
        entries += [(-score / best, rank, order, doc) for rank, (doc, score) in enumerate(ranked)]
    entries.sort()
    return [(doc, -relative) for relative, _, _, doc in entries[:limit]]
