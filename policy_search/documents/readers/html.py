"""Saved web pages: the main content (trafilatura), its headings, lists and tables as blocks.

trafilatura finds the content block among menus, breadcrumbs, share buttons and "related"
lists, and hands it back as a small XML tree (head, p, list, table) that is walked here.
The page's own encoding is honoured: older Chinese pages are GB2312/GBK or Big5 and say so
only in a ``<meta>`` tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from policy_search.documents.readers.fields import read_fields
from policy_search.documents.readers.layout import squeeze, table_text
from policy_search.documents.readers.text import decode
from policy_search.documents.structure import is_cjk
from policy_search.model import Block, Source

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([-\w:.]{2,40})""", re.IGNORECASE)
# declared names and what they really mean (as browsers read them)
_CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030",
    "big5": "big5hkscs", "x-x-big5": "big5hkscs", "cp950": "big5hkscs",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
}
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|~| [-–—] |——)\s*")
_TOKEN = re.compile(r"[\u3400-\u9fff]|[^\W\d_\u3400-\u9fff]+|\d+")
_BLOCK_TAGS = {"p", "head", "list", "table", "quote", "code"}


def decode_html(data: bytes) -> str:
    """The page's text: a byte-order mark, else its declared charset, else detection.

    A declared charset that does not read the bytes cleanly is not trusted (pages re-saved
    as UTF-8 often keep their old ``<meta charset=gb2312>``).
    """
    declared = _META_CHARSET.search(data[:16384])
    if declared and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        name = declared.group(1).decode("ascii", "replace").lower()
        encoding = _CHARSET_ALIASES.get(name, name)
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data)[0]


def read_html(data: bytes) -> Source:
    """Read a saved web page (.html, .htm, .xhtml) into blocks with its title and date."""
    import trafilatura
    from lxml import etree

    html = decode_html(data)
    if not html.strip():
        raise ValueError("empty web page")
    extracted = trafilatura.extract(
        html,
        output_format="xml",
        favor_recall=True,
        include_tables=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        deduplicate=False,
        with_metadata=True,
    )
    if not extracted:
        raise ValueError("no text found in the web page's content")
    root = etree.fromstring(extracted.encode("utf-8"))
    main = root.find("main")
    blocks = [b for b in _blocks(main if main is not None else root) if b.text]
    fields = read_fields(_table_rows(main if main is not None else root))
    title = fields.title or _page_title(root, blocks)
    return Source(
        pages=(),
        blocks=tuple(_drop_title_blocks(blocks, title)),
        title=title,
        date=fields.date or _iso_date(root.get("date", "")),
        encoding="html",
    )


def _blocks(element: Any) -> Iterator[Block]:
    for child in element:
        tag = child.tag
        if tag == "head":
            rend = child.get("rend", "")
            level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
            yield Block(_inline_text(child).replace("\n", " "), level)
        elif tag in ("p", "quote", "code"):
            yield Block(_inline_text(child))
        elif tag == "list":
            yield Block("\n".join(_list_lines(child)))
        elif tag == "table":
            if _is_layout(child):
                for cell in child.iter("cell"):
                    if any(grand.tag in _BLOCK_TAGS for grand in cell):
                        yield from _blocks(cell)
                    else:
                        yield Block(_inline_text(cell))
            else:
                yield Block(table_text(_rows(child)))
        elif tag in _BLOCK_TAGS or len(child):
            yield from _blocks(child)
        elif (child.text or "").strip():
            yield Block(_inline_text(child))


def _inline_text(element: Any) -> str:
    """An element's text with line breaks kept; a break between Han characters is a wrap."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.tag == "lb":
            parts.append("\n")
        elif node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    lines = [squeeze(line) for line in "".join(parts).split("\n")]
    text = ""
    for line in filter(None, lines):
        if text and is_cjk(text[-1]) and is_cjk(line[0]):
            text += line
        else:
            text += ("\n" if text else "") + line
    return text


def _list_lines(element: Any) -> list[str]:
    ordered = element.get("rend", "") == "ol"
    lines = []
    for number, item in enumerate(element.findall("item"), start=1):
        text = _inline_text(item).replace("\n", " ")
        if text:
            lines.append(f"{number}. {text}" if ordered else f"- {text}")
    return lines


def _is_layout(table: Any) -> bool:
    """A table used to lay out a page (cells holding paragraphs) rather than to hold data."""
    return any(grand.tag in _BLOCK_TAGS for cell in table.iter("cell") for grand in cell)


def _rows(table: Any) -> list[list[str]]:
    return [
        [text for cell in row.findall("cell") if (text := _inline_text(cell).replace("\n", " "))]
        for row in table.iter("row")
    ]


def _table_rows(element: Any) -> list[list[str]]:
    return [row for table in element.iter("table") if not _is_layout(table) for row in _rows(table)]


def _page_title(root: Any, blocks: list[Block]) -> str:
    """The page's title: its h1 near the top, else the part of <title> that is not the site's name.

    Of the parts of "DOCUMENT_SITE" or "SITE - DOCUMENT", the document is the one whose words
    the page's opening repeats most (the site's name may be repeated too, but is shorter).
    """
    for block in blocks[:3]:
        if block.level == 1:
            return block.text
    parts = [p for p in _TITLE_SEPARATORS.split(root.get("title", "").strip()) if p]
    site = (root.get("sitename") or "").casefold()
    parts = [p for p in parts if p.casefold() != site] or parts
    if not parts:
        return ""
    opening = set(_tokens(" ".join(b.text for b in blocks[:5])))
    return max(parts, key=lambda part: (sum(t in opening for t in _tokens(part)), len(part)))


def _tokens(text: str) -> list[str]:
    """Words of Latin text and single Han characters, case-folded."""
    return _TOKEN.findall(text.casefold())


def _drop_title_blocks(blocks: list[Block], title: str) -> list[Block]:
    """Drop the blocks near the top that only repeat the title (often split over centred lines)."""
    wanted = squeeze(title).replace(" ", "")
    for start in range(min(len(blocks), 8)):
        seen = ""
        for end in range(start, min(len(blocks), start + 6)):
            seen += squeeze(blocks[end].text).replace(" ", "").replace("\n", "")
            if seen == wanted:
                return blocks[:start] + blocks[end + 1 :]
            if not wanted.startswith(seen):
                break
    return blocks


def _iso_date(value: str) -> str:
    return value if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else ""


__all__ = ["read_html", "decode_html"]
