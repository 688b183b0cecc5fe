"""The query language: parse it, turn it into Whoosh queries per language field, and filters.

Grammar (words are ANDed)::

    query  := or ("OR" or)*            or     := unary (["AND"] unary)*
    unary  := "NOT" unary | atom       atom   := "(" query ")" | "phrase" | field:value | word
    fields := lang: doc: title: section:          word* is a prefix

A malformed query raises QueryError with what is wrong and where.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq

from .analysis import analyzer_for, to_simplified
from .errors import QueryError
from .model import LANGUAGES

FIELDS = ("lang", "doc", "title", "section")
PHRASE_BOOST = 25.0  # contiguous runs of the query words rank above every match with the words apart
COMPOUND_BOOST = 1.5
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_OPEN_QUOTES = {'"': '"', "“": "”", "「": "」"}
_WORD_RUN = re.compile(r'[^\s()“"「]+')
_FIELD = re.compile(r"^([A-Za-z_]+):(.*)$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


@dataclass(frozen=True)
class _Tok:
    kind: str  # word, phrase, open, close, field
    text: str
    column: int
    field: str = ""


def _lex(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in "()":
            tokens.append(_Tok("open" if char == "(" else "close", char, i + 1))
            i += 1
            continue
        if char in _OPEN_QUOTES:
            end = _closing_quote(text, i)
            tokens.append(_Tok("phrase", text[i + 1 : end], i + 1))
            i = end + 1
            continue
        match = _WORD_RUN.match(text, i)
        assert match is not None
        word = match.group(0)
        field = _FIELD.match(word)
        if field and field.group(1).lower() in FIELDS:
            name, rest = field.group(1).lower(), field.group(2)
            if rest:
                tokens.append(_Tok("field", rest, i + 1, name))
                i = match.end()
                continue
            # field: followed by a phrase or a group
            nxt = match.end()
            if nxt < len(text) and text[nxt] in _OPEN_QUOTES:
                end = _closing_quote(text, nxt)
                tokens.append(_Tok("field", text[nxt + 1 : end], i + 1, name + '"'))
                i = end + 1
                continue
            raise QueryError(f"field {name}: at column {i + 1} needs a value, e.g. {name}:{_example(name)}")
        if field and not field.group(1).isdigit() and field.group(2) and not field.group(2).startswith("/"):
            raise QueryError(
                f"unknown field {field.group(1)!r} at column {i + 1} in query {text!r} "
                f"(fields are {', '.join(f + ':' for f in FIELDS)}; quote the word to search for it as text)"
            )
        tokens.append(_Tok("word", word, i + 1))
        i = match.end()
    return tokens


def _closing_quote(text: str, start: int) -> int:
    """Index of the quote that closes the one at ``start`` (a straight quote may close “)."""
    opening = text[start]
    end = text.find(_OPEN_QUOTES[opening], start + 1)
    if end == -1 and opening == "“":
        end = text.find('"', start + 1)
    if end == -1:
        raise QueryError(
            f"unbalanced quote at column {start + 1} in query {text!r}: close the phrase with {_OPEN_QUOTES[opening]}"
        )
    return end


def _example(name: str) -> str:
    return {"lang": "zh", "doc": "seeds/*", "title": "plan", "section": "box"}[name]


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query: the Whoosh query for scoring and the filters it carried (lang:, doc:)."""

    query: Any
    langs: tuple[str, ...]
    docs: tuple[str, ...]


