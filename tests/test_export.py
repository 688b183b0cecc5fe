"""Exports read back with independent readers (csv, json, openpyxl, LibreOffice) equal the hits of `search`."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from policy_search import HIT_FIELDS, RUN_FIELDS, api, ingest
from policy_search.cli import cli

#: One query per language and script, chosen for text that breaks naive exports: Traditional
#: Chinese, French accents and apostrophes, English quotes and commas, passages holding line
#: breaks and starting with "-" (the border-airports list of the 14th Five-Year Plan).
QUERIES = {
    "traditional": ("區域協調發展", {"lang": ["zh"], "limit": 5}),
    "french": ("propriété", {"lang": ["fr"], "limit": 5}),
    "english": ('"coordinated regional development"', {"limit": 5}),
    "airports": ("airport*", {"doc": ["seeds/*"], "limit": 5}),
}


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def queries_file(tmp_path: Path) -> Path:
    tables = []
    for name, (q, options) in QUERIES.items():
        lines = ["[[query]]", f"name = {json.dumps(name)}", f"q = {json.dumps(q, ensure_ascii=False)}"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in options.items()]
        tables.append("\n".join(lines))
    path = tmp_path / "queries.toml"
    path.write_text("\n\n".join(tables) + "\n", encoding="utf-8")
    return path


def expected_rows(index: api.Index) -> list[dict[str, object]]:
    rows = []
    for name, (q, options) in QUERIES.items():
        for hit in index.search(q, **options):  # type: ignore[arg-type]
            rows.append({"query_name": name, "query": q, **hit.to_dict()})
    return rows


def as_csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def test_expected_rows_hold_the_hard_cases(index: api.Index) -> None:
    rows = expected_rows(index)
    texts = [str(r["text"]) for r in rows]
    assert any("區域協調發展" in t for t in texts)
    assert any("propriété" in t for t in texts)
    assert any('"' in t or "," in t for t in texts)
    assert any(t.startswith("- ") and "\n- " in t for t in texts)


def test_run_csv_reads_back_as_the_search_hits(corpus_index: Path, index: api.Index, tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    result = invoke("run", str(queries_file(tmp_path)), "--index", str(corpus_index), "--out", str(out), "--bom")
    assert result.exit_code == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(RUN_FIELDS)
    expected = [[as_csv_cell(row[f]) for f in RUN_FIELDS] for row in expected_rows(index)]
    assert rows[1:] == expected
    airports = [r for r in rows if r[0] == "airports"]
    assert airports and all(r[RUN_FIELDS.index("text")].startswith("'- ") for r in airports)
    assert any("\n- " in r[RUN_FIELDS.index("text")] for r in airports)


def test_run_jsonl_keeps_every_value_intact(corpus_index: Path, index: api.Index, tmp_path: Path) -> None:
    result = invoke("run", str(queries_file(tmp_path)), "--index", str(corpus_index), "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == expected_rows(index)
    assert list(lines[0]) == list(RUN_FIELDS)
    assert any(str(line["text"]).startswith("- ") for line in lines)


def test_search_csv_file_and_run_share_the_writer(corpus_index: Path, index: api.Index, tmp_path: Path) -> None:
    out = tmp_path / "search.csv"
    result = invoke("search", "airport*", "--doc", "seeds/*", "--index", str(corpus_index), "--format", "csv", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert list(rows[0]) == list(HIT_FIELDS)
    hits = index.search("airport*", doc="seeds/*")
    assert [r["text"] for r in rows] == [as_csv_cell(h.text) for h in hits]
    assert not list(tmp_path.glob(".*.partial"))


def test_run_xlsx_sheets_cells_and_summaries(corpus_index: Path, index: api.Index, tmp_path: Path) -> None:
    out = tmp_path / "hits.xlsx"
    result = invoke("run", str(queries_file(tmp_path)), "--index", str(corpus_index), "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["Hits", "By query", "By document"]
    sheet = book["Hits"]
    expected = expected_rows(index)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:P{len(expected) + 1}"
    assert sheet.column_dimensions["O"].width == 80  # text
    assert sheet.row_dimensions[2].height == 62  # four lines of a wrapped passage, not a screenful
    header = [cell.value for cell in sheet[1]]
    assert header == list(RUN_FIELDS)
    for row, want in zip(sheet.iter_rows(min_row=2), expected, strict=True):
        got = {column: cell.value for column, cell in zip(RUN_FIELDS, row, strict=True)}
        for column in RUN_FIELDS:
            value = want[column]
            if column == "date" and value:
                assert got[column] == datetime.datetime.fromisoformat(str(value))
            elif value in ("", None):
                assert got[column] is None
            elif isinstance(value, str):
                assert got[column] == as_csv_cell(value), column
            else:
                assert got[column] == value, column
        assert row[RUN_FIELDS.index("text")].alignment.wrap_text
        assert all(cell.data_type != "f" for cell in row)

    by_query = {r[0]: r for r in book["By query"].iter_rows(min_row=2, values_only=True)}
    assert by_query["traditional"][2] == index.search("區域協調發展", lang="zh").total
    assert by_query["traditional"][3] == 5
    by_document = list(book["By document"].iter_rows(values_only=True))
    assert by_document[0][:4] == ("doc_id", "title", "date", "hits") and by_document[0][4:] == tuple(QUERIES)
    assert sum(r[3] for r in by_document[1:]) == len(expected)


@pytest.fixture
def injection_index(tmp_path: Path) -> Path:
    """A document whose paragraphs start as spreadsheet formulas (as pasted tables often do)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "injection.txt").write_text(
        "Budget table notes\n\n"
        "=HYPERLINK(\"http://example.invalid\",\"click\") the fiscal deficit ratio is set at 3 percent.\n\n"
        "+1 percentage point: the fiscal deficit ratio rises over last year.\n\n"
        "@SUM the fiscal deficit ratio covers central and local budgets.\n",
        encoding="utf-8",
    )
    path = tmp_path / "index"
    assert not ingest([corpus], path).failed
    return path


