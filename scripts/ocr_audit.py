"""The OCR audit (scripts/audit.py ocr): character error rates against known text, and spans
of the known text searched in the scans ingested with --ocr."""

from __future__ import annotations

import random
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from audit import _WORD, HAN, fold_han, fold_latin
from rapidfuzz.distance import Levenshtein

from policy_search import ingest, open_index
from policy_search.documents.language import detect_language
from policy_search.documents.readers.ocr import OcrSettings
from policy_search.documents.readers.pdf import read_pdf
from policy_search.documents.readers.text import PRINTED_NUMBER

#: the issue's targets: characters wrong per character of the known text, by language
CER_TARGETS = {"zh-Hans": 0.03, "zh-Hant": 0.03, "en": 0.03, "fr": 0.05}
FOUND_TARGET = 0.9
_FOLIO = re.compile(r"^[\s\-–—]*\d{1,5}[\s\-–—]*$")
_HAN4 = re.compile(f"(?=([{HAN}]{{4}}))")
_TRADITIONAL_ONLY = set("國於為與說這會來對時們個應當發經關過還長無實體點樣麼從區華條權義務條憲")


def audit_ocr(
    scans: Path, truth: Path, engine: str, spans: int, seed: int, index_dir: Path | None = None
) -> dict[str, object]:
    """CER per language (and per page), then the span search over an index of the scans: the
    one at ``index_dir`` when given (ingested from ``scans`` with OCR), else one built here."""
    rng = random.Random(seed)
    known = sorted(path for path in scans.glob("*.pdf") if (truth / f"{path.stem}.txt").is_file())
    with tempfile.TemporaryDirectory(prefix="policy-search-ocr-audit-") as tmp:
        started = time.perf_counter()
        report = None
        if index_dir is None:
            index_dir = Path(tmp) / "index"
            report = ingest([scans], index_dir, jobs=2, ocr=True) if engine == "auto" else None
        seconds = time.perf_counter() - started
        cache = index_dir.with_name(f".{index_dir.name}.cache")
        settings = OcrSettings(cache, french_by_tesseract=engine == "auto")
        errors: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        pages = []
        searched: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # spans, found on the page, wrong pages
        index = open_index(index_dir) if engine == "auto" else None
        for path in known:
            source = read_pdf(path.read_bytes(), "", None, settings)
            truths = _truth_pages(truth / f"{path.stem}.txt")
            for page, known_text in zip(source.pages, truths, strict=False):
                lang = _language(known_text)
                han = lang.startswith("zh")
                read = _normal(_page_text(page.lines), han)
                expected = _normal(known_text, han)
                distance = Levenshtein.distance(read, expected)
                errors[lang][0] += distance
                errors[lang][1] += len(expected)
                pages.append({"scan": path.name, "page": page.number, "lang": lang, "cer": round(distance / max(1, len(expected)), 4)})
                if index is not None:
                    counts = _search_spans(index, path.stem, page.number, known_text, truths, lang, spans, rng)
                    for k, v in enumerate(counts):
                        searched[lang][k] += v
    cer = {lang: round(wrong / max(1, total), 4) for lang, (wrong, total) in sorted(errors.items())}
    found = {lang: {"spans": n, "found_on_page": f, "share": round(f / max(1, n), 4), "wrong_page_hits": w}
             for lang, (n, f, w) in sorted(searched.items())}
    passed = all(cer[lang] <= CER_TARGETS.get(lang, 0.03) for lang in cer) and all(
        v["share"] >= FOUND_TARGET and not v["wrong_page_hits"] for v in found.values()
    )
    return {
        "engine": engine,
        "cer": cer,
        "pages": pages,
        "spans": found,
        "ingest_seconds": round(seconds, 1) if report is not None else None,  # None: not ingested here
        "ingest": report.summary() if report is not None else "",
        "passed": passed,
    }


