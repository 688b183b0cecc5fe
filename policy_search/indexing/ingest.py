"""The ingest: which files are new, changed or gone (by content hash against the records the
index keeps), each file read and its passages analysed in a worker process whose time and
memory are bounded, and the results written through the backend's writer, which makes them
visible all at once or not at all.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import math
import os
import resource
import signal
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.fields import Schema

from policy_search.analysis.analyzers import has_han, prepare_lexicon, read_dictionary
from policy_search.backends import Backend, Location, PassageFields, open_backend
from policy_search.backends.whoosh.codec import Analysed
from policy_search.backends.whoosh.store import make_schema
from policy_search.documents.cache import SourceCache
from policy_search.documents.document import (
    IMAGE_SUFFIXES,
    SUFFIXES,
    cached_reading,
    content_hash,
    doc_ids_for,
    out_of_memory,
    parse_document,
)
from policy_search.documents.readers import CACHED, IMAGE_WITHOUT_OCR, UnreadableFile, pdf_page_count, read_pdf_pages
from policy_search.documents.readers.ocr import PAGE_SECONDS, OcrSettings
from policy_search.errors import PolicySearchError
from policy_search.model import Document, DocumentInfo


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did: counts of files, failures with reasons, passages in the index."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: tuple[tuple[str, str], ...] = ()
    passages: int = 0
    #: files indexed with something left out (PDF pages without text), and what
    warnings: tuple[tuple[str, str], ...] = ()
    #: files in an ingested folder that are not documents ingest reads, and why
    skipped: tuple[tuple[str, str], ...] = ()

    def summary(self) -> str:
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, "
            f"{self.removed} removed, {len(self.failed)} failed{skipped}; {self.passages} passages in the index"
        )


@dataclass(frozen=True)
class _Job:
    """A file to parse: where it is, the root its doc_id is relative to, how it is named, its id."""

    path: Path
    base: Path
    source: str
    doc_id: str


@dataclass
class _Plan:
    to_parse: list[_Job] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


ProgressCallback = Callable[[str], None]


class UnreadableDictionary(PolicySearchError):
    """A user dictionary that cannot be read or used."""


class OcrMissing(PolicySearchError):
    """OCR was asked for and no engine can run; the message says what to install."""


@dataclass(frozen=True)
class FileLimits:
    """What reading one file may take: past it, the file is reported and skipped (a hostile or
    broken PDF must not hold an ingest for minutes or take the machine's memory)."""

    seconds: float = 300.0
    memory_mb: int = 4096  # beyond what the worker process held before it began the file


def ingest(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    index_dir: Location,
    *,
    rebuild: bool = False,
    dictionary_path: Path | None = None,
    jobs: int = 1,
    lock_timeout: float = 30.0,
    progress: ProgressCallback | None = None,
    on_plan: Callable[[int], None] | None = None,
    password: str = "",
    limits: FileLimits = FileLimits(),
    ocr: bool | None = None,
) -> IngestReport:
    """Ingest files and folders into the index at ``index_dir`` (created if missing): a folder,
    or ``opensearch://HOST:PORT/NAME``.

    ``paths`` is one file or folder, or several. Unchanged files (same content hash) are
    skipped, changed ones replaced, files gone from an ingested folder removed. What each PDF
    reads as is cached by content hash (beside a folder index), so a rebuild parses no PDF
    again. ``password`` opens encrypted PDFs. ``progress`` is called with each file's path as
    it is done; ``on_plan`` with the number of files to parse once that is known. ``limits``
    bound the time and memory one file may take (see FileLimits).

    ``ocr`` reads the pages of PDFs that have no usable text layer by OCR (readers/ocr.py), and
    becomes the index's setting: None keeps the setting the index has (off for a new one).
    Documents indexed with such pages left out are read again once OCR is on.
    """
    backend = open_backend(index_dir)
    with backend.writing(lock_timeout):
        return _ingest_locked(paths, backend, rebuild, dictionary_path, jobs, progress, on_plan, password, limits, ocr)


def _ingest_locked(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    backend: Backend,
    rebuild: bool,
    dictionary_path: Path | None,
    jobs: int,
    progress: ProgressCallback | None,
    on_plan: Callable[[int], None] | None,
    password: str,
    limits: FileLimits,
    ocr: bool | None,
) -> IngestReport:
    """The ingest, once this process holds the index's write lock."""
    exists = backend.exists()
    settings = backend.settings() if exists else {}
    if ocr is None:
        ocr = bool(settings.get("ocr"))
    if ocr:
        from policy_search.documents.readers.ocr import missing_engine

        missing = missing_engine()
        if missing:
            raise OcrMissing(f"--ocr: {missing}")
    if dictionary_path is not None and exists and not rebuild:
        raise UnreadableDictionary(
            f"--dict {dictionary_path}: a new dictionary changes how Chinese is segmented; "
            "use it with --rebuild"
        )
    fresh = rebuild or not exists
    if dictionary_path is not None:
        try:
            dictionary = read_dictionary() + read_dictionary(dictionary_path)
        except (OSError, UnicodeDecodeError) as exc:
            raise UnreadableDictionary(f"--dict {dictionary_path}: cannot read it ({exc})") from exc
    elif exists:
        dictionary = backend.stored_dictionary()
    else:
        dictionary = read_dictionary()
    records = {} if fresh else backend.searcher().records()
    if not fresh and bool(settings.get("ocr")) != ocr:
        backend.set_settings({**settings, "ocr": ocr})
    writer = backend.writer(fresh, dictionary, ocr)
    # one folder given as a string is one path, not a path per character ("/" among them)
    roots = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths]
    try:
        plan = _plan(roots, records, ocr)
        if on_plan:
            on_plan(len(plan.to_parse))
        new = changed = 0
        chinese = False
        failed = list(plan.failed)
        warnings = []
        parsed = _parse_all(plan.to_parse, jobs, password, backend.cache_dir(), dictionary, limits, ocr)
        for doc, analysed, error, job in parsed:
            if progress:
                progress(str(job.path))
            if doc is None:
                failed.append((str(job.path), error))
                continue
            warnings += [(str(job.path), warning) for warning in doc.warnings]
            if doc.doc_id in records:
                writer.delete(doc.doc_id)
                changed += 1
            else:
                new += 1
            writer.add(doc, analysed, job.base)
            chinese = chinese or any(p.lang == "zh" for p in doc.passages)
        removed = 0
        for doc_id, info in records.items():
            if doc_id in plan.seen:
                continue
            if any(info.root == str(r.resolve()) for r in roots if r.is_dir()):
                writer.delete(doc_id)
                removed += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    if chinese or any(info.lang == "zh" for info in records.values()):
        # so that Chinese queries need not load jieba's dictionary; written again if removed
        prepare_lexicon(dictionary)
    return IngestReport(
        new, changed, plan.unchanged, removed, tuple(failed), backend.passage_count(), tuple(warnings), tuple(plan.skipped)
    )


