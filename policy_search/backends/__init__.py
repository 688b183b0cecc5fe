"""Where an index lives: a Whoosh folder on this machine, or an index on an OpenSearch cluster.

Everything above this seam (the query language, analysis, snippets, citations, saved queries,
export, the CLI) is the same for both: they parse a query into a query tree, and a backend
evaluates it over the passages it holds. Analysis happens in Python before a passage reaches
either backend, so both index the same terms at the same positions.

A location is a folder (``indexes/default``) or ``opensearch://HOST:PORT/NAME``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from policy_search.model import Document, DocumentInfo

OPENSEARCH_SCHEME = "opensearch://"

#: an index's location as the user gave it: a folder, or an OpenSearch URL
Location = Path | str

#: what each passage's text fields were analysed into, by field name ("body_zh", "title_zh", ...),
#: as the ingest workers made them (backends.whoosh.codec.Analysed values)
PassageFields = tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Filters:
    """What a search is restricted to: languages, document ids (globs allowed), a date range."""

    langs: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class Found:
    """The passages a query matched: how many in all, and the asked-for ones, best first."""

    total: int
    #: how many of ``total`` hold every unquoted Chinese run as typed (they rank first)
    exact: int
    #: (score, stored fields, matched (field, term) pairs) of each hit from the offset on
    hits: tuple[tuple[float, dict[str, Any], frozenset[tuple[str, str]]], ...]


class Searcher(Protocol):
    """One committed state of an index, open for reading: a call never mixes two states."""

    @property
    def dictionary(self) -> tuple[str, ...]: ...

    def find(
        self, query: Any, filters: Filters, offset: int, limit: int, languages: Sequence[str], exact: Any
    ) -> Found: ...

    def passages(self, doc_id: str, passage: int | None = None) -> list[dict[str, Any]]:
        """A document's passages' stored fields, in reading order (or only the one asked for)."""
        ...

    def record(self, doc_id: str) -> DocumentInfo: ...

    def records(self) -> dict[str, DocumentInfo]: ...


class Writer(Protocol):
    """Changes to an index, seen by readers all at once at ``commit`` or never."""

    def add(self, doc: Document, analysed: PassageFields, root: Path) -> None: ...

    def delete(self, doc_id: str) -> None: ...

    def commit(self) -> None: ...

    def cancel(self) -> None: ...


class Backend(Protocol):
    """One index, wherever it lives."""

    @property
    def location(self) -> str: ...

    def exists(self) -> bool: ...

    def searcher(self) -> Searcher:
        """The last committed state (opened anew when the index has changed); raises IndexMissing."""
        ...

    def writing(self, timeout: float) -> AbstractContextManager[None]:
        """One writer at a time: held for the whole of an ingest."""
        ...

    def settings(self) -> dict[str, Any]:
        """The index's settings (``ocr``), kept with it."""
        ...

    def set_settings(self, settings: dict[str, Any]) -> None: ...

    def stored_dictionary(self) -> tuple[str, ...]: ...

    def writer(self, fresh: bool, dictionary: tuple[str, ...], ocr: bool) -> Writer:
        """A writer into this index, or (``fresh``) into a new one that replaces it at commit."""
        ...

    def passage_count(self) -> int: ...

    def cache_dir(self) -> Path:
        """Where what each file read as is cached on this machine (so that a rebuild parses
        no PDF again)."""
        ...


def is_opensearch(location: Location) -> bool:
    return str(location).startswith(OPENSEARCH_SCHEME)


def open_backend(location: Location) -> Backend:
    """The backend of the index at ``location`` (it need not exist yet)."""
    if isinstance(location, str) and is_opensearch(location):
        from policy_search.backends.opensearch.backend import OpenSearchBackend

        return OpenSearchBackend.from_url(location)
    from policy_search.backends.whoosh.backend import WhooshBackend

    return WhooshBackend(Path(location))
