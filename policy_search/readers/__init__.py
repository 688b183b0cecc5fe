"""Readers turn a file's bytes into a Source, one module per format: pages of lines for text
and PDF, blocks for formats that mark their own paragraphs and headings (HTML, Word, ODT)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..model import Source
from .docx import read_docx
from .html import read_html
from .markdown import read_markdown
from .odt import read_odt
from .office import CONVERTED, OFFICE_SUFFIXES, convert_to_docx, sniff
from .pdf import read_pdf
from .text import read_text


def _converted(suffix: str) -> Callable[[bytes, str], Source]:
    return lambda data, _: read_docx(convert_to_docx(data, suffix))


#: file suffixes that ingest reads, and the reader for each (bytes, password) -> Source
READERS: dict[str, Callable[[bytes, str], Source]] = {
    ".txt": lambda data, _: read_text(data),
    ".md": lambda data, _: read_markdown(data),
    ".pdf": read_pdf,
    ".html": lambda data, _: read_html(data),
    ".htm": lambda data, _: read_html(data),
    ".xhtml": lambda data, _: read_html(data),
    ".docx": lambda data, _: read_docx(data),
    ".odt": lambda data, _: read_odt(data),
    **{suffix: _converted(suffix) for suffix in CONVERTED},
}


class UnreadableFile(Exception):
    """A file that cannot be read; the message names the file and says why."""


def real_suffix(path: Path, data: bytes) -> str:
    """The format of a file as a suffix: its name's, or for office files what its bytes say."""
    suffix = path.suffix.lower()
    return sniff(data, suffix) if suffix in OFFICE_SUFFIXES else suffix


def read_source(path: Path, data: bytes, password: str = "") -> Source:
    """Read one file's bytes into a Source, or raise UnreadableFile.

    ``password`` opens encrypted PDFs whose user password is not empty.
    """
    reader = READERS.get(real_suffix(path, data))
    if reader is None:
        raise UnreadableFile(f"{path}: unsupported file type {path.suffix!r}")
    try:
        return reader(data, password)
    except ValueError as exc:
        raise UnreadableFile(f"{path}: {exc}") from exc
