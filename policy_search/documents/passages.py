"""Paragraphs into passages: an article's paragraphs together, long paragraphs split on
sentence boundaries so that a passage stays readable (at most about 1,200 characters)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator

from policy_search.documents.language import detect_language
from policy_search.model import Paragraph, Passage

MAX_CHARS = 1200
_SENTENCE_BOUNDARY = re.compile(r"(?:[。！？；][”」』）)]*|[.!?][\"”’)]*(?=\s)|\n)\s*")
_CLAUSE_BOUNDARY = re.compile(r"(?:[，、；：,;:])\s*")


def merge_groups(paragraphs: Iterable[Paragraph]) -> Iterator[Paragraph]:
    """Join consecutive paragraphs of one group (an article) into one paragraph."""
    current: Paragraph | None = None
    for para in paragraphs:
        if current is not None and para.group is not None and para.group == current.group:
            offset = len(current.text) + 1
            shifted = tuple((o + offset, p, lab) for o, p, lab in para.breaks)
            if para.page != current.page_at(len(current.text))[0]:
                shifted = ((offset, para.page, para.page_label), *shifted)
            current = Paragraph(
                current.text + "\n" + para.text,
                current.section,
                current.page,
                current.page_label,
                current.group,
                current.breaks + shifted,
            )
            continue
        if current is not None:
            yield current
        current = para
    if current is not None:
        yield current


def split_text(text: str, limit: int = MAX_CHARS) -> list[tuple[int, str]]:
    """Cut text into pieces of at most ``limit`` characters on sentence boundaries.

    Pieces are of even size rather than full-then-short; a sentence longer than the limit
    is cut at clause punctuation, and only as a last resort mid-clause. Returns
    (offset, piece) pairs.
    """
    if len(text) <= limit:
        return [(0, text)]
    target = math.ceil(len(text) / math.ceil(len(text) / (limit * 0.85)))
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        if len(text) - start <= limit:
            pieces.append((start, text[start:]))
            break
        cut = _best_cut(text, start, target, limit)
        pieces.append((start, text[start:cut]))
        start = cut
    return [(o + len(p) - len(p.lstrip()), p.strip()) for o, p in pieces if p.strip()]


def _best_cut(text: str, start: int, target: int, limit: int) -> int:
    window = text[start : start + limit]
    for pattern in (_SENTENCE_BOUNDARY, _CLAUSE_BOUNDARY):
        ends = [m.end() for m in pattern.finditer(window) if m.end() < len(window)]
        if ends:
            best = min(ends, key=lambda end: abs(end - target))
            if best >= target * 0.4:
                return start + best
    space = window.rfind(" ", int(limit * 0.6))
    return start + (space + 1 if space > 0 else limit)


def build_passages(paragraphs: Iterable[Paragraph], default_lang: str = "") -> list[Passage]:
    """Number the passages of a document in reading order and detect each one's language."""
    passages: list[Passage] = []
    for para in merge_groups(paragraphs):
        for offset, piece in split_text(para.text):
            page, label = para.page_at(offset)
            lang = detect_language(piece, default_lang)
            breaks = tuple((o - offset, p, lab) for o, p, lab in para.breaks if offset < o < offset + len(piece))
            passages.append(Passage(len(passages) + 1, piece, para.section, page, label, lang, breaks))
    return passages
