"""Whoosh analyzers for en, fr and zh, shared by indexing and query parsing.

English and French index every word, stop words included (marked ``is_stop``), so that a
quoted phrase matches the text word for word; the parser decides that an unquoted stop word
asks nothing. French drops elided articles (``l'``, ``d'``, ``qu'``) before
a word, so ``l'économie``, ``d'économie`` and ``économie`` are one word.

Chinese goes through OpenCC (Traditional to Simplified, for index terms only) and jieba with
a user dictionary of policy terms. Positions are sequential over a *fine* segmentation (words
of jieba's dictionary no longer than two characters where a longer word can be split), so a
phrase matches whichever way jieba grouped the characters in context; the longer word is
also indexed, at the position of its first part, so that whole-word matches rank higher.
Offsets are true character offsets into the original text, for highlighting.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.lang import stopwords_for_language
from whoosh.lang.snowball import english, french
from whoosh.support.charset import accent_map

_WORD = r"[^\W_]+(?:(?<=\d)[.,]\d+)*"  # a number keeps its decimals (6.5, 1,000), as in Chinese text
FRENCH_ELISIONS = ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu")
APOSTROPHES = "'’ʼ"
# a word, unless it is an elided article standing before an apostrophe and another word
_FRENCH_WORD = re.compile(
    rf"(?<![^\W_])(?!(?i:{'|'.join(FRENCH_ELISIONS)})[{APOSTROPHES}][^\W_]){_WORD}"
)
_LATIN_IN_CHINESE = re.compile(_WORD)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def _fold(word: str) -> str:
    return word.translate(accent_map) if any(ord(c) > 127 for c in word) else word


@functools.lru_cache(maxsize=16)
def analyzer_for(lang: str, dictionary: tuple[str, ...] = ()) -> Analyzer:
    """The analyzer of one language's fields: ``en``, ``fr`` or ``zh``.

    ``dictionary`` is the user dictionary (extra words) that Chinese segmentation uses.
    """
    if lang == "en":
        return _latin_analyzer(RegexTokenizer(_WORD), stop_words("en"), english.EnglishStemmer().stem)
    if lang == "fr":
        return _latin_analyzer(RegexTokenizer(_FRENCH_WORD), stop_words("fr"), french.FrenchStemmer().stem)
    if lang == "zh":
        return ChineseTokenizer(dictionary) | LowercaseFilter()
    if lang == "han":
        return HanTokenizer()
    if lang == "han2":
        return HanPairTokenizer()
    raise ValueError(f"no analyzer for language {lang!r}")


@functools.cache
def stop_words(lang: str) -> frozenset[str]:
    """The words of ``lang`` that an unquoted query leaves out (lower-case, accents folded)."""
    if lang == "en":
        return frozenset(stopwords_for_language("en")) | {"s"}
    if lang == "fr":
        return frozenset(_fold(w) for w in stopwords_for_language("fr")) | frozenset(FRENCH_ELISIONS)
    return frozenset()


def _latin_analyzer(tokenizer: Tokenizer, stops: frozenset[str], stem: Any) -> Analyzer:
    # accents are folded before stemming, so that a query typed without accents stems alike
    return (
        tokenizer
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopMarker(stops)
        | StemFilter(stemfn=stem, lang=None, ignore=None, cachesize=50000)
    )


class StopMarker(StopFilter):
    """Marks stop words ``is_stop`` but never drops them: they are indexed for phrases, and the
    query parser decides what an unquoted one means. (Whoosh's own ``stopped`` mark would keep
    them out of the index.)

    >>> [(t.text, t.is_stop) for t in (RegexTokenizer() | StopMarker(["of"]))("rule of law")]
    [('rule', False), ('of', True), ('law', False)]
    """

    def __init__(self, stoplist: frozenset[str]) -> None:
        super().__init__(stoplist=stoplist, minsize=1)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        stops = self.stops
        for t in tokens:
            t.is_stop = t.text in stops
            yield t


class _SpanTokenizer(Tokenizer):
    """A tokenizer over (position, text, start, end, is_compound) spans that ``spans`` makes."""

    def spans(self, value: str, mode: str) -> Iterator[tuple[int, str, int, int, bool]]:
        raise NotImplementedError

    # tokenizers of one kind are equal (Whoosh compares a schema's analyzers)
    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, text, start, end, compound in self.spans(value, mode):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            token.compound = compound
            yield token


class ChineseTokenizer(_SpanTokenizer):
    """Segments Chinese with jieba after OpenCC t2s, yielding fine words with true offsets.

    >>> [t.text for t in ChineseTokenizer()("區域協調發展", mode="query")]
    ['区域', '协调', '发展']
    """

    def __init__(self, dictionary: tuple[str, ...] = ()) -> None:
        self.dictionary = tuple(dictionary)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChineseTokenizer) and other.dictionary == self.dictionary

    def __hash__(self) -> int:
        return hash(self.dictionary)

    def spans(self, value: str, mode: str) -> Iterator[tuple[int, str, int, int, bool]]:
        return segment(value, self.dictionary, with_compounds=mode != "query")


class HanTokenizer(_SpanTokenizer):
    """The Han recall field: every character of a text that holds Han characters, one position
    each (a Latin word or number is one position; whitespace none), folded one character at a
    time (fold_chars: full width, Traditional to Simplified), with the text's offsets.

    A run of characters then occurs in a text exactly when its characters stand at consecutive
    positions, wherever jieba put word boundaries: a phrase of characters finds it like Ctrl-F,
    line wraps and spaced-out titles included, and punctuation must be as typed.

    >>> [(t.text, t.pos) for t in HanTokenizer()("人民 大會堂，GDP增长", positions=True)]
    [('人', 0), ('民', 1), ('大', 2), ('会', 3), ('堂', 4), (',', 5), ('gdp', 6), ('增', 7), ('长', 8)]
    """

    def spans(self, value: str, mode: str) -> Iterator[tuple[int, str, int, int, bool]]:
        for pos, (text, start, end) in enumerate(han_units(value)):
            yield pos, text, start, end, False


_LATIN_RUN = r"[^\W_\u3400-\u9fff\uf900-\ufaff]+(?:(?<=\d)[.,]\d+)*"  # [^\W_] alone takes Han too
_UNIT = re.compile(rf"{_LATIN_RUN}|\S")
_LATIN = re.compile(_LATIN_RUN)


class HanPairTokenizer(_SpanTokenizer):
    """The Han pair field: each two neighbouring units of the Han field as one term, at the
    first one's position. A run of two units is then one posting list, and a longer run a
    phrase of its pairs, whose lists are far shorter than its characters' (发展 holds fewer
    passages than 发 or 展), so common runs are checked in a fraction of the postings.

    >>> [(t.text, t.pos) for t in HanPairTokenizer()("人民 大會堂，GDP增长", positions=True)]
    [('人民', 0), ('民大', 1), ('大会', 2), ('会堂', 3), ('堂,', 4), (',gdp', 5), ('gdp增', 6), ('增长', 7)]
    """

    def spans(self, value: str, mode: str) -> Iterator[tuple[int, str, int, int, bool]]:
        units = han_units(value)
        for pos, ((first, start, _), (second, _, end)) in enumerate(zip(units, units[1:], strict=False)):
            yield pos, han_pair(first, second), start, end, False


def han_pair(first: str, second: str) -> str:
    """Two neighbouring units of the Han field as one term of the pair field; two words keep a
    space between them, so that the pairs of "ab c" and "a bc" differ."""
    return f"{first} {second}" if _LATIN.fullmatch(first) and _LATIN.fullmatch(second) else first + second


@functools.lru_cache(maxsize=8)  # the Han field and the pair field analyse the same text in turn
def han_units(text: str) -> tuple[tuple[str, int, int], ...]:
    """(term, start, end) of the Han field, in order: see HanTokenizer. Nothing for a text
    without Han characters."""
    if not _HAN.search(text):
        return ()
    units = []
    for found in _UNIT.finditer(fold_chars(text)):
        unit = found.group(0)
        units.append((unit if len(unit) == 1 else _fold(unit.lower()), found.start(), found.end()))
    return tuple(units)


def segment(
    text: str, dictionary: tuple[str, ...] = (), with_compounds: bool = True
) -> Iterator[tuple[int, str, int, int, bool]]:
    """Yield (position, word, start, end, is_compound) for Chinese text.

    Words are Simplified; start and end are offsets into ``text`` as given.
    """
    if not _HAN.search(text):
        # Latin words only (a Latin query word is looked up in the Chinese fields too): the same
        # words jieba's path gives, without loading OpenCC or jieba's dictionary (0.5 s a process)
        folded = "".join(_fold_width(c) for c in text)
        for pos, (word, start, end) in enumerate(_latin_words(folded, 0, len(folded))):
            yield pos, word, start, end, False
        return
    normal = to_simplified(text)
    jieba = _tokenizer_for(normal, dictionary)
    pos = 0
    latin_start: int | None = None  # jieba cuts "6.9" and "Beijing-Tianjin" apart: read such runs whole
    for word, start, end in jieba.tokenize(normal, HMM=False):
        if not _HAN.search(word):
            latin_start = start if latin_start is None else latin_start
            continue
        if latin_start is not None:
            for latin in _latin_words(normal, latin_start, start):
                yield pos, *latin, False
                pos += 1
            latin_start = None
        parts = fine_parts(word, dictionary)
        if with_compounds and len(parts) > 1:
            yield pos, word, start, end, True
        offset = start
        for part in parts:
            yield pos, part, offset, offset + len(part), False
            offset += len(part)
            pos += 1
    if latin_start is not None:
        for latin in _latin_words(normal, latin_start, len(normal)):
            yield pos, *latin, False
            pos += 1


def _latin_words(text: str, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    # accents folded as in the English and French fields: "à" finds the "A" of Chinese text
    for found in _LATIN_IN_CHINESE.finditer(text, start, end):
        yield _fold(found.group(0)), found.start(), found.end()


def fold_chars(text: str) -> str:
    """Full width folded and Traditional converted to Simplified one character at a time.

    OpenCC converts by phrase (乾隆 keeps 乾, 乾燥 becomes 干燥), so the same characters could
    fold one way in a passage and another in a query that cuts them out of it; the Han field
    and whatever checks it fold each character alone, the same everywhere.
    """
    return "".join(map(_fold_char, text))


@functools.lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    folded = _fold_width(char)
    if not _HAN.match(folded):
        return folded
    converted = _opencc().convert(folded)
    return converted if len(converted) == 1 else folded


def to_simplified(text: str) -> str:
    """Full-width forms folded and Traditional converted to Simplified, keeping every offset."""
    folded = "".join(_fold_width(c) for c in text)
    converted = _opencc().convert(folded)
    if len(converted) != len(folded):
        # a phrase conversion changed the length: convert character by character instead
        converted = "".join(_opencc().convert(c) if len(_opencc().convert(c)) == 1 else c for c in folded)
    return converted


@functools.lru_cache(maxsize=4096)
def _fold_width(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


@functools.lru_cache(maxsize=200_000)
def fine_parts(word: str, dictionary: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Split a word longer than two characters into its most probable dictionary sub-words.

    >>> fine_parts("粤港澳大湾区")
    ('粤港', '澳', '大湾', '区')
    """
    if len(word) <= 2:
        return (word,)
    jieba = _tokenizer_for(word, dictionary)
    dag = jieba.get_DAG(word)
    n = len(word)
    log_total = math.log(jieba.total)
    route: dict[int, tuple[float, int]] = {n: (0.0, 0)}
    for idx in range(n - 1, -1, -1):
        # the whole word is not one of its own parts; when it is the only word that starts here
        # (X射线: "X" alone is not in the dictionary), the first character stands alone
        ends = [x for x in dag[idx] if not (idx == 0 and x == n - 1)] or [idx]
        route[idx] = max((math.log(jieba.FREQ.get(word[idx : x + 1]) or 1) - log_total + route[x + 1][0], x) for x in ends)
    parts: list[str] = []
    idx = 0
    while idx < n:
        end = route[idx][1] + 1
        parts.extend(fine_parts(word[idx:end], dictionary))
        idx = end
    return tuple(parts)


