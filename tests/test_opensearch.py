"""The OpenSearch backend against a real OpenSearch 2.19 node: the bundled corpus gives the same
passages, totals, citations and document lists as the Whoosh backend; ingest is incremental and
all-or-nothing; faults are one line."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy_search import ingest, open_index
from policy_search.cli import cli
from policy_search.errors import IndexMissing, IndexUnreachable

from .conftest import CORPUS, ROOT
from .test_ranking import CASES

sys.path.insert(0, str(ROOT / "scripts"))
import audit  # noqa: E402

pytestmark = pytest.mark.server

#: passages the two backends order differently must be within this much of each other by the
#: Whoosh backend's score (their lengths are kept to a byte by both, differently rounded)
TIE = 0.05


def _search(index, query: str, filters: dict[str, str], limit: int):  # type: ignore[no-untyped-def]
    return index.search(query, limit=limit, snippets=False, **filters)


@pytest.mark.parametrize(("query", "filters"), CASES, ids=[f"{q} {f}" if f else q for q, f in CASES])
def test_the_same_hits_as_the_whoosh_backend(index, opensearch_corpus: str, query: str, filters: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Every judged query, every shape of the query language, with filters: the same total, the
    same exact-first count, the same top ten where Whoosh's scores are not within TIE, and each
    hit cited alike."""
    theirs = open_index(opensearch_corpus)
    ours = _search(index, query, filters, 60)
    found = _search(theirs, query, filters, 10)
    assert (found.total, found.exact) == (ours.total, ours.exact)
    score = {(h.doc_id, h.passage): h.score for h in ours}
    for rank, (hit, expected) in enumerate(zip(found, ours, strict=False), start=1):
        key = (hit.doc_id, hit.passage)
        assert key in score, f"rank {rank}: {key} is not among the Whoosh backend's first 60"
        assert abs(score[key] - expected.score) <= TIE * max(expected.score, 1e-9), f"rank {rank}: {key} for {expected.doc_id, expected.passage}"
    same = {(h.doc_id, h.passage): h for h in ours}
    for hit in found:
        twin = same[(hit.doc_id, hit.passage)]
        assert (hit.citation, hit.section, hit.page, hit.lang, hit.date, hit.text) == (twin.citation, twin.section, twin.page, twin.lang, twin.date, twin.text)


def test_snippets_mark_the_same_words(index, opensearch_corpus: str) -> None:  # type: ignore[no-untyped-def]
    theirs = open_index(opensearch_corpus)
    for query in ("区域协调发展", "coordinated regional development", '"la vente est parfaite"', "develop*", "總統 任期"):
        ours = {(h.doc_id, h.passage): h.snippet for h in index.search(query, limit=30)}
        for hit in theirs.search(query, limit=10):
            if (hit.doc_id, hit.passage) in ours:
                assert hit.snippet == ours[(hit.doc_id, hit.passage)], query


def test_the_recall_audit_finds_every_passage(opensearch_corpus: str) -> None:
    """The matching issue's audit (spans of the corpus's own text, each searched quoted and
    unquoted), on the OpenSearch backend: every passage holding a span is found."""
    result = audit.audit_recall(open_index(opensearch_corpus), spans=360, seed=12)
    for name, kind in result["kinds"].items():  # type: ignore[union-attr]
        assert kind["complete"] == kind["spans"], f"{name}: {kind['misses']}"


def test_docs_and_show_print_alike(corpus_index: Path, opensearch_corpus: str) -> None:
    runner = CliRunner()
    for args in (["docs"], ["docs", "--format", "json"], ["show", "seeds/002_2b698c6a19e47f6b", "--passage", "11"],
                 ["show", "pdf/i1040nr", "--page", "4"], ["show", "code-civil/code-civil-livre-I-titre-V"]):
        whoosh = runner.invoke(cli, [*args, "--index", str(corpus_index)])
        theirs = runner.invoke(cli, [*args, "--index", opensearch_corpus])
        assert whoosh.exit_code == theirs.exit_code == 0, theirs.output
        assert theirs.output == whoosh.output.replace(str(corpus_index), opensearch_corpus)


def test_the_readme_command_gives_the_whoosh_hits(corpus_index: Path, opensearch_corpus: str) -> None:
    runner = CliRunner()
    whoosh = runner.invoke(cli, ["search", "区域协调发展", "--index", str(corpus_index), "--format", "jsonl"])
    theirs = runner.invoke(cli, ["search", "区域协调发展", "--index", opensearch_corpus, "--format", "jsonl"])
    assert theirs.exit_code == 0, theirs.output
    keys = [[(row := json.loads(line))["doc_id"], row["passage"], row["citation"]] for line in theirs.output.splitlines()]
    expected = [[(row := json.loads(line))["doc_id"], row["passage"], row["citation"]] for line in whoosh.output.splitlines()]
    assert sorted(keys) == sorted(expected)


