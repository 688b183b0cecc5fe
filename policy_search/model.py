"""The values that flow between the stages: pages in, passages through, hits out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = ("en", "fr", "zh")


@dataclass(frozen=True)
class Page:
    """One page of a source, as lines of text.

    ``number`` is the physical page (1-based), or None when the source has no pages;
    ``label`` is the page number printed on the page, when known.
    """

    number: int | None
    lines: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class Block:
    """A unit of text that a structured format (HTML, Word, ODT) marks itself.

    A heading has its level (1-6, as h1-h6 or Word's outline levels); body text has level 0
    and keeps the line breaks of its list items and table rows.
    """

    text: str
    level: int = 0
    page: int | None = None
    page_label: str = ""


@dataclass(frozen=True)
class Source:
    """What a reader made of a file: its pages and the metadata it found on the way.

    Text and PDF readers give pages of lines, whose paragraphs and headings are still to be
    found; structured formats give blocks, whose paragraphs and headings are already known.
    """

    pages: tuple[Page, ...]
    title: str = ""
    #: a date the file carries outside its text (a PDF's creation date), used when the text has none
    date: str = ""
    encoding: str = ""
    #: a title to use when the document shows none (a PDF's running header or metadata)
    fallback_title: str = ""
    #: problems worth telling the user that did not stop the file being read
    warnings: tuple[str, ...] = ()
    #: pages that gave no usable text (scans, unreadable fonts)
    unusable_pages: int = 0
    blocks: tuple[Block, ...] = ()
    #: pages whose text was read by OCR from their images
    ocr_pages: tuple[int, ...] = ()


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of running text with where it sits: section path and page."""

    text: str
    section: tuple[str, ...]
    page: int | None
    page_label: str = ""
    #: paragraphs under one article are kept together as one passage
    group: int | None = None
    #: (character offset, page, page label) where the paragraph runs on to a new page
    breaks: tuple[tuple[int, int | None, str], ...] = ()

    def page_at(self, offset: int) -> tuple[int | None, str]:
        """The page and printed label of the character at ``offset``."""
        return page_at(self.page, self.page_label, self.breaks, offset)


def page_at(
    page: int | None, label: str, breaks: tuple[tuple[int, int | None, str], ...], offset: int
) -> tuple[int | None, str]:
    """The page and printed label of the character at ``offset`` of a text that starts on
    ``page`` and runs on to a new page at each of ``breaks``."""
    for start, break_page, break_label in breaks:
        if start > offset:
            break
        page, label = break_page, break_label
    return page, label


@dataclass(frozen=True)
class Passage:
    """The unit that is indexed, ranked and cited."""

    ordinal: int
    text: str
    section: tuple[str, ...]
    page: int | None
    page_label: str
    lang: str
    #: (character offset, page, page label) where the passage runs on to a new page
    breaks: tuple[tuple[int, int | None, str], ...] = ()


@dataclass(frozen=True)
class Document:
    """A parsed file, ready to index."""

    doc_id: str
    title: str
    date: str
    source: str
    content_hash: str
    lang: str
    pages: int | None
    passages: tuple[Passage, ...] = field(repr=False)
    #: what the reader could not use, for the ingest report (pages without text, say)
    warnings: tuple[str, ...] = ()
    #: pages whose text was read by OCR, cited as such
    ocr_pages: tuple[int, ...] = ()
    #: pages left out: images without OCR, unreadable fonts (read again when OCR is asked for)
    unread_pages: int = 0
    read_with_ocr: bool = False


@dataclass(frozen=True)
class DocumentInfo:
    """An indexed document as ``docs`` lists it."""

    doc_id: str
    title: str
    lang: str
    date: str
    pages: int | None
    passages: int
    source: str
    content_hash: str = ""
    root: str = ""
    ocr_pages: tuple[int, ...] = ()
    unread_pages: int = 0
    read_with_ocr: bool = False

    @classmethod
    def of(cls, doc: Document, root: Path) -> DocumentInfo:
        """The record an index keeps of a document ingested from the folder ``root``."""
        return cls(
            doc_id=doc.doc_id,
            title=doc.title,
            lang=doc.lang,
            date=doc.date,
            pages=doc.pages,
            passages=len(doc.passages),
            source=doc.source,
            content_hash=doc.content_hash,
            root=str(root.resolve()),
            ocr_pages=doc.ocr_pages,
            unread_pages=doc.unread_pages,
            read_with_ocr=doc.read_with_ocr,
        )


def format_citation(
    title: str,
    section: str,
    page: int | None,
    page_label: str,
    passage: int,
    last_page: int | None = None,
    last_label: str = "",
    ocr: bool = False,
) -> str:
    """One line a person can paste: title, section, page (``pp. 3-4`` when the passage runs on
    to later pages; ``p. 3 (OCR)`` when its text was read from the page's image), passage."""
    parts = [title or "(untitled)"]
    if title and (section == title or section.startswith(title + " > ")):
        section = section[len(title) :].removeprefix(" > ")  # the title is a heading too: say it once
    if section:
        parts.append(section)
    if page is not None and last_page is not None and last_page != page:
        printed = f" (printed {page_label}-{last_label})" if page_label and last_label and page_label != str(page) else ""
        parts.append(f"pp. {page}-{last_page}{printed}")
    elif page is not None:
        printed = f" (printed {page_label})" if page_label and page_label != str(page) else ""
        parts.append(f"p. {page}{printed}")
    if ocr and page is not None:
        parts[-1] += " (OCR)"
    parts.append(f"passage {passage}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Hit:
    """One search result, with every field of the contract."""

    rank: int
    score: float
    doc_id: str
    title: str
    lang: str
    date: str
    section: str
    page: int | None
    page_label: str
    passage: int
    snippet: str
    text: str
    source: str
    #: where the passage starts and ends, (page, printed label) each, when it runs across pages;
    #: ``page`` is then the page of the first matched word
    page_range: tuple[tuple[int | None, str], tuple[int | None, str]] | None = None
    #: the passage's text (on a page it cites) was read by OCR: it may hold misread characters
    ocr: bool = False

    @property
    def citation(self) -> str:
        if self.page_range is None:
            return format_citation(self.title, self.section, self.page, self.page_label, self.passage, ocr=self.ocr)
        (first, first_label), (last, last_label) = self.page_range
        return format_citation(self.title, self.section, first, first_label, self.passage, last, last_label, self.ocr)

    def to_dict(self) -> dict[str, object]:
        """The contract's fields, in the contract's order."""
        fields = {name: getattr(self, name) for name in HIT_FIELDS}
        fields["score"] = round(self.score, 4)
        return fields


#: The contract's hit fields, in CSV column order.
HIT_FIELDS = (
    "rank", "score", "doc_id", "title", "lang", "date", "section", "page", "page_label",
    "passage", "citation", "snippet", "text", "source",
)
