"""Hostile names and text, and links planted where policy-search writes (issue 14).

Each test takes a real document of the bundled corpus and gives it what an attacker or an
unlucky download would: a title or a file name with terminal escape sequences, a title that a
spreadsheet runs as a formula, a symbolic link where an export or the lock is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from policy_search.cli import cli

from .conftest import CORPUS

SEED = CORPUS / "seeds" / "002_2b698c6a19e47f6b.txt"  # the 14th Five-Year Plan's Chapter 32 (English)
#: set the window title, turn text red, a C1 control sequence introducer, a right-to-left override
HOSTILE_TITLE = "\x1b]0;owned\x07Chapter 32 \x1b[31mRegional\x9b2J Development \u202eTRAP"
CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def _corpus(folder: Path, name: str, first_line: str) -> Path:
    """A copy of the seed document under ``name``, its first line (the title) replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = SEED.read_text(encoding="utf-8").lstrip("\ufeff\n").split("\n")
    (folder / name).write_text("\n".join([first_line, *lines[1:]]), encoding="utf-8")
    return folder


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    _corpus(folder / "docs", "plan\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07.txt", HOSTILE_TITLE)
    _corpus(folder / "docs", "=cmd|' -C calc'!A0.txt", '=HYPERLINK("http://example.com/x","Chapter 32")')
    index = folder / "index"
    code, _, stderr = _invoke("ingest", str(folder / "docs"), "--index", str(index))
    assert code == 0, stderr
    return index


def test_control_characters_in_titles_and_file_names_never_reach_the_terminal(hostile_index: Path) -> None:
    outputs = [
        _invoke("docs", "--index", str(hostile_index)),
        _invoke("search", "Taxkorgan airport", "--index", str(hostile_index)),
        _invoke("show", "plan\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07", "--index", str(hostile_index), "--passage", "1"),
        _invoke("docs", "--index", str(hostile_index), "--format", "json"),
        _invoke("search", "Taxkorgan airport", "--index", str(hostile_index), "--format", "jsonl"),
    ]
    for code, stdout, stderr in outputs:
        assert code == 0, stderr
        assert not any(c in stdout + stderr for c in CONTROLS), stdout
    docs_text = outputs[0][1]
    # shown, not dropped: a reader sees that the title holds an escape sequence
    assert "\\x1b]0;owned\\x07Chapter 32 \\x1b[31mRegional\\x9b2J Development \\u202eTRAP" in docs_text
    assert "plan\\x1b[2J\\x1b]52;c;cm0gLXJmIH4=\\x07" in docs_text
    # JSON escapes them and reads back as the same text
    titles = {d["title"] for d in json.loads(outputs[3][1])}
    assert HOSTILE_TITLE in titles
    hit = json.loads(outputs[4][1].splitlines()[0])
    assert hit["title"] in (HOSTILE_TITLE, '=HYPERLINK("http://example.com/x","Chapter 32")')


def test_a_title_that_is_a_formula_is_neutralised_in_the_docs_csv(hostile_index: Path) -> None:
    code, stdout, stderr = _invoke("docs", "--index", str(hostile_index), "--format", "csv")
    assert code == 0, stderr
    rows = list(csv.DictReader(io.StringIO(stdout)))
    formula = next(r for r in rows if "HYPERLINK" in r["title"])
    assert formula["title"] == "'" + '=HYPERLINK("http://example.com/x","Chapter 32")'
    assert formula["doc_id"] == "'=cmd|' -C calc'!A0"
    # the JSON keeps the text exactly
    code, stdout, _ = _invoke("docs", "--index", str(hostile_index), "--format", "jsonl")
    assert any(json.loads(line)["title"].startswith("=HYPERLINK") for line in stdout.splitlines())


