"""The Whoosh index on disk: its format, schema and files, and opening it to read.

The ingest (indexing/ingest.py) writes it; a search (api.py) only reads it, and imports this module
without the readers, the structure rules or the writing code.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, Schema

from policy_search.analysis.analyzers import analyzer_for
from policy_search.backends.whoosh.codec import TextField
from policy_search.errors import IndexMissing
from policy_search.model import LANGUAGES, DocumentInfo

# 2: compact postings (codec.py); title and source stored once per document
# 3: the Han field (runs of characters anywhere), stop words indexed, French elisions dropped
# 4: passages keep their page breaks
# 5: the codec moved to policy_search.backends.whoosh (the schema pickles its classes by name)
FORMAT_VERSION = 5
META_FILE = "policy-search.json"
DICTIONARY_FILE = "userdict.txt"


#: what a word is worth in each kind of field (it multiplies the word's count in BM25F)
FIELD_BOOSTS = {"body": 1.0, "section": 0.5, "title": 0.3}


@functools.lru_cache(maxsize=2)
def make_schema(dictionary: tuple[str, ...]) -> Schema:
    """One body, section and title field per language, each with its language's analyzer."""
    fields: dict[str, Any] = {
        "kind": ID(stored=True),
        "doc_id": ID(stored=True),
        "passage": NUMERIC(stored=True, sortable=True),
        "lang": ID(stored=True),
        "date": ID(stored=True),
        "title": STORED(),
        "section": STORED(),
        "page": STORED(),
        "page_label": STORED(),
        "breaks": STORED(),
        "text": STORED(),
        "source": STORED(),
        "meta": STORED(),
    }
    # han: the Han characters of a passage of any language, han2: their pairs (see query._han:
    # a run of one character is a term of han, a longer run pairs of han2 in a row)
    for lang in (*LANGUAGES, "han", "han2"):
        analyzer = analyzer_for(lang, dictionary)
        positions = lang != "han"
        for kind, boost in FIELD_BOOSTS.items():
            fields[f"{kind}_{lang}"] = TextField(analyzer, boost, positions)
    return Schema(**fields)


def index_exists(index_dir: Path) -> bool:
    return (Path(index_dir) / META_FILE).is_file()


def open_whoosh(index_dir: Path) -> Any:
    """Open the Whoosh index in ``index_dir``, or raise IndexMissing."""
    index_dir = Path(index_dir)
    recover(index_dir)
    meta_path = index_dir / META_FILE
    if not meta_path.is_file():
        raise IndexMissing(f"no index at {index_dir}: build one with `policy-search ingest PATH --index {index_dir}`")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMissing(f"index at {index_dir} is unreadable ({exc}); rebuild it with `policy-search ingest --rebuild`") from exc
    if meta.get("format") != FORMAT_VERSION:
        raise IndexMissing(
            f"index at {index_dir} has format {meta.get('format')}, this version reads {FORMAT_VERSION}: "
            "rebuild it with `policy-search ingest --rebuild`"
        )
    try:
        return whoosh_index.open_dir(str(index_dir))
    except Exception as exc:  # Whoosh raises several unrelated types for damaged files
        raise IndexMissing(f"index at {index_dir} is unreadable ({exc}); rebuild it with `policy-search ingest --rebuild`") from exc


def records_in(searcher: Any) -> dict[str, DocumentInfo]:
    """The document records an open index holds, by doc_id."""
    return {fields["doc_id"]: DocumentInfo(**fields["meta"]) for fields in searcher.documents(kind="doc")}


def building_dir(index_dir: Path) -> Path:
    """Where a rebuild is made, beside the index, to be swapped in when complete."""
    return index_dir.with_name(f".{index_dir.name}.building")


def retired_dir(index_dir: Path) -> Path:
    return index_dir.with_name(f".{index_dir.name}.retired")


def recover(index_dir: Path) -> None:
    """Finish or undo a swap that an interruption left half done."""
    retired = retired_dir(index_dir)
    if not index_dir.exists() and (retired / META_FILE).is_file():
        os.rename(retired, index_dir)
