"""PDF with pdfplumber: words into lines in reading order (columns, tables), running headers and
footers removed, page labels from the PDF or from the printed page numbers.

The result is the same Source of pages of lines that text files give, so the rest of the
pipeline (clean, structure, passages) is shared. Three things are carried in the lines
themselves: a blank line where the layout shows a paragraph break (a vertical gap, or a
first-line indent), ``#``/``##``/``###`` before a line set in a larger type than the body (a
heading, which structure reads as Markdown would be read), and `` | `` between the cells of a
ruled table, one row a line.
"""

from __future__ import annotations

import bisect
import io
import itertools
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from policy_search.documents.headings import RUNS_ON, TWO_SENTENCES, is_figures, match_line
from policy_search.documents.readers import PdfError, PdfPasswordError
from policy_search.documents.readers.fields import clean_title
from policy_search.documents.readers.layout import row_text
from policy_search.documents.readers.ocr import LOW_CONFIDENCE, OcrPage, OcrSettings, PdfPages
from policy_search.documents.readers.pdf_chars import with_faster_chars
from policy_search.documents.readers.text import PAGE_MARKER_ZH, PRINTED_NUMBER
from policy_search.model import Page, Source

#: the narrowest gap between two words, as a share of the type size (poppler's pdftotext uses 0.1)
_WORD_GAP = 0.1
#: on a letter-spaced page that sets a space glyph between its words, the narrowest gap that is
#: a word break without one: its letters stand apart (an OCR layer fitted to a scan's letters) but
#: its writer says where words end
_SPACED_WORD_GAP = 0.3
_SPACED_SHARE = 0.1  # space glyphs per other glyph from which a page sets its own spaces
_LETTER_SPACED_SHARE = 0.05  # letters a word gap apart, per pair of neighbours, on a letter-spaced page

_GARBLED = re.compile(r"\(cid:\d+\)|[\ufffd\ue000-\uf8ff]")
_GARBLED_SHARE = 0.1  # a page with more unreadable glyphs than this is reported, not indexed
_MIN_PAGE_CHARS = 20  # fewer characters than this on a page with an image: a scan, no text layer
_PAGE_WORDS = re.compile(r"^\s*(?:page|p\.|pg\.?)\s*(\d{1,5})(?:\s*(?:of|/|sur|de)\s*\d+)?\s*$", re.IGNORECASE)
_N_OF_M = re.compile(r"^\s*(\d{1,5})\s*/\s*\d{1,5}\s*$")
_DIGITS = re.compile(r"\d+")
_HAN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: a heading holds a word of two letters or a Han character: "N/A" or "X" set apart is a form's answer
_WORDLIKE = re.compile(r"[^\W\d_]{2}|[\u3400-\u9fff\uf900-\ufaff]")
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
#: a standalone line in bold body type is a heading below every heading set larger
_BOLD_MARK = "#### "


@dataclass(frozen=True)
class _Line:
    """A line of text on a page with its box; ``size`` is its most common font size."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    paragraph_start: bool = False
    gap: float = 0.0  # space above the line, from the line before it in its column
    bold: bool = False  # every word set in a bold face
    #: every font size on the line (a run-in label in small capitals shares a line with the body)
    sizes: frozenset[float] = frozenset()
    #: read from text turned a quarter round: set apart from the page's flow, never its heading
    turned: bool = False


@dataclass(frozen=True)
class PageText:
    """What one page holds: its words and ruled tables, then its lines in reading order."""

    number: int
    words: tuple[dict[str, Any], ...]
    tables: tuple[tuple[_Line, ...], ...]
    chars: int
    images: int
    garbled: bool
    lines: tuple[_Line, ...] = ()
    rotated: tuple[dict[str, Any], ...] = ()  # turned words, boxed as read with the page turned
    ocr: OcrPage | None = None  # what OCR read, on a page without a usable text layer


def read_pdf(
    data: bytes, password: str = "", pages_read: Mapping[int, PageText] | None = None, ocr: OcrSettings | None = None
) -> Source:
    """The pages of a PDF as lines in reading order, with page labels and problems noted.

    ``pages_read`` holds pages that ``read_pages`` read already (in other processes), by
    number: the rest are read here. Their lines are put in order here, with the whole
    document's body type size. With ``ocr``, pages without a usable text layer (scans, images,
    fonts that give no text) are read by OCR, and their lines take the same road.

    Raises PdfError for a PDF that cannot be opened or has no usable text at all; pages that
    cannot be used in an otherwise readable PDF are listed in ``Source.warnings``.
    """
    pages_read = pages_read or {}
    with _opened(data, password) as pdf, _ocr_of(data, password, ocr) as by_ocr:
        try:
            pages = []
            for number, page in enumerate(pdf.pages, start=1):
                if number in pages_read:
                    pages.append(pages_read[number])
                    continue
                pages.append(_page_text(page, number, by_ocr))
                page.close()  # pdfplumber keeps every page's layout objects until told: 700 MB for 98 pages
            pages, body_size = _in_reading_order(pages)
            if by_ocr is not None:
                # a page whose only text is a running header (a table printed as an image under
                # it) is known for a scan only once the running lines are: read it now
                running = _running_lines([p for p in pages if not p.garbled])[0]
                images = [p.number for p in pages if _is_scan(p, _kept(p, running))]
                if images:
                    pages = [_read_by_ocr(p.number, by_ocr.read(p.number), p.images) if p.number in images else p for p in pages]
                    pages, body_size = _in_reading_order(pages)
            printed = _pdf_page_labels(pdf.doc, len(pages))
            metadata_title = str(pdf.metadata.get("Title") or "")
            metadata_date = _pdf_date(pdf.metadata.get("CreationDate"))
        except PdfError:
            raise
        except Exception as exc:
            raise PdfError(f"corrupt or truncated PDF ({_reason(exc)})") from exc
    if not pages:
        raise PdfError("the PDF has no pages")
    title = clean_title(metadata_title) or _first_page_title(pages, body_size)
    return replace(_assemble(pages, printed, title), date=metadata_date)


def page_count(data: bytes, password: str = "") -> int:
    """How many pages a PDF has (its page tree only is read); raises PdfError as read_pdf does."""
    with _opened(data, password) as pdf:
        try:
            return len(pdf.pages)
        except Exception as exc:
            raise PdfError(f"corrupt or truncated PDF ({_reason(exc)})") from exc


def read_pages(data: bytes, password: str, numbers: range, ocr: OcrSettings | None = None) -> dict[int, PageText]:
    """Pages of a PDF read as read_pdf reads each one, by number (from 1), for read_pdf to
    finish: the slow part of a long PDF, shared between processes. Raises PdfError."""
    with _opened(data, password) as pdf, _ocr_of(data, password, ocr) as by_ocr:
        try:
            read = {}
            for number in numbers:
                page = pdf.pages[number - 1]
                read[number] = _page_text(page, number, by_ocr)
                page.close()
            return read
        except PdfError:
            raise
        except Exception as exc:
            raise PdfError(f"corrupt or truncated PDF ({_reason(exc)})") from exc


@contextmanager
def _opened(data: bytes, password: str) -> Iterator[Any]:
    """The PDF opened with pdfplumber, or PdfError (PdfPasswordError for a password problem)."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data), password=password)
    except Exception as exc:  # pdfminer raises many types for damaged files; pdfplumber wraps them
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if isinstance(cause, PDFPasswordIncorrect):
            if password:
                raise PdfPasswordError("encrypted PDF: the password given with --password does not open it") from None
            raise PdfPasswordError("encrypted PDF: it needs a password (give it with --password)") from None
        raise PdfError(f"corrupt or truncated PDF ({_reason(exc)})") from exc
    with pdf:
        yield pdf


