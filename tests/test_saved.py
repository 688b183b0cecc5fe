"""Saved query files: every kind of mistake named before anything runs; batches that stream and dedupe."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy_search import QueryFileError, api, read_queries, run_queries
from policy_search.cli import cli
from policy_search.output.saved import SearchOptions

from .conftest import CORPUS


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "queries.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_and_queries_override(tmp_path: Path) -> None:
    path = write(tmp_path, """
[defaults]
limit = 20
lang = "zh"
since = 2016-01-01

[[query]]
name = "regional"
q = '区域协调发展'

[[query]]
name = "airports"
q = "airport*"
lang = ["en"]
limit = 5
doc = "seeds/*"
until = "2021-07"
""")
    regional, airports = read_queries(path)
    assert regional.options == SearchOptions(limit=20, lang=("zh",), since="2016-01-01")
    assert airports.options == SearchOptions(limit=5, lang=("en",), doc=("seeds/*",), since="2016-01-01", until="2021-07")
    assert (airports.name, airports.position, airports.label) == ("airports", 2, "query 'airports' (#2)")


MISTAKES = [
    ('[[query]\nname = "x"\n', "TOML syntax: Expected ']]' at the end of an array declaration (at line 1, column 8)"),
    ('[[query]]\nq = "water"\n', "query #1: missing 'name'"),
    ('[[query]]\nname = "water"\n', "query 'water' (#1): missing 'q' (the query)"),
    ('[[query]]\nname = "a"\nq = "x"\n[[query]]\nname = "a"\nq = "y"\n', "query 'a' (#2): duplicate name: query #1 has the same name"),
    ('[[query]]\nname = "a"\nq = "x"\nlimt = 5\n', "query 'a' (#1): unknown key 'limt' (did you mean 'limit'?)"),
    ('[[query]]\nname = "a"\nq = "x"\nlimit = "ten"\n', "query 'a' (#1): limit must be a whole number, not text 'ten'"),
    ('[[query]]\nname = "a"\nq = "x"\nlimit = 0\n', "query 'a' (#1): limit must be at least 1, not 0"),
    ('[[query]]\nname = "a"\nq = "x"\nlang = ["zh", "de"]\n', "query 'a' (#1): lang: unknown language 'de' (use en, fr, zh)"),
    ('[[query]]\nname = "a"\nq = "x"\ndoc = 3\n', "query 'a' (#1): doc must be a document id (globs allowed) or a list of them, not a number 3"),
    ('[[query]]\nname = "a"\nq = "x"\nsince = "2020-13"\n', "query 'a' (#1): invalid date for since: '2020-13' (month must be in 1..12)"),
    ('[[query]]\nname = "a"\nq = ""\n', "query 'a' (#1): 'q' must be non-empty query text, not text ''"),
    ('[[query]]\nname = 7\nq = "x"\n', "query #1: 'name' must be non-empty text, not a number 7"),
    ('[[query]]\nname = "a"\nq = "x"\nformat = "csv"\n', "query 'a' (#1): 'format' is an option of `policy-search run`, not of a query"),
    ('[query]\nname = "a"\nq = "x"\n', "write each query as a [[query]] table (double brackets), not [query]"),
    ('[defaults]\nlimit = 10\n', "no [[query]] table: nothing to run"),
    ('[defaults]\nofset = 1\n[[query]]\nname = "a"\nq = "x"\n', "[defaults]: unknown key 'ofset' (did you mean 'offset'?)"),
    ('quer = []\n[[query]]\nname = "a"\nq = "x"\n', "unknown key 'quer' (did you mean 'query'?) at the top level"),
]


@pytest.mark.parametrize(("text", "problem"), MISTAKES, ids=[m[1][:40] for m in MISTAKES])
def test_each_mistake_names_the_query_and_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(QueryFileError) as caught:
        read_queries(path)
    assert caught.value.problems == (problem,)
    assert str(caught.value) == f"{path}: {problem}"


def test_all_mistakes_are_reported_before_anything_runs(corpus_index: Path, tmp_path: Path) -> None:
    path = write(tmp_path, '[[query]]\nname = "ok"\nq = "water"\n[[query]]\nq = "x"\n[[query]]\nname = "ok"\nq = "y"\nlimit = -1\n')
    out = tmp_path / "hits.csv"
    result = invoke("run", str(path), "--index", str(corpus_index), "--out", str(out))
    assert result.exit_code == 2 and result.stdout == "" and not out.exists()
    assert result.stderr.splitlines() == [
        f"Error: {path}: query #2: missing 'name'",
        f"Error: {path}: query 'ok' (#3): duplicate name: query #1 has the same name",
        f"Error: {path}: query 'ok' (#3): limit must be at least 1, not -1",
    ]


def test_missing_file_and_xlsx_without_out_are_usage_errors(corpus_index: Path, tmp_path: Path) -> None:
    missing = invoke("run", str(tmp_path / "nope.toml"), "--index", str(corpus_index))
    assert missing.exit_code == 2 and missing.stderr.startswith(f"Error: {tmp_path / 'nope.toml'}: cannot read the file")
    path = write(tmp_path, '[[query]]\nname = "a"\nq = "water"\n')
    xlsx = invoke("run", str(path), "--index", str(corpus_index), "--format", "xlsx")
    assert xlsx.exit_code == 2 and "--format xlsx needs --out" in xlsx.stderr


def test_a_failing_query_is_named_and_the_others_still_run(corpus_index: Path, tmp_path: Path) -> None:
    path = write(tmp_path, """
