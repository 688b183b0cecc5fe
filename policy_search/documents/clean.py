"""Scrape noise out of the text: page chrome, navigation lists, counters, glosses, trailers.

Each rule is a table of patterns, not a special case of one file: the same chrome, counters
and glosses recur across the government web pages users save.
"""

from __future__ import annotations

import re
from dataclasses import replace

from policy_search.model import Block, Page

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# Inline noise, removed wherever it occurs.
_INLINE_NOISE = [
    # pinyin glosses inserted after a character: 地(di)區, 號(hao)
    re.compile(rf"(?<=[{_HAN}])[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]{{1,6}}[1-5]?[)）]"),
    # stock tickers linked into the text: 重要農產品(000061,股吧)
    re.compile(r"[(（]\d{6}[,，]\s*股吧[)）]"),
    # view counters
    re.compile(r"Read total of \[\d*\] times", re.IGNORECASE),
    re.compile(r"(?:點擊|点击|阅读|閱讀|浏览|瀏覽)(?:次数|次數|量)?\s*[:：]\s*\d*\s*次?"),
]

_LABELLED_FIELD = re.compile(
    r"(?P<label>release date|publication date|published|date|last amended|updated|source"
    r"|日期|时间|時間|发布时间|發布時間|发布日期|發布日期|发文日期|發文日期|成文日期"
    r"|最新異動日期|最新异动日期|来源|來源)\s*[:：]\s*\[?(?P<value>[^\]\s]*)\]?",
    re.IGNORECASE,
)
_DATE_LABELS = {"source", "来源", "來源"}

_ISO_DATE = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})")
_HAN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MONTHS = {
    m: i + 1
    for names in (
        "january february march april may june july august september october november december",
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    )
    for i, m in enumerate(names.split())
}
_WORD_DATE = re.compile(
    r"\b(?:(?P<m1>[A-Za-zéû]+)\s+(?P<d1>\d{1,2}),\s*(?P<y1>\d{4})|(?P<d2>\d{1,2})(?:er)?\s+(?P<m2>[a-zéû]+)\s+(?P<y2>\d{4}))\b"
)
_TIME = re.compile(r"\d{1,2}(?:\s*[:时時]\s*\d{1,2}){1,2}\s*[分秒]?")

# Web-page chrome at the top of a saved page: buttons, font-size widgets, breadcrumbs.
_CHROME = re.compile(
    r"^(?:下载|下載|打印|全屏|收藏|分享|关闭|關閉|返回|首页|首頁|加大|还原|還原|减小|減小|默认|默認"
    r"|【?字[号號体體][:：]?|[大中小]|[】【>|»]|您的位置|当前位置|當前位置|分享到|"
    r"扫一扫\S{0,12}|掃一掃\S{0,12}|print|share|download|home|font size|close)\s*[:：]?$",
    re.IGNORECASE,
)
_BREADCRUMB_START = re.compile(r"^(?:您的位置|当前位置|當前位置|首页|首頁|home)\s*[:：>]?$", re.IGNORECASE)
_NAV_ITEM = re.compile(r"^\s*[-•·*]\s+\S.{0,30}$")
_TRAILER = re.compile(
    r"^\s*(?:相關文章推薦|相关文章推荐|相关报道|相關報導|相关阅读|相關閱讀|相关链接|相關鏈接|相关新闻|相關新聞"
    r"|责任编辑|責任編輯|related (?:articles|stories|news|posts)|recommended reading)\s*[:：]?",
    re.IGNORECASE,
)
_HEADER_ZONE = 25  # lines at the top of a document where chrome and metadata are looked for


def clean_line(line: str) -> str:
    """Remove inline noise and edge whitespace (including U+3000 indents) from one line."""
    for pattern in _INLINE_NOISE:
        line = pattern.sub("", line)
    return line.strip().strip("\ufeff\u200b").strip()


def parse_date(text: str) -> str:
    """The first date in text as YYYY-MM-DD, or empty. Understands ISO, 年月日 and month names."""
    candidates = []
    for pattern in (_ISO_DATE, _HAN_DATE):
        found = pattern.search(text)
        if found:
            candidates.append((found.start(), found.groups()))
    found = _WORD_DATE.search(text)
    if found:
        month_name = (found["m1"] or found["m2"]).lower()
        if month_name in _MONTHS:
            day = found["d1"] or found["d2"]
            year = found["y1"] or found["y2"]
            candidates.append((found.start(), (year, str(_MONTHS[month_name]), day)))
    for _, (year, month, day) in sorted(candidates):
        y, m, d = int(year), int(month), int(day)
        if 1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{m:02d}-{d:02d}"
    return ""