def test_a_deep_export_pages_past_the_result_window(opensearch_node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """More hits than OpenSearch gives by from/size (10,000): paged with a point in time, every
    passage once, in order."""
    from policy_search.backends.opensearch import searcher

    location = f"opensearch://127.0.0.1:{opensearch_node.http_port}/window"
    ingest([CORPUS / "work-reports"], location)
    whoosh = tmp_path / "whoosh"
    ingest([CORPUS / "work-reports"], whoosh)
    ours = open_index(whoosh).search("发展", limit=5000, snippets=False)
    window, page = searcher.WINDOW, searcher.PAGE
    try:
        searcher.WINDOW, searcher.PAGE = 50, 64  # as if the window were small: the same paths
        found = open_index(location).search("发展", limit=5000, snippets=False)
    finally:
        searcher.WINDOW, searcher.PAGE = window, page
    assert found.total == ours.total > 200
    assert len(found.hits) == len(ours.hits)
    assert len({(h.doc_id, h.passage) for h in found}) == len(found.hits)
    assert {(h.doc_id, h.passage) for h in found} == {(h.doc_id, h.passage) for h in ours}


def test_ingest_is_incremental_and_all_or_nothing(opensearch_node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    location = f"opensearch://127.0.0.1:{opensearch_node.http_port}/incremental"
    folder = tmp_path / "docs"
    shutil.copytree(CORPUS / "code-civil", folder)
    first = ingest([folder], location)
    assert first.new == 3
    again = ingest([folder], location)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)
    # a changed file replaces its passages; a removed one takes its own away
    changed, removed = sorted(folder.glob("*.txt"))[:2]
    gone = open_index(location).passages(removed.stem)
    assert gone
    had = len(open_index(location).passages(changed.stem))
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nUn alinéa nouveau sur la zibeline.\n", encoding="utf-8")
    removed.unlink()
    report = ingest([folder], location)
    assert (report.changed, report.removed, report.unchanged) == (1, 1, 1)
    index = open_index(location)
    assert report.passages == first.passages - len(gone) - had + len(index.passages(changed.stem))
    assert index.search("zibeline").total == 1
    assert [d.doc_id for d in index.documents()] == sorted(p.stem for p in folder.glob("*.txt"))
    # an ingest that fails half-way leaves the index as it was, and the next one completes it
    from policy_search.backends.opensearch import writer

    changed.write_text(changed.read_text(encoding="utf-8").replace("zibeline", "martre"), encoding="utf-8")
    shutil.copy(CORPUS / "seeds" / "001_92b6e6f6910890ba.txt", folder / "added.txt")
    real_flush = writer.OpenSearchWriter._flush
    flushes = 0

    def failing_flush(self):  # type: ignore[no-untyped-def]
        nonlocal flushes
        flushes += 1
        real_flush(self)
        raise IndexUnreachable("the cluster went away")

    monkeypatch.setattr(writer.OpenSearchWriter, "_flush", failing_flush)
    monkeypatch.setattr(writer, "BATCH_ACTIONS", 5)
    with pytest.raises(IndexUnreachable):
        ingest([folder], location)
    assert flushes == 1
    assert index.search("zibeline").total == 1 and index.search("martre").total == 0
    assert len(index.documents()) == 2
    assert index.search("coordinated regional development").total == 0
    monkeypatch.undo()
    resumed = ingest([folder], location)
    assert (resumed.new, resumed.changed, resumed.unchanged) == (1, 1, 1)
    assert index.search("martre").total == 1 and index.search("zibeline").total == 0
    assert resumed.passages == sum(len(index.passages(d.doc_id)) for d in index.documents())
    keys = [(h.doc_id, h.passage) for d in index.documents() for h in index.passages(d.doc_id)]
    assert len(keys) == len(set(keys))  # no passage twice


def test_a_rebuild_swaps_the_alias(opensearch_node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    location = f"opensearch://127.0.0.1:{opensearch_node.http_port}/rebuilt"
    ingest([CORPUS / "code-civil"], location)
    index = open_index(location)
    assert index.search("mariage").total > 0
    report = ingest([CORPUS / "seeds"], location, rebuild=True)
    assert report.new == len(list((CORPUS / "seeds").glob("*.txt")))
    assert index.search("mariage", lang="fr").total == 0  # the open index sees the new one
    assert {d.doc_id for d in index.documents()} == {p.stem for p in (CORPUS / "seeds").glob("*.txt")}
    from opensearchpy import OpenSearch

    client = OpenSearch([{"host": "127.0.0.1", "port": opensearch_node.http_port}])
    assert len(client.indices.get_alias(name="rebuilt")) == 1  # the old index is gone
    # a rebuild killed before its end leaves an index behind no alias: the next rebuild removes it
    from policy_search.backends.opensearch.mapping import index_body

    client.indices.create(index="rebuilt-1796358166271449846", body=index_body(1, 0))
    client.indices.create(index="rebuilt-2024")  # not ours: kept
    ingest([CORPUS / "seeds"], location, rebuild=True)
    assert sorted(client.indices.get(index="rebuilt-*")) == sorted([*client.indices.get_alias(name="rebuilt"), "rebuilt-2024"])


def test_faults_are_one_line(opensearch_node) -> None:  # type: ignore[no-untyped-def]
    from .opensearch.node import free_port

    runner = CliRunner()
    closed = runner.invoke(cli, ["search", "发展", "--index", f"opensearch://127.0.0.1:{free_port()}/corpus"])
    assert closed.exit_code == 2
    assert closed.output.startswith("Error: OpenSearch at opensearch://127.0.0.1:") and "cannot connect" in closed.output
    assert len(closed.output.strip().splitlines()) == 1
    missing = runner.invoke(cli, ["search", "发展", "--index", f"opensearch://127.0.0.1:{opensearch_node.http_port}/nothing-here"])
    assert missing.exit_code == 2
    assert "no index at opensearch://" in missing.output and "policy-search ingest" in missing.output
    for url, said in (("opensearch://127.0.0.1:9200/Bad Name", "must be lowercase"), ("opensearch://user:pw@127.0.0.1:9200/x", "credentials"),
                      ("opensearch://127.0.0.1/x", "is not HOST:PORT"), ("elasticsearch://127.0.0.1:9200/x", "an index is a folder or")):
        result = runner.invoke(cli, ["docs", "--index", url])
        assert result.exit_code == 2 and said in result.output, result.output
    with pytest.raises(IndexMissing):
        open_index(f"opensearch://127.0.0.1:{opensearch_node.http_port}/nothing-here")
