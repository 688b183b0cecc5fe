"""Saved web pages, Word and OpenDocument files, legacy office files through LibreOffice.

The pages and files are real (tests/data/office-and-web, see SOURCES.md there); where no real
file has the property a test needs (heading styles, list numbering, page breaks), the test
makes one with python-docx or writes the OpenDocument XML itself.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest

from policy_search import ingest, open_index
from policy_search.documents.document import parse_document
from policy_search.documents.readers import UnreadableFile, office

from .conftest import DATA, passage_with

WEB = DATA / "office-and-web"


def parse(name: str):  # type: ignore[no-untyped-def]
    return parse_document(WEB / name, WEB)


def test_gb2312_gov_cn_page_title_date_sections_and_no_chrome() -> None:
    doc = parse("govcn-国办发〔2018〕124号.html")
    # the title from the page's metadata table (标题), not <title> with the site's name
    assert doc.title == "国务院办公厅关于印发文化体制改革中经营性文化事业单位转制为企业和进一步支持文化企业发展两个规定的通知"
    assert doc.date == "2018-12-18"  # 成文日期, the date it was written, before 发布日期
    assert doc.lang == "zh" and doc.pages is None
    item = passage_with(doc, "经营性文化事业单位转制为企业，要依法登记为有限责任公司")
    assert item.section == ("一、关于公司制股份制改革",)
    assert item.page is None and item.lang == "zh"
    texts = [p.text for p in doc.passages]
    assert "扫一扫在手机打开当前页" not in texts  # a QR-code button inside the content block
    # the title, centred over three lines, is the title and not three passages
    assert "国务院办公厅关于印发文化体制改革中" not in texts
    assert any("发文字号： | 国办发〔2018〕124号" in t for t in texts)  # the metadata table stays searchable


def test_utf8_gov_cn_page_run_in_headings() -> None:
    doc = parse("govcn-国办函〔2004〕57号.html")
    assert doc.title == "国务院办公厅关于辽宁省在曾培炎副总理考察工作时所提问题和建议办理情况的函"
    assert doc.date == "2004-08-12"
    passage = passage_with(doc, "大连市请求，由大连实德集团与沙特SABIC等企业合资合作")
    assert passage.section == ("一、关于大连双岛湾工业区石化项目问题",)


def test_latin1_assemblee_nationale_page_main_content_only() -> None:
    doc = parse("an-14_dossiers_art11_Constitution_pl.html")
    assert doc.title == "Pouvoirs publics"  # "Assemblée nationale - Pouvoirs publics": the site's name goes
    assert doc.lang == "fr" and doc.date == "2013-12-07"
    first = doc.passages[0]
    assert first.text == "Pouvoirs publics : article 11 de la Constitution (référendum d'initiative partagée)"
    texts = "\n".join(p.text for p in doc.passages)
    assert "La Commission saisie au fond a nommé M. Jean-Pierre Sueur rapporteur le 6 février 2013" in texts
    for menu in ("Aller au contenu", "Plan du site", "Contacter son député", "Calendrier de la session"):
        assert menu not in texts


def test_web_page_headings_and_lists() -> None:
    doc = parse("an-14_num_1212.html")
    assert doc.title == "Analyse du scrutin n° 1212 Première séance du 26/01/2016"
    votes = passage_with(doc, "Nombre de votants : 544")
    assert votes.section == ("Synthèse du vote",) and votes.lang == "fr"
    names = passage_with(doc, "- Patricia Adam")
    assert "\n- Sylviane Alaux" in names.text  # one list item per line


def test_amendment_page_date_is_not_a_heading() -> None:
    doc = parse("an-14_amendements_0922_AN_406.html")
    assert all("16 avril 2013" not in p.section for p in doc.passages)
    assert passage_with(doc, "Mme Louwagie et Mme Marianne Dubois").lang == "fr"


def test_word_file_pages_from_rendered_breaks_and_sections() -> None:
    doc = parse("unst-handbook-1p.docx")
    assert doc.pages == 2
    role = passage_with(doc, "The Bankruptcy Reform Act of 1978 removed the bankruptcy judge")
    assert role.page == 2 and role.section == ("CHAPTER 1 – INTRODUCTION",)
    assert passage_with(doc, "The United States Trustee appoints and supervises").page == 1


def test_word_heading_styles_numbering_page_breaks_and_title(tmp_path: Path) -> None:
    made = docx.Document()
    made.core_properties.title = "关于推进政务新媒体健康有序发展的意见"
    made.add_heading("总体要求", level=1)
    made.add_paragraph("推进政务新媒体健康有序发展，要坚持以人民为中心的发展思想。")
    made.add_heading("主要任务", level=2)
    made.add_paragraph("明确开设整合要求", style="List Number")
    made.add_paragraph("加强内容建设", style="List Number")
    made.add_page_break()
    made.add_heading("保障措施", level=1)
    table = made.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "指标", (0, 1): "目标", (1, 0): "政务新媒体", (1, 1): "全覆盖"}.items():
        table.cell(row, col).text = text
    path = tmp_path / "意见.docx"
    made.save(path)
    doc = parse_document(path, tmp_path)
    assert doc.title == "关于推进政务新媒体健康有序发展的意见" and doc.lang == "zh"
    body = passage_with(doc, "要坚持以人民为中心的发展思想")
    assert body.section == ("总体要求",) and body.page == 1
    # the numbers Word draws come from the numbering definitions, not the text
    assert passage_with(doc, "明确开设整合要求").text == "1. 明确开设整合要求"
    assert passage_with(doc, "加强内容建设").section == ("总体要求", "主要任务")
    cells = passage_with(doc, "政务新媒体 | 全覆盖")
    assert cells.text == "指标 | 目标\n政务新媒体 | 全覆盖"
    assert cells.section == ("保障措施",) and cells.page == 2


def _odt(content_body: str, title: str = "") -> bytes:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
    )
    content = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body><office:text>{content_body}</office:text></office:body></office:document-content>'
    meta = f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ns}><office:meta><dc:title>{title}</dc:title><dc:date>2016-08-16T10:00:00</dc:date></office:meta></office:document-meta>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        package.writestr("content.xml", content)
        package.writestr("meta.xml", meta)
    return buffer.getvalue()


def test_odt_headings_lists_tables_and_soft_page_breaks(tmp_path: Path) -> None:
    text = (
        '<text:h text:outline-level="1">Chapitre premier : Dispositions générales</text:h>'
        "<text:p>Le présent décret s'applique aux collectivités territoriales.</text:p>"
        '<text:h text:outline-level="2">Section 1</text:h>'
        "<text:list><text:list-item><text:p>les communes ;</text:p></text:list-item>"
        "<text:list-item><text:p>les départements.</text:p></text:list-item></text:list>"
        "<text:soft-page-break/>"
        "<text:p>Les<text:s/>dispositions<text:tab/>transitoires<text:line-break/>sont abrogées.</text:p>"
        "<table:table><table:table-row><table:table-cell><text:p>Année</text:p></table:table-cell>"
        "<table:table-cell><text:p>Montant</text:p></table:table-cell></table:table-row></table:table>"
    )
    path = tmp_path / "decret.odt"
    path.write_bytes(_odt(text, title="Décret relatif aux collectivités"))
    doc = parse_document(path, tmp_path)
    assert doc.title == "Décret relatif aux collectivités" and doc.date == "2016-08-16" and doc.lang == "fr"
    first = passage_with(doc, "s'applique aux collectivités")
    assert first.section == ("Chapitre premier : Dispositions générales",) and first.page == 1
    listed = passage_with(doc, "les communes")
    assert listed.text == "- les communes ;\n- les départements."
    assert listed.section == ("Chapitre premier : Dispositions générales", "Section 1")
    after = passage_with(doc, "dispositions transitoires")
    assert after.text == "Les dispositions transitoires\nsont abrogées." and after.page == 2
    assert passage_with(doc, "Année | Montant").page == 2


def test_real_odt_file() -> None:
    doc = parse("unst-eng_spa_mult.odt")
    assert passage_with(doc, "All human beings are born free and equal in dignity and rights").lang == "en"


def test_a_doc_that_is_really_a_docx_needs_no_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "libreoffice", lambda: None)
    doc = parse("unst-eng_spa_mult.doc")
    assert passage_with(doc, "They are endowed with reason and conscience").lang == "en"


def test_legacy_format_without_libreoffice_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "libreoffice", lambda: None)
    with pytest.raises(UnreadableFile) as error:
        parse("unst-eng_spa_mult.rtf")
    message = str(error.value)
    assert "unst-eng_spa_mult.rtf" in message and "install LibreOffice" in message


@pytest.mark.slow
@pytest.mark.skipif(office.libreoffice() is None, reason="LibreOffice is not installed (.ci/run installs it)")
def test_rtf_through_libreoffice_is_read_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "declaration.rtf").write_bytes((WEB / "unst-eng_spa_mult.rtf").read_bytes())
    report = ingest(folder, tmp_path / "index")
    assert report.new == 1 and not report.failed
    # a rebuild reads the conversion from the cache: LibreOffice is not run again
    monkeypatch.setattr(office, "libreoffice", lambda: None)
    again = ingest(folder, tmp_path / "index", rebuild=True)
    assert again.new == 1 and not again.failed and again.passages == report.passages


def test_every_file_in_a_mixed_folder_has_an_outcome(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("govcn-国办函〔2004〕57号.html", "unst-handbook-1p.docx", "unst-eng_spa_mult.odt"):
        (folder / name).write_bytes((WEB / name).read_bytes())
    (folder / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "notes").write_text("a file without an extension", encoding="utf-8")
    (folder / "README.md").write_text("notes on the folder", encoding="utf-8")
    (folder / ".hidden.txt").write_text("hidden", encoding="utf-8")
    report = ingest(folder, tmp_path / "index")
    assert report.new == 3 and not report.failed
    skipped = dict(report.skipped)
    assert set(skipped) == {str(folder / "scan.png"), str(folder / "notes")}
    assert skipped[str(folder / "scan.png")] == "an image: its text is read by OCR (ingest with --ocr)"
    assert "without an extension" in skipped[str(folder / "notes")]
    assert "2 skipped" in report.summary()


def test_markdown_front_matter_notes_and_markup_stay_out_of_passages(tmp_path: Path) -> None:
    # a gov.cn notice as clipping tools export it: plain front matter, an editorial note, markup
    page = parse("govcn-国办函〔2004〕57号.html")
    body = passage_with(page, "大连市请求，由大连实德集团").text
    text = (
        f"标题: {page.title}\n来源: 中国政府网\n官方链接: http://www.gov.cn/zhengce/content/2018-12/24/content_5351707.htm\n"
        "成文日期: 2004-08-12\nsite_id: 2231\n\n> 编者按：本文转载自中国政府网，仅供参考。\n\n"
        "辽宁省人民政府：\n\n## 一、关于大连双岛湾工业区石化项目问题\n\n"
        f"{body.replace('大连实德集团', '**大连实德集团**')}详见[附件](http://www.gov.cn/a.pdf)。\n"
    )
    path = tmp_path / "notice.md"
    path.write_text(text, encoding="utf-8")
    doc = parse_document(path, tmp_path)
    assert doc.title == page.title and doc.date == "2004-08-12"
    texts = [p.text for p in doc.passages]
    assert texts[0] == "辽宁省人民政府："
    assert not any("官方链接" in t or "site_id" in t or "编者按" in t for t in texts)
    passage = passage_with(doc, "大连市请求")
    assert passage.text == body + "详见附件。"
    assert passage.section == ("一、关于大连双岛湾工业区石化项目问题",)


def test_yaml_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "titre.md"
    path.write_text(
        '---\ntitle: "Code civil - Livre Ier, Titre V"\ndate: 2016-02-10\ntags:\n  - mariage\n---\n\n'
        "Article 144\n\nLe mariage ne peut être contracté avant dix-huit ans révolus.\n",
        encoding="utf-8",
    )
    doc = parse_document(path, tmp_path)
    assert doc.title == "Code civil - Livre Ier, Titre V" and doc.date == "2016-02-10"
    passage = passage_with(doc, "Le mariage ne peut être contracté")
    assert passage.section == ("Article 144",) and passage.lang == "fr"
    assert not any("tags" in p.text or "mariage\n" in p.text for p in doc.passages)


def test_table_of_contents_in_a_word_file_without_heading_styles(tmp_path: Path) -> None:
    # the headings are numbered paragraphs (一、), and the contents list them first
    made = docx.Document()
    for text in ("目录", "一、总体要求", "二、主要任务", "三、保障措施"):
        made.add_paragraph(text)
    made.add_paragraph("一、总体要求")
    made.add_paragraph("推进政务新媒体健康有序发展，要坚持以人民为中心的发展思想。")
    made.add_paragraph("二、主要任务")
    made.add_paragraph("明确开设整合要求，加强内容建设。")
    path = tmp_path / "意见.docx"
    made.save(path)
    doc = parse_document(path, tmp_path)
    contents = passage_with(doc, "目录")
    assert contents.text == "目录\n一、总体要求\n二、主要任务\n三、保障措施" and contents.section == ()
    assert passage_with(doc, "要坚持以人民为中心").section == ("一、总体要求",)
    assert passage_with(doc, "明确开设整合要求").section == ("二、主要任务",)


def test_files_of_one_name_in_several_formats_each_keep_their_extension_in_the_id(tmp_path: Path) -> None:
    # a declaration saved as .docx and .odt beside each other (and a text of another name)
    folder = tmp_path / "decl"
    folder.mkdir()
    for suffix in (".docx", ".odt"):
        (folder / f"declaration{suffix}").write_bytes((WEB / f"unst-eng_spa_mult{suffix}").read_bytes())
    (folder / "handbook.docx").write_bytes((WEB / "unst-handbook-1p.docx").read_bytes())
    index_dir = tmp_path / "index"
    report = ingest(folder, index_dir)
    assert report.new == 3 and not report.failed
    index = open_index(index_dir)
    assert sorted(d.doc_id for d in index.documents()) == ["declaration.docx", "declaration.odt", "handbook"]
    hit = index.search('"born free and equal in dignity"', doc="declaration.odt").hits[0]
    assert hit.doc_id == "declaration.odt" and hit.source == str(folder / "declaration.odt")
    # one of them gone: the other is the only file of that name again, and takes the bare id
    (folder / "declaration.odt").unlink()
    again = ingest(folder, index_dir)
    assert (again.new, again.removed, again.unchanged, again.failed) == (1, 2, 1, ())
    assert sorted(d.doc_id for d in open_index(index_dir).documents()) == ["declaration", "handbook"]
