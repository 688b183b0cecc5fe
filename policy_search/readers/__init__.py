"""Readers turn a file's bytes into pages of lines; one module per format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..model import Source
from .text import read_text

#: file suffixes that ingest picks up, and the reader for each
READERS: dict[str, Callable[[bytes], Source]] = {".txt": read_text, ".md": read_text}


class UnreadableFile(Exception):
    """A file that cannot be read; the message names the file and says why."""


def read_source(path: Path, data: bytes) -> Source:
    """Read one file's bytes into a Source, or raise UnreadableFile."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFile(f"{path}: unsupported file type {path.suffix!r}")
    try:
        return reader(data)
    except ValueError as exc:
        raise UnreadableFile(f"{path}: {exc}") from exc
