"""Labelled metadata fields (标题：…, 成文日期：…, Title: …) read into title, date and source.

Government pages put a document's metadata in a table of label/value cells (gov.cn's
索引号 / 发文机关 / 标题 / 成文日期 / 发文字号), and Markdown exported from sites in front matter;
one table of labels serves both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from policy_search.documents.clean import parse_date

_LABEL_SPACE = re.compile(r"[\s\u3000]+")
TITLE_LABELS = {"标题", "標題", "题名", "題名", "名称", "名稱", "title", "titre"}
# the date a document was written (or signed) comes before the date a site published it
DATE_LABELS = (
    {"成文日期", "发文日期", "發文日期", "签发日期", "簽發日期", "date", "date de signature"},
    {"发布日期", "發布日期", "发布时间", "發布時間", "公布日期", "published", "publication date", "date de publication"},
)
SOURCE_LABELS = {"来源", "來源", "官方链接", "官方鏈接", "原文链接", "原文鏈接", "url", "source", "link", "链接"}


@dataclass(frozen=True)
class FieldValues:
    title: str = ""
    date: str = ""
    source_url: str = ""


def normal_label(label: str) -> str:
    """A label as the tables above spell it: no spaces (索 引 号), no colon, lower case."""
    return _LABEL_SPACE.sub("", label).rstrip(":：").casefold()


def read_fields(rows: Iterable[list[str]]) -> FieldValues:
    """Title, date and source from rows of label/value cells (``[label, value, label, value]``)."""
    values: dict[str, str] = {}
    for row in rows:
        for label, value in zip(row[0::2], row[1::2], strict=False):
            key = normal_label(label)
            if label.rstrip().endswith((":", "：")) or key in TITLE_LABELS or key in SOURCE_LABELS:
                values.setdefault(key, value.strip())
    return fields_from(values)


def fields_from(values: dict[str, str]) -> FieldValues:
    """Title, date and source from labelled values (labels already normalised)."""
    title = next((values[k] for k in values if k in TITLE_LABELS and values[k]), "")
    date = ""
    for labels in DATE_LABELS:
        date = next((d for k in values if k in labels and (d := parse_date(values[k]))), "")
        if date:
            break
    source = next((values[k] for k in values if k in SOURCE_LABELS and values[k].startswith("http")), "")
    return FieldValues(title, date, source)


# A title a file's properties carry that is not the document's: the program's name for it
# ("Microsoft Word - 2021报告.docx"), a file name, a template or record id, a placeholder.
_JUNK_TITLE = re.compile(
    r"^(?:microsoft (?:word|powerpoint|excel)\b.*|(?:word|wps) (?:document|文档|文字)|powerpoint\b.*|slide \d+.*"
    r"|.*\.(?:docx?|pdf|indd|wps|rtf|odt|xlsx?|html?|txt)\s*$"
    r"|[A-Za-z0-9_.\-]*\d[A-Za-z0-9_.\-]*|untitled|document\d*|title|无标题|無標題|文档\d*|文檔\d*|\W*)$",
    re.IGNORECASE,
)
_SPACED_HAN = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")
_SPACED_HAN_OR_DIGIT = re.compile(r"(?<=[\u3400-\u9fff\d]) (?=[\u3400-\u9fff\d])")


def clean_title(title: str) -> str:
    """A title fit to show, or empty: junk rejected, letter-spaced Han closed up (公 报 -> 公报),
    none longer than 200 characters (that is a paragraph)."""
    title = re.sub(r"\s+", " ", title).strip()
    if _JUNK_TITLE.match(title) or len(title) > 200:
        return ""
    if len(_SPACED_HAN.findall(title)) >= 2:
        title = _SPACED_HAN_OR_DIGIT.sub("", title)
    return title
