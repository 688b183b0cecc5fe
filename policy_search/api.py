"""The Python API the CLI itself uses: open an index, search it, list and show documents."""

from __future__ import annotations

import os
import pickle
import struct
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import query as wq

from policy_search.analysis.analyzers import read_dictionary
from policy_search.backends.whoosh.ranking import Docs, Ranker, Unsupported
from policy_search.backends.whoosh.store import DICTIONARY_FILE, document_records, open_whoosh
from policy_search.errors import IndexDamaged, IndexMissing, PolicySearchError, QueryError
from policy_search.model import LANGUAGES, DocumentInfo, Hit, page_at
from policy_search.search.query import build_filter, build_restriction, parse_query
from policy_search.search.snippets import matched_spans, phrase_start, snippet_of

DEFAULT_INDEX = Path("indexes/default")


@dataclass(frozen=True)
class Results:
    """The hits of one search, best first, and how many passages matched in all."""

    query: str
    total: int
    hits: tuple[Hit, ...]
    #: how many of ``total`` hold every unquoted Chinese run of the query as typed (they rank
    #: first); the rest hold the run's words apart
    exact: int = 0

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


#: what reading a truncated, altered or missing index file raises (Whoosh reads pickles, packed
#: structs and compressed blocks, and our dictionary as UTF-8)
_DAMAGE = (OSError, EOFError, pickle.UnpicklingError, struct.error, zlib.error, UnicodeDecodeError)


@contextmanager
def _reading(path: Path) -> Iterator[None]:
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


def _stamp(path: Path) -> Stamp:
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
class _State:
    """One committed state of the index, open: a search reads all it needs from one of these."""

    stamp: Stamp
    dictionary: tuple[str, ...]
    searcher: Any
    ranker: Ranker
    #: the document sets of the filters seen (building "passages in French" anew took half of a
    #: query's time) and the document records read, for this state only
    filter_sets: dict[str, Any] = field(default_factory=dict)
    records: dict[str, DocumentInfo] = field(default_factory=dict)


def _open_state(path: Path) -> _State:
    stamp = _stamp(path)  # read first: a commit during the opening changes it, and is seen next time
    with _reading(path):
        searcher = open_whoosh(path).searcher()
        return _State(stamp, read_dictionary(path / DICTIONARY_FILE), searcher, Ranker(searcher))


