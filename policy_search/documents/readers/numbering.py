"""Word's list numbering: the number Word draws before a paragraph ("第一章", "1.2", "(a)").

It is not in the paragraph's text but computed from the numbering definitions
(``word/numbering.xml``): a counter per list and level, a format per level (decimal,
letters, roman, Chinese counting) and a pattern ("%1.%2.") that joins the levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ZH_DIGITS = "零一二三四五六七八九"
_ZH_TRADITIONAL = "甲乙丙丁戊己庚辛壬癸"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


@dataclass(frozen=True)
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    suffix: str = "\t"
    legal: bool = False
    style: str = ""


@dataclass
class Numbering:
    """The numbering definitions of one document and the counters of its lists."""

    #: numId -> levels (ilvl -> _Level), start overrides applied
    lists: dict[str, dict[int, _Level]] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: Any) -> Numbering:
        try:
            part = document.part.numbering_part
        except (KeyError, NotImplementedError, AttributeError):
            return cls()
        root = part.element
        abstract = {a.get(f"{W}abstractNumId"): _levels(a) for a in root.findall(f"{W}abstractNum")}
        lists: dict[str, dict[int, _Level]] = {}
        for num in root.findall(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            levels = dict(abstract.get(ref.get(f"{W}val") if ref is not None else None, {}))
            for override in num.findall(f"{W}lvlOverride"):
                ilvl = int(override.get(f"{W}ilvl", "0"))
                start = override.find(f"{W}startOverride")
                if start is not None and ilvl in levels:
                    levels[ilvl] = _replace_start(levels[ilvl], _int(start.get(f"{W}val"), 1))
            lists[num.get(f"{W}numId", "")] = levels
        return cls(lists)

    def label(self, p: Any, style: Any) -> str:
        """The number Word draws before paragraph ``p`` (with its tab or space), advancing the
        list's counter; empty when the paragraph is not numbered."""
        num_id, ilvl = _num_pr(p, style)
        levels = self.lists.get(num_id or "")
        if not levels:
            return ""
        if ilvl is None:
            style_id = style.style_id if style is not None else ""
            ilvl = next((k for k, lvl in levels.items() if lvl.style and lvl.style == style_id), 0)
        level = levels.get(ilvl)
        if level is None:
            return ""
        counters = self.counters.setdefault(num_id or "", {})
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a higher level restarts the levels below it
        if level.fmt == "none":
            return ""
        text = level.text
        for k in range(ilvl, -1, -1):
            if f"%{k + 1}" in text:
                at = levels.get(k, _Level())
                value = counters.get(k, at.start)
                text = text.replace(f"%{k + 1}", _format(value, "decimal" if level.legal and k < ilvl else at.fmt))
        if level.fmt == "bullet":
            text = "•"
        return text + level.suffix if text else ""


def _levels(abstract: Any) -> dict[int, _Level]:
    levels = {}
    for lvl in abstract.findall(f"{W}lvl"):
        def val(tag: str, default: str, lvl: Any = lvl) -> str:
            node = lvl.find(f"{W}{tag}")
            return node.get(f"{W}val", default) if node is not None else default

        suffix = {"tab": "\t", "space": " ", "nothing": ""}.get(val("suff", "tab"), "\t")
        levels[int(lvl.get(f"{W}ilvl", "0"))] = _Level(
            start=_int(val("start", "1"), 1),
            fmt=val("numFmt", "decimal"),
            text=val("lvlText", ""),
            suffix=suffix,
            legal=lvl.find(f"{W}isLgl") is not None,
            style=val("pStyle", ""),
        )
    return levels


def _replace_start(level: _Level, start: int) -> _Level:
    return _Level(start, level.fmt, level.text, level.suffix, level.legal, level.style)


def _num_pr(p: Any, style: Any) -> tuple[str | None, int | None]:
    """The list and level of a paragraph: its own numPr, else its style's (and base styles')."""
    num_pr = p.find(f"{W}pPr/{W}numPr")
    current = style
    while num_pr is None and current is not None:
        num_pr = current.element.find(f"{W}pPr/{W}numPr")
        current = current.base_style
    if num_pr is None:
        return None, None
    num_id = num_pr.find(f"{W}numId")
    ilvl = num_pr.find(f"{W}ilvl")
    value = num_id.get(f"{W}val") if num_id is not None else None
    if value in (None, "0"):
        return None, None
    return value, _int(ilvl.get(f"{W}val"), 0) if ilvl is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default


def _format(n: int, fmt: str) -> str:
    if fmt in ("decimal", "decimalHalfWidth"):
        return str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    if fmt in ("upperLetter", "lowerLetter"):
        letters = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else ""
        return letters if fmt == "upperLetter" else letters.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        roman = _roman(n)
        return roman.upper() if fmt == "upperRoman" else roman
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting",
               "taiwaneseCountingThousand", "japaneseCounting", "ideographDigital"):
        return _chinese(n)
    if fmt in ("ideographTraditional",) and 1 <= n <= 10:
        return _ZH_TRADITIONAL[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return _CIRCLED[n - 1]
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out += letters
            n -= value
    return out


def _chinese(n: int) -> str:
    """一 .. 九十九 as Chinese counting writes them (十一, 二十, 一百零五)."""
    if n <= 0 or n >= 10000:
        return str(n)
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        digit, n = divmod(n, value)
        if digit:
            out += ("" if value == 10 and digit == 1 and not out else _ZH_DIGITS[digit]) + unit
        elif out and n:
            out += "" if out.endswith("零") else "零"
    if n:
        out += _ZH_DIGITS[n]
    return out
