"""Snippets cut from the original text of a passage, with the matched words marked [[...]]."""

from __future__ import annotations

from .analysis import analyzer_for

SNIPPET_CHARS = {"zh": 120, "en": 260, "fr": 260}
OPEN, CLOSE = "[[", "]]"


def matched_spans(text: str, lang: str, terms: set[str], dictionary: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` whose index terms are in ``terms``, merged."""
    if not terms:
        return []
    analyzer = analyzer_for(lang, dictionary)
    spans = sorted(
        (t.startchar, t.endchar) for t in analyzer(text, chars=True, removestops=True) if t.text in terms
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        joinable = merged and (start <= merged[-1][1] or (lang == "zh" and start == merged[-1][1]))
        if joinable:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(text: str, lang: str, terms: set[str], dictionary: tuple[str, ...] = ()) -> str:
    """The part of ``text`` with the most distinct matches, matches marked ``[[...]]``."""
    width = SNIPPET_CHARS.get(lang, 260)
    spans = matched_spans(text, lang, terms, dictionary)
    start = _best_window(text, spans, width)
    end = min(len(text), start + width)
    if end < len(text) and lang != "zh":
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    pieces = []
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        pieces.append(text[cursor:s])
        pieces.append(OPEN + text[s:e] + CLOSE)
        cursor = e
    pieces.append(text[cursor:end])
    snippet = "".join(pieces).replace("\n", " ")
    return ("…" if start > 0 else "") + snippet.strip() + ("…" if end < len(text) else "")


def _best_window(text: str, spans: list[tuple[int, int]], width: int) -> int:
    """Start of the window of ``width`` characters covering the most matches."""
    if not spans or len(text) <= width:
        return 0
    best_start, best_count = 0, -1
    for i, (s, _) in enumerate(spans):
        count = sum(1 for s2, _ in spans[i:] if s2 < s + width)
        if count > best_count:
            best_start, best_count = s, count
    # start a little before the first match, at a word or sentence boundary
    start = max(0, best_start - width // 5)
    for boundary in ("。", ". ", "；", "，", ", ", " "):
        found = text.rfind(boundary, start, best_start)
        if found != -1:
            return found + len(boundary) if found + len(boundary) <= best_start else start
    return start
