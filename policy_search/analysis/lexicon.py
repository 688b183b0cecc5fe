"""jieba's word frequencies kept on disk, so that a Chinese query does not load all of them.

jieba reads its whole dictionary (350,000 words and their prefixes) before it cuts anything:
0.5 s, more than half of a one-off `policy-search search` in Chinese. Cutting a query of a few
characters looks up a few dozen substrings, so a query can read them from a SQLite table
instead. The table holds exactly what the loaded tokenizer holds (jieba's dictionary and the
policy terms), so both cut alike; tests/test_analysis.py checks it. It is written once per
jieba version and dictionary, in the user's cache folder (POLICY_SEARCH_CACHE, else
XDG_CACHE_HOME/policy-search, else ~/.cache/policy-search); where that cannot be written, the
dictionary is loaded as before.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any


def cache_folder() -> Path:
    explicit = os.environ.get("POLICY_SEARCH_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policy-search"


def lexicon_path(digest: str) -> Path:
    from policy_search.lean_imports import import_jieba

    jieba = import_jieba()

    return cache_folder() / f"jieba-{jieba.__version__}-{digest}.sqlite"


def write_lexicon(tokenizer: Any, path: Path) -> None:
    """Store a loaded tokenizer's frequencies (written beside ``path``, then renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(partial) as db:
        db.execute("CREATE TABLE freq (word TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
        db.executemany("INSERT INTO freq VALUES (?, ?)", tokenizer.FREQ.items())
        db.execute("CREATE TABLE total (n INTEGER)")
        db.execute("INSERT INTO total VALUES (?)", (tokenizer.total,))
    db.close()
    os.replace(partial, path)


#: a word every jieba dictionary holds: a lexicon without it has lost its frequencies
_COMMON_WORD = "的"


def open_lexicon(path: Path) -> Any | None:
    """A jieba tokenizer reading its frequencies from ``path``, or None if it is not there."""
    if not path.is_file():
        return None
    from policy_search.lean_imports import import_jieba

    jieba = import_jieba()

    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        total = db.execute("SELECT n FROM total").fetchone()
        common = db.execute("SELECT n FROM freq WHERE word = ?", (_COMMON_WORD,)).fetchone()
    except sqlite3.Error:
        total = common = None
    if not (total and isinstance(total[0], int) and total[0] > 0 and common and isinstance(common[0], int)):
        # empty tables or a damaged file: a cache, so it is removed (the next ingest writes it
        # again) and this process loads jieba's dictionary instead
        path.unlink(missing_ok=True)
        return None
    total = total[0]
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = _Frequencies(db)
    tokenizer.total = total
    tokenizer.initialized = True  # nothing for jieba to load
    return tokenizer


class _Frequencies:
    """The part of a dict jieba uses (``in``, ``[]``, ``get``), one SQLite look-up per word."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._seen: dict[str, int | None] = {}

    def get(self, word: str, default: int | None = None) -> int | None:
        if word not in self._seen:
            row = self._db.execute("SELECT n FROM freq WHERE word = ?", (word,)).fetchone()
            self._seen[word] = None if row is None else row[0]
        found = self._seen[word]
        return default if found is None else found

    def __contains__(self, word: str) -> bool:
        return self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        found = self.get(word)
        if found is None:
            raise KeyError(word)
        return found
