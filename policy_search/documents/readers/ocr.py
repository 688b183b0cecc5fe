"""OCR of a PDF page that has no usable text layer: the page rendered, turned upright, read.

Two engines, chosen by what they read best (scripts/audit.py ocr measures them on the test
scans of tests/data/scans): RapidOCR (PP-OCR models inside its wheel, run by ONNX Runtime)
reads every page first, and is the engine for Chinese, Simplified and Traditional, and for
English; a page that it reads as French is read again by Tesseract's French model, when
Tesseract is installed, which knows the accents better (on the French test scans: no character
wrong, against 0.11% for RapidOCR; Tesseract misreads 5-6% of Chinese and English there).

What a page reads as is kept by the PDF's content hash and the page's number, so that no page
is read twice (not after a rebuild, not in a copy of the file, not after an interrupted ingest).
Every page is bounded in pixels (a poster is read at a lower resolution) and in time.
"""

from __future__ import annotations

import functools
import json
import math
import os
import signal
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from policy_search.documents.readers import PdfError

#: what a page reads as changed: cached readings of older versions are read again
OCR_VERSION = 1
#: RapidOCR scales a page to 2,000 pixels on its long side whatever it is given; 200 dpi is
#: about that for A4, and read better than 300 dpi scaled down (tests/data/scans, English)
RAPID_DPI = 200
TESSERACT_DPI = 300  # Tesseract's models are trained on type of 20-30 pixels
MAX_PIXELS = 40_000_000  # a page larger than this (a map, a poster) is rendered smaller
MIN_SIDE = 32  # pixels: a smaller image holds no line of text
#: a page whose lines' mean confidence is below this is reported: its text may be misread
LOW_CONFIDENCE = 0.8
PAGE_SECONDS = 120.0  # one page's OCR, at most
#: how the reasons a PDF could not be read without OCR begin, when OCR would read it
NEEDS_OCR = ("no text layer", "no readable text", "an image: ")
_TURNED_SHARE = 0.6  # of the text's boxes standing upright: the page was scanned on its side
_CLS_SAMPLE = 12  # lines whose direction is asked to tell an upside-down page


class OcrUnavailable(PdfError):
    """No OCR engine can run here; the message says what to install."""


