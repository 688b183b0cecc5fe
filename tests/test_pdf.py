"""PDFs: real government PDFs cite the right page, label and section; hard PDFs are reported, not lost."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy_search import api, ingest
from policy_search.cli import cli
from policy_search.documents.document import parse_document
from policy_search.documents.readers import pdf as pdf_reader
from policy_search.model import Document, Passage, page_at

from .conftest import CORPUS, DATA
from .pdfmaker import PageSpec, build_pdf

PDFS = CORPUS / "pdf"


def parse(name: str) -> Document:
    return parse_document(PDFS / name, CORPUS)


def passage_with(doc: Document, fragment: str, page: int | None = None) -> Passage:
    found = [p for p in doc.passages if fragment in p.text and page in (None, p.page)]
    assert len(found) == 1, f"{len(found)} passages of {doc.doc_id} contain {fragment!r}"
    return found[0]


# --- real PDFs: pages, labels and sections checked against the printed pages --------------------


@pytest.fixture(scope="module")
def i1040nr() -> Document:
    return parse("i1040nr.pdf")


@pytest.fixture(scope="module")
def federal_register() -> Document:
    return parse("federal-register-2020-17221.pdf")


@pytest.fixture(scope="module")
def proces_verbal() -> Document:
    return parse("2023-06-20-PV.pdf")


@pytest.fixture(scope="module")
def anhui_standard() -> Document:
    return parse("issue-336-example.pdf")


def test_irs_instructions_three_columns(i1040nr: Document) -> None:
    assert (i1040nr.title, i1040nr.lang, i1040nr.date, i1040nr.pages) == ("2007 Instruction 1040-NR", "en", "2007-12-06", 50)
    # page 2, first column, under the 14-point heading "Items to Note"; printed "-2-"
    # (page 3 says it again under "Who Must File")
    former = passage_with(i1040nr, "Former U.S. citizens and former U.S. long-term residents.", page=2)
    assert (former.page, former.page_label) == (2, "2")
    assert former.section == ("Instructions for Form 1040NR", "Items to Note")
    # the paragraph runs from the first column into the second, and is one passage
    assert former.text.endswith("that begins on page 6 and Pub. 519, U.S. Tax Guide for Aliens.")
    treaty = passage_with(i1040nr, "You can download the complete text of most U.S. tax treaties")
    assert (treaty.page, treaty.section[-1]) == (2, "Resident Alien or Nonresident Alien")


def test_federal_register_three_columns_printed_page_numbers(federal_register: Document) -> None:
    assert (federal_register.date, federal_register.pages) == ("2020-08-06", 15)
    # pages 7-13 print their tables as images; page 8 has nothing else but the running header
    assert federal_register.warnings == ("page 8 of 15: no text layer (images only), not indexed (ingest with --ocr to read them)",)
    # a sentence that leaves the first column at "and" and goes on at the top of the second,
    # with four footnotes set between them at the foot of the first column
    effects = passage_with(federal_register, "These effects include stall warning activation")
    assert "airspeed disagree alert, and altitude disagree alert,5 and may affect the flightcrew" in effects.text
    assert (effects.page, effects.page_label) == (2, "47699")
    assert effects.section == ("Proposed Rules", "Background")
    footnote = passage_with(federal_register, "Preliminary KNKT.18.10.35.04 Aircraft Accident Investigation Report")
    assert (footnote.page, footnote.page_label) == (2, "47699")
    assert [p.page_label for p in federal_register.passages if p.page == 15][0] == "47712"


def test_french_proces_verbal(proces_verbal: Document) -> None:
    assert proces_verbal.title == "Comité de démolition - Procès-verbal de la séance publique du 20 juin 2023"
    assert proces_verbal.lang == "fr"
    closing = passage_with(proces_verbal, "La séance est levée à 16h05.")
    assert (closing.page, closing.page_label, closing.section) == (2, "", ("5. LEVÉE DE LA SÉANCE",))
    # a number wrapped at its hyphen keeps the hyphen and loses the line break
    notice = passage_with(proces_verbal, "comité consultatif d’urbanisme")
    assert notice.text.endswith("à l’effet d’accepter la demande de démolition 2023-0379;")
    assert (notice.page, notice.section) == (2, ("Résolution DM-2023-001",))


def test_chinese_standard_table_rows_and_printed_page(anhui_standard: Document) -> None:
    assert anhui_standard.title == "安徽省建设用地使用标准（2020年版）"
    assert anhui_standard.lang == "zh"
    row = passage_with(anhui_standard, "60000≤Q＜80000 | 20＜μ≤30")
    assert row.text == "高速公路 | 八 | 2.5000 | 60000≤Q＜80000 | 20＜μ≤30"
    assert (row.page, row.page_label) == (1, "173")
    note = passage_with(anhui_standard, "注：表中路段交通量")
    assert note.text == "注：表中路段交通量应采用停车区所在路段的预测第20年交通量。"


RUNNING = {
    "i1040nr.pdf": [r"Page \d+ of 48", r"6-DEC-2007", r"The type and rule above prints", r"^-\d+-$", r"Instructions for Form 1040NR\s*-\d+-"],
    "federal-register-2020-17221.pdf": [r"Federal Register\s*/\s*Vol\. 85", r"^477\d\d$", r"VerDate", r"Jkt 250001"],
    "2023-06-20-PV.pdf": [r"^\d+$"],
    "issue-336-example.pdf": [r"^173$"],
}


@pytest.mark.parametrize("name", sorted(RUNNING))
def test_no_running_header_footer_or_page_number_in_passages(name: str) -> None:
    doc = parse(name)
    for pattern in RUNNING[name]:
        found = [p.text[:80] for p in doc.passages if re.search(pattern, p.text, re.MULTILINE)]
        assert not found, f"{pattern!r} in {found}"


def test_search_cites_the_physical_and_the_printed_page(index: api.Index) -> None:
    hit = index.search('"airspeed disagree alert"', doc="pdf/*").hits[0]
    assert hit.citation == "Proposed Rules, Background, p. 2 (printed 47699), passage 34"


def test_show_page(corpus_index: Path) -> None:
    result = CliRunner().invoke(cli, ["show", "pdf/2023-06-20-PV", "--page", "2", "--index", str(corpus_index)])
    assert result.exit_code == 0
    citations = [line for line in result.stdout.splitlines() if ", passage " in line]
    assert citations and all(", p. 2, passage " in line for line in citations)
    assert "La séance est levée à 16h05." in result.stdout
    assert "ATTENDU la demande 2023-0379" not in result.stdout  # page 1


# --- made PDFs: two columns, and the PDFs that must be reported ----------------------------------

ARTICLES = [
    ("Article 1582", ["La vente est une convention par laquelle l'un s'oblige à livrer une chose, et l'autre à la payer.",
                      "Elle peut être faite par acte authentique ou sous seing privé."]),
    ("Article 1583", ["Elle est parfaite entre les parties, et la propriété est acquise de droit à l'acheteur à l'égard "
                      "du vendeur, dès qu'on est convenu de la chose et du prix, quoique la chose n'ait pas encore été "
                      "livrée ni le prix payé."]),
    ("Article 1584", ["La vente peut être faite purement et simplement, ou sous une condition soit suspensive, soit "
                      "résolutoire.", "Elle peut aussi avoir pour objet deux ou plusieurs choses alternatives.",
                      "Dans tous ces cas, son effet est réglé par les principes généraux des conventions."]),
    ("Article 1585", ["Lorsque des marchandises ne sont pas vendues en bloc, mais au poids, au compte ou à la mesure, la "
                      "vente n'est point parfaite, en ce sens que les choses vendues sont aux risques du vendeur jusqu'à "
                      "ce qu'elles soient pesées, comptées ou mesurées ; mais l'acheteur peut en demander ou la "
                      "délivrance ou des dommages-intérêts, s'il y a lieu, en cas d'inexécution de l'engagement."]),
    ("Article 1586", ["Si, au contraire, les marchandises ont été vendues en bloc, la vente est parfaite, quoique les "
                      "marchandises n'aient pas encore été pesées, comptées ou mesurées."]),
    ("Article 1587", ["A l'égard du vin, de l'huile, et des autres choses que l'on est dans l'usage de goûter avant d'en "
                      "faire l'achat, il n'y a point de vente tant que l'acheteur ne les a pas goûtées et agréées."]),
]


def two_column_pdf() -> bytes:
    """Titre VI of the Code civil (Articles 1582-1587) set in two columns on two pages,
    with a running header, a page number in the footer and a full-width title on page 1."""
    pages = [PageSpec(), PageSpec()]
    for number, page in enumerate(pages, start=1):
        page.text(50, 760, 8, "Code civil - Livre III : Des différentes manières dont on acquiert la propriété")
        page.text(296, 40, 9, f"- {number} -")
    pages[0].text(50, 710, 16, "Titre VI : De la vente", bold=True)
    slots = [(0, 50, 680), (0, 320, 680), (1, 50, 730), (1, 320, 730)]
    slot = 0
    y = slots[0][2]
    for heading, paragraphs in ARTICLES:
        lines = [(heading, True)]
        for paragraph in paragraphs:
            lines += [(line, False) for line in _wrap(paragraph)] + [("", False)]
        for text, bold in lines:
            if y < 500:  # short columns, so that the articles run on over four columns and two pages
                slot += 1
                y = slots[slot][2]
            page_index, x, _ = slots[slot]
            if text:
                pages[page_index].text(x, y, 10, text, bold=bold)
            y -= 12 if text else 8
    return build_pdf(pages)


def _wrap(text: str) -> list[str]:
    import textwrap

    return textwrap.wrap(text, 44)


def test_two_column_pdf_reads_column_by_column(tmp_path: Path) -> None:
    path = tmp_path / "titre-vi.pdf"
    path.write_bytes(two_column_pdf())
    doc = parse_document(path, tmp_path)
    assert doc.lang == "fr" and doc.pages == 2
    texts = [p.text for p in doc.passages]
    # every article whole (its alinéas one passage), in order, whichever column or page it is in
    expected = ["\n".join(paragraphs) for _, paragraphs in ARTICLES]
    assert texts == expected
    sale = passage_with(doc, "Elle est parfaite entre les parties")
    assert sale.section == ("Titre VI : De la vente", "Article 1583")
    assert (sale.page, sale.page_label) == (1, "1")
    last = passage_with(doc, "A l'égard du vin")
    assert (last.page, last.page_label, last.section[-1]) == (2, "2", "Article 1587")
    assert not [t for t in texts if "Livre III" in t or re.fullmatch(r"-?\s*\d\s*-?", t)]


def encrypt(data: bytes, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def hard_pdfs(tmp_path: Path) -> Path:
    """A folder of one good text file, and PDFs of every kind that must not stop an ingest."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "vente.txt").write_text((CORPUS / "code-civil" / "code-civil-livre-III-titre-VI.txt").read_text(encoding="utf-8"), encoding="utf-8")
    good = two_column_pdf()
    (folder / "two-columns.pdf").write_bytes(good)
    (folder / "owner-only.pdf").write_bytes(encrypt(good, ""))
    (folder / "locked.pdf").write_bytes(encrypt(good, "s3cret"))
    (folder / "truncated.pdf").write_bytes(good[: len(good) // 3])
    (folder / "not-a-pdf.pdf").write_bytes(b"<html><body>404 Not Found</body></html>")
    scan = PageSpec()
    scan.images.append((0, 0, 612, 792))
    (folder / "scanned.pdf").write_bytes(build_pdf([scan, scan, scan]))
    unmapped = PageSpec()
    unmapped.cid_runs.append((50, 700, 12, list(range(30, 90))))
    mixed = [PageSpec(), unmapped]
    mixed[0].column(50, 720, 80, 10, [ARTICLES[0][1][0]])
    (folder / "half-garbled.pdf").write_bytes(build_pdf(mixed))
    (folder / "garbled.pdf").write_bytes(build_pdf([unmapped]))
    return folder


def test_hard_pdfs_are_reported_and_the_rest_indexed(hard_pdfs: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    result = CliRunner().invoke(cli, ["ingest", str(hard_pdfs), "--index", str(index_dir), "--jobs", "1"])
    assert result.exit_code == 1
    errors = {line.split(": ", 2)[1].rsplit("/", 1)[-1]: line.split(": ", 2)[2] for line in result.stderr.splitlines() if line.startswith("Error: ")}
    assert errors == {
        "locked.pdf": "encrypted PDF: it needs a password (give it with --password)",
        "truncated.pdf": errors["truncated.pdf"],
        "not-a-pdf.pdf": "corrupt or truncated PDF (PdfminerException: No /Root object! - Is this really a PDF?)",
        "scanned.pdf": "no text layer: 3 page(s) of scanned images (ingest with --ocr to read them)",
        "garbled.pdf": "no readable text: the fonts of all 1 page(s) yield (cid:NN) or unknown glyphs (ingest with --ocr to read their images)",
    }
    assert errors["truncated.pdf"].startswith("corrupt or truncated PDF (")
    assert f"Warning: {hard_pdfs / 'half-garbled.pdf'}: page 2 of 2: the fonts yield (cid:NN) or unknown glyphs, not indexed (ingest with --ocr to read their images)" in result.stderr
    assert result.stdout.startswith("4 new, 0 changed, 0 unchanged, 0 removed, 5 failed;")
    index = api.open_index(index_dir)
    assert {d.doc_id for d in index.documents()} == {"vente", "two-columns", "owner-only", "half-garbled"}
    assert index.search("goûtées", doc="owner-only").total == 1
    assert not [h for h in index.search("cid", doc="half-garbled")]

    # the password opens the locked one, and the others are not read again
    again = CliRunner().invoke(cli, ["ingest", str(hard_pdfs), "--index", str(index_dir), "--password", "s3cret"])
    assert "1 new, 0 changed, 4 unchanged" in again.stdout and "locked.pdf" not in again.stderr
    assert api.open_index(index_dir).search("goûtées", doc="locked").total == 1


def test_unchanged_pdfs_are_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("2023-06-20-PV.pdf", "issue-336-example.pdf"):
        (corpus / name).write_bytes((PDFS / name).read_bytes())
    log = tmp_path / "reads.log"  # files are read in worker processes: they count in a file
    real = pdf_reader.read_pdf

    def counting(data: bytes, password: str):  # type: ignore[no-untyped-def]
        with log.open("a") as out:
            out.write(f"{len(data)}\n")
        return real(data, password)

    def reads() -> int:
        return len(log.read_text().splitlines()) if log.exists() else 0

    monkeypatch.setattr(pdf_reader, "read_pdf", counting)
    index_dir = tmp_path / "index"
    first = ingest([corpus], index_dir, jobs=1)
    assert (first.new, reads()) == (2, 2)
    again = ingest([corpus], index_dir, jobs=1)
    assert (again.unchanged, reads()) == (2, 2)  # unchanged: not even opened
    rebuilt = ingest([corpus], index_dir, jobs=1, rebuild=True)
    assert (rebuilt.new, reads()) == (2, 2)  # a rebuild takes the PDFs' text from the cache
    (corpus / "copy-of-pv.pdf").write_bytes((PDFS / "2023-06-20-PV.pdf").read_bytes())
    copied = ingest([corpus], index_dir, jobs=1)
    assert (copied.new, reads()) == (1, 2)  # same bytes under another name: cached too
    assert api.open_index(index_dir).search('"séance est levée"', doc="copy-of-pv").total == 1


def test_word_spaces_narrower_than_three_points_are_kept() -> None:
    # justified text whose glyphs are placed one by one: spaces from gaps relative to the type size
    doc = parse_document(DATA / "pdf" / "unst-fr_olap.pdf", DATA)
    passage = passage_with(doc, "Nous rappelons notre cadre dans les sections 3 et 4, en ajoutant les propriétés")
    assert passage.page == 2 and passage.lang == "fr"
    # a ruled table in 5-point type: its cells keep their word spaces too
    table = parse_document(DATA / "pdf" / "senate-expenditures.pdf", DATA)
    row = passage_with(table, "STAFF TRANSPORTATION 920.68 AIRFARE FOR E JOHNSON KANSAS CITY TO WASHINGTON DC AND RETURN")
    assert row.page == 1
    words = " ".join(p.text for p in table.passages).split()
    assert not [w for w in words if w.isalpha() and len(w) > 15]  # no STAFFTRANSPORTATION


def test_a_wrapped_line_that_cites_a_section_is_not_a_heading(i1040nr: Document) -> None:
    # "section 871(a), you will be taxed at a" (page 8) and "Section 72(m)(5) excess benefits"
    # (page 22) had opened sections that every later page was cited under
    citing = [s for p in i1040nr.passages for s in p.section if re.match(r"(?i)section \d+\(", s)]
    assert citing == []
    exemptions = passage_with(i1040nr, "Exemptions for estates and trusts are described in the instructions")
    assert exemptions.page == 9 and exemptions.section == ("Instructions for Form 1040NR", "Exemptions")
    excess = passage_with(i1040nr, "Section 72(m)(5) excess benefits tax. (See Pub. 560.)")
    assert excess.page == 22 and excess.section[-1] == "Line 57 — Household employment"
    # a bold instruction that starts with a label and goes on past a sentence is body text, and
    # the index after it is the index of the instructions, not of "Section C"
    worksheet = passage_with(i1040nr, "Section C — Use if you checked filing status box 3, 4, or 5 for Married filing separately.")
    assert worksheet.page == 46 and worksheet.section[:2] == ("Instructions for Form 1040NR", "2007 Tax Computation Worksheet—Line 41")
    index = passage_with(i1040nr, "Estimated tax penalty . . . . . . . 25")
    assert index.page == 48 and index.section == ("Instructions for Form 1040NR", "Index")


def test_a_label_that_runs_on_as_a_sentence_is_not_a_heading(federal_register: Document) -> None:
    # "Title 49 of the" / "United States Code specifies ..." had become the document's top section
    authority = passage_with(federal_register, "Title 49 of the United States Code specifies the FAA’s authority")
    assert authority.page == 6 and authority.section == ("Proposed Rules", "Authority for This Rulemaking")
    # a footnote whose line ends on "to" goes on as a sentence: it opens no section
    assert not any(s.startswith("10 A flight control law") for p in federal_register.passages for s in p.section)
    # a bold title with an abbreviation or a semicolon inside is still one
    agency = passage_with(federal_register, "AGENCY: Federal Aviation Administration (FAA), DOT.")
    assert agency.page == 1 and agency.section == ("Proposed Rules", "Airworthiness Directives; The Boeing Company Airplanes")


def test_subscripts_stay_on_their_line_beside_a_superscript() -> None:
    # q with a superscript 2 and a subscript s opened the line; its subscripts (the B of the
    # operators, the query numbers) were read as a line of their own under it
    doc = parse_document(DATA / "pdf" / "unst-fr_olap.pdf", DATA)
    passage = passage_with(doc, "nous obtenons : qs2 = mostf req(q1 ∪B q2 ∪B q3) = {Coke, Coke}")
    assert passage.page == 4 and passage.section[-1] == "3.2 Les opérateurs de QSL"
    assert not any(re.search(r"\bs 1 B 2 B 3\b", p.text) for p in doc.passages)


def test_a_numbered_sentence_alone_is_a_list_item_not_a_heading() -> None:
    # pages 11 and 12 of the rule hold only such items and a figure: they were left without a passage
    doc = parse("federal-register-2020-17221.pdf")
    item = passage_with(doc, "(6) In the Operating Procedures chapter, add the information in figure 5")
    assert item.page == 11 and item.text.endswith("to paragraph (h)(6) of this AD.")
    assert not any(s.startswith("(2) In the Operating") for p in doc.passages for s in p.section)
    assert {p.page for p in doc.passages} >= set(range(1, 16)) - {8}  # page 8 is images only


def test_small_capitals_run_in_label_does_not_split_its_paragraph() -> None:
    doc = parse("federal-register-2020-17221.pdf")
    contact = passage_with(doc, "FOR FURTHER INFORMATION CONTACT: Ian Won, Manager, Seattle ACO Branch")
    assert contact.page == 1


def test_body_text_in_a_large_type_is_not_a_heading_and_bare_headings_stay_text() -> None:
    doc = parse_document(DATA / "pdf" / "cupertino_usd_4-6-16.pdf", DATA)
    sections = {s for p in doc.passages for s in p.section}
    # sentences set in the agenda's larger type ran on as headings, and their words were lost
    assert not [s for s in sections if re.search(r"[a-z][.;] [A-Z]", s) or s.split()[-1] in ("and", "the", "of", "on")]
    body = passage_with(doc, "The public may address the Board on any agenda item and any item not on the agenda.")
    assert body.section[-1] == "2. PUBLIC COMMENT – ITEMS ON THE AGENDA"
    # an agenda item with nothing under it is a passage of its own, not a heading that vanishes
    assert passage_with(doc, "1. CALL TO ORDER/FLAG SALUTE").text == "1. CALL TO ORDER/FLAG SALUTE"
    assert passage_with(doc, "6. ADJOURNMENT").page == 1


def test_space_glyphs_printed_over_digits_are_not_word_breaks() -> None:
    doc = parse_document(DATA / "pdf" / "ca-warn-report-p1.pdf", DATA)
    row = passage_with(doc, "06/22/2015 | 03/25/2016")
    assert row.text == "06/22/2015 | 03/25/2016 | 07/01/2015 | Maxim Integrated Product | San Jose | 150 | Closure Permanent"


def test_a_spread_cut_into_pages_gives_each_page_only_its_own_half() -> None:
    # each page of the report carries the whole two-page spread, half of it outside the page's box
    doc = parse_document(DATA / "pdf" / "unst-reliance.pdf", DATA)
    pages_of = {page: " ".join(p.text for p in doc.passages if p.page == page) for page in (1, 2, 3)}
    assert "is a Fortune 500 company and the largest private sector corporation in India." in pages_of[2]
    assert "Key Performance Indicators" in pages_of[3] and "Key Performance Indicators" not in pages_of[2]
    assert "Big achievements follow" not in pages_of[3]
    # small type set over the cover's display words is read as its own lines, word by word
    assert "For an inclusive ecosystem" in pages_of[1]
    words = " ".join(pages_of.values()).split()
    assert not [w for w in words if w.isalpha() and len(w) > 18]  # no inclusivetransformationecosystem


def test_a_masthead_across_both_columns_does_not_merge_the_columns_below_it() -> None:
    doc = parse_document(DATA / "pdf" / "unst-multi-column-2p.pdf", DATA)
    # the arXiv stamp in the margin, turned and in larger type, is read but is not the title
    assert doc.title == "Dense Passage Retrieval for Open-Domain Question Answering"
    assert "arXiv:2004.04906v3 [cs.CL] 30 Sep 2020" in " ".join(p.text for p in doc.passages)
    abstract = passage_with(doc, "Open-domain question answering relies on efficient passage retrieval")
    assert abstract.page == 1 and abstract.section == ("Dense Passage Retrieval for Open-Domain Question Answering",)
    assert "to select candidate contexts, where traditional sparse vector space models" in abstract.text
    assert "Zaragoza" not in abstract.text  # the right column's words stay in the right column
    # a word broken at a line end joins up; a compound whose parts the paper uses keeps its hyphen
    text = " ".join(p.text for p in doc.passages)
    assert "could be suboptimal." in text and "subop-timal" not in text
    assert "with a simple dual-encoder framework" in text or "by a simple dual-encoder framework" in text


def test_text_turned_a_quarter_round_is_read_in_its_own_direction(tmp_path: Path) -> None:
    # a landscape table on a portrait page (rows of the California WARN report, page 1),
    # turned anticlockwise on one page and clockwise on the next
    rows = [
        "06/22/2015 03/25/2016 07/01/2015 Maxim Integrated Product San Jose 150 Closure Permanent",
        "03/24/2016 03/25/2016 05/26/2016 Bertucci's Restaurant Sunnyvale 44 Closure Permanent",
        "03/23/2016 03/25/2016 05/23/2016 Renesas Electronics America, Inc. Milpitas 122 Layoff Permanent",
        "03/21/2016 03/25/2016 05/20/2016 Hewlett Packard Enterprise Company Palo Alto 58 Layoff Permanent",
    ]
    upright, anticlockwise, clockwise = PageSpec(), PageSpec(), PageSpec()
    upright.text(72, 720, 12, "Worker Adjustment and Retraining Notification report, 2015-2016", bold=True)
    for k in range(2):
        anticlockwise.text(100 + 20 * k, 60, 10, rows[k], angle=90)
        clockwise.text(500 - 20 * k, 740, 10, rows[2 + k], angle=-90)
    path = tmp_path / "warn-landscape.pdf"
    path.write_bytes(build_pdf([upright, anticlockwise, clockwise]))
    doc = parse_document(path, tmp_path)
    texts = [p.text for p in doc.passages if p.page in (2, 3)]
    assert " ".join(texts).split() == " ".join(rows).split()  # every word, whole, in order
    for k, row in enumerate(rows):
        passage = passage_with(doc, row)
        assert page_at(passage.page, passage.page_label, passage.breaks, passage.text.index(row))[0] == 2 + k // 2
    assert doc.warnings == ()


def test_turned_labels_are_read_whole_though_pdfminer_calls_them_upright() -> None:
    # the USDA's weekly round-up turns its charts' axis labels a quarter round with a matrix whose
    # cosine is 1e-17: pdfminer calls the glyphs upright, and they were read one per row, reversed
    doc = parse_document(DATA / "pdf" / "ag-energy-round-up-2017-02-24.pdf", DATA / "pdf")
    labels = passage_with(doc, "cents/lb $/gal")
    assert labels.page == 1
    assert labels.text == "$/cwt cents/lb $/gal"
    chart = passage_with(doc, "Central Illinois Crude Soybean Oil 48.00 46.00")
    assert "38.00 36.00 34.00" in chart.text  # the tick labels, no longer cut by stray letters
    assert not [p for p in doc.passages if re.search(r"\bla g\b|/\$|\bb l/", p.text)]
    assert all("$/gal" not in heading for p in doc.passages for heading in p.section)


def test_a_table_row_of_figures_is_never_a_heading() -> None:
    # the round-up's price tables: bold row labels with their prices ("Cornstalks 41.25 39.38
    # 52.00", "Chicago unq 34.50 30.50") had become sections of the tables after them
    doc = parse_document(DATA / "pdf" / "ag-energy-round-up-2017-02-24.pdf", DATA / "pdf")
    sections = {heading for p in doc.passages for heading in p.section}
    assert sections == {"National Weekly Ag Energy Round-Up Fri, Feb 24, 2017 USDA Livestock, Poultry & Grain Market News"}
    row = passage_with(doc, "Bio Mass (IA/MN/NE/SD/KS/MO/IL) Biomass Report Cornstalks 41.25 39.38 52.00")
    assert row.page == 1 and len(row.section) == 1
    tallow = passage_with(doc, "Edible Tallow ($/cwt) Chicago unq 34.50 30.50")
    assert tallow.section == row.section


def test_a_page_that_sets_its_own_spaces_keeps_its_words_whole_however_far_apart_its_letters() -> None:
    # the OCR layer of a scanned 1950s letter: its glyphs are fitted to the typewritten letters,
    # a tenth of the type size apart, and a space glyph stands between its words
    doc = parse_document(DATA / "pdf" / "unst-pdf-with-ocr-text.pdf", DATA / "pdf")
    item = passage_with(doc, "(d) A. letter from H^uid Sugars, Inc. accepting")
    assert item.page == 1
    assert item.text.endswith("and wrelosing their cheek and executed\" contracts.")
    assert "progress of the Foundation you Kill tee interested to knot that to defce" in " ".join(p.text for p in doc.passages)
    assert not [p for p in doc.passages if re.search(r"\b(?:t h e|l e t t|c o n t)", p.text)]


def test_accents_set_as_glyphs_of_their_own_join_their_letter() -> None:
    # the Federal Register sets ê, ç and ã as a letter and an accent glyph over (or under) it
    rule = parse("federal-register-2020-17221.pdf")
    brazil = passage_with(rule, "Agência Nacional de Aviação Civil")
    assert brazil.page == 5
    assert not [p for p in rule.passages if re.search(r"[ˆ¸˜´`¨˘]", p.text)]
    # and TeX's Type 1 fonts a breve over the g of an author's name
    paper = parse_document(DATA / "pdf" / "unst-multi-column-2p.pdf", DATA)
    assert "Barlas Oğuz" in " ".join(p.text for p in paper.passages[:6])


def tables_pdf() -> bytes:
    """A report with a captioned table on page 1 and the section's text going on on page 2, and a
    table on page 3 whose rows go on on page 4 (figures of the 2024 government work report)."""
    pages = [PageSpec() for _ in range(4)]
    pages[0].text(72, 720, 10, "1. Main Targets for 2024", bold=True)
    y = pages[0].column(72, 700, 80, 10, [
        "The main projected targets for development this year are as follows: GDP growth of around five "
        "percent, over 12 million new urban jobs, and a surveyed urban unemployment rate of around 5.5 percent.",
    ])
    pages[0].text(72, y - 10, 10, "Table 1 Main development targets", bold=True)
    rows = ["Indicator 2023 2024", "GDP growth (%) 5.2 5.0", "New urban jobs (million) 12.44 12.00",
            "CPI increase (%) 0.2 3.0", "Grain output (million tonnes) 695 650"]
    for k, row in enumerate(rows):
        pages[0].text(72, y - 30 - 12 * k, 10, row)
    pages[1].column(72, 720, 80, 10, [
        "In setting these targets, we have taken into account the need to boost employment and increase incomes, "
        "and to prevent and defuse risks. The targets are consistent with the goals of the 14th Five-Year Plan.",
    ])
    pages[2].text(72, 720, 10, "Table 2 Government budget", bold=True)
    for k, row in enumerate(["Item 2023 2024", "Deficit (trillion yuan) 3.88 4.06", "Deficit ratio (%) 3.0 3.0"]):
        pages[2].text(72, 700 - 12 * k, 10, row)
    for k, row in enumerate(["Special bonds (trillion yuan) 3.80 3.90", "Ultra-long treasury bonds (trillion yuan) 0.00 1.00"]):
        pages[3].text(72, 720 - 12 * k, 10, row)
    return build_pdf(pages)


def test_a_table_heading_covers_its_table_only(tmp_path: Path) -> None:
    path = tmp_path / "targets.pdf"
    path.write_bytes(tables_pdf())
    doc = parse_document(path, tmp_path)
    row = passage_with(doc, "GDP growth (%) 5.2 5.0")
    assert row.page == 1 and row.section == ("1. Main Targets for 2024", "Table 1 Main development targets")
    # the text on the next page goes on with the section, not with the table before it
    after = passage_with(doc, "In setting these targets, we have taken into account")
    assert after.page == 2 and after.section == ("1. Main Targets for 2024",)
    # a table whose rows go on over the page keeps its heading there
    bonds = passage_with(doc, "Special bonds (trillion yuan) 3.80 3.90")
    assert bonds.page == 4 and bonds.section[-1] == "Table 2 Government budget"


# --- long PDFs read a range of pages per worker (issue 17) --------------------------------------


def test_pages_read_in_other_processes_give_the_same_reading() -> None:
    """The federal register notice read whole, and read as two ranges of pages that read_pdf
    then finishes (body type, reading order, running headers, labels): the same Source."""
    data = (PDFS / "federal-register-2020-17221.pdf").read_bytes()
    whole = pdf_reader.read_pdf(data)
    read = {**pdf_reader.read_pages(data, "", range(1, 8)), **pdf_reader.read_pages(data, "", range(8, 16))}
    assert sorted(read) == list(range(1, 16))
    assert pdf_reader.read_pdf(data, "", read) == whole
    # pages left out are read by read_pdf itself
    assert pdf_reader.read_pdf(data, "", pdf_reader.read_pages(data, "", range(3, 5))) == whole


def test_a_long_pdf_not_read_before_is_shared_in_ranges(tmp_path: Path) -> None:
    from policy_search.documents.cache import SourceCache
    from policy_search.indexing.ingest import SHARED_FROM_PAGES, _Job, _page_ranges

    def job(name: str) -> _Job:
        return _Job(PDFS / name, PDFS, name, name)

    cache = SourceCache(tmp_path)
    ranges = _page_ranges(job("i1040nr.pdf"), "", cache, workers=2)
    assert [n for numbers in ranges for n in numbers] == list(range(1, 51))
    assert len(ranges) >= 2 and min(len(r) for r in ranges) >= 4
    assert _page_ranges(job("i1040nr.pdf"), "", cache, workers=1) == []
    assert _page_ranges(job("2023-06-20-PV.pdf"), "", cache, workers=2) == []  # 2 pages
    assert SHARED_FROM_PAGES > 2
    parse_document(PDFS / "i1040nr.pdf", CORPUS, cache=cache)  # read once: in the cache now
    assert _page_ranges(job("i1040nr.pdf"), "", cache, workers=2) == []


def test_an_ingest_with_two_workers_reads_long_pdfs_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled PDFs ingested by one worker and by two (which share the 50-page and the
    15-page PDFs by ranges of pages): the same passages, pages, labels and sections."""
    from policy_search.indexing import ingest as index

    shared: dict[str, int] = {}
    ranges_of = index._Work.ranges_of

    def recorded(work: index._Work, pool: object, job: index._Job) -> list[range]:
        ranges = ranges_of(work, pool, job)  # type: ignore[arg-type]
        shared[job.path.name] = len(ranges)
        return ranges

    monkeypatch.setattr(index._Work, "ranges_of", recorded)

    def passages(jobs: int) -> list[tuple[object, ...]]:
        index_dir = tmp_path / f"jobs{jobs}"
        report = ingest([PDFS], index_dir, jobs=jobs)
        assert not report.failed and report.new == 4
        ix = api.open_index(index_dir)
        rows = []
        for info in ix.documents():
            rows += [(info.doc_id, p.page, p.page_label, p.section, p.text) for p in ix.passages(info.doc_id)]
        return rows

    one, two = passages(1), passages(2)
    assert shared["i1040nr.pdf"] >= 2 and shared["federal-register-2020-17221.pdf"] >= 2
    assert shared["2023-06-20-PV.pdf"] == 0
    assert len(one) > 500
    assert two == one


# --- characters converted faster than pdfplumber does, and the same -----------------------------


@pytest.mark.parametrize(
    ("path", "pages"),
    [
        (PDFS / "i1040nr.pdf", (1, 2, 50)),
        (PDFS / "federal-register-2020-17221.pdf", (1, 3)),
        (DATA / "pdf" / "unst-fr_olap.pdf", (1, 5)),
        (DATA / "pdf" / "unst-multi-column-2p.pdf", (1,)),
        (DATA / "scans" / "zh-hans-report.pdf", (1,)),
        (PDFS / "issue-336-example.pdf", (1,)),
    ],
)
def test_characters_converted_faster_are_pdfplumbers_own(path: Path, pages: tuple[int, ...]) -> None:
    import pdfplumber

    from policy_search.documents.readers.pdf_chars import with_faster_chars

    with pdfplumber.open(path) as theirs, pdfplumber.open(path) as ours:
        for number in pages:
            expected = theirs.pages[number - 1].objects
            found = with_faster_chars(ours.pages[number - 1]).objects
            assert type(ours.pages[number - 1]).__name__ == "_CharsFaster"
            assert found.get("char") == expected.get("char")  # the rest is pdfplumber's own code
            assert [list(c) for c in found.get("char", [])] == [list(c) for c in expected.get("char", [])]  # keys in order
            assert {kind: len(objects) for kind, objects in found.items()} == {kind: len(objects) for kind, objects in expected.items()}
