"""Writing an OpenSearch index so that readers see an ingest all at once or not at all.

Every ingest is a generation. Its passages and records are written with ``gen`` = the last
committed generation + 1, which readers do not see (they filter ``gen <= committed``). The
commit is one write of the meta document: ``committed`` becomes the new generation, and
``replaced`` names the documents it changed or removed, whose passages of older generations
readers no longer see. Those are then deleted; an ingest that was interrupted leaves only
passages nobody sees, and the next ingest deletes them before it writes.

A rebuild writes a new concrete index and moves the alias NAME to it in one request.

Batches go through ``_bulk``; items refused because the cluster is busy (429) or a shard has
no primary for the moment (a node left: 503) are sent again with a growing pause, and since
every passage's id is fixed by its document, generation and number, a batch sent twice
overwrites, never duplicates.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from policy_search.analysis.analyzers import dictionary_digest
from policy_search.backends import PassageFields
from policy_search.backends.opensearch.connection import Location, unreachable
from policy_search.backends.opensearch.mapping import (
    DICTIONARY_ID,
    FORMAT_VERSION,
    LOCKS_INDEX,
    META_ID,
    documents_of,
    index_body,
)
from policy_search.errors import IndexLocked, IndexUnreachable, PolicySearchError
from policy_search.model import Document

BATCH_ACTIONS = 1000  # actions a _bulk request (POLICY_SEARCH_OPENSEARCH_BATCH to try others)
DELETE_PAGE = 2000
BATCH_BYTES = 8 * 1024 * 1024
RETRIES = 10
_RETRY_STATUS = {429, 502, 503, 504}
LOCK_SECONDS = 120.0  # a lock not renewed for this long was left by a writer that died


def call(location: Location, method: Any, *args: Any, **kwargs: Any) -> Any:
    """A request, with its failure as one line."""
    try:
        return method(*args, **kwargs)
    except PolicySearchError:
        raise
    except Exception as exc:
        raise unreachable(location, exc) from None


class OpenSearchWriter:
    def __init__(
        self, client: Any, location: Location, fresh: bool, dictionary: tuple[str, ...], ocr: bool,
        shards: int, replicas: int, lock: IndexLock,
    ) -> None:
        self.client = client
        self.location = location
        self.fresh = fresh
        self.lock = lock
        self.replaced: set[str] = set()
        self.settings = {"format": FORMAT_VERSION, "dictionary": dictionary_digest(dictionary), "ocr": ocr}
        self._batch: list[str] = []
        self.batch_actions = _batch_actions()
        self._batch_bytes = 0
        if fresh:
            _remove_unfinished(client, location)
            self.index = f"{location.name}-{time.time_ns()}"
            body = index_body(shards, replicas)
            body["settings"]["index"]["refresh_interval"] = "-1"  # nobody reads it before the swap
            call(location, client.indices.create, index=self.index, body=body)
            call(location, client.index, index=self.index, id=DICTIONARY_ID, body={"kind": "dictionary", "stored": {"words": list(dictionary)}})
            self.committed, self.next_seq = 0, 0
        else:
            meta = read_meta(client, location)
            self.index = meta["_index"]
            stored = meta["_source"]["stored"]
            self.committed, self.next_seq = int(stored["committed"]), int(stored["next_seq"])
            self.settings = {**stored.get("settings", {}), "ocr": ocr}
            self._clean(stored.get("replaced", ()))
        self.gen = self.committed + 1

    def _clean(self, replaced: Any) -> None:
        """Delete what no reader sees: passages of an ingest that never committed, and the old
        passages of documents the last commit replaced."""
        hidden: list[dict[str, Any]] = [{"range": {"gen": {"gt": self.committed}}}]
        if replaced:
            hidden.append({"bool": {"filter": [{"terms": {"doc_id": list(replaced)}}, {"range": {"gen": {"lt": self.committed}}}]}})
        query = {"bool": {"should": hidden, "minimum_should_match": 1, "must_not": [{"ids": {"values": [META_ID, DICTIONARY_ID]}}]}}
        self._delete_matching(query)

    def _delete_matching(self, query: dict[str, Any]) -> None:
        """Delete what ``query`` matches, a page of ids at a time (by search and ``_bulk``, not
        ``_delete_by_query``, which lives in a module a cluster need not have)."""
        call(self.location, self.client.indices.refresh, index=self.index)
        body: dict[str, Any] = {"query": query, "size": DELETE_PAGE, "sort": [{"seq": "asc"}], "_source": False}
        while True:
            found = call(self.location, self.client.search, index=self.index, body=body)["hits"]["hits"]
            if not found:
                break
            lines = [json.dumps({"delete": {"_index": self.index, "_id": hit["_id"]}}) + "\n" for hit in found]
            self._send(lines, ok={404})
            body["search_after"] = found[-1]["sort"]
        call(self.location, self.client.indices.refresh, index=self.index)

    def add(self, doc: Document, analysed: PassageFields, root: Path) -> None:
        for doc_id, source in documents_of(doc, analysed, root, self.gen, self.next_seq):
            action = json.dumps({"index": {"_index": self.index, "_id": doc_id}}) + "\n" + json.dumps(source, ensure_ascii=False) + "\n"
            self._batch.append(action)
            self._batch_bytes += len(action)
            if len(self._batch) >= self.batch_actions or self._batch_bytes >= BATCH_BYTES:
                self._flush()
        self.next_seq += len(doc.passages) + 1

    def delete(self, doc_id: str) -> None:
        self.replaced.add(doc_id)

    def _flush(self) -> None:
        pending, self._batch, self._batch_bytes = self._batch, [], 0
        self._send(pending)

    def _send(self, pending: list[str], ok: frozenset[int] | set[int] = frozenset()) -> None:
        """Bulk actions, those refused for a while sent again (``ok``: statuses that are fine)."""
        pause = 0.5
        for _ in range(RETRIES):
            if not pending:
                break
            answer = call(self.location, self.client.bulk, body="".join(pending), request_timeout=120)
            again = []
            for action, item in zip(pending, answer["items"], strict=True):
                result = next(iter(item.values()))
                status = int(result.get("status", 500))
                if status < 300 or status in ok:
                    continue
                if status not in _RETRY_STATUS:
                    reason = (result.get("error") or {}).get("reason", "") if isinstance(result.get("error"), dict) else result.get("error")
                    raise IndexUnreachable(f"OpenSearch at {self.location.url} refused a passage ({status}: {reason}); the index is as it was")
                again.append(action)
            pending = again
            if pending:
                time.sleep(pause)
                pause = min(pause * 2, 30.0)
            self.lock.renew()
        if pending:
            raise IndexUnreachable(
                f"OpenSearch at {self.location.url} stayed busy or without a primary shard for {len(pending)} passages; "
                "the index is as it was: run the ingest again"
            )

    def commit(self) -> None:
        self._flush()
        client, location = self.client, self.location
        call(location, client.indices.refresh, index=self.index)
        meta = {
            "kind": "meta",
            "stored": {
                "committed": self.gen,
                "replaced": sorted(self.replaced),
                "next_seq": self.next_seq,
                "settings": self.settings,
            },
        }
        # the commit: one document, written and made visible at once
        call(location, client.index, index=self.index, id=META_ID, body=meta, refresh="true")
        if self.fresh:
            call(location, client.indices.put_settings, index=self.index, body={"index": {"refresh_interval": None}})
            old = _aliased(client, location)
            actions: list[dict[str, Any]] = [{"add": {"index": self.index, "alias": location.name}}]
            actions += [{"remove": {"index": name, "alias": location.name}} for name in old]
            call(location, client.indices.update_aliases, body={"actions": actions})
            for name in old:
                call(location, client.indices.delete, index=name, ignore_unavailable=True)
        elif self.replaced:
            self.committed = self.gen
            self._clean(sorted(self.replaced))

    def cancel(self) -> None:
        try:
            if self.fresh:
                self.client.indices.delete(index=self.index, ignore_unavailable=True)
            else:
                self._clean(())
        except Exception:
            pass  # what it wrote is not seen, and the next ingest deletes it


def _batch_actions() -> int:
    value = os.environ.get("POLICY_SEARCH_OPENSEARCH_BATCH", "").strip()
    if not value:
        return BATCH_ACTIONS
    if not value.isdigit() or int(value) < 1:
        raise IndexUnreachable(f"POLICY_SEARCH_OPENSEARCH_BATCH: {value!r} is not a whole number of at least 1")
    return int(value)


def read_meta(client: Any, location: Location) -> dict[str, Any]:
    """The meta document, as of now (a realtime get, through the alias)."""
    from policy_search.errors import IndexMissing

    try:
        return dict(client.get(index=location.name, id=META_ID, realtime=True))
    except Exception as exc:
        if getattr(exc, "status_code", None) == 404:
            raise IndexMissing(
                f"no index at {location.url}: build one with `policy-search ingest PATH --index {location.url}`"
            ) from None
        raise unreachable(location, exc) from None


def _remove_unfinished(client: Any, location: Location) -> None:
    """Delete the indices of rebuilds that never finished (their process was killed before it
    could clean up): NAME-<digits> behind no alias. Only a writer holding the lock calls this."""
    found = call(location, client.indices.get_alias, index=f"{location.name}-*", ignore_unavailable=True, allow_no_indices=True)
    for name, info in found.items():
        suffix = name[len(location.name) + 1 :]
        if not (suffix.isdigit() and len(suffix) >= 18) or info.get("aliases"):
            continue
        mapping = call(location, client.indices.get_mapping, index=name)[name]["mappings"]
        if mapping.get("_meta", {}).get("made_by") == "policy-search":  # never an index of someone else's
            call(location, client.indices.delete, index=name, ignore_unavailable=True)


def _aliased(client: Any, location: Location) -> list[str]:
    """The concrete indices behind the alias NAME (none before the first ingest)."""
    if not call(location, client.indices.exists_alias, name=location.name):
        if call(location, client.indices.exists, index=location.name):
            raise IndexUnreachable(
                f"{location.url}: {location.name!r} is an index policy-search did not make (it uses an alias of that name); "
                "choose another name"
            )
        return []
    return sorted(call(location, client.indices.get_alias, name=location.name))


class IndexLock:
    """One writer at a time, for every machine: a document in the locks index, created only if
    absent, renewed as the ingest goes on; one not renewed for LOCK_SECONDS is taken over."""

    def __init__(self, client: Any, location: Location, timeout: float) -> None:
        self.client = client
        self.location = location
        self.timeout = timeout
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{time.time_ns()}"
        self._renewed = 0.0

    def __enter__(self) -> IndexLock:
        from opensearchpy.exceptions import ConflictError, RequestError

        try:
            self.client.indices.create(index=LOCKS_INDEX, body={"settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1"}, "mappings": {"dynamic": False}})
        except RequestError:
            pass  # made already (resource_already_exists_exception)
        except Exception as exc:
            raise unreachable(self.location, exc) from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self.client.index(index=LOCKS_INDEX, id=self.location.name, body=self._body(), op_type="create", refresh="true")
                self._renewed = time.monotonic()
                return self
            except ConflictError:
                self._take_if_stale()
            except Exception as exc:
                raise unreachable(self.location, exc) from None
            if time.monotonic() >= deadline:
                raise IndexLocked(
                    f"index {self.location.url} is being written by another process; gave up after {self.timeout:g} s "
                    "(try again when it has finished, or raise --lock-timeout)"
                )
            time.sleep(0.2)

    def _body(self) -> dict[str, Any]:
        return {"owner": self.owner, "expires": time.time() + LOCK_SECONDS}

    def _take_if_stale(self) -> None:
        try:
            held = self.client.get(index=LOCKS_INDEX, id=self.location.name)
        except Exception:
            return  # released meanwhile: try again
        if held["_source"].get("expires", 0) < time.time():
            try:
                self.client.delete(index=LOCKS_INDEX, id=self.location.name, if_seq_no=held["_seq_no"], if_primary_term=held["_primary_term"], refresh="true")
            except Exception:
                pass  # another writer took it first

    def renew(self) -> None:
        if time.monotonic() - self._renewed < LOCK_SECONDS / 4:
            return
        call(self.location, self.client.index, index=LOCKS_INDEX, id=self.location.name, body=self._body())
        self._renewed = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        try:
            held = self.client.get(index=LOCKS_INDEX, id=self.location.name)
            if held["_source"].get("owner") == self.owner:
                self.client.delete(index=LOCKS_INDEX, id=self.location.name, if_seq_no=held["_seq_no"], if_primary_term=held["_primary_term"], refresh="true")
        except Exception:
            pass  # it expires by itself
