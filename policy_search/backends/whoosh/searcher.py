"""Searching a Whoosh index: one committed state open, the bulk ranker over its segments, and
Whoosh's own matchers for the shapes the ranker does not evaluate."""

from __future__ import annotations

import os
import pickle
import struct
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import query as wq

from policy_search.analysis.analyzers import read_dictionary
from policy_search.backends import Filters, Found
from policy_search.backends.whoosh.ranking import Docs, Ranker, Unsupported
from policy_search.backends.whoosh.store import DICTIONARY_FILE, open_whoosh, records_in
from policy_search.errors import IndexDamaged, IndexMissing, PolicySearchError
from policy_search.model import DocumentInfo

#: what reading a truncated, altered or missing index file raises (Whoosh reads pickles, packed
#: structs and compressed blocks, and our dictionary as UTF-8)
_DAMAGE = (OSError, EOFError, pickle.UnpicklingError, struct.error, zlib.error, UnicodeDecodeError)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn a damaged index file into one line that says what to do."""
    try:
        yield
    except PolicySearchError:
        raise
    except Exception as exc:
        if not isinstance(exc, _DAMAGE) and not _raised_reading(exc):
            raise  # a fault of ours, not of the index: its traceback is the report
        raise IndexDamaged(
            f"index at {path} is damaged ({type(exc).__name__}: {exc}): rebuild it with `policy-search ingest --rebuild`"
        ) from exc


#: the modules that read the index's files: an exception raised in one is what a damaged file gave
_READERS = ("whoosh.", "policy_search.backends.whoosh.codec")


def _raised_reading(exc: BaseException) -> bool:
    """Whether an exception was raised while Whoosh or our codec read the index's files."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""
    return module.startswith(_READERS)


#: what changes with every commit to the index folder (None: no folder there)
Stamp = tuple[int, int, int, tuple[str, ...]] | None


def stamp(path: Path) -> Stamp:
    """A commit writes files into the folder (its times change) and a new table of contents
    (``_MAIN_<generation>.toc``, for file systems whose times are coarse); an ingest --rebuild
    swaps a new folder in (a new inode, whatever its generation number)."""
    try:
        found = os.stat(path)
        contents = tuple(sorted(name for name in os.listdir(path) if name.endswith(".toc")))
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_ctime_ns, contents


@dataclass
class WhooshSearcher:
    """One committed state of the index, open: a search reads all it needs from one of these."""

    path: Path
    stamp: Stamp
    dictionary: tuple[str, ...]
    searcher: Any
    ranker: Ranker
    #: the document sets of the filters seen (building "passages in French" anew took half of a
    #: query's time) and the document records read, for this state only
    filter_sets: dict[str, Any] = field(default_factory=dict)
    known_records: dict[str, DocumentInfo] = field(default_factory=dict)

    def find(
        self, query: Any, filters: Filters, offset: int, limit: int, languages: Sequence[str], exact: Any
    ) -> Found:
        with reading(self.path):
            try:
                ranked = self.ranker.rank(query, self.restricted(build_restriction(filters)), offset + limit, languages, exact)
                found = [(score, self.searcher.stored_fields(doc), ranked.terms[doc]) for doc, score in ranked.top[offset:]]
                return Found(ranked.total, ranked.exact, tuple((s, f, frozenset(t)) for s, f, t in found))
            except Unsupported:  # a shape the ranker does not evaluate: Whoosh's matchers
                results = search_counting_all(self.searcher, query, self.allowed(build_filter(filters)), offset + limit)
                hits = tuple((r.score, r.fields(), frozenset(terms_of(r))) for r in results[offset : offset + limit])
                return Found(len(results), len(results), hits)

    def allowed(self, filter_query: Any) -> set[int]:
        """The docnums a filter allows, for Whoosh's matchers (passages only)."""
        return self._filter_set(filter_query, lambda: set(self.searcher._filter_to_comb(filter_query)))

    def restricted(self, restriction: Any) -> Docs | None:
        """The docnums of a language, document or date restriction, for the ranker (None: all).

        Content terms are never in a document record, so the ranker needs no "passages only"
        set: building that one took 0.2 s of a cold search at 100,000 passages.
        """
        if restriction is None:
            return None
        return self._filter_set(restriction, lambda: self.ranker.docs(restriction))

    def _filter_set(self, filter_query: Any, build: Any) -> Any:
        key = repr(filter_query)
        if key not in self.filter_sets:
            if len(self.filter_sets) >= 64:
                self.filter_sets.pop(next(iter(self.filter_sets)))
            self.filter_sets[key] = build()  # never changed once built
        return self.filter_sets[key]

    def passages(self, doc_id: str, passage: int | None = None) -> list[dict[str, Any]]:
        parts: list[Any] = [wq.Term("kind", "passage"), wq.Term("doc_id", doc_id)]
        if passage is not None:
            parts.append(wq.NumericRange("passage", passage, passage))
        with reading(self.path):
            found = [self.searcher.stored_fields(n) for n in self.searcher.docs_for_query(wq.And(parts))]
        return sorted(found, key=lambda fields: fields["passage"])

    def record(self, doc_id: str) -> DocumentInfo:
        """A document's record (its title and source are stored there, not with each passage)."""
        if doc_id not in self.known_records:
            with reading(self.path):
                fields = self.searcher.document(kind="doc", doc_id=doc_id)
            self.known_records[doc_id] = DocumentInfo(**fields["meta"])
        return self.known_records[doc_id]

    def records(self) -> dict[str, DocumentInfo]:
        with reading(self.path):
            return records_in(self.searcher)


