"""Compact postings: positions survive the varint coding, analysing in a worker changes nothing,
and postings kept by term are written as Whoosh writes them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from whoosh import formats
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from policy_search.analysis.analyzers import read_dictionary
from policy_search.backends.whoosh.codec import Analysed, PolicyCodec, VarintPositions
from policy_search.backends.whoosh.posting_pool import PolicyWriter, TermPool
from policy_search.backends.whoosh.store import make_schema
from policy_search.backends.whoosh.writer import add_document, create
from policy_search.indexing.ingest import _analyse
from policy_search.model import Document

from .conftest import parse


@pytest.mark.parametrize(
    "positions",
    [[0], [5], [0, 1, 2, 3], [127, 128, 255, 256], [16383, 16384, 2_000_000], list(range(0, 5000, 3))],
)
def test_varint_positions_round_trip(positions: list[int]) -> None:
    fmt = VarintPositions()
    value = fmt.encode(positions)
    assert fmt.decode_positions(value) == positions
    assert fmt.decode_frequency(value) == len(positions)
    assert [p for p, _ in fmt.decode_position_boosts(value)] == positions


def test_long_chinese_passage_keeps_every_position() -> None:
    """A work report paragraph of more than 128 words: gaps and positions past one byte."""
    doc = parse("work-reports/2024_2024年中华人民共和国国务院政府工作报告.txt")
    passage = max(doc.passages, key=lambda p: len(p.text))
    field = make_schema(read_dictionary())["body_zh"]
    ours = {term: field.format.decode_positions(value) for term, _, _, value in field.analysed(passage.text).items}
    whooshs = {term: formats.Positions().decode_positions(value)
               for term, _, _, value in formats.Positions().word_values(passage.text, field.analyzer, mode="index")}
    assert {t.decode("utf-8"): p for t, p in ours.items()} == whooshs
    assert max(max(p) for p in ours.values()) > 128


def test_analysed_value_is_indexed_as_the_text_would_be() -> None:
    doc = parse("seeds/002_2b698c6a19e47f6b.txt")
    field = make_schema(read_dictionary())["body_en"]
    text = doc.passages[3].text
    assert list(field.index(field.analysed(text))) == list(field.index(text))
    assert isinstance(field.analysed(text), Analysed)


def _segment_files(folder: Path) -> dict[str, bytes]:
    """The postings and term files of an index of one segment, by extension."""
    return {path.suffix: path.read_bytes() for path in folder.iterdir() if path.suffix in (".pst", ".trm")}


def _postings(folder: Path) -> dict[tuple[str, bytes], list[tuple[int, float, bytes]]]:
    """Every term's postings as Whoosh's reader reads them back."""
    reader = whoosh_index.open_dir(str(folder)).reader()
    postings = {}
    for term in reader.all_terms():
        matcher, items = reader.postings(*term), []
        while matcher.is_active():
            items.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        postings[term] = items
    return postings


def _written(folder: Path, writer_of: Callable[[Any], Any], docs: list[Document]) -> Path:
    dictionary = read_dictionary()
    ix = create(folder, dictionary)
    writer = writer_of(ix)
    schema = make_schema(dictionary)
    for doc in docs:
        add_document(writer, doc, _analyse(doc, schema), folder)
    writer.commit()
    return folder


_REPORT_TITRE_AND_LAW = (
    "work-reports/2024_2024年中华人民共和国国务院政府工作报告.txt",
    "code-civil/code-civil-livre-I-titre-V.txt",
    "seeds/002_2b698c6a19e47f6b.txt",
)


def test_postings_kept_by_term_are_written_as_whoosh_writes_them(tmp_path: Path) -> None:
    """A Chinese report, a French Titre and an English law: the writer that keeps postings by
    term writes the bytes Whoosh's writer writes."""
    docs = [parse(name) for name in _REPORT_TITRE_AND_LAW]
    whooshs = _written(tmp_path / "whoosh", lambda ix: ix.writer(codec=PolicyCodec(), compound=False), docs)
    ours = _written(tmp_path / "ours", lambda ix: PolicyWriter(ix, codec=PolicyCodec(), compound=False), docs)
    assert set(_segment_files(ours)) == {".pst", ".trm"}
    assert _segment_files(ours) == _segment_files(whooshs)


def test_postings_spilled_to_run_files_read_back_the_same(tmp_path: Path) -> None:
    """With a limit so small that the pool writes many run files, every term's postings read
    back as Whoosh's writer left them (the bytes may differ: a value read back from a run is a
    new object, which pickle no longer writes as a reference to an equal one), and no run
    file is left."""
    docs = [parse(name) for name in _REPORT_TITRE_AND_LAW]
    whooshs = _written(tmp_path / "whoosh", lambda ix: ix.writer(codec=PolicyCodec(), compound=False), docs)
    ours = _written(tmp_path / "ours", lambda ix: PolicyWriter(ix, limitmb=0.05, codec=PolicyCodec(), compound=False), docs)
    expected = _postings(whooshs)
    assert len(expected) > 10_000
    assert _postings(ours) == expected
    assert not list(ours.rglob("*.pool"))


def test_run_files_are_merged_in_passage_order(tmp_path: Path) -> None:
    """Spilled runs of a work report: every term's passages come back once each, ascending."""
    doc = parse("work-reports/2024_2024年中华人民共和国国务院政府工作报告.txt")
    schema = make_schema(read_dictionary())
    tempstore = FileStorage(str(tmp_path)).create()
    pool = TermPool(tempstore, limit_mb=0.02)
    expected: dict[tuple[str, bytes], list[int]] = {}
    for docnum, fields in enumerate(_analyse(doc, schema)):
        for name, value in fields.items():
            for term, _, weight, positions in value.items:
                pool.add((name, term, docnum, weight, positions))
                expected.setdefault((name, term), []).append(docnum)
    assert len(list(tmp_path.glob("*.pool"))) > 3
    merged = {(entry.field, entry.term): list(entry.ids) for entry in pool.terms()}
    assert merged == expected
    assert list(merged) == sorted(expected)
    pool.cleanup()
    assert not list(tmp_path.glob("*.pool"))