class Index:
    """A built policy-search index, open for searching.

    It answers from the last committed state: before each call it checks whether the index has
    changed (an ingest by this or another process, a rebuild swapped in) and if so opens it
    anew, never mixing the readers of two states; a call that races a commit answers from one
    state or the other.
    """

    _SWAP_WAIT = 2.0  # seconds to wait for a rebuild's swap to finish before giving up

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._state = _open_state(self.path)

    @property
    def dictionary(self) -> tuple[str, ...]:
        return self._current().dictionary

    def _current(self) -> _State:
        state = self._state
        if _stamp(self.path) == state.stamp and state.stamp is not None:
            return state
        deadline = time.monotonic() + self._SWAP_WAIT
        while True:
            try:
                fresh = _open_state(self.path)
                break
            except IndexMissing:
                if time.monotonic() >= deadline:
                    raise  # removed, not being swapped: no stale answer from a closed state
                time.sleep(0.05)  # between a rebuild's two renames
        self._state = fresh  # the old state's files close when no call still reads from it
        return fresh

    def _allowed(self, state: _State, filter_query: Any) -> set[int]:
        """The docnums a filter allows, for Whoosh's matchers (passages only)."""
        return _filter_set(state, filter_query, lambda: set(state.searcher._filter_to_comb(filter_query)))

    def _restricted(self, state: _State, restriction: Any) -> Docs | None:
        """The docnums of a language, document or date restriction, for the ranker (None: all).

        Content terms are never in a document record, so the ranker needs no "passages only"
        set: building that one took 0.2 s of a cold search at 100,000 passages.
        """
        if restriction is None:
            return None
        return _filter_set(state, restriction, lambda: state.ranker.docs(restriction))

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        lang: str | Sequence[str] | None = None,
        doc: str | Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        snippets: bool = True,
    ) -> Results:
        """Search passages; ``lang`` and ``doc`` (globs allowed) filter, ``since``/``until`` take dates.

        ``snippets=False`` leaves every hit's snippet empty (for counting and auditing many hits).
        Raises QueryError for a malformed query or filter.
        """
        if limit < 0 or offset < 0:
            raise QueryError("limit and offset must not be negative")
        try:
            with _reading(self.path):
                return self._search(query, limit, offset, _as_tuple(lang), _as_tuple(doc), since, until, snippets)
        except RecursionError:  # a shape the bounds of query.py let through: still one line
            raise QueryError(f"query {query[:60]!r} is too deeply nested to evaluate") from None

    def _search(
        self, query: str, limit: int, offset: int, langs: tuple[str, ...], doc: tuple[str, ...],
        since: str | None, until: str | None, snippets: bool,
    ) -> Results:
        state = self._current()
        parsed = parse_query(query, langs, state.dictionary)
        if parsed.langs:
            langs = tuple(x for x in parsed.langs if not langs or x in langs) or ("none",)
        docs = doc + parsed.docs
        filters = ([x for x in langs if x != "none"], docs, since, until)
        if langs == ("none",):
            return Results(query, 0, ())
        searcher = state.searcher
        languages = [x for x in parsed.preference if x in (filters[0] or LANGUAGES)]
        try:
            restricted = self._restricted(state, build_restriction(*filters))
            ranked = state.ranker.rank(parsed.query, restricted, offset + limit, languages, parsed.exact)
            total = ranked.total
            exact = ranked.exact
            found = [(score, searcher.stored_fields(doc), ranked.terms[doc]) for doc, score in ranked.top[offset:]]
        except Unsupported:  # a shape the ranker does not evaluate: Whoosh's matchers
            allowed = self._allowed(state, build_filter(*filters))
            results = _search_counting_all(searcher, parsed.query, allowed, offset + limit)
            total = exact = len(results)
            found = [(r.score, r.fields(), _terms_of(r)) for r in results[offset : offset + limit]]
        runs = parsed.runs if snippets else None
        phrases = _phrases(parsed.query)
        hits = [self._hit(state, rank, *hit, runs, phrases) for rank, hit in enumerate(found, start=offset + 1)]
        return Results(query, total, tuple(hits), exact)

    def documents(self) -> list[DocumentInfo]:
        """Every indexed document, sorted by doc_id."""
        with _reading(self.path):
            return document_records(self.path)

    def passages(self, doc_id: str, *, page: int | None = None, passage: int | None = None) -> list[Hit]:
        """A document's passages in reading order, optionally only one page or one passage."""
        with _reading(self.path):
            return self._passages(doc_id, page, passage)

    def _passages(self, doc_id: str, page: int | None, passage: int | None) -> list[Hit]:
        parts: list[Any] = [wq.Term("kind", "passage"), wq.Term("doc_id", doc_id)]
        if passage is not None:
            parts.append(wq.NumericRange("passage", passage, passage))
        state = self._current()
        searcher = state.searcher
        found = [searcher.stored_fields(n) for n in searcher.docs_for_query(wq.And(parts))]
        found.sort(key=lambda fields: fields["passage"])
        if page is not None:  # the passages on that page, and one that runs on to it
            found = [f for f in found if f.get("page") is not None and f["page"] <= page <= _last_page(f)]
        return [self._hit(state, 0, 0.0, fields, set()) for fields in found]

    def _record(self, state: _State, doc_id: str) -> DocumentInfo:
        """A document's record (its title and source are stored there, not with each passage)."""
        if doc_id not in state.records:
            fields = state.searcher.document(kind="doc", doc_id=doc_id)
            state.records[doc_id] = DocumentInfo(**fields["meta"])
        return state.records[doc_id]

    def _hit(
        self,
        state: _State,
        rank: int,
        score: float,
        fields: dict[str, Any],
        terms: set[tuple[str, str]],
        runs: tuple[str, ...] | None = (),
        phrases: Mapping[str, tuple[tuple[str, ...], ...]] | None = None,
    ) -> Hit:
        """A hit from a passage's stored fields; its snippet marks ``terms`` and ``runs`` (None: no
        snippet)."""
        lang = fields["lang"]
        record = self._record(state, fields["doc_id"])
        body_terms = {text for field, text in terms if field in (f"body_{lang}", f"section_{lang}", f"title_{lang}")}
        text = fields["text"]
        breaks = tuple(tuple(b) for b in fields.get("breaks") or ())
        wanted = terms and (runs is not None or breaks)  # a snippet, or the page of the first match
        spans = matched_spans(text, lang, body_terms, state.dictionary, runs or ()) if wanted else []
        snippet = snippet_of(text, lang, spans) if terms and runs is not None else ""
        page, label = fields.get("page"), fields.get("page_label", "")
        page_range = None
        if breaks:
            last = breaks[-1]
            page_range = ((page, label), (last[1], last[2]))
            if spans:  # cite the page on which the first matched word stands, or a phrase's first
                start = phrase_start(text, lang, (phrases or {}).get(f"body_{lang}", ()), state.dictionary)
                page, label = page_at(page, label, breaks, spans[0][0] if start is None else start)
        return Hit(
            rank=rank,
            score=float(score),
            doc_id=fields["doc_id"],
            title=record.title,
            lang=lang,
            date=fields.get("date", ""),
            section=fields.get("section", ""),
            page=page,
            page_label=label,
            passage=fields["passage"],
            snippet=snippet,
            text=text,
            source=record.source,
            page_range=page_range,
            ocr=bool(record.ocr_pages) and _runs_across_ocr_page(fields, record.ocr_pages),
        )


