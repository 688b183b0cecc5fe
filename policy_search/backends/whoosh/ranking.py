"""Scoring a parsed query a posting list at a time, with the scores Whoosh would give.

Whoosh's matchers score one passage at a time in Python: about 2.4 µs a posting for one
term, and about 60 µs a match for a run of Chinese words with its phrase bonus, so a query
matching 3,854 of 100,000 passages took 245 ms. Here each term's postings are read a block at
a time into NumPy arrays, the boolean structure is evaluated on sorted arrays of docnums, and
BM25F is computed for all matching passages at once. Every node of the query is scored against
the same array of matching passages (0 where the node does not match), so scores add up as in
Whoosh. A phrase bonus (a phrase on the optional side of AndMaybe, which is how the parser
ranks contiguous runs first) is checked lazily: a passage's score with every bonus it could
earn bounds its final score, so positions are read for the best candidates only, until the
top hits are settled.

The parser's query shapes are evaluated here: Term, Or, And, Not, AndMaybe, Phrase, prefixes,
a ConstantScoreQuery and Every (a query of filters only), and filters of terms, ranges and
wildcards; for any other ``rank`` raises Unsupported and the caller lets Whoosh's matchers do it.
tests/test_ranking.py checks both give the same hits and scores.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pickle import loads
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

from policy_search.backends.whoosh.codec import PackedIds, PackedValues
from policy_search.errors import QueryError
from policy_search.search.rules import merge_by_language

Docs = np.ndarray  # sorted, distinct docnums (int64)

_B, _K1 = 0.75, 1.2  # Whoosh's BM25F defaults, which the index is searched with
# a length byte of 0 is a missing length: Whoosh's BM25F scorer reads it as 1
_LENGTHS = np.array([1.0] + [float(byte_to_length(b)) for b in range(1, 256)])
_EMPTY = np.zeros(0, dtype=np.int64)
MAX_PREFIX_TERMS = 1000


class Unsupported(Exception):
    """A query shape this module does not evaluate; Whoosh's matchers must."""


@dataclass(frozen=True)
class Ranked:
    """The top passages as (docnum, score), best first, and how many matched in all."""

    top: tuple[tuple[int, float], ...]
    total: int
    #: for each top passage, the (field, term) pairs of the query it contains
    terms: dict[int, set[tuple[str, str]]]
    #: how many of the matches are exact (every unquoted Han run contiguous); they come first
    exact: int = 0


@dataclass
class _Postings:
    """One term's postings among the allowed passages."""

    ids: Docs
    weights: np.ndarray
    #: the blocks as read, (docnums, encoded positions), for the passages a phrase checks:
    #: positions packed (codec.PackedValues), or a tuple in a small block
    blocks: list[tuple[np.ndarray, Sequence[bytes]]]
    starts: np.ndarray
    #: block number -> (its positions as bytes, where each posting's start there), decoded
    #: once: the bonus check asks for the same blocks slice after slice of candidates
    _decoded: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def values(self, docs: Docs) -> tuple[np.ndarray, np.ndarray]:
        """The encoded positions of each of ``docs`` (sorted, every one among these postings),
        as their bytes one after another and the number of bytes of each."""
        data: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        block_of = np.searchsorted(self.starts, docs, side="right") - 1
        bounds = np.flatnonzero(np.concatenate(([True], block_of[1:] != block_of[:-1], [True])))
        for first, last in zip(bounds[:-1], bounds[1:], strict=True):
            block = int(block_of[first])
            raw, ends = self._block_values(block)
            where = np.searchsorted(self.blocks[block][0], docs[first:last])
            begin, size = ends[where], ends[where + 1] - ends[where]
            data.append(raw[_ranges(begin, size)])
            lengths.append(size)
        if not data:
            return np.zeros(0, dtype=np.uint8), _EMPTY
        return np.concatenate(data), np.concatenate(lengths)

    def _block_values(self, block: int) -> tuple[np.ndarray, np.ndarray]:
        if block not in self._decoded:
            values = self.blocks[block][1]
            packed = values if isinstance(values, PackedValues) else PackedValues.of(values)
            lengths = _read_varints(np.frombuffer(packed.lengths, dtype=np.uint8))
            ends = np.concatenate(([0], np.cumsum(lengths)))
            self._decoded[block] = (np.frombuffer(packed.data, dtype=np.uint8), ends)
        return self._decoded[block]


