"""Compact postings: positions survive the varint coding, and analysing in a worker changes nothing."""

from __future__ import annotations

import pytest
from whoosh import formats

from policy_search.analysis import read_dictionary
from policy_search.codec import Analysed, VarintPositions
from policy_search.index import make_schema

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
