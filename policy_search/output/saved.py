"""Saved query files (TOML): read and check a whole file first, then run every query on one index.

A file is a ``[defaults]`` table of search options and ``[[query]]`` tables, each with a
``name``, a query ``q`` and any search option. Every mistake in the file is collected and
reported together, before any query runs; a query that fails when it runs is recorded in the
report and the others still run.
"""

from __future__ import annotations

import datetime
import difflib
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_search.errors import PolicySearchError
from policy_search.model import HIT_FIELDS, LANGUAGES, Hit
from policy_search.search.query import parse_date_bound

if TYPE_CHECKING:
    from policy_search.api import Index

#: Columns of a batch row: which query matched, then the hit's fields.
RUN_FIELDS = ("query_name", "query", *HIT_FIELDS)

#: What separates the query names (and queries) of a passage several queries matched.
DEDUPE_SEPARATOR = ";"

_RUN_OPTIONS = {"format", "out", "bom", "dedupe", "index"}


class QueryFileError(PolicySearchError):
    """A saved query file that cannot be run as it is: one line per mistake."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{path}: {problem}" for problem in self.problems))


@dataclass(frozen=True)
class SearchOptions:
    """The options of one search, as on the command line."""

    limit: int = 10
    offset: int = 0
    lang: tuple[str, ...] = ()
    doc: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class SavedQuery:
    """One ``[[query]]`` table; ``position`` is its 1-based place in the file."""

    name: str
    q: str
    options: SearchOptions = SearchOptions()
    position: int = 1

    @property
    def label(self) -> str:
        return f"query {self.name!r} (#{self.position})"


# --- reading a file ---------------------------------------------------------------------------


def _as_strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _check_int(key: str, value: Any, minimum: int) -> tuple[int | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"{key} must be a whole number, not {_show(value)}"
    if value < minimum:
        return None, f"{key} must be at least {minimum}, not {value}"
    return value, None


def _check_lang(key: str, value: Any) -> tuple[tuple[str, ...] | None, str | None]:
    langs = _as_strings(value)
    if langs is None:
        return None, f"{key} must be a language code or a list of them, not {_show(value)}"
    unknown = [x for x in langs if x not in LANGUAGES]
    if unknown:
        return None, f"{key}: unknown language {unknown[0]!r} (use {', '.join(LANGUAGES)})"
    return langs, None


def _check_doc(key: str, value: Any) -> tuple[tuple[str, ...] | None, str | None]:
    docs = _as_strings(value)
    if docs is None or not all(docs):
        return None, f"{key} must be a document id (globs allowed) or a list of them, not {_show(value)}"
    return docs, None


def _check_date(key: str, value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat(), None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None, f"{key} must be a date (YYYY, YYYY-MM or YYYY-MM-DD), not {_show(value)}"
    try:
        parse_date_bound(value, key, end=key == "until")
    except PolicySearchError as exc:
        return None, str(exc)
    return value, None


_OPTION_CHECKS: dict[str, Callable[[str, Any], tuple[Any, str | None]]] = {
    "limit": lambda key, value: _check_int(key, value, 1),
    "offset": lambda key, value: _check_int(key, value, 0),
    "lang": _check_lang,
    "doc": _check_doc,
    "since": _check_date,
    "until": _check_date,
}


def _show(value: Any) -> str:
    """How a wrong value is named in a message: its TOML kind, and the value if it is short."""
    if isinstance(value, dict):
        return "a table"
    kinds = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}
    kind = kinds.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{kind} {shown}" if len(shown) <= 40 else kind


def _unknown_key(key: str, known: Iterable[str]) -> str:
    if key in _RUN_OPTIONS:
        return f"{key!r} is an option of `policy-search run`, not of a query"
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r}{hint}"


def _read_options(table: Mapping[str, Any], base: SearchOptions, skip: set[str]) -> tuple[SearchOptions, list[str]]:
    values: dict[str, Any] = {}
    problems = []
    for key, value in table.items():
        if key in skip:
            continue
        check = _OPTION_CHECKS.get(key)
        if check is None:
            problems.append(_unknown_key(key, [*_OPTION_CHECKS, *skip]))
            continue
        checked, problem = check(key, value)
        if problem:
            problems.append(problem)
        else:
            values[key] = checked
    return replace(base, **values), problems


def read_queries(path: Path | str) -> tuple[SavedQuery, ...]:
    """The queries of a saved query file, with the defaults applied.

    Raises QueryFileError naming every mistake (file, query and what is wrong).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise QueryFileError(path, [f"cannot read the file: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise QueryFileError(path, [f"not UTF-8 text (byte {exc.start})"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise QueryFileError(path, [f"TOML syntax: {exc}"]) from exc
    return parse_queries(data, path)


def parse_queries(data: Mapping[str, Any], path: Path) -> tuple[SavedQuery, ...]:
    """The queries of an already-parsed TOML document; see read_queries."""
    problems = [_unknown_key(key, ["defaults", "query"]) + " at the top level" for key in data if key not in ("defaults", "query")]
    defaults_table = data.get("defaults", {})
    if not isinstance(defaults_table, dict):
        problems.append("[defaults] must be a table of search options")
        defaults_table = {}
    defaults, found = _read_options(defaults_table, SearchOptions(), skip=set())
    problems += [f"[defaults]: {p}" for p in found]

    tables = data.get("query", [])
    if isinstance(tables, dict):
        problems.append("write each query as a [[query]] table (double brackets), not [query]")
        tables = []
    elif not isinstance(tables, list):
        problems.append(f"'query' must be [[query]] tables, not {_show(tables)}")
        tables = []
    if not tables and "query" not in data:
        problems.append("no [[query]] table: nothing to run")

    queries = []
    seen: dict[str, int] = {}
    for position, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            problems.append(f"query #{position} must be a [[query]] table")
            continue
        name, q = table.get("name"), table.get("q")
        label = f"query {name!r} (#{position})" if isinstance(name, str) and name.strip() else f"query #{position}"
        own = []
        if name is None:
            own.append("missing 'name'")
        elif not isinstance(name, str) or not name.strip():
            own.append(f"'name' must be non-empty text, not {_show(name)}")
        elif name in seen:
            own.append(f"duplicate name: query #{seen[name]} has the same name")
        else:
            seen[name] = position
        if q is None:
            own.append("missing 'q' (the query)")
        elif not isinstance(q, str) or not q.strip():
            own.append(f"'q' must be non-empty query text, not {_show(q)}")
        options, found = _read_options(table, defaults, skip={"name", "q"})
        own += found
        problems += [f"{label}: {p}" for p in own]
        if not own and isinstance(name, str) and isinstance(q, str):
            queries.append(SavedQuery(name=name, q=q, options=options, position=position))
    if problems:
        raise QueryFileError(path, problems)
    return tuple(queries)


# --- running a batch --------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryOutcome:
    """How one query of a batch went: passages matched in all, rows it gave, or why it failed."""

    name: str
    q: str
    total: int = 0
    hits: int = 0
    error: str = ""


@dataclass(frozen=True)
class DocumentTally:
    """Hits per query in one document, for the summary of a batch."""

    doc_id: str
    title: str
    date: str
    per_query: Mapping[str, int]

    @property
    def hits(self) -> int:
        return sum(self.per_query.values())


@dataclass(frozen=True)
class RunReport:
    """What a batch did: one outcome per query, rows written, hits per document."""

    outcomes: tuple[QueryOutcome, ...]
    rows: int
    documents: tuple[DocumentTally, ...] = field(default=())

    @property
    def failed(self) -> tuple[QueryOutcome, ...]:
        return tuple(o for o in self.outcomes if o.error)


def hit_row(query: SavedQuery, hit: Hit) -> dict[str, object]:
    """A batch row: the query's name and text, then the hit's fields in contract order."""
    return {"query_name": query.name, "query": query.q, **hit.to_dict()}


def _merge(kept: dict[str, object], row: dict[str, object]) -> dict[str, object]:
    """One row for a passage two queries matched: both names, the better rank's fields."""
    names = f"{kept['query_name']}{DEDUPE_SEPARATOR}{row['query_name']}"
    queries = f"{kept['query']}{DEDUPE_SEPARATOR}{row['query']}"
    best = row if int(row["rank"]) < int(kept["rank"]) else kept  # type: ignore[call-overload]
    return {**best, "query_name": names, "query": queries}


def run_queries(
    index: Index,
    queries: Sequence[SavedQuery],
    write: Callable[[dict[str, object]], None],
    *,
    dedupe: bool = False,
    progress: Callable[[int, QueryOutcome, int], None] | None = None,
) -> RunReport:
    """Run every query on ``index`` and hand each row to ``write`` as soon as it is found.

    With ``dedupe`` a passage matched by several queries is written once, after the last
    query, with every matching query's name (``;``-joined) and its best rank; that needs the
    rows in memory, whereas without it rows stream straight through. ``progress`` is called
    after each query with its 1-based position, its outcome and the rows so far.
    """
    outcomes = []
    rows = 0
    merged: dict[tuple[str, int], dict[str, object]] = {}
    per_doc: dict[str, Counter[str]] = {}
    doc_info: dict[str, tuple[str, str]] = {}
    for position, query in enumerate(queries, start=1):
        opts = query.options
        try:
            results = index.search(query.q, limit=opts.limit, offset=opts.offset, lang=opts.lang,
                                   doc=opts.doc, since=opts.since, until=opts.until)
        except PolicySearchError as exc:
            outcome = QueryOutcome(query.name, query.q, error=str(exc))
        else:
            count = 0
            for hit in results:
                count += 1
                per_doc.setdefault(hit.doc_id, Counter())[query.name] += 1
                doc_info.setdefault(hit.doc_id, (hit.title, hit.date))
                row = hit_row(query, hit)
                if dedupe:
                    key = (hit.doc_id, hit.passage)
                    merged[key] = _merge(merged[key], row) if key in merged else row
                else:
                    write(row)
                    rows += 1
            outcome = QueryOutcome(query.name, query.q, total=results.total, hits=count)
        outcomes.append(outcome)
        if progress:
            progress(position, outcome, rows if not dedupe else len(merged))
    for row in merged.values():
        write(row)
        rows += 1
    documents = tuple(
        DocumentTally(doc_id, *doc_info[doc_id], per_query=dict(counts))
        for doc_id, counts in sorted(per_doc.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    )
    return RunReport(tuple(outcomes), rows, documents)
