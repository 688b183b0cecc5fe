"""Encodings, page markers, form feeds and printed page numbers, on real documents."""

from __future__ import annotations

import codecs

import pytest

from policy_search.documents.document import parse_bytes
from policy_search.documents.readers import UnreadableFile
from policy_search.documents.readers.text import decode, split_pages

from .conftest import CORPUS

CONSTITUTION = (CORPUS / "taiwan-laws/zh/A0000001.txt").read_text(encoding="utf-8")
REPORT_2017 = (CORPUS / "work-reports/2017政府工作报告_李克强.txt").read_text(encoding="utf-8")
CODE_CIVIL = (CORPUS / "code-civil/code-civil-livre-III-titre-VI.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + REPORT_2017.encode("utf-8"), "utf-8"),
        (REPORT_2017.encode("utf-8"), "utf-8"),
        (REPORT_2017.encode("utf-16"), "utf-16"),
        (REPORT_2017.encode("utf-16-le"), "utf-16-le"),
        (REPORT_2017.encode("utf-16-be"), "utf-16-be"),
        (REPORT_2017.encode("gb18030"), "gb18030"),
        (CONSTITUTION.encode("big5"), "big5"),
        (CODE_CIVIL.encode("cp1252"), "cp1252"),
    ],
    ids=["utf8-bom", "utf8", "utf16-bom", "utf16le", "utf16be", "gb18030", "big5", "cp1252"],
)
def test_encodings_are_detected_and_decoded(data: bytes, encoding: str) -> None:
    text, found = decode(data)
    assert found.replace("_", "-") == encoding
    original = {"big5": CONSTITUTION, "cp1252": CODE_CIVIL}.get(encoding, REPORT_2017)
    assert text == original


def test_undecodable_bytes_are_refused_not_guessed(tmp_path) -> None:
    noise = bytes(range(128, 256)) * 40
    with pytest.raises(UnreadableFile, match="encoding"):
        parse_bytes(noise, tmp_path / "noise.txt", tmp_path)


def test_page_marker_running_title_and_printed_label() -> None:
    text = (CORPUS / "seeds/000_86f2992c49784acc.txt").read_text(encoding="utf-8")
    pages, title = split_pages(text)
    assert [p.number for p in pages] == [56]
    assert pages[0].label == "55"
    assert title.startswith("RAPPORT SUR L'EXÉCUTION DU PLAN")
    assert "P. 56" not in pages[0].lines and "55" not in pages[0].lines
    assert pages[0].lines[0].startswith("régionales. Nous ferons")


def test_form_feeds_split_pages_and_a_paragraph_runs_on(tmp_path) -> None:
    # The Code civil text with a page break in the middle of Article 1583's sentence.
    before, after = CODE_CIVIL.split("l'acheteur à l'égard du vendeur,", 1)
    data = (before + "l'acheteur à l'égard du vendeur,\n2\n\f" + after.lstrip("\n")).encode()
    doc = parse_bytes(data, tmp_path / "cc.txt", tmp_path)
    article = next(p for p in doc.passages if p.section[-1] == "Article 1583")
    assert "l'égard du vendeur, dès qu'on est convenu" in article.text
    assert (article.page, article.page_label) == (1, "2")
    later = next(p for p in doc.passages if p.section[-1] == "Article 1584")
    assert later.page == 2
