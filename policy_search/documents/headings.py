"""Heading patterns per language, as tables: which lines and run-in phrases open a section.

A heading has a *rank*: a heading of rank r closes every open heading of rank >= r and opens
under the rest, so `Chapter > Section > Box > item` and `一、 > （一） > 1.` nest without a
per-document outline. Ranks are shared across languages so mixed documents nest sensibly.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_ZH_NUM = "一二三四五六七八九十百千零〇两兩"
_ROMAN = "IVXLC"

PART, TITLE, CHAPTER, SECTION, SUBSECTION, LEVEL1, LEVEL2, ITEM, LEVEL3, LEVEL4, ARTICLE, CAPTION = range(12)

# the heading of a table or a figure: it covers its table, under the section it stands in
CAPTION_LINE = re.compile(
    r"^(?:table|tableau|figure|fig\.|chart|graph|exhibit|schedule|annex table)\s*[\dA-Z]"
    r"|^(?:附表|续表|續表|表|图|圖)\s*[\d一二三四五六七八九十]",
    re.IGNORECASE,
)
# the first words of a page where a table goes on from the page before
CONTINUED = re.compile(r"^[(（]?(?:continued|cont[’']d|suite)\b|^(?:续表|續表)|^[(（][续續][)）]", re.IGNORECASE)


@dataclass(frozen=True)
class HeadingRule:
    """A line pattern that makes a heading.

    ``label_only`` headings ("Section 1", "Box 12") take the next short line as their title;
    ``article`` headings keep their paragraphs together as one passage.
    """

    pattern: re.Pattern[str]
    rank: int
    label_only: bool = False
    article: bool = False
    max_length: int = 120


def _rule(pattern: str, rank: int, ignore_case: bool = True, **options: object) -> HeadingRule:
    flags = re.IGNORECASE if ignore_case else 0
    return HeadingRule(re.compile(pattern, flags), rank, **options)  # type: ignore[arg-type]


# Headings that stand on a line of their own. Checked in order; the first match wins.
LINE_RULES: tuple[HeadingRule, ...] = (
    # Chinese: 第一编 / 第 一 章 總綱 / 第一节 / 第 1 條 (laws put a space between everything)
    _rule(rf"^第[\s{_ZH_NUM}\d]+[编編](\s|$)", PART),
    _rule(rf"^第[\s{_ZH_NUM}\d]+章(\s|$)", CHAPTER),
    _rule(rf"^第[\s{_ZH_NUM}\d]+[节節](\s|$)", SECTION),
    _rule(rf"^第[\s{_ZH_NUM}\d]+[条條](之[{_ZH_NUM}\d]+)?$", ARTICLE, article=True),
    _rule(rf"^[{_ZH_NUM}]+、\S", LEVEL1, max_length=40),
    _rule(rf"^[(（][{_ZH_NUM}]+[)）]\s*\S", LEVEL2, max_length=40),
    _rule(r"^\d{1,2}[.．、]\s*[\u4e00-\u9fff]", LEVEL3, max_length=40),
    _rule(r"^[(（]\d{1,2}[)）]\s*[\u4e00-\u9fff]", LEVEL4, max_length=40),
    # English and French
    _rule(rf"^(part|partie|livre|book)\s+([{_ROMAN}]+|\d+|premier|one|two|three|four|five)\b", PART),
    _rule(rf"^(titre|title)\s+([{_ROMAN}]+|\d+|premier|préliminaire)\b", TITLE, label_only=True),
    _rule(rf"^(chapter|chapitre)\s+([{_ROMAN}]+|\d+|premier|ier)\b", CHAPTER, label_only=True),
    _rule(rf"^(section)\s+([{_ROMAN}]+|\d+|premi[eè]re|1re)\b", SECTION, label_only=True),
    _rule(rf"^(sous-section|subsection|paragraphe)\s+([{_ROMAN}]+|\d+)\b", SUBSECTION, label_only=True),
    _rule(r"^(box|encadré)\s+\d+\b", LEVEL1, label_only=True),
    _rule(r"^(article|art\.)\s+(\d+[-\d]*(\s*(bis|ter|quater))?|[IVXLC]+|premier|1er|unique)\.?$", ARTICLE, article=True),
    _rule(rf"^[{_ROMAN}]+\.\s+[A-ZÀ-Ý]", SUBSECTION, max_length=100),
    # numbered items of a box or list, "01 Border cities and towns" (capitalised: "16 avril 2013" is a date)
    _rule(r"^(0[1-9]|[1-9]\d)\s+[A-ZÀ-Ý][^.!?;:]*$", ITEM, ignore_case=False, max_length=80),
)

# Run-in headings at the start of a paragraph (or after a sentence): the heading is the
# marker and the phrase up to the first full stop; the body follows on the same line.
_EN_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
_FR_ORDINALS = (
    "premièrement deuxièmement troisièmement quatrièmement cinquièmement sixièmement "
    "septièmement huitièmement neuvièmement dixièmement"
)
ORDINAL = re.compile(r"\b(?:" + "|".join((_EN_ORDINALS + " " + _FR_ORDINALS).split()) + r"),\s", re.IGNORECASE)
NUMBERED_ITEM = re.compile(r"\((\d{1,2})\)\s+(?=[A-ZÀ-Ý])")
ZH_RUN_IN = re.compile(
    rf"^(?:[(（][{_ZH_NUM}]+[)）]|[{_ZH_NUM}]+、|[(（]\d{{1,2}}[)）]|\d{{1,2}}[.．、](?!\d))\s*"
)
ZH_ARTICLE_RUN_IN = re.compile(rf"^(第[{_ZH_NUM}\d]+[条條](?:之[{_ZH_NUM}\d]+)?)\s*(?=\S)")
ZH_RUN_IN_MAX = 40  # characters of a run-in Chinese heading, up to its 。
LATIN_RUN_IN_MAX = 200


def zh_run_in_rank(marker: str) -> int:
    """Rank of a Chinese run-in heading from its marker."""
    marker = marker.strip()
    if re.match(rf"^[(（][{_ZH_NUM}]+[)）]", marker):
        return LEVEL2
    if re.match(rf"^[{_ZH_NUM}]+、", marker):
        return LEVEL1
    if re.match(r"^[(（]\d", marker):
        return LEVEL4
    return LEVEL3


# words a title does not end on: the sentence goes on to the next line
RUNS_ON = frozenset(
    "a an and as at by for from in into of on or the to with that which who whose "
    "à au aux de des du en et la le les ou par pour sur un une".split()
)

# a sentence that ends and another that begins: "... for Married filing separately. Complete the
# row below that" (not "Docket No. FAA", "U.S. Trade" or "Directives; The Boeing Company")
TWO_SENTENCES = re.compile(r"[a-zà-ÿ]{3,}[.!?]\s+[A-ZÀ-Ý]")

# after a label's number: a sub-reference ("Section 72(m)(5) excess", a citation) or a word in
# lower case with no colon or dash between ("Section 2829 is part of", "Chapter 3 of this report")
_CITED_OR_RUNS_ON = re.compile(r"\(|\s+[a-zà-ÿ]")


def match_line(line: str) -> HeadingRule | None:
    """The rule that makes this whole line a heading, if any."""
    if len(line) > 200:
        return None
    stripped = line.rstrip()
    if stripped.endswith((",", ";", "，", "；")) or line[:1].islower():
        return None  # a heading's first word is capitalised: "section 871(a), you" is a wrapped sentence
    for rule in LINE_RULES:
        found = rule.pattern.match(line)
        if found and len(line) <= max(rule.max_length, 12):
            latin_label = (rule.label_only or rule.rank == PART) and line[:1].isascii()
            if latin_label and _CITED_OR_RUNS_ON.match(line, found.end()):
                return None
            if stripped.endswith(".") and not rule.article and len(stripped) > 60:
                return None
            if rule.rank in (LEVEL1, LEVEL2, LEVEL3, LEVEL4) and not rule.label_only:
                # a Chinese numbered line is a heading when it is short and not a sentence body
                if "。" in line.rstrip("。") or len(line) > rule.max_length:
                    return None
            return rule
    return None


_NUMBER = re.compile(r"^[-+(]?[$€£¥]?\d[\d.,:/%)-]*$")
_DECIMAL = re.compile(r"\d[.,]\d")


def is_figures(line: str) -> bool:
    """Whether a line is a table's row of figures ("Cornstalks 41.25 39.38 52.00", "Chicago 30.50
    unq 28.00 Tallows"), which no heading is: after any leading numbering, two numbers side by side
    (a date's "24, 2017" is not), two decimal numbers, or numbers in three words or more that make
    up half the line."""
    words = line.split()[1:]
    numbers = [bool(_NUMBER.match(word)) and not word.endswith(",") for word in words]
    side_by_side = any(a and b for a, b in itertools.pairwise(numbers))
    decimals = sum(1 for word, number in zip(words, numbers, strict=True) if number and _DECIMAL.search(word))
    return side_by_side or decimals >= 2 or (sum(numbers) >= 3 and 2 * sum(numbers) >= len(words) + 1)
