"""What the readers share about laying text out: spaces inside a line, tables as lines."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
