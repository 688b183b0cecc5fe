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
