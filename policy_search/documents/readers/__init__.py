"""Readers turn a file's bytes into a Source, one module per format: pages of lines for text
and PDF, blocks for formats that mark their own paragraphs and headings (HTML, Word, ODT).

A reader's module is imported when a file of its format is first read: a search process,
which reads no file, loads none of them (nor pdfplumber, trafilatura or python-docx).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_search.model import Source

if TYPE_CHECKING:
    from policy_search.documents.readers.ocr import OcrSettings

#: what a PDF reads as changed (cached readings of older versions are read again)
PDF_READER_VERSION = 6
#: what a file converted by LibreOffice reads as changed (the Word reader's output)
OFFICE_READER_VERSION = 1

#: file suffixes that ingest reads: the module and function of each reader, and whether it takes
#: a password as well as the bytes (encrypted PDFs)
_READERS: dict[str, tuple[str, str, bool]] = {
    ".txt": ("text", "read_text", False),
    ".md": ("markdown", "read_markdown", False),
    ".pdf": ("pdf", "read_pdf", True),
    ".html": ("html", "read_html", False),
    ".htm": ("html", "read_html", False),
    ".xhtml": ("html", "read_html", False),
    ".docx": ("docx", "read_docx", False),
    ".odt": ("odt", "read_odt", False),
    ".doc": ("office", "read_doc", False),
    ".wps": ("office", "read_wps", False),
    ".rtf": ("office", "read_rtf", False),
}
SUFFIXES = tuple(_READERS)
#: images of pages, read by OCR only (ingest --ocr); without it they are listed as skipped
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
IMAGE_WITHOUT_OCR = "an image: its text is read by OCR (ingest with --ocr)"
#: what an image reads as changed
IMAGE_READER_VERSION = 1
#: suffixes whose real format is read from the file's first bytes
OFFICE_SUFFIXES = (".doc", ".docx", ".odt", ".rtf", ".wps")
#: formats slow enough to read that what they read as is cached by content hash, by cache name
CACHED = {
    ".pdf": f"pdf-{PDF_READER_VERSION}",
    **{suffix: f"office-{OFFICE_READER_VERSION}" for suffix in (".doc", ".wps", ".rtf")},
    **{suffix: f"image-{IMAGE_READER_VERSION}-pdf-{PDF_READER_VERSION}" for suffix in IMAGE_SUFFIXES},
}


def ocr_cache_name(reader: str) -> str:
    """The cache name of what a PDF reads as with OCR (the engines installed are part of it)."""
    from policy_search.documents.readers.ocr import OCR_VERSION, OcrSettings

    return f"{reader}-ocr-{OCR_VERSION}-{OcrSettings().engines()}"


class UnreadableFile(Exception):
    """A file that cannot be read; the message names the file and says why."""


class PdfError(ValueError):
    """A PDF that gives no usable text: encrypted, damaged, scanned or garbled."""


class PdfPasswordError(PdfError):
    """An encrypted PDF that the password given (or none) does not open."""


def reader_for(suffix: str) -> Callable[[bytes, str], Source] | None:
    """The reader of a format, imported on first use."""
    found = _READERS.get(suffix)
    if found is None:
        return None
    module, name, takes_password = found
    function: Callable[..., Source] = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return function if takes_password else lambda data, _password: function(data)


def real_suffix(path: Path, data: bytes) -> str:
    """The format of a file as a suffix: its name's, or for office files what its bytes say."""
    suffix = path.suffix.lower()
    if suffix not in OFFICE_SUFFIXES:
        return suffix
    from policy_search.documents.readers.office import sniff

    return sniff(data, suffix)


def read_source(
    path: Path, data: bytes, password: str = "", pdf_pages: Mapping[int, Any] | None = None, ocr: OcrSettings | None = None
) -> Source:
    """Read one file's bytes into a Source, or raise UnreadableFile.

    ``password`` opens encrypted PDFs whose user password is not empty; ``pdf_pages`` are a
    PDF's pages read beforehand (``pdf.read_pages``); with ``ocr``, a PDF's pages without a
    usable text layer are read by OCR.
    """
    suffix = real_suffix(path, data)
    if suffix in IMAGE_SUFFIXES:
        if ocr is None:
            raise UnreadableFile(f"{path}: {IMAGE_WITHOUT_OCR}")
        from policy_search.documents.readers.image import read_image

        try:
            return read_image(data, ocr)
        except ValueError as exc:
            raise UnreadableFile(f"{path}: {exc}") from exc
    reader = reader_for(suffix)
    if reader is None:
        raise UnreadableFile(f"{path}: unsupported file type {path.suffix!r}")
    try:
        if (pdf_pages or ocr) and suffix == ".pdf":
            from policy_search.documents.readers.pdf import read_pdf

            return read_pdf(data, password, pdf_pages, ocr)
        return reader(data, password)
    except ValueError as exc:
        raise UnreadableFile(f"{path}: {exc}") from exc


def read_pdf_pages(path: Path, data: bytes, password: str, numbers: range, ocr: OcrSettings | None = None) -> dict[int, Any]:
    """Some pages of a PDF, read for ``read_source`` to finish (``pdf.read_pages``), or
    UnreadableFile."""
    from policy_search.documents.readers.pdf import read_pages

    try:
        return read_pages(data, password, numbers, ocr)
    except ValueError as exc:
        raise UnreadableFile(f"{path}: {exc}") from exc


def pdf_page_count(data: bytes, password: str = "") -> int:
    """A PDF's number of pages, or 0 if it cannot be opened (its reading will say why)."""
    from policy_search.documents.readers.pdf import page_count

    try:
        return page_count(data, password)
    except ValueError:
        return 0
