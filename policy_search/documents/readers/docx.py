"""Word files (.docx): paragraphs, headings, lists and tables in reading order, as blocks.

python-docx opens the package and resolves styles and document properties; the body is
walked here, because what a reader needs is not all in python-docx's paragraph text: list
numbers come from the numbering definitions, not the text ("第一章" may be a number Word
draws), and pages from the page breaks Word rendered when it last saved the file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from policy_search.documents.readers.fields import clean_title
from policy_search.documents.readers.layout import grid_text, squeeze
from policy_search.documents.readers.numbering import Numbering
from policy_search.model import Block, Source

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading|标题|標題|titre|überschrift|título)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|标题|標題|titre|titel|título)$", re.IGNORECASE)


@dataclass
class _Walk:
    """What the walk through the body has seen so far."""

    styles: dict[str, Any]
    numbering: Numbering
    rendered_breaks: bool
    page: int = 1
    blocks: list[Block] = field(default_factory=list)
    #: (font size in half points, text) of the body paragraphs before the first heading
    opening: list[tuple[int, str]] = field(default_factory=list)
    style_title: str = ""


def read_docx(data: bytes) -> Source:
    """Read a .docx file into blocks, with its title and date."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ValueError(f"not a readable Word file ({exc})") from exc
    except Exception as exc:  # a damaged zip or XML inside the package
        raise ValueError(f"not a readable Word file ({type(exc).__name__}: {exc})") from exc
    body = document.element.body
    rendered = body.find(f".//{W}lastRenderedPageBreak") is not None
    explicit = body.find(f".//{W}br[@{W}type='page']") is not None
    walk = _Walk(
        styles={s.style_id: s for s in document.styles},
        numbering=Numbering.of(document),
        rendered_breaks=rendered,
    )
    _walk_body(body, walk)
    has_pages = rendered or explicit
    blocks = [b if has_pages else Block(b.text, b.level) for b in walk.blocks if b.text]
    properties = document.core_properties
    title = clean_title(properties.title or "") or walk.style_title or _largest_opening(walk.opening)
    created = properties.created
    return Source(
        pages=(),
        blocks=tuple(blocks),
        title="",
        fallback_title=title,
        date=created.date().isoformat() if created is not None and created.year > 1980 else "",
        encoding="docx",
    )


def _walk_body(element: Any, walk: _Walk) -> None:
    for child in element.iterchildren():
        if child.tag == f"{W}p":
            _paragraph(child, walk)
        elif child.tag == f"{W}tbl":
            _table(child, walk)
        elif child.tag == f"{W}sdt":  # a content control (a table of contents, a cover page)
            content = child.find(f"{W}sdtContent")
            if content is not None:
                _walk_body(content, walk)


def _paragraph(p: Any, walk: _Walk) -> None:
    text, page = _text(p, walk)
    style = _style_of(p, walk)
    level = _heading_level(p, style, walk)
    number = walk.numbering.label(p, style)
    text = squeeze(text)
    if number and text:
        text = squeeze(number) + " " + text
    if not text:
        return
    if level == 0 and style is not None and _TITLE_STYLE.match(style.name or "") and not walk.style_title:
        walk.style_title = text
        return
    if level == 0 and not any(b.level for b in walk.blocks) and len(walk.opening) < 20:
        walk.opening.append((_font_size(p, style), text))
    walk.blocks.append(Block(text, level, page))


def _text(element: Any, walk: _Walk) -> tuple[str, int]:
    """Text of a paragraph (runs in hyperlinks, insertions and fields, breaks as newlines)
    and the page its text starts on."""
    parts: list[str] = []
    start: int | None = None
    for node in element.iter():
        tag = node.tag
        if tag == f"{W}t":
            if start is None and (node.text or "").strip():
                start = walk.page
            parts.append(node.text or "")
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag == f"{W}noBreakHyphen":
            parts.append("-")
        elif tag in (f"{W}br", f"{W}cr"):
            if node.get(f"{W}type") == "page":
                if not walk.rendered_breaks:
                    walk.page += 1
                parts.append(" ")
            else:
                parts.append("\n")
        elif tag == f"{W}lastRenderedPageBreak" and walk.rendered_breaks:
            walk.page += 1
    return "".join(parts), walk.page if start is None else start


def _style_of(p: Any, walk: _Walk) -> Any:
    style_id = p.find(f"{W}pPr/{W}pStyle")
    return walk.styles.get(style_id.get(f"{W}val")) if style_id is not None else None


def _heading_level(p: Any, style: Any, walk: _Walk) -> int:
    """1-6 for a heading (its style, or an outline level set on it or its style), else 0."""
    outline = p.find(f"{W}pPr/{W}outlineLvl")
    current = style
    while outline is None and current is not None:
        found = _HEADING_STYLE.match(current.name or "")
        if found:
            return min(int(found.group(1)), 6)
        outline = current.element.find(f"{W}pPr/{W}outlineLvl")
        current = current.base_style
    if outline is None:
        return 0
    value = int(outline.get(f"{W}val", "9"))
    return min(value + 1, 6) if value < 9 else 0


def _font_size(p: Any, style: Any) -> int:
    sizes = [int(sz.get(f"{W}val", "0")) for sz in p.iter(f"{W}sz") if sz.get(f"{W}val", "").isdigit()]
    if sizes:
        return max(sizes)
    current = style
    while current is not None:
        sz = current.element.find(f"{W}rPr/{W}sz")
        if sz is not None and sz.get(f"{W}val", "").isdigit():
            return int(sz.get(f"{W}val"))
        current = current.base_style
    return 0


def _largest_opening(opening: list[tuple[int, str]]) -> str:
    """The title a cover page shows: its paragraphs in the largest type, if larger than the rest."""
    sizes = [size for size, _ in opening if size]
    if len(set(sizes)) < 2:
        return ""
    largest = max(sizes)
    lines = [text for size, text in opening if size == largest]
    return clean_title(" ".join(lines)) if sum(map(len, lines)) <= 200 else ""


def _table(tbl: Any, walk: _Walk) -> None:
    """A table as one block of rows, cells joined by " | "; a one-column table lays out paragraphs."""
    page = walk.page
    rows = [row.findall(f"{W}tc") for row in tbl.findall(f"{W}tr")]
    text = grid_text(rows, lambda cell: _cell_text(cell, walk), lambda cell: _walk_body(cell, walk))
    if text:
        walk.blocks.append(Block(text, 0, page))


def _cell_text(cell: Any, walk: _Walk) -> str:
    return squeeze(" ".join(_text(p, walk)[0].replace("\n", " ") for p in cell.iter(f"{W}p")))


__all__ = ["read_docx"]
