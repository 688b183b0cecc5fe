"""Writers for hits: JSON, and row writers for JSON Lines, CSV and XLSX shared by `search` and `run`.

Row writers take one row (a mapping of column to value) at a time, so a batch streams to its
output. A file named with ``out`` is written beside its final name and moved into place only
when complete, so an interrupted export never leaves half a file where the last one was.
"""

from __future__ import annotations

import csv
import datetime
import enum
import functools
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from policy_search.errors import PolicySearchError
from policy_search.model import HIT_FIELDS, Hit
from policy_search.terminal import json_text, printable

if TYPE_CHECKING:
    from policy_search.output.saved import RunReport

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Format(enum.Enum):
    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    XLSX = "xlsx"


#: The formats that write one row per hit.
ROW_FORMATS = (Format.CSV, Format.JSONL, Format.XLSX)


class ExportError(PolicySearchError):
    """An output that cannot be written as asked."""


def neutralise(value: object) -> object:
    """Prefix a cell a spreadsheet would run as a formula with a quote; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_json(query: str, total: int, hits: Iterable[Hit], out: IO[str], exact: int | None = None) -> None:
    """``exact``: how many of ``total`` hold the query's Chinese runs as typed (default: all)."""
    document = {"query": query, "total": total, "exact": total if exact is None else exact, "hits": [h.to_dict() for h in hits]}
    out.write(json_text(document, indent=2) + "\n")


class RowWriter(Protocol):
    def write(self, row: Mapping[str, object]) -> None: ...

    def finish(self, report: RunReport | None = None) -> None: ...


class JsonlRows:
    """One JSON object per line, values exactly as found (no neutralising; control characters
    escaped as JSON escapes, which read back as the same text)."""

    def __init__(self, out: IO[str], columns: Sequence[str]) -> None:
        self._out = out
        self._columns = columns

    def write(self, row: Mapping[str, object]) -> None:
        self._out.write(json_text({c: row[c] for c in self._columns}) + "\n")

    def finish(self, report: RunReport | None = None) -> None:
        self._out.flush()


class CsvRows:
    """RFC 4180 CSV with a header row, CRLF line ends and formula-safe cells; on a terminal, cells
    with their control characters shown as escapes (see terminal.py)."""

    def __init__(self, out: IO[str], columns: Sequence[str], bom: bool = False) -> None:
        if bom:
            out.write("\ufeff")
        self._out = out
        self._columns = columns
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._terminal = out.isatty()
        self._writer.writerow(columns)

    def write(self, row: Mapping[str, object]) -> None:
        cells = ["" if row[c] is None else neutralise(row[c]) for c in self._columns]
        if self._terminal:
            cells = [printable(cell) if isinstance(cell, str) else cell for cell in cells]
        self._writer.writerow(cells)

    def finish(self, report: RunReport | None = None) -> None:
        self._out.flush()


def write_jsonl(hits: Iterable[Hit], out: IO[str]) -> None:
    rows = JsonlRows(out, HIT_FIELDS)
    for hit in hits:
        rows.write(hit.to_dict())


def write_csv(hits: Iterable[Hit], out: IO[str], bom: bool = False) -> None:
    rows = CsvRows(out, HIT_FIELDS, bom)
    for hit in hits:
        rows.write(hit.to_dict())


# --- XLSX ---------------------------------------------------------------------------------------

#: Column widths in characters; the long text columns wrap.
_WIDTHS = {
    "query_name": 22, "query": 30, "rank": 6, "score": 8, "doc_id": 28, "title": 30, "lang": 6,
    "date": 11, "section": 40, "page": 6, "page_label": 8, "passage": 8, "citation": 45,
    "snippet": 60, "text": 80, "source": 30,
}
_WRAPPED = {"query", "title", "section", "citation", "snippet", "text"}
_NUMBERS = {"rank", "score", "page", "passage"}
#: Characters XML 1.0 cannot hold; openpyxl refuses a cell that has one.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CELL_LIMIT = 32_767  # Excel's most characters in one cell
#: Hit rows are four lines high: wrapped passages of a thousand characters would otherwise make
#: rows taller than a screen; the whole text is in the cell, one click away.
_ROW_HEIGHT = 62


def _xlsx_value(column: str, value: object) -> object:
    if value is None or value == "":
        return None
    if column in _NUMBERS:
        return value
    if column == "date" and isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    return _text_cell(str(value))


def _text_cell(text: str) -> str:
    """A string as a sheet can hold it: no character XML cannot hold, at most Excel's length,
    never a formula."""
    text = _ILLEGAL_XML.sub("\ufffd", text)
    if len(text) > _CELL_LIMIT:
        text = text[: _CELL_LIMIT - 1] + "…"
    return str(neutralise(text))