[[query]]
name = "courts"
q = "法院"
[[query]]
name = "broken"
q = '"unbalanced'
[[query]]
name = "airports"
q = "Taxkorgan"
""")
    result = invoke("run", str(path), "--index", str(corpus_index))
    assert result.exit_code == 1
    assert f"Error: {path}: query 'broken' (#2): unbalanced quote at column 1" in result.stderr
    assert "3 queries: 2 ran, 1 failed;" in result.stderr
    names = Counter(row["query_name"] for row in csv.DictReader(io.StringIO(result.stdout)))
    assert names["airports"] == 1 and names["courts"] == 10 and "broken" not in names


def test_dedupe_merges_a_passage_matched_by_several_queries(index: api.Index) -> None:
    # Simplified and Traditional forms find the same passages: each passage once, both names
    queries = read_queries_from_text('''
[defaults]
limit = 100
[[query]]
name = "simplified"
q = "区域协调发展"
[[query]]
name = "traditional"
q = "區域協調發展"
[[query]]
name = "airports"
q = "Taxkorgan"
''')
    plain: list[dict[str, object]] = []
    report = run_queries(index, queries, plain.append)
    merged: list[dict[str, object]] = []
    deduped = run_queries(index, queries, merged.append, dedupe=True)
    assert report.rows == len(plain) and deduped.rows == len(merged)
    simplified = [r for r in plain if r["query_name"] == "simplified"]
    assert len(simplified) == index.search("区域协调发展", limit=100).total
    assert len(merged) == len(simplified) + 1
    both = [r for r in merged if r["query_name"] == "simplified;traditional"]
    assert len(both) == len(simplified)
    assert [r["query"] for r in merged][0] == "区域协调发展;區域協調發展"
    # the merged row keeps the best rank either query gave the passage
    best = {}
    for row in plain:
        key = (row["doc_id"], row["passage"])
        best[key] = min(best.get(key, 10**6), row["rank"])
    assert all(row["rank"] == best[(row["doc_id"], row["passage"])] for row in merged)
    assert merged[-1]["query_name"] == "airports"


def read_queries_from_text(text: str):  # type: ignore[no-untyped-def]
    import tomllib

    from policy_search.output.saved import parse_queries

    return parse_queries(tomllib.loads(text), Path("inline.toml"))


class RecordingIndex:
    """An index that notes each search, to see when rows are written."""

    def __init__(self, index: api.Index, events: list[str]) -> None:
        self._index = index
        self._events = events

    def search(self, query: str, **options: object) -> api.Results:
        self._events.append(f"search {query}")
        return self._index.search(query, **options)  # type: ignore[arg-type]


def test_rows_stream_out_as_each_query_ends(index: api.Index) -> None:
    queries = read_queries_from_text('[[query]]\nname = "a"\nq = "法院"\n[[query]]\nname = "b"\nq = "mariage"\n')
    events: list[str] = []
    run_queries(RecordingIndex(index, events), queries, lambda row: events.append(f"row {row['query_name']}"))  # type: ignore[arg-type]
    assert events[0] == "search 法院" and events[1] == "row a"
    assert events.index("search mariage") == events.count("row a") + 1


def batch_of_200(tmp_path: Path) -> Path:
    """200 queries of words that occur in at least 20 passages of the bundled corpus, limit 100."""
    counts: Counter[str] = Counter()
    for path in sorted(CORPUS.rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        counts.update(set(re.findall(r"[a-zé]{7,}", text.lower())) | set(re.findall(r"[\u4e00-\u9fff]{2}", text)))
    common = sorted(word for word, count in counts.items() if count >= 3)
    words = random.Random(7).sample(common, 200)
    tables = "".join(f'[[query]]\nname = "q{n:03d}"\nq = "{word}"\n\n' for n, word in enumerate(words))
    return write(tmp_path, f"[defaults]\nlimit = 100\n\n{tables}")


def test_a_batch_of_200_queries_opens_the_index_once(corpus_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    real_init = api.Index.__init__

    def counting_init(self: api.Index, path: Path | str) -> None:
        opened.append(path)
        real_init(self, path)

    monkeypatch.setattr(api.Index, "__init__", counting_init)
    path = batch_of_200(tmp_path)
    out = tmp_path / "batch.csv"
    result = invoke("run", str(path), "--index", str(corpus_index), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert len(opened) == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    per_query = Counter(row["query_name"] for row in rows)
    assert len(per_query) > 150 and max(per_query.values()) == 100
    assert result.stderr.strip() == f"200 queries: 200 ran; {len(rows)} rows written to {out}"


def test_progress_names_each_query_and_the_rows_so_far(corpus_index: Path, tmp_path: Path) -> None:
    path = write(tmp_path, '[[query]]\nname = "courts"\nq = "法院"\n[[query]]\nname = "airports"\nq = "Taxkorgan"\n')
    result = invoke("run", str(path), "--index", str(corpus_index), "--progress", "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 0
    assert "[1/2] courts: 10 hits, 10 rows so far" in result.stderr
    assert "[2/2] airports: 1 hits, 11 rows so far" in result.stderr


def test_an_output_file_named_for_another_format_is_refused(corpus_index: Path, tmp_path: Path) -> None:
    """`--out hits.xlsx` without `--format xlsx` wrote CSV text into a file Excel cannot open."""
    path = write(tmp_path, '[[query]]\nname = "a"\nq = "water"\n')
    out = tmp_path / "hits.xlsx"
    result = invoke("run", str(path), "--index", str(corpus_index), "--out", str(out))
    assert result.exit_code == 2 and result.stdout == "" and not out.exists()
    assert result.stderr == f"Error: --out {out}: the name says xlsx but the format is csv (give --format xlsx)\n"
    jsonl = invoke("search", "water", "--index", str(corpus_index), "--format", "jsonl", "--out", str(tmp_path / "Hits.CSV"))
    assert jsonl.exit_code == 2 and "the name says csv but the format is jsonl" in jsonl.stderr
    # a name that is no format's (or no extension at all) is the user's choice
    assert invoke("run", str(path), "--index", str(corpus_index), "--out", str(tmp_path / "hits.txt")).exit_code == 0
    assert invoke("search", "water", "--index", str(corpus_index), "--format", "csv", "--out", str(tmp_path / "hits")).exit_code == 0