class _Parser:
    def __init__(self, text: str, langs: tuple[str, ...], dictionary: tuple[str, ...]) -> None:
        self.text = text
        self.tokens = _lex(text)
        self.pos = 0
        self.langs = langs
        self.dictionary = dictionary
        self.filter_langs: list[str] = []
        self.filter_docs: list[str] = []

    def parse(self) -> Any:
        if not self.tokens:
            raise QueryError("empty query: give at least one word")
        query = self._or()
        if self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            raise QueryError(f"unbalanced parenthesis at column {token.column} in query {self.text!r}")
        return query

    def _peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _is_operator(self, token: _Tok | None, name: str) -> bool:
        return token is not None and token.kind == "word" and token.text == name

    def _or(self) -> Any:
        parts = [self._and()]
        while self._is_operator(self._peek(), "OR"):
            self.pos += 1
            parts.append(self._and())
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def _and(self) -> Any:
        parts: list[Any] = []
        while True:
            token = self._peek()
            if token is None or token.kind == "close" or self._is_operator(token, "OR"):
                break
            if self._is_operator(token, "AND"):
                self.pos += 1
                continue
            parts.append(self._unary())
        parts = [p for p in parts if p is not None]
        if not parts:
            token = self._peek()
            if token is not None and token.kind == "close":
                raise QueryError(f"unbalanced parenthesis at column {token.column} in query {self.text!r}")
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def _unary(self) -> Any:
        token = self._peek()
        assert token is not None
        if self._is_operator(token, "NOT"):
            self.pos += 1
            if self._peek() is None:
                raise QueryError(f"NOT at column {token.column} needs something to exclude")
            inner = self._unary()
            return wq.Not(inner) if inner is not None else None
        return self._atom()

    def _atom(self) -> Any:
        token = self._peek()
        assert token is not None
        self.pos += 1
        if token.kind == "open":
            inner = self._or()
            closing = self._peek()
            if closing is None or closing.kind != "close":
                raise QueryError(f"unbalanced parenthesis at column {token.column} in query {self.text!r}: add a )")
            self.pos += 1
            return inner
        if token.kind == "close":
            raise QueryError(f"unbalanced parenthesis at column {token.column} in query {self.text!r}")
        if token.kind == "phrase":
            return self._phrase(token.text, ("body", "section"))
        if token.kind == "field":
            return self._field(token)
        return self._word(token.text, ("body", "section"))

    def _field(self, token: _Tok) -> Any:
        name, quoted = token.field.rstrip('"'), token.field.endswith('"')
        if name == "lang":
            lang = token.text.lower()
            if lang not in LANGUAGES:
                raise QueryError(f"unknown language {token.text!r} in lang: at column {token.column} (use en, fr or zh)")
            self.filter_langs.append(lang)
            return None
        if name == "doc":
            self.filter_docs.append(token.text)
            return None
        if quoted:
            return self._phrase(token.text, (name,))
        return self._word(token.text, (name,))

    def _languages(self, text: str) -> list[str]:
        if _HAN.search(text):
            return ["zh"] if "zh" in self.langs else []
        return list(self.langs)

    def _word(self, word: str, kinds: tuple[str, ...]) -> Any:
        if word.endswith("*") and len(word.rstrip("*")) >= 1:
            return self._prefix(word.rstrip("*"), kinds)
        alternatives = []
        stopped = []
        for lang in self._languages(word):
            analyzer = analyzer_for(lang, self.dictionary)
            terms = [t.text for t in analyzer(word, mode="query")]
            if not terms:
                stopped.append(lang)
                continue
            fields = [f"{kind}_{lang}" for kind in kinds]
            each = [_any_field(fields, term) for term in terms]
            required = each[0] if len(each) == 1 else wq.And(each)
            if len(terms) > 1:
                # contiguous first: the run of words as a phrase is worth more than the words apart
                bonus: list[Any] = [wq.Phrase(f, terms, boost=PHRASE_BOOST) for f in fields]
                if lang == "zh":
                    compounds = [t.text for t in analyzer(word) if getattr(t, "compound", False)]
                    bonus += [wq.Term(f, c, boost=COMPOUND_BOOST) for f in fields for c in compounds]
                required = wq.AndMaybe(required, wq.Or(bonus))
            alternatives.append(required)
        if not alternatives:
            return None  # a stop word in every language: no constraint at all
        # A stop word in some languages only ("la" is French, "of" English) asks nothing of
        # passages in those languages; were it required there, "la vente" would miss French.
        # Such a passage scores 1.0 for the word: Whoosh read the 0.0 written here before as
        # "no constant" and gave 1.0, and the judged queries were recorded with that.
        alternatives += [wq.ConstantScoreQuery(wq.Term("lang", lang), 1.0) for lang in stopped]
        return _or_of(alternatives)

    def _phrase(self, text: str, kinds: tuple[str, ...]) -> Any:
        alternatives = []
        for lang in self._languages(text):
            terms = [t.text for t in analyzer_for(lang, self.dictionary)(text, mode="query")]
            if not terms:
                continue
            for kind in kinds:
                field = f"{kind}_{lang}"
                alternatives.append(wq.Term(field, terms[0]) if len(terms) == 1 else wq.Phrase(field, terms))
        return _or_of(alternatives)

    def _prefix(self, stem: str, kinds: tuple[str, ...]) -> Any:
        # a prefix is not stemmed: it is lowercased and folded the way each field folds text
        alternatives = []
        for lang in self._languages(stem):
            prefix = to_simplified(stem).lower() if lang == "zh" else _fold_lower(stem)
            alternatives += [wq.Prefix(f"{kind}_{lang}", prefix) for kind in kinds]
        return _or_of(alternatives)