@functools.cache
def _opencc() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


_SHORT_TEXT = 64  # characters: a query or a heading, cut with the frequencies on disk

_loaded: dict[tuple[str, ...], Any] = {}


def _jieba(dictionary: tuple[str, ...]) -> Any:
    """jieba with its whole dictionary loaded, and the policy terms added."""
    if dictionary not in _loaded:
        import logging

        from policy_search.lean_imports import import_jieba

        jieba = import_jieba()

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in dictionary:
            tokenizer.add_word(to_simplified(word))
        _loaded[dictionary] = tokenizer
    return _loaded[dictionary]


def _tokenizer_for(text: str, dictionary: tuple[str, ...]) -> Any:
    """The loaded tokenizer for long text or once it is loaded; for a short text (a query) in a
    process that has not loaded it, the one reading frequencies from disk (lexicon.py)."""
    if dictionary in _loaded or len(text) > _SHORT_TEXT:
        return _jieba(dictionary)
    return _on_disk(dictionary) or _jieba(dictionary)


@functools.cache
def _on_disk(dictionary: tuple[str, ...]) -> Any | None:
    from policy_search.analysis.lexicon import lexicon_path, open_lexicon

    return open_lexicon(lexicon_path(dictionary_digest(dictionary)))


def prepare_lexicon(dictionary: tuple[str, ...]) -> None:
    """Write the frequencies queries read from disk, if they are not there yet (ingest calls it)."""
    import sqlite3

    from policy_search.analysis.lexicon import lexicon_path, write_lexicon

    path = lexicon_path(dictionary_digest(dictionary))
    if path.is_file():
        return
    try:
        write_lexicon(_jieba(dictionary), path)
    except (OSError, sqlite3.Error):
        pass  # a cache folder that cannot be written: queries load the dictionary, as before


def read_dictionary(path: Path | None = None) -> tuple[str, ...]:
    """Words of a user dictionary file (jieba format: word [freq] [tag], # comments).

    Without a path, the policy terms shipped with the package.
    """
    if path is None:
        text = resources.files("policy_search").joinpath("data/policy_terms.txt").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8-sig")
    words = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line.split()[0])
    return tuple(dict.fromkeys(words))


def dictionary_digest(dictionary: tuple[str, ...]) -> str:
    import hashlib  # 3 ms to import: a Latin query never asks

    return hashlib.sha256("\n".join(dictionary).encode()).hexdigest()[:12]
