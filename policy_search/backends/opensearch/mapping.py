"""The OpenSearch index's settings and mapping, and passages as the documents sent to it.

OpenSearch has no field type for tokens made elsewhere, so each text field is sent as our
analyzers' tokens joined by spaces and indexed with the whitespace tokenizer: the terms and
their positions are the ones the Whoosh backend indexes, so a phrase of our query parser finds
the same passages. Several tokens at one position (jieba's compound word over its first part)
are written ``word|part`` and split by a ``pattern_capture`` filter, which gives the extra
tokens a position increment of 0. A token's own spaces and bars (a Han pair across a space,
"in the") are escaped into a private-use plane, the same way at ingest and at query time.
The passage's own text and citation fields are kept in ``_source`` under ``stored``, never
indexed; the token strings are left out of ``_source``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

from policy_search.backends.whoosh.codec import read_varints
from policy_search.backends.whoosh.store import FIELD_BOOSTS
from policy_search.model import LANGUAGES, Document, DocumentInfo

#: text field name prefixes (whose values are token strings) and the analysis of each language
KINDS = ("body", "section", "title")
TEXT_LANGS = (*LANGUAGES, "han", "han2")
TEXT_FIELDS = tuple(f"{kind}_{lang}" for lang in TEXT_LANGS for kind in KINDS)
#: fields searched by term counts only, never by phrase (as in the Whoosh schema)
COUNTS_ONLY = tuple(f"{kind}_han" for kind in KINDS)

K1, B = 1.2, 0.75  # BM25's, as Whoosh has them
MAX_TOKEN = 4096  # characters; longer tokens are cut, alike at ingest and at query time
_ESCAPED = 0xF0000  # supplementary private use area A: characters no document holds as text
#: a position no token took; and one more token at the end of every field of every passage and
#: record, so that Lucene's statistics count every document, as Whoosh's BM25F does (its idf and
#: average length are over all documents), and the similarity can take it away again
FILLER = "\U000ffffd"

#: the index's own format: a change that needs a rebuild bumps it
FORMAT_VERSION = 1

META_ID = "~meta"
DICTIONARY_ID = "~dictionary"
LOCKS_INDEX = "policy-search-locks"

ANALYZER = "policy_search_tokens"


def escape(token: str) -> str:
    """A token as one whitespace-free, bar-free word (reversible; cut at MAX_TOKEN)."""
    token = token[:MAX_TOKEN]
    if token.isprintable() and " " not in token and "|" not in token:
        return token
    return "".join(chr(_ESCAPED + ord(c)) if c.isspace() or c == "|" or not c.isprintable() else c for c in token)


def token_string(field: str, items: Iterable[tuple[bytes, int, float, bytes]]) -> str:
    """An analysed field value (backends.whoosh.codec.Analysed items) as the token string."""
    at: dict[int, list[str]] = {}
    if field in COUNTS_ONLY:  # no positions kept: each term as often as it occurs
        words = [escape(term.decode("utf-8")) for term, freq, _, _ in items for _ in range(freq)]
        return " ".join(words)
    for term, _, _, value in items:
        word = escape(term.decode("utf-8"))
        for position in accumulate(read_varints(value)):
            at.setdefault(position, []).append(word)
    if not at:
        return ""
    return " ".join("|".join(at[p]) if p in at else FILLER for p in range(max(at) + 1))


def index_body(shards: int, replicas: int) -> dict[str, Any]:
    """The settings and mapping of a new index."""
    def text(name: str) -> dict[str, Any]:
        kind = name.partition("_")[0]
        options = "freqs" if name in COUNTS_ONLY else "positions"
        return {"type": "text", "analyzer": ANALYZER, "index_options": options, "similarity": f"policy_search_{kind}"}

    properties: dict[str, Any] = {
        "kind": {"type": "keyword"},
        "doc_id": {"type": "keyword"},
        "lang": {"type": "keyword"},
        "date": {"type": "keyword"},
        "passage": {"type": "integer"},
        # the ingest that wrote it (see writer.py), and its order of writing (ties break by it)
        "gen": {"type": "integer"},
        "seq": {"type": "long"},
        "stored": {"type": "object", "enabled": False},
        **{name: text(name) for name in TEXT_FIELDS},
    }
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # replicas of a node that left are made again at once, not after a minute
                "unassigned.node_left.delayed_timeout": "5s",
                "max_result_window": 10000,
            },
            "similarity": {f"policy_search_{kind}": _bm25f(boost) for kind, boost in FIELD_BOOSTS.items()},
            "analysis": {
                "tokenizer": {ANALYZER: {"type": "whitespace", "max_token_length": MAX_TOKEN}},
                "filter": {
                    "policy_search_stacked": {"type": "pattern_capture", "preserve_original": False, "patterns": ["([^|]+)"]}
                },
                "analyzer": {ANALYZER: {"type": "custom", "tokenizer": ANALYZER, "filter": ["policy_search_stacked"]}},
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"made_by": "policy-search", "format": FORMAT_VERSION},
            "_source": {"excludes": list(TEXT_FIELDS)},
            "properties": properties,
        },
    }


def _bm25f(field_boost: float) -> dict[str, Any]:
    """Whoosh's BM25F, as the Whoosh backend scores (backends/whoosh/ranking.py): its idf,
    log(N / (df + 1)) + 1 over every document (hence the FILLER in fields a passage lacks), a
    word's count times its field's boost, and (k1 + 1) in the numerator. Lucene's BM25 differs
    in all three, enough to swap passages whose scores are within a few per cent."""
    return {
        "type": "scripted",
        # every length less the FILLER each field ends with; overlapping tokens (a compound word
        # over its first part) count, as in Whoosh
        "discount_overlaps": False,
        "weight_script": {"source": "return query.boost * (Math.log(field.docCount / (term.docFreq + 1.0)) + 1.0);"},
        "script": {
            "source": (
                f"double tf = doc.freq * {field_boost}; "
                "double avg = (field.sumTotalTermFreq - field.docCount) / (double) field.docCount; "
                f"return weight * tf * {K1 + 1} / (tf + {K1} * ({1 - B} + {B} * (doc.length - 1) / avg));"
            )
        },
    }


def passage_id(doc_id: str, gen: int, ordinal: int) -> str:
    """Deterministic, so that a batch sent again after a failure overwrites, never duplicates."""
    import hashlib

    return f"{hashlib.sha1(doc_id.encode('utf-8')).hexdigest()}.{gen}.{ordinal}"


def record_id(doc_id: str, gen: int) -> str:
    import hashlib

    return f"{hashlib.sha1(doc_id.encode('utf-8')).hexdigest()}.{gen}.doc"


def documents_of(
    doc: Document, analysed: tuple[dict[str, Any], ...], root: Path, gen: int, first_seq: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, source) of each passage of ``doc`` and of its record, written by ingest ``gen``."""
    for n, (passage, fields) in enumerate(zip(doc.passages, analysed, strict=True)):
        stored: dict[str, Any] = {
            "section": " > ".join(passage.section),
            "page": passage.page,
            "page_label": passage.page_label,
            "text": passage.text,
        }
        if passage.breaks:
            stored["breaks"] = [list(b) for b in passage.breaks]
        source: dict[str, Any] = {
            "kind": "passage",
            "doc_id": doc.doc_id,
            "passage": passage.ordinal,
            "lang": passage.lang,
            "date": doc.date,
            "gen": gen,
            "seq": first_seq + n,
            "stored": stored,
        }
        for name in TEXT_FIELDS:
            source[name] = f"{token_string(name, fields[name].items)} {FILLER}" if name in fields else FILLER
        yield passage_id(doc.doc_id, gen, passage.ordinal), source
    record = DocumentInfo.of(doc, root)
    yield record_id(doc.doc_id, gen), {
        "kind": "doc",
        "doc_id": doc.doc_id,
        "lang": doc.lang,
        "gen": gen,
        "seq": first_seq + len(doc.passages),
        "stored": {"meta": record.__dict__.copy()},
        **dict.fromkeys(TEXT_FIELDS, FILLER),
    }


def fields_of(source: dict[str, Any]) -> dict[str, Any]:
    """A passage's fields as the Whoosh backend stores them, from its ``_source``."""
    fields: dict[str, Any] = {key: source[key] for key in ("kind", "doc_id", "passage", "lang", "date") if key in source}
    fields.update(source.get("stored") or {})
    return fields


def record_of(source: dict[str, Any]) -> DocumentInfo:
    meta = dict(source["stored"]["meta"])
    meta["ocr_pages"] = tuple(meta.get("ocr_pages") or ())
    return DocumentInfo(**meta)