def _fold_lower(text: str) -> str:
    from whoosh.support.charset import accent_map

    return text.lower().translate(accent_map)


def _any_field(fields: list[str], term: str) -> Any:
    return wq.Term(fields[0], term) if len(fields) == 1 else wq.Or([wq.Term(f, term) for f in fields])


def _or_of(alternatives: list[Any]) -> Any:
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)


def parse_query(text: str, langs: Sequence[str] = (), dictionary: tuple[str, ...] = ()) -> ParsedQuery:
    """Parse a query string into a Whoosh query over the fields of ``langs`` (default all)."""
    for lang in langs:
        if lang not in LANGUAGES:
            raise QueryError(f"unknown language {lang!r} (use en, fr or zh)")
    parser = _Parser(text, tuple(langs) or LANGUAGES, dictionary)
    query = parser.parse()
    if query is None and not parser.filter_docs and not parser.filter_langs:
        raise QueryError(f"query {text!r} has no searchable words (only stop words or punctuation)")
    return ParsedQuery(query if query is not None else wq.Every(), tuple(parser.filter_langs), tuple(parser.filter_docs))


def parse_date_bound(value: str, option: str, end: bool) -> str:
    """YYYY, YYYY-MM or YYYY-MM-DD as a full date; the end of the period when ``end``."""
    found = _DATE.match(value.strip())
    if not found:
        raise QueryError(f"invalid date for {option}: {value!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = found.group(1), found.group(2), found.group(3)
    try:
        import datetime

        if day:
            date = datetime.date(int(year), int(month), int(day))
        elif month:
            date = datetime.date(int(year), int(month), 1)
            if end:
                next_month = date.replace(day=28) + datetime.timedelta(days=4)
                date = next_month - datetime.timedelta(days=next_month.day)
        else:
            date = datetime.date(int(year), 12 if end else 1, 31 if end else 1)
    except ValueError as exc:
        raise QueryError(f"invalid date for {option}: {value!r} ({exc})") from exc
    return date.isoformat()


def build_filter(
    langs: Sequence[str], docs: Sequence[str], since: str | None, until: str | None
) -> Any:
    """The filter every search applies: passages only, then language, document and date."""
    restriction = build_restriction(langs, docs, since, until)
    kind = wq.Term("kind", "passage")
    return kind if restriction is None else wq.And([kind, *restriction.subqueries])


def build_restriction(
    langs: Sequence[str], docs: Sequence[str], since: str | None, until: str | None
) -> Any:
    """The language, document and date filters, or None when there are none."""
    parts: list[Any] = []
    if langs:
        parts.append(wq.Or([wq.Term("lang", lang) for lang in langs]))
    if docs:
        parts.append(wq.Or([wq.Wildcard("doc_id", d) if any(c in d for c in "*?[") else wq.Term("doc_id", d) for d in docs]))
    if since or until:
        low = parse_date_bound(since, "--since", end=False) if since else None
        high = parse_date_bound(until, "--until", end=True) if until else None
        parts.append(wq.TermRange("date", low, high))
    return wq.And(parts) if parts else None