def _plan(roots: list[Path], records: dict[str, DocumentInfo], ocr: bool = False) -> _Plan:
    """Which files to parse, which are unchanged, which paths cannot be read. With ``ocr``, a
    file indexed with pages left out, read without OCR, is read again."""
    plan = _Plan()
    for root in roots:
        if root.is_dir():
            files = []
            for path in sorted(p for p in root.rglob("*") if is_listed(p, root)):
                if path.suffix.lower() in SUFFIXES or (ocr and path.suffix.lower() in IMAGE_SUFFIXES):
                    files.append(path)
                else:
                    plan.skipped.append((str(path), _unsupported(path)))
            base = root
        elif root.is_file():
            files, base = [root], root.parent
        else:
            plan.failed.append((str(root), "no such file or directory"))
            continue
        ids = doc_ids_for(files, base)
        for path in files:
            doc_id = ids[path]
            if doc_id in plan.seen:  # the same file given twice, or under two roots
                plan.failed.append((str(path), f"another file already has the document id {doc_id!r}"))
                continue
            plan.seen.add(doc_id)
            record = records.get(doc_id)
            if record is not None:
                try:
                    with open(path, "rb") as handle:
                        digest = hashlib.file_digest(handle, "sha256").hexdigest()
                except OSError as exc:
                    plan.failed.append((str(path), exc.strerror or str(exc)))
                    continue
                unread = ocr and record.unread_pages and not record.read_with_ocr
                if record.content_hash == digest and not unread:
                    plan.unchanged += 1
                    continue
            plan.to_parse.append(_Job(path, base, str(path), doc_id))
    return plan


# Notes about a folder, not documents in it (the bundled corpus says where its files came from).
_FOLDER_NOTES = {"readme.md", "sources.md", "source.md"}


