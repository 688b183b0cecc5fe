"""Queries on the bundled corpus: the answers a user needs, and the query language."""

from __future__ import annotations

import pytest

from policy_search import QueryError


def _keys(results) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(h.doc_id, h.passage) for h in results]


def test_simplified_and_traditional_queries_find_the_same_passages(index) -> None:  # type: ignore[no-untyped-def]
    simplified = index.search("区域协调发展", limit=50)
    traditional = index.search("區域協調發展", limit=50)
    assert simplified.total == traditional.total > 10
    assert _keys(simplified) == _keys(traditional)
    assert "seeds/004_126da79b9d7433e3" in {h.doc_id for h in simplified}


def test_contiguous_chinese_run_ranks_first(index) -> None:  # type: ignore[no-untyped-def]
    results = index.search("协调发展", limit=100)
    contiguous = ["协调发展" in h.text or "協調發展" in h.text for h in results]
    assert contiguous[0] and False in contiguous
    assert contiguous.index(False) > max(i for i, c in enumerate(contiguous) if c)  # all contiguous first


def test_french_query_without_accents(index) -> None:  # type: ignore[no-untyped-def]
    results = index.search("developpement regions frontalieres")
    top = results.hits[0]
    assert top.doc_id == "seeds/000_86f2992c49784acc"
    assert (top.page, top.page_label, top.lang) == (56, "55", "fr")
    assert "[[frontalières]]" in top.snippet


def test_english_phrase_across_a_page_break(index) -> None:  # type: ignore[no-untyped-def]
    results = index.search('"a highly livable environment"')
    assert results.total == 1
    assert results.hits[0].snippet.count("[[") == 4  # "a" too: stop words are part of a phrase
    assert results.hits[0].section.startswith("Chapter 32 Further Implementing")


def test_box_item_cited_down_to_the_box(index) -> None:  # type: ignore[no-untyped-def]
    hit = index.search("Taxkorgan airport").hits[0]
    assert hit.section == (
        "Chapter 32 Further Implementing the Coordinated Regional Development Strategy > "
        "Section 5 Supporting the Development of Special Regions > Box 12 Development of Border Areas > 04 Border airports"
    )
    assert hit.citation == (
        "Chapter 32 Further Implementing the Coordinated Regional Development Strategy, Section 5 Supporting the "
        "Development of Special Regions > Box 12 Development of Border Areas > 04 Border airports, passage 14"
    )


def test_machine_translated_item(index) -> None:  # type: ignore[no-untyped-def]
    results = index.search("party centron")
    assert results.total == 1
    hit = index.search('"Optical Valley"').hits[0]
    assert hit.doc_id == "seeds/001_92b6e6f6910890ba"
    assert hit.section.endswith("> (3) Do the big strength and advanced manufacturing")


def test_section_scope_answers_a_query(index) -> None:  # type: ignore[no-untyped-def]
    # "border airports" is the box item's heading; its bullets only say "Airport"
    assert index.search("border airports").hits[0].section.endswith("04 Border airports")
    assert index.search('section:"Box 12" ports').hits[0].section.endswith("05 Border ports")


def test_law_article_in_both_languages(index) -> None:  # type: ignore[no-untyped-def]
    zh = index.search("主權屬於國民全體", lang="zh").hits[0]
    en = index.search('"sovereignty of the Republic of China"', lang="en").hits[0]
    assert zh.section == "第 一 章 總綱 > 第 2 條"
    assert en.section == "Chapter I. General Provisions > Article 2"


def test_latin_words_and_numbers_inside_chinese(index) -> None:  # type: ignore[no-untyped-def]
    results = index.search("GDP", lang="zh")
    assert results.total >= 1 and all(h.lang == "zh" for h in results)
    assert index.search('"1771號"').hits[0].doc_id == "seeds/004_126da79b9d7433e3"


def test_boolean_prefix_and_filters(index) -> None:  # type: ignore[no-untyped-def]
    both = index.search("airport AND border").total
    either = index.search("airport OR Taxkorgan").total
    assert either >= both >= 1
    assert index.search("border NOT airport").total == index.search("border").total - both
    regions = index.search("régi*", lang="fr", limit=50)
    assert regions.total > 10 and all(h.lang == "fr" for h in regions)
    dated = index.search("发展", since="2024", until="2025-12-31", limit=100)
    assert dated.total and all("2024-01-01" <= h.date <= "2025-12-31" for h in dated)
    only = index.search("development", doc="seeds/00[12]*", limit=100)
    assert {h.doc_id for h in only} == {"seeds/001_92b6e6f6910890ba", "seeds/002_2b698c6a19e47f6b"}
    assert index.search("development lang:fr").total == 0 or all(h.lang == "fr" for h in index.search("development lang:fr"))


