"""The Python API the CLI itself uses: open an index, search it, list and show documents.

Whichever backend holds the index (a Whoosh folder, an OpenSearch index), the query is parsed,
and hits are cut into snippets and cited, here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy_search.backends import Filters, Location, Searcher, open_backend
from policy_search.errors import QueryError
from policy_search.model import LANGUAGES, DocumentInfo, Hit, page_at
from policy_search.search.query import parse_date_bound, parse_query
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


class Index:
    """A built policy-search index, open for searching.

    It answers from the last committed state: an ingest by this or another process, or a
    rebuild swapped in, is seen by the next call, and a call that races a commit answers from
    one state or the other.
    """

    def __init__(self, location: Location) -> None:
        self.path = location
        self._backend = open_backend(location)
        self._backend.searcher()  # raises IndexMissing now, not at the first search

    @property
    def dictionary(self) -> tuple[str, ...]:
        return self._backend.searcher().dictionary

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
            return self._search(query, limit, offset, _as_tuple(lang), _as_tuple(doc), since, until, snippets)
        except RecursionError:  # a shape the bounds of query.py let through: still one line
            raise QueryError(f"query {query[:60]!r} is too deeply nested to evaluate") from None

    def _search(
        self, query: str, limit: int, offset: int, langs: tuple[str, ...], doc: tuple[str, ...],
        since: str | None, until: str | None, snippets: bool,
    ) -> Results:
        state = self._backend.searcher()
        parsed = parse_query(query, langs, state.dictionary)
        if parsed.langs:
            langs = tuple(x for x in parsed.langs if not langs or x in langs) or ("none",)
        docs = doc + parsed.docs
        if langs == ("none",):
            return Results(query, 0, ())
        low = parse_date_bound(since, "--since", end=False) if since else None
        high = parse_date_bound(until, "--until", end=True) if until else None
        filters = Filters(tuple(x for x in langs if x != "none"), docs, low, high)
        languages = [x for x in parsed.preference if x in (filters.langs or LANGUAGES)]
        found = state.find(parsed.query, filters, offset, limit, languages, parsed.exact)
        runs = parsed.runs if snippets else None
        phrases = _phrases(parsed.query)
        hits = [self._hit(state, rank, *hit, runs, phrases) for rank, hit in enumerate(found.hits, start=offset + 1)]
        return Results(query, found.total, tuple(hits), found.exact)

    def documents(self) -> list[DocumentInfo]:
        """Every indexed document, sorted by doc_id."""
        records = self._backend.searcher().records()
        return [records[k] for k in sorted(records)]

    def passages(self, doc_id: str, *, page: int | None = None, passage: int | None = None) -> list[Hit]:
        """A document's passages in reading order, optionally only one page or one passage."""
        state = self._backend.searcher()
        found = state.passages(doc_id, passage)
        if page is not None:  # the passages on that page, and one that runs on to it
            found = [f for f in found if f.get("page") is not None and f["page"] <= page <= _last_page(f)]
        return [self._hit(state, 0, 0.0, fields, frozenset()) for fields in found]

    def _hit(
        self,
        state: Searcher,
        rank: int,
        score: float,
        fields: dict[str, Any],
        terms: frozenset[tuple[str, str]],
        runs: tuple[str, ...] | None = (),
        phrases: Mapping[str, tuple[tuple[str, ...], ...]] | None = None,
    ) -> Hit:
        """A hit from a passage's stored fields; its snippet marks ``terms`` and ``runs`` (None: no
        snippet)."""
        lang = fields["lang"]
        record = state.record(fields["doc_id"])
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


def open_index(location: Location = DEFAULT_INDEX) -> Index:
    """Open the index at ``location`` (a folder, or ``opensearch://HOST:PORT/NAME``) for
    searching; raises IndexMissing if there is none."""
    return Index(location)