def test_every_sheet_of_a_workbook_is_formula_safe_and_a_control_character_aborts_nothing(
    hostile_index: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "weekly.toml"
    queries.write_text(
        '[[query]]\nname = "=SUM(1+1)"\nq = "Taxkorgan airport"\n\n'
        '[[query]]\nname = "bell\\u0007name"\nq = "=1+1 OR airports"\n',
        encoding="utf-8",
    )
    out = tmp_path / "weekly.xlsx"
    code, _, stderr = _invoke("run", str(queries), "--index", str(hostile_index), "--format", "xlsx", "--out", str(out))
    assert code == 0, stderr
    book = load_workbook(out)
    assert book.sheetnames == ["Hits", "By query", "By document"]
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                values.append(cell.value)
    texts = [v for v in values if isinstance(v, str)]
    assert "'=SUM(1+1)" in texts and "'=cmd|' -C calc'!A0" in texts
    assert "bell\ufffdname" in texts  # XML cannot hold the control character: replaced, not fatal


def test_an_export_never_writes_through_a_planted_link(hostile_index: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "hits.csv"
    # the name an earlier version wrote its partial file under
    (tmp_path / ".hits.csv.partial").symlink_to(victim)
    code, _, stderr = _invoke("search", "airports", "--index", str(hostile_index), "--format", "csv", "--out", str(out))
    assert code == 0, stderr
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not out.is_symlink() and out.read_text(encoding="utf-8").startswith("rank,score,doc_id")
    # a link at the output's own name is replaced by the file, its target left alone
    linked = tmp_path / "linked.csv"
    linked.symlink_to(victim)
    code, _, stderr = _invoke("search", "airports", "--index", str(hostile_index), "--format", "csv", "--out", str(linked))
    assert code == 0, stderr
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not linked.is_symlink() and linked.read_text(encoding="utf-8").startswith("rank,score,doc_id")
    assert not list(tmp_path.glob(".hits.csv.*.partial"))
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_ingest_never_writes_through_a_link_at_its_lock(tmp_path: Path) -> None:
    docs = _corpus(tmp_path / "docs", "plan.txt", "Chapter 32 Further Implementing the Coordinated Regional Development Strategy")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    index = tmp_path / "index"
    (tmp_path / ".index.lock").symlink_to(victim)
    code, stdout, stderr = _invoke("ingest", str(docs), "--index", str(index))
    assert code == 2 and stdout == ""
    lock = tmp_path / ".index.lock"
    assert stderr.splitlines() == [f"Error: cannot open the lock file {lock}: it is a symbolic link (policy-search never writes through one): remove it"]
    assert victim.read_text(encoding="utf-8") == "precious"
    # a folder at the lock's name: one line too, and the ingest works once it is gone
    lock.unlink()
    lock.mkdir()
    code, _, stderr = _invoke("ingest", str(docs), "--index", str(index))
    assert code == 2 and stderr.splitlines() == [f"Error: cannot open the lock file {lock}: it is a folder: remove it"]
    shutil.rmtree(lock)
    code, stdout, stderr = _invoke("ingest", str(docs), "--index", str(index))
    assert code == 0 and stdout.startswith("1 new"), stderr


# --- an open index sees the last commit -------------------------------------------------------

PLAN = CORPUS / "seeds" / "002_2b698c6a19e47f6b.txt"
REPORT = CORPUS / "seeds" / "001_92b6e6f6910890ba.txt"


def test_an_open_index_sees_every_commit_and_never_two_versions_of_a_passage(tmp_path: Path) -> None:
    from policy_search import ingest, open_index

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(PLAN, docs / "plan.txt")
    shutil.copy(REPORT, docs / "report.txt")
    index_dir = tmp_path / "index"
    ingest([docs], index_dir, jobs=1)
    index = open_index(index_dir)  # long-lived, as in a notebook
    assert index.search('"Taxkorgan Airport"').total == 1
    # the file changes and another ingest commits it: the old text is gone, the new one found once
    text = PLAN.read_text(encoding="utf-8").replace("Taxkorgan Airport", "Tashkurgan Airport")
    (docs / "plan.txt").write_text(text, encoding="utf-8")
    ingest([docs], index_dir, jobs=1)
    assert index.search('"Taxkorgan Airport"').total == 0
    assert index.search('"Tashkurgan Airport"').total == 1
    passages = index.passages("plan")
    assert len({p.passage for p in passages}) == len(passages)  # no passage twice
    # a rebuild swaps a new folder in, with the same generation number: a removed document is gone
    (docs / "report.txt").unlink()
    ingest([docs], index_dir, jobs=1, rebuild=True)
    assert [d.doc_id for d in index.documents()] == ["plan"]
    assert index.passages("report") == []
    assert {h.doc_id for h in index.search("development", limit=50)} == {"plan"}


# --- every failure is one line --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("(" * 300 + "airport" + ")" * 300, "nests 300 levels deep (parentheses or NOTs); at most 32 are read"),
        ("NOT " * 400 + "airport", "nests 400 levels deep (parentheses or NOTs); at most 32 are read"),
        ("airport " + " OR ".join(["ai*"] * 400), "has 401 terms; at most 256 are read (split it into several queries)"),
    ],
)
def test_a_query_too_deep_or_too_long_is_one_line(corpus_index: Path, query: str, message: str) -> None:
    code, stdout, stderr = _invoke("search", query, "--index", str(corpus_index))
    assert code == 2 and stdout == ""
    assert len(stderr.splitlines()) == 1 and stderr.startswith("Error: query ") and message in stderr