def test_paging_is_consistent(index) -> None:  # type: ignore[no-untyped-def]
    full = _keys(index.search("development", limit=20))
    assert _keys(index.search("development", limit=10, offset=10)) == full[10:20]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unbalanced', "unbalanced quote"),
        ("(open", "unbalanced parenthesis"),
        ("close)", "unbalanced parenthesis"),
        ("lang:xx water", "unknown language"),
        ("colour:red water", "unknown field"),
        ("", "empty query"),
    ],
)
def test_malformed_queries_say_what_is_wrong(index, query: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError, match=message):
        index.search(query)


@pytest.mark.parametrize(
    ("query", "doc", "lang"),
    [
        ('"séance est levée"', "pdf/*", None),
        ('"disagree alert"', "pdf/federal-register-2020-17221", None),
        ("區域協調發展", None, "zh"),
        ("development", None, None),
    ],
)
def test_total_is_exact_whatever_the_limit(index, query: str, doc: str | None, lang: str | None) -> None:  # type: ignore[no-untyped-def]
    # Whoosh's default collector skipped matches once its heap was full (區域協調發展 counted 38
    # passages with limit 5 and 41 with limit 10) and counted phrases without their positions
    everything = len(index.search(query, doc=doc, lang=lang, limit=1000).hits)
    assert [index.search(query, doc=doc, lang=lang, limit=n).total for n in (1, 5, 10)] == [everything] * 3


@pytest.mark.parametrize(
    ("query", "doc", "fragment"),
    [
        ("la vente est une convention", "code-civil/code-civil-livre-III-titre-VI", "La vente est une convention"),
        ("droit de propriete", "code-civil/code-civil-livre-II-titre-II", "La propriété est le droit de jouir"),
        ("freedom of speech", "taiwan-laws/en/A0000001", "freedom of speech"),
    ],
)
def test_a_stop_word_of_one_language_does_not_exclude_the_others(index, query: str, doc: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    # "la" and "de" are French stop words but English words; "of" the other way round. Each was
    # required in the other language's field, so French queries found no French passage.
    hits = index.search(query, limit=3).hits
    assert any(h.doc_id == doc and fragment in h.text for h in hits)


@pytest.mark.parametrize("query", ["mariage", "mari*", "\"acte de mariage\""])
def test_filters_that_match_nothing_find_nothing(index, query: str) -> None:  # type: ignore[no-untyped-def]
    """The Code civil titles are undated: no passage of them is in any date range. (Whoosh
    read an empty filter as no filter and returned passages from elsewhere.)"""
    assert index.search(query, doc="code-civil/*").total > 0
    assert index.search(query, doc="code-civil/*", since="2000-01", until="2030").total == 0


def test_hit_cites_the_page_of_its_first_matched_word(index) -> None:  # type: ignore[no-untyped-def]
    # passage 31 of the Federal Register rule starts on page 1 (printed 47698) and runs on to page 2
    doc = "pdf/federal-register-2020-17221"
    later = index.search('"Hatta International Airport" Jakarta', doc=doc).hits[0]
    assert (later.passage, later.page, later.page_label) == (31, 2, "47699")
    assert "pp. 1-2 (printed 47698-47699)" in later.citation
    assert "from Soekarno-Hatta International Airport" in later.text  # the name wraps at its hyphen
    earlier = index.search('"Lion Air Flight 610"', doc=doc).hits[0]
    assert (earlier.passage, earlier.page, earlier.page_label) == (31, 1, "47698")
    assert earlier.to_dict()["page"] == 1
    # show --page 2 includes the passage that runs on to page 2
    assert 31 in [h.passage for h in index.passages(doc, page=2)]
    assert 31 in [h.passage for h in index.passages(doc, page=1)]


def test_a_phrase_is_cited_on_the_page_where_it_stands(index) -> None:  # type: ignore[no-untyped-def]
    # passage 97 of the 1040-NR instructions runs from page 3 on to page 4; "treaty" stands alone
    # on page 3 and "treaty claim" on page 4: the phrase's page is cited, not its first word's
    # (found by scripts/audit.py ocr: spans of page 2 cited on page 1)
    hit = next(h for h in index.search('"treaty claim"', doc="pdf/i1040nr", limit=50).hits if h.passage == 97)
    assert "treaty" in hit.text[: hit.text.index("treaty claim")]
    assert (hit.page, hit.page_label) == (4, "4")
    assert "pp. 3-4" in hit.citation
