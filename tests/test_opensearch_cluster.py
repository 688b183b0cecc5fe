"""The OpenSearch backend on a cluster of three real nodes (a process each): an index of 3
shards and 1 replica keeps its passages when a node is killed mid-ingest and mid-run, searches
answer while the cluster is yellow, and once the node is back every count is exact."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from policy_search import ingest, open_index
from policy_search.errors import IndexUnreachable
from policy_search.output.saved import parse_queries, run_queries

from .conftest import CORPUS
from .opensearch.node import health, wait_for

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.cluster]

JUDGED = tomllib.loads((Path(__file__).parent / "eval" / "judgements.toml").read_text(encoding="utf-8"))["query"]
QUERIES = parse_queries({"defaults": {"limit": 2000}, "query": [{"name": q["id"], "q": q["q"]} for q in JUDGED]}, Path("judged.toml"))


def _counts(index) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {q.name: index.search(q.q, limit=0).total for q in QUERIES}


def _rows(index) -> tuple[set[tuple[object, ...]], list[str]]:  # type: ignore[no-untyped-def]
    rows: set[tuple[object, ...]] = set()
    report = run_queries(index, QUERIES, lambda row: rows.add((row["query_name"], row["doc_id"], row["passage"])))
    return rows, [o.error for o in report.outcomes if o.error]


def test_a_node_killed_mid_ingest_and_mid_run(opensearch_cluster, index, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    nodes = opensearch_cluster
    hosts = ",".join(f"127.0.0.1:{n.http_port}" for n in nodes)
    location = f"opensearch://{hosts}/cluster"
    monkeypatch.setenv("POLICY_SEARCH_OPENSEARCH_SHARDS", "3")
    monkeypatch.setenv("POLICY_SEARCH_OPENSEARCH_REPLICAS", "1")
    expected_rows, errors = _rows(index)
    assert not errors
    expected = _counts(index)
    passages = sum(1 for d in index.documents() for _ in index.passages(d.doc_id))

    # mid-ingest: the second node dies after a third of the files are written
    victim = nodes[1]
    written = 0

    def progress(path: str) -> None:
        nonlocal written
        written += 1
        if written == 10:
            victim.kill()

    try:
        report = ingest([CORPUS], location, jobs=2, progress=progress)
    except IndexUnreachable as exc:  # allowed: one line, and the next ingest resumes
        assert "\n" not in str(exc)
        report = ingest([CORPUS], location, jobs=2)
    assert victim.process is not None and victim.process.poll() is not None
    assert report.passages == passages
    assert not report.failed
    # searches answer while a node is missing (yellow, or green once its replicas are made again)
    assert health(nodes[0].url)["status"] in ("yellow", "green")
    theirs = open_index(location)
    assert _counts(theirs) == expected
    again = ingest([CORPUS], location, jobs=2)
    assert (again.new, again.changed, again.unchanged) == (0, 0, len(index.documents()))

    # the node comes back: every count exact, no passage twice
    victim.start(victim_jars())
    wait_for(nodes, "green", 3)
    assert _counts(theirs) == expected
    keys = [(h.doc_id, h.passage) for d in theirs.documents() for h in theirs.passages(d.doc_id)]
    assert len(keys) == len(set(keys)) == passages

    # mid-run: the third node dies after the fifth query; every query still answers in full
    killed = nodes[2]

    def kill_after_fifth(position: int, outcome: object, rows: int) -> None:
        if position == 5:
            killed.kill()

    rows: set[tuple[object, ...]] = set()
    report_run = run_queries(theirs, QUERIES, lambda row: rows.add((row["query_name"], row["doc_id"], row["passage"])), progress=kill_after_fifth)
    assert killed.process is not None and killed.process.poll() is not None
    assert [o.error for o in report_run.outcomes if o.error] == []
    assert rows == expected_rows
    killed.start(victim_jars())
    wait_for(nodes, "green", 3)
    assert _counts(theirs) == expected
    assert theirs.search("区域协调发展").total == index.search("区域协调发展").total


def victim_jars() -> Path:
    from .opensearch.node import jars_dir

    return jars_dir()
