"""Writers for hits: JSON, JSON Lines and CSV (RFC 4180, formula-safe, optional BOM)."""

from __future__ import annotations

import csv
import enum
import json
from collections.abc import Iterable
from typing import IO

from .model import HIT_FIELDS, Hit

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Format(enum.Enum):
    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


def neutralise(value: object) -> object:
    """Prefix a cell a spreadsheet would run as a formula with a quote; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_json(query: str, total: int, hits: Iterable[Hit], out: IO[str]) -> None:
    document = {"query": query, "total": total, "hits": [h.to_dict() for h in hits]}
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_jsonl(hits: Iterable[Hit], out: IO[str]) -> None:
    for hit in hits:
        out.write(json.dumps(hit.to_dict(), ensure_ascii=False) + "\n")


def write_csv(hits: Iterable[Hit], out: IO[str], bom: bool = False) -> None:
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HIT_FIELDS)
    for hit in hits:
        row = hit.to_dict()
        writer.writerow(["" if row[f] is None else neutralise(row[f]) for f in HIT_FIELDS])
