"""policy-search: search plan and guidance documents in Chinese, English and French, with citations.

>>> from policy_search import open_index                                   # doctest: +SKIP
>>> for hit in open_index("indexes/default").search("区域协调发展", lang="zh"):  # doctest: +SKIP
...     print(hit.citation)
"""

from .api import DEFAULT_INDEX, Index, Results, open_index
from .errors import IndexLocked, IndexMissing, PolicySearchError, QueryError
from .export import Format, open_rows
from .index import IngestReport, ingest
from .model import HIT_FIELDS, Hit
from .saved import RUN_FIELDS, QueryFileError, RunReport, SavedQuery, read_queries, run_queries

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