def test_formula_cells_are_neutralised_in_csv_and_xlsx_but_not_json(injection_index: Path, tmp_path: Path) -> None:
    starts = ("=HYPERLINK", "+1 percentage", "@SUM the")
    queries = tmp_path / "q.toml"
    queries.write_text('[[query]]\nname = "=deficit"\nq = "deficit"\n', encoding="utf-8")
    csv_out, xlsx_out = tmp_path / "d.csv", tmp_path / "d.xlsx"
    assert invoke("run", str(queries), "--index", str(injection_index), "--out", str(csv_out)).exit_code == 0
    assert invoke("run", str(queries), "--index", str(injection_index), "--format", "xlsx", "--out", str(xlsx_out)).exit_code == 0
    jsonl = invoke("run", str(queries), "--index", str(injection_index), "--format", "jsonl")

    def quoted_starts(texts: list[str]) -> list[str]:
        """Each text's quote removed, cut to the length of the start it should have."""
        assert all(t.startswith("'") for t in texts)
        return [t[1 : 1 + len(s)] for t, s in zip(sorted(texts), sorted(starts), strict=True)]

    csv_rows = list(csv.DictReader(csv_out.open(encoding="utf-8", newline="")))
    assert quoted_starts([r["text"] for r in csv_rows]) == sorted(starts)
    assert {r["query_name"] for r in csv_rows} == {"'=deficit"}
    sheet = load_workbook(xlsx_out)["Hits"]
    texts = [row[RUN_FIELDS.index("text")] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in texts) and quoted_starts([c.value for c in texts]) == sorted(starts)
    json_rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [t[: len(s)] for t, s in zip(sorted(r["text"] for r in json_rows), sorted(starts), strict=True)] == sorted(starts)
    assert {r["query_name"] for r in json_rows} == {"=deficit"}


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    return found


def convert(source: Path, target_format: str, out_dir: Path, infilter: str | None = None) -> Path:
    """Convert with LibreOffice headless, as an analyst's spreadsheet would open the file."""
    command = [_soffice(), "--headless", f"-env:UserInstallation=file://{out_dir / 'profile'}"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", target_format, "--outdir", str(out_dir), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    converted = out_dir / f"{source.stem}.{target_format.split(':')[0]}"
    assert converted.exists(), f"LibreOffice did not convert {source}"
    return converted


def test_libreoffice_opens_the_csv_and_the_xlsx(corpus_index: Path, index: api.Index, tmp_path: Path) -> None:
    _soffice()
    queries = queries_file(tmp_path)
    csv_out, xlsx_out = tmp_path / "hits.csv", tmp_path / "hits.xlsx"
    assert invoke("run", str(queries), "--index", str(corpus_index), "--out", str(csv_out), "--bom").exit_code == 0
    assert invoke("run", str(queries), "--index", str(corpus_index), "--format", "xlsx", "--out", str(xlsx_out)).exit_code == 0
    expected = expected_rows(index)

    # CSV -> XLSX: LibreOffice's CSV import (comma, double quote, UTF-8) sees every cell
    from_csv = convert(csv_out, "xlsx", tmp_path / "csv2xlsx", infilter="CSV:44,34,76,1")
    sheet = load_workbook(from_csv).worksheets[0]
    assert [c.value for c in sheet[1]] == list(RUN_FIELDS)
    text_column = RUN_FIELDS.index("text")
    texts = [row[text_column].value for row in sheet.iter_rows(min_row=2)]
    assert texts == [as_csv_cell(row["text"]) for row in expected]

    # XLSX -> CSV: our workbook opens, and its cells come out as the hits
    from_xlsx = convert(xlsx_out, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "xlsx2csv")
    rows = list(csv.DictReader(from_xlsx.open(encoding="utf-8", newline="")))
    assert [r["text"] for r in rows] == [as_csv_cell(row["text"]) for row in expected]
    assert [r["date"] for r in rows] == [row["date"] for row in expected]
    assert [r["citation"] for r in rows] == [row["citation"] for row in expected]
