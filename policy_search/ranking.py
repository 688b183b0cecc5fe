"""Scoring a parsed query a posting list at a time, with the scores Whoosh would give.

Whoosh's matchers score one passage at a time in Python: about 2.4 µs a posting for one
term, and about 60 µs a match for a run of Chinese words with its phrase bonus, so a query
matching 3,854 of 100,000 passages took 245 ms. Here each term's postings are read a block at
a time (Whoosh keeps ids and weights as arrays), the boolean structure is evaluated on dicts
and sets, and BM25F is computed only for passages that match. A phrase bonus (a phrase on the
optional side of AndMaybe, which is how the parser ranks contiguous runs first) is checked
lazily: a passage's score with every bonus it could earn bounds its final score, so positions
are read for the best candidates only, until the top hits are settled.

The parser's query shapes are evaluated here: Term, Or, And (with Not), AndMaybe, Phrase and a
ConstantScoreQuery; for any other (prefixes) ``rank`` raises Unsupported and the caller lets
Whoosh's own matchers do it. tests/test_ranking.py checks both give the same hits and scores.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pickle import loads
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import bm25
from whoosh.util.numeric import byte_to_length


class Unsupported(Exception):
    """A query shape this module does not evaluate; Whoosh's matchers must."""


@dataclass(frozen=True)
class Ranked:
    """The top passages as (docnum, score), best first, and how many matched in all."""

    top: tuple[tuple[int, float], ...]
    total: int
    #: for each top passage, the (field, term) pairs of the query it contains
    terms: dict[int, set[tuple[str, str]]]


@dataclass
class _Postings:
    """One term's postings among the allowed passages."""

    weights: dict[int, float]
    #: the blocks as read, (docnums, encoded positions), for the few passages a phrase checks
    blocks: list[tuple[list[int], Sequence[bytes]]]
    starts: list[int]

    def value(self, doc: int) -> bytes:
        ids, values = self.blocks[bisect.bisect_right(self.starts, doc) - 1]
        return values[ids.index(doc)]


@dataclass
class _Bonus:
    """A phrase that adds to a passage's score only if its words stand in a row there."""

    field: str
    terms: tuple[str, ...]
    #: docnum -> the score the phrase adds when it matches
    scores: dict[int, float]


@dataclass
class _Scores:
    """What a query node gives: sure scores per passage, and bonuses still to be checked."""

    sure: dict[int, float]
    bonuses: list[_Bonus] = field(default_factory=list)


# 0 is a missing length: Whoosh's BM25F scorer reads it as 1
_LENGTHS = [1] + [byte_to_length(b) for b in range(1, 256)]


class Ranker:
    """Evaluates queries over one searcher, restricted to a set of allowed docnums."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.leaves = [(leaf.reader(), offset) for leaf, offset in searcher.leaf_searchers()]
        self.schema = searcher.schema
        self._lengths: dict[str, list[bytes]] = {}
        self.deleted = {d + offset for reader, offset in self.leaves if reader.has_deletions() for d in reader.deleted_docs_set}

    def rank(self, query: Any, allowed: set[int] | None, limit: int) -> Ranked:
        """The best ``limit`` passages among ``allowed`` (None: every passage)."""
        run = _Run(self, allowed)
        matched = run.matches(query)
        scores = _Scores(run.score(query, matched), run.bonuses)
        top = _top(scores, limit, run.phrase_matches)
        terms = {doc: run.terms_of(doc) for doc, _ in top}
        return Ranked(tuple(top), len(matched), terms)

    def docs(self, query: Any) -> set[int]:
        """The docnums a filter query (terms, ranges, wildcards) matches."""
        return _Run(self, None).matches(query)

    def field_lengths(self, fieldname: str) -> list[bytes]:
        """Each leaf's encoded lengths of ``fieldname`` (a byte per passage), read once."""
        if fieldname not in self._lengths:
            raw = []
            for reader, _ in self.leaves:
                column = reader._perdoc._cached_reader(f"_{fieldname}_len", _length_column())
                raw.append(b"" if column is None else column._dbfile.get(column._basepos, column._count))
            self._lengths[fieldname] = raw
        return self._lengths[fieldname]


