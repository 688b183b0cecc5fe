"""The parsed query tree as OpenSearch's query DSL, with the same meaning: AND, OR and NOT of
terms, phrases and prefixes over the token fields, boosts as the parser gave them, and the
filters (language, document, date) and the visibility of committed passages only.

Each term, phrase and prefix is named (``_name``), so that a hit says which of them it matched:
its snippet marks those words, as with the Whoosh backend.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from whoosh import query as wq

from policy_search.backends import Filters
from policy_search.backends.opensearch.mapping import escape
from policy_search.backends.whoosh.searcher import is_glob
from policy_search.errors import QueryError

_KEYWORDS = ("kind", "doc_id", "lang", "date")


def to_dsl(query: Any, named: bool = True) -> dict[str, Any]:
    """One node of the query tree (whoosh.query objects, as search.query builds them); with
    ``named``, its terms, phrases and prefixes are named for the hits to say which matched."""
    kind = type(query)

    def sub(q: Any) -> dict[str, Any]:
        return to_dsl(q, named)

    def label(*parts: str) -> dict[str, str]:
        return {"_name": name(*parts)} if named else {}

    boost = float(getattr(query, "boost", 1.0))
    if kind is wq.Term:
        if query.fieldname in _KEYWORDS:
            return {"term": {query.fieldname: {"value": query.text, "boost": boost}}}
        return _term(query.fieldname, query.text, boost, label("t", query.fieldname, query.text))
    if kind is wq.Phrase:
        if query.slop != 1:
            raise QueryError("sloppy phrases are not supported")
        # Whoosh scores a phrase as the sum of its words' scores, times its boost: the phrase
        # only filters, its words score
        words = " ".join(escape(w) for w in query.words)
        phrase = {"match_phrase": {query.fieldname: {"query": words, **label("p", query.fieldname, *query.words)}}}
        return _bool(filter=[phrase], should=[_term(query.fieldname, w, boost, {}) for w in query.words])
    if kind is wq.Prefix:
        # each word it stands for scored, as Whoosh scores a prefix (an Or of its words)
        prefix = {"value": escape(query.text), "rewrite": "scoring_boolean", "boost": boost, **label("*", query.fieldname, query.text)}
        return {"prefix": {query.fieldname: prefix}}
    if kind is wq.Every:
        return {"match_all": {"boost": boost}}
    if kind is wq.ConstantScoreQuery:
        return {"constant_score": {"filter": sub(query.child), "boost": float(query.score)}}
    if kind is wq.AndMaybe:
        return _bool(must=[sub(query.a)], should=[sub(query.b)], boost=boost)
    if kind is wq.And:
        positive = [sub(q) for q in query.subqueries if type(q) is not wq.Not]
        negative = [sub(q.query) for q in query.subqueries if type(q) is wq.Not]
        # Whoosh scores each NOT x as 1.0 where x is absent; so does a constant match_all here
        positive += [{"match_all": {"boost": 1.0}} for _ in negative]
        return _bool(must=positive, must_not=negative, boost=boost)
    if kind is wq.Or:
        return _bool(should=[sub(q) for q in query.subqueries], minimum_should_match=1, boost=boost)
    if kind is wq.Not:
        return _bool(must=[{"match_all": {"boost": 1.0}}], must_not=[sub(query.query)], boost=boost)
    raise QueryError(f"the OpenSearch backend cannot evaluate a {kind.__name__} query")


def _term(field: str, text: str, boost: float, named: dict[str, str]) -> dict[str, Any]:
    """A word of a token field, scored by the field's similarity (mapping.py)."""
    return {"term": {field: {"value": escape(text), "boost": boost, **named}}}


def _bool(boost: float = 1.0, **parts: Any) -> dict[str, Any]:
    body = {key: value for key, value in parts.items() if value not in (None, [])}
    if boost != 1.0:
        body["boost"] = boost
    return {"bool": body}


def name(kind: str, field: str, *words: str) -> str:
    return json.dumps([kind, field, *words], ensure_ascii=False)


def named_terms(names: Iterable[str]) -> tuple[set[tuple[str, str]], list[tuple[str, str]]]:
    """The (field, term) pairs a hit's matched query names stand for, and the prefixes among
    them (field, prefix), whose words are found in the passage itself."""
    terms: set[tuple[str, str]] = set()
    prefixes = []
    for named in names:
        kind, field, *words = json.loads(named)
        if kind == "*":
            prefixes.append((field, words[0]))
        else:
            terms.update((field, w) for w in words)
    return terms, prefixes


def filters_dsl(filters: Filters) -> list[dict[str, Any]]:
    """The language, document and date restrictions."""
    found: list[dict[str, Any]] = []
    if filters.langs:
        found.append({"terms": {"lang": list(filters.langs)}})
    if filters.docs:
        found.append(_bool(should=[_doc_filter(d) for d in filters.docs], minimum_should_match=1))
    if filters.since or filters.until:
        # an undated passage (its date is "") is in no date range, as in the Whoosh backend
        bounds = {"gte": filters.since} if filters.since else {"gt": ""}
        if filters.until:
            bounds["lte"] = filters.until
        found.append({"range": {"date": bounds}})
    return found


def _doc_filter(doc: str) -> dict[str, Any]:
    if not is_glob(doc):
        return {"term": {"doc_id": doc}}
    return {"regexp": {"doc_id": {"value": glob_regexp(doc), "flags": "NONE"}}}


_REGEXP_SPECIAL = set('.?+*|{}[]()"\\#@&<>~')


def glob_regexp(glob: str) -> str:
    """A shell glob as fnmatch reads it (``*``, ``?``, ``[abc]``, ``[!abc]``; a ``[`` without its
    ``]`` is itself), as a Lucene regular expression, which matches the whole value as well."""
    out, i, n = [], 0, len(glob)
    while i < n:
        c = glob[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i + 1
            j += glob[j : j + 1] == "!"
            j += glob[j : j + 1] == "]"  # a ] first in the class is one of its characters
            end = glob.find("]", j)
            if end < 0:
                out.append("\\[")
            else:
                inner = glob[i + 1 : end]
                negated = inner.startswith("!")
                members = "".join("\\" + ch if ch in '\\[]^"' else ch for ch in inner[negated:])
                out.append(("[^" if negated else "[") + members + "]")
                i = end
        else:
            out.append("\\" + c if c in _REGEXP_SPECIAL else c)
        i += 1
    return "".join(out)


def visible(committed: int, replaced: Iterable[str]) -> list[dict[str, Any]]:
    """What readers see: what committed ingests wrote, less what a later one replaced."""
    hidden = list(replaced)
    found: list[dict[str, Any]] = [{"range": {"gen": {"lte": committed}}}]
    if hidden:
        found.append(_bool(must_not=[_bool(filter=[{"terms": {"doc_id": hidden}}, {"range": {"gen": {"lt": committed}}}])]))
    return found