@contextmanager
def _ocr_of(data: bytes, password: str, settings: OcrSettings | None) -> Iterator[PdfPages | None]:
    """The PDF's pages for OCR to read, when asked for; PdfError when no engine can run."""
    if settings is None:
        yield None
        return
    pages = PdfPages(data, password, settings)
    try:
        yield pages
    finally:
        pages.close()


def _reason(exc: Exception) -> str:
    message = str(exc).strip() or "no detail"
    return f"{type(exc).__name__}: {message[:160]}"


def _assemble(pages: list[PageText], printed: list[str] | None, metadata_title: str) -> Source:
    running, labels, running_title = _running_lines([p for p in pages if not p.garbled])
    marks = _heading_marks([line for page in pages for line in page.lines])
    result: list[Page] = []
    scanned, garbled, read_by_ocr = [], [], []
    unsure: list[tuple[int, float]] = []
    not_read: dict[str, list[int]] = {}  # by OCR, by why
    for page in pages:
        label = printed[page.number - 1] if printed else labels.get(page.number, "")
        kept = [] if page.garbled else _kept(page, running)
        if page.garbled:
            garbled.append(page.number)
        elif page.ocr is not None:
            if not kept:
                not_read.setdefault(page.ocr.problem or "OCR found only a page number or header", []).append(page.number)
            else:
                read_by_ocr.append(page.number)
                if page.ocr.confidence < LOW_CONFIDENCE:
                    unsure.append((page.number, page.ocr.confidence))
        elif _is_scan(page, kept):  # an image and at most a running header or a figure's id
            scanned.append(page.number)
            kept = []
        result.append(Page(page.number, _as_text(kept, marks), label))
    with_text = [p for p in result if p.lines]
    if not with_text:
        if not_read and not scanned and not garbled:
            raise PdfError(f"no text found by OCR in {len(pages)} page(s) ({'; '.join(not_read)})")
        if garbled and not scanned:
            raise PdfError(
                f"no readable text: the fonts of all {len(pages)} page(s) yield (cid:NN) or unknown glyphs "
                "(ingest with --ocr to read their images)"
            )
        if scanned:
            raise PdfError(f"no text layer: {len(pages)} page(s) of scanned images (ingest with --ocr to read them)")
        raise PdfError(f"no text found in {len(pages)} page(s)")
    warnings = []
    if scanned:
        warnings.append(f"{_page_list(scanned)} of {len(pages)}: no text layer (images only), not indexed (ingest with --ocr to read them)")
    if garbled:
        warnings.append(
            f"{_page_list(garbled)} of {len(pages)}: the fonts yield (cid:NN) or unknown glyphs, not indexed "
            "(ingest with --ocr to read their images)"
        )
    for problem, numbers in not_read.items():
        warnings.append(f"{_page_list(numbers)} of {len(pages)}: {problem}, not indexed")
    for number, confidence in unsure:
        warnings.append(f"page {number}: OCR confidence {confidence:.2f} (under {LOW_CONFIDENCE:.2f}): its text may be misread")
    return Source(
        pages=tuple(result),
        title=metadata_title or _display_title(with_text[0]),
        fallback_title=running_title,
        encoding="pdf",
        warnings=tuple(warnings),
        unusable_pages=len(pages) - len(with_text),
        ocr_pages=tuple(read_by_ocr),
    )


def _display_title(page: Page) -> str:
    """The heading in the largest type on a page (the title of a first page), if any."""
    headings = [line for line in page.lines if line.startswith("#")]
    if not headings:
        return ""
    best = min(headings, key=lambda line: len(line) - len(line.lstrip("#")))
    return best.lstrip("#").strip()


def _page_list(numbers: Sequence[int]) -> str:
    """1, 2, 3, 7 -> "pages 1-3, 7"."""
    spans = []
    for _, run in itertools.groupby(enumerate(numbers), key=lambda item: item[1] - item[0]):
        values = [n for _, n in run]
        spans.append(str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}")
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(spans)


# --- one page -----------------------------------------------------------------------------------