def _length_column() -> Any:
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    return LENGTHS_COLUMN


class _Run:
    """One evaluation. Which passages match is worked out first, on sets; scores are then
    computed only for those, so a common word costs a score per match, not per posting."""

    def __init__(self, ranker: Ranker, allowed: set[int] | None) -> None:
        self.ranker = ranker
        self.allowed = allowed
        self.searcher = ranker.searcher
        self.schema = ranker.schema
        self.bonuses: list[_Bonus] = []
        self._postings: dict[tuple[str, str], _Postings] = {}
        self._scores: dict[tuple[str, str], dict[int, float]] = {}
        self._matches: dict[int, set[int]] = {}
        self._term_sets: dict[tuple[str, str], set[int]] = {}
        self._positive: set[tuple[str, str]] = set()

    # --- reading postings ---------------------------------------------------------------------

    def postings(self, fieldname: str, text: str) -> _Postings:
        key = (fieldname, text)
        found = self._postings.get(key)
        if found is not None:
            return found
        weights: dict[int, float] = {}
        blocks: list[tuple[list[int], Sequence[bytes]]] = []
        if fieldname in self.schema:
            tbytes = self.schema[fieldname].to_bytes(text)
            allowed, deleted = self.allowed, self.ranker.deleted
            for reader, offset in self.ranker.leaves:
                for ids, block_weights, block_values in _blocks(reader, fieldname, tbytes, offset):
                    blocks.append((ids, block_values))
                    if allowed is None and not deleted:  # no filter: no check per posting
                        weights.update(zip(ids, block_weights, strict=True))
                    elif allowed is None:
                        weights.update((d, w) for d, w in zip(ids, block_weights, strict=True) if d not in deleted)
                    else:
                        weights.update((d, w) for d, w in zip(ids, block_weights, strict=True) if d in allowed)
        found = _Postings(weights, blocks, [ids[0] for ids, _ in blocks])
        self._postings[key] = found
        return found

    def term_scores(self, fieldname: str, text: str, docs: set[int]) -> dict[int, float]:
        """BM25F of a term in each of ``docs`` that holds it (computed once per passage)."""
        weights = self.postings(fieldname, text).weights
        known = self._scores.setdefault((fieldname, text), {})
        todo = [d for d in docs if d in weights and d not in known] if len(docs) < len(weights) else [
            d for d in weights if d in docs and d not in known
        ]
        if todo:
            if not self.schema[fieldname].scorable:
                known.update((d, weights[d]) for d in todo)
            else:
                idf = self.searcher.idf(fieldname, self.schema[fieldname].to_bytes(text))
                avgfl = self.searcher.avg_field_length(fieldname) or 1
                lengths = self._lengths_of(fieldname)
                # few distinct (weight, length) pairs: each scored once
                score = functools.cache(lambda w, n: bm25(idf, w, n, avgfl, 0.75, 1.2))
                known.update((d, score(weights[d], lengths(d))) for d in todo)
        return known

    def _lengths_of(self, fieldname: str) -> Callable[[int], int]:
        raw = self.ranker.field_lengths(fieldname)
        if len(raw) == 1:
            only = raw[0]
            return lambda d: _LENGTHS[only[d]] if d < len(only) else 1
        starts = [offset for _, offset in self.ranker.leaves]

        def length(d: int) -> int:
            leaf = bisect.bisect_right(starts, d) - 1
            local = d - starts[leaf]
            data = raw[leaf]
            return _LENGTHS[data[local]] if local < len(data) else 1

        return length

    # --- which passages match -----------------------------------------------------------------

    def matches(self, query: Any) -> set[int]:
        if type(query) is wq.Term:
            return self._term_docs(query.fieldname, query.text)
        key = id(query)  # the query tree outlives the run, so its nodes' ids stay theirs
        if key not in self._matches:
            self._matches[key] = self._find(query)
        return self._matches[key]

    def _term_docs(self, fieldname: str, text: str) -> set[int]:
        key = (fieldname, text)
        if key not in self._term_sets:
            self._term_sets[key] = set(self.postings(fieldname, text).weights)
        return self._term_sets[key]

    def _find(self, query: Any) -> set[int]:
        kind = type(query)
        if kind is wq.ConstantScoreQuery and type(query.child) is wq.Term:
            return self.matches(query.child)
        if query.boost != 1.0 and kind is not wq.Phrase:
            raise Unsupported(f"boosted {kind.__name__}")
        if kind is wq.Or:
            found: set[int] = set()
            for q in query.subqueries:
                found |= self.matches(q)
            return found
        if kind is wq.And:
            positive = [q for q in query.subqueries if type(q) is not wq.Not]
            if not positive:
                raise Unsupported("And of only Not")
            sets = sorted((self.matches(q) for q in positive), key=len)
            found = sets[0].intersection(*sets[1:])
            for q in query.subqueries:
                if type(q) is wq.Not:
                    found -= self.matches(q.query)
            return found
        if kind is wq.AndMaybe:
            return self.matches(query.a)
        if kind is wq.Phrase:
            if query.slop != 1:
                raise Unsupported("sloppy phrase")
            words = tuple(query.words)
            sets = sorted((self._term_docs(query.fieldname, w) for w in words), key=len)
            candidates = sets[0].intersection(*sets[1:])
            bonus = _Bonus(query.fieldname, words, {})
            return {d for d in candidates if self.phrase_matches(bonus, d)}
        if isinstance(query, wq.MultiTerm):  # prefixes, wildcards and ranges: their terms' passages
            found = set()
            for tbytes in query._btexts(self.searcher.reader()):
                if tbytes:  # an undated passage is in no date range
                    found |= self._term_docs(query.fieldname, tbytes.decode("utf-8"))
            return found
        raise Unsupported(kind.__name__)

    # --- how they score -----------------------------------------------------------------------

    def score(self, query: Any, docs: set[int]) -> dict[int, float]:
        """The query's score for each of ``docs`` it matches; phrase bonuses go to ``bonuses``."""
        kind = type(query)
        if kind is wq.Term:
            self._positive.add((query.fieldname, query.text))
            scores = self.term_scores(query.fieldname, query.text, docs)
            return {d: scores[d] * query.boost for d in docs if d in scores}
        if kind is wq.ConstantScoreQuery:
            return dict.fromkeys(docs & self.matches(query), query.score)
        if kind is wq.Or:
            total: dict[int, float] = {}
            for q in query.subqueries:
                for d, s in self.score(q, docs & self.matches(q)).items():
                    total[d] = total.get(d, 0.0) + s
            return total
        if kind is wq.And:
            docs = docs & self.matches(query)
            # Whoosh matches NOT x with an inverse matcher that scores 1.0 where x is absent
            excluded = sum(1.0 for q in query.subqueries if type(q) is wq.Not)
            total = dict.fromkeys(docs, excluded)
            for q in query.subqueries:
                if type(q) is not wq.Not:  # excluded words are never marked in a snippet
                    for d, s in self.score(q, docs).items():
                        total[d] += s
            return total
        if kind is wq.AndMaybe:
            docs = docs & self.matches(query.a)
            total = self.score(query.a, docs)
            optional = query.b
            for q in optional.subqueries if type(optional) is wq.Or and optional.boost == 1.0 else [optional]:
                if type(q) is wq.Phrase and len(q.words) > 1:
                    self._bonus(q, docs)
                    continue
                for d, s in self.score(q, docs & self.matches(q)).items():
                    total[d] += s
            return total
        if kind is wq.Phrase:
            docs = docs & self.matches(query)
            for w in query.words:
                self._positive.add((query.fieldname, w))
            return self._phrase_scores(query, docs)
        raise Unsupported(kind.__name__)

    def _phrase_scores(self, phrase: Any, docs: set[int]) -> dict[int, float]:
        """Whoosh scores a phrase as its words' scores together, times its boost."""
        parts = [self.term_scores(phrase.fieldname, w, docs) for w in phrase.words]
        return {d: phrase.boost * sum(p[d] for p in parts) for d in docs}

    def _bonus(self, phrase: Any, docs: set[int]) -> None:
        """What the phrase would add to each passage holding all its words (unchecked yet)."""
        for w in phrase.words:
            docs = docs & self._term_docs(phrase.fieldname, w)
        if docs:
            self.bonuses.append(_Bonus(phrase.fieldname, tuple(phrase.words), self._phrase_scores(phrase, docs)))

    def phrase_matches(self, bonus: _Bonus, doc: int) -> bool:
        """Whether the phrase's words stand one after another in the passage's field."""
        run: set[int] | None = None
        for i, word in enumerate(bonus.terms):
            value = self.postings(bonus.field, word).value(doc)
            starts = {p - i for p in self.schema[bonus.field].format.decode_positions(value)}
            run = starts if run is None else run & starts
            if not run:
                return False
        return True

    def terms_of(self, doc: int) -> set[tuple[str, str]]:
        return {key for key in self._positive if doc in self._postings[key].weights}