def ocr_table(result: dict[str, object]) -> str:
    lines = [f"engine: {result['engine']}", "", "| language | CER | target | pages |", "| --- | --- | --- | --- |"]
    pages: list[dict[str, object]] = result["pages"]  # type: ignore[assignment]
    for lang, cer in result["cer"].items():  # type: ignore[attr-defined]
        count = sum(1 for p in pages if p["lang"] == lang)
        lines.append(f"| {lang} | {cer:.2%} | {CER_TARGETS.get(lang, 0.03):.0%} | {count} |")
    if result["spans"]:
        lines += ["", "| language | spans | found on their page | share | hits on a wrong page |", "| --- | --- | --- | --- | --- |"]
        for lang, v in result["spans"].items():  # type: ignore[attr-defined]
            lines.append(f"| {lang} | {v['spans']} | {v['found_on_page']} | {v['share']:.1%} | {v['wrong_page_hits']} |")
        if result["ingest_seconds"] is not None:
            lines.append(f"\ningest --ocr --jobs 2: {result['ingest_seconds']} s ({result['ingest']})")
    lines.append("per page: " + ", ".join(f"{p['scan']} p.{p['page']} {p['cer']:.2%}" for p in pages))
    return "\n".join(lines)


def _truth_pages(path: Path) -> list[str]:
    """The known text of each page, without what the reader drops as page furniture: folios,
    and lines that stand on every page (a running header)."""
    pages = [page.strip("\n").splitlines() for page in path.read_text(encoding="utf-8").split("\f")]
    everywhere = set.intersection(*(set(lines) for lines in pages)) if len(pages) > 1 else set()
    return ["\n".join(line for line in lines if line not in everywhere and not _FOLIO.match(line) and not PRINTED_NUMBER.match(line))
            for lines in pages]


def _page_text(lines: tuple[str, ...]) -> str:
    return "\n".join(line.lstrip("#").strip() for line in lines if line.strip())


def _normal(text: str, han: bool) -> str:
    """Text as compared: no whitespace in Chinese, one space between Latin words."""
    return re.sub(r"\s+", "", text) if han else " ".join(text.split())


def _language(text: str) -> str:
    lang = detect_language(text)
    if lang != "zh":
        return lang
    return "zh-Hant" if sum(1 for c in text if c in _TRADITIONAL_ONLY) >= 0.02 * len(text) else "zh-Hans"


def _search_spans(
    index: object, doc_id: str, number: int, text: str, truths: list[str], lang: str, count: int, rng: random.Random
) -> tuple[int, int, int]:
    """Spans of one page's known text searched in its document: how many, how many found on
    that page, and how many hits holding the span were cited on a page whose known text does not."""
    han = lang.startswith("zh")
    if han:
        joined = re.sub(r"\s+", "", text)
        candidates = sorted({m.group(1) for m in _HAN4.finditer(joined)})
    else:
        words = [w.group(0) for w in _WORD.finditer(text)]
        candidates = sorted({f"{a} {b}" for a, b in zip(words, words[1:], strict=False)})
    chosen = rng.sample(candidates, min(count, len(candidates)))
    fold = fold_han if han else (lambda t: " ".join(re.findall(r"[^\W_]+", fold_latin(t, lang))))
    holding = [fold(re.sub(r"\s+", "" if han else " ", page)) for page in truths]
    found = wrong = 0
    for span in chosen:
        query = span if han else f'"{span}"'
        results = index.search(query, limit=20, doc=doc_id)  # type: ignore[attr-defined]
        # Chinese as typed ranks first; the hits after it hold the run's words apart, not the span
        hits = results.hits[: results.exact] if han else results.hits
        pages = {hit.page for hit in hits}
        if number in pages:
            found += 1
        # a hit whose text holds the span, cited on a page whose known text does not (hits may
        # match in the title or a heading instead, or a stem: "mort ou" finds "morts, ou")
        folded = fold(span)
        wrong += sum(
            1
            for hit in hits
            if hit.page is not None and folded in fold(" ".join(hit.text.split())) and folded not in holding[hit.page - 1]
        )
    return len(chosen), found, wrong
