"""Writing a Whoosh index: a folder created (or a new one beside it for a rebuild, swapped in
when complete), passages added with the postings the workers made, one commit, one writer at a
time.

Every change is one Whoosh commit (its table of contents is replaced atomically), and a
rebuild is made in a sibling directory and swapped in, so an ingest interrupted at any point
leaves the previous index searchable. Document records (content hash, title, pages) live in
the index itself, so they can never disagree with the passages.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from policy_search.analysis.analyzers import dictionary_digest, read_dictionary
from policy_search.backends import PassageFields
from policy_search.backends.whoosh.store import DICTIONARY_FILE, FORMAT_VERSION, META_FILE, make_schema, retired_dir
from policy_search.errors import IndexLocked, IndexUnwritable
from policy_search.model import Document, DocumentInfo


class WhooshWriter:
    """An ingest's changes, committed at once; a fresh index is built beside the old one and
    swapped in at commit."""

    def __init__(self, index_dir: Path, fresh: bool, dictionary: tuple[str, ...], ocr: bool) -> None:
        from policy_search.backends.whoosh.codec import PolicyCodec
        from policy_search.backends.whoosh.posting_pool import PolicyWriter
        from policy_search.backends.whoosh.store import building_dir, open_whoosh

        self.index_dir = index_dir
        self.target = building_dir(index_dir) if fresh else index_dir
        self.fresh = fresh
        ix = create(self.target, dictionary, ocr) if fresh else open_whoosh(index_dir)
        # separate segment files: Whoosh copies a compound file's parts into memory on opening
        # (0.3 s of a cold search at 1M passages); a plain file is read where it is needed
        self._writer = PolicyWriter(ix, limitmb=256, codec=PolicyCodec(), compound=False)

    def add(self, doc: Document, analysed: PassageFields, root: Path) -> None:
        add_document(self._writer, doc, analysed, root)

    def delete(self, doc_id: str) -> None:
        self._writer.delete_by_term("doc_id", doc_id)

    def commit(self) -> None:
        self._writer.commit()
        if self.fresh:
            _publish(self.target, self.index_dir)

    def cancel(self) -> None:
        self._writer.cancel()
        if self.fresh:
            shutil.rmtree(self.target, ignore_errors=True)


def add_document(writer: Any, doc: Document, analysed: PassageFields, root: Path) -> None:
    for passage, fields in zip(doc.passages, analysed, strict=True):
        section = " > ".join(passage.section)
        writer.add_document(
            kind="passage",
            doc_id=doc.doc_id,
            passage=passage.ordinal,
            lang=passage.lang,
            date=doc.date,
            section=section,
            page=passage.page,
            page_label=passage.page_label,
            text=passage.text,
            **({"breaks": [list(b) for b in passage.breaks]} if passage.breaks else {}),
            **fields,  # title and source are the document record's, stored once
        )
    writer.add_document(kind="doc", doc_id=doc.doc_id, meta=DocumentInfo.of(doc, root).__dict__.copy())


def stored_dictionary(index_dir: Path) -> tuple[str, ...]:
    return read_dictionary(index_dir / DICTIONARY_FILE)


def create(target: Path, dictionary: tuple[str, ...], ocr: bool = False) -> Any:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    ix = whoosh_index.create_in(str(target), make_schema(dictionary))
    (target / DICTIONARY_FILE).write_text("\n".join(dictionary) + "\n", encoding="utf-8")
    write_meta(target, {"format": FORMAT_VERSION, "dictionary": dictionary_digest(dictionary), "ocr": ocr})
    return ix


def read_meta(index_dir: Path) -> dict[str, Any]:
    """The index's settings file (open_whoosh has checked it is readable)."""
    try:
        meta = json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def write_meta(index_dir: Path, meta: dict[str, Any]) -> None:
    partial = index_dir / f".{META_FILE}.{os.getpid()}"
    partial.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(partial, index_dir / META_FILE)  # never half a settings file


def _publish(built: Path, index_dir: Path) -> None:
    """Swap a freshly built index in place of the old one (two renames, recoverable)."""
    retired = retired_dir(index_dir)
    shutil.rmtree(retired, ignore_errors=True)
    if index_dir.exists():
        os.rename(index_dir, retired)
    os.rename(built, index_dir)
    shutil.rmtree(retired, ignore_errors=True)


_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def unwritable(index_dir: Path, exc: OSError) -> IndexUnwritable:
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in _NO_ROOM:
        return IndexUnwritable(f"cannot write the index at {index_dir}: {exc.strerror}{where}; the index is as it was")
    return IndexUnwritable(f"index at {index_dir}: {exc.strerror or exc}{where}; the index is as it was")


def _lock_file(path: Path) -> int:
    """The lock file, opened without following a link and without truncating: a symbolic link
    planted at its name is refused, never written through."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            reason = "it is a symbolic link (policy-search never writes through one): remove it"
        elif exc.errno == errno.EISDIR:
            reason = "it is a folder: remove it"
        else:
            reason = exc.strerror or str(exc)
        raise IndexUnwritable(f"cannot open the lock file {path}: {reason}") from None


@contextmanager
def write_lock(index_dir: Path, timeout: float) -> Iterator[None]:
    """One writer at a time: a second one waits up to ``timeout`` seconds, then gives up."""
    lock_path = index_dir.with_name(f".{index_dir.name}.lock")
    with os.fdopen(_lock_file(lock_path), "r+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLocked(
                        f"index {index_dir} is being written by another process; gave up after {timeout:g} s "
                        "(try again when it has finished, or raise --lock-timeout)"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
