"""Fixtures: the bundled corpus, a session-wide index built from it, an isolated environment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from policy_search import ingest, open_index
from policy_search.documents.document import parse_document

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


# jieba's frequencies for queries (lexicon.py) are written here, not in the user's cache
os.environ["POLICY_SEARCH_CACHE"] = tempfile.mkdtemp(prefix="policy-search-cache-")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLICY_SEARCH_INDEX", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus, ingested once for all query tests."""
    path = tmp_path_factory.mktemp("index") / "default"
    report = ingest([CORPUS], path, jobs=2)
    assert not report.failed
    return path


@pytest.fixture(scope="session")
def index(corpus_index: Path):  # type: ignore[no-untyped-def]
    return open_index(corpus_index)


def parse(relative: str):  # type: ignore[no-untyped-def]
    """A document of the bundled corpus, parsed."""
    return parse_document(CORPUS / relative, CORPUS)


def passage_with(doc, fragment: str):  # type: ignore[no-untyped-def]
    """The passage of ``doc`` whose text contains ``fragment``."""
    found = [p for p in doc.passages if fragment in p.text]
    assert found, f"no passage of {doc.doc_id} contains {fragment!r}"
    return found[0]


def _opensearch_or_skip() -> None:
    """OpenSearch tests run wherever Java and Maven are (CI sets POLICY_SEARCH_REQUIRE_OPENSEARCH,
    so that there a missing tool fails them instead)."""
    import shutil

    if shutil.which("java") and shutil.which("mvn"):
        return
    if os.environ.get("POLICY_SEARCH_REQUIRE_OPENSEARCH"):
        pytest.fail("the OpenSearch tests need Java 17 and Maven")
    pytest.skip("the OpenSearch tests need Java 17 and Maven")


@pytest.fixture(scope="session")
def opensearch_node(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One real OpenSearch 2.19 node on 127.0.0.1 for the whole session (tests/opensearch/node.py)."""
    _opensearch_or_skip()
    from .opensearch.node import start_single

    node = start_single(tmp_path_factory.mktemp("opensearch"))
    yield node
    node.stop()


@pytest.fixture(scope="session")
def opensearch_cluster(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three nodes, each a process of its own, as one cluster."""
    _opensearch_or_skip()
    from .opensearch.node import start_cluster

    nodes = start_cluster(tmp_path_factory.mktemp("opensearch-cluster"))
    yield nodes
    for node in nodes:
        node.stop()


@pytest.fixture(scope="session")
def opensearch_corpus(opensearch_node) -> str:  # type: ignore[no-untyped-def]
    """The bundled corpus, ingested once into the node: its location."""
    location = f"opensearch://127.0.0.1:{opensearch_node.http_port}/corpus"
    report = ingest([CORPUS], location, jobs=2)
    assert not report.failed
    return location
