"""Plain text and Markdown: encodings, form feeds, page markers and printed page numbers."""

from __future__ import annotations

import codecs
import re

from policy_search.model import Page, Source

# Encodings a policy text file plausibly comes in when it is not UTF-8. Restricting the
# detector to these keeps it from "finding" exotic code pages in short CJK files.
_LEGACY_ENCODINGS = ["gb18030", "big5", "cp1252", "utf_16_le", "utf_16_be"]
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]

# A line that starts a page: "Page 56", "Page 56 - RUNNING TITLE", "第 5 页", "-- 5 --" is a label.
PAGE_MARKER = re.compile(
    r"^\s*(?:page|pg\.?|seite)\s+(\d{1,5})(?:\s*(?:of|/|sur)\s*\d+)?(?:\s*[-–—|:]\s*(?P<header>.+?))?\s*$",
    re.IGNORECASE,
)
PAGE_MARKER_ZH = re.compile(r"^\s*第\s*(\d{1,5})\s*[页頁]\s*$")
# A second, shorter marker of the same page ("P. 56") that some converters add.
SHORT_MARKER = re.compile(r"^\s*p\.\s*(\d{1,5})\s*$", re.IGNORECASE)
# A printed page number alone on the first or last line of a page: "55", "- 55 -", "xii".
PRINTED_NUMBER = re.compile(r"^\s*[-–—]?\s*(\d{1,5}|[ivxlcdm]{1,7})\s*[-–—]?\s*$", re.IGNORECASE)


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as text and say which encoding it was.

    UTF-8/16/32 with a byte-order mark, UTF-8 and UTF-16 without one are recognised for
    certain; anything else is given to charset-normalizer, restricted to the legacy encodings
    policy texts come in (GB18030/GBK, Big5, Windows-1252). Raises ValueError when no encoding
    reads the bytes cleanly, rather than guessing.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding.replace("-sig", "")
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    if best is None or best.chaos > 0.3:
        raise ValueError("cannot tell its text encoding (tried UTF-8, UTF-16, GB18030, Big5, Windows-1252)")
    return str(best), best.encoding


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text of mostly ASCII or CJK has NUL bytes in one of the two byte lanes."""
    sample = data[:4000]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    lanes = len(sample) // 2
    encoding = None
    if odd > 0.3 * lanes and even < 0.05 * lanes:
        encoding = "utf-16-le"
    elif even > 0.3 * lanes and odd < 0.05 * lanes:
        encoding = "utf-16-be"
    if encoding is None:
        return None
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return encoding


def split_pages(text: str) -> tuple[tuple[Page, ...], str]:
    """Split text into pages by form feeds and page markers; return pages and a running title.

    Without form feeds or markers the text is one page with no number. A page marker line
    ("Page 56 - TITLE") gives the physical page number and is not text; the title it carries
    is returned as the running title. A number alone on the last (or first) line of a page is
    the printed page label.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = text.split("\f")
    has_markers = any(_is_marker(line) for line in text.split("\n"))
    if len(chunks) == 1 and not has_markers:
        return (Page(None, tuple(text.split("\n"))),), ""

    pages: list[Page] = []
    running_title = ""
    number = 0
    for index, chunk in enumerate(chunks):
        lines: list[str] = []
        page_number = index + 1 if len(chunks) > 1 else None
        for line in chunk.split("\n"):
            marker = PAGE_MARKER.match(line) or PAGE_MARKER_ZH.match(line)
            if marker:
                if lines and page_number is not None and any(s.strip() for s in lines):
                    pages.append(_labelled_page(page_number, lines))
                    lines = []
                page_number = int(marker.group(1))
                header = marker.groupdict().get("header")
                if header and not running_title:
                    running_title = header.strip()
                continue
            short = SHORT_MARKER.match(line)
            if short and page_number is not None and int(short.group(1)) == page_number:
                continue
            lines.append(line)
        if page_number is None:
            number += 1
            page_number = number
        pages.append(_labelled_page(page_number, lines))
    return tuple(p for p in pages if any(s.strip() for s in p.lines)), running_title


def _is_marker(line: str) -> bool:
    return bool(PAGE_MARKER.match(line) or PAGE_MARKER_ZH.match(line))


def _labelled_page(number: int, lines: list[str]) -> Page:
    """Take a printed page number off the last (else first) line of a page as its label."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    label = ""
    for i in (content[-1:] + content[:1]) if content else []:
        found = PRINTED_NUMBER.match(lines[i])
        if found:
            label = found.group(1)
            lines = lines[:i] + lines[i + 1 :]
            break
    return Page(number, tuple(lines), label)


def read_text(data: bytes) -> Source:
    """Read a .txt or .md file into pages of lines."""
    text, encoding = decode(data)
    if "\x00" in text:
        raise ValueError("binary content (NUL bytes) in a text file")
    pages, running_title = split_pages(text)
    return Source(pages=pages, title=running_title, encoding=encoding)