def is_listed(path: Path, root: Path) -> bool:
    """A file of a folder that ingest reads or reports: not hidden, not the folder's notes."""
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return path.is_file() and not hidden and path.name.lower() not in _FOLDER_NOTES


def _unsupported(path: Path) -> str:
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return IMAGE_WITHOUT_OCR
    kinds = ", ".join(sorted(SUFFIXES))
    what = f"file type {path.suffix!r}" if path.suffix else "file without an extension"
    return f"not a document ingest reads ({what}; it reads {kinds})"


class _TooLong(BaseException):
    """Raised by the alarm in a file's reading: a BaseException, so that the readers' own
    ``except Exception`` (pdfminer retries, pdfplumber wraps) cannot swallow it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _TooLong


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise _TooLong in this process once ``seconds`` have passed (a worker's own alarm)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _parse_one(
    job: _Job,
    password: str,
    cache: Path,
    dictionary: tuple[str, ...],
    limits: FileLimits = FileLimits(),
    pdf_pages: Mapping[int, Any] | None = None,
    ocr: bool = False,
) -> tuple[Document | None, PassageFields, str]:
    """Parse and analyse one file in a worker (which reads it itself: no file's bytes cross
    processes, and the writing process only adds postings), within ``limits.seconds``.
    ``pdf_pages`` are pages of a long PDF that workers read beforehand (``_read_pages``)."""
    try:
        with _time_limit(limits.seconds):
            doc = parse_document(job.path, job.base, job.source, password, SourceCache(cache), job.doc_id, pdf_pages, ocr)
            return doc, _analyse(doc, make_schema(dictionary)), ""
    except UnreadableFile as exc:
        if out_of_memory(exc):  # a reader that wrapped the MemoryError ("corrupt PDF")
            return None, (), f"needed more than {limits.memory_mb:,} MB to read: skipped (raise --file-memory to read it)"
        return None, (), str(exc).removeprefix(f"{job.path}: ")
    except _TooLong:
        return None, (), f"took longer than {limits.seconds:g} s to read: skipped (raise --file-timeout to read it)"
    except MemoryError:
        return None, (), f"needed more than {limits.memory_mb:,} MB to read: skipped (raise --file-memory to read it)"
    except Exception as exc:  # a bug on one odd file must not stop the ingest of the others
        return None, (), f"could not be parsed ({type(exc).__name__}: {exc})"


def _read_pages(
    job: _Job, numbers: range, password: str, limits: FileLimits = FileLimits(), ocr: OcrSettings | None = None
) -> dict[int, Any]:
    """Some pages of a long PDF, read in a worker within ``limits.seconds`` (and each page OCR
    reads within its own time); nothing if they cannot be read (the file's own reading then
    reads them, and says what is wrong)."""
    try:
        with _time_limit(limits.seconds):
            return read_pdf_pages(job.path, job.path.read_bytes(), password, numbers, ocr)
    except (_TooLong, Exception):
        return {}


#: a PDF of this many pages or more, not read before, is read by every worker a range of pages
#: at a time, then finished (body type, running headers, structure) by one
SHARED_FROM_PAGES = 8
_PAGES_PER_RANGE = 4  # at least: each range opens the PDF again
#: with OCR, at most (a reading's answer is awaited for a bounded time, and OCR takes time by the page)
_OCR_PAGES_PER_RANGE = SHARED_FROM_PAGES - 1


def _may_share(job: _Job, workers: int, ocr: bool = False) -> bool:
    """Whether a file is a PDF that several workers could read a range of pages each; with OCR,
    one worker reads a long PDF a range at a time too, so that no one reading takes long."""
    return (workers > 1 or ocr) and job.path.suffix.lower() == ".pdf"


def _page_ranges(
    job: _Job, password: str, cache: SourceCache, workers: int, limits: FileLimits = FileLimits(), ocr: bool = False
) -> list[range]:
    """The pages of a long PDF in ranges for ``workers`` to share, or none to read it whole.

    Run in a worker, within its limits: opening a PDF is reading it, and a hostile one must
    not hold up or exhaust the writing process."""
    if not _may_share(job, workers, ocr):
        return []
    try:
        with _time_limit(limits.seconds):
            data = job.path.read_bytes()
            if cached_reading(cache, CACHED[".pdf"], content_hash(data), ocr)[1] is not None:
                return []
            pages = pdf_page_count(data, password)
    except (_TooLong, Exception):
        return []  # its reading says what is wrong
    if pages < SHARED_FROM_PAGES:
        return []
    size = max(_PAGES_PER_RANGE, math.ceil(pages / (2 * workers)))
    if ocr:
        size = min(size, _OCR_PAGES_PER_RANGE)
    return [range(start, min(start + size, pages + 1)) for start in range(1, pages + 1, size)]


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's worker processes: the files they were reading fail with BrokenProcessPool
    and are read again in new workers. (The executor has no public way to stop one worker.)"""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()