@dataclass(frozen=True)
class OcrLine:
    """A line read from a page image, boxed in the page's points as the page reads upright."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float
    size: float = 0.0  # the type size the engine measured, in points, or 0


@dataclass(frozen=True)
class OcrPage:
    """What OCR read on one page: its lines (in no particular order), how sure it was (mean
    confidence over the characters), how far the image was turned to read it, and which
    engine read it; ``problem`` says why nothing was read (a blank page, an image too small)."""

    lines: tuple[OcrLine, ...]
    confidence: float
    turned: int
    engine: str
    problem: str = ""
    skew: float = 0.0  # degrees the lines slope by (counter-clockwise), taken out of their boxes


@dataclass(frozen=True)
class OcrSettings:
    """How pages are read by OCR: where their readings are kept (None: not kept), and whether
    French pages are read again by Tesseract when it is installed (scripts/audit.py ocr compares)."""

    cache: Path | None = None
    french_by_tesseract: bool = True

    def engines(self) -> str:
        """The engines pages are read with, as a cache key: a page read without Tesseract is
        read again once it is installed."""
        return "rapidocr+tesseract" if self.french_by_tesseract and _tesseract() is not None else "rapidocr"


def missing_engine() -> str:
    """What to install for OCR to run here, or "" when it can."""
    try:
        import onnxruntime  # noqa: F401
        import rapidocr  # noqa: F401
    except ImportError:
        return "OCR needs RapidOCR: pip install 'policy-search[ocr]' (rapidocr and onnxruntime)"
    return ""


# --- a page of a PDF --------------------------------------------------------------------------


class PdfPages:
    """The pages of one PDF as OCR reads them, from the cache when read before."""

    def __init__(self, data: bytes, password: str, settings: OcrSettings) -> None:
        self._data, self._password, self._settings = data, password, settings
        self._pdf: Any = None
        self._folder: Path | None = None
        if settings.cache is not None:
            import hashlib

            digest = hashlib.sha256(data).hexdigest()
            self._folder = settings.cache / f"ocr-{OCR_VERSION}-{settings.engines()}" / digest[:2] / digest

    def read(self, number: int) -> OcrPage:
        """Page ``number`` (from 1) as OCR reads it. Raises OcrUnavailable."""
        cached = self._cached(number)
        if cached is not None:
            return cached
        problem = missing_engine()
        if problem:
            raise OcrUnavailable(problem)
        with _paused_alarm(PAGE_SECONDS) as late:
            try:
                read = _read_page(self._page(number), self._settings.french_by_tesseract)
            except _PageTooLong:
                read = None
        if read is None or late():
            return OcrPage((), 0.0, 0, self._settings.engines(), f"OCR took longer than {PAGE_SECONDS:g} s")
        self._keep(number, read)
        return read

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None

    def _page(self, number: int) -> Any:
        import pypdfium2

        if self._pdf is None:
            self._pdf = pypdfium2.PdfDocument(self._data, password=self._password or None)
        return self._pdf[number - 1]

    def _cached(self, number: int) -> OcrPage | None:
        if self._folder is None:
            return None
        try:
            entry = json.loads((self._folder / f"{number}.json").read_text(encoding="utf-8"))
            lines = tuple(
                OcrLine(str(t), float(a), float(b), float(c), float(d), float(e), float(f)) for t, a, b, c, d, e, f in entry["lines"]
            )
            return OcrPage(
                lines, float(entry["confidence"]), int(entry["turned"]), str(entry["engine"]), str(entry["problem"]), float(entry["skew"])
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # not read yet, or damaged: read again

    def _keep(self, number: int, page: OcrPage) -> None:
        if self._folder is None:
            return
        entry = asdict(page)
        entry["lines"] = [[line.text, line.x0, line.top, line.x1, line.bottom, line.confidence, line.size] for line in page.lines]
        path = self._folder / f"{number}.json"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            partial.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
            os.replace(partial, path)  # a page is kept whole or not at all
        except OSError:
            pass  # a cache that cannot be written only costs time


class _PageTooLong(BaseException):
    """A BaseException, so that an engine's own ``except Exception`` cannot swallow it."""


@contextmanager
def _paused_alarm(seconds: float) -> Iterator[Any]:
    """Time one page on its own alarm, the file's alarm (index._time_limit) stopped meanwhile
    and started again with what it had left: OCR time is bounded per page, not per file.
    Yields a function that tells whether the page ran out of time."""
    late = False

    def on_alarm(signum: int, frame: Any) -> None:
        nonlocal late
        late = True
        raise _PageTooLong

    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
    except ValueError:  # not the main thread: no alarm, the engine runs unbounded
        yield lambda: False
        return
    remaining, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield lambda: late
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining)


def _read_page(page: Any, french_by_tesseract: bool = True) -> OcrPage:
    """One PDF page (pypdfium2) rendered and read: RapidOCR, then Tesseract for French."""
    from policy_search.documents.language import detect_language

    width, height = page.get_size()  # points, as the page is shown (its /Rotate applied)
    image, scale = _rendered(page, width, height, RAPID_DPI)
    if min(image.size) < MIN_SIDE:
        return OcrPage((), 0.0, 0, "rapidocr", f"the page is too small to read ({image.size[0]}x{image.size[1]} pixels)")
    read = _rapid_read(image, scale)
    if not read.lines:
        return read
    text = " ".join(line.text for line in read.lines)
    if french_by_tesseract and detect_language(text) == "fr" and _tesseract() is not None:
        image, scale = _rendered(page, width, height, TESSERACT_DPI)
        upright = _turned(image, read.turned).rotate(-read.skew, resample=_bicubic(), fillcolor=255)
        french = _tesseract_read(upright, scale, read.turned)
        if french.lines:
            return _with_lines_missed(french, read)
    return read


