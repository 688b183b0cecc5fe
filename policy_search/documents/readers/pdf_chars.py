"""pdfplumber's pages with their characters turned into dicts a third faster.

``Page.process_object`` turns each of pdfminer's layout objects into the dict pdfplumber's
``page.chars`` hands out, passing every attribute through ``resolve_all`` (which follows
references into the PDF) and naming the object's kind with a regular expression. A page of
the IRS 1040 instructions holds 6,400 characters, each with 17 attributes: that was 1.1 s of
the 1.5 s 8 such pages took to read, with pdfminer's own parse inside it. A character's
attributes are numbers, strings and tuples of numbers, never references, so they are copied as
they are; every other object, and a character with anything else, is left to pdfplumber.
tests/test_pdf.py checks that both give the same characters on real PDFs.
"""

from __future__ import annotations

from typing import Any

from pdfminer.layout import LTChar
from pdfplumber.page import ALL_ATTRS, Page
from pdfplumber.utils.pdfinternals import resolve_and_decode

_PLAIN = frozenset({float, int, str, bool, type(None)})


class _CharsFaster(Page):
    """A pdfplumber page whose characters are converted without resolving what needs none."""

    def process_object(self, obj: Any) -> Any:
        if type(obj) is not LTChar or self.pdf.unicode_norm is not None:
            return super().process_object(obj)
        attr: dict[str, Any] = {}
        for key, value in obj.__dict__.items():
            if key in ALL_ATTRS:
                kind = type(value)
                if not (kind in _PLAIN or (kind is tuple and all(type(v) in _PLAIN for v in value))):
                    return super().process_object(obj)  # something to resolve: pdfplumber does it
                attr[key] = value
        if type(attr.get("fontname")) is not str:
            return super().process_object(obj)
        attr["object_type"] = "char"
        attr["page_number"] = self.page_number
        for space in ("ncs", "scs"):
            if hasattr(obj, space):
                attr[space] = resolve_and_decode(getattr(obj, space).name)
        attr["text"] = obj.get_text()
        state = obj.graphicstate
        attr["stroking_color"] = state.scolor if isinstance(state.scolor, tuple) else (state.scolor,)
        attr["non_stroking_color"] = state.ncolor if isinstance(state.ncolor, tuple) else (state.ncolor,)
        # pdfminer places objects relative to the MediaBox; pdfplumber moves them back
        box_x0, box_top = self.mediabox[:2]
        attr["top"] = (self.height - attr["y1"]) + box_top
        attr["bottom"] = (self.height - attr["y0"]) + box_top
        attr["doctop"] = self.initial_doctop + attr["top"]
        if box_x0 != 0:
            attr["x0"] = attr["x0"] + box_x0
            attr["x1"] = attr["x1"] + box_x0
        return attr


def with_faster_chars(page: Any) -> Any:
    """The same page, its characters (parsed when first asked for) converted faster."""
    if type(page) is Page:
        page.__class__ = _CharsFaster  # a subclass with no state of its own
    return page
