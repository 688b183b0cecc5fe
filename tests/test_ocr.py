"""OCR of scans (ingest --ocr): the test scans of known text (tests/data/scans), a real scan,
and a real PDF whose tables are images, read by the engines themselves."""

from __future__ import annotations

import io
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from policy_search import ingest, open_index
from policy_search.cli import cli
from policy_search.documents.readers import ocr
from policy_search.documents.readers.ocr import OcrSettings, PdfPages, missing_engine

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "tests" / "data" / "scans"
TRUTH = ROOT / "tests" / "data" / "scans-truth"
sys.path.insert(0, str(ROOT / "scripts"))

if missing_engine() or ocr._tesseract() is None:
    if os.environ.get("POLICY_SEARCH_REQUIRE_OCR"):
        raise RuntimeError(f"the OCR tests need their engines: {missing_engine() or 'Tesseract with its French model'}")
    pytest.skip("OCR engines not installed (pip install -e '.[ocr]'; apt-get install tesseract-ocr tesseract-ocr-fra)", allow_module_level=True)

pytestmark = [pytest.mark.ocr, pytest.mark.slow]


@pytest.fixture(scope="module")
def scans_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test scans ingested with --ocr (every page read by OCR once: about 40 s)."""
    index_dir = tmp_path_factory.mktemp("ocr") / "index"
    report = ingest([SCANS], index_dir, jobs=2, ocr=True)
    assert (report.new, report.failed) == (6, ())
    return index_dir


def test_scans_are_read_within_the_targets_and_found_on_their_pages(scans_index: Path) -> None:
    """scripts/audit.py ocr, on a sample: CER per language against the known text, and spans of
    the known text found on the page that holds them, with no hit cited on a wrong page."""
    from ocr_audit import audit_ocr

    result = audit_ocr(SCANS, TRUTH, "auto", spans=40, seed=7, index_dir=scans_index)
    cer, spans = result["cer"], result["spans"]
    assert set(cer) == {"zh-Hans", "zh-Hant", "en", "fr"}  # type: ignore[arg-type]
    assert all(cer[lang] <= 0.03 for lang in ("zh-Hans", "zh-Hant", "en"))  # type: ignore[index]
    assert cer["fr"] <= 0.05  # type: ignore[index]
    for lang, found in spans.items():  # type: ignore[attr-defined]
        assert found["share"] >= 0.9, lang
        assert found["wrong_page_hits"] == 0, lang
    assert result["passed"]


def test_a_real_scan_is_searchable_and_cited_at_its_page_as_ocr(scans_index: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["search", "神鹰集团", "--index", str(scans_index), "--doc", "pr-136-p1-p5-image-only", "-n", "3"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    # the title is the letter's heading in large type; the section its first numbered heading
    assert first.startswith("1. 关于浙江菲达环保科技股份有限公司 2015年年度报告中有关财务事项的说明, ")
    assert "一、截至2015年末，菲达环保公司为浙江神鹰集团有限公司提供的担保情" in first
    assert "p. 1 (OCR)" in first
    # a line of Chinese with many figures is the body's size: its paragraph goes on past it
    [hit] = open_index(scans_index).search("互保期", doc="pr-136-p1-p5-image-only").hits
    assert "互保期自2013年5" in hit.text and "月16日起至2015年5月15日止" in hit.text
    # page 2 of the copy is page 5 of the letter: its text is cited there
    hit = open_index(scans_index).search("诸暨鼎盛苑小区", doc="pr-136-p1-p5-image-only").hits[0]
    assert hit.page == 2 and hit.citation.endswith("(OCR), passage " + str(hit.passage))
    assert "18间商铺" in hit.text


def test_pages_scanned_sideways_upside_down_or_skewed_are_read_upright(scans_index: Path) -> None:
    cache = scans_index.with_name(f".{scans_index.name}.cache")
    turned = {}
    for name, number in (("zh-hant-law", 2), ("fr-code-civil", 2), ("en-law", 2), ("zh-hans-report", 3)):
        read = PdfPages((SCANS / f"{name}.pdf").read_bytes(), "", OcrSettings(cache)).read(number)
        turned[name] = (read.turned, read.engine, read.skew)
    # fed in turned 90° (the image must turn 270° more), upside down, skewed 1.5° and -1°
    assert turned["zh-hant-law"][0] == 270 and turned["fr-code-civil"][:2] == (180, "tesseract")
    assert turned["zh-hans-report"][:2] == (0, "rapidocr") and turned["zh-hans-report"][2] == pytest.approx(1.5, abs=0.3)
    assert turned["en-law"][:2] == (0, "rapidocr") and turned["en-law"][2] == pytest.approx(-1.0, abs=0.3)
    index = open_index(scans_index)
    # their lines in reading order: an article of the turned page reads whole, after its heading
    [hit] = index.search('"人民有居住及遷徙之自由"', doc="zh-hant-law").hits
    assert (hit.page, hit.section.split(" > ")[-1].replace(" ", "")) == (2, "第10條")
    [hit] = index.search('"aïeuls ou aïeules donnant leur consentement"', doc="fr-code-civil").hits
    assert hit.page == 2 and "Article 150" in hit.section


def test_a_page_in_two_columns_is_read_column_by_column(scans_index: Path) -> None:
    """Page 1 of the DPR paper as a scan: its left column, then its right one, as its text layer
    reads; the arXiv stamp standing on end in the margin is neither the title nor in the column."""
    index = open_index(scans_index)
    doc = "multi-column-p1-image-only"
    [record] = [d for d in index.documents() if d.doc_id == doc]
    assert record.title == "Dense Passage Retrieval for Open-Domain Question Answering"
    # the left column's last line goes on at the top of the right column
    [hit] = index.search('"a dense retrieval system would be able to better match"', doc=doc).hits
    assert hit.page == 1 and "p. 1 (OCR)" in hit.citation
    assert index.search('"Open-domain question answering relies on efficient passage retrieval"', doc=doc).total == 1
    # the stamp's lines are not glued to the column's lines beside them
    assert index.search('"the de facto method"', doc=doc).total == 1


def test_headings_and_running_headers_follow_the_rules_of_text_pdfs(scans_index: Path) -> None:
    index = open_index(scans_index)
    docs = {d.doc_id: d for d in index.documents()}
    assert docs["zh-hant-law"].title == "中華民國憲法"
    assert docs["en-law"].title.startswith("Constitution of the")  # two lines in large type, one title
    assert docs["fr-code-civil"].title == "Article 143"
    report = {h.passage: h for h in index.passages("zh-hans-report")}
    # the running header (2025年政府工作报告) and the folios are left out; the folios are the labels
    assert not any("2025年政府工作报告" in h.text for h in report.values())
    assert [h.page_label for h in index.passages("zh-hans-report", page=3)][-1] == "3"
    assert all(h.section.startswith("一、2024年工作回顾") for h in report.values())
    assert docs["zh-hans-report"].ocr_pages == (1, 2, 3)
    # both pages open on an article (Article 143, Article 150): the law's, not a running header
    sections = {h.section for h in index.passages("fr-code-civil")}
    assert {"Article 143", "Article 144", "Article 150"} <= {s.split(" > ")[-1] for s in sections}


def test_ocr_readings_are_cached_by_page_so_a_rebuild_reads_no_page_again(
    scans_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = scans_index.with_name(f".{scans_index.name}.cache")
    copy = tmp_path / "index"
    shutil.copytree(cache, copy.with_name(f".{copy.name}.cache"))
    # the documents' readings gone, the pages' kept: each page comes from its own entry
    for parsed in copy.with_name(f".{copy.name}.cache").glob("pdf-*-ocr-*"):
        shutil.rmtree(parsed)

    def no_ocr(*args: object) -> None:
        raise AssertionError("a page was read by OCR again")

    monkeypatch.setattr(ocr, "_read_page", no_ocr)  # the workers are forked: they see it too
    renamed = tmp_path / "renamed"
    shutil.copytree(SCANS, renamed)
    report = ingest([renamed], copy, jobs=2, ocr=True)
    assert (report.new, report.failed) == (6, ())
    assert open_index(copy).search("神鹰集团").total == open_index(scans_index).search("神鹰集团").total


def test_a_page_that_takes_too_long_is_reported_and_the_rest_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(page: object, french_by_tesseract: bool = True) -> None:
        time.sleep(30)

    monkeypatch.setattr(ocr, "PAGE_SECONDS", 0.5)
    monkeypatch.setattr(ocr, "_read_page", slow)
    started = time.monotonic()
    read = PdfPages((SCANS / "en-law.pdf").read_bytes(), "", OcrSettings(tmp_path)).read(1)
    assert time.monotonic() - started < 5
    assert (read.lines, read.problem) == ((), "OCR took longer than 0.5 s")
    assert not list(tmp_path.rglob("1.json"))  # not kept: the next ingest tries again


def _image_pdf(path: Path, pages: list[Image.Image], dpi: float = 72) -> Path:
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    path.write_bytes(buffer.getvalue())
    return path


def test_blank_tiny_and_enormous_images_give_a_warning_or_a_result(tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    scan = Image.open(io.BytesIO(_first_image(SCANS / "en-law.pdf")))
    _image_pdf(folder / "blank.pdf", [Image.new("L", (1654, 2339), 255)], dpi=200)
    _image_pdf(folder / "tiny.pdf", [Image.new("L", (6, 6), 0)])  # 6 points square: 17 pixels at 200 dpi
    # a scanned page and a blank one; a poster of 60 by 85 inches (a page image of 4,300 by 6,100
    # points at 72 dpi): rendered within MAX_PIXELS, not at 200 dpi (200 million pixels)
    _image_pdf(folder / "with-blank.pdf", [scan, Image.new("L", scan.size, 255)], dpi=150)
    _image_pdf(folder / "poster.pdf", [scan.resize((4300, 6100))])
    report = ingest([folder], tmp_path / "index", jobs=2, ocr=True)
    failed = dict(report.failed)
    assert failed[str(folder / "blank.pdf")] == "no text found by OCR in 1 page(s) (OCR found no text on the page image (a blank page?))"
    assert failed[str(folder / "tiny.pdf")].startswith("no text found by OCR in 1 page(s) (the page is too small to read (")
    warnings = dict(report.warnings)
    assert warnings[str(folder / "with-blank.pdf")] == "page 2 of 2: OCR found no text on the page image (a blank page?), not indexed"
    index = open_index(tmp_path / "index")
    assert index.search('"Republic of China"', doc="poster").total > 0
    assert index.search('"Republic of China"', doc="with-blank").hits[0].page == 1


def test_images_of_pages_are_read_with_ocr_and_skipped_without(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "notice.png").write_bytes(_first_image(SCANS / "pr-136-p1-p5-image-only.pdf"))
    frames = [Image.open(io.BytesIO(_first_image(SCANS / "zh-hant-law.pdf", n))) for n in (0, 1)]
    frames[0].save(folder / "law.tiff", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 a JPEG cut short")
    (folder / "notes.png").write_text("not an image at all", encoding="utf-8")
    runner = CliRunner()
    index_dir = tmp_path / "index"
    plain = runner.invoke(cli, ["ingest", str(folder), "--index", str(index_dir)])
    assert f"Skipped: {folder / 'notice.png'}: an image: its text is read by OCR (ingest with --ocr)" in plain.output
    assert "0 new, 0 changed, 0 unchanged, 0 removed, 0 failed, 4 skipped" in plain.output
    read = runner.invoke(cli, ["ingest", str(folder), "--index", str(index_dir), "--ocr", "--jobs", "2"])
    assert "2 new, 0 changed, 0 unchanged, 0 removed, 2 failed" in read.output
    assert f"Error: {folder / 'broken.jpg'}: a damaged image (Truncated File Read)" in read.output
    assert f"Error: {folder / 'notes.png'}: not an image that can be read (cannot identify image file " in read.output
    index = open_index(index_dir)
    assert index.search("神鹰集团", doc="notice").hits[0].citation.startswith("关于浙江菲达环保科技股份有限公司")
    # the TIFF's second frame is its page 2, turned upright
    hit = index.search('"人民有居住及遷徙之自由"', doc="law").hits[0]
    assert (hit.page, hit.citation.count("(OCR)")) == (2, 1)


def _first_image(pdf: Path, number: int = 0) -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    buffer = io.BytesIO()
    document[number].render(scale=150 / 72, grayscale=True).to_pil().save(buffer, "PNG")
    return buffer.getvalue()


def test_image_pages_of_a_text_pdf_are_read_and_the_index_keeps_the_setting(tmp_path: Path) -> None:
    """The Federal Register rule prints page 8's table as an image: reported without OCR, read
    with it; the index then keeps OCR on, and --no-ocr turns it off."""
    source = tmp_path / "pdf"
    source.mkdir()
    shutil.copy(ROOT / "corpus" / "pdf" / "federal-register-2020-17221.pdf", source)
    index_dir = tmp_path / "index"
    runner = CliRunner()
    plain = runner.invoke(cli, ["ingest", str(source), "--index", str(index_dir), "--jobs", "2"])
    assert "page 8 of 15: no text layer (images only), not indexed (ingest with --ocr to read them)" in plain.output
    with_ocr = runner.invoke(cli, ["ingest", str(source), "--index", str(index_dir), "--jobs", "2", "--ocr"])
    assert with_ocr.exit_code == 0, with_ocr.output
    assert "0 new, 1 changed, 0 unchanged" in with_ocr.output  # read again: it had a page left out
    assert "page 8" not in with_ocr.output
    [record] = open_index(index_dir).documents()
    assert record.ocr_pages == (8,) and record.read_with_ocr
    on_page_8 = open_index(index_dir).passages("federal-register-2020-17221", page=8)
    assert on_page_8 and all("(OCR)" in h.citation for h in on_page_8 if h.page == 8)
    again = runner.invoke(cli, ["ingest", str(source), "--index", str(index_dir)])
    assert "0 new, 0 changed, 1 unchanged" in again.output
    off = runner.invoke(cli, ["ingest", str(source), "--index", str(index_dir), "--no-ocr", "--rebuild"])
    assert "page 8 of 15: no text layer" in off.output


def test_ocr_without_an_engine_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "missing_engine", lambda: "OCR needs RapidOCR: pip install 'policy-search[ocr]' (rapidocr and onnxruntime)")
    result = CliRunner().invoke(cli, ["ingest", str(SCANS), "--index", str(tmp_path / "index"), "--ocr"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "Error: --ocr: OCR needs RapidOCR: pip install 'policy-search[ocr]' (rapidocr and onnxruntime)"
    )