def _start_worker(memory_mb: int, workers: int) -> None:
    """In a new worker: its share of the CPUs for OCR, and its memory bound."""
    # OCR engines take every core by default; workers that each do leave the cores fighting
    # (11 scanned pages with 2 workers: 55 s with 2 threads each, 40 s with 1)
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    os.environ.setdefault("POLICY_SEARCH_OCR_THREADS", threads)
    os.environ.setdefault("OMP_THREAD_LIMIT", threads)  # Tesseract's
    _limit_memory(memory_mb)


def _limit_memory(memory_mb: int) -> None:
    """In a new worker: its address space may grow by ``memory_mb`` beyond what it holds."""
    try:
        held = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return  # not Linux: time is still bounded
    limit = held + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _analyse(doc: Document, schema: Schema) -> PassageFields:
    """Each passage's body, section and title, analysed by its language's field."""
    done: dict[tuple[str, str], Analysed] = {}  # a title or section is shared by many passages

    def analysed(name: str, text: str) -> Analysed:
        if (name, text) not in done:
            done[(name, text)] = schema[name].analysed(text)
        return done[(name, text)]

    fields = []
    for passage in doc.passages:
        lang = passage.lang
        section = " > ".join(passage.section)
        values = {
            f"body_{lang}": schema[f"body_{lang}"].analysed(passage.text),
            f"section_{lang}": analysed(f"section_{lang}", section),
            f"title_{lang}": analysed(f"title_{lang}", doc.title),
        }
        for kind, text in (("body", passage.text), ("section", section), ("title", doc.title)):
            if has_han(text):
                values[f"{kind}_han"] = analysed(f"{kind}_han", text)
                values[f"{kind}_han2"] = analysed(f"{kind}_han2", text)
        fields.append(values)
    return tuple(fields)


def _parse_all(
    jobs_list: list[_Job],
    jobs: int,
    password: str,
    cache: Path,
    dictionary: tuple[str, ...],
    limits: FileLimits,
    ocr: bool = False,
) -> Iterator[tuple[Document | None, PassageFields, str, _Job]]:
    """Each file parsed in a worker process, whose time and memory are bounded, in the order given.

    Only a few files are sent ahead of the one being written: a worker's results wait in the
    writing process until they are written (all sent at once, an ingest of 100,000 passages
    peaked at 1.8 GB; a few ahead, at 0.36 GB).

    A worker that dies (its memory limit reached inside C code, a crash) breaks its pool: the
    files it left unread are read again one at a time in a new worker each, so that only the
    file that kills its worker is reported, and the ingest goes on.
    """
    parse = functools.partial(_parse_one, password=password, cache=cache, dictionary=dictionary, limits=limits, ocr=ocr)
    by_ocr = OcrSettings(cache) if ocr else None
    read_pages = functools.partial(_read_pages, password=password, limits=limits, ocr=by_ocr)
    pending, workers = list(jobs_list), max(1, min(jobs, len(jobs_list)))
    # OCR time is bounded by the page, outside a file's own limit: a reading (a PDF of fewer
    # pages than SHARED_FROM_PAGES, or a range of a longer one) may take that much more
    wait = 2 * limits.seconds + 30 + (_OCR_PAGES_PER_RANGE * PAGE_SECONDS if ocr else 0)
    while pending:
        broken: list[_Job] = []
        page_ranges = functools.partial(
            _page_ranges, password=password, cache=SourceCache(cache), workers=workers, limits=limits, ocr=ocr
        )
        work = _Work(parse, read_pages, page_ranges, workers, wait, ocr)
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(limits.memory_mb, workers)) as pool:
            # one file at a time per worker (a 50-page PDF must not hold back a batch of texts),
            # and a few files ahead only: results wait in memory until they are written
            for job, reading in _submitted(pool, work, pending, 2 * workers):
                try:
                    # the worker's own alarm ends a long read; this wait ends one stuck in C code
                    # or in a worker that can no longer answer (its memory gone while it replies)
                    doc, analysed, error = reading.result(timeout=work.wait)
                except TimeoutError:
                    _stop_workers(pool)
                    stuck = (
                        f"did not finish in {work.wait:g} s (stuck, or out of its {limits.memory_mb:,} MB): "
                        "skipped (raise --file-timeout or --file-memory to read it)"
                    )
                    yield None, (), stuck, job
                    continue
                except BrokenProcessPool:
                    if workers == 1 and len(pending) == 1:  # alone in its worker: this file killed it
                        yield None, (), f"its reading process died (more than {limits.memory_mb:,} MB, or a crash): skipped", job
                    else:
                        broken.append(job)
                    continue
                yield doc, analysed, error, job
        pending, workers = broken, 1
        if len(pending) > 1:  # one worker each: the next pass tells which file it was
            first, rest = pending[0], pending[1:]
            yield from _parse_all([first], 1, password, cache, dictionary, limits, ocr)
            pending = rest


