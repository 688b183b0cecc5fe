"""Lines into paragraphs under section paths: reflow, page-break joins, headings.

Hard-wrapped PDF text and one-paragraph-per-line web text are told apart per block of lines
by their width, so one set of rules serves both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from policy_search.documents.headings import (
    ARTICLE,
    CAPTION,
    CAPTION_LINE,
    CHAPTER,
    CONTINUED,
    ITEM,
    LATIN_RUN_IN_MAX,
    LEVEL1,
    LEVEL2,
    LEVEL3,
    LEVEL4,
    NUMBERED_ITEM,
    ORDINAL,
    RUNS_ON,
    SECTION,
    SUBSECTION,
    TWO_SENTENCES,
    ZH_ARTICLE_RUN_IN,
    ZH_RUN_IN,
    ZH_RUN_IN_MAX,
    is_figures,
    match_line,
    zh_run_in_rank,
)
from policy_search.model import Block, Page, Paragraph

SENTENCE_END = ".!?。！？…"
CLAUSE_END = ":;：；"
CLOSERS = "\"'”’」』)）]】"
_CJK_CONTINUATION = "，、。；：）」』”！？"
WRAP_WIDTH_MAX = 130  # display columns: a block no wider than this is hard-wrapped text
BULLET = re.compile(r"^(?:[-•·*▪◦]|\d{1,2}\))\s+\S")
_MD_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_MD_UNDERLINE = re.compile(r"^\s*(=+|-+)\s*$")
_MD_RANKS = {1: CHAPTER, 2: SECTION, 3: SUBSECTION, 4: LEVEL1, 5: LEVEL2, 6: ITEM}
_TITLE_TAG = re.compile(r"^【[^】]{1,12}】\s*")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_LATIN_SENTENCE_END = re.compile(r"[.!?][\"”’)]?(?=\s|$)")


@dataclass(frozen=True)
class _Line:
    text: str
    page: int | None
    label: str
    page_start: bool


@dataclass(frozen=True)
class _Heading:
    text: str
    rank: int
    article: bool = False
    #: where the heading stands, for when it turns out to be a list item of an article
    page: int | None = None
    label: str = ""


@dataclass
class _Para:
    text: str
    page: int | None
    label: str
    last_line: str
    width: int
    bullet: bool
    lines: int = 1
    breaks: list[tuple[int, int | None, str]] | None = None


def display_width(text: str) -> int:
    """Columns the text takes in a monospace rendering (CJK characters are two wide)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def is_cjk(char: str) -> bool:
    return is_han(char) or unicodedata.east_asian_width(char) in "WF"


def structure(pages: tuple[Page, ...], running_title: str = "") -> tuple[str, list[Paragraph]]:
    """Turn cleaned pages into a document title and its paragraphs with section paths."""
    lines = _flatten(pages)
    title, start = _title(lines, running_title)
    vocabulary = _vocabulary(lines)
    paragraphs = _assign_sections(_paragraphs(lines[start:], vocabulary))
    first = next((i for i, line in enumerate(lines) if line.text), start)
    if not paragraphs and first < start:
        # a text of one line (a one-sentence notice): that line is its title and its passage
        paragraphs = _assign_sections(_paragraphs(lines[first:], vocabulary))
    return title, paragraphs


def structure_blocks(blocks: tuple[Block, ...], title: str) -> tuple[str, list[Paragraph]]:
    """Paragraphs with section paths from the blocks of a structured document.

    Its headings are marked (h1-h6, Word's heading styles), and a paragraph that the document's
    own numbering makes a heading (第一章, 一、总体要求, Article 5) is one too, unless the document
    marks its headings itself (then only an article heading is taken from the text: "Chapter 13"
    on a cover page is not a heading). A heading's rank comes from its numbering when it has
    one, so numbered headings nest the same way in every format.
    """
    marked = any(block.level for block in blocks)
    # a table of contents is told as in text: its entries, up to the first marked heading
    as_lines = [_Line("" if b.level else b.text, b.page, b.page_label, False) for b in blocks]
    events: list[_Heading | Paragraph] = []
    toc_end = 0
    for index, block in enumerate(blocks):
        if index < toc_end:
            continue
        if not block.level and "\n" not in block.text and (toc_end := _toc_end(as_lines, index)) > index:
            entries = "\n".join(b.text for b in blocks[index:toc_end] if not b.level)
            events.append(Paragraph(entries, (), block.page, block.page_label))
            continue
        rule = match_line(block.text) if "\n" not in block.text else None
        if marked and rule is not None and not block.level and not rule.article:
            rule = None
        if block.level or rule is not None:
            rank = rule.rank if rule else _MD_RANKS[block.level]
            events.append(_Heading(block.text, rank, bool(rule and rule.article), block.page, block.page_label))
        else:
            # no gaps to close: a space between Han characters here is the author's (主题词: 经济管理 考察)
            events.append(Paragraph(block.text, (), block.page, block.page_label))
    return title, _assign_sections(events)