def _page_text(page: Any, number: int, by_ocr: PdfPages | None = None) -> PageText:
    page = with_faster_chars(page)
    # Characters printed twice in one place (fake bold) count once; pdfplumber's own
    # dedupe_chars does this too but takes seconds a page.
    seen: set[tuple[str, int, int]] = set()
    doubles: set[int] = set()
    for char in page.chars:
        key = (char["text"], round(char["x0"]), round(char["top"]))
        if key in seen:
            doubles.add(id(char))
        seen.add(key)
    doubles |= _overprinted_spaces(page.chars)
    doubles |= _composed_accents(page.chars)
    # Characters outside the page's visible box are not on the page: a spread cut into pages
    # carries the whole spread on each, and viewers and pdftotext show only the page's part.
    x0, top, x1, bottom = page.bbox
    directions = {
        id(char): _direction(char)
        for char in page.chars
        if id(char) not in doubles
        and x0 <= (char["x0"] + char["x1"]) / 2 <= x1
        and top <= (char["top"] + char["bottom"]) / 2 <= bottom
    }

    def set_in(direction: str) -> Any:  # the page with only its characters that run this way
        return page.filter(lambda obj: obj.get("object_type") != "char" or directions.get(id(obj)) == direction)

    upright = set_in("ltr")
    chars = [c for c in upright.chars if not c["text"].isspace()]
    images = len(page.images)
    garbled_chars = sum(1 for c in chars if _GARBLED.search(c["text"]))
    if chars and garbled_chars / len(chars) > _GARBLED_SHARE:
        if by_ocr is not None:
            return _read_by_ocr(number, by_ocr.read(number), images)
        return PageText(number, (), (), len(chars), images, garbled=True)
    tables = _tables(upright) if chars else []
    spaced = sum(1 for c in upright.chars if c["text"] == " ") >= _SPACED_SHARE * len(chars)
    gap = _SPACED_WORD_GAP if spaced and _letter_spaced(upright.chars) else _WORD_GAP
    words = [w for w in _words(upright, gap=gap) if not any(_inside(w, box) for box, _ in tables)]
    # Text turned a quarter round (a landscape table on a portrait page, a figure's axis, a
    # printer's slug in the margin) is read in its own direction and follows the page's text.
    rotated = []
    present = set(directions.values())
    for direction in [d for d in ("btt", "ttb") if d in present]:
        turned = set_in(direction)
        for char in turned.chars:
            char["size"] = char["x1"] - char["x0"]  # pdfminer gives a turned glyph's advance, not its size
            char["upright"] = False  # so that pdfplumber reads it in its direction (see _direction)
        rotated += [_turned(w, direction, page.width, page.height) for w in _words(turned, direction)]
    found = len(chars) + sum(len(w["text"]) for w in rotated)
    if not found or (found < _MIN_PAGE_CHARS and images):
        if images and by_ocr is not None:
            return _read_by_ocr(number, by_ocr.read(number), images)
        return PageText(number, (), (), 0, images, garbled=False)  # a scan with a few stray characters is one
    return PageText(
        number, tuple(words), tuple(lines for _, lines in tables), found, images, garbled=False, rotated=tuple(rotated)
    )


def _in_reading_order(pages: list[PageText]) -> tuple[list[PageText], float]:
    """The pages with their lines in reading order, and the document's body type size (the
    whole document's: pages of long footnotes would mislead)."""
    pages = _ocr_sized_as_text(pages)
    body_size = _body_size((w["size"], len(w["text"])) for page in pages for w in page.words)
    ordered = [
        replace(
            p,
            lines=(
                *_reading_order(list(p.words), p.tables, body_size),
                *(replace(line, turned=True) for line in _reading_order(list(p.rotated), (), body_size)),
            ),
        )
        for p in pages
    ]
    return ordered, body_size


def _kept(page: PageText, running: set[tuple[int, int]]) -> list[_Line]:
    """A page's lines without its running headers, footers and page numbers."""
    return [line for i, line in enumerate(page.lines) if (page.number, i) not in running]


def _is_scan(page: PageText, kept: Sequence[_Line]) -> bool:
    """A page of images whose text, running lines aside, is at most a figure's id: a scan or a plate."""
    return page.ocr is None and not page.garbled and bool(page.images) and sum(len(line.text) for line in kept) < _MIN_PAGE_CHARS


def _ocr_sized_as_text(pages: list[PageText]) -> list[PageText]:
    """Pages read by OCR with their sizes scaled so that their common line is the text layer's
    body type (a PDF of text pages and scanned ones: a heading is larger than both)."""
    text_words = [w for page in pages if page.ocr is None for w in page.words]
    if not text_words or all(page.ocr is None for page in pages):
        return pages
    factor = _body_size((w["size"], len(w["text"])) for w in text_words) / OCR_BODY_SIZE
    return [
        replace(page, words=tuple({**w, "size": round(w["size"] * factor, 1)} for w in page.words)) if page.ocr else page
        for page in pages
    ]


def _read_by_ocr(number: int, read: OcrPage, images: int) -> PageText:
    """A page as OCR read it: its lines are words to the layout rules, as a text layer's are;
    a line standing on end on an upright page (an arXiv stamp in the margin, a table's turned
    heading) is turned text, read after the page's and never its heading or title."""
    apart = _set_apart(read.lines)
    upright = replace(read, lines=tuple(line for line in read.lines if line not in apart))
    words = tuple(_ocr_words(upright))
    turned = tuple(
        {"text": line.text, "x0": line.top, "x1": line.bottom, "top": line.x0, "bottom": line.x1,
         "size": OCR_BODY_SIZE, "fontname": "OCR", "upright": False}
        for line in apart
    )
    chars = sum(len(w["text"]) for w in (*words, *turned))
    return PageText(number, words, (), chars, images, garbled=False, rotated=turned, ocr=read)


def _set_apart(lines: Sequence[Any]) -> list[Any]:
    """Lines read apart from the page's text: those standing on end, and a character or two
    standing in the margin beyond every long line (pieces of a stamp turned in the margin, a
    line number), which would otherwise join the line beside them ("2 facto method")."""
    long_lines = [line for line in lines if len(line.text) >= 6 and not _on_end(line)]
    if not long_lines:
        return [line for line in lines if _on_end(line)]
    left, right = min(line.x0 for line in long_lines), max(line.x1 for line in long_lines)
    return [
        line
        for line in lines
        if _on_end(line) or (len(line.text.replace(" ", "")) <= 2 and (line.x1 < left or line.x0 > right))
    ]


def _on_end(line: Any) -> bool:
    """A line of two characters or more whose box is taller than wide: it reads top to bottom
    (one character alone is taller than wide either way)."""
    return len(line.text.replace(" ", "")) >= 2 and line.bottom - line.top > line.x1 - line.x0


#: the type size of the common line of a page read by OCR: a box's height is no measure of its
#: type's (the margin the detector adds varies with the line's length), so sizes are relative to
#: the common line's, which read_pdf sets to the text layer's body size in a PDF that has one
OCR_BODY_SIZE = 10.0
_OCR_SAME_TYPE = (0.8, 1.3)  # sizes within this share of the common line's are its type
_OCR_SHORT_LINE = 6  # characters (spaces aside): a shorter line is only larger from 1.45 times
_OCR_SHORT_LARGER = 1.45
#: a folio between dashes as OCR reads it: a dash is often read as 一 (one) or ~, and the two
#: dashes of "— 3 —" as one character with the number ("-3一")
_OCR_FOLIO = re.compile(r"^[\s\-–—一~_·.]*(\d{1,5})[\s\-–—一~_·.]*$")


