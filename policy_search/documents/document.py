"""One file through the pipeline: read, clean, structure, passages, language -> Document."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from policy_search.documents.cache import DamagedEntry, SourceCache
from policy_search.documents.clean import clean_blocks, clean_pages
from policy_search.documents.language import detect_language, document_language
from policy_search.documents.passages import build_passages
from policy_search.documents.readers import (
    CACHED,
    IMAGE_SUFFIXES,
    SUFFIXES,
    PdfPasswordError,
    UnreadableFile,
    ocr_cache_name,
    read_source,
    real_suffix,
)
from policy_search.documents.readers.ocr import NEEDS_OCR, OcrSettings
from policy_search.documents.structure import structure, structure_blocks
from policy_search.model import Document, Source

__all__ = ["SUFFIXES", "IMAGE_SUFFIXES", "cached_reading", "parse_document", "parse_bytes", "document_from_source", "doc_id_for", "doc_ids_for", "content_hash"]


def _relative(path: Path, root: Path) -> Path:
    return path.relative_to(root) if root != path else Path(path.name)


def doc_id_for(path: Path, root: Path) -> str:
    """The stable id of a document: its path under the ingested root, without extension."""
    return _relative(path, root).with_suffix("").as_posix()


def doc_ids_for(paths: list[Path], root: Path) -> dict[Path, str]:
    """The ids of a folder's documents: each its path without extension, but with it for files
    that share that path (``report.docx`` and ``report.pdf`` side by side are two documents)."""
    bare = {path: doc_id_for(path, root) for path in paths}
    shared = Counter(bare.values())
    return {path: doc_id if shared[doc_id] == 1 else _relative(path, root).as_posix() for path, doc_id in bare.items()}


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_document(
    path: Path,
    root: Path,
    source_name: str | None = None,
    password: str = "",
    cache: SourceCache | None = None,
    doc_id: str | None = None,
    pdf_pages: Mapping[int, Any] | None = None,
    ocr: bool = False,
) -> Document:
    """Parse one file into a Document; raises UnreadableFile with the reason. Its id is
    ``doc_id`` when given (ingest's, which knows the file's neighbours), else its path's.

    With a cache, what a PDF or a file converted by LibreOffice reads as is taken from it when
    these bytes were read before (both are slow to read). ``pdf_pages`` are pages of a PDF
    that other processes read already (see index._parse_all). With ``ocr``, a PDF's pages
    that have no usable text layer are read by OCR (each page's reading cached as well).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    digest = content_hash(data)
    suffix = real_suffix(path, data)
    reader = CACHED.get(suffix)
    by_ocr = OcrSettings(cache.folder if cache else None) if ocr and suffix in (".pdf", *IMAGE_SUFFIXES) else None
    if cache is None or reader is None:
        source = read_source(path, data, password, pdf_pages, by_ocr)
        return document_from_source(source, path, root, digest, source_name, doc_id, by_ocr is not None)
    damaged = ""
    try:
        reader, cached = cached_reading(cache, reader, digest, by_ocr is not None)
    except DamagedEntry as exc:  # a cache is a hint: read the file again, and say so
        cached, damaged = None, f"its cached reading was damaged ({exc}) and was read again"
    if isinstance(cached, str):
        raise UnreadableFile(f"{path}: {cached}")
    if cached is None:
        try:
            cached = read_source(path, data, password, pdf_pages, by_ocr)
        except UnreadableFile as exc:
            # a password may come next time, and more memory
            if not isinstance(exc.__cause__, PdfPasswordError) and not out_of_memory(exc):
                cache.put(reader, digest, str(exc).removeprefix(f"{path}: "))
            raise
        cache.put(reader, digest, cached)
    if damaged:
        cached = replace(cached, warnings=(*cached.warnings, damaged))  # not kept in the cache
    return document_from_source(cached, path, root, digest, source_name, doc_id, by_ocr is not None)


def cached_reading(cache: SourceCache, reader: str, digest: str, ocr: bool) -> tuple[str, Source | str | None]:
    """The cache name a file's reading is kept under, and the reading when it is kept there:
    with OCR, the reading without it when OCR would change nothing. Raises DamagedEntry."""
    cached = cache.get(reader, digest)
    if ocr and not _needs_no_ocr(cached):
        reader = ocr_cache_name(reader)
        cached = cache.get(reader, digest)
    return reader, cached


def _needs_no_ocr(cached: Source | str | None) -> bool:
    """Whether a PDF's reading without OCR is its reading with OCR too: every page had text,
    or it could not be read for a reason OCR does not change (damaged, encrypted)."""
    if isinstance(cached, Source):
        return cached.unusable_pages == 0
    return isinstance(cached, str) and not cached.startswith(NEEDS_OCR)


def out_of_memory(exc: BaseException | None) -> bool:
    """Whether a failure came of a MemoryError, which a reader may have wrapped ("corrupt PDF")."""
    for _ in range(20):
        if exc is None:
            return False
        if isinstance(exc, MemoryError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def parse_bytes(data: bytes, path: Path, root: Path, source_name: str | None = None, password: str = "") -> Document:
    """Parse a file's bytes (already read) into a Document."""
    return document_from_source(read_source(path, data, password), path, root, content_hash(data), source_name)


def document_from_source(
    source: Source,
    path: Path,
    root: Path,
    digest: str,
    source_name: str | None = None,
    doc_id: str | None = None,
    read_with_ocr: bool = False,
) -> Document:
    """The rest of the pipeline after a reader: clean, structure, passages, language."""
    if source.blocks:
        blocks, date = clean_blocks(source.blocks)
        title, paragraphs = structure_blocks(blocks, source.title)
    else:
        pages, date = clean_pages(source.pages)
        title, paragraphs = structure(pages, source.title)
    sample = " ".join(p.text for p in paragraphs[:40])[:4000]
    passages = build_passages(paragraphs, detect_language(sample) if sample else "")
    if not any(char.isalpha() for p in passages for char in p.text):  # punctuation or numbers only
        raise UnreadableFile(f"{path}: no text found" + "".join(f"; {w}" for w in source.warnings))
    numbers = [p.number for p in source.pages if p.number is not None]
    numbers += [b.page for b in source.blocks if b.page is not None]
    return Document(
        doc_id=doc_id or doc_id_for(path, root),
        title=title or source.fallback_title or path.stem,
        date=date or source.date,
        source=source_name or str(path),
        content_hash=digest,
        lang=document_language([p.lang for p in passages], [len(p.text) for p in passages]),
        pages=max(numbers) if numbers else None,
        passages=tuple(passages),
        warnings=source.warnings,
        ocr_pages=source.ocr_pages,
        unread_pages=source.unusable_pages,
        read_with_ocr=read_with_ocr,
    )
