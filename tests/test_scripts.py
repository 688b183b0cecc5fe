"""Every example in scripts/ runs against the bundled corpus and finds what it is about."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy_search import read_queries
from policy_search.cli import cli

from .conftest import DATA, ROOT

SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))
import fidelity  # noqa: E402

QUERY_FILES = sorted((SCRIPTS / "queries").glob("*.toml"))


def test_there_are_example_query_files() -> None:
    assert [p.name for p in QUERY_FILES] == ["law-and-rights.toml", "regional-development.toml"]


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.name for p in QUERY_FILES])
def test_example_query_file_runs_and_every_query_finds_passages(corpus_index: Path, tmp_path: Path, path: Path) -> None:
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["run", str(path), "--index", str(corpus_index), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    per_query = Counter(row["query_name"] for row in rows)
    assert set(per_query) == {q.name for q in read_queries(path)}
    for query in read_queries(path):
        matched = [r for r in rows if r["query_name"] == query.name]
        assert len(matched) <= query.options.limit
        if query.options.lang:
            assert {r["lang"] for r in matched} <= set(query.options.lang)


def test_regional_queries_keep_to_their_filters(corpus_index: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    path = SCRIPTS / "queries" / "regional-development.toml"
    CliRunner().invoke(cli, ["run", str(path), "--index", str(corpus_index), "--out", str(out)], catch_exceptions=False)
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    new_forces = [r for r in rows if r["query_name"] == "new-productive-forces"]
    assert new_forces and all(r["date"] >= "2024" for r in new_forces)
    carbon = [r for r in rows if r["query_name"] == "carbon-peak"]
    assert carbon and all(r["doc_id"].split("/")[0] in ("work-reports", "provincial-2026", "seeds") for r in carbon)


def test_python_theme_tracker(corpus_index: Path, tmp_path: Path) -> None:
    out = tmp_path / "themes.csv"
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "theme_tracker.py"), "--index", str(corpus_index), "--csv", str(out)],
        capture_output=True, text=True, check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("== regional-coordination: ")
    # the NDRC guidance (Traditional Chinese) is the document most about regional coordination
    assert lines[1].split() == ["21", "seeds/004_126da79b9d7433e3"]
    # its best passage: the attachment's own title, which holds the run in a dozen characters
    assert lines[2].strip() == "best: 國家發展改革委關于印發貫徹落實區域發展戰略促進區域協調發展的指導意見的通知, passage 6"
    assert any(line.startswith("== rule-of-law: ") for line in lines)
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert rows and list(rows[0])[:3] == ["theme", "rank", "score"]
    assert {r["theme"] for r in rows} == {"regional-coordination", "rule-of-law"}
    assert lines[-1] == f"{len(rows)} passages written to {out}"


def test_fidelity_counts_a_word_spelled_letter_by_letter_that_the_passages_hold_whole() -> None:
    # pdftotext splits the OCR layer's words at every letter (t h e i r); we keep them whole
    line = "you K i l l tee interested t o knot t h a t t o defce the Foundation"
    words = {"you", "kill", "tee", "interested", "to", "knot", "that", "defce", "the", "foundation"}
    assert fidelity.closed_up(line, words) == "you Kill tee interested to knot that to defce the Foundation"
    assert fidelity.closed_up("A l e t t e r from", {"letter", "a", "from"}) == "A letter from"
    # two letters alone on a line are a formula's q with the index r (the TeX paper), kept apart
    formula = "Propriété 5.2 (Requête obtenue avec QSLr ) Soit q r une requête définie par une expression de"
    assert fidelity.closed_up(formula, {"qr", "soit", "une"}) == formula


def test_fidelity_sets_aside_what_the_reference_prints_for_unmapped_glyphs_and_spaced_scripts() -> None:
    # the TeX paper: pdftotext prints ⟨Si, fi⟩ as "hSi , fi i" and m′ as "m0" (the glyphs' codes in
    # CMSY), and q with the index r as "q r"; the passages hold "Si, fi", "m" and "qr"
    missing = Counter({"hsi": 1, "i": 2, "0": 1, "q": 1, "r": 1, "lca": 1})
    surplus = Counter({"si": 1, "qr": 1, "m": 1})
    codes = Counter({"h": 1, "i": 1, "0": 1})  # one ⟨, one ⟩, one ′ on the page
    aside = fidelity.set_aside(missing, surplus, codes, Counter({"r": 1}))
    # one "i" is a ⟩, the other is not excused: the page has one ⟩ only; "lca" is a word lost
    assert aside == Counter({"hsi": 1, "i": 1, "0": 1, "q": 1, "r": 1})
    # without the glyphs on the page nothing is excused
    assert fidelity.set_aside(missing, surplus, Counter(), Counter()) == Counter()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext (apt-get install poppler-utils)")
def test_fidelity_of_a_pdf_with_an_ocr_layer_and_one_with_turned_chart_labels() -> None:
    for name in ("unst-pdf-with-ocr-text.pdf", "ag-energy-round-up-2017-02-24.pdf", "unst-reliance.pdf"):
        report = fidelity.audit_file(DATA / "pdf" / name, DATA / "pdf")
        assert report.reference == "pdftotext"
        assert report.tokens > 150
        assert report.covered == report.tokens, (name, report.missing.most_common(10))
        assert report.glued == 0 and report.empty_pages == []
        assert report.set_aside == 0


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext (apt-get install poppler-utils)")
def test_fidelity_of_a_paper_set_in_tex_math() -> None:
    report = fidelity.audit_file(DATA / "pdf" / "unst-fr_olap.pdf", DATA / "pdf")
    # the reference's artefacts are counted apart, not as words lost, and not many of them
    assert 0 < report.set_aside < 0.03 * (report.tokens + report.set_aside)
    assert report.coverage >= 0.995, report.missing.most_common(10)
    assert report.glued_rate < 0.001 and report.empty_pages == []