class XlsxRows:
    """A workbook: a "Hits" sheet (header frozen and filtered, wrapped text, readable widths),
    and with a batch report, "By query" and "By document" summary sheets.

    openpyxl's write-only mode keeps the rows on disk, not in memory.
    """

    def __init__(self, path: Path | IO[bytes], columns: Sequence[str]) -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        self._path = path
        self._columns = columns
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("Hits")
        self._wrap = Alignment(wrap_text=True, vertical="top")
        self._top = Alignment(vertical="top")
        self._bold = Font(bold=True)
        self._rows = 0
        self._sheet.freeze_panes = "A2"
        for number, column in enumerate(columns, start=1):
            self._sheet.column_dimensions[_letter(number)].width = _WIDTHS.get(column, 15)
        self._append_header(self._sheet, columns)

    def _append_header(self, sheet: Any, columns: Sequence[str]) -> None:
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=_text_cell(column))  # a query's name heads a column
            cell.font = self._bold
            cells.append(cell)
        sheet.append(cells)

    def write(self, row: Mapping[str, object]) -> None:
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for column in self._columns:
            cell = WriteOnlyCell(self._sheet, value=_xlsx_value(column, row[column]))
            cell.alignment = self._wrap if column in _WRAPPED else self._top
            if column == "date" and cell.value is not None:
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        self._sheet.row_dimensions[self._rows + 2].height = _ROW_HEIGHT  # read when the row is written
        self._sheet.append(cells)
        self._rows += 1

    def finish(self, report: RunReport | None = None) -> None:
        self._sheet.auto_filter.ref = f"A1:{_letter(len(self._columns))}{self._rows + 1}"
        if report is not None:
            self._summaries(report)
        self._book.save(self._path)

    def _summaries(self, report: RunReport) -> None:
        by_query = self._book.create_sheet("By query")
        by_query.freeze_panes = "A2"
        for letter, width in zip("ABCDE", (22, 50, 10, 10, 50), strict=True):
            by_query.column_dimensions[letter].width = width
        self._append_header(by_query, ["query_name", "query", "matched", "exported", "error"])
        for outcome in report.outcomes:
            error = _text_cell(outcome.error) if outcome.error else None
            by_query.append([_text_cell(outcome.name), _text_cell(outcome.q), outcome.total, outcome.hits, error])

        names = [o.name for o in report.outcomes]
        by_document = self._book.create_sheet("By document")
        by_document.freeze_panes = "E2"
        for letter, width in zip("ABCD", (28, 40, 11, 8), strict=True):
            by_document.column_dimensions[letter].width = width
        self._append_header(by_document, ["doc_id", "title", "date", "hits", *names])
        for tally in report.documents:
            counts = [tally.per_query.get(name) for name in names]
            cells = [_text_cell(tally.doc_id), _xlsx_value("title", tally.title), _xlsx_value("date", tally.date)]
            by_document.append([*cells, tally.hits, *counts])


def _letter(number: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(number))


# --- choosing a writer and an output ------------------------------------------------------------


@contextmanager
def _replacing(out: Path) -> Iterator[IO[bytes]]:
    """A new file beside ``out`` that replaces it only once the block completes.

    The file is made with a random name that did not exist (``O_EXCL``), so a link planted where
    it will be cannot redirect the write; the rename then replaces whatever ``out`` is, a
    symbolic link included (the link, not its target).
    """
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from exc
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.chmod(partial, 0o666 & ~_umask())  # mkstemp's 0600 is for the partial file only
        os.replace(partial, out)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


@functools.cache
def _umask() -> int:
    mask = os.umask(0)  # read once: the only way to read it sets it, and sets it back
    os.umask(mask)
    return mask


@contextmanager
def open_text(out: Path | None) -> Iterator[IO[str]]:
    """stdout, or UTF-8 text to ``out`` (complete or not at all)."""
    if out is None:
        yield sys.stdout
        return
    with _replacing(out) as raw:
        handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        yield handle
        handle.flush()
        handle.detach()  # the raw file is closed by _replacing


@contextmanager
def open_rows(fmt: Format, columns: Sequence[str], out: Path | None, *, bom: bool = False) -> Iterator[RowWriter]:
    """A row writer for ``fmt`` on ``out`` (stdout when None); call ``finish`` when done.

    XLSX needs a file; the file appears only if the block ends without an exception.
    """
    if fmt not in ROW_FORMATS:
        raise ExportError(f"{fmt.value} is not a row format (use {', '.join(f.value for f in ROW_FORMATS)})")
    if fmt is Format.XLSX:
        if out is None:
            raise ExportError("xlsx needs --out FILE (a workbook cannot go to the terminal)")
        with _replacing(out) as handle:
            yield XlsxRows(handle, columns)
        return
    with open_text(out) as handle:
        yield CsvRows(handle, columns, bom) if fmt is Format.CSV else JsonlRows(handle, columns)
