"""The naive Whoosh set-up that issue 5 measures against, built from the same passages.

jieba's own ChineseAnalyzer, Whoosh's StemmingAnalyzer (English) and LanguageAnalyzer("fr"),
one body field per language, the default writer, and a MultifieldParser over the three body
fields: what a first attempt with these libraries looks like.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import LanguageAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.qparser import MultifieldParser

FIELDS = {"en": "body_en", "fr": "body_fr", "zh": "body_zh"}


@dataclass(frozen=True)
class NaiveHit:
    doc_id: str
    passage: int
    text: str
    section: str


def schema() -> Schema:
    import jieba
    from jieba.analyse import ChineseAnalyzer

    jieba.setLogLevel(logging.WARNING)
    return Schema(
        doc_id=ID(stored=True),
        passage=NUMERIC(stored=True),
        text=STORED(),
        section=STORED(),
        body_en=TEXT(analyzer=StemmingAnalyzer()),
        body_fr=TEXT(analyzer=LanguageAnalyzer("fr")),
        body_zh=TEXT(analyzer=ChineseAnalyzer()),
    )


def build(passages: Iterable[dict[str, object]], folder: Path) -> int:
    """Index passages (dicts with doc_id, passage, lang, text, section) the naive way."""
    folder.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(folder), schema())
    writer = ix.writer()
    count = 0
    for p in passages:
        writer.add_document(
            doc_id=p["doc_id"], passage=p["passage"], text=p["text"], section=p["section"],
            **{FIELDS[str(p["lang"])]: p["text"]},
        )
        count += 1
    writer.commit()
    return count


class NaiveIndex:
    def __init__(self, folder: Path) -> None:
        self._ix = whoosh_index.open_dir(str(folder))
        self._parser = MultifieldParser(list(FIELDS.values()), self._ix.schema)

    def search(self, query: str, limit: int = 10) -> list[NaiveHit]:
        parsed = self._parser.parse(query)
        with self._ix.searcher() as searcher:
            return [
                NaiveHit(hit["doc_id"], hit["passage"], hit["text"], hit["section"])
                for hit in searcher.search(parsed, limit=limit)
            ]

    def count(self, query: str) -> int:
        with self._ix.searcher() as searcher:
            return len(searcher.search(self._parser.parse(query), limit=None))
