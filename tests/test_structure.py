"""Cleaning, reflow, headings and passages, asserted on the documents of the bundled corpus."""

from __future__ import annotations

import pytest

from .conftest import parse, passage_with


def test_french_pdf_page_citation_and_inline_heading() -> None:
    doc = parse("seeds/000_86f2992c49784acc.txt")
    assert doc.title.startswith("RAPPORT SUR L'EXÉCUTION DU PLAN DE DÉVELOPPEMENT")
    first = doc.passages[0]
    assert first.text.startswith("régionales. Nous ferons des innovations")
    assert (first.page, first.page_label, first.lang) == (56, "55", "fr")
    # hard-wrapped lines are joined with a space, and "Page 56"/"P. 56"/"55" are not text
    assert "en faveur d’un développement coordonné interrégional" in first.text
    assert all("P. 56" not in p.text and not p.text.endswith(" 55") for p in doc.passages)
    body = passage_with(doc, "Nous rédigerons une directive")
    assert body.section == (
        "Troisièmement, appliquer de manière approfondie la stratégie de développement des régions à fonctions spécifiques",
    )
    assert body.text.startswith("Nous rédigerons")


def test_one_line_machine_translation_gets_inline_structure() -> None:
    doc = parse("seeds/001_92b6e6f6910890ba.txt")
    assert doc.title == "The State Council's advice on the promotion of high quality development in central and regions"
    assert doc.date == "2021-07-27"
    assert all("Read total of" not in p.text and "Release date" not in p.text for p in doc.passages)
    guiding = passage_with(doc, "With the guidance of the socialist thinking")
    assert guiding.section == ("First, the overall requirements", "(1) Guiding ideas")
    industry = passage_with(doc, "Coordinate plan guides the development")
    assert industry.section[-1] == "(3) Do the big strength and advanced manufacturing"
    assert industry.section[0].startswith("Second, insist on innovation and development")
    assert max(len(p.text) for p in doc.passages) <= 1200


def test_chapter_section_box_and_box_items() -> None:
    doc = parse("seeds/002_2b698c6a19e47f6b.txt")
    chapter = "Chapter 32 Further Implementing the Coordinated Regional Development Strategy"
    airports = passage_with(doc, "Build Taxkorgan Airport")
    assert airports.section == (
        chapter,
        "Section 5 Supporting the Development of Special Regions",
        "Box 12 Development of Border Areas",
        "04 Border airports",
    )
    assert airports.text.splitlines()[1] == "- Relocate the Yanji Chaoyangchuan International Airport;"
    # a blank line that a page break left inside a sentence does not split the paragraph
    livable = passage_with(doc, "a highly livable environment with excellent standards of living")
    assert livable.section[1] == "Section 1 Ushering In a New Vista in the Large-Scale Development of the Western Region"
    assert "former Central Soviet Area across Jiangxi" in passage_with(doc, "former Central").text
    after_box = passage_with(doc, "We will set up sound mechanisms")
    assert after_box.section[-1].startswith("Section 6 Improving the Institutions")


def test_news_subheadings_become_sections() -> None:
    doc = parse("seeds/003_0eb8bb22131a727f.txt")
    quote = passage_with(doc, "Meng Hui, deputy mayor of Wuhan City")
    assert quote.section == (
        "Improve the level of coordinated regional development and continue to inject strong impetus "
        "into promoting high-quality development",
    )


def test_traditional_notice_noise_dates_and_nested_sections() -> None:
    doc = parse("seeds/004_126da79b9d7433e3.txt")
    assert doc.title == "國家發展改革委關于印發貫徹落實區域發展戰略促進區域協調發展的指導意見的通知"
    assert doc.date == "2016-10-19"
    texts = [p.text for p in doc.passages]
    assert "發改地區[2016]1771號" in texts  # pinyin glosses removed
    assert not any("光伏產業政策" in t or "相關文章推薦" in t or "點擊" in t for t in texts)
    assert sum(t == "2016年8月16日" for t in texts) == 0
    grain = passage_with(doc, "重要農產品的價格形成機制")  # stock ticker removed
    assert "股吧" not in grain.text
    wrapped = passage_with(doc, "近年來,在區域發展總體戰略指引下")  # Han wrap spaces removed
    assert wrapped.section == ()
    strategies = passage_with(doc, "深入推進“一帶一路”建設,注重")
    assert strategies.section == ("二、優化經濟發展空間格局", "(五)重點實施好三大戰略")
    assert all(p.lang == "zh" for p in doc.passages)


