"""Make the OCR test set: scans rendered from real texts of known content, and the real scan.

Each scan is a PDF of page images only (no text layer), written with the text it shows in
tests/data/scans-truth (``NAME.txt``, pages parted by a form feed), so that ``scripts/audit.py ocr`` can measure the
character error rate against the known text. Pages are set as a printed document is (a title in
larger type, paragraphs, a printed page number at the foot, a running header on the Chinese
report), then scanned: rendered at 150-300 dpi in grey, with speckle noise, a red stamp, a slight
skew or a page fed in sideways or upside down, and stored as JPEG.

The output is committed (tests/data/scans): run this again only to change the set. It needs
fonts that are not needed at run time: Debian's fonts-arphic-uming (a Song face for both Chinese
scripts) and fonts-dejavu-core.

    python scripts/make_scans.py [PATH/TO/pr-136-example.pdf]

The real scan is cut from jsvine/pdfplumber's tests/pdfs/pr-136-example.pdf (see
tests/data/SOURCES.md), given by its path; without it the copy in tests/data/scans is kept.
"""

from __future__ import annotations

import io
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "scans"
TRUTH = ROOT / "tests" / "data" / "scans-truth"  # apart: a folder of scans ingests only scans
SONG = "/usr/share/fonts/truetype/arphic/uming.ttc"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SERIF_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"
A4 = (8.27, 11.69)  # inches


@dataclass(frozen=True)
class Scan:
    name: str
    source: Path
    start: str  # the text starts at this line
    chars: int  # about this many characters of it
    han: bool
    dpi: int
    pages: int
    header: str = ""  # a running header at the top of every page
    noise: float = 0.0  # share of pixels speckled
    stamp: int = 0  # page (from 1) that carries a red seal
    skew: tuple[int, float] = (0, 0.0)  # page, degrees
    turn: tuple[int, int] = (0, 0)  # page, degrees (90, 180, 270): fed in sideways or upside down