def open_state(path: Path) -> WhooshSearcher:
    found = stamp(path)  # read first: a commit during the opening changes it, and is seen next time
    with reading(path):
        searcher = open_whoosh(path).searcher()
        return WhooshSearcher(path, found, read_dictionary(path / DICTIONARY_FILE), searcher, Ranker(searcher))


class CurrentState:
    """The last committed state of a folder: before each use it checks whether the index has
    changed (an ingest by this or another process, a rebuild swapped in) and if so opens it
    anew, never mixing the readers of two states; a call that races a commit answers from one
    state or the other."""

    _SWAP_WAIT = 2.0  # seconds to wait for a rebuild's swap to finish before giving up

    def __init__(self, path: Path) -> None:
        self.path = path
        self._state = open_state(path)

    def get(self) -> WhooshSearcher:
        state = self._state
        if stamp(self.path) == state.stamp and state.stamp is not None:
            return state
        deadline = time.monotonic() + self._SWAP_WAIT
        while True:
            try:
                fresh = open_state(self.path)
                break
            except IndexMissing:
                if time.monotonic() >= deadline:
                    raise  # removed, not being swapped: no stale answer from a closed state
                time.sleep(0.05)  # between a rebuild's two renames
        self._state = fresh  # the old state's files close when no call still reads from it
        return fresh


def build_filter(filters: Filters) -> Any:
    """The filter every search applies: passages only, then language, document and date."""
    restriction = build_restriction(filters)
    kind = wq.Term("kind", "passage")
    return kind if restriction is None else wq.And([kind, *restriction.subqueries])


def build_restriction(filters: Filters) -> Any:
    """The language, document and date filters, or None when there are none."""
    parts: list[Any] = []
    if filters.langs:
        parts.append(wq.Or([wq.Term("lang", lang) for lang in filters.langs]))
    if filters.docs:
        parts.append(wq.Or([wq.Wildcard("doc_id", d) if is_glob(d) else wq.Term("doc_id", d) for d in filters.docs]))
    if filters.since or filters.until:
        parts.append(wq.TermRange("date", filters.since, filters.until))
    return wq.And(parts) if parts else None


def is_glob(doc: str) -> bool:
    return any(c in doc for c in "*?[")


def search_counting_all(searcher: Any, query: Any, allowed: set[int], limit: int) -> Any:
    """The top ``limit`` hits, and an exact count of every match.

    Whoosh's default collector skips blocks and swaps in cheaper matchers once its heap is
    full, so its total changed with the limit (38 or 41 passages for one query) and overcounted
    phrases. Scoring every match costs more on large result sets; scripts/bench.py measures it.
    """
    from whoosh import collectors

    if not allowed:  # Whoosh takes an empty filter for no filter at all
        return []
    top = collectors.TopCollector(max(limit, 1), usequality=False, replace=0)
    collector = collectors.FilterCollector(collectors.TermsCollector(top), allowed, None)
    searcher.search_with_collector(query, collector)
    return collector.results()


def terms_of(result: Any) -> set[tuple[str, str]]:
    matched = result.matched_terms() if result.results.has_matched_terms() else []
    return {(field, value.decode("utf-8") if isinstance(value, bytes) else value) for field, value in matched}
