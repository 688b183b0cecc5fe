"""The Python API the CLI itself uses: open an index, search it, list and show documents."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import query as wq

from .analysis import read_dictionary
from .errors import QueryError
from .index import DICTIONARY_FILE, document_records, open_whoosh
from .model import LANGUAGES, DocumentInfo, Hit, page_at
from .query import build_filter, build_restriction, parse_query
from .ranking import Docs, Ranker, Unsupported
from .snippets import matched_spans, snippet_of

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


class Index:
    """A built policy-search index, open for searching."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._ix = open_whoosh(self.path)
        self.dictionary = read_dictionary(self.path / DICTIONARY_FILE)
        # One searcher for every search while the index is unchanged, and the document sets of
        # the filters it has seen: building "passages in French" anew took half of a query's time.
        self._searcher = self._ix.searcher()
        self._ranker = Ranker(self._searcher)
        self._filter_sets: dict[str, Any] = {}
        self._records: dict[str, DocumentInfo] = {}

    def _current_searcher(self) -> Any:
        if not self._searcher.up_to_date():
            self._searcher = self._searcher.refresh()
            self._ranker = Ranker(self._searcher)
            self._filter_sets.clear()
            self._records.clear()
        return self._searcher

    def _allowed(self, searcher: Any, filter_query: Any) -> set[int]:
        """The docnums a filter allows, for Whoosh's matchers (passages only)."""
        return self._filter_set(filter_query, lambda: set(searcher._filter_to_comb(filter_query)))

    def _restricted(self, restriction: Any) -> Docs | None:
        """The docnums of a language, document or date restriction, for the ranker (None: all).

        Content terms are never in a document record, so the ranker needs no "passages only"
        set: building that one took 0.2 s of a cold search at 100,000 passages.
        """
        if restriction is None:
            return None
        return self._filter_set(restriction, lambda: self._ranker.docs(restriction))

    def _filter_set(self, filter_query: Any, build: Any) -> Any:
        key = repr(filter_query)
        if key not in self._filter_sets:
            if len(self._filter_sets) >= 64:
                self._filter_sets.pop(next(iter(self._filter_sets)))
            self._filter_sets[key] = build()  # never changed once built
        return self._filter_sets[key]

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
        langs = _as_tuple(lang)
        parsed = parse_query(query, langs, self.dictionary)
        if parsed.langs:
            langs = tuple(x for x in parsed.langs if not langs or x in langs) or ("none",)
        docs = _as_tuple(doc) + parsed.docs
        filters = ([x for x in langs if x != "none"], docs, since, until)
        if langs == ("none",):
            return Results(query, 0, ())
        searcher = self._current_searcher()
        languages = [x for x in parsed.preference if x in (filters[0] or LANGUAGES)]
        try:
            restricted = self._restricted(build_restriction(*filters))
            ranked = self._ranker.rank(parsed.query, restricted, offset + limit, languages, parsed.exact)
            total = ranked.total
            exact = ranked.exact
            found = [(score, searcher.stored_fields(doc), ranked.terms[doc]) for doc, score in ranked.top[offset:]]
        except Unsupported:  # a shape the ranker does not evaluate: Whoosh's matchers
            allowed = self._allowed(searcher, build_filter(*filters))
            results = _search_counting_all(searcher, parsed.query, allowed, offset + limit)
            total = exact = len(results)
            found = [(r.score, r.fields(), _terms_of(r)) for r in results[offset : offset + limit]]
        runs = parsed.runs if snippets else None
        hits = [self._hit(rank, *hit, runs) for rank, hit in enumerate(found, start=offset + 1)]
        return Results(query, total, tuple(hits), exact)

    def documents(self) -> list[DocumentInfo]:
        """Every indexed document, sorted by doc_id."""
        return document_records(self.path)

    def passages(self, doc_id: str, *, page: int | None = None, passage: int | None = None) -> list[Hit]:
        """A document's passages in reading order, optionally only one page or one passage."""
        parts: list[Any] = [wq.Term("kind", "passage"), wq.Term("doc_id", doc_id)]
        if passage is not None:
            parts.append(wq.NumericRange("passage", passage, passage))
        searcher = self._current_searcher()
        found = [searcher.stored_fields(n) for n in searcher.docs_for_query(wq.And(parts))]
        found.sort(key=lambda fields: fields["passage"])
        if page is not None:  # the passages on that page, and one that runs on to it
            found = [f for f in found if f.get("page") is not None and f["page"] <= page <= _last_page(f)]
        return [self._hit(0, 0.0, fields, set()) for fields in found]

    def _record(self, doc_id: str) -> DocumentInfo:
        """A document's record (its title and source are stored there, not with each passage)."""
        if doc_id not in self._records:
            fields = self._current_searcher().document(kind="doc", doc_id=doc_id)
            self._records[doc_id] = DocumentInfo(**fields["meta"])
        return self._records[doc_id]

    def _hit(
        self, rank: int, score: float, fields: dict[str, Any], terms: set[tuple[str, str]], runs: tuple[str, ...] | None = ()
    ) -> Hit:
        """A hit from a passage's stored fields; its snippet marks ``terms`` and ``runs`` (None: no
        snippet)."""
        lang = fields["lang"]
        record = self._record(fields["doc_id"])
        body_terms = {text for field, text in terms if field in (f"body_{lang}", f"section_{lang}", f"title_{lang}")}
        text = fields["text"]
        breaks = tuple(tuple(b) for b in fields.get("breaks") or ())
        wanted = terms and (runs is not None or breaks)  # a snippet, or the page of the first match
        spans = matched_spans(text, lang, body_terms, self.dictionary, runs or ()) if wanted else []
        snippet = snippet_of(text, lang, spans) if terms and runs is not None else ""
        page, label = fields.get("page"), fields.get("page_label", "")
        page_range = None
        if breaks:
            last = breaks[-1]
            page_range = ((page, label), (last[1], last[2]))
            if spans:  # cite the page on which the first matched word stands
                page, label = page_at(page, label, breaks, spans[0][0])
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
        )


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
