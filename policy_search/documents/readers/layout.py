"""What the readers share about laying text out: spaces inside a line, tables as lines."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

Cell = TypeVar("Cell")

_SPACES = re.compile(r"[ \t\u00a0\u3000\u200b]+")
CELL_SEPARATOR = " | "


def squeeze(text: str) -> str:
    """A line with each run of spaces, tabs, no-break and ideographic spaces made one space."""
    return _SPACES.sub(" ", text).strip()


def row_text(cells: Iterable[str]) -> str:
    """A table row as one line: its cells that hold text, joined by " | "."""
    return CELL_SEPARATOR.join(cell for cell in cells if cell)


def table_text(rows: Iterable[Iterable[str]]) -> str:
    """A table as text: a line per row that holds any text."""
    return "\n".join(line for line in map(row_text, rows) if line)


def grid_text(rows: Sequence[Sequence[Cell]], text_of: Callable[[Cell], str], lay_out: Callable[[Cell], None]) -> str:
    """A table of a document's markup (Word, OpenDocument) as text, a line per row; a table of one
    column lays out paragraphs, so its cells are handed to ``lay_out`` instead and "" is returned."""
    if max(map(len, rows), default=0) <= 1:
        for row in rows:
            for cell in row:
                lay_out(cell)
        return ""
    return table_text([text_of(cell) for cell in row] for row in rows)