def _ranges(begin: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The indexes of the slices [begin, begin + size), one after another."""
    total = int(size.sum())
    before = np.cumsum(size) - size  # where each slice starts in the output
    return np.arange(total) + np.repeat(begin - before, size)


@dataclass
class _Bonus:
    """A phrase that adds to a passage's score only if its words stand in a row there."""

    field: str
    terms: tuple[str, ...]
    #: what the phrase adds to each matching passage if it matches there (0: it cannot)
    scores: np.ndarray

    def subset(self, mask: np.ndarray) -> _Bonus:
        return _Bonus(self.field, self.terms, self.scores[mask])


class Ranker:
    """Evaluates queries over one searcher."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.leaves = [(leaf.reader(), offset) for leaf, offset in searcher.leaf_searchers()]
        self.schema = searcher.schema
        self.doc_count = searcher.doc_count_all()
        deleted = [d + offset for reader, offset in self.leaves if reader.has_deletions() for d in reader.deleted_docs_set]
        self.deleted = np.array(sorted(deleted), dtype=np.int64)
        self._lengths: dict[str, np.ndarray] = {}
        self._languages: dict[str, Docs] = {}

    def rank(
        self, query: Any, allowed: Docs | None, limit: int, languages: Sequence[str] = (), exact: Any = None
    ) -> Ranked:
        """The best ``limit`` passages among ``allowed`` (None: every passage).

        With ``exact``, the passages it matches come before the other matches of ``query``.
        With ``languages`` (in order of preference), hits that fall in several of them are
        merged by their score relative to the best passage of their language: see
        search.rules.merge_by_language.
        """
        run = _Run(self, allowed)
        matched = run.matches(query)
        scores = run.score(query, matched)
        tiers = [np.ones(len(matched), dtype=bool)]
        if exact is not None:
            tiers = [_member(matched, run.matches(exact))]
            tiers.append(~tiers[0])
        top: list[tuple[int, float]] = []
        for tier in tiers:
            if len(top) >= limit:
                break
            groups = [tier & _member(matched, self.language_docs(lang)) for lang in languages]
            groups = [mask for mask in groups if mask.any()] or [tier]
            lists = [
                _top(matched[mask], scores[mask], [b.subset(mask) for b in run.bonuses], limit - len(top), run.phrase_among)
                for mask in groups
            ]
            top += lists[0] if len(lists) == 1 else merge_by_language(lists, limit - len(top))
        return Ranked(tuple(top), len(matched), run.terms_of([doc for doc, _ in top]), int(tiers[0].sum()))

    def language_docs(self, lang: str) -> Docs:
        """Every passage of one language (read once per searcher: at 100,000 passages the three
        lists are a hundred posting blocks, too many to decode for every query)."""
        if lang not in self._languages:
            self._languages[lang] = self.docs(wq.Term("lang", lang))
        return self._languages[lang]

    def docs(self, query: Any) -> Docs:
        """The docnums a filter query (terms, ranges, wildcards) matches."""
        return _Run(self, None).matches(query)

    def field_lengths(self, fieldname: str) -> np.ndarray:
        """The length of ``fieldname`` in every passage (read once, a byte per passage)."""
        if fieldname not in self._lengths:
            lengths = np.ones(self.doc_count)
            for reader, offset in self.leaves:
                column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
                if column is not None:
                    raw = np.frombuffer(column._dbfile.get(column._basepos, column._count), dtype=np.uint8)
                    lengths[offset : offset + len(raw)] = _LENGTHS[raw]
            self._lengths[fieldname] = lengths
        return self._lengths[fieldname]


class _Run:
    """One evaluation: the postings read so far, so a term in several places is read once."""

    def __init__(self, ranker: Ranker, allowed: Docs | None) -> None:
        self.ranker = ranker
        self.allowed = allowed
        self.searcher = ranker.searcher
        self.schema = ranker.schema
        self.bonuses: list[_Bonus] = []
        self._postings: dict[tuple[str, str], _Postings] = {}
        self._matches: dict[int, Docs] = {}
        self._positive: set[tuple[str, str]] = set()
        self._expansions: dict[tuple[Any, str, str | None], list[str]] = {}
        self._phrases: dict[tuple[str, tuple[str, ...]], Docs] = {}
        self._prefix_terms: dict[str, int] = {}
        self._term_scores: dict[tuple[str, str], tuple[Docs, np.ndarray]] = {}

    # --- reading postings ---------------------------------------------------------------------

    def postings(self, fieldname: str, text: str) -> _Postings:
        key = (fieldname, text)
        if key not in self._postings:
            self._postings[key] = self._read(fieldname, text)
        return self._postings[key]

    def _read(self, fieldname: str, text: str) -> _Postings:
        blocks: list[tuple[np.ndarray, Sequence[bytes]]] = []
        weights: list[np.ndarray] = []
        if fieldname in self.schema:
            tbytes = self.schema[fieldname].to_bytes(text)
            for reader, offset in self.ranker.leaves:
                for ids, block_weights, values in _blocks(reader, fieldname, tbytes, offset):
                    blocks.append((ids, values))
                    weights.append(block_weights)
        if not blocks:
            return _Postings(_EMPTY, np.zeros(0), [], _EMPTY)
        ids = np.concatenate([b[0] for b in blocks])
        all_weights = np.concatenate(weights)
        keep = _keep(ids, self.allowed, self.ranker.deleted)
        if keep is not None:
            ids, all_weights = ids[keep], all_weights[keep]
        return _Postings(ids, all_weights, blocks, np.array([b[0][0] for b in blocks], dtype=np.int64))

    def term_scores(self, fieldname: str, text: str, docs: Docs) -> np.ndarray:
        """BM25F of a term in each of ``docs`` (0 where the passage lacks it); not to be
        changed in place: a term the query holds in several places (a Chinese word is in its
        AND, its optional side and its phrase) is scored once for the same passages."""
        key = (fieldname, text)
        known = self._term_scores.get(key)
        if known is not None and known[0] is docs:
            return known[1]
        scores = self._term_scores_among(fieldname, text, docs)
        self._term_scores[key] = (docs, scores)  # the passages kept too: their id stays theirs
        return scores

    def _term_scores_among(self, fieldname: str, text: str, docs: Docs) -> np.ndarray:
        postings = self.postings(fieldname, text)
        found, where = _positions_in(postings.ids, docs)
        scores = np.zeros(len(docs))
        if not found.any():
            return scores
        weight = postings.weights[where[found]]
        if not self.schema[fieldname].scorable:
            scores[found] = weight
            return scores
        idf = self.searcher.idf(fieldname, self.schema[fieldname].to_bytes(text))
        avgfl = self.searcher.avg_field_length(fieldname) or 1
        length = self.ranker.field_lengths(fieldname)[docs[found]]
        # Whoosh's bm25(), term for term, so that the sums come out the same
        scores[found] = idf * ((weight * (_K1 + 1)) / (weight + _K1 * ((1 - _B) + _B * length / avgfl)))
        return scores

    # --- which passages match -----------------------------------------------------------------

    def matches(self, query: Any) -> Docs:
        if type(query) is wq.Term:
            return self.postings(query.fieldname, query.text).ids
        key = id(query)  # the query tree outlives the run, so its nodes' ids stay theirs
        if key not in self._matches:
            self._matches[key] = self._find(query)
        return self._matches[key]

    def _find(self, query: Any) -> Docs:
        kind = type(query)
        if kind is wq.ConstantScoreQuery:
            return self.matches(query.child)
        if query.boost != 1.0 and kind is not wq.Phrase:
            raise Unsupported(f"boosted {kind.__name__}")
        if kind is wq.Or:
            return _union([self.matches(q) for q in query.subqueries])
        if kind is wq.And:
            positive = [q for q in query.subqueries if type(q) is not wq.Not]
            found = _intersection([self.matches(q) for q in positive]) if positive else self.every_passage()
            for q in query.subqueries:
                if type(q) is wq.Not:
                    found = np.setdiff1d(found, self.matches(q.query), assume_unique=True)
            return found
        if kind is wq.Not:
            return np.setdiff1d(self.every_passage(), self.matches(query.query), assume_unique=True)
        if kind is wq.Every and query.fieldname is None:  # a query of filters only
            return self.every_passage()
        if kind is wq.AndMaybe:
            return self.matches(query.a)
        if kind is wq.Phrase:
            if query.slop != 1:
                raise Unsupported("sloppy phrase")
            return self.phrase_docs(query.fieldname, tuple(query.words))
        if isinstance(query, wq.MultiTerm):  # prefixes, wildcards and ranges: their terms' passages
            return _union([self.postings(query.fieldname, t).ids for t in self.expansion(query)])
        raise Unsupported(kind.__name__)

    def every_passage(self) -> Docs:
        """Every passage the filters allow (what NOT and a query of filters only start from)."""
        return self.postings("kind", "passage").ids

    def expansion(self, query: Any) -> list[str]:
        """The indexed terms a prefix, wildcard or range stands for.

        Raises QueryError for a prefix that stands for more than MAX_PREFIX_TERMS words (in
        all its fields together): "a*" took 2.2 s at a million passages, and a cap that
        silently dropped words would give wrong counts.
        """
        key = (type(query), query.fieldname, getattr(query, "text", None))
        if key not in self._expansions:
            texts = (t.decode("utf-8") for t in query._btexts(self.searcher.reader()) if t)
            if type(query) is not wq.Prefix:  # an undated passage (an empty date) is in no date range
                self._expansions[key] = list(texts)
                return self._expansions[key]
            found = list(islice(texts, MAX_PREFIX_TERMS + 1))
            self._prefix_terms[query.text] = self._prefix_terms.get(query.text, 0) + len(found)
            if self._prefix_terms[query.text] > MAX_PREFIX_TERMS:
                raise QueryError(
                    f"prefix {query.text}* stands for more than {MAX_PREFIX_TERMS:,} words in the index: "
                    "give more letters before the *"
                )
            self._expansions[key] = found
        return self._expansions[key]

    # --- how they score -----------------------------------------------------------------------

    def score(self, query: Any, docs: Docs) -> np.ndarray:
        """The query's score in each of ``docs`` (0 where it does not match); phrase bonuses go
        to ``bonuses``."""
        kind = type(query)
        if kind is wq.Term:
            self._positive.add((query.fieldname, query.text))
            return self.term_scores(query.fieldname, query.text, docs) * query.boost
        present = _member(docs, self.matches(query))
        if kind is wq.ConstantScoreQuery:
            return np.where(present, query.score, 0.0)
        if kind is wq.Every:
            return np.where(present, query.boost, 0.0)
        if kind is wq.Not:  # Whoosh's inverse matcher scores 1.0
            return np.where(present, 1.0, 0.0)
        if kind is wq.Or:
            total = np.zeros(len(docs))
            for q in query.subqueries:
                total += self.score(q, docs)
            return total
        if kind is wq.And:
            # Whoosh matches NOT x with an inverse matcher that scores 1.0 where x is absent
            total = np.full(len(docs), float(sum(1 for q in query.subqueries if type(q) is wq.Not)))
            for q in query.subqueries:
                if type(q) is not wq.Not:  # excluded words are never marked in a snippet
                    total += self.score(q, docs)
            return np.where(present, total, 0.0)
        if kind is wq.AndMaybe:
            total = self.score(query.a, docs)
            optional = query.b
            for q in optional.subqueries if type(optional) is wq.Or and optional.boost == 1.0 else [optional]:
                if type(q) is wq.Phrase and len(q.words) > 1:
                    self._bonus(q, docs, present)
                else:
                    total += self.score(q, docs)
            return np.where(present, total, 0.0)
        if kind is wq.Phrase:
            for w in query.words:
                self._positive.add((query.fieldname, w))
            return np.where(present, self._phrase_scores(query, docs), 0.0)
        if isinstance(query, wq.MultiTerm):
            # Whoosh scores a prefix as an Or of its terms (its "constant score" falls back to
            # the searcher's weighting); the boost goes on that Or, so one term goes unboosted
            texts = self.expansion(query)
            total = np.zeros(len(docs))
            for text in texts:
                total += self.score(wq.Term(query.fieldname, text), docs)
            return total * (query.boost if len(texts) > 1 else 1.0)
        raise Unsupported(kind.__name__)

    def _phrase_scores(self, phrase: Any, docs: Docs) -> np.ndarray:
        """Whoosh scores a phrase as its words' scores together, times its boost."""
        total = np.zeros(len(docs))
        for w in phrase.words:
            total += self.term_scores(phrase.fieldname, w, docs)
        return phrase.boost * total

    def _bonus(self, phrase: Any, docs: Docs, present: np.ndarray) -> None:
        """What the phrase would add to each passage holding all its words (unchecked yet)."""
        holds = present.copy()
        for w in phrase.words:
            holds &= _member(docs, self.postings(phrase.fieldname, w).ids)
        if holds.any():
            scores = np.where(holds, self._phrase_scores(phrase, docs), 0.0)
            self.bonuses.append(_Bonus(phrase.fieldname, tuple(phrase.words), scores))

    def phrase_docs(self, fieldname: str, words: tuple[str, ...]) -> Docs:
        """The passages in which ``words`` stand one after another (see _in_a_row)."""
        key = (fieldname, words)  # the exact and the loose reading share their runs
        if key not in self._phrases:
            self._phrases[key] = self._phrase_docs(fieldname, words)
        return self._phrases[key]

    def _phrase_docs(self, fieldname: str, words: tuple[str, ...]) -> Docs:
        postings = [self.postings(fieldname, w) for w in words]
        candidates = _intersection([p.ids for p in postings])
        if len(words) < 2 or not len(candidates):
            return candidates
        return _in_a_row(postings, candidates)

    def phrase_among(self, bonus: _Bonus, docs: Docs) -> Docs:
        """Which of ``docs`` (sorted, each holding every word) have the bonus phrase's words
        one after another."""
        if not len(docs):
            return docs
        return _in_a_row([self.postings(bonus.field, w) for w in bonus.terms], docs)

    def terms_of(self, docs: list[int]) -> dict[int, set[tuple[str, str]]]:
        """The query's terms in each passage: its words, and the words of each phrase bonus
        whose words it holds (stop words included; Whoosh lists them so, in order or not)."""
        found: dict[int, set[tuple[str, str]]] = {doc: set() for doc in docs}
        if not docs:
            return found
        top = np.array(docs, dtype=np.int64)
        holds = {key: _member(top, self._postings[key].ids) for key in self._positive}
        for bonus in self.bonuses:
            for w in bonus.terms:
                key = (bonus.field, w)
                if key not in holds:
                    holds[key] = _member(top, self.postings(*key).ids)
        for key in self._positive:
            for i in np.flatnonzero(holds[key]).tolist():
                found[docs[i]].add(key)
        for bonus in self.bonuses:
            words = [(bonus.field, w) for w in bonus.terms]
            every = np.logical_and.reduce([holds[key] for key in words])
            for i in np.flatnonzero(every).tolist():
                found[docs[i]].update(words)
        return found


def _in_a_row(postings: list[_Postings], candidates: Docs) -> Docs:
    """The candidates (sorted, each holding every word) in which the words stand one after
    another, all checked at once.

    The positions of every word in every candidate are decoded together, each shifted back by
    its word's place in the phrase; a (passage, start) key that all the words give is a match.
    """
    words = len(postings)
    data, lengths = zip(*(p.values(candidates) for p in postings), strict=True)
    owner, positions = _decode_varints(np.concatenate(data), np.concatenate(lengths))
    place = owner // len(candidates)  # values were gathered word after word
    keys = candidates[owner % len(candidates)] << 32 | (positions - place + words)
    keys.sort()
    # a key is a match when every word gives it (each word gives a key at most once)
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    counts = np.diff(np.append(starts, len(keys)))
    return _distinct_sorted(keys[starts[counts == words]] >> 32)


def _keep(ids: np.ndarray, allowed: Docs | None, deleted: Docs) -> np.ndarray | None:
    """Which postings count: those allowed, or else those not deleted (None: all)."""
    if allowed is not None:
        return _member(ids, allowed)
    if len(deleted):
        return ~_member(ids, deleted)
    return None


def _positions_in(sorted_ids: np.ndarray, docs: Docs) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``docs``: whether it is in ``sorted_ids``, and where."""
    where = np.searchsorted(sorted_ids, docs)
    inside = where < len(sorted_ids)
    found = np.zeros(len(docs), dtype=bool)
    found[inside] = sorted_ids[where[inside]] == docs[inside]
    return found, where


def _member(docs: Docs, sorted_ids: np.ndarray) -> np.ndarray:
    if docs is sorted_ids:  # a node's own matches, as scoring a query's top node asks
        return np.ones(len(docs), dtype=bool)
    return _positions_in(sorted_ids, docs)[0]


def _union(parts: list[Docs]) -> Docs:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _EMPTY
    if len(parts) == 1:
        return parts[0]
    # sort and drop repeats: np.unique (NumPy 2.4) hashes first and was 25 times slower here
    return _distinct_sorted(np.sort(np.concatenate(parts)))


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """A sorted array without its repeats (np.unique hashes first: slower on sorted input)."""
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _read_varints(data: np.ndarray) -> np.ndarray:
    """Integers coded as varints (codec.varints), all at once."""
    last = data < 0x80  # the last byte of each varint
    if last.all():  # every number below 128: a byte each
        return data.astype(np.int64)
    return _varint_parts(data, last)[0]


def _varint_parts(data: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The integers of varint bytes, and the index of each one's last byte."""
    ends = np.flatnonzero(last)
    varint = np.cumsum(last) - last  # which varint each byte belongs to
    firsts = np.concatenate(([0], ends[:-1] + 1))
    shift = 7 * (np.arange(len(data)) - firsts[varint])
    parts = (data.astype(np.int64) & 0x7F) << shift
    return np.bincount(varint, weights=parts, minlength=len(ends)).astype(np.int64), ends


def _decode_varints(data: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions coded as varint gaps (codec.VarintPositions), for many postings at once, from
    their bytes one after another and each one's number of bytes: (which posting each position
    comes from, the position)."""
    if not len(lengths):
        return _EMPTY, _EMPTY
    owner_of_byte = np.repeat(np.arange(len(lengths)), lengths)
    last = data < 0x80
    if last.all():
        gaps, owner = data.astype(np.int64), owner_of_byte
    else:
        gaps, ends = _varint_parts(data, last)
        owner = owner_of_byte[ends]
    total = np.cumsum(gaps)
    first = np.concatenate(([True], owner[1:] != owner[:-1]))
    before = (total - gaps)[first]  # the running sum where each value starts
    return owner, total - before[np.cumsum(first) - 1]


def _intersection(parts: list[Docs]) -> Docs:
    """Passages in every one of ``parts`` (each sorted, distinct): the shortest list looked up
    in each longer one. np.intersect1d sorts both lists joined: 1.8 ms of a 14 ms Chinese
    query at 100,000 passages, where the look-ups take a fifth of that."""
    found = None
    for part in sorted(parts, key=len):
        found = part if found is None else found[_member(found, part)]
        if not len(found):
            break
    return _EMPTY if found is None else found


def _blocks(reader: Any, fieldname: str, tbytes: bytes, offset: int) -> Iterator[tuple[np.ndarray, np.ndarray, Sequence[bytes]]]:
    """A term's postings in one segment, as (docnums, weights, values) a block at a time.

    Blocks are decoded here rather than by the matcher, whose id decoding is a Python
    generator. Deleted passages are left in: the caller drops them.
    """
    if (fieldname, tbytes) not in reader:
        return
    matcher = reader.postings(fieldname, tbytes)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:
        one_ids, one_weights, one_values = [], [], []
        while matcher.is_active():  # a term with one posting is kept in the term index itself
            one_ids.append(matcher.id() + offset)
            one_weights.append(matcher.weight())
            one_values.append(matcher.value() or b"")
            matcher.next()
        if one_ids:
            yield np.array(one_ids, dtype=np.int64), np.array(one_weights, dtype=np.float64), one_values
        return
    postfile = matcher._postfile
    while matcher.is_active():
        data = postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        gaps, stored_weights, stored_values = loads(zlib.decompress(data) if matcher._compression else data)
        count = matcher._blocklength
        ids: np.ndarray
        if isinstance(gaps, PackedIds):
            ids = np.empty(count, dtype=np.int64)
            ids[0] = gaps.first + offset
            np.cumsum(np.asarray(gaps.gaps), dtype=np.int64, out=ids[1:])
            ids[1:] += ids[0]
        else:  # a small block, pickled as W3 does
            ids = np.cumsum(np.asarray(gaps), dtype=np.int64) + offset
        if stored_weights is None or isinstance(stored_weights, (float, int)):
            weights = np.full(count, 1.0 if stored_weights is None else float(stored_weights))
        else:
            weights = np.asarray(stored_weights, dtype=np.float64)
        values: Sequence[bytes]
        if stored_values is None:  # a format without values
            values = ()
        elif isinstance(stored_values, bytes):  # values of a fixed size, joined
            size = matcher._fixedsize
            values = [stored_values[i : i + size] for i in range(0, len(stored_values), size)]
        else:
            values = stored_values
        yield ids, weights, values
        matcher._next_block()


def _top(docs: Docs, sure: np.ndarray, bonuses: list[_Bonus], limit: int, among: Any) -> list[tuple[int, float]]:
    """The ``limit`` best passages, highest score first and, on a tie, the earlier passage.

    With bonuses still unchecked, passages are taken in the order of the score they would
    have with every bonus, a slice at a time (each bonus checked for the whole slice at once:
    ``among(bonus, docs)`` gives the docs where it stands); once ``limit`` exact scores beat
    the best case of the next passage, no later passage can enter.
    """
    if not len(docs) or limit <= 0:
        return []
    if not bonuses:
        return [(int(docs[i]), float(sure[i])) for i in _best(sure, limit)]
    ceiling = sure.copy()
    for bonus in bonuses:
        ceiling += bonus.scores
    exact: list[tuple[float, int]] = []  # a min-heap of the best (score, -docnum) so far
    for chosen in _slices(ceiling):
        if len(exact) >= limit and exact[0][0] > ceiling[chosen[0]]:
            break
        scores = sure[chosen].copy()
        for bonus in bonuses:
            could = np.flatnonzero(bonus.scores[chosen] > 0)  # the slice's passages with every word
            if len(could):
                candidates = docs[chosen[could]]
                stands = could[_member(candidates, among(bonus, np.sort(candidates)))]
                scores[stands] += bonus.scores[chosen[stands]]
        for i, score in zip(chosen.tolist(), scores.tolist(), strict=True):
            entry = (score, -int(docs[i]))
            if len(exact) < limit:
                heapq.heappush(exact, entry)
            elif entry > exact[0]:
                heapq.heapreplace(exact, entry)
    return [(-neg, s) for s, neg in sorted(exact, reverse=True)]


def _best(scores: np.ndarray, limit: int) -> np.ndarray:
    """Indexes of the ``limit`` highest scores, in order; the lower index first on a tie."""
    if len(scores) > limit:
        threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        candidates = np.flatnonzero(scores >= threshold)
    else:
        candidates = np.arange(len(scores))
    return candidates[np.lexsort((candidates, -scores[candidates]))][:limit]


def _slices(scores: np.ndarray) -> Iterator[np.ndarray]:
    """Indexes by descending score (the lower index first on a tie), a slice at a time, each
    four times the one before: usually only the first few are needed."""
    size = 16
    remaining = np.arange(len(scores))
    while len(remaining):
        chunk = _best(scores[remaining], size)
        yield remaining[chunk]
        remaining = np.delete(remaining, chunk)
        size *= 4
