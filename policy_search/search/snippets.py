"""Snippets cut from the original text of a passage, with the matched words marked [[...]]."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

from whoosh.support.charset import accent_map

from policy_search.analysis.analyzers import analyzer_for, fold_chars, han_units, has_han, segment, to_simplified

SNIPPET_CHARS = {"zh": 120, "en": 260, "fr": 260}
OPEN, CLOSE = "[[", "]]"


def matched_spans(
    text: str, lang: str, terms: set[str], dictionary: tuple[str, ...] = (), runs: tuple[str, ...] = ()
) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` whose index terms are in ``terms``, and of the
    Han ``runs`` wherever they stand, merged. Where a run stands, its Han words are not marked
    apart; where none does (its words stand apart), they are."""
    if not terms and not runs:
        return []
    run_spans = _run_spans(text, runs)
    if run_spans:
        terms = {t for t in terms if not has_han(t)}
    if not terms:
        spans = []
    elif lang == "zh":
        spans = _chinese_spans(text, terms, dictionary)
    else:
        spans = _latin_spans(text, lang, terms, dictionary)
    spans = sorted(spans + run_spans)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        joinable = merged and (start <= merged[-1][1] or (lang == "zh" and start == merged[-1][1]))
        if joinable:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def phrase_start(text: str, lang: str, phrases: Sequence[tuple[str, ...]], dictionary: tuple[str, ...] = ()) -> int | None:
    """Where the first occurrence of any of ``phrases`` (a field's analysed words, in order)
    begins in an English or French ``text``; None if none occurs."""
    if not phrases or lang not in ("en", "fr"):
        return None
    tokens = [
        (term, chunk.start() + start)
        for chunk in _CHUNK.finditer(text)
        for term, _, start, _ in _chunk_tokens(chunk.group(0), lang, dictionary)
    ]
    terms = [term for term, _ in tokens]
    starts = []
    for words in phrases:
        n = len(words)
        first = next((i for i in range(len(terms) - n + 1) if tuple(terms[i : i + n]) == words), None)
        if first is not None:
            starts.append(tokens[first][1])
    return min(starts, default=None)


def _latin_spans(text: str, lang: str, terms: set[str], dictionary: tuple[str, ...]) -> list[tuple[int, int]]:
    """Words whose terms matched; a stop word only beside another matched word (a phrase's
    "of the", not every "the" of the passage)."""
    tokens = [
        (term in terms, stop, chunk.start() + start, chunk.start() + end)
        for chunk in _CHUNK.finditer(text)
        for term, stop, start, end in _chunk_tokens(chunk.group(0), lang, dictionary)
    ]
    spans = []
    for i, (matched, stopped, start, end) in enumerate(tokens):
        if not matched:
            continue
        beside = (i > 0 and tokens[i - 1][0]) or (i + 1 < len(tokens) and tokens[i + 1][0])
        if not stopped or beside:
            spans.append((start, end))
    return spans


def _keeping_offsets(text: str, fold: Callable[[str], str]) -> str:
    """``fold(text)`` if it keeps every character where it was (spans found in it are spans of
    ``text``), else ``text``: a few characters lower-case to two ("İ")."""
    folded = fold(text)
    return folded if len(folded) == len(text) else text


_CHUNK = re.compile(r"\S+")  # no English or French word spans whitespace


@functools.lru_cache(maxsize=65536)
def _chunk_tokens(chunk: str, lang: str, dictionary: tuple[str, ...]) -> tuple[tuple[str, bool, int, int], ...]:
    """The analysed words of a piece of text between spaces: (term, is a stop word, start,
    end). The same pieces recur in passage after passage, and the analyzer (stemming a word at
    a time) was most of a snippet's time."""
    return tuple(
        (t.text, getattr(t, "is_stop", False), t.startchar, t.endchar) for t in analyzer_for(lang, dictionary)(chunk, chars=True)
    )


def _chinese_spans(text: str, terms: set[str], dictionary: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the matched terms occur in Chinese text, found as strings, not by segmenting again.

    Re-running jieba over every hit's passage cost more than the search itself (about 1.5 ms
    a passage). Index terms are Simplified and lower-cased, and to_simplified keeps offsets,
    so a plain search of the folded text finds them; Latin terms must not be part of a longer
    Latin word (Han characters around them are fine: 的GDP), and Chinese ones must be cut as
    words where they stand.
    """
    # Latin terms of the Chinese field are lower-cased and unaccented
    folded = _keeping_offsets(_keeping_offsets(to_simplified(text), str.lower), lambda t: t.translate(accent_map))
    alternatives = [
        re.escape(term) if not term.isascii() else rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])"
        for term in sorted(terms, key=len, reverse=True)
        if term
    ]
    if not alternatives:
        return []
    # overlapping matches matter (a compound and its parts): search each start position
    pattern = re.compile(f"(?=({'|'.join(alternatives)}))")
    spans = sorted((found.start(), found.start() + len(found.group(1))) for found in pattern.finditer(folded))
    return [(start, end) for start, end in spans if _is_word(folded, start, end, dictionary)]


def _run_spans(text: str, runs: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the Han runs of a query stand in ``text``, as the Han field matches them: folded,
    with whitespace between Han characters and any punctuation where the run has some."""
    if not runs or not has_han(text):
        return []
    folded = _keeping_offsets(fold_chars(text), str.lower)
    spans = []
    for run in runs:
        pattern = _run_pattern(run)
        if pattern is not None:
            spans += [(m.start(), m.end()) for m in pattern.finditer(folded)]
    return spans


@functools.lru_cache(maxsize=1024)
def _run_pattern(run: str) -> re.Pattern[str] | None:
    units = [term for term, _, _ in han_units(run)]
    if not units:
        return None
    pieces = [re.escape(units[0])]
    for before, term in zip(units, units[1:], strict=False):
        # the Han field skips whitespace: between two Latin words there must be some
        pieces.append(r"\s+" if before[-1].isalnum() and term[0].isalnum() and not (has_han(before) or has_han(term)) else r"\s*")
        pieces.append(re.escape(term))
    return re.compile("".join(pieces))


def _is_word(text: str, start: int, end: int, dictionary: tuple[str, ...], context: int = 4) -> bool:
    """Whether jieba, on a few characters around it, cuts text[start:end] at both ends.

    That keeps 人 in 万人 and 园区 in 工业园区, and drops 人 in 人口 and 产权 in 财产权.
    """
    if text[start:end].isascii():
        return True  # whole Latin words were already required
    left = max(0, start - context)
    starts, ends = _word_bounds(text[left : end + context], dictionary)
    return start - left in starts and end - left in ends


@functools.lru_cache(maxsize=65536)
def _word_bounds(window: str, dictionary: tuple[str, ...]) -> tuple[frozenset[int], frozenset[int]]:
    """Where jieba starts and ends words in a window (the same few characters recur: 高质量发展)."""
    words = [(s, e) for _, _, s, e, _ in segment(window, dictionary, with_compounds=False)]
    return frozenset(s for s, _ in words), frozenset(e for _, e in words)


def snippet_of(text: str, lang: str, spans: list[tuple[int, int]]) -> str:
    """The part of ``text`` with the most of ``spans`` (matched words), marked ``[[...]]``."""
    width = SNIPPET_CHARS.get(lang, 260)
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