def test_a_query_within_the_bounds_is_answered(corpus_index: Path) -> None:
    nested = "(" * 32 + "Taxkorgan" + ")" * 32
    code, stdout, _ = _invoke("search", nested + " " + " ".join(["NOT xyzzy"] * 100), "--index", str(corpus_index))
    assert code == 0 and "Box 12 Development of Border Areas" in stdout


def test_a_batch_runs_on_past_a_query_too_deep(corpus_index: Path, tmp_path: Path) -> None:
    queries = tmp_path / "weekly.toml"
    deep = "(" * 100 + "airport" + ")" * 100
    queries.write_text(
        f'[[query]]\nname = "deep"\nq = "{deep}"\n\n[[query]]\nname = "airports"\nq = "Taxkorgan airport"\n', encoding="utf-8"
    )
    code, stdout, stderr = _invoke("run", str(queries), "--index", str(corpus_index))
    assert code == 1
    assert stderr.splitlines()[0].startswith(f"Error: {queries}: query 'deep' (#1): query '((((")
    assert "seeds/002_2b698c6a19e47f6b" in stdout


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("query = 5\n", "'query' must be [[query]] tables, not a number 5"),
        ('query = "airport"\n', "'query' must be [[query]] tables, not text 'airport'"),
    ],
)
def test_a_saved_query_file_of_the_wrong_shape_is_one_line(corpus_index: Path, tmp_path: Path, body: str, message: str) -> None:
    queries = tmp_path / "weekly.toml"
    queries.write_text(body, encoding="utf-8")
    code, stdout, stderr = _invoke("run", str(queries), "--index", str(corpus_index))
    assert code == 2 and stdout == ""
    assert stderr.splitlines() == [f"Error: {queries}: {message}"]


@pytest.mark.parametrize(
    ("damage", "kind"),
    [
        (lambda ix: next(ix.glob("*.trm")).write_bytes(next(ix.glob("*.trm")).read_bytes()[:100]), "UnpicklingError"),
        (lambda ix: next(ix.glob("*.pst")).unlink(), "FileNotFoundError"),
        (lambda ix: (ix / "userdict.txt").write_bytes(b"\xbf\xbf\xbf"), "UnicodeDecodeError"),
        (lambda ix: (ix / "userdict.txt").unlink(), "FileNotFoundError"),
        (lambda ix: next(ix.glob("*.trm")).write_bytes(b"\0" * next(ix.glob("*.trm")).stat().st_size), "FileFormatError"),
    ],
    ids=["truncated terms", "postings gone", "dictionary garbled", "dictionary gone", "terms zeroed"],
)
def test_a_damaged_index_is_one_line_that_says_rebuild(tmp_path: Path, damage, kind: str) -> None:  # type: ignore[no-untyped-def]
    docs = _corpus(tmp_path / "docs", "plan.txt", "Chapter 32 Further Implementing the Coordinated Regional Development Strategy")
    index = tmp_path / "index"
    assert _invoke("ingest", str(docs), "--index", str(index))[0] == 0
    damage(index)
    for command in (["search", "Taxkorgan airport"], ["show", "plan", "--passage", "2"]):
        code, stdout, stderr = _invoke(*command, "--index", str(index))
        assert code == 2 and stdout == "", stderr
        assert len(stderr.splitlines()) == 1, stderr
        assert stderr.startswith(f"Error: index at {index} is damaged ({kind}")
        assert stderr.rstrip().endswith("rebuild it with `policy-search ingest --rebuild`")


