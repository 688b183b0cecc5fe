"""What a slow reader made of a file, kept by content hash, so no PDF is parsed twice.

Entries are JSON files named by the SHA-256 of the file's bytes, under a folder named for the
reader and its version ("pdf-1", "office-1"): a reader that yields something new for the same
bytes starts a new folder, and the other readers' entries stay.
A file that could not be read is kept too (its reason), so a scanned PDF is not parsed again at
every ingest; a missing password is the exception, since the next ingest may bring one.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from policy_search.model import Block, Page, Source

MAX_TEXT = 2_000_000  # characters of one string of an entry: more than any reader makes of a line or block
MAX_FIELD = 10_000  # characters of a title, a date, a warning


class DamagedEntry(Exception):
    """A cache entry that does not validate; its text says why."""


def _text(value: object, limit: int = MAX_FIELD) -> str:
    if not isinstance(value, str):
        raise ValueError(f"text expected, found {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"a string of {len(value):,} characters (at most {limit:,})")
    return value


def _number(value: object, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"a count expected, found {value!r}"[:80])
    return value


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError(f"a list expected, found {type(value).__name__}")
    return value


def _entry(entry: object) -> Source | str:
    """What a cache entry holds, checked field by field against what put() writes."""
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ValueError("an entry is one object with 'error' or 'source'")
    if "error" in entry:
        return _text(entry["error"])
    source = entry["source"]
    if not isinstance(source, dict):
        raise ValueError("'source' is not an object")
    known = {"pages", "blocks", "title", "date", "encoding", "fallback_title", "warnings", "unusable_pages", "ocr_pages"}
    if set(source) - known:
        raise ValueError(f"unknown fields {sorted(set(source) - known)}")
    pages = []
    for page in _list(source.get("pages", [])):
        if not isinstance(page, dict):
            raise ValueError("a page is not an object")
        lines = tuple(_text(line, MAX_TEXT) for line in _list(page["lines"]))
        pages.append(Page(_number(page["number"], optional=True), lines, _text(page.get("label", ""))))
    blocks = []
    for block in _list(source.get("blocks", [])):
        if not isinstance(block, dict):
            raise ValueError("a block is not an object")
        level = _number(block.get("level", 0))
        if level is not None and level > 6:
            raise ValueError(f"a heading level of {level}")
        blocks.append(
            Block(_text(block["text"], MAX_TEXT), level or 0, _number(block.get("page"), optional=True), _text(block.get("page_label", "")))
        )
    return Source(
        pages=tuple(pages),
        blocks=tuple(blocks),
        title=_text(source.get("title", "")),
        date=_text(source.get("date", "")),
        encoding=_text(source.get("encoding", "")),
        fallback_title=_text(source.get("fallback_title", "")),
        warnings=tuple(_text(w) for w in _list(source.get("warnings", []))),
        unusable_pages=_number(source.get("unusable_pages", 0)) or 0,
        ocr_pages=tuple(_number(n) or 0 for n in _list(source.get("ocr_pages", []))),
    )


class SourceCache:
    """A folder of readers' results by content hash; safe for several processes at once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, reader: str, digest: str) -> Path:
        return self.folder / reader / digest[:2] / f"{digest}.json"

    def get(self, reader: str, digest: str) -> Source | str | None:
        """The Source ``reader`` made of these bytes, the reason they could not be read, or None.

        Raises DamagedEntry for an entry that is not what a reader writes (another shape, other
        types, strings longer than a reader makes): a hint that failed, to be read again.
        """
        path = self._path(reader, digest)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return None  # not there yet
        try:
            return _entry(json.loads(text))
        except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError is a ValueError
            path.unlink(missing_ok=True)
            raise DamagedEntry(f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)) from None

    def has(self, reader: str, digest: str) -> bool:
        """Whether there is an entry for these bytes (not checked: get() checks it)."""
        return self._path(reader, digest).is_file()

    def put(self, reader: str, digest: str, result: Source | str) -> None:
        """Keep a Source, or the reason the file could not be read."""
        entry = {"error": result} if isinstance(result, str) else {"source": asdict(result)}
        path = self._path(reader, digest)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            partial.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
            os.replace(partial, path)  # readers never see half an entry
        except OSError:
            pass  # a cache that cannot be written only costs time
