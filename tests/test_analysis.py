"""Analyzers per language, table-driven like Whoosh's test_language_analyzer."""

from __future__ import annotations

import pytest

from policy_search.analysis.analyzers import analyzer_for, fine_parts, han_pair, read_dictionary
from policy_search.documents.language import detect_language

from .conftest import parse


@pytest.mark.parametrize(
    ("lang", "text", "terms"),
    [
        ("en", "Coordinated regional developments in the regions", ["coordin", "region", "develop", "region"]),
        ("fr", "l'économie du développement régional", ["econom", "developp", "regional"]),
        ("fr", "economie du developpement regional", ["econom", "developp", "regional"]),
        ("zh", "區域協調發展", ["区域", "协调", "发展"]),
        ("zh", "区域协调发展", ["区域", "协调", "发展"]),
        ("zh", "２０１７年GDP增长6.9%", ["2017", "年", "gdp", "增长", "6.9"]),
    ],
)
def test_query_terms(lang: str, text: str, terms: list[str]) -> None:
    tokens = analyzer_for(lang, read_dictionary())(text, mode="query")
    assert [t.text for t in tokens if not getattr(t, "is_stop", False)] == terms


def test_chinese_positions_are_sequential_and_offsets_true() -> None:
    text = "支持廣東省會同港澳共同編制粵港澳大灣區發展規劃"
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer_for("zh", read_dictionary())(text, positions=True, chars=True)]
    words = [(w, p) for w, p, _, _ in tokens]
    assert ("粤港澳大湾区", 7) in words  # the policy term, indexed whole ...
    assert [w for w, p in words if p in (7, 8, 9, 10)][1:] == ["粤", "港澳", "大湾", "区"]  # ... over its fine parts
    for word, _, start, end in tokens:
        assert len(text[start:end]) == len(word)  # offsets point into the Traditional original
    assert text[tokens[-1][2] : tokens[-1][3]] == "規劃"


def test_dictionary_makes_policy_terms_whole() -> None:
    dictionary = read_dictionary()
    assert "粤港澳大湾区" in dictionary
    assert fine_parts("粤港澳大湾区", dictionary) == ("粤", "港澳", "大湾", "区")
    assert fine_parts("人民法院", dictionary) == ("人民", "法院")


@pytest.mark.parametrize(
    ("relative", "lang"),
    [
        ("seeds/000_86f2992c49784acc.txt", "fr"),
        ("seeds/002_2b698c6a19e47f6b.txt", "en"),
        ("seeds/004_126da79b9d7433e3.txt", "zh"),  # langdetect alone calls it Korean
        ("code-civil/code-civil-livre-I-titre-V.txt", "fr"),
        ("taiwan-laws/en/A0000002.txt", "en"),
    ],
)
def test_document_and_passage_languages(relative: str, lang: str) -> None:
    doc = parse(relative)
    assert doc.lang == lang
    assert all(p.lang == lang for p in doc.passages)


def test_short_labels_take_the_document_language() -> None:
    assert detect_language("P. 56", default="fr") == "fr"
    assert detect_language("Box 12", default="en") == "en"


def test_queries_cut_alike_with_frequencies_on_disk() -> None:
    """A search process cuts Chinese queries with jieba's frequencies read from SQLite
    (lexicon.py); the words must be those of the loaded dictionary, word for word."""
    from policy_search.analysis.analyzers import _jieba, dictionary_digest, prepare_lexicon, to_simplified
    from policy_search.analysis.lexicon import lexicon_path, open_lexicon

    dictionary = read_dictionary()
    prepare_lexicon(dictionary)
    on_disk = open_lexicon(lexicon_path(dictionary_digest(dictionary)))
    loaded = _jieba(dictionary)
    assert on_disk is not None and on_disk is not loaded
    report = parse("work-reports/2024_2024年中华人民共和国国务院政府工作报告.txt")
    texts = [p.text[i : i + 40] for p in report.passages[:60] for i in range(0, min(len(p.text), 200), 40)]
    texts += ["区域协调发展", "區域協調發展", "新质生产力", "粤港澳大湾区", "中華民國憲法", "碳达峰碳中和", "一带一路"]
    for text in map(to_simplified, texts):
        assert list(on_disk.tokenize(text, HMM=False)) == list(loaded.tokenize(text, HMM=False)), text
        assert on_disk.get_DAG(text) == loaded.get_DAG(text), text


def test_a_cache_folder_that_cannot_be_written_is_no_error(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from policy_search.analysis.analyzers import prepare_lexicon

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("POLICY_SEARCH_CACHE", str(blocker / "policy-search"))
    prepare_lexicon(("某个新词",))  # a dictionary whose lexicon is not written yet
    assert not (blocker / "policy-search").exists()


def test_pairs_of_two_words_keep_them_apart() -> None:
    # "ab c" and "a bc" are different texts: their pairs must not be one term
    assert han_pair("ab", "c") != han_pair("a", "bc")
    pairs = [t.text for t in analyzer_for("han2")("造RCEP国 5G 网络")]
    assert pairs == ["造rcep", "rcep国", "国5g", "5g网", "网络"]


def test_a_word_whose_first_character_is_no_word_of_its_own_is_split() -> None:
    # 船舶設備規則 (Taiwan law K0070016): "X射线" is in jieba's dictionary but "X" alone is not,
    # so the only way on from its first character was the whole word; the law failed to ingest
    assert fine_parts("X射线") == ("X", "射线")
    text = "（四）可能產生Ｘ射線輻射之設備元件，在正常工作狀況下，其外部之輻射不得超過主管機關規定之限值"
    words = [t.text for t in analyzer_for("zh", read_dictionary())(text)]
    assert "x射线" in words or "X射线" in words