# --- caches are hints -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"source": {"pages": "not a list"}}, "a list expected, found str"),
        ({"source": {"pages": [{"number": 1, "lines": ["x" * 2_000_001], "label": ""}]}}, "a string of 2,000,001 characters"),
        ({"error": 5}, "text expected, found int"),
        ([1, 2], "an entry is one object with 'error' or 'source'"),
    ],
    ids=["wrong shape", "huge string", "wrong type", "not an object"],
)
def test_a_damaged_cache_entry_is_read_again_with_a_warning(tmp_path: Path, entry: object, reason: str) -> None:
    from .conftest import DATA

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "pdf" / "unst-reliance.pdf", docs / "reliance.pdf")
    index = tmp_path / "index"
    code, first, _ = _invoke("ingest", str(docs), "--index", str(index))
    assert code == 0
    [cached] = (tmp_path / ".index.cache").rglob("*.json")
    cached.write_text(json.dumps(entry), encoding="utf-8")
    # a rebuild reads the PDF from the cache: here, from the PDF again
    code, stdout, stderr = _invoke("ingest", str(docs), "--index", str(index), "--rebuild")
    assert code == 0, stderr
    warning = f"Warning: {docs / 'reliance.pdf'}: its cached reading was damaged ({reason}"
    assert [line for line in stderr.splitlines() if line.startswith(warning)], stderr
    assert stdout.split("; ")[-1] == first.split("; ")[-1]  # the same passages as read the first time
    # the entry was written again from the PDF, and is read without a warning next time
    assert json.loads(cached.read_text(encoding="utf-8"))["source"]["pages"]
    code, _, stderr = _invoke("ingest", str(docs), "--index", str(index), "--rebuild")
    assert code == 0 and "cached reading" not in stderr


