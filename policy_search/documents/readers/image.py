"""Images of pages (a scan saved as PNG, JPEG or TIFF, a photo of a notice), read by OCR.

Each image, or each frame of a multi-page TIFF, becomes a page of a PDF made here, which the
PDF reader reads with OCR as it reads any scanned PDF: one road for every scan, its cache, its
limits and its layout rules.
"""

from __future__ import annotations

import io

from policy_search.documents.readers import PdfError
from policy_search.documents.readers.ocr import OcrSettings
from policy_search.model import Source

#: pixels the image of one page may have: more is a map or a poster, or a decompression bomb
MAX_IMAGE_PIXELS = 200_000_000
#: the resolution the page is made at: OCR renders pages at 200 dpi, so an image keeps its pixels
_DPI = 200


def read_image(data: bytes, ocr: OcrSettings) -> Source:
    """The text of an image's pages by OCR; raises PdfError (a ValueError) for an image that
    cannot be opened or holds no text."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        pages = []
        for frame in ImageSequence.Iterator(image):
            if frame.width * frame.height > MAX_IMAGE_PIXELS:
                raise PdfError(f"an image of {frame.width}x{frame.height} pixels: more than {MAX_IMAGE_PIXELS:,} to a page")
            pages.append(ImageOps.exif_transpose(frame).convert("L"))  # a photo's own "this way up"
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise PdfError(f"not an image that can be read ({exc})") from None
    except OSError as exc:  # truncated or damaged image data
        raise PdfError(f"a damaged image ({exc})") from None
    pdf = io.BytesIO()
    # no title and no dates: the same image makes the same PDF, whose pages' OCR is cached by hash
    pages[0].save(pdf, "PDF", save_all=True, append_images=pages[1:], resolution=_DPI, title="", creationDate=None, modDate=None)
    from policy_search.documents.readers.pdf import read_pdf

    return read_pdf(pdf.getvalue(), "", None, ocr)
