"""An index on an OpenSearch cluster: ``opensearch://HOST:PORT[,HOST:PORT...]/NAME``.

NAME is an alias of the concrete index that holds the passages, their documents' records, the
dictionary the Chinese was segmented with, and a meta document (the last committed ingest,
the settings). What each file read as is cached on this machine, as for a folder index.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from policy_search.backends import Writer
from policy_search.backends.opensearch.connection import Location, check_server, connect, parse_location, unreachable
from policy_search.backends.opensearch.mapping import DICTIONARY_ID, FORMAT_VERSION
from policy_search.backends.opensearch.searcher import Committed, OpenSearchSearcher
from policy_search.backends.opensearch.writer import IndexLock, OpenSearchWriter, read_meta
from policy_search.errors import IndexMissing


class OpenSearchBackend:
    def __init__(self, location: Location) -> None:
        self.where = location
        self.client = connect(location)
        check_server(self.client, location)
        self._state: OpenSearchSearcher | None = None
        self._lock: IndexLock | None = None

    @classmethod
    def from_url(cls, url: str) -> OpenSearchBackend:
        return cls(parse_location(url))

    @property
    def location(self) -> str:
        return self.where.url

    def exists(self) -> bool:
        try:
            read_meta(self.client, self.where)
        except IndexMissing:
            return False
        return True

    def searcher(self) -> OpenSearchSearcher:
        meta = read_meta(self.client, self.where)
        stored = meta["_source"]["stored"]
        found = stored.get("settings", {}).get("format")
        if found != FORMAT_VERSION:
            raise IndexMissing(
                f"index at {self.location} has format {found}, this version reads {FORMAT_VERSION}: "
                "rebuild it with `policy-search ingest --rebuild`"
            )
        state = self._state
        index, committed, replaced = meta["_index"], int(stored["committed"]), tuple(stored.get("replaced", ()))
        if state is not None and (state.state.index, state.state.committed) == (index, committed):
            return state
        if state is not None and state.state.index == index:
            dictionary, shards = state.state.dictionary, state.state.shards
        else:
            dictionary, shards = self._dictionary(index), self._shards(index)
        self._state = OpenSearchSearcher(self.client, self.where, Committed(index, committed, replaced, dictionary, shards))
        return self._state

    def _shards(self, index: str) -> int:
        try:
            found = self.client.indices.get_settings(index=index, name="index.number_of_shards")
        except Exception as exc:
            raise unreachable(self.where, exc) from None
        return int(found[index]["settings"]["index"]["number_of_shards"])

    def _dictionary(self, index: str) -> tuple[str, ...]:
        try:
            found = self.client.get(index=index, id=DICTIONARY_ID)
        except Exception as exc:
            raise unreachable(self.where, exc) from None
        return tuple(found["_source"]["stored"]["words"])

    @contextmanager
    def writing(self, timeout: float) -> Iterator[None]:
        with IndexLock(self.client, self.where, timeout) as lock:
            self._lock = lock
            try:
                yield
            finally:
                self._lock = None

    def settings(self) -> dict[str, Any]:
        return dict(read_meta(self.client, self.where)["_source"]["stored"].get("settings", {}))

    def set_settings(self, settings: dict[str, Any]) -> None:
        meta = read_meta(self.client, self.where)
        try:
            self.client.update(
                index=meta["_index"], id=meta["_id"], body={"doc": {"stored": {"settings": settings}}},
                if_seq_no=meta["_seq_no"], if_primary_term=meta["_primary_term"], refresh="true",
            )
        except Exception as exc:
            raise unreachable(self.where, exc) from None

    def stored_dictionary(self) -> tuple[str, ...]:
        return self.searcher().dictionary

    def writer(self, fresh: bool, dictionary: tuple[str, ...], ocr: bool) -> Writer:
        if self._lock is None:
            raise RuntimeError("writer() outside writing()")
        shards, replicas = self._shape()
        return OpenSearchWriter(self.client, self.where, fresh, dictionary, ocr, shards, replicas, self._lock)

    def _shape(self) -> tuple[int, int]:
        """Shards and replicas of a new index: POLICY_SEARCH_OPENSEARCH_SHARDS and _REPLICAS, or
        one shard, and a replica when the cluster has a second data node to hold it."""
        try:
            nodes = int(self.client.cluster.health()["number_of_data_nodes"])
        except Exception as exc:
            raise unreachable(self.where, exc) from None
        shards = _count("POLICY_SEARCH_OPENSEARCH_SHARDS", 1, minimum=1)
        replicas = _count("POLICY_SEARCH_OPENSEARCH_REPLICAS", 1 if nodes > 1 else 0, minimum=0)
        return shards, replicas

    def passage_count(self) -> int:
        return self.searcher().count()

    def cache_dir(self) -> Path:
        """In the user's cache folder (analysis.lexicon.cache_folder), by cluster and index."""
        from policy_search.analysis.lexicon import cache_folder

        host, port = self.where.hosts[0]
        return cache_folder() / "opensearch" / f"{host}-{port}-{self.where.name}"


def _count(variable: str, default: int, minimum: int) -> int:
    from policy_search.backends.opensearch.connection import BadLocation

    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise BadLocation(f"{variable}: {value!r} is not a whole number of at least {minimum}")
    return int(value)