def _flatten(pages: tuple[Page, ...]) -> list[_Line]:
    result: list[_Line] = []
    for page in pages:
        first = True
        for text in page.lines:
            result.append(_Line(text, page.number, page.label, first and bool(text)))
            if text:
                first = False
    return result


def _title(lines: list[_Line], running_title: str) -> tuple[str, int]:
    """The document's title and the index of its first body line."""
    first = next((i for i, line in enumerate(lines) if line.text), None)
    if first is None:
        return running_title, 0
    text = _TITLE_TAG.sub("", lines[first].text).strip()
    if running_title:
        return running_title, first + 1 if text == running_title else first
    looks_like_title = (
        len(text) <= 200
        and not text[:1].islower()
        and not text.endswith((",", "，", ";", "；", ":", "：", "-"))
        and len(_LATIN_SENTENCE_END.findall(text.rstrip(".。"))) == 0
        and text.count("。") <= 1
        and not BULLET.match(text)
    )
    if not looks_like_title:
        return "", first
    if match_line(text) or _is_underlined(lines, first):
        return text, first  # a heading that is also the title stays in the section path
    return text.rstrip("。"), first + 1


def _is_underlined(lines: list[_Line], index: int) -> bool:
    nxt = index + 1
    return nxt < len(lines) and bool(_MD_UNDERLINE.match(lines[nxt].text)) and bool(lines[index].text)


def _heading_of(lines: list[_Line], index: int) -> tuple[_Heading | None, int]:
    """The heading that starts at lines[index], if any, and the index after it."""
    text = lines[index].text
    atx = _MD_ATX.match(text)
    if atx:
        inner = atx.group(2)
        rule = match_line(inner)
        rank = rule.rank if rule else _MD_RANKS[len(atx.group(1))]
        return _Heading(inner, rank, bool(rule and rule.article)), index + 1
    underlined = _is_underlined(lines, index)
    rule = match_line(text)
    if rule is None and not underlined:
        return None, index
    after = index + 2 if underlined else index + 1
    if rule is None:
        rank = CHAPTER if lines[index + 1].text.strip().startswith("=") else SECTION
        return _Heading(text, rank), after
    if not rule.article and text.split()[-1].lower() in RUNS_ON:
        # a numbered line that ends on "for" or "of" goes on: a labelled heading set on two lines
        # ("Chapter 2 The Role of" / "the State"), or a sentence ("Section C — Use if you
        # checked filing status box 3, 4, or 5 for" / "Married filing separately. Complete ...",
        # a footnote's "10 A flight control law generates commands to" / "move flight ...")
        nxt = lines[after].text if after < len(lines) and rule.label_only else ""
        if nxt and _is_heading_title(nxt) and not TWO_SENTENCES.search(f"{text} {nxt}"):
            return _Heading(f"{text} {nxt}", rule.rank), after + 1
        return None, index
    if rule.label_only and len(text.split()) <= 2:
        # "Section 1" / "Box 12": the title is on the next non-blank line
        at = after
        while at < len(lines) and not lines[at].text:
            at += 1
        if at < len(lines) and _is_heading_title(lines[at].text):
            return _Heading(f"{text} {lines[at].text}", rule.rank), at + 1
    return _Heading(text, rule.rank, rule.article), after


def _is_heading_title(text: str) -> bool:
    return (
        len(text) <= 150
        and text[-1] not in SENTENCE_END + CLAUSE_END + ","
        and match_line(text) is None
        and not BULLET.match(text)
    )


