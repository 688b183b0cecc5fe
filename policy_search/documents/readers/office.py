"""Legacy office formats (.doc, .wps, .rtf) through LibreOffice, and formats told by their bytes.

Chinese government sites still publish Word 97 (.doc), WPS and RTF files. LibreOffice reads
them all; converted to .docx they go through the Word reader, headings and tables included.
A file's bytes decide its format, not its name: a .doc that is really a .docx (Word 2007+
saved under the old name) is read as one, without LibreOffice.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

from policy_search.model import Source

CONVERT_TIMEOUT = 300  # seconds for one file; LibreOffice hung on a damaged file is stopped
INSTALL_HINT = "install LibreOffice (Debian/Ubuntu: apt-get install libreoffice-writer-nogui) and ingest again"


def sniff(data: bytes, suffix: str) -> str:
    """The format an office file really is, as a suffix."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as package:
                names = set(package.namelist())
                mimetype = package.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except zipfile.BadZipFile:
            return suffix
        if "word/document.xml" in names:
            return ".docx"
        if "content.xml" in names and "opendocument.text" in mimetype:
            return ".odt"
        return suffix
    if data.lstrip()[:5] == b"{\\rtf":
        return ".rtf"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # an OLE2 compound file: Word 97-2003, WPS
        return suffix if suffix in (".doc", ".wps") else ".doc"
    if data.startswith(b"%PDF-"):
        return ".pdf"
    return suffix


def read_doc(data: bytes) -> Source:
    return _read_converted(data, ".doc")


def read_wps(data: bytes) -> Source:
    return _read_converted(data, ".wps")


def read_rtf(data: bytes) -> Source:
    return _read_converted(data, ".rtf")


def _read_converted(data: bytes, suffix: str) -> Source:
    from policy_search.documents.readers.docx import read_docx

    return read_docx(convert_to_docx(data, suffix))


def libreoffice() -> str | None:
    """The LibreOffice program on this machine, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, suffix: str) -> bytes:
    """Convert a legacy office file to .docx with LibreOffice; raises ValueError saying why not."""
    program = libreoffice()
    if program is None:
        raise ValueError(f"a {suffix} file is read through LibreOffice, which is not installed: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="policy-search-convert-") as folder:
        work = Path(folder)
        source = work / f"document{suffix}"
        source.write_bytes(data)
        out = work / "out"
        # a profile of its own, so that conversions in parallel workers (or a LibreOffice the
        # user has open) do not wait on each other's lock
        command = [
            program, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
            "--nologo", "--nolockcheck", "--convert-to", "docx", "--outdir", str(out), str(source),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=CONVERT_TIMEOUT, stdin=subprocess.DEVNULL, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ValueError(f"LibreOffice did not convert it within {CONVERT_TIMEOUT} s") from exc
        except OSError as exc:
            raise ValueError(f"LibreOffice could not be run ({exc})") from exc
        converted = out / "document.docx"
        if not converted.exists():
            said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
            reason = said[-1] if said else f"exit status {done.returncode}"
            raise ValueError(f"LibreOffice could not convert it ({reason})")
        return converted.read_bytes()
