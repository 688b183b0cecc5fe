"""policy-search: search plan and guidance documents in Chinese, English and French, with citations.

>>> from policy_search import open_index                                   # doctest: +SKIP
>>> for hit in open_index("indexes/default").search("区域协调发展", lang="zh"):  # doctest: +SKIP
...     print(hit.citation)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from policy_search.lean_imports import import_whoosh

import_whoosh()  # before any module of ours imports Whoosh

if TYPE_CHECKING:
    from policy_search.api import DEFAULT_INDEX, Index, Results, open_index
    from policy_search.errors import IndexLocked, IndexMissing, PolicySearchError, QueryError
    from policy_search.indexing.ingest import IngestReport, ingest
    from policy_search.model import HIT_FIELDS, Hit
    from policy_search.output.export import Format, open_rows
    from policy_search.output.saved import RUN_FIELDS, QueryFileError, RunReport, SavedQuery, read_queries, run_queries

#: where each public name lives: imported when first used, so that a search process does not
#: import the ingest, the readers or the export code (a tenth of a second, every command)
_HOMES = {
    "api": ("DEFAULT_INDEX", "Index", "Results", "open_index"),
    "errors": ("IndexLocked", "IndexMissing", "PolicySearchError", "QueryError"),
    "output.export": ("Format", "open_rows"),
    "indexing.ingest": ("IngestReport", "ingest"),
    "model": ("HIT_FIELDS", "Hit"),
    "output.saved": ("RUN_FIELDS", "QueryFileError", "RunReport", "SavedQuery", "read_queries", "run_queries"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name not in _HOME_OF:
        raise AttributeError(f"module 'policy_search' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME_OF[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME_OF])


__all__ = [
    "DEFAULT_INDEX",
    "HIT_FIELDS",
    "RUN_FIELDS",
    "Format",
    "Hit",
    "Index",
    "IndexLocked",
    "IndexMissing",
    "IngestReport",
    "PolicySearchError",
    "QueryError",
    "QueryFileError",
    "Results",
    "RunReport",
    "SavedQuery",
    "ingest",
    "open_index",
    "open_rows",
    "read_queries",
    "run_queries",
]