def _ocr_words(read: OcrPage) -> list[dict[str, Any]]:
    """OCR's lines as pdfplumber's words, each with a type size found from its box.

    A box is no exact measure of its type: it is taller than the type by a margin that grows as
    the line gets shorter (the detector's), taller for a Latin line with descenders, and wider
    than its characters where the text has spaces OCR did not keep. So a line is measured
    against the page's common line two ways: by its height, and by its width per character; for
    Han characters (as wide as they are tall) the smaller of the two is taken, for Latin ones
    their mean (a 14-point title over 10-point text: boxes 1.29 times as tall, characters 1.4
    times as wide), or the width alone when the box is far taller than that (the detector took a
    mark in the margin into the line). Tesseract measures each line's type itself, which is
    taken instead. A short
    line (a label, a number) is only larger when clearly so, since every measure errs most on a
    short line. Sizes vary from line to line where a text layer's do not, so a line about the
    size of the common one takes its size (OCR_BODY_SIZE): else every line would be a size of
    its own, and the larger ones headings.
    """
    if not read.lines:
        return []
    long_lines = [line for line in read.lines if len(line.text) >= 6] or list(read.lines)
    usual_height = statistics.median(line.bottom - line.top for line in long_lines)
    usual_size = statistics.median([line.size for line in long_lines if line.size] or [0.0])
    usual_han = statistics.median([w for w in map(_han_width, long_lines) if w] or [0.0])
    usual_latin = statistics.median([w for w in map(_latin_width, long_lines) if w] or [0.0])
    body = OCR_BODY_SIZE
    low, high = _OCR_SAME_TYPE
    words = []
    for line in read.lines:
        relative = (line.bottom - line.top) / usual_height
        han_width, latin_width = _han_width(line), _latin_width(line)
        if line.size and usual_size:  # the engine's own measure (Tesseract's), before the box's
            relative = line.size / usual_size
        elif han_width and usual_han:
            relative = min(relative, han_width / usual_han)
        elif latin_width and usual_latin:
            wide = latin_width / usual_latin
            # a box far taller than its characters are wide holds more than its line (a mark in
            # the margin read with it): its width says the type's size
            relative = wide if relative > 1.5 * wide else (relative + wide) / 2
        folio = _OCR_FOLIO.match(line.text)
        text = f"— {folio.group(1)} —" if folio and folio.group(0) != folio.group(1) else line.text
        characters = len(line.text.replace(" ", ""))
        if characters < 2:  # a mark, a stray dot: its box says nothing of a type's size
            relative = 1.0
        larger = high if characters >= _OCR_SHORT_LINE else _OCR_SHORT_LARGER
        words.append(
            {
                "text": text,
                "x0": line.x0,
                "x1": line.x1,
                "top": line.top,
                "bottom": line.bottom,
                "size": body if low <= relative <= larger else round(body * relative, 1),
                "fontname": "OCR",
                "upright": True,
            }
        )
    return _one_size_each(words)


def _one_size_each(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sizes measured apart by less than OCR's error made one (the larger's): the two lines of
    a title ("Constitution of the Republic of China" / "(Taiwan)") are one size, one heading."""
    sizes = sorted({w["size"] for w in words}, reverse=True)
    same: dict[float, float] = {}
    for size in sizes:
        larger = next((s for s in same.values() if size >= s / _OCR_SAME_TYPE[1]), None)
        same[size] = larger if larger is not None else size
    return [{**w, "size": same[w["size"]]} for w in words]


def _latin_width(line: Any) -> float:
    """A line's width per character when it holds no Han (or other full-width) character."""
    text = line.text
    if not text or _HAN.search(text) or len(text.replace(" ", "")) < _OCR_SHORT_LINE:
        return 0.0
    return (line.x1 - line.x0) / len(text)


def _han_width(line: Any) -> float:
    """A line's width per character when most of it is Han (or other full-width) characters."""
    text = line.text.replace(" ", "")
    wide = sum(1 for char in text if unicodedata.east_asian_width(char) in "WF")
    if not text or wide < 0.3 * len(text):  # Chinese with its numbers: 23 of 40 characters wide
        return 0.0
    return (line.x1 - line.x0) / (wide + 0.55 * (len(text) - wide))


def _letter_spaced(chars: list[dict[str, Any]]) -> bool:
    """Whether many neighbouring letters on a line stand a word gap apart (more than a tenth of the
    type size) with no space glyph between them; in typeset text only a dash's thin spaces do."""
    pairs = apart = 0
    for a, b in itertools.pairwise(chars):
        if a["text"].isspace() or b["text"].isspace() or abs(a["top"] - b["top"]) > 0.2 * a["size"]:
            continue
        gap = b["x0"] - a["x1"]
        if -0.05 * a["size"] <= gap <= _SPACED_WORD_GAP * a["size"]:
            pairs += 1
            apart += gap > _WORD_GAP * a["size"]
    return pairs >= 20 and apart >= _LETTER_SPACED_SHARE * pairs


def _direction(char: dict[str, Any]) -> str:
    """Which way a character's line runs: ltr (upright, or upside down), btt (turned a quarter
    anticlockwise), ttb (a quarter clockwise), or "" (at a slant: a watermark)."""
    # from the matrix alone: pdfminer's "upright" is true of a quarter turn whose cosine came out
    # as 1e-17 rather than 0 (a chart's axis labels)
    a, b, _, _, _, _ = char.get("matrix") or (1, 0, 0, 1, 0, 0)
    if abs(b) <= 1e-3 * abs(a):
        return "ltr"
    if abs(a) < 1e-3 * abs(b):
        return "btt" if b > 0 else "ttb"
    return ""


def _words(page: Any, turned: str = "", gap: float = _WORD_GAP) -> list[dict[str, Any]]:
    """The words of a page's upright characters, or of its characters turned one way (btt, ttb);
    a word ends at a space glyph or a gap wider than ``gap`` times the type size."""
    # a word ends where the gap to the next glyph is wider than a share of the type size, not
    # than a fixed 3 points: in small or tightly justified type word spaces are narrower than that
    direction = {"char_dir_rotated": turned, "line_dir_rotated": "ltr" if turned == "btt" else "rtl"} if turned else {}
    found = page.extract_words(
        extra_attrs=["size", "fontname"], keep_blank_chars=False, use_text_flow=False,
        x_tolerance=gap * 12, x_tolerance_ratio=gap, **direction,
    )
    words = []
    for word in found:
        text = _GARBLED.sub("", word["text"])
        if text.strip():
            words.append({**word, "text": text})
    return words


