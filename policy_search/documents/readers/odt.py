"""OpenDocument text (.odt): headings, paragraphs, lists and tables in reading order, as blocks.

An .odt file is a zip whose ``content.xml`` says plainly what each part is (text:h with its
outline level, text:p, text:list, table:table) and where LibreOffice broke the pages when it
last laid the document out (text:soft-page-break); ``meta.xml`` holds the title and dates.
ElementTree reads both; no library is needed for that.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from policy_search.documents.readers.fields import clean_title
from policy_search.documents.readers.layout import grid_text, squeeze
from policy_search.model import Block, Source

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_MAX_XML = 200 * 1024 * 1024  # a content.xml larger than this is not a document but a bomb


@dataclass
class _Walk:
    page: int = 1
    blocks: list[Block] = field(default_factory=list)


def read_odt(data: bytes) -> Source:
    """Read an .odt file into blocks, with its title and date."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            if package.getinfo("content.xml").file_size > _MAX_XML:
                raise ValueError("its content.xml is too large to be a document")
            content = ElementTree.fromstring(package.read("content.xml"))
            meta = ElementTree.fromstring(package.read("meta.xml")) if "meta.xml" in package.namelist() else None
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ValueError(f"not a readable OpenDocument file ({exc})") from exc
    body = content.find(f"{OFFICE}body/{OFFICE}text")
    if body is None:
        raise ValueError("not an OpenDocument text (no office:text body)")
    has_pages = body.find(f".//{TEXT}soft-page-break") is not None
    walk = _Walk()
    _walk(body, walk)
    blocks = [b if has_pages else Block(b.text, b.level) for b in walk.blocks if b.text]
    title = date = ""
    if meta is not None:
        title = clean_title(meta.findtext(f".//{_DC}title") or "")
        stamp = meta.findtext(f".//{_DC}date") or meta.findtext(f".//{_META}creation-date") or ""
        date = stamp[:10] if re.match(r"\d{4}-\d{2}-\d{2}", stamp) else ""
    return Source(pages=(), blocks=tuple(blocks), fallback_title=title, date=date, encoding="odt")


def _walk(element: ElementTree.Element, walk: _Walk) -> None:
    for child in element:
        tag = child.tag
        if tag == f"{TEXT}soft-page-break":
            walk.page += 1
        elif tag == f"{TEXT}h":
            level = int(child.get(f"{TEXT}outline-level", "1") or 1)
            text, page = _text(child, walk)
            walk.blocks.append(Block(text.replace("\n", " "), min(max(level, 1), 6), page))
        elif tag == f"{TEXT}p":
            text, page = _text(child, walk)
            walk.blocks.append(Block(text, 0, page))
        elif tag == f"{TEXT}list":
            page = walk.page
            lines = _list_lines(child, walk)
            walk.blocks.append(Block("\n".join(lines), 0, page))
        elif tag == f"{TABLE}table":
            _table(child, walk)
        elif tag in (f"{TEXT}section", f"{TEXT}table-of-content", f"{TEXT}index-body", f"{TABLE}table-rows"):
            _walk(child, walk)


def _text(element: ElementTree.Element, walk: _Walk) -> tuple[str, int]:
    """A paragraph's text (spans, links, counted spaces, tabs, line breaks) and its first page."""
    parts: list[str] = []
    start: int | None = None

    def visit(node: ElementTree.Element) -> None:
        nonlocal start
        tag = node.tag
        if tag == f"{TEXT}s":
            parts.append(" " * int(node.get(f"{TEXT}c", "1") or 1))
        elif tag == f"{TEXT}tab":
            parts.append("\t")
        elif tag == f"{TEXT}line-break":
            parts.append("\n")
        elif tag == f"{TEXT}soft-page-break":
            walk.page += 1
        elif tag in (f"{TEXT}note", f"{TEXT}bookmark", f"{TEXT}bookmark-start", f"{TEXT}bookmark-end"):
            pass  # a footnote's number and body, bookmarks: not the paragraph's text
        else:
            if node.text:
                if start is None and node.text.strip():
                    start = walk.page
                parts.append(node.text)
            for child in node:
                visit(child)
                if child.tail:
                    if start is None and child.tail.strip():
                        start = walk.page
                    parts.append(child.tail)

    visit(element)
    lines = [squeeze(line) for line in "".join(parts).split("\n")]
    return "\n".join(line for line in lines if line), walk.page if start is None else start


def _list_lines(element: ElementTree.Element, walk: _Walk, depth: int = 0) -> list[str]:
    lines = []
    for item in element.findall(f"{TEXT}list-item"):
        for child in item:
            if child.tag == f"{TEXT}list":
                lines += _list_lines(child, walk, depth + 1)
            elif child.tag in (f"{TEXT}p", f"{TEXT}h"):
                text = _text(child, walk)[0].replace("\n", " ")
                if text:
                    lines.append("  " * depth + "- " + text)
    return lines


def _table(table: ElementTree.Element, walk: _Walk) -> None:
    page = walk.page
    rows = [row.findall(f"{TABLE}table-cell") for row in table.iter(f"{TABLE}table-row")]
    text = grid_text(rows, lambda cell: _cell_text(cell, walk), lambda cell: _walk(cell, walk))
    if text:
        walk.blocks.append(Block(text, 0, page))


def _cell_text(cell: ElementTree.Element, walk: _Walk) -> str:
    return squeeze(" ".join(_text(p, walk)[0].replace("\n", " ") for p in cell.iter(f"{TEXT}p")))