def _filter_set(state: _State, filter_query: Any, build: Any) -> Any:
    key = repr(filter_query)
    if key not in state.filter_sets:
        if len(state.filter_sets) >= 64:
            state.filter_sets.pop(next(iter(state.filter_sets)))
        state.filter_sets[key] = build()  # never changed once built
    return state.filter_sets[key]


def _phrases(query: Any) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The phrases of a query (quoted, or the bonus of unquoted words standing together), by
    field: a passage that runs across pages is cited where its phrase stands, not where its
    first matched word does ("consentement en" on page 2 of a passage whose page 1 has
    "consentement" alone)."""
    from whoosh import query as wq

    found: dict[str, list[tuple[str, ...]]] = {}
    for leaf in query.leaves() if hasattr(query, "leaves") else ():
        if isinstance(leaf, wq.Phrase):
            found.setdefault(leaf.fieldname, []).append(tuple(leaf.words))
    return {field: tuple(words) for field, words in found.items()}


def _runs_across_ocr_page(fields: dict[str, Any], ocr_pages: tuple[int, ...]) -> bool:
    """Whether a passage stands on a page (or runs across one) whose text was read by OCR."""
    if fields.get("page") is None:
        return False
    first, last = int(fields["page"]), _last_page(fields)
    return any(first <= n <= last for n in ocr_pages)


def _last_page(fields: dict[str, Any]) -> int:
    breaks = fields.get("breaks")
    return int(breaks[-1][1]) if breaks and breaks[-1][1] is not None else int(fields["page"])


def _search_counting_all(searcher: Any, query: Any, allowed: set[int], limit: int) -> Any:
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


def _terms_of(result: Any) -> set[tuple[str, str]]:
    matched = result.matched_terms() if result.results.has_matched_terms() else []
    return {(field, value.decode("utf-8") if isinstance(value, bytes) else value) for field, value in matched}


def open_index(path: Path | str = DEFAULT_INDEX) -> Index:
    """Open the index at ``path`` for searching; raises IndexMissing if there is none."""
    return Index(path)