def _turned(word: dict[str, Any], direction: str, width: float, height: float) -> dict[str, Any]:
    """A turned word's box as it stands when the page is turned to read it, so that it is grouped
    into lines and columns as upright words are."""
    if direction == "btt":
        box = {"x0": height - word["bottom"], "x1": height - word["top"], "top": word["x0"], "bottom": word["x1"]}
    else:
        box = {"x0": word["top"], "x1": word["bottom"], "top": width - word["x1"], "bottom": width - word["x0"]}
    return {**word, **box}


#: accents that some typesetters (TeX's Type 1 fonts, the Federal Register's) set as glyphs of
#: their own over or under a letter, and the combining marks they stand for
_SPACING_ACCENTS = {
    "`": "\u0300", "´": "\u0301", "ˆ": "\u0302", "˜": "\u0303", "¯": "\u0304", "˘": "\u0306",
    "˙": "\u0307", "¨": "\u0308", "˚": "\u030a", "˝": "\u030b", "ˇ": "\u030c", "¸": "\u0327", "˛": "\u0328",
}


def _composed_accents(chars: list[dict[str, Any]]) -> set[int]:
    """Accent glyphs set over (or under) the letter beside them in the content stream: the
    letter takes the accent (``g`` ``˘`` is ``ğ``, ``c`` ``¸`` is ``ç``), and the glyph's id is
    returned to be dropped. An accent standing on its own (a backtick as a currency sign) stays."""
    found = set()
    for k, accent in enumerate(chars):
        mark = _SPACING_ACCENTS.get(accent["text"])
        if mark is None:
            continue
        middle = (accent["x0"] + accent["x1"]) / 2
        for letter in (chars[k - 1] if k else None, chars[k + 1] if k + 1 < len(chars) else None):
            if (
                letter is not None
                and len(letter["text"]) == 1
                and letter["text"].isalpha()
                and letter["x0"] <= middle <= letter["x1"]
                and abs(letter["top"] - accent["top"]) < letter["bottom"] - letter["top"]
            ):
                composed = unicodedata.normalize("NFC", letter["text"] + mark)
                if len(composed) == 1:
                    letter["text"] = composed
                    found.add(id(accent))
                    break
    return found


def _overprinted_spaces(chars: list[dict[str, Any]]) -> set[int]:
    """Space glyphs drawn over other characters (some report writers pad cells with them:
    ``0 3 / 2 5 / 2 0 16``); they are not word breaks, and pdftotext ignores them too."""
    rows: dict[int, list[tuple[float, float]]] = {}
    for char in chars:
        if not char["text"].isspace():
            rows.setdefault(round(char["top"]), []).append((char["x0"], char["x1"]))
    for spans in rows.values():
        spans.sort()
    found = set()
    for char in chars:
        if not char["text"].isspace():
            continue
        width = max(char["x1"] - char["x0"], 0.01)
        for row in (round(char["top"]) - 1, round(char["top"]), round(char["top"]) + 1):
            spans = rows.get(row, [])
            at = bisect.bisect_left(spans, (char["x1"], char["x1"]))
            if any(min(x1, char["x1"]) - max(x0, char["x0"]) > 0.5 * width for x0, x1 in spans[max(at - 2, 0) : at]):
                found.add(id(char))
                break
    return found


def _tables(page: Any) -> list[tuple[tuple[float, float, float, float], tuple[_Line, ...]]]:
    """Ruled tables with at least two rows and two columns of text: their boxes, and a line per row
    with the cells joined by " | "."""
    found = []
    for table in page.find_tables():
        cells = table.extract(x_tolerance=_WORD_GAP * 12, x_tolerance_ratio=_WORD_GAP)
        rows = [[cell for cell in (" ".join(_GARBLED.sub("", c or "").split()) for c in row) if cell] for row in cells]
        rows = [row for row in rows if row]
        if len(rows) >= 2 and max(len(row) for row in rows) >= 2:
            x0, top, x1, bottom = table.bbox
            lines = tuple(_Line(row_text(row), x0, x1, top, bottom, 0.0, paragraph_start=True) for row in rows)
            found.append((table.bbox, lines))
    return found


