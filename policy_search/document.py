"""One file through the pipeline: read, clean, structure, passages, language -> Document."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .cache import SourceCache
from .clean import clean_pages
from .language import detect_language, document_language
from .model import Document, Source
from .passages import build_passages
from .readers import READERS, UnreadableFile, read_source
from .readers.pdf import PdfPasswordError
from .structure import structure

SUFFIXES = tuple(READERS)


def doc_id_for(path: Path, root: Path) -> str:
    """The stable id of a document: its path under the ingested root, without extension."""
    relative = path.relative_to(root) if root != path else Path(path.name)
    return relative.with_suffix("").as_posix()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_document(
    path: Path, root: Path, source_name: str | None = None, password: str = "", cache: SourceCache | None = None
) -> Document:
    """Parse one file into a Document; raises UnreadableFile with the reason.

    With a cache, what a PDF reads as is taken from it when these bytes were read before.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    digest = content_hash(data)
    if cache is None or path.suffix.lower() != ".pdf":
        return document_from_source(read_source(path, data, password), path, root, digest, source_name)
    cached = cache.get(digest)
    if isinstance(cached, str):
        raise UnreadableFile(f"{path}: {cached}")
    if cached is None:
        try:
            cached = read_source(path, data, password)
        except UnreadableFile as exc:
            if not isinstance(exc.__cause__, PdfPasswordError):  # a password may come next time
                cache.put(digest, str(exc).removeprefix(f"{path}: "))
            raise
        cache.put(digest, cached)
    return document_from_source(cached, path, root, digest, source_name)


def parse_bytes(data: bytes, path: Path, root: Path, source_name: str | None = None, password: str = "") -> Document:
    """Parse a file's bytes (already read) into a Document."""
    return document_from_source(read_source(path, data, password), path, root, content_hash(data), source_name)


def document_from_source(
    source: Source, path: Path, root: Path, digest: str, source_name: str | None = None
) -> Document:
    """The rest of the pipeline after a reader: clean, structure, passages, language."""
    pages, date = clean_pages(source.pages)
    title, paragraphs = structure(pages, source.title)
    sample = " ".join(p.text for p in paragraphs[:40])[:4000]
    passages = build_passages(paragraphs, detect_language(sample) if sample else "")
    if not any(char.isalpha() for p in passages for char in p.text):  # punctuation or numbers only
        raise UnreadableFile(f"{path}: no text found" + "".join(f"; {w}" for w in source.warnings))
    numbers = [p.number for p in source.pages if p.number is not None]
    return Document(
        doc_id=doc_id_for(path, root),
        title=title or source.fallback_title or path.stem,
        date=date or source.date,
        source=source_name or str(path),
        content_hash=digest,
        lang=document_language([p.lang for p in passages], [len(p.text) for p in passages]),
        pages=max(numbers) if numbers else None,
        passages=tuple(passages),
        warnings=source.warnings,
    )
