"""Markdown: front matter read as metadata, editorial notes and markup kept out of the text.

Markdown that sites and clipping tools export starts with front matter, either YAML between
``---`` lines or plain ``key: value`` lines (标题: …, 来源: …, 官方链接: …), and may open with
editorial notes as ``>`` blockquotes. Neither is the document's text. Inline markup
(emphasis, links, images, code) is taken off so that passages read as the text does; ATX
headings stay for the structure stage, which reads them.
"""

from __future__ import annotations

import re

from policy_search.documents.readers.fields import fields_from, normal_label
from policy_search.documents.readers.text import decode, split_pages
from policy_search.model import Source

_YAML_FENCE = re.compile(r"^---\s*$")
_YAML_END = re.compile(r"^(?:---|\.\.\.)\s*$")
# a labelled line: a short label (no sentence in it), a colon, a value
_FIELD = re.compile(r"^\s*(?P<label>[^\s:：#>*\-|][^:：。.!?！？,，]{0,19}?)\s*[:：]\s*(?P<value>.*?)\s*$")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)")
_CODE = re.compile(r"`([^`\n]+)`")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|])")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def read_markdown(data: bytes) -> Source:
    """Read a .md file: metadata from its front matter, its text without markup."""
    text, encoding = decode(data)
    if "\x00" in text:
        raise ValueError("binary content (NUL bytes) in a text file")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    values, body = front_matter(lines)
    fields = fields_from(values)
    body = _drop_opening_notes(body)
    pages, running_title = split_pages("\n".join(strip_markup(line) for line in body))
    return Source(pages=pages, title=fields.title or running_title, date=fields.date, encoding=encoding)


def front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """The labelled values of a file's front matter (labels normalised) and the lines after it.

    YAML front matter is the lines between a first ``---`` and the next ``---``; plain front
    matter is a run of at least two ``label: value`` lines at the top, one of whose labels is a
    metadata label (标题, 来源, date, source ...), so that a text that opens with "第一条：..." or
    "Note: ..." keeps its first line.
    """
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if start < len(lines) and _YAML_FENCE.match(lines[start]):
        end = next((i for i in range(start + 1, len(lines)) if _YAML_END.match(lines[i])), None)
        if end is not None:
            values = {}
            for line in lines[start + 1 : end]:
                found = _FIELD.match(line)
                if found and not line.startswith((" ", "\t")):
                    values[normal_label(found["label"])] = found["value"].strip().strip("'\"")
            return values, lines[end + 1 :]
    values = {}
    end = start
    while end < len(lines) and (found := _FIELD.match(lines[end])) and _is_field_value(found["value"]):
        values[normal_label(found["label"])] = found["value"]
        end += 1
    known = fields_from(values)
    if end - start >= 2 and (known.title or known.date or known.source_url):
        return values, lines[end:]
    return {}, lines


def _is_field_value(value: str) -> bool:
    """A metadata value, not a sentence: short, or a link."""
    return value.startswith("http") or len(value) <= 120


def _drop_opening_notes(lines: list[str]) -> list[str]:
    """Drop blockquotes before the text starts: editorial notes, not the document."""
    index = 0
    while index < len(lines) and (not lines[index].strip() or _QUOTE.match(lines[index])):
        index += 1
    if any(_QUOTE.match(line) for line in lines[:index]):
        return lines[index:]
    return lines


def strip_markup(line: str) -> str:
    """A Markdown line as text: no quote marker, emphasis, link targets, images or table rules."""
    if "|" in line and _TABLE_RULE.match(line):
        return ""
    line = _QUOTE.sub("", line)
    line = _IMAGE.sub(lambda m: m.group(1), line)
    line = _LINK.sub(lambda m: m.group(1), line)
    line = _CODE.sub(lambda m: m.group(1), line)
    line = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3), line)
    return _ESCAPE.sub(lambda m: m.group(1), line)