def _blocks(reader: Any, fieldname: str, tbytes: bytes, offset: int) -> Iterator[tuple[Any, Any, Any]]:
    """A term's postings in one segment, as (docnums, weights, values) a block at a time.

    Blocks are decoded here rather than by the matcher, whose id decoding is a Python
    generator (a third of a query's time). Deleted passages are left in: the caller drops them.
    """
    if (fieldname, tbytes) not in reader:
        return
    matcher = reader.postings(fieldname, tbytes)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:
        ids, weights, values = [], [], []
        while matcher.is_active():  # a term with one posting is kept in the term index itself
            ids.append(matcher.id() + offset)
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        if ids:
            yield ids, weights, values
        return
    postfile = matcher._postfile
    while matcher.is_active():
        data = postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        deltas, weights, values = loads(zlib.decompress(data) if matcher._compression else data)
        count = matcher._blocklength
        ids = list(accumulate(deltas, initial=offset))[1:] if offset else list(accumulate(deltas))
        if weights is None or isinstance(weights, float):
            weights = (1.0 if weights is None else weights,) * count
        if values is None:  # a format without values (ID fields)
            values = ()
        elif isinstance(values, bytes):  # values of a fixed size, joined
            size = matcher._fixedsize
            values = [values[i : i + size] for i in range(0, len(values), size)]
        yield ids, weights, values
        matcher._next_block()