SCANS = [
    Scan(
        "zh-hans-report",
        ROOT / "corpus/work-reports/2025_2025年中华人民共和国国务院政府工作报告.txt",
        "一、2024年工作回顾",
        3000,
        han=True,
        dpi=200,
        pages=3,
        header="2025年政府工作报告",
        stamp=2,
        skew=(3, 1.5),
    ),
    Scan(
        "zh-hant-law",
        ROOT / "corpus/taiwan-laws/zh/A0000001.txt",
        "中華民國憲法",
        900,
        han=True,
        dpi=300,
        pages=2,
        noise=0.001,
        turn=(2, 90),
    ),
    Scan(
        "en-law",
        ROOT / "corpus/taiwan-laws/en/A0000001.txt",
        "Constitution of the Republic of China (Taiwan)",
        3400,
        han=False,
        dpi=150,
        pages=2,
        noise=0.003,
        skew=(2, -1.0),
    ),
    Scan(
        "fr-code-civil",
        ROOT / "corpus/code-civil/code-civil-livre-I-titre-V.txt",
        "Article 143",
        3400,
        han=False,
        dpi=200,
        pages=2,
        noise=0.001,
        turn=(2, 180),
    ),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    TRUTH.mkdir(parents=True, exist_ok=True)
    for scan in SCANS:
        pages, texts = _typeset(scan)
        _save_pdf(pages, scan.dpi, OUT / f"{scan.name}.pdf")
        (TRUTH / f"{scan.name}.txt").write_text("\f".join(texts) + "\n", encoding="utf-8")
        print(f"{scan.name}: {len(pages)} pages, {sum(len(t) for t in texts)} characters")
    if len(sys.argv) > 1:
        _real_scan(Path(sys.argv[1]), (1, 5), OUT / "pr-136-p1-p5-image-only.pdf")
    # a page in two columns, as a scan: its reading order is the text layer's
    _real_scan(ROOT / "tests/data/pdf/unst-multi-column-2p.pdf", (1,), OUT / "multi-column-p1-image-only.pdf")


def _excerpt(scan: Scan) -> list[str]:
    text = scan.source.read_text(encoding="utf-8")
    text = text[text.index(scan.start) :]
    lines, total = [], 0
    for line in text.splitlines():
        line = line.strip()
        if total > scan.chars and not line:
            break
        lines.append(line)
        total += len(line)
    return lines


def _typeset(scan: Scan) -> tuple[list[Image.Image], list[str]]:
    """The excerpt set on A4 pages; each page's text as it reads (lines joined by newlines)."""
    rng = random.Random(scan.name)
    dpi = scan.dpi
    width, height = round(A4[0] * dpi), round(A4[1] * dpi)
    margin = round(1.0 * dpi)
    body_px = round(12 / 72 * dpi)  # 12 pt
    title_px = round(18 / 72 * dpi)
    body = ImageFont.truetype(SONG if scan.han else SERIF, body_px)
    title = ImageFont.truetype(SONG if scan.han else SERIF_BOLD, title_px)
    small = ImageFont.truetype(SONG if scan.han else SERIF, round(10 / 72 * dpi))
    pages: list[Image.Image] = []
    texts: list[list[str]] = []
    image = draw = None
    y = 0

    def new_page() -> None:
        nonlocal image, draw, y
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        pages.append(image)
        texts.append([])
        y = margin
        if scan.header:
            draw.text((width // 2, margin // 2), scan.header, font=small, fill=0, anchor="mm")
            texts[-1].append(scan.header)

    new_page()
    for k, paragraph in enumerate(_excerpt(scan)):
        if not paragraph:
            y += body_px // 2
            continue
        heading = k == 0 or _is_heading(paragraph)
        font = title if k == 0 else body
        for line in _wrapped(paragraph, font, width - 2 * margin, scan.han, indent=not heading and scan.han):
            size = title_px if k == 0 else body_px
            if y + size * 1.6 > height - margin:
                if len(pages) == scan.pages:
                    break
                new_page()
            x = width // 2 - draw.textlength(line, font=font) // 2 if k == 0 else margin
            if line.startswith("\u3000\u3000"):  # a first-line indent of two characters
                x += 2 * body_px
                line = line[2:]
            draw.text((x, y), line, font=font, fill=0)
            texts[-1].append(line)
            y += round(size * 1.6)
        else:
            continue
        break
    for number, (page, text) in enumerate(zip(pages, texts, strict=True), start=1):
        folio = f"— {number} —" if scan.han else str(number)
        ImageDraw.Draw(page).text((width // 2, height - margin // 2), folio, font=small, fill=0, anchor="mm")
        text.append(folio)
    scanned = [_scanned(page, number, scan, rng) for number, page in enumerate(pages, start=1)]
    return scanned, ["\n".join(lines) for lines in texts]


def _is_heading(line: str) -> bool:
    return bool(re.match(r"^(?:[一二三四五六七八九十]+、|第\s*\S+\s*[章條条]|Article \d|Chapter )", line)) and len(line) < 60


def _wrapped(paragraph: str, font: ImageFont.FreeTypeFont, width: int, han: bool, indent: bool) -> list[str]:
    units = list(paragraph) if han else paragraph.split(" ")
    joiner = "" if han else " "
    lines: list[str] = []
    current = "\u3000\u3000" if indent else ""
    for unit in units:
        trial = current + (joiner if current.strip() else "") + unit
        if font.getlength(trial) > width and current.strip():
            lines.append(current)
            current = unit
        else:
            current = trial
    if current.strip():
        lines.append(current)
    return lines


def _scanned(page: Image.Image, number: int, scan: Scan, rng: random.Random) -> Image.Image:
    """The page as a scanner gives it back: a little blur, speckle, a seal, skew, turned."""
    image = page.filter(ImageFilter.GaussianBlur(0.6)).convert("RGB")
    if number == scan.stamp:
        image = _stamped(image, scan.dpi)
    if scan.noise:
        pixels = image.load()
        w, h = image.size
        for _ in range(int(w * h * scan.noise)):
            value = rng.choice((0, 90, 200))
            pixels[rng.randrange(w), rng.randrange(h)] = (value, value, value)
    if scan.skew[0] == number:
        image = image.rotate(scan.skew[1], resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    if scan.turn[0] == number:
        image = image.rotate(scan.turn[1], expand=True)
    return image if number == scan.stamp else image.convert("L")


def _stamped(image: Image.Image, dpi: int) -> Image.Image:
    """A red round seal over the text, as on a 红头文件's signature."""
    seal = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(seal)
    r = round(0.8 * dpi)
    cx, cy = image.size[0] - round(2.4 * dpi), round(3.2 * dpi)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(220, 30, 30, 170), width=max(3, dpi // 40))
    star = ImageFont.truetype(SONG, round(0.5 * dpi))
    draw.text((cx, cy), "★", font=star, fill=(220, 30, 30, 170), anchor="mm")
    words = ImageFont.truetype(SONG, round(0.22 * dpi))
    draw.text((cx, cy + round(0.45 * r)), "国务院办公厅", font=words, fill=(220, 30, 30, 170), anchor="mm")
    return Image.alpha_composite(image.convert("RGBA"), seal).convert("RGB")


def _save_pdf(pages: list[Image.Image], dpi: int, path: Path) -> None:
    jpegs = []
    for page in pages:
        buffer = io.BytesIO()
        page.save(buffer, "JPEG", quality=70)
        jpegs.append(Image.open(buffer))
    # no title (PIL would give the file's name) and no dates: a scanner's PDF says nothing of its text
    jpegs[0].save(path, "PDF", save_all=True, append_images=jpegs[1:], resolution=dpi, title="", creationDate=None, modDate=None)


def _real_scan(source: Path, numbers: tuple[int, ...], path: Path) -> None:
    """Pages of a real scan as images only: its invisible OCR layer left out."""
    pdf = pypdfium2.PdfDocument(source)
    pages = [pdf[n - 1].render(scale=200 / 72, grayscale=True).to_pil() for n in numbers]
    _save_pdf(pages, 200, path)
    print(f"{path.name}: pages {numbers} of {source.name}")


if __name__ == "__main__":
    main()
