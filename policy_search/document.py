"""One file through the pipeline: read, clean, structure, passages, language -> Document."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .clean import clean_pages
from .language import detect_language, document_language
from .model import Document
from .passages import build_passages
from .readers import READERS, UnreadableFile, read_source
from .structure import structure

SUFFIXES = tuple(READERS)


def doc_id_for(path: Path, root: Path) -> str:
    """The stable id of a document: its path under the ingested root, without extension."""
    relative = path.relative_to(root) if root != path else Path(path.name)
    return relative.with_suffix("").as_posix()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_document(path: Path, root: Path, source_name: str | None = None) -> Document:
    """Parse one file into a Document; raises UnreadableFile with the reason."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    return parse_bytes(data, path, root, source_name)


def parse_bytes(data: bytes, path: Path, root: Path, source_name: str | None = None) -> Document:
    """Parse a file's bytes (already read) into a Document."""
    source = read_source(path, data)
    pages, date = clean_pages(source.pages)
    title, paragraphs = structure(pages, source.title)
    sample = " ".join(p.text for p in paragraphs[:40])[:4000]
    passages = build_passages(paragraphs, detect_language(sample) if sample else "")
    if not passages:
        raise UnreadableFile(f"{path}: no text found")
    numbers = [p.number for p in source.pages if p.number is not None]
    return Document(
        doc_id=doc_id_for(path, root),
        title=title or path.stem,
        date=date,
        source=source_name or str(path),
        content_hash=content_hash(data),
        lang=document_language([p.lang for p in passages], [len(p.text) for p in passages]),
        pages=max(numbers) if numbers else None,
        passages=tuple(passages),
    )
