"""A search process imports what a search needs: not the ingest, the readers, the writer or
the saved query files, nor the modules Whoosh, jieba and NumPy load for nothing
(lean_imports.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NOT_FOR_A_SEARCH = (
    "policy_search.indexing.ingest",
    "policy_search.documents.document",
    "policy_search.documents.structure",
    "policy_search.documents.readers",
    "policy_search.backends.whoosh.posting_pool",
    "policy_search.output.saved",
    "tomllib",
    "pdfplumber",
    "whoosh.writing",
    "urllib.request",
    "asyncio",
    "pkg_resources",
    "whoosh.lang.morph_en",
    "jieba.finalseg",
    "numpy._typing",
)

_SEARCH_THEN_LIST = """
import json, sys
from click.testing import CliRunner
from policy_search.cli import cli
result = CliRunner().invoke(cli, ["search", sys.argv[1], "--index", sys.argv[2], "--limit", "3", "--format", "jsonl"])
modules = sorted(sys.modules)
import urllib.request  # afterwards, the real modules
import whoosh.lang.morph_en, jieba.finalseg, numpy._typing
import numpy as np
print(json.dumps({"output": result.output, "exit": result.exit_code, "modules": modules,
                  "real": [hasattr(urllib.request, "Request"), hasattr(whoosh.lang.morph_en, "rules"),
                           hasattr(jieba.finalseg, "viterbi"), hasattr(numpy._typing, "ArrayLike"),
                           np.linalg.svd(np.eye(2)).S.tolist() == [1.0, 1.0]]}))
"""


@pytest.mark.parametrize("query", ["innovation", "高质量发展"])
def test_a_search_process_imports_only_what_a_search_needs(corpus_index: Path, query: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _SEARCH_THEN_LIST, query, str(corpus_index)],
        capture_output=True, text=True, check=True,
    )
    outcome = json.loads(run.stdout.splitlines()[-1])
    assert outcome["exit"] == 0
    hits = [json.loads(line) for line in outcome["output"].splitlines()]
    assert len(hits) == 3 and all(hit["page"] or hit["section"] for hit in hits)
    loaded = set(outcome["modules"])
    assert {name for name in NOT_FOR_A_SEARCH if name in loaded or any(m.startswith(name + ".") for m in loaded)} == set()
    assert outcome["real"] == [True] * 5, "each module is the real one once the import it stood in for is done"


def test_a_search_process_ends_at_once_with_its_whole_output_and_its_status(corpus_index: Path) -> None:
    """search, docs and show end without Python's teardown (cli.main): what they print must all
    be there, through a pipe, with the exit status the contract gives."""

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "policy_search", *args, "--index", str(corpus_index)],
                              capture_output=True, text=True, check=False)

    everything = command("search", "development", "--limit", "1000", "--format", "json")
    assert everything.returncode == 0
    found = json.loads(everything.stdout)
    assert found["total"] > 50 and len(found["hits"]) == found["total"]
    assert found["hits"][-1]["doc_id"] and found["hits"][-1]["text"]
    cited = command("search", "区域协调发展", "--limit", "3", "--format", "csv")
    assert cited.returncode == 0 and len(cited.stdout.splitlines()) == 4  # a header and 3 rows
    assert command("search", "xyzzyqq").returncode == 1
    malformed = command("search", '"unbalanced')
    assert malformed.returncode == 2 and malformed.stderr.startswith("Error: unbalanced quote")
    listed = command("docs", "--format", "jsonl")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 30
    shown = command("show", "seeds/003_0eb8bb22131a727f", "--passage", "17")
    assert shown.returncode == 0 and "coordinated regional development" in shown.stdout
