"""policy-search: search plan and guidance documents in Chinese, English and French, with citations.

>>> from policy_search import open_index                                   # doctest: +SKIP
>>> for hit in open_index("indexes/default").search("区域协调发展", lang="zh"):  # doctest: +SKIP
...     print(hit.citation)
"""

from .api import DEFAULT_INDEX, Index, Results, open_index
from .errors import IndexLocked, IndexMissing, PolicySearchError, QueryError
from .index import IngestReport, ingest
from .model import Hit

__all__ = [
    "DEFAULT_INDEX",
    "Hit",
    "Index",
    "IndexLocked",
    "IndexMissing",
    "IngestReport",
    "PolicySearchError",
    "QueryError",
    "Results",
    "ingest",
    "open_index",
]
