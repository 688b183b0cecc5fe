"""Readers turn a file's bytes into pages of lines; one module per format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..model import Source
from .pdf import read_pdf
from .text import read_text

#: file suffixes that ingest picks up, and the reader for each (bytes, password) -> Source
READERS: dict[str, Callable[[bytes, str], Source]] = {
    ".txt": lambda data, _: read_text(data),
    ".md": lambda data, _: read_text(data),
    ".pdf": read_pdf,
}


class UnreadableFile(Exception):
    """A file that cannot be read; the message names the file and says why."""


def read_source(path: Path, data: bytes, password: str = "") -> Source:
    """Read one file's bytes into a Source, or raise UnreadableFile.

    ``password`` opens encrypted PDFs whose user password is not empty.
    """
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFile(f"{path}: unsupported file type {path.suffix!r}")
    try:
        return reader(data, password)
    except ValueError as exc:
        raise UnreadableFile(f"{path}: {exc}") from exc