def _with_lines_missed(page: OcrPage, other: OcrPage) -> OcrPage:
    """A page with the lines another engine read where it found nothing: Tesseract drops small
    text standing alone (a folio, a stamp's words) as noise, which RapidOCR reads."""

    def overlaps(a: OcrLine, b: OcrLine) -> bool:
        return min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.bottom, b.bottom) > max(a.top, b.top)

    missed = [line for line in other.lines if not any(overlaps(line, mine) for mine in page.lines)]
    if not missed:
        return page
    lines = [*page.lines, *missed]
    return replace(page, lines=tuple(lines), confidence=_mean_confidence(lines))


def _rendered(page: Any, width: float, height: float, dpi: int) -> tuple[Any, float]:
    """The page as a grey image, despeckled, and its pixels per point (fewer for a huge page)."""
    from PIL import ImageFilter

    scale = dpi / 72
    if width * height * scale * scale > MAX_PIXELS:
        scale = math.sqrt(MAX_PIXELS / (width * height))
    image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
    # a median filter takes the speckle of a scan away, which both engines read as dots and commas
    # (English at 150 dpi: 11% of characters wrong in Tesseract without it, 4.7% with it)
    return image.filter(ImageFilter.MedianFilter(3)), scale


def _turned(image: Any, degrees: int) -> Any:
    return image.rotate(degrees, expand=True) if degrees else image


@functools.lru_cache(maxsize=1)
def _rapid() -> Any:
    from rapidocr import RapidOCR

    threads = int(os.environ.get("POLICY_SEARCH_OCR_THREADS", "0")) or -1
    return RapidOCR(
        params={
            "Global.log_level": "critical",
            "Global.text_score": 0.0,  # every line is kept: a word read unsure is still searchable
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        }
    )


def _rapid_read(image: Any, scale: float) -> OcrPage:
    """A page read by RapidOCR, turned upright first when its lines stand on end."""
    import numpy as np

    engine = _rapid()
    turned = 0
    # every step named at every call: RapidOCR keeps a call's choices for the calls after it
    steps = {"use_det": True, "use_cls": False, "use_rec": True}
    result = engine(np.asarray(image.convert("RGB")), **steps)
    if _stands_on_end(result.boxes):  # scanned on its side: turn it a quarter and read again
        turned = 90
        result = engine(np.asarray(_turned(image, turned).convert("RGB")), **steps)
    boxes = _boxes(result)
    if boxes and _upside_down(engine, _turned(image, turned), boxes):
        # read again the right way up: PP-OCR's direction classifier turns most lines of an
        # upside-down page, not all (French, read so: 26% of characters wrong, 1.8% turned)
        turned += 180
        result = engine(np.asarray(_turned(image, turned).convert("RGB")), **steps)
        boxes = _boxes(result)
    width, height = _turned(image, turned).size
    skew = _skew(boxes)
    lines = []
    for box, text, confidence in zip(boxes, result.txts or (), result.scores or (), strict=True):
        # a skewed line's upright box is taller than its type by its slope: turn the slope out
        # of the box (about the page's centre), so that lines keep their height and their rows
        xs, ys = zip(*(_rotated(point, -skew, width / 2, height / 2) for point in box), strict=True)
        x0, top, x1, bottom = min(xs), min(ys), max(xs), max(ys)
        if text.strip():
            lines.append(OcrLine(text.strip(), x0 / scale, top / scale, x1 / scale, bottom / scale, round(float(confidence), 4)))
    if not lines:
        return OcrPage((), 0.0, turned, "rapidocr", "OCR found no text on the page image (a blank page?)")
    return OcrPage(tuple(lines), _mean_confidence(lines), turned, "rapidocr", skew=skew)


def _boxes(result: Any) -> list[list[tuple[float, float]]]:
    return [[(float(x), float(y)) for x, y in box] for box in (result.boxes if result.boxes is not None else ())]


def _skew(boxes: list[list[tuple[float, float]]]) -> float:
    """The slope of the page's long lines, in degrees counter-clockwise (as PIL turns images):
    the median of their top edges' (top-left to top-right points, as the detector orders them)."""
    angles = []
    for (x0, y0), (x1, y1), *_ in boxes:
        if x1 - x0 > 100 and abs(y1 - y0) < 0.2 * (x1 - x0):
            angles.append(math.degrees(math.atan2(y0 - y1, x1 - x0)))
    return round(statistics.median(angles), 2) if len(angles) >= 3 else 0.0


