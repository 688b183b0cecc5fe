"""Matching finds everything that is there (issue 12), on the bundled corpus's real documents.

Ground truth is the passages' own text, folded as the engine folds it, never the engine's answer.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from policy_search import QueryError, ingest, open_index
from policy_search.analysis.analyzers import fold_chars

from .conftest import CORPUS, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import audit  # noqa: E402


def _keys(results) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(h.doc_id, h.passage) for h in results]


def _all_passages(index):  # type: ignore[no-untyped-def]
    return [hit for info in index.documents() for hit in index.passages(info.doc_id)]


def _holding_han(index, run: str) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Passages whose text holds the run, Ctrl-F on the folded text (line wraps ignored)."""
    wanted = audit.fold_han(run)
    return {(h.doc_id, h.passage) for h in _all_passages(index) if wanted in audit.fold_han(h.text)}


def _holding_words(index, words: str) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    folded = [audit.fold_latin(w) for w in words.split()]
    pattern = re.compile(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, folded)) + r"(?![^\W_])")
    return {(h.doc_id, h.passage) for h in _all_passages(index) if pattern.search(audit.fold_latin(h.text))}


@pytest.mark.parametrize("run", ["民大", "万人", "依法", "區域協調", "调发", "国民大会"])
@pytest.mark.parametrize("quoted", [False, True])
def test_a_han_run_finds_every_passage_holding_it_wherever_jieba_cuts(index, run: str, quoted: bool) -> None:  # type: ignore[no-untyped-def]
    """`民大` (as in 國民大會, 人民大会堂) straddles jieba's words; `万人` and `依法` were missed where
    jieba cut them otherwise in context."""
    holders = _holding_han(index, run)
    assert holders, run
    results = index.search(f'"{run}"' if quoted else run, limit=5000, snippets=False)
    ranked = _keys(results)
    assert holders <= set(ranked)
    # every passage holding it comes before any that has only its words apart
    assert set(ranked[: results.exact]) >= holders
    assert results.exact == len(set(ranked[: results.exact]))


def test_traditional_run_cut_mid_word_in_a_traditional_law(index) -> None:  # type: ignore[no-untyped-def]
    results = index.search("民大會代", limit=100)
    assert results.total == results.exact > 5
    assert all("民大會代" in h.text for h in results)
    assert results.hits[0].snippet.count("[[民大會代]]") >= 1


def test_both_terms_rank_above_their_words_scattered(index) -> None:  # type: ignore[no-untyped-def]
    """`低空经济 起降设施` ranked first a passage of 广东's report with 低空, 经济, 起降 and 设施
    scattered, above the one holding both terms."""
    results = index.search("低空经济 起降设施")
    first = results.hits[0]
    assert "低空经济" in first.text and "起降设施" in first.text
    assert results.exact == 1 and results.total == 2
    assert "低空经济" not in results.hits[1].text


def test_a_han_phrase_mixing_latin_is_matched_contiguously(index) -> None:  # type: ignore[no-untyped-def]
    results = index.search('"GDP的比率"', limit=100)
    assert results.total > 0
    for hit in results:
        assert re.search(r"gdp\s*的比率", fold_chars(hit.text).lower())


def test_punctuation_in_a_han_run_must_match(index) -> None:  # type: ignore[no-untyped-def]
    with_comma = index.search('"发展，推动"', limit=500, snippets=False)
    assert with_comma.total == len(_holding_han(index, "发展，推动")) > 0


@pytest.mark.parametrize("phrase", ["in each", "of the people", "by the Executive Yuan"])
def test_phrases_with_stop_words_find_every_passage(index, phrase: str) -> None:  # type: ignore[no-untyped-def]
    """`"in each"` found nothing (the Coast Guard act's "in each’s area"), `"of the people"` less
    than is there: stop words were not indexed."""
    holders = _holding_words(index, phrase)
    assert holders
    results = index.search(f'"{phrase}"', limit=1000, snippets=False)
    assert holders <= set(_keys(results))