@pytest.mark.parametrize(
    ("relative", "fragment", "section"),
    [
        ("taiwan-laws/zh/A0000001.txt", "中華民國之主權屬於國民全體。", ("第 一 章 總綱", "第 2 條")),
        ("taiwan-laws/en/A0000001.txt", "The sovereignty of the Republic of China", ("Chapter I. General Provisions", "Article 2")),
        ("code-civil/code-civil-livre-III-titre-VI.txt", "La vente est une convention", ("Livre III, Titre VI", "Article 1582")),
        ("work-reports/2017政府工作报告_李克强.txt", "过去一年，我国发展面临", ("一、2016年工作回顾",)),
    ],
)
def test_law_articles_and_report_headings(relative: str, fragment: str, section: tuple[str, ...]) -> None:
    assert passage_with(parse(relative), fragment).section == section


def test_an_article_is_one_passage_and_hyphenated_compounds_survive() -> None:
    doc = parse("code-civil/code-civil-livre-III-titre-VI.txt")
    assert doc.title == "Code civil"
    article = passage_with(doc, "La vente peut être faite purement et simplement")
    assert article.text.count("\n") == 2  # its three alinéas, together
    assert "dommages-intérêts" in passage_with(doc, "au poids, au compte").text
    preamble = passage_with(parse("taiwan-laws/zh/A0000001.txt"), "中華民國國民大會")
    assert "創立中華民國之遺教，為鞏固國權" in preamble.text  # hard-wrapped Chinese joined without a space


def test_provincial_report_chrome_is_dropped() -> None:
    doc = parse("provincial-2026/2026_北京市_政府工作报告.txt")
    assert doc.title == "2026年北京市政府工作报告"
    assert doc.date == "2026-02-02"
    assert not any(p.text in {"下载", "打印", "【字号：", "加大"} for p in doc.passages)
    yunnan = parse("provincial-2026/2026_云南省_政府工作报告.txt")
    assert not any("2026-02-03 09:02" in p.text or p.text == "首页" for p in yunnan.passages)


def test_every_bundled_passage_is_readable_sized() -> None:
    from .conftest import CORPUS

    for path in sorted(CORPUS.rglob("*.txt")):
        doc = parse(str(path.relative_to(CORPUS)))
        assert max(len(p.text) for p in doc.passages) <= 1200, path
        assert [p.ordinal for p in doc.passages] == list(range(1, len(doc.passages) + 1))


def test_list_items_of_an_article_stay_in_it_and_do_not_enclose_later_articles() -> None:
    doc = parse("taiwan-laws/zh/D0090031.txt")
    second = passage_with(doc, "本署掌理下列事項：")
    assert second.section == ("第 2 條",)
    assert "\n一、海洋權益維護之規劃、督導及執行。" in second.text and second.text.endswith("十、其他海岸巡防事項。")
    third = passage_with(doc, "本署置署長一人")
    assert third.section == ("第 3 條",)  # not under the last item of Article 2
    assert all(len(p.section) == 1 and p.section[0].startswith("第") for p in doc.passages)


def test_run_in_items_of_an_english_article_stay_in_it() -> None:
    doc = parse("taiwan-laws/en/A0000002.txt")
    assert all(p.section and p.section[-1].startswith("Article") for p in doc.passages if "Article" in " ".join(p.section))
    assert not any(s.startswith(("(", "1.", "2.")) for p in doc.passages for s in p.section)


def test_a_table_of_contents_is_one_passage_and_not_the_headings_of_the_body() -> None:
    from policy_search.documents.document import parse_document

    from .conftest import DATA

    doc = parse_document(DATA / "work-reports" / "1955政府工作报告_李富春-开头.txt", DATA)
    toc = passage_with(doc, "一、国家在过渡时期的总任务")
    assert toc.text.startswith("目录\n一、国家在过渡时期的总任务\n二、第一个五年计划概要") and toc.section == ()
    assert toc.text.endswith("四、为完成和超额完成第一个五年计划而奋斗")
    opening = passage_with(doc, "各位代表")
    assert opening.section == ()  # not under the last entry, 四、为完成和超额完成第一个五年计划而奋斗