def _rotated(point: tuple[float, float], degrees: float, cx: float, cy: float) -> tuple[float, float]:
    """A point of an image turned ``degrees`` counter-clockwise about (cx, cy), y pointing down."""
    if not degrees:
        return point
    a = math.radians(degrees)
    x, y = point[0] - cx, point[1] - cy
    return cx + x * math.cos(a) + y * math.sin(a), cy - x * math.sin(a) + y * math.cos(a)


def _bicubic() -> Any:
    from PIL import Image

    return Image.Resampling.BICUBIC


def _stands_on_end(boxes: Any) -> bool:
    """Whether most of the text's boxes (by length) are taller than wide: lines on their side."""
    if boxes is None or len(boxes) < 3:
        return False
    upright = total = 0.0
    for box in boxes:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        w, h = max(xs) - min(xs), max(ys) - min(ys)
        total += max(w, h)
        if h > 1.5 * w:
            upright += h
    return upright > _TURNED_SHARE * total


def _upside_down(engine: Any, image: Any, boxes: list[list[tuple[float, float]]]) -> bool:
    """Whether most of the longest lines read upside down (PP-OCR's direction classifier)."""
    longest = sorted(boxes, key=lambda box: -(max(p[0] for p in box) - min(p[0] for p in box)))[:_CLS_SAMPLE]
    votes = 0
    import numpy as np

    for box in longest:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        crop = image.crop((int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1))
        if min(crop.size) < 4:
            continue
        found = engine(np.asarray(crop.convert("RGB")), use_det=False, use_cls=True, use_rec=False)
        labels = getattr(found, "cls_res", None) or []
        votes += sum(1 if label == "180" else -1 for label, _ in labels)
    return votes > 0


@functools.lru_cache(maxsize=1)
def _tesseract() -> Any:
    """pytesseract when Tesseract and its French model are installed, else None."""
    try:
        import pytesseract

        if "fra" not in pytesseract.get_languages():
            return None
    except Exception:  # not installed, or its binary missing: pytesseract raises its own errors
        return None
    return pytesseract


def _tesseract_read(image: Any, scale: float, turned: int) -> OcrPage:
    """A page (already upright) read by Tesseract's French model, a line per line it finds,
    each with the type size Tesseract measured (hOCR's x_size): its words' ink boxes are no
    measure of it (a line without descenders is shorter)."""
    import xml.etree.ElementTree as ElementTree

    pytesseract = _tesseract()
    hocr = pytesseract.image_to_pdf_or_hocr(image, lang="fra", extension="hocr", timeout=PAGE_SECONDS)
    lines = []
    for element in ElementTree.fromstring(hocr).iter():
        if element.get("class") != "ocr_line":
            continue
        words = [w for w in element.iter() if w.get("class") == "ocrx_word" and (w.text or "").strip()]
        if not words:
            continue
        line = _hocr_title(element.get("title", ""))
        x0, top, x1, bottom = (float(v) for v in line["bbox"].split())
        confidence = statistics.fmean(float(_hocr_title(w.get("title", "")).get("x_wconf", 0)) for w in words) / 100
        text = " ".join((w.text or "").strip() for w in words)
        size = float(line.get("x_size", 0)) / scale
        lines.append(OcrLine(text, x0 / scale, top / scale, x1 / scale, bottom / scale, round(confidence, 4), round(size, 2)))
    if not lines:
        return OcrPage((), 0.0, turned, "tesseract", "OCR found no text on the page image (a blank page?)")
    return OcrPage(tuple(lines), _mean_confidence(lines), turned, "tesseract")


def _hocr_title(title: str) -> dict[str, str]:
    """hOCR's properties ("bbox 1 2 3 4; x_size 48") by name."""
    found = {}
    for part in title.split(";"):
        name, _, value = part.strip().partition(" ")
        found[name] = value
    return found


def _mean_confidence(lines: list[OcrLine]) -> float:
    chars = sum(len(line.text) for line in lines)
    return round(sum(line.confidence * len(line.text) for line in lines) / chars, 4) if chars else 0.0