def _inside(word: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    mid_x, mid_y = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return x0 <= mid_x <= x1 and top <= mid_y <= bottom


def _rows(words: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Words grouped into rows: a word joins one of the last rows if it overlaps most of its height
    or of the height of the row's body type, and stands beside the row's words, not over one of them.

    Overlap rather than equal tops, so a raised bullet, a footnote mark or a subscript stays on its
    line; measured against the row's body type, not its first word, because a superscript that
    opens a row (q with a 2 above and an s below) overlaps the subscripts after it not at all;
    beside, because a line of small type set over a display word (a cover's "We Care") is a line of
    its own, though scripts smaller than the body may stand over each other.
    """
    rows: list[list[dict[str, Any]]] = []
    sizes: list[Counter[float]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        for row, counted in zip(reversed(rows[-3:]), reversed(sizes[-3:]), strict=True):
            body_size = max(counted, key=lambda size: (counted[size], size))
            body = next(w for w in row if round(w["size"], 1) == body_size)
            overlap = min(body["bottom"], word["bottom"]) - max(body["top"], word["top"])
            if overlap >= 0.5 * min(body["bottom"] - body["top"], word["bottom"] - word["top"]) and not any(
                _covers(other, word) and not _scripts(other, word, row, body_size) for other in row
            ):
                row.append(word)
                counted[round(word["size"], 1)] += 1
                break
        else:
            rows.append([word])
            sizes.append(Counter([round(word["size"], 1)]))
    return [sorted(row, key=lambda w: w["x0"]) for row in rows]


def _scripts(one: dict[str, Any], other: dict[str, Any], row: list[dict[str, Any]], body_size: float) -> bool:
    """Whether two words over each other are a superscript and a subscript of one base: smaller
    than the body and set right after a word of the body type (q with a 2 above and an s below),
    not two lines of a small table heading beside a line of text."""
    if max(one["size"], other["size"]) >= 0.9 * body_size:
        return False
    start = min(one["x0"], other["x0"])
    return any(round(w["size"], 1) == body_size and abs(start - w["x1"]) <= 0.2 * body_size for w in row)


def _covers(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two words share more than half the narrower one's width: not neighbours on a line."""
    shared = min(one["x1"], other["x1"]) - max(one["x0"], other["x0"])
    return shared > 0.5 * min(one["x1"] - one["x0"], other["x1"] - other["x0"])


def _gutters(rows: list[list[dict[str, Any]]], body_size: float) -> list[float]:
    """x positions of the gaps between text columns, if the page is set in columns.

    A gutter is a vertical strip that (nearly) no row of text crosses, at least about a
    character wide, with prose on both sides: each column must hold words in a good share of
    the rows, and lines of a dozen characters or more on average (table columns do not). A
    masthead may cross it (a paper's title and authors span its columns, however many lines they
    take): the rows at the top of the page are set aside one by one, up to a third of them,
    until the rows below show a gutter.
    """
    if len(rows) < 8:
        return []
    left = min(w["x0"] for row in rows for w in row)
    right = max(w["x1"] for row in rows for w in row)
    width = int(right - left) + 2
    crossings = [0] * (width + 1)

    def count(row: list[dict[str, Any]], step: int) -> None:
        for w in row:
            crossings[int(w["x0"] - left)] += step
            crossings[int(w["x1"] - left) + 1] -= step

    for row in rows:
        count(row, 1)
    allowed = max(2, int(len(rows) * 0.1))  # titles and headers may span the columns
    min_gap = max(4.0, 0.4 * body_size)
    for top in range(len(rows) // 3 + 1):
        if top:
            count(rows[top - 1], -1)
        cover = list(itertools.accumulate(crossings))
        gaps = []
        for free, run in itertools.groupby(range(width), key=lambda x: cover[x] <= allowed):
            xs = list(run)
            if free and len(xs) >= min_gap and xs[0] > 0 and xs[-1] < width - 2:
                gaps.append(left + (xs[0] + xs[-1]) / 2)
        if gaps and _are_columns(rows[top:], gaps, left, right):
            return gaps
    return []


def _are_columns(rows: list[list[dict[str, Any]]], gaps: list[float], left: float, right: float) -> bool:
    """Whether the strips between gaps hold columns of prose: at most four, each wide enough,
    with words in a quarter of the rows or more, a dozen characters a line on average."""
    if len(gaps) > 3:
        return False
    bounds = [left, *gaps, right]
    for col in range(len(bounds) - 1):
        lo, hi = bounds[col], bounds[col + 1]
        if hi - lo < 0.15 * (right - left):
            return False
        segments = [[w for w in row if lo <= w["x0"] and w["x1"] <= hi] for row in rows]
        segments = [s for s in segments if s]
        if len(segments) < 0.25 * len(rows):
            return False
        if statistics.mean(sum(len(w["text"]) for w in s) + len(s) - 1 for s in segments) < 12:
            return False
    return True


def _column_of(word: dict[str, Any], bounds: list[float]) -> int:
    middle = (word["x0"] + word["x1"]) / 2
    return next(c for c in range(len(bounds) - 1) if middle < bounds[c + 1])


def _crosses(row: list[dict[str, Any]], gutters: list[float]) -> bool:
    return any(w["x0"] < g < w["x1"] for w in row for g in gutters)


def _line(words: list[dict[str, Any]]) -> _Line:
    sizes = Counter(round(w["size"], 1) for w in words)
    # words split where the font changes ("第" "20" "年", "AGENCY" ":") touch: no space between
    text = words[0]["text"]
    for before, word in itertools.pairwise(words):
        # beside Han characters a narrow gap is typesetting (第 20 年 is printed 第20年)
        han = _HAN.match(word["text"]) or _HAN.match(before["text"][-1])
        space = word["x0"] - before["x1"] > (0.5 if han else _WORD_GAP) * word["size"]
        text += (" " if space else "") + word["text"]
    return _Line(
        text=text,
        x0=min(w["x0"] for w in words),
        x1=max(w["x1"] for w in words),
        top=min(w["top"] for w in words),
        bottom=max(w["bottom"] for w in words),
        size=sizes.most_common(1)[0][0],
        bold=all(_BOLD.search(w["fontname"]) for w in words),
        sizes=frozenset(sizes),
    )


def _reading_order(words: list[dict[str, Any]], tables: Sequence[Sequence[_Line]], body_size: float) -> list[_Line]:
    """Lines in reading order: full-width rows in place, columns one after the other between them.

    Rows of the whole page find the gutters and the rows that span them; between two spanning
    rows (or tables), each column's words are grouped into lines again on their own, so that a
    line never takes a word from a neighbouring column set a little higher or lower. Footnotes
    (small type at the foot of a column) go to the end of the page, so that a sentence running
    on into the next column is not cut by them.
    """
    rows = _rows(words)
    gutters = _gutters(rows, body_size)
    bounds = [float("-inf"), *gutters, float("inf")]
    items: list[tuple[float, Sequence[_Line] | list[dict[str, Any]]]] = [(row[0]["top"], row) for row in rows]
    items += [(table[0].top, table) for table in tables if table]
    items.sort(key=lambda item: item[0])
    ordered: list[_Line] = []
    footnotes: list[_Line] = []
    columns: list[list[dict[str, Any]]] = [[] for _ in range(len(bounds) - 1)]
    spanning: list[_Line] = []  # consecutive full-width lines, read as one column
    columns_begun = False

    def flush() -> None:
        ordered.extend(_mark_paragraphs(spanning, body_size))
        spanning.clear()
        for column in columns:
            lines = [_line(row) for row in _rows(column)]
            foot = len(lines)
            while foot > 1 and lines[foot - 1].size < 0.92 * body_size:
                foot -= 1
            if foot < len(lines) and foot and lines[foot - 1].size >= 0.92 * body_size:
                footnotes.extend(lines[foot:])
                lines = lines[:foot]
            ordered.extend(_mark_paragraphs(lines, body_size))
            column.clear()

    for _, item in items:
        if item and isinstance(item[0], _Line):  # a table, row by row
            flush()
            ordered.extend(item)  # type: ignore[arg-type]
            continue
        row: list[dict[str, Any]] = item  # type: ignore[assignment]
        in_columns = {_column_of(w, bounds) for w in row}
        # above the first row that reaches into two columns (a masthead), rows read as full width
        columns_begun = columns_begun or len(in_columns) > 1
        if gutters and (_crosses(row, gutters) or not columns_begun):
            if any(columns):
                flush()  # a full-width line (a heading, a running header) ends the columns above it
            spanning.append(_line(row))
        else:
            if spanning:
                flush()
            for w in row:
                columns[_column_of(w, bounds)].append(w)
    flush()
    return ordered + _mark_paragraphs(footnotes, body_size)


def _body_size(sized: Iterable[tuple[float, int]]) -> float:
    """The type size most of the text (counted in characters) is set in."""
    counts: Counter[float] = Counter()
    for size, weight in sized:
        counts[round(size, 1)] += weight
    return counts.most_common(1)[0][0] if counts else 10.0


def _mark_paragraphs(lines: list[_Line], body_size: float) -> list[_Line]:
    """Mark lines that start a paragraph: after a vertical gap, or indented under a full line."""
    marked: list[_Line] = []
    if not lines:
        return marked
    left = min(line.x0 for line in lines)
    right = max(line.x1 for line in lines)
    gaps = [b.top - a.bottom for a, b in itertools.pairwise(lines)]
    usual = statistics.median(gaps) if gaps else 0.0  # line spacing differs: Chinese sets lines wider
    for i, line in enumerate(lines):
        if i == 0:
            marked.append(replace(line, paragraph_start=True, gap=float("inf")))
            continue
        prev = lines[i - 1]
        gap = line.top - prev.bottom
        size = line.size or body_size
        indented = line.x0 - left > 0.9 * size and prev.x1 > right - 3 * size and prev.x0 - left < 0.5 * size
        # a change of type size starts a paragraph (a heading, then its body) unless the line
        # before already had the new size in it (FOR FURTHER INFORMATION CONTACT: Ian / Won, ...)
        resized = abs(line.size - prev.size) > 0.6 and not any(abs(line.size - s) <= 0.6 for s in prev.sizes)
        starts = gap > max(usual * 1.6, usual + 0.4 * size) or indented or resized
        marked.append(replace(line, paragraph_start=starts, gap=gap))
    return marked


# --- across pages: running headers and footers, page labels -------------------------------------


def _template(text: str) -> str:
    return _DIGITS.sub("#", " ".join(text.lower().split()))


def _page_number(text: str) -> str:
    """The number of a line that is only a page number ("12", "- 12 -", "Page 12", "第12页", "xii")."""
    for pattern in (PRINTED_NUMBER, _PAGE_WORDS, PAGE_MARKER_ZH, _N_OF_M):
        found = pattern.match(text)
        if found:
            return found.group(1)
    return ""


def _edge_rows(page: PageText, count: int = 4) -> list[list[int]]:
    """The top and bottom ``count`` rows of a page, as indices of their lines (left to right).

    Rows by position, not reading order: a header split by the column gutters is still one row.
    """
    order = sorted(range(len(page.lines)), key=lambda i: page.lines[i].top)
    rows: list[list[int]] = []
    for i in order:
        if rows and page.lines[i].top - page.lines[rows[-1][0]].top <= 3:
            rows[-1].append(i)
        else:
            rows.append([i])
    chosen = rows[:count] + [row for row in rows[-count:] if row not in rows[:count]]
    return [sorted(row, key=lambda i: page.lines[i].x0) for row in chosen]


def _running_lines(pages: list[PageText]) -> tuple[set[tuple[int, int]], dict[int, str], str]:
    """Lines to drop (page, index), printed page labels by page, and a running title.

    In the first and last four rows of each page, a line that is only a page number goes, and
    so does a row whose text, digits aside, recurs in those rows on many pages. The printed page
    number is the number of such a line, or the number in a running row that grows by one from
    page to page.
    """
    text_pages = [p for p in pages if p.lines]
    edges: dict[int, list[tuple[list[int], str]]] = {}
    seen: Counter[str] = Counter()
    running: set[tuple[int, int]] = set()
    labels: dict[int, str] = {}
    for page in text_pages:
        page_edges = []
        for row in _edge_rows(page):
            kept = []
            for i in row:
                number = _page_number(page.lines[i].text)
                if number:
                    running.add((page.number, i))
                    labels.setdefault(page.number, number)
                else:
                    kept.append(i)
            if kept:
                page_edges.append((kept, " ".join(page.lines[i].text for i in kept)))
        edges[page.number] = page_edges
        seen.update({_template(_without_page_number(text)) for _, text in page_edges})
    threshold = max(2, int(0.3 * len(text_pages) + 0.5))
    exact = Counter(text for page_edges in edges.values() for _, text in page_edges)
    numbered: dict[str, list[tuple[int, str]]] = {}
    titles: Counter[str] = Counter()
    for page_number, page_edges in edges.items():
        for row, text in page_edges:
            template = _template(_without_page_number(text))
            if seen[template] < threshold:
                continue
            if _is_article(text) and exact[text] < threshold:
                continue  # pages that open on an article ("Article 143", "Article 150"): no header
            running.update((page_number, i) for i in row)
            if _DIGITS.search(text):  # odd and even pages apart: "47698 Federal ..." / "... Rules 47699"
                numbered.setdefault(_template(text), []).append((page_number, text))
            title = _without_page_number(text)
            if 6 <= len(title) <= 120 and re.search(r"[^\W\d_]", title) and not title.endswith("."):
                titles[title] += 1
    counted = sorted((_counting_digits(occurrences) for occurrences in numbered.values()), key=lambda c: not c[0])
    for _, values in counted:
        for page_number, value in values:
            labels.setdefault(page_number, str(value))
    # the most frequent running text, the shorter of equals: "Instructions for Form 1040NR"
    # over "Instructions for Form 1040NR 7:48 - 6-DEC-2007"
    best = min(titles.items(), key=lambda item: (-item[1], len(item[0])), default=("", 0))
    return running, labels, best[0] if best[1] >= 2 else ""


def _is_article(text: str) -> bool:
    """Whether a line is an article's heading ("Article 143", "第 5 條"), whose number is no page's."""
    rule = match_line(text.strip())
    return rule is not None and rule.article


def _without_page_number(text: str) -> str:
    text = re.sub(r"^\s*[-–—]?\s*\d{1,5}\s*[-–—]?\s+|\s+[-–—]?\s*\d{1,5}\s*[-–—]?\s*$", "", text)
    text = re.sub(r"^(?:page|p\.)\s*\d+\s*(?:of\s*\d+)?\s*", "", text, flags=re.IGNORECASE)
    return text.strip()


def _counting_digits(occurrences: list[tuple[int, str]]) -> tuple[bool, list[tuple[int, int]]]:
    """The digits of a running row that count pages (their value minus the page number is fixed).

    Also whether they stand at an end of the row, where page numbers are printed: "47705" in
    "Federal Register/.../Proposed Rules 47705" beats "00008" in a printer's "Frm 00008" slug.
    """
    found = [(page, list(_DIGITS.finditer(text)), text) for page, text in occurrences]
    width = min(len(matches) for _, matches, _ in found)
    if len(found) < 2:
        return False, []
    for index in range(width):
        values = [(page, int(matches[index].group())) for page, matches, _ in found]
        if len({value - page for page, value in values}) == 1 and len({value for _, value in values}) > 1:
            at_end = all(
                not text[: m[index].start()].strip(" -–—") or not text[m[index].end() :].strip(" -–—")
                for _, m, text in found
            )
            return at_end, values
    return False, []


def _pdf_page_labels(document: Any, count: int) -> list[str] | None:
    """The PDF's own page labels (/PageLabels), or None when it has none."""
    from pdfminer.pdfdocument import PDFNoPageLabels

    try:
        # the iterator never ends (labels go on past the last page): take one per page
        return list(itertools.islice(document.get_page_labels(), count))
    except PDFNoPageLabels:
        return None
    except Exception:  # a malformed label tree is no reason to lose the document
        return None


def _pdf_date(value: Any) -> str:
    """A PDF date ("D:20200806095125Z") as YYYY-MM-DD, or empty."""
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    found = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", str(value or ""))
    if not found or not ("01" <= found.group(2) <= "12" and "01" <= found.group(3) <= "31"):
        return ""
    return "-".join(found.groups())


def _first_page_title(pages: list[PageText], body_size: float) -> str:
    """The title a first page shows: its lines in the largest type, when larger than the body.

    Running headers are still among these lines, so a title that the later pages repeat as
    their header (a paper's, a report's) is found on the page where it stands in large type.
    """
    first = next((page for page in pages if page.lines and not page.garbled), None)
    if first is None or not body_size:
        return ""
    upright = [line for line in first.lines if not line.turned]
    large = [line for line in upright if line.size >= 1.2 * body_size and line.text.strip()]
    if not large:
        return ""
    largest = max(line.size for line in large)
    run: list[str] = []
    for line in upright:
        if run and line.paragraph_start:
            break  # the title is one paragraph, however many lines it wraps to
        if abs(line.size - largest) < 0.5 and line.text.strip():
            run.append(line.text.strip())
        elif run:
            break
    joined = ""
    for text in run[:3]:
        glue = "" if joined and _HAN.match(joined[-1]) and _HAN.match(text[0]) else " "
        joined = (joined + glue + text).strip()
    return clean_title(joined)


# --- lines as text --------------------------------------------------------------------------


def _heading_marks(lines: list[_Line]) -> dict[float, str]:
    """Markdown heading marks for the type sizes clearly larger than the document's body text.

    The body size is the whole document's: on a page of long footnotes, most characters are
    in the footnotes' small type, and the body would look like headings.
    """
    lines = [line for line in lines if not line.turned]
    body = _body_size((line.size, len(line.text)) for line in lines if line.size)
    larger = sorted({line.size for line in lines if line.size >= body * 1.15}, reverse=True)
    return {size: "#" * min(rank, 3) + " " for rank, size in enumerate(larger, start=1)}


_INNER_SENTENCE_END = re.compile(r"[.!?;](?=\s+[A-ZÀ-Ý])|[。！？；](?=.)")
def _reads_as_body(text: str) -> bool:
    """Whether a line in a larger type is running text, not a heading: it goes on after a
    sentence ends, starts in lower case (the middle of a sentence) or is too long for a title."""
    text = text.strip()
    words = len(text.split())
    last = text.split()[-1] if words else ""
    return (
        bool(_INNER_SENTENCE_END.search(text))
        or text[:1].islower()
        or words > 24
        or len(_HAN.findall(text)) > 80
        or text.endswith(",")
        or last in RUNS_ON
    )


def _with_next_line(lines: list[_Line], k: int) -> str:
    """A line's text, and the next line's when it goes on from it in the same type (a heading
    set on two lines, "Instructions for" / "Form 1040NR", is judged whole)."""
    text = lines[k].text.strip()
    words = text.split()
    if k + 1 < len(lines) and words:
        following = lines[k + 1]
        same_type = (words[-1] in RUNS_ON or text.endswith(",")) and following.size == lines[k].size
        # a line that goes on in lower case right below continues the sentence, whatever its type
        sentence_goes_on = following.text[:1].islower() and not following.paragraph_start
        if same_type or sentence_goes_on:
            return text + " " + following.text.strip()
    return text


def _is_bold_heading(line: _Line, previous: _Line | None) -> bool:
    """A bold line that starts a paragraph (or goes on with a bold heading) and reads as a title."""
    return (
        line.bold
        and (line.paragraph_start or previous is not None)
        and len(line.text) <= 100
        and line.text.rstrip()[-1:] not in ".,;:。，；："
        and bool(_WORDLIKE.search(line.text))
    )


def _as_text(lines: list[_Line], marks: dict[float, str]) -> tuple[str, ...]:
    """The page's lines as text: blank lines between paragraphs, headings marked by size."""
    out: list[str] = []
    previous: _Line | None = None  # the heading line just written
    for k, line in enumerate(lines):
        mark = marks.get(line.size, "") if len(line.text) <= 150 and _WORDLIKE.search(line.text) else ""
        never = line.turned or is_figures(line.text)  # a turned label or a table's row of figures
        if never:
            mark = ""
        if mark and _reads_as_body(_with_next_line(lines, k)):
            mark = ""
        if not mark and not never and _is_bold_heading(line, previous):
            mark = _BOLD_MARK
        if mark:
            if previous is not None and previous.size == line.size and line.gap < line.size and len(out[-1]) < 200:
                joined = out[-1] + " " + line.text  # a heading set on two lines is one heading
                if mark == _BOLD_MARK and TWO_SENTENCES.search(joined):
                    # unless it goes on after a sentence ends: a bold instruction, not a heading
                    # ("Section C — Use if you checked ... separately. Complete the row below that")
                    out[-1], previous = joined.removeprefix(mark), None
                else:
                    out[-1] = joined
                continue
            if out and out[-1]:
                out.append("")
            out.append(mark + line.text)
            previous = line
            continue
        previous = None
        if (line.paragraph_start or out and out[-1].startswith("#")) and out and out[-1]:
            out.append("")
        out.append(line.text)
    return tuple(out)
