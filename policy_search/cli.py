"""The command line: parse options, call the API, print. No logic of its own."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from policy_search import api
from policy_search.backends import OPENSEARCH_SCHEME, Location, open_backend
from policy_search.errors import IndexMissing, PolicySearchError
from policy_search.model import HIT_FIELDS, Hit
from policy_search.output.export import (
    ROW_FORMATS,
    CsvRows,
    ExportError,
    Format,
    JsonlRows,
    open_rows,
    open_text,
    write_csv,
    write_json,
    write_jsonl,
)
from policy_search.terminal import json_text, printable

if TYPE_CHECKING:  # imported by `run` alone: a search process has no use for TOML or batches
    from policy_search.output.saved import QueryOutcome, SavedQuery

DEFAULT_CORPUS = Path("corpus")


class CommandError(click.ClickException):
    """An expected error: one line on stderr, exit status 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        for line in self.format_message().splitlines():
            click.echo(printable(f"Error: {line}"), err=True)


class IndexLocation(click.ParamType):
    """A folder, or an index on an OpenSearch cluster (kept as the URL it is)."""

    name = "DIR|opensearch://HOST:PORT/NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path | str:
        if isinstance(value, Path):
            return value
        text = str(value)
        if text.startswith(OPENSEARCH_SCHEME):
            return text
        if "://" in text and not os.path.exists(text):  # elasticsearch://, http://: not ours
            self.fail(f"{text!r}: an index is a folder or {OPENSEARCH_SCHEME}HOST:PORT/NAME", param, ctx)
        if os.path.isfile(text):
            self.fail(f"{text!r} is a file, not an index folder", param, ctx)
        return Path(text)