def test_in_each_is_the_coast_guard_act(index) -> None:  # type: ignore[no-untyped-def]
    hit = index.search('"in each"').hits[0]
    assert hit.doc_id == "taiwan-laws/en/D0090031"
    assert hit.section == "Article 5"
    assert "[[in]] [[each]]" in hit.snippet


def test_an_unquoted_stop_word_excludes_nothing(index) -> None:  # type: ignore[no-untyped-def]
    assert index.search("acquéreur").total == index.search("l'acquéreur").total == index.search("acquéreur du").total
    assert index.search("of the people").total >= index.search('"of the people"').total


@pytest.mark.parametrize(("query", "excluded"), [
    ("airport NOT a", "airport"),  # "a": an English and French stop word
    ("airport NOT (the OR of)", "airport"),
    ("tax NOT of", "tax"),  # "of": a stop word in English only
    ("vente NOT la", "vente"),  # "la": in French only
])
def test_an_excluded_stop_word_excludes_nothing(index, query: str, excluded: str) -> None:  # type: ignore[no-untyped-def]
    """NOT of a word that is a stop word in some language asks nothing of that language's
    passages: it must not take them all away (it did: "airport NOT a" found nothing)."""
    found = index.search(query, limit=500)
    plain = index.search(excluded, limit=500)
    assert found.total > 0
    assert {(h.doc_id, h.passage) for h in found.hits if h.lang != "zh"} == {
        (h.doc_id, h.passage) for h in plain.hits if h.lang != "zh"
    }


def test_a_query_of_stop_words_only_looks_for_them(index) -> None:  # type: ignore[no-untyped-def]
    results = index.search("in each", limit=5)
    assert results.total > 0
    assert results.hits[0].doc_id == "taiwan-laws/en/D0090031"  # the words together rank first


@pytest.mark.parametrize(
    ("query", "fragment"),
    [("l'acquéreur", "acquéreur"), ("acquéreur", "l'acquéreur"), ("d'acquéreur", "acquéreur"), ("l'aménagement", "d’aménagement")],
)
def test_elided_articles_match_with_or_without_them(index, query: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    results = index.search(query, lang="fr", limit=500, snippets=False)
    holders = {(h.doc_id, h.passage) for h in _all_passages(index) if fragment in h.text and h.lang == "fr"}
    assert holders and holders <= set(_keys(results))


def test_french_phrase_with_an_elision_and_stop_words(index) -> None:  # type: ignore[no-untyped-def]
    results = index.search('"l\'article 192 du code civil"')
    assert results.total >= 1
    assert all("article 192 du code civil" in h.text.lower() for h in results)


def test_a_french_word_ranks_french_passages_first(index) -> None:  # type: ignore[no-untyped-def]
    """`régions` shares its English stem with "regions": French passages come first."""
    results = index.search("régions", limit=10)
    assert results.hits[0].lang == "fr"
    assert {"en", "fr"} <= {h.lang for h in results.hits[:4]}


@pytest.mark.parametrize(
    ("query", "langs"),
    [("总统 OR president OR président", {"zh", "en", "fr"}), ('"Belt and Road" OR 一带一路', {"zh", "en"})],
)
def test_a_multilingual_query_shows_each_language_best_hit_first(index, query: str, langs: set[str]) -> None:  # type: ignore[no-untyped-def]
    results = index.search(query, limit=2 * len(langs))
    assert {h.lang for h in results} == langs
    for lang in langs:
        best = index.search(query, lang=lang, limit=1).hits[0]
        assert (best.doc_id, best.passage) in _keys(results)


def test_one_language_ranks_as_under_lang(index) -> None:  # type: ignore[no-untyped-def]
    query = "coordinated regional development"
    plain = index.search(query, limit=20)
    assert {h.lang for h in plain} == {"en"}
    assert _keys(plain) == _keys(index.search(query, lang="en", limit=20))
    assert [h.score for h in plain] == [h.score for h in index.search(query, lang="en", limit=20)]


def test_own_text_ranks_above_a_heading_match(index) -> None:  # type: ignore[no-untyped-def]
    """In the IRS instructions, passages under "Substantial Presence Test" that do not say it
    ranked above passages that do."""
    results = index.search("substantial presence test", limit=30)
    own = ["substantial presence test" in h.text.lower() for h in results]
    assert own[0] and False in own
    assert own.index(False) > max(i for i, o in enumerate(own) if o)


def test_a_one_sentence_file_is_one_passage(tmp_path: Path) -> None:
    """A text of one line was refused as "no text found"."""
    line = (CORPUS / "taiwan-laws" / "zh" / "A0000001.txt").read_text(encoding="utf-8").splitlines()[0]
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "title-only.txt").write_text(line + "\n", encoding="utf-8")
    (folder / "dashes.txt").write_text("...\n---\n", encoding="utf-8")
    report = ingest([folder], tmp_path / "index")
    assert [reason for _, reason in report.failed] == ["no text found"]
    hit = open_index(tmp_path / "index").search(line).hits[0]
    assert (hit.doc_id, hit.title, hit.text, hit.passage) == ("title-only", line, line, 1)