_TOC_TITLE = re.compile(r"^(?:目\s*[录錄次]|contents|table of contents|table des matières|sommaire)$", re.IGNORECASE)
# an entry of a table of contents: a title, dot leaders, a page ("一、2015年工作回顾. . . . 1", "Purpose ..... 1-1")
_TOC_ENTRY = re.compile(r"^\S.*?\s*(?:[.·•…‧_]\s*){3,}\s*(?:\d{1,4}(?:[-–]\d{1,4})?|[ivxlcdm]{1,6})$", re.IGNORECASE)


def _toc_end(lines: list[_Line], start: int) -> int:
    """Where a table of contents that starts at ``lines[start]`` ends (``start`` if none does).

    A table of contents is a title line (目录, Contents, Sommaire) followed by entries, or a run
    of three entries with dot leaders and page numbers; it ends where the text begins or where an
    entry comes again (the first heading of the body). Its entries repeat the headings: read as
    headings, they would put the body that follows under the last entry.
    """
    titled = bool(_TOC_TITLE.match(lines[start].text.strip()))
    end = start + 1 if titled else start
    entries: set[str] = set()
    while end < len(lines):
        text = lines[end].text.strip()
        if not text:
            end += 1
            continue
        leader = len(text) <= 300 and bool(_TOC_ENTRY.match(text))  # an entry is a line, not a page of dots
        listed = titled and (match_line(text) is not None or _is_heading_title(text) and len(text) <= 120)
        if not (leader or listed) or text in entries:
            break  # the text begins, or its first heading repeats the first entry
        entries.add(text)
        end += 1
    while end > start and not lines[end - 1].text:
        end -= 1
    return end if len(entries) >= (1 if titled else 3) else start