def _top(scores: _Scores, limit: int, matches: Callable[[_Bonus, int], bool]) -> list[tuple[int, float]]:
    """The ``limit`` best passages, highest score first and, on a tie, the earlier passage.

    With bonuses still unchecked, passages are taken in the order of the score they would
    have with every bonus; once ``limit`` exact scores beat the next passage's best case, no
    later passage can enter.
    """
    if not scores.bonuses:
        return [(d, s) for s, d in _best(((s, d) for d, s in scores.sure.items()), limit)]
    ceiling = dict(scores.sure)
    for bonus in scores.bonuses:
        for d, s in bonus.scores.items():
            if d in ceiling:
                ceiling[d] += s
    order = [(-c, d) for d, c in ceiling.items()]
    heapq.heapify(order)  # popped best first: most passages are never reached
    exact: list[tuple[float, int]] = []  # a min-heap of the best (score, -docnum) so far
    while order:
        d = heapq.heappop(order)[1]
        if len(exact) >= limit and exact[0][0] > ceiling[d]:
            break
        score = scores.sure[d] + sum(b.scores[d] for b in scores.bonuses if d in b.scores and matches(b, d))
        entry = (score, -d)
        if len(exact) < limit:
            heapq.heappush(exact, entry)
        elif entry > exact[0]:
            heapq.heapreplace(exact, entry)
    return [(-neg, s) for s, neg in sorted(exact, reverse=True)]


def _best(pairs: Iterator[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
    """Top ``limit`` by score, the lower docnum first among equal scores."""
    return sorted(heapq.nsmallest(limit, pairs, key=lambda p: (-p[0], p[1])), key=lambda p: (-p[0], p[1]))