@dataclass(frozen=True)
class _Work:
    """What the workers are given: files to parse, and the pages of long PDFs to read first."""

    parse: Callable[..., Any]  # (job, pdf_pages=...) -> _parse_one's result
    read_pages: Callable[[_Job, range], Any]
    page_ranges: Callable[[_Job], list[range]]
    workers: int
    wait: float  # seconds to wait for a worker's answer before taking it for stuck
    ocr: bool = False

    def ranges_of(self, pool: ProcessPoolExecutor, job: _Job) -> list[range]:
        """How a worker splits a PDF into ranges of pages; none for other files."""
        if not _may_share(job, self.workers, self.ocr):  # no worker's time spent on the others
            return []
        try:
            return list(pool.submit(self.page_ranges, job).result(timeout=self.wait))
        except TimeoutError:
            _stop_workers(pool)  # stuck in C code: the file is read again alone, and reported
            raise BrokenProcessPool("a worker did not answer") from None


class _Reading:
    """A file being read: its future, or for a long PDF its pages' futures first, after which
    the file is read with those pages (in the worker that is free first)."""

    def __init__(self, future: Future[Any] | None = None, pages: Sequence[Future[Any]] = (),
                 finish: Callable[[dict[int, Any]], Future[Any]] | None = None) -> None:
        self._future, self._pages, self._finish = future, list(pages), finish

    def result(self, timeout: float) -> Any:
        if self._finish is not None:
            read: dict[int, Any] = {}
            for future in self._pages:
                read.update(future.result(timeout=timeout))
            self._future, self._finish = self._finish(read), None
        assert self._future is not None
        return self._future.result(timeout=timeout)


def _submitted(pool: ProcessPoolExecutor, work: _Work, jobs: list[_Job], ahead: int) -> Iterator[tuple[_Job, _Reading]]:
    """The files with their readings, in order, at most ``ahead`` submitted and not yet taken;
    once the pool is broken, each file left gets a reading that says so."""
    queue = iter(jobs)
    window: collections.deque[tuple[_Job, _Reading]] = collections.deque()
    while True:
        while len(window) < ahead:
            job = next(queue, None)
            if job is None:
                break
            try:
                ranges = work.ranges_of(pool, job)
                if ranges:
                    pages = [pool.submit(work.read_pages, job, numbers) for numbers in ranges]
                    finish = functools.partial(_finish_with, pool, work.parse, job)
                    window.append((job, _Reading(pages=pages, finish=finish)))
                else:
                    window.append((job, _Reading(pool.submit(work.parse, job))))
            except BrokenProcessPool:
                window.append((job, _Reading(_failed_future())))
                break
        if not window:
            return
        yield window.popleft()


def _finish_with(pool: ProcessPoolExecutor, parse: Callable[..., Any], job: _Job, pages: dict[int, Any]) -> Future[Any]:
    try:
        return pool.submit(parse, job, pdf_pages=pages)
    except BrokenProcessPool:
        return _failed_future()


def _failed_future() -> Future[Any]:
    future: Future[Any] = Future()
    future.set_exception(BrokenProcessPool("the pool broke before this file was sent"))
    return future
