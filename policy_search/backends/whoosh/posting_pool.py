"""The writing process's postings, kept by term until the segment is written.

Whoosh's writer adds each posting to a pool as a tuple (field, term, passage, weight, value),
sorts every tuple at the commit and hands them one at a time to the postings writer: for
100,000 passages that is 15 million tuples sorted and 15 million calls, most of the single
writing process's time (the workers that read and analyse the files waited for it). Here a
posting is appended to its term's arrays as it comes; the commit sorts the terms only and
writes each term's postings a block at a time (the codec's ``add_terms``). The blocks
written are the same bytes as Whoosh's.

Passages are numbered in the order they are added, so each term's arrays are already in
passage order. When the pool outgrows its memory limit, its terms are written in order to a
run file; the commit merges the runs term by term (not posting by posting), the older run first.
"""

from __future__ import annotations

import heapq
import itertools
import pickle
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from whoosh.writing import SegmentWriter

_PROTOCOL = 5
#: bytes a posting holds in memory: its passage number and weight in arrays, and a list slot
#: (the value's bytes object is counted by its length and header)
_POSTING = 20
_VALUE = 33
#: bytes a new term costs: its key, dictionary slot, two arrays and a list
_TERM = 360


@dataclass(frozen=True)
class TermPostings:
    """One term's postings in one field, in passage order. ``values`` is empty for a format
    that stores none (counts only). Weights are doubles: a block stores them as floats, but
    its maximum weight as the double it was (as Whoosh's writer does)."""

    field: str
    term: bytes
    ids: array
    weights: array
    values: list[bytes]


class TermPool:
    """Postings grouped by (field, term) within ``limit_mb``, the rest in sorted run files."""

    def __init__(self, tempstore: Any, limit_mb: float) -> None:
        self._tempstore = tempstore
        self._limit = limit_mb * 1024 * 1024
        self._size = 0
        self._terms: dict[tuple[str, bytes], tuple[array, array, list[bytes]]] = {}
        self._runs: list[str] = []

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Whoosh's pool interface: one posting (field, term, passage, weight, value)."""
        fieldname, term, docnum, weight, value = item
        postings = self._terms.get((fieldname, term))
        if postings is None:
            postings = self._terms[(fieldname, term)] = (array("I"), array("d"), [])
            self._size += _TERM + len(term)
        postings[0].append(docnum)
        postings[1].append(weight)
        if value:  # as Whoosh's postings writer: an empty value is not kept
            postings[2].append(value)
            self._size += _POSTING + _VALUE + len(value)
        else:
            self._size += _POSTING
        if self._size > self._limit:
            self._save()

    def _save(self) -> None:
        name = f"run{len(self._runs)}.pool"
        with self._tempstore.create_file(name).raw_file() as f:
            for key in sorted(self._terms):
                pickle.dump((key, *self._terms[key]), f, _PROTOCOL)
        self._runs.append(name)
        self._terms = {}
        self._size = 0

    def terms(self) -> Iterator[TermPostings]:
        """Every term's postings, in (field, term) order."""
        memory = ((key, *self._terms[key]) for key in sorted(self._terms))
        if not self._runs:
            for (fieldname, term), ids, weights, values in memory:
                yield TermPostings(fieldname, term, ids, weights, values)
            return
        files = [self._tempstore.open_file(name).raw_file() for name in self._runs]
        try:
            # heapq.merge is stable: of equal keys, the older run's comes first
            merged = heapq.merge(*(_read_run(f) for f in files), memory, key=lambda entry: entry[0])
            for (fieldname, term), parts in itertools.groupby(merged, key=lambda entry: entry[0]):
                ids, weights, values = array("I"), array("d"), []
                for _, more_ids, more_weights, more_values in parts:
                    ids += more_ids
                    weights += more_weights
                    values += more_values
                yield TermPostings(fieldname, term, ids, weights, values)
        finally:
            for f in files:
                f.close()

    def cleanup(self) -> None:
        for name in self._runs:
            try:
                self._tempstore.delete_file(name)
            except OSError:
                pass
        self._runs = []


def _read_run(f: BinaryIO) -> Iterator[tuple[Any, ...]]:
    while True:
        try:
            yield pickle.load(f)
        except EOFError:
            return


class PolicyWriter(SegmentWriter):
    """Whoosh's segment writer with postings kept by term (``TermPool``) and written a term at
    a time by the codec's field writer."""

    def __init__(self, ix: Any, limitmb: float = 128, **kwargs: Any) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = TermPool(self._tempstorage, limitmb)

    def _flush_segment(self) -> None:
        # Whoosh's passes each posting with its passage's field length, only to keep each
        # block's shortest and longest length for block-quality skipping, which neither the
        # ranker nor the exact-count collector uses
        self.perdocwriter.close()
        self.fieldwriter.add_terms(self.schema, self.pool.terms())
        self.fieldwriter.close()