def index_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--index",
        "index_dir",
        type=IndexLocation(),
        envvar="POLICY_SEARCH_INDEX",
        default=None,
        help="Index folder (default ./indexes/default), or opensearch://HOST:PORT/NAME (env POLICY_SEARCH_INDEX).",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy-search")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Search plan and guidance documents in Chinese, English and French, with citations.

    \b
    Examples:
        policy-search ingest corpus/            # build or update the index
        policy-search search "coordinated regional development"
        policy-search search 区域协调发展 --lang zh --format csv --out hits.csv
        policy-search docs
        policy-search show seeds/002_2b698c6a19e47f6b --passage 11
        policy-search run scripts/queries/regional-development.toml --format xlsx --out hits.xlsx
    """
    ctx.obj = {"debug": debug}
    _Exit.at_once = ctx.invoked_subcommand in _READ_ONLY


@contextmanager
def _errors(ctx: click.Context) -> Iterator[None]:
    try:
        yield
    except PolicySearchError as exc:
        if ctx.obj and ctx.obj.get("debug"):
            raise
        raise CommandError(str(exc)) from exc


def _index_path(index_dir: Location | None) -> tuple[Location, bool]:
    if index_dir is not None:
        return index_dir, False
    return api.DEFAULT_INDEX, True


def _open(index_dir: Location | None, build_default: bool = False) -> api.Index:
    path, is_default = _index_path(index_dir)
    if is_default and build_default and not open_backend(path).exists():
        if not DEFAULT_CORPUS.is_dir():
            raise IndexMissing(f"no index at {path} and no ./corpus folder to build it from: run `policy-search ingest PATH`")
        click.echo(f"Building the default index {path} from ./{DEFAULT_CORPUS} (first use)...", err=True)
        report = _run_ingest([DEFAULT_CORPUS], path, rebuild=False, jobs=os.cpu_count() or 1, lock_timeout=60.0, silent=False, dictionary=None)
        click.echo(report.summary(), err=True)
    return api.open_index(path)


def _run_ingest(
    paths: list[Path], index_dir: Location, *, rebuild: bool, jobs: int, lock_timeout: float, silent: bool,
    dictionary: Path | None, password: str = "", file_timeout: float = 300.0, file_memory: int = 4096,
    ocr: bool | None = None,
) -> Any:
    from policy_search.indexing.ingest import FileLimits, ingest

    _Exit.at_once = False  # worker processes and files were opened: Python's own exit closes all
    show_bar = not silent and sys.stderr.isatty()
    bar: Any = None

    def on_plan(total: int) -> None:
        nonlocal bar
        if show_bar and total:
            bar = click.progressbar(length=total, label="Ingesting", file=sys.stderr)
            bar.__enter__()

    def progress(path: str) -> None:
        if bar is not None:
            bar.update(1)

    try:
        return ingest(paths, index_dir, rebuild=rebuild, dictionary_path=dictionary, jobs=jobs,
                      lock_timeout=lock_timeout, progress=progress, on_plan=on_plan, password=password,
                      limits=FileLimits(seconds=file_timeout, memory_mb=file_memory), ocr=ocr)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Start from an empty index instead of updating it.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="CPU count", help="Parse files in N processes.")
@click.option("--dict", "dictionary", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Extra Chinese words for segmentation (one per line; needs --rebuild on an existing index).")
@click.option("--lock-timeout", type=float, default=30.0, show_default=True, help="Seconds to wait for another ingest to finish.")
@click.option("--password", default="", envvar="POLICY_SEARCH_PDF_PASSWORD", help="Password for encrypted PDFs whose user password is not empty (env POLICY_SEARCH_PDF_PASSWORD).")
@click.option("--file-timeout", type=click.FloatRange(min=0.1), default=300.0, show_default=True, help="Seconds one file may take to read; a file that takes longer is reported and skipped.")
@click.option("--file-memory", type=click.IntRange(min=64), default=4096, show_default=True, help="Megabytes one file may take to read; a file that needs more is reported and skipped.")
@click.option("--ocr/--no-ocr", default=None, help="Read PDF pages without a usable text layer (scans, images, fonts that give no text) by OCR; the index keeps the choice for later ingests (default: the index's, off for a new one). Needs pip install 'policy-search[ocr]'.")
@click.option("--silent", is_flag=True, help="No progress bar.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], index_dir: Location | None, rebuild: bool, jobs: int, dictionary: Path | None, lock_timeout: float, password: str, file_timeout: float, file_memory: int, ocr: bool | None, silent: bool) -> None:
    """Ingest documents and folders of them into the index (default: ./corpus).

    Reads .txt, .md, .pdf, saved web pages (.html, .htm, .xhtml), Word (.docx) and
    OpenDocument (.odt) files, and .doc, .wps and .rtf through LibreOffice when it is
    installed. Unchanged files are skipped, changed files replaced, and files gone from
    an ingested folder removed. What each PDF (or LibreOffice) reads is cached by content
    hash, so a rebuild reads no PDF again. Every other file in a folder is reported as
    skipped, with the reason (hidden files and a folder's README/SOURCES notes are
    passed over). A file that cannot be read (a scanned PDF without a text layer, an
    encrypted or damaged one) is reported with the reason, and the exit status is 1;
    PDF pages left out (images only, unreadable fonts) are reported as warnings. With
    --ocr those pages are read by OCR (Chinese, English, French), cited "p. 3 (OCR)", and
    pages read with low confidence are reported as warnings; images of pages (.png, .jpg,
    .tif, ...) are read too (without --ocr they are listed as skipped). A file
    that takes longer than --file-timeout or more memory than --file-memory to read is
    reported and skipped, and the ingest goes on.

    \b
    Example:
        policy-search ingest corpus/ ~/plans/2025 --jobs 2
        policy-search ingest ~/plans/confidential --password 'the user password'
        policy-search ingest ~/scans --ocr
    """
    path, _ = _index_path(index_dir)
    with _errors(ctx):
        report = _run_ingest(list(paths) or [DEFAULT_CORPUS], path, rebuild=rebuild, jobs=jobs, lock_timeout=lock_timeout,
                             silent=silent, dictionary=dictionary, password=password, file_timeout=file_timeout, file_memory=file_memory,
                             ocr=ocr)
    for warned_path, warning in report.warnings:
        click.echo(printable(f"Warning: {warned_path}: {warning}", lines=False), err=True)
    for skipped_path, reason in report.skipped:
        click.echo(printable(f"Skipped: {skipped_path}: {reason}", lines=False), err=True)
    for failed_path, reason in report.failed:
        click.echo(printable(f"Error: {failed_path}: {reason}", lines=False), err=True)
    click.echo(report.summary())
    if report.failed:
        ctx.exit(1)


def _colour_enabled(no_color: bool, out: IO[str]) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and out.isatty()


_MARK = re.compile(r"\[\[(.+?)\]\]", re.S)


def _print_text(hits: Sequence[Hit], total: int, offset: int, out: IO[str], colour: bool, exact: int) -> None:
    for hit in hits:
        # the document's text is made printable first, so the only escape codes are our colours
        snippet = printable(hit.snippet or hit.text[:200])
        citation = printable(hit.citation, lines=False)
        if colour:
            snippet = _MARK.sub(lambda m: click.style(m.group(1), fg="red", bold=True), snippet)
            header = click.style(f"{hit.rank}.", bold=True) + " " + click.style(citation, fg="cyan")
        else:
            header = f"{hit.rank}. {citation}"
        click.echo(f"{header}  [{printable(hit.doc_id, lines=False)}, {hit.lang}, score {hit.score:.2f}]", file=out)
        click.echo(f"   {snippet}", file=out)
        click.echo("", file=out)
    shown = f"{offset + 1}-{offset + len(hits)}" if hits else "0"
    apart = f" ({exact} with the Chinese as typed, then {total - exact} with its words apart)" if exact < total else ""
    click.echo(f"{shown} of {total} passages{apart}", file=out)


@cli.command()
@click.argument("query")
@index_option
@click.option("-n", "--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Hits to show.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many hits first (paging).")
@click.option("--lang", "langs", multiple=True, type=click.Choice(["en", "fr", "zh"]), help="Only passages in this language (repeatable).")
@click.option("--doc", "docs", multiple=True, help="Only this document id; globs allowed, e.g. 'seeds/*' (repeatable).")
@click.option("--since", help="Only documents dated on or after (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", help="Only documents dated on or before (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default="text", show_default=True, help="Output format.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout.")
@click.option("--bom", is_flag=True, help="Start CSV with a byte-order mark (for Excel).")
@click.option("--no-color", is_flag=True, help="No colour, even on a terminal (NO_COLOR is respected too).")
@click.pass_context
def search(ctx: click.Context, query: str, index_dir: Location | None, limit: int, offset: int, langs: tuple[str, ...], docs: tuple[str, ...], since: str | None, until: str | None, fmt: str, out: Path | None, bom: bool, no_color: bool) -> None:
    """Search the index for QUERY and print the ranked passages with citations.

    Words are ANDed; OR, NOT, parentheses, "exact phrases", prefix*, and the fields
    lang:, doc:, title:, section: are understood. Exit status 1 when nothing matches.

    \b
    Examples:
        policy-search search "coordinated regional development"
        policy-search search '區域協調發展 OR 区域协调发展' --lang zh
        policy-search search 'developpement NOT lang:en' --format json
        policy-search search 'section:"Box 12" airports' --format csv --out hits.csv
        policy-search search 人民法院 --format xlsx --out courts.xlsx
    """
    with _errors(ctx):
        _check_output(Format(fmt), out)
        index = _open(index_dir, build_default=True)
        results = index.search(query, limit=limit, offset=offset, lang=langs, doc=docs, since=since, until=until)
    if not results.hits and fmt != "json":
        if fmt == "text":
            click.echo(f"No passages match {query!r}.", err=True)
        ctx.exit(1)
    hits = results.hits
    with _errors(ctx):
        if Format(fmt) in ROW_FORMATS:
            with open_rows(Format(fmt), HIT_FIELDS, out, bom=bom) as rows:
                for hit in hits:
                    rows.write(hit.to_dict())
                rows.finish()
        else:
            with open_text(out) as handle:
                if fmt == "text":
                    _print_text(hits, results.total, offset, handle, _colour_enabled(no_color, handle), results.exact)
                else:
                    write_json(query, results.total, hits, handle, results.exact)
    if not results.hits:
        ctx.exit(1)


def _check_output(fmt: Format, out: Path | None) -> None:
    if fmt is Format.XLSX and out is None:
        raise ExportError("--format xlsx needs --out FILE.xlsx (a workbook cannot go to the terminal)")
    named = out.suffix[1:].lower() if out else ""
    if named in {f.value for f in Format} and named != fmt.value:
        # the format is never guessed from the name (the default is the contract's), but a
        # spreadsheet or parser given hits.xlsx full of CSV text fails far from the cause
        raise ExportError(f"--out {out}: the name says {named} but the format is {fmt.value} (give --format {named})")


class _BatchProgress:
    """Reports each query of a batch as it ends: failures always, progress on a terminal."""

    def __init__(self, path: Path, queries: tuple[SavedQuery, ...], show: bool) -> None:
        self._path = path
        self._queries = queries
        self._show = show

    def __call__(self, position: int, outcome: QueryOutcome, rows: int) -> None:
        if self._show:
            name = printable(outcome.name, lines=False)
            click.echo(f"\r\033[K[{position}/{len(self._queries)}] {name}: {outcome.hits} hits, {rows} rows so far",
                       err=True, nl=False)
        if outcome.error:
            if self._show:
                click.echo("", err=True)
            line = f"Error: {self._path}: {self._queries[position - 1].label}: {outcome.error}"
            click.echo(printable(line, lines=False), err=True)

    def close(self) -> None:
        if self._show:
            click.echo("", err=True)


@cli.command()
@click.argument("queries_file", metavar="QUERIES.toml", type=click.Path(dir_okay=False, path_type=Path))
@index_option
@click.option("--format", "fmt", type=click.Choice([f.value for f in ROW_FORMATS]), default="csv", show_default=True, help="Output format.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (needed for xlsx; default stdout).")
@click.option("--bom", is_flag=True, help="Start CSV with a byte-order mark (for Excel).")
@click.option("--dedupe", is_flag=True, help="One row per passage, with every query that matched it (';'-joined) and its best rank.")
@click.option("--progress/--no-progress", default=None, help="Show each query as it runs on stderr (default: when stderr is a terminal).")
@click.pass_context
def run(ctx: click.Context, queries_file: Path, index_dir: Location | None, fmt: str, out: Path | None, bom: bool, dedupe: bool, progress: bool | None) -> None:
    """Run a saved query file and write every hit of every query, one row each.

    The file holds an optional [defaults] table of search options and one [[query]]
    table per query, with a unique name, the query q, and any search option (limit,
    offset, lang, doc, since, until). Each row starts with query_name and query.
    Mistakes in the file are all reported before anything runs (exit status 2); a query
    that fails is reported with its name and the others still run (exit status 1).

    \b
    Example file:
        [defaults]
        limit = 20
        [[query]]
        name = "regional-coordination"
        q = '区域协调发展 OR "coordinated regional development"'
        lang = ["zh", "en"]

    \b
    Examples:
        policy-search run scripts/queries/regional-development.toml
        policy-search run weekly.toml --format xlsx --out weekly.xlsx --dedupe
    """
    from policy_search.output.saved import RUN_FIELDS, read_queries, run_queries

    with _errors(ctx):
        queries = read_queries(queries_file)
        _check_output(Format(fmt), out)
        index = _open(index_dir, build_default=True)
        reporter = _BatchProgress(queries_file, queries, sys.stderr.isatty() if progress is None else progress)
        try:
            with open_rows(Format(fmt), RUN_FIELDS, out, bom=bom) as rows:
                report = run_queries(index, queries, rows.write, dedupe=dedupe, progress=reporter)
                rows.finish(report)
        finally:
            reporter.close()
    ran = len(report.outcomes) - len(report.failed)
    failed = f", {len(report.failed)} failed" if report.failed else ""
    click.echo(printable(f"{len(queries)} queries: {ran} ran{failed}; {report.rows} rows written to {out or 'stdout'}"), err=True)
    if report.failed:
        ctx.exit(1)


@cli.command()
@index_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "csv"]), default="text", show_default=True, help="Output format.")
@click.pass_context
def docs(ctx: click.Context, index_dir: Location | None, fmt: str) -> None:
    """List the indexed documents: doc_id, title, language, date, pages, passages, source.

    \b
    Example:
        policy-search docs --format csv > documents.csv
    """
    with _errors(ctx):
        documents = _open(index_dir, build_default=True).documents()
    columns = ["doc_id", "title", "lang", "date", "pages", "passages", "source"]
    rows = [{c: getattr(d, c) for c in columns} for d in documents]
    if fmt == "json":
        click.echo(json_text(rows, indent=2))
    elif fmt in ("jsonl", "csv"):
        writer = CsvRows(sys.stdout, columns) if fmt == "csv" else JsonlRows(sys.stdout, columns)
        for row in rows:
            writer.write(row)
        writer.finish()
    else:
        for d in documents:
            pages = f"{d.pages} pages" if d.pages else "no pages"
            click.echo(printable(f"{d.doc_id}  [{d.lang}] {d.date or '----------'}  {d.passages} passages, {pages}", lines=False))
            click.echo(printable(f"    {d.title}", lines=False))
            click.echo(printable(f"    {d.source}", lines=False))
        click.echo(f"{len(documents)} documents")


@cli.command()
@click.argument("doc_id")
@index_option
@click.option("--passage", type=click.IntRange(min=1), help="Only passage N.")
@click.option("--page", type=click.IntRange(min=1), help="Only the passages that start on page N.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "csv"]), default="text", show_default=True, help="Output format.")
@click.pass_context
def show(ctx: click.Context, doc_id: str, index_dir: Location | None, passage: int | None, page: int | None, fmt: str) -> None:
    """Print a document's passages in reading order with their citations.

    \b
    Examples:
        policy-search show seeds/004_126da79b9d7433e3
        policy-search show seeds/000_86f2992c49784acc --page 56
    """
    with _errors(ctx):
        index = _open(index_dir, build_default=True)
        hits = index.passages(doc_id, page=page, passage=passage)
        if not hits:
            known = {d.doc_id for d in index.documents()}
            if doc_id not in known:
                raise CommandError(f"no document {doc_id!r} in the index (list them with `policy-search docs`)")
            raise CommandError(f"document {doc_id!r} has no passage matching --passage/--page")
    out = sys.stdout
    if fmt == "json":
        write_json(doc_id, len(hits), hits, out)
    elif fmt == "jsonl":
        write_jsonl(hits, out)
    elif fmt == "csv":
        write_csv(hits, out)
    else:
        for hit in hits:
            click.echo(printable(hit.citation, lines=False))
            click.echo(printable(hit.text))
            click.echo("")


#: commands that leave nothing to close once their output is written
_READ_ONLY = frozenset({"search", "docs", "show"})


class _Exit:
    """How this process ends. After a command of _READ_ONLY that built no index, it ends
    without Python's teardown of every module and object: 15 ms of a 0.17 s search."""

    at_once = False


def main() -> None:
    try:
        cli(prog_name="policy-search")
    except SystemExit as done:
        if _Exit.at_once and (done.code is None or isinstance(done.code, int)):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except OSError:
                raise done from None  # a closed pipe: Python's exit reports it as it does
            os._exit(done.code or 0)
        raise