def test_a_query_lexicon_with_empty_tables_falls_back_to_the_dictionary(tmp_path: Path) -> None:
    import sqlite3
    import subprocess
    import sys

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(CORPUS / "seeds" / "004_126da79b9d7433e3.txt", docs / "guidance.txt")  # NDRC guidance, Traditional
    cache = tmp_path / "cache"
    env = {**os.environ, "POLICY_SEARCH_CACHE": str(cache)}
    subprocess.run([sys.executable, "-m", "policy_search", "ingest", str(docs), "--index", str(tmp_path / "index2")], env=env, check=True, capture_output=True)
    [lexicon] = cache.glob("jieba-*.sqlite")
    lexicon.unlink()
    with sqlite3.connect(lexicon) as db:  # the tables, with nothing in them
        db.execute("CREATE TABLE freq (word TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
        db.execute("CREATE TABLE total (n INTEGER)")
    db.close()
    search = [sys.executable, "-m", "policy_search", "search", "區域協調發展", "--index", str(tmp_path / "index2"), "--limit", "1"]
    done = subprocess.run(search, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "guidance" in done.stdout and done.stderr == ""
    assert not lexicon.exists()  # removed, so that the next ingest writes it again
    subprocess.run([sys.executable, "-m", "policy_search", "ingest", str(docs), "--index", str(tmp_path / "index2")], env=env, check=True, capture_output=True)
    assert lexicon.is_file()


# --- a full disk, a read-only folder ----------------------------------------------------------


def test_a_full_disk_during_a_rebuild_is_one_line_and_leaves_the_index_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from whoosh.filedb.filestore import FileStorage

    docs = _corpus(tmp_path / "docs", "plan.txt", "Chapter 32 Further Implementing the Coordinated Regional Development Strategy")
    index = tmp_path / "index"
    assert _invoke("ingest", str(docs), "--index", str(index))[0] == 0
    before = sorted(p.name for p in tmp_path.iterdir())
    create = FileStorage.create_file
    calls = {"n": 0}

    def full(self, name, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 3:  # the disk fills up once the new index has its first files
            raise OSError(errno.ENOSPC, "No space left on device", os.path.join(self.folder, name))
        return create(self, name, **kwargs)

    monkeypatch.setattr(FileStorage, "create_file", full)
    code, stdout, stderr = _invoke("ingest", str(docs), "--index", str(index), "--rebuild")
    assert code == 2 and stdout == ""
    [line] = stderr.splitlines()
    assert line.startswith(f"Error: cannot write the index at {index}: No space left on device (")
    assert line.endswith("; the index is as it was")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no half-built folder left
    monkeypatch.setattr(FileStorage, "create_file", create)
    code, stdout, _ = _invoke("search", "Taxkorgan airport", "--index", str(index))
    assert code == 0 and "plan" in stdout


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    docs = _corpus(tmp_path / "docs", "plan.txt", "Chapter 32 Further Implementing the Coordinated Regional Development Strategy")
    index = tmp_path / "readonly" / "index"

    def read_only(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    code, stdout, stderr = _invoke("ingest", str(docs), "--index", str(index))
    assert code == 2 and stdout == ""
    assert stderr.splitlines() == [
        f"Error: cannot write the index at {index}: Read-only file system ({index.parent}); the index is as it was"
    ]


# --- bounded work -----------------------------------------------------------------------------


def test_a_file_that_takes_too_long_is_reported_and_the_ingest_goes_on(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(CORPUS / "pdf" / "i1040nr.pdf", docs / "i1040nr.pdf")  # 50 pages: several seconds to read
    shutil.copy(PLAN, docs / "plan.txt")
    index = tmp_path / "index"
    code, stdout, stderr = _invoke("ingest", str(docs), "--index", str(index), "--file-timeout", "0.5", "--jobs", "2")
    assert code == 1
    assert stderr.splitlines() == [
        f"Error: {docs / 'i1040nr.pdf'}: took longer than 0.5 s to read: skipped (raise --file-timeout to read it)"
    ]
    assert stdout.startswith("1 new, 0 changed, 0 unchanged, 0 removed, 1 failed")
    # not kept as the PDF's reading: with time enough it is read
    code, stdout, stderr = _invoke("ingest", str(docs), "--index", str(index))
    assert code == 0 and stdout.startswith("1 new, 0 changed, 1 unchanged"), stderr


@pytest.mark.slow
def test_a_file_that_needs_too_much_memory_is_reported_and_the_ingest_goes_on(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(CORPUS / "pdf" / "i1040nr.pdf", docs / "i1040nr.pdf")
    shutil.copy(PLAN, docs / "plan.txt")
    index = tmp_path / "index"
    code, stdout, stderr = _invoke("ingest", str(docs), "--index", str(index), "--file-memory", "64", "--file-timeout", "5", "--jobs", "1")
    assert code == 1 and stdout.startswith("1 new, 0 changed, 0 unchanged, 0 removed, 1 failed")
    [line] = stderr.splitlines()
    assert line.startswith(f"Error: {docs / 'i1040nr.pdf'}: ")
    # starved of memory, a reader either fails (MemoryError) or crawls until its time is up
    assert any(reason in line for reason in ("needed more than 64 MB to read", "out of its 64 MB", "took longer than 5 s"))
    code, stdout, stderr = _invoke("ingest", str(docs), "--index", str(index))
    assert code == 0 and stdout.startswith("1 new, 0 changed, 1 unchanged"), stderr
