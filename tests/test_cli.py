"""The command line: exit statuses, formats, errors, incremental ingest and its safety."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy_search import IndexLocked, ingest, open_index
from policy_search.backends.whoosh.writer import write_lock
from policy_search.cli import cli

from .conftest import CORPUS

SEEDS = CORPUS / "seeds"


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "text"])
def test_search_formats(corpus_index: Path, fmt: str) -> None:
    result = run("search", "Taxkorgan", "--index", str(corpus_index), "--format", fmt)
    assert result.exit_code == 0
    out = result.stdout
    if fmt == "json":
        document = json.loads(out)
        assert document["total"] == 1 and document["hits"][0]["snippet"].count("[[Taxkorgan]]") == 1
    elif fmt == "jsonl":
        hit = json.loads(out.splitlines()[0])
        assert hit["rank"] == 1 and hit["page"] is None and hit["lang"] == "en"
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0][:3] == ["rank", "score", "doc_id"] and rows[0][-1] == "source"
        assert rows[1][2] == "seeds/002_2b698c6a19e47f6b"
    else:
        assert out.startswith("1. Chapter 32 Further Implementing")
        assert "[[Taxkorgan]]" in out and "1-1 of 1 passages" in out


def test_exit_statuses_and_one_line_errors(corpus_index: Path, tmp_path: Path) -> None:
    none = run("search", "zzqqxxnonexistent", "--index", str(corpus_index), "--format", "jsonl")
    assert none.exit_code == 1 and none.stdout == ""
    bad = run("search", '"unbalanced', "--index", str(corpus_index))
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: unbalanced quote") and bad.stderr.count("\n") == 1
    missing = run("search", "water", "--index", str(tmp_path / "nothing"))
    assert missing.exit_code == 2 and "no index at" in missing.stderr and "Traceback" not in missing.stderr
    unknown = run("show", "no/such/doc", "--index", str(corpus_index))
    assert unknown.exit_code == 2 and "no document 'no/such/doc'" in unknown.stderr


def test_search_writes_csv_to_a_file_with_bom(corpus_index: Path, tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    result = run("search", "區域協調發展", "--index", str(corpus_index), "--format", "csv", "--out", str(out), "--bom")
    assert result.exit_code == 0 and result.stdout == ""
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["lang"] == "zh" and "協調發展" in rows[0]["text"]


def test_docs_and_show_by_page(corpus_index: Path) -> None:
    docs = run("docs", "--index", str(corpus_index), "--format", "jsonl")
    records = [json.loads(line) for line in docs.stdout.splitlines()]
    assert len(records) == 30
    french = next(r for r in records if r["doc_id"] == "seeds/000_86f2992c49784acc")
    assert french["lang"] == "fr" and french["pages"] == 56 and french["passages"] == 4
    page = run("show", "seeds/000_86f2992c49784acc", "--index", str(corpus_index), "--page", "56")
    assert page.exit_code == 0 and page.stdout.count("p. 56 (printed 55)") == 4


def test_incremental_ingest(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    index_dir = tmp_path / "index"
    first = run("ingest", str(folder), "--index", str(index_dir), "--jobs", "1")
    assert first.exit_code == 0 and first.stdout.startswith("5 new, 0 changed, 0 unchanged, 0 removed, 0 failed")
    (folder / "003_0eb8bb22131a727f.txt").unlink()
    changed = folder / "002_2b698c6a19e47f6b.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("Taxkorgan", "Tashkurgan"), encoding="utf-8")
    second = run("ingest", str(folder), "--index", str(index_dir))
    assert second.stdout.startswith("0 new, 1 changed, 3 unchanged, 1 removed, 0 failed")
    index = open_index(index_dir)
    assert index.search("Tashkurgan").total == 1 and index.search("Taxkorgan").total == 0
    assert {d.doc_id for d in index.documents()} == {p.stem for p in folder.iterdir()}


def test_unreadable_file_is_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    (folder / "broken.txt").write_bytes(bytes(range(128, 256)) * 40)
    result = run("ingest", str(folder), "--index", str(tmp_path / "index"))
    assert result.exit_code == 1
    assert f"Error: {folder / 'broken.txt'}: cannot tell its text encoding" in result.stderr
    assert result.stdout.startswith("5 new, 0 changed, 0 unchanged, 0 removed, 1 failed")


def test_interrupted_ingest_leaves_the_previous_index(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    index_dir = tmp_path / "index"
    ingest([folder], index_dir)
    (folder / "extra.txt").write_text((CORPUS / "taiwan-laws/en/A0000001.txt").read_text(encoding="utf-8"), encoding="utf-8")

    def interrupt(path: str) -> None:
        raise KeyboardInterrupt

    for rebuild in (False, True):
        with pytest.raises(KeyboardInterrupt):
            ingest([folder], index_dir, rebuild=rebuild, progress=interrupt)
        index = open_index(index_dir)
        assert len(index.documents()) == 5 and index.search("Taxkorgan").total == 1


def test_a_second_writer_waits_then_fails_clearly(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    with write_lock(index_dir, 1.0), pytest.raises(IndexLocked, match="being written by another process"):
        ingest([SEEDS], index_dir, lock_timeout=0.3)


def test_default_index_is_built_on_first_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SEEDS, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    result = run("search", "Taxkorgan", "--format", "jsonl")
    assert result.exit_code == 0 and "Building the default index" in result.stderr
    assert (tmp_path / "indexes" / "default").is_dir()


def test_an_open_index_sees_what_a_later_ingest_adds(tmp_path: Path) -> None:
    # searches share one searcher and cached filter sets; both must follow the index
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "code-civil" / "code-civil-livre-III-titre-VI.txt", corpus)
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir)
    index = open_index(index_dir)
    before = index.search("propriété", lang="fr").total
    assert before > 0 and index.search("mariage", lang="fr").total == 0
    shutil.copy(CORPUS / "code-civil" / "code-civil-livre-I-titre-V.txt", corpus)
    ingest([corpus], index_dir)
    assert index.search("mariage", lang="fr").total > 50
    assert index.search("propriété", lang="fr").total > before


def test_totals_say_how_many_hold_the_chinese_as_typed(corpus_index: Path) -> None:
    text = run("search", "低空经济 起降设施", "--index", str(corpus_index))
    assert text.exit_code == 0
    assert text.stdout.splitlines()[-1] == "1-2 of 2 passages (1 with the Chinese as typed, then 1 with its words apart)"
    document = json.loads(run("search", "低空经济 起降设施", "--index", str(corpus_index), "--format", "json").stdout)
    assert (document["total"], document["exact"]) == (2, 1)
    quoted = json.loads(run("search", '"低空经济" "起降设施"', "--index", str(corpus_index), "--format", "json").stdout)
    assert (quoted["total"], quoted["exact"]) == (1, 1)


def test_a_runaway_prefix_is_one_error_line(corpus_index: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "a*", "--index", str(corpus_index)])
    assert result.exit_code == 2
    assert result.stderr == "Error: prefix a* at column 1 is too short: give at least 2 letters before *\n"