def test_a_runaway_prefix_is_refused(index, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError, match=r"prefix a\* .* at least 2 letters"):
        index.search("a*")
    from policy_search.backends.whoosh import ranking

    monkeypatch.setattr(ranking, "MAX_PREFIX_TERMS", 20)
    with pytest.raises(QueryError, match=r"prefix co\* stands for more than 20 words"):
        index.search("co*")
    assert index.search("develop*").total > 0


def test_recall_audit_on_the_bundled_corpus(index) -> None:  # type: ignore[no-untyped-def]
    """scripts/audit.py recall, bounded: every sampled span finds every passage holding it."""
    result = audit.audit_recall(index, spans=360, seed=12)
    kinds = result["kinds"]
    assert set(kinds) == {f"{k} {q}" for k in ("zh", "en", "fr") for q in ("unquoted", "quoted")}
    for name, figures in kinds.items():
        assert figures["spans"] >= 100, name
        assert figures["recall_share"] == 1.0, (name, figures["misses"])
        if name.startswith("zh"):
            assert figures["contiguous_first_violations"] == 0, (name, figures["disorders"])


def test_a_run_whose_words_stand_as_in_the_query_ranks_above_one_straddling_words(index) -> None:  # type: ignore[no-untyped-def]
    """Among the passages holding `万人`, those where jieba cuts the query's words (万, 人) as it
    cuts the query rank above those where the run straddles other words (万人次, 五十萬人)."""
    from policy_search.analysis.analyzers import analyzer_for, segment

    words = [t.text for t in analyzer_for("zh", index.dictionary)("万人", mode="query")]
    results = index.search("万人", limit=200)

    def as_in_query(text: str) -> bool:
        cut = [word for _, word, _, _, compound in segment(text, index.dictionary) if not compound]
        return any(cut[i : i + len(words)] == words for i in range(len(cut)))

    flags = [as_in_query(h.text) for h in results.hits[: results.exact]]
    assert flags[0] and False in flags
    ranks = {flag: [i for i, f in enumerate(flags) if f == flag] for flag in (True, False)}
    assert sum(ranks[True]) / len(ranks[True]) < sum(ranks[False]) / len(ranks[False])


def test_snippets_mark_the_run_where_it_stands(index) -> None:  # type: ignore[no-untyped-def]
    hit = index.search("民大", limit=1).hits[0]
    assert "國[[民大]]會" in hit.snippet
    excluded = index.search("國民大會 NOT 代表", limit=1).hits[0]
    assert "[[代表]]" not in excluded.snippet and "[[國民大會]]" in excluded.snippet


def test_a_folder_given_as_a_string_is_one_folder(tmp_path: Path) -> None:
    """ingest("folder", ...) took the string for a list of paths: "/" among them, the whole disk."""
    folder = tmp_path / "docs"
    folder.mkdir()
    law = CORPUS / "taiwan-laws" / "zh" / "A0000001.txt"
    (folder / law.name).write_bytes(law.read_bytes())
    report = ingest(str(folder), str(tmp_path / "index"))
    assert (report.new, report.failed) == (1, ())
    assert [info.doc_id for info in open_index(tmp_path / "index").documents()] == ["A0000001"]
