"""Searching an OpenSearch index with the Whoosh backend's ranking rules: passages that hold
every unquoted Chinese run as typed come first, the best passages of each language the query
is likely in are merged by relative score, a tie goes to the passage written first, and totals
are exact. Scores are OpenSearch's BM25, not Whoosh's BM25F: they differ, the rules do not.

Hits past OpenSearch's result window (10,000) are paged with a point in time and
``search_after``, never with a deep ``from``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from policy_search.backends import Filters, Found
from policy_search.backends.opensearch.connection import Location, unreachable
from policy_search.backends.opensearch.dsl import filters_dsl, named_terms, to_dsl, visible
from policy_search.backends.opensearch.mapping import fields_of, record_of
from policy_search.errors import IndexMissing, PolicySearchError, QueryError
from policy_search.model import DocumentInfo
from policy_search.search.rules import merge_by_language

WINDOW = 10_000  # OpenSearch's index.max_result_window: deeper hits are paged
PAGE = 2_000
#: score first, then the order of writing, as the Whoosh backend breaks ties by docnum
ORDER = [{"_score": {"order": "desc"}}, {"seq": {"order": "asc"}}]


@dataclass(frozen=True)
class Committed:
    """What readers see of an index: the concrete index behind its alias, the last committed
    ingest and the documents it replaced."""

    index: str
    committed: int
    replaced: tuple[str, ...]
    dictionary: tuple[str, ...]
    shards: int = 1


@dataclass
class OpenSearchSearcher:
    client: Any
    location: Location
    state: Committed
    known_records: dict[str, DocumentInfo] = field(default_factory=dict)

    @property
    def dictionary(self) -> tuple[str, ...]:
        return self.state.dictionary

    def _visible(self, kind: str) -> list[dict[str, Any]]:
        return [{"term": {"kind": kind}}, *visible(self.state.committed, self.state.replaced)]

    def find(
        self, query: Any, filters: Filters, offset: int, limit: int, languages: Sequence[str], exact: Any
    ) -> Found:
        wanted = offset + limit
        matching = to_dsl(query)
        restricted = self._visible("passage") + filters_dsl(filters)
        tiers = [restricted]
        if exact is not None:
            exact_dsl = to_dsl(exact, named=False)  # its words are the query's: not marked twice
            tiers = [[*restricted, exact_dsl], [*restricted, {"bool": {"must_not": [exact_dsl]}}]]
        top: list[tuple[dict[str, Any], float]] = []
        counts = []
        ranked_tiers = self._tiers(matching, tiers, languages, wanted)
        for groups in ranked_tiers:
            counts.append(sum(total for total, _ in groups))
            lists = [ranked for total, ranked in groups if total] or [[]]
            if len(top) < wanted:
                top += lists[0] if len(lists) == 1 else merge_by_language(lists, wanted - len(top))
        hits = top[offset:wanted]
        self._read_records({hit["_source"]["doc_id"] for hit, _ in hits})
        found = tuple((score, fields_of(hit["_source"]), frozenset(self._terms(hit))) for hit, score in hits)
        return Found(sum(counts), counts[0] if exact is not None else sum(counts), found)

    def _tiers(
        self, matching: dict[str, Any], tiers: list[list[dict[str, Any]]], languages: Sequence[str], size: int
    ) -> list[list[tuple[int, list[tuple[dict[str, Any], float]]]]]:
        """For each tier, (total, best hits) of each preferred language (or of the tier as a
        whole, without them): in one round trip when the hits fit the result window."""
        restrictions = [[[*tier, {"term": {"lang": lang}}] for lang in languages] or [tier] for tier in tiers]
        if size > WINDOW:
            found = [[self._ranked(matching, r, size) for r in groups] for groups in restrictions]
        else:
            bodies = [self._body(matching, r) | {"size": size} for groups in restrictions for r in groups]
            lines: list[dict[str, Any]] = []
            for body in bodies:
                lines += [{"index": self.state.index, "search_type": self._search_type()}, body]
            answers = iter(self._call(self.client.msearch, body=lines)["responses"])
            found = []
            for groups in restrictions:
                tier_found = []
                for _ in groups:
                    answer = next(answers)
                    if "error" in answer:
                        raise unreachable(self.location, RuntimeError(str(answer["error"].get("reason", answer["error"]))))
                    tier_found.append((answer["hits"]["total"]["value"], [(hit, float(hit["sort"][0])) for hit in answer["hits"]["hits"]]))
                found.append(tier_found)
        return found

    def _body(self, matching: dict[str, Any], restrict: list[dict[str, Any]]) -> dict[str, Any]:
        return {"query": {"bool": {"must": [matching], "filter": restrict}}, "sort": ORDER, "track_total_hits": True}

    def _search_type(self) -> str:
        # the same idf on every shard, so that scores (and ties) do not depend on the sharding
        return "dfs_query_then_fetch" if self.state.shards > 1 else "query_then_fetch"

    def _ranked(self, matching: dict[str, Any], restrict: list[dict[str, Any]], size: int) -> tuple[int, list[tuple[dict[str, Any], float]]]:
        body = self._body(matching, restrict)
        hits: list[tuple[dict[str, Any], float]] = []
        total = 0
        for page_total, page in self._pages(body, size):
            total = page_total
            hits += [(hit, float(hit["sort"][0])) for hit in page]
        return total, hits

    def _pages(self, body: dict[str, Any], size: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """The first ``size`` hits of ``body`` (sorted), a page at a time, with its total."""
        if size <= WINDOW:
            answer = self._search({**body, "size": size})
            yield answer["hits"]["total"]["value"], answer["hits"]["hits"]
            return
        pit = self._call(self.client.create_pit, index=self.state.index, keep_alive="2m")["pit_id"]
        try:
            after: list[Any] | None = None
            taken = 0
            while taken < size:
                page_body = {**body, "size": min(PAGE, size - taken), "pit": {"id": pit, "keep_alive": "2m"}}
                if after is not None:
                    page_body["search_after"] = after
                answer = self._call(self.client.search, body=page_body, search_type=self._search_type())
                page = answer["hits"]["hits"]
                yield answer["hits"]["total"]["value"], page
                if len(page) < page_body["size"]:
                    break
                taken += len(page)
                after = page[-1]["sort"]
        finally:
            try:
                self.client.delete_pit(body={"pit_id": [pit]})
            except Exception:
                pass  # it ends by itself after its keep_alive

    def _search(self, body: dict[str, Any]) -> Any:
        return self._call(self.client.search, index=self.state.index, body=body, search_type=self._search_type())

    def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except PolicySearchError:
            raise
        except Exception as exc:
            if getattr(exc, "status_code", None) == 404:
                raise IndexMissing(f"no index at {self.location.url}: it was removed") from None
            if getattr(exc, "status_code", None) == 400 and "too_many" in str(exc):
                raise QueryError(
                    "a prefix of the query stands for more words in the index than OpenSearch takes in one query "
                    "(indices.query.bool.max_clause_count): give more letters before the *"
                ) from None
            raise unreachable(self.location, exc) from None

    def _terms(self, hit: dict[str, Any]) -> set[tuple[str, str]]:
        terms, prefixes = named_terms(hit.get("matched_queries", ()))
        if prefixes:
            from policy_search.analysis.analyzers import analyzer_for

            stored = hit["_source"]["stored"]
            for field_name, prefix in prefixes:
                kind, _, lang = field_name.partition("_")
                text = {"body": stored.get("text", ""), "section": stored.get("section", "")}.get(kind, "")
                if lang in ("han", "han2") or not text:
                    continue
                words = {t.text for t in analyzer_for(lang, self.dictionary)(text)}
                terms.update((field_name, w) for w in words if w.startswith(prefix))
        return terms

    def passages(self, doc_id: str, passage: int | None = None) -> list[dict[str, Any]]:
        restrict = [*self._visible("passage"), {"term": {"doc_id": doc_id}}]
        if passage is not None:
            restrict.append({"term": {"passage": passage}})
        body = {"query": {"bool": {"filter": restrict}}, "sort": [{"passage": "asc"}, {"seq": "asc"}], "track_total_hits": True}
        return [fields_of(hit["_source"]) for _, page in self._all(body) for hit in page]

    def _all(self, body: dict[str, Any]) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        first = self._search({**body, "size": 0})
        yield from self._pages(body, first["hits"]["total"]["value"])

    def record(self, doc_id: str) -> DocumentInfo:
        if doc_id not in self.known_records:
            self._read_records({doc_id})
        if doc_id not in self.known_records:
            raise IndexMissing(f"{self.location.url}: no document {doc_id!r}")
        return self.known_records[doc_id]

    def _read_records(self, doc_ids: set[str]) -> None:
        missing = sorted(doc_ids - set(self.known_records))
        if not missing:
            return
        body = {"query": {"bool": {"filter": [*self._visible("doc"), {"terms": {"doc_id": missing}}]}}, "sort": [{"seq": "asc"}]}
        for _, page in self._pages(body, len(missing)):
            for hit in page:
                record = record_of(hit["_source"])
                self.known_records[record.doc_id] = record

    def records(self) -> dict[str, DocumentInfo]:
        body = {"query": {"bool": {"filter": self._visible("doc")}}, "sort": [{"seq": "asc"}], "track_total_hits": True}
        found = {}
        for _, page in self._all(body):
            for hit in page:
                record = record_of(hit["_source"])
                found[record.doc_id] = record
        self.known_records.update(found)
        return found

    def count(self) -> int:
        answer = self._call(self.client.count, index=self.state.index, body={"query": {"bool": {"filter": self._visible("passage")}}})
        return int(answer["count"])
