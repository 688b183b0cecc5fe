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

from .model import Block, Page, Source


class SourceCache:
    """A folder of readers' results by content hash; safe for several processes at once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, reader: str, digest: str) -> Path:
        return self.folder / reader / digest[:2] / f"{digest}.json"

    def get(self, reader: str, digest: str) -> Source | str | None:
        """The Source ``reader`` made of these bytes, the reason they could not be read, or None."""
        try:
            entry = json.loads(self._path(reader, digest).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing, or damaged by a crash: read the file again
        if "error" in entry:
            return str(entry["error"])
        source = entry["source"]
        pages = tuple(Page(p["number"], tuple(p["lines"]), p["label"]) for p in source.pop("pages"))
        blocks = tuple(Block(**b) for b in source.pop("blocks", ()))
        source["warnings"] = tuple(source["warnings"])
        return Source(pages=pages, blocks=blocks, **source)

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