def _metadata(line: str) -> tuple[bool, str]:
    """Whether the line is only metadata (labelled fields, a date, a counter), and its date."""
    date = ""
    for field in _LABELLED_FIELD.finditer(line):
        if field["label"].lower() not in _DATE_LABELS and not date:
            date = parse_date(field["value"])
    rest = _LABELLED_FIELD.sub("", line)
    bare_date = parse_date(rest)
    rest = _TIME.sub("", _HAN_DATE.sub("", _ISO_DATE.sub("", rest)))
    only_metadata = not rest.strip(" \t\u3000,，;；|()（）[]【】-—") and line.strip() != ""
    if only_metadata and not date:
        date = bare_date
    return only_metadata, date


def clean_pages(pages: tuple[Page, ...]) -> tuple[tuple[Page, ...], str]:
    """Clean every page and return the pages and the document date found in its metadata."""
    cleaned = [replace(p, lines=tuple(clean_line(line) for line in p.lines)) for p in pages]
    cleaned = _drop_header_chrome(cleaned)
    cleaned = _drop_trailer(cleaned)
    labelled_date = ""
    header_date = ""
    bare_date = ""
    seen = 0
    result = []
    for page in cleaned:
        lines: list[str] = []
        for line in page.lines:
            if line:
                seen += 1
            only_metadata, date = _metadata(line)
            labelled = bool(_LABELLED_FIELD.search(line))
            if labelled and date and not labelled_date and seen <= _HEADER_ZONE:
                labelled_date = date
            if only_metadata:
                if not labelled and date and not bare_date:
                    bare_date = date
                continue
            if seen <= 10 and not header_date:
                header_date = _header_date(line)
            if lines and line and line == lines[-1]:
                continue  # a repeated line (signature blocks are often doubled)
            lines.append(line)
        result.append(replace(page, lines=tuple(lines)))
    return tuple(result), labelled_date or header_date or bare_date


def clean_blocks(blocks: tuple[Block, ...]) -> tuple[tuple[Block, ...], str]:
    """Clean the blocks of a structured document and return them and the date in its metadata.

    The reader has already cut the page's menus and footers; what is left to drop is inline
    noise, buttons inside the content ("扫一扫在手机打开当前页") and blocks that are only a date.
    """
    result = []
    date = ""
    for block in blocks:
        lines = [line for line in map(clean_line, block.text.split("\n")) if line and not _CHROME.match(line)]
        text = "\n".join(lines)
        if not text:
            continue
        if not block.level:
            only_metadata, found = _metadata(text)
            if only_metadata:
                date = date or found
                continue
        result.append(replace(block, text=text))
    return tuple(result), date


def _header_date(line: str) -> str:
    """A full date in one of the first lines (work reports: ——2014年3月5日在...)."""
    found = _HAN_DATE.search(line)
    return parse_date(found.group(0)) if found else ""


def _drop_header_chrome(pages: list[Page]) -> list[Page]:
    """Drop navigation lists, buttons and breadcrumbs from the top of the first page."""
    if not pages:
        return pages
    lines = list(pages[0].lines)
    keep: list[str] = []
    in_breadcrumb = False
    nav_run: list[int] = []
    for index, line in enumerate(lines):
        if index >= _HEADER_ZONE:
            keep.extend(lines[index:])
            break
        if _BREADCRUMB_START.match(line):
            in_breadcrumb = True
            continue
        if in_breadcrumb and (len(line) <= 8 or line in {">", "»"}):
            continue
        in_breadcrumb = False
        if _CHROME.match(line):
            continue
        if _NAV_ITEM.match(line) and not any(len(k) > 40 for k in keep):
            nav_run.append(len(keep))
        keep.append(line)
    if len(nav_run) >= 3:
        # a list of short links before any text is site navigation, not the document
        drop = set(nav_run)
        keep = [line for i, line in enumerate(keep) if i not in drop]
    return [replace(pages[0], lines=tuple(keep)), *pages[1:]]


def _drop_trailer(pages: list[Page]) -> list[Page]:
    """Cut 'related articles' and similar trailers, and everything after, off the last page."""
    total = sum(len(p.lines) for p in pages)
    position = 0
    for page_index, page in enumerate(pages):
        for line_index, line in enumerate(page.lines):
            position += 1
            if position > 0.7 * total and _TRAILER.match(line):
                cut = replace(page, lines=page.lines[:line_index])
                return [*pages[:page_index], cut]
    return pages
