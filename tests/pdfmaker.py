"""Build small PDFs for the tests: text set where we say (Helvetica), images, unmapped glyphs.

Only what the tests need of the PDF format: one content stream a page, the standard Helvetica
and Helvetica-Bold fonts in WinAnsi encoding (so French accents are real characters), a grey
image, and a CID font without a ToUnicode map (whose glyphs extract as "(cid:NN)").
"""

from __future__ import annotations

import textwrap
import zlib
from dataclasses import dataclass, field


@dataclass
class PageSpec:
    """Text runs (x, y from the bottom, size, text, bold, turned by 0, 90 or -90 degrees), images
    (x, y, w, h) and CID runs."""

    texts: list[tuple[float, float, float, str, bool, int]] = field(default_factory=list)
    images: list[tuple[float, float, float, float]] = field(default_factory=list)
    cid_runs: list[tuple[float, float, float, list[int]]] = field(default_factory=list)

    def text(self, x: float, y: float, size: float, text: str, bold: bool = False, angle: int = 0) -> None:
        self.texts.append((x, y, size, text, bold, angle))

    def column(self, x: float, top: float, width_chars: int, size: float, paragraphs: list[str]) -> float:
        """Set paragraphs wrapped to ``width_chars``, a blank line apart; returns the y below them."""
        y = top
        for paragraph in paragraphs:
            for line in textwrap.wrap(paragraph, width_chars):
                self.text(x, y, size, line)
                y -= size * 1.2
            y -= size * 0.8
        return y


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def build_pdf(pages: list[PageSpec], width: float = 612, height: float = 792) -> bytes:
    """The bytes of a PDF with these pages."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_id = add(b"")
    regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    descriptor = add(b"<< /Type /FontDescriptor /FontName /Unmapped /Flags 4 /FontBBox [0 0 1000 1000] "
                     b"/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>")
    cid_font = add(b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Unmapped /CIDSystemInfo "
                   b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor "
                   + str(descriptor).encode() + b" 0 R /DW 1000 >>")
    type0 = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /Unmapped /Encoding /Identity-H /DescendantFonts ["
                + str(cid_font).encode() + b" 0 R] >>")
    page_ids = []
    for spec in pages:
        ops = []
        xobjects = []
        for x, y, size, text, is_bold, angle in spec.texts:
            font = b"/F2" if is_bold else b"/F1"
            turn = {0: (1, 0), 90: (0, 1), -90: (0, -1)}[angle]  # cos, sin
            matrix = b"%g %g %g %g %g %g Tm" % (turn[0], turn[1], -turn[1], turn[0], x, y)
            ops.append(b"BT " + font + b" %g Tf " % size + matrix + b" (" + _escape(text) + b") Tj ET")
        for x, y, size, glyphs in spec.cid_runs:
            hexed = "".join(f"{g:04X}" for g in glyphs).encode()
            ops.append(b"BT /F3 %g Tf %g %g Td <" % (size, x, y) + hexed + b"> Tj ET")
        for n, (x, y, w, h) in enumerate(spec.images):
            pixels = zlib.compress(bytes((n * 37 + i) % 256 for i in range(64 * 64)))
            image = add(b"<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray "
                        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(pixels)
                        + pixels + b"\nendstream")
            xobjects.append(b"/Im%d %d 0 R" % (n, image))
            ops.append(b"q %g 0 0 %g %g %g cm /Im%d Do Q" % (w, h, x, y, n))
        content = b"\n".join(ops)
        stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        resources = b"<< /Font << /F1 %d 0 R /F2 %d 0 R /F3 %d 0 R >> /XObject << %s >> >>" % (
            regular, bold, type0, b" ".join(xobjects))
        page_ids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Resources %s /Contents %d 0 R >>"
                            % (pages_id, width, height, resources, stream)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)