def _paragraphs(lines: list[_Line], vocabulary: set[str]) -> list[_Heading | Paragraph]:
    """Reflow lines into paragraphs and headings, in reading order."""
    widths = _block_widths(lines)
    # web text: one paragraph per line, most lines wider than a printed page
    line_widths = sorted(widths[i] for i, line in enumerate(lines) if line.text)
    web_text = bool(line_widths) and line_widths[len(line_widths) // 2] > WRAP_WIDTH_MAX
    events: list[_Heading | Paragraph] = []
    para: _Para | None = None
    gap = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.text:
            gap = True
            i += 1
            continue
        toc_end = _toc_end(lines, i) if not _mid_sentence(para, gap, line) else i
        if toc_end > i:  # a table of contents: one passage of its entries, no headings
            events.extend(_flush(para, web_text))
            para, gap = None, False
            entries = [entry.text.strip() for entry in lines[i:toc_end] if entry.text]
            events.append(Paragraph("\n".join(entries), (), line.page, line.label))
            i = toc_end
            continue
        heading, after = _heading_of(lines, i) if not _mid_sentence(para, gap, line) else (None, i)
        if heading is not None:
            events.extend(_flush(para, web_text))
            para, gap = None, False
            events.append(replace(heading, page=line.page, label=line.label))
            i = after
            continue
        if _MD_UNDERLINE.match(line.text):
            i += 1  # a Markdown rule line between paragraphs
            continue
        width = widths[i]
        bullet = bool(BULLET.match(line.text))
        if para is not None and _joins(para, line, width, gap, bullet):
            _append(para, line, vocabulary)
        else:
            events.extend(_flush(para, web_text))
            para = _Para(line.text, line.page, line.label, line.text, width, bullet, breaks=[])
        gap = False
        i += 1
    events.extend(_flush(para, web_text))
    return events


def _mid_sentence(para: _Para | None, gap: bool, line: _Line) -> bool:
    """Whether a line goes on with a sentence that a wrapped line left open.

    Such a line is never a heading, whatever it starts with: "section 877(a), you are ..."
    or "10 tax years after ..." in the middle of a paragraph. Markdown headings are explicit.
    """
    if para is None or gap or line.page_start or _MD_ATX.match(line.text):
        return False
    last = para.last_line.rstrip().rstrip(CLOSERS)
    return bool(last) and last[-1] not in SENTENCE_END + CLAUSE_END and display_width(para.last_line) >= 0.6 * para.width


def _block_widths(lines: list[_Line]) -> list[int]:
    """For each line, the widest line of its block (consecutive non-blank lines)."""
    widths = [0] * len(lines)
    start = 0
    for end in range(len(lines) + 1):
        if end == len(lines) or not lines[end].text:
            block = lines[start:end]
            width = max((display_width(b.text) for b in block), default=0)
            for k in range(start, end):
                widths[k] = width
            start = end + 1
    return widths


def _joins(para: _Para, line: _Line, width: int, gap: bool, bullet: bool) -> bool:
    """Whether ``line`` continues the paragraph ``para`` (the heart of reflow)."""
    if bullet:
        return para.bullet and not gap  # consecutive bullets make one list
    prev = para.last_line.rstrip()
    nxt = line.text.lstrip()
    last, first = prev[-1], nxt[0]
    stripped = prev.rstrip(CLOSERS)
    last_mark = stripped[-1] if stripped else last
    lower_start = first.islower() or first in _CJK_CONTINUATION
    wrapped = para.width <= WRAP_WIDTH_MAX
    full = wrapped and display_width(prev) >= 0.7 * para.width
    if gap or line.page_start:
        # A blank line or a page break inside a sentence: the sentence goes on.
        if last_mark in SENTENCE_END or last_mark in CLAUSE_END:
            return line.page_start and not gap and first.islower()
        if lower_start:
            return True
        if line.page_start and full:
            return True
        long_paragraph = len(_LATIN_SENTENCE_END.findall(para.text)) + para.text.count("。") >= 1
        return long_paragraph and len(nxt) > 100 and len(para.text) > 100
    if para.bullet:
        return lower_start or (full and last_mark not in SENTENCE_END)
    if last_mark in SENTENCE_END:
        return full and first.islower()
    if last_mark in CLAUSE_END:
        return full or lower_start
    if full or lower_start or last in ",，、-–(（":
        return True
    if wrapped and not is_cjk(last) and last.isalnum():
        # a short wrapped line that stops mid-sentence inside a paragraph ("(Komite Nasional
        # Keselamatan" / "Transportasi (KNKT))"): a justified line broke early, the sentence goes on
        return True
    return wrapped and is_cjk(last) and is_cjk(first) and len(prev) >= 15


def _append(para: _Para, line: _Line, vocabulary: set[str]) -> None:
    text, nxt = para.text, line.text.strip()
    if para.bullet and BULLET.match(nxt):
        joined = text + "\n" + nxt
    elif text.endswith("-") and len(text) > 1 and text[-2].isalpha() and nxt[:1].islower():
        joined = text[:-1] + nxt if _dehyphenate(text, nxt, vocabulary) else text + nxt
    elif text.endswith("-") and len(text) > 1 and text[-2].isdigit() and nxt[:1].isdigit():
        joined = text + nxt  # a number wrapped at its hyphen: "demande 2023-" / "0379;"
    elif text.endswith("-") and len(text) > 1 and text[-2].isalpha() and nxt[:1].isupper():
        joined = text + nxt  # a compound name wrapped at its hyphen: "Soekarno-" / "Hatta"
    elif is_cjk(text[-1]) and is_cjk(nxt[0]):
        joined = text + nxt
    else:
        joined = text + " " + nxt
    if line.page != para.page or line.label != para.label:
        if not para.breaks or para.breaks[-1][1] != line.page:
            assert para.breaks is not None
            para.breaks.append((len(joined) - len(nxt), line.page, line.label))
    para.text = joined
    para.last_line = line.text
    para.lines += 1


def _vocabulary(lines: list[_Line]) -> set[str]:
    """The words the document uses on their own: not the halves of a word broken at a line end."""
    found: set[str] = set()
    broken_before = False
    for line in lines:
        words = _WORD.findall(line.text)
        broken = line.text.rstrip().endswith("-")
        found.update(w.lower() for w in words[int(broken_before) : len(words) - int(broken)])
        broken_before = broken
    return found


def _dehyphenate(text: str, nxt: str, vocabulary: set[str]) -> bool:
    """Whether a line-end hyphen is typesetting (dropped) rather than part of a compound word."""
    head = _WORD.findall(text[:-1])[-1:] or [""]
    tail = _WORD.findall(nxt)[:1] or [""]
    left, right = head[0].lower(), tail[0].lower()
    if left + right in vocabulary:
        return True
    # a compound (dommages-intérêts) is two words the document also uses on their own
    return not (f"{left}-{right}" in vocabulary or (left in vocabulary and right in vocabulary))


def _flush(para: _Para | None, web_text: bool) -> list[_Heading | Paragraph]:
    if para is None:
        return []
    text = _close_han_gaps(para.text)
    if web_text and _is_subheading(para):
        return [_Heading(text, LEVEL2, page=para.page, label=para.label)]
    return [Paragraph(text, (), para.page, para.label, breaks=tuple(para.breaks or ()))]


def _is_subheading(para: _Para) -> bool:
    """A short unpunctuated line standing alone in web text (news-style subheading)."""
    text = para.text
    return (
        para.lines == 1
        and not para.bullet
        and 10 <= len(text) <= 150
        and text[-1].isalnum()
        and text[0].isupper()
        and not any(is_cjk(c) for c in text[:20])
        and not is_figures(text)
    )


_CJK_CLASS = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff0f\uff1a-\uff20“”"
# a space between two CJK characters, or after ASCII punctuation that follows one
_HAN_GAP = re.compile(rf"(?:(?<=[{_CJK_CLASS}])|(?<=[{_CJK_CLASS}][,.;:!?)])) +(?=[{_CJK_CLASS}])")


def _close_han_gaps(text: str) -> str:
    """Remove spaces that wrapping left between two Han characters (近年來,在 區域發展)."""
    return _HAN_GAP.sub("", text)


def _assign_sections(events: list[_Heading | Paragraph]) -> list[Paragraph]:
    """Walk headings and paragraphs in order, giving each paragraph its section path.

    Inside an article, numbered lines (一、, (1), (a)) are the article's list items, not
    headings: they stay in its text, and the next article is not nested under them.
    """
    stack: list[_Heading] = []
    group: int | None = None
    groups = 0
    result: list[Paragraph] = []
    # headings that no paragraph has stood under yet: one closed so is kept as a passage of its
    # own (an agenda item with no text, a heading followed at once by its sibling), not lost
    bare: set[int] = set()

    def close(heading: _Heading) -> None:
        if id(heading) in bare:
            bare.discard(id(heading))
            result.append(Paragraph(heading.text, tuple(h.text for h in stack), heading.page, heading.label, group))

    def open_heading(heading: _Heading) -> None:
        nonlocal group, groups
        if CAPTION_LINE.match(heading.text) and not heading.article:
            heading = replace(heading, rank=CAPTION)
        while stack and stack[-1].rank >= heading.rank:
            close(stack.pop())
        stack.append(heading)
        bare.add(id(heading))
        if heading.article:
            groups += 1
            group = groups
        else:
            group = None

    def list_item(heading: _Heading | None) -> bool:
        return heading is not None and bool(stack) and stack[-1].article and not heading.article and heading.rank > SUBSECTION

    for event in events:
        if isinstance(event, _Heading):
            if not list_item(event):
                open_heading(event)
                continue
            event = Paragraph(event.text, (), event.page, event.label)
        while stack and stack[-1].rank == CAPTION and not _table_goes_on(stack[-1], event):
            close(stack.pop())
        if stack and stack[-1].rank == CAPTION and stack[-1].page != event.page:
            moved = replace(stack[-1], page=event.page)  # its table has reached this page
            if id(stack[-1]) in bare:
                bare.symmetric_difference_update({id(stack[-1]), id(moved)})
            stack[-1] = moved
        pieces = _run_in(event.text)
        if all(heading is None or list_item(heading) for heading, _, _ in pieces):
            pieces = [(None, event.text, 0)]
        for heading, body, offset in pieces:
            if heading is not None:
                open_heading(heading)
            if body:
                page, label = event.page_at(offset)
                breaks = tuple((o - offset, p, lab) for o, p, lab in event.breaks if o > offset)
                path = tuple(h.text for h in stack)
                result.append(Paragraph(body, path, page, label, group, breaks))
                bare.difference_update(id(h) for h in stack)
    while stack:
        close(stack.pop())
    return result


def _table_goes_on(caption: _Heading, paragraph: Paragraph) -> bool:
    """Whether a paragraph is still under a table's heading: on the heading's page, or on a later
    page that the table goes on to (rows of figures, "(continued)", 续表)."""
    if paragraph.page is None or caption.page is None or paragraph.page <= caption.page:
        return True
    first = paragraph.text.split("\n", 1)[0]
    return is_figures(first) or bool(CONTINUED.match(first))


def _run_in(text: str) -> list[tuple[_Heading | None, str, int]]:
    """Split run-in headings off a paragraph: [(heading or None, body, body offset)]."""
    if is_cjk(text[0]) or text[0] in "(（":
        chinese = _zh_run_in(text)
        if chinese is not None:
            return [chinese]
    cuts = _latin_run_in(text)
    if not cuts:
        return [(None, text, 0)]
    result: list[tuple[_Heading | None, str, int]] = []
    if cuts[0][0] > 0:
        result.append((None, text[: cuts[0][0]].strip(), 0))
    for k, (start, body_start, heading) in enumerate(cuts):
        end = cuts[k + 1][0] if k + 1 < len(cuts) else len(text)
        body = text[body_start:end]
        if heading.rank == ITEM and not body.strip():
            # a numbered sentence with nothing after it is an item of a list, not a heading
            # ("(6) In the Operating Procedures chapter, add the information in figure 5 ...")
            result.append((None, text[start:end].strip(), start))
            continue
        offset = body_start + len(body) - len(body.lstrip())
        result.append((heading, body.strip(), offset))
    return result


def _zh_run_in(text: str) -> tuple[_Heading | None, str, int] | None:
    article = ZH_ARTICLE_RUN_IN.match(text)
    if article:
        return _Heading(article.group(1), ARTICLE, article=True), text[article.end() :], article.end()
    marker = ZH_RUN_IN.match(text)
    if not marker:
        return None
    stop = text.find("。", marker.end())
    if stop == -1 or stop > ZH_RUN_IN_MAX:
        return None
    heading = _Heading(text[:stop].strip(), zh_run_in_rank(marker.group(0)))
    body = text[stop + 1 :]
    offset = stop + 1 + len(body) - len(body.lstrip())
    return heading, body.strip(), offset


def _latin_run_in(text: str) -> list[tuple[int, int, _Heading]]:
    """Ordinal headings (First, ... / Premièrement, ...) and numbered items ((1) Guiding ideas.)."""
    cuts: list[tuple[int, int, _Heading]] = []
    for found in ORDINAL.finditer(text):
        start = found.start()
        if not _at_sentence_start(text, start):
            continue
        stop = _sentence_end(text, found.end())
        item = NUMBERED_ITEM.search(text, found.end(), start + LATIN_RUN_IN_MAX)
        if item and (stop is None or item.start() < stop):
            cuts.append((start, item.start(), _Heading(text[start : item.start()].strip(), LEVEL1)))
        elif start == 0 and stop is not None and stop - start <= LATIN_RUN_IN_MAX:
            cuts.append((start, stop + 1, _Heading(text[start:stop].strip(), LEVEL1)))
    ordinal_bodies = {body for _, body, _ in cuts}
    for found in NUMBERED_ITEM.finditer(text):
        start = found.start()
        if not (_at_sentence_start(text, start) or start in ordinal_bodies):
            continue
        stop = _sentence_end(text, found.end())
        if stop is not None and stop - start <= 150:
            cuts.append((start, stop + 1, _Heading(text[start:stop].strip(), ITEM)))
    cuts.sort(key=lambda cut: cut[0])
    return cuts


def _at_sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    return not before or before[-1] in SENTENCE_END or before.endswith(("。", "”", '"'))


def _sentence_end(text: str, start: int) -> int | None:
    found = _LATIN_SENTENCE_END.search(text, start)
    return found.start() if found else None


__all__ = ["structure", "structure_blocks", "is_cjk", "display_width", "is_han", "LEVEL3", "LEVEL4"]
