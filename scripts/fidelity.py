"""The fidelity audit: does the text of each page reach the passages, whole and clean?

Per page, the reference is what an independent extractor reads there (poppler's ``pdftotext``
for PDFs, when it is installed) or the source's own text (text and Markdown files as they are;
web pages and office files as their reader hands them over, so the audit measures what the
later stages lose). The passages are split at their page breaks so that each page's share is
compared with that page's reference. Measured:

- coverage: the share of the reference's words (Latin words, numbers, each Han character) that
  reach a passage, its section path or the title, counted as multisets; lines the reference
  repeats on three pages or more (running headers and footers) and printed page numbers are
  not counted, since leaving them out is the point; a word the reference spells out letter by
  letter (``t h e i r`` in an OCR layer whose writer set no space inside it) counts as the word
  when the passages hold it closed up; what the reference prints that is not the page's text
  is set aside and counted apart (see ``set_aside``);
- glued words: passage words that the reference has as two words (``ofthe``), per passage word;
- Han gaps: spaces between two Han characters in passages that the reference does not have;
- repeated lines: reference header/footer lines that still stand inside passages;
- empty pages: pages whose reference has words but which no passage covers and no warning names;
- headings: section-path entries opened per page.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from policy_search.documents.document import SUFFIXES, content_hash, document_from_source
from policy_search.documents.readers import UnreadableFile, read_source, real_suffix
from policy_search.indexing.ingest import is_listed
from policy_search.model import Document, Source

HAN = "\u3400-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{HAN}]|[^\W\d_{HAN}]+|\d+")
_LATIN_WORD = re.compile(rf"[^\W\d_{HAN}]+")
_HAN_GAP = re.compile(rf"[{HAN}] +[{HAN}]")
_COMPOUND = re.compile(rf"[^\W\d_{HAN}]+(?:-[^\W\d_{HAN}]+)+")
_LETTER_RUN = re.compile(rf"(?<![^\W\d_{HAN}])[^\W\d_{HAN}](?: [^\W\d_{HAN}])+(?![^\W\d_{HAN}])")
_HYPHEN_BREAK = re.compile(r"([^\W\d_]+)-\s*\n\s*([^\W\d_]+)")
_DIGITS = re.compile(r"\d+")
_LETTER = re.compile(r"[^\W\d_]")
_CID = re.compile(r"^\(cid:(\d+)\)$")
_PAGE_NUMBER = re.compile(r"^\s*[-–—]?\s*(?:\d{1,5}|[ivxlcdm]{1,7})\s*[-–—]?\s*$", re.IGNORECASE)
MIN_PAGE_TOKENS = 20  # a page with fewer reference words than this may rightly give no passage
REPEATED_ON = 3  # a line on this many pages or more is a running header or footer


@dataclass
class DocumentFidelity:
    name: str
    reference: str  # what the reference was: pdftotext, source
    pages: int = 0
    tokens: int = 0
    covered: int = 0
    passage_words: int = 0
    glued: int = 0
    han_gaps: int = 0
    set_aside: int = 0  # reference words that are the reference's artefacts, not the page's
    repeated_left: int = 0
    empty_pages: list[int] = field(default_factory=list)
    headings: int = 0
    error: str = ""
    missing: Counter[str] = field(default_factory=Counter)

    @property
    def coverage(self) -> float:
        return self.covered / self.tokens if self.tokens else 1.0

    @property
    def glued_rate(self) -> float:
        return self.glued / self.passage_words if self.passage_words else 0.0


def pdftotext_pages(path: Path) -> list[str] | None:
    """The pages of a PDF as poppler's pdftotext reads them, or None without poppler."""
    program = shutil.which("pdftotext")
    if program is None:
        return None
    done = subprocess.run([program, "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=600, check=False)
    if done.returncode != 0:
        return None
    if b"Missing language pack" in done.stderr:
        print(
            f"{path}: pdftotext has no poppler-data for its fonts and reads none of their text "
            "(apt-get install poppler-data): its coverage is measured against less than the page holds",
            file=sys.stderr,
        )
    pages = done.stdout.decode("utf-8", "replace").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def reference_pages(path: Path, source: Source) -> tuple[str, dict[int | None, str]]:
    """What the reference reads on each page (None: a source without pages) and its name."""
    if real_suffix(path, path.read_bytes()[:8192]) == ".pdf":
        pages = pdftotext_pages(path)
        if pages is not None:
            return "pdftotext", {number: text for number, text in enumerate(pages, start=1)}
    if source.blocks:
        joined: dict[int | None, list[str]] = {}
        for block in source.blocks:
            joined.setdefault(block.page, []).append(block.text)
        return "source", {page: "\n".join(texts) for page, texts in joined.items()}
    return "source", {page.number: "\n".join(page.lines) for page in source.pages}


def tokens(text: str, compounds: dict[str, list[str]] | None = None) -> list[str]:
    """The words of a text; a reference word that the passages hold as a hyphenated compound
    (pdftotext drops every hyphen at a line end, ``dual-`` / ``encoder``) counts as its parts."""
    text = unicodedata.normalize("NFKC", text).casefold()
    found = _TOKEN.findall(_HYPHEN_BREAK.sub(r"\1\2", text))
    if not compounds:
        return found
    return [part for token in found for part in compounds.get(token, [token])]


def closed_up(text: str, passage_words: set[str]) -> str:
    """A text with each run of spaced single letters that spells passage words closed up
    (``A l e t t e r`` is ``A letter`` when the passages hold ``letter``), the longest first.
    Letter spacing is a line's: two letters (``t o``) are closed up only on a line where a longer
    run was; elsewhere ``q r`` is a formula's q with the index r."""

    def closer(shortest: int) -> Callable[[re.Match[str]], str]:
        def close(run: re.Match[str]) -> str:
            letters = run.group().split(" ")
            out, i = [], 0
            while i < len(letters):
                j = next(
                    (j for j in range(len(letters), i + shortest - 1, -1)
                     if "".join(letters[i:j]).casefold() in passage_words),
                    i + 1,
                )
                out.append("".join(letters[i:j]))
                i = j
            return " ".join(out)
        return close

    lines = []  # not normalised: the reference's running lines are matched as they stand
    for line in text.split("\n"):
        spaced = _LETTER_RUN.sub(closer(3), line)
        lines.append(_LETTER_RUN.sub(closer(2), spaced) if spaced != line else line)
    return "\n".join(lines)


def _compounds(passages: Iterable[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for text in passages:
        for compound in _COMPOUND.findall(unicodedata.normalize("NFKC", text).casefold()):
            parts = compound.split("-")
            found["".join(parts)] = parts
    return found


def _repeated_lines(pages: dict[int | None, str]) -> set[str]:
    """Lines repeated on three pages or more, numbers aside ("第2页 共6页", a slug's "Frm 00002")."""
    if len(pages) < REPEATED_ON:
        return set()
    def key(line: str) -> str:
        # numbers aside only in lines with words: rows of figures in a table are not headers
        return _DIGITS.sub("#", line) if len(_LETTER.findall(line)) >= 2 else line

    seen: Counter[str] = Counter()
    for text in pages.values():
        seen.update({key(line.strip()) for line in text.split("\n") if len(line.strip()) > 1})
    return {
        line.strip()
        for text in pages.values()
        for line in text.split("\n")
        if len(line.strip()) > 1 and seen[key(line.strip())] >= REPEATED_ON
    }


def _page_texts(doc: Document) -> dict[int | None, list[str]]:
    """Each page's share of the passages (split at their page breaks), with their headings."""
    shares: dict[int | None, list[str]] = {}
    opened: set[str] = set()
    for passage in doc.passages:
        cuts = [(0, passage.page), *((offset, page) for offset, page, _ in passage.breaks)]
        for k, (start, page) in enumerate(cuts):
            end = cuts[k + 1][0] if k + 1 < len(cuts) else len(passage.text)
            shares.setdefault(page, []).append(passage.text[start:end])
        for heading in passage.section:
            if heading not in opened:
                opened.add(heading)
                shares.setdefault(passage.page, []).append(heading)
    return shares


def audit_file(path: Path, root: Path) -> DocumentFidelity:
    name = str(path.relative_to(root)) if path != root else path.name
    try:
        data = path.read_bytes()
        source = read_source(path, data)
        doc = document_from_source(source, path, root, content_hash(data))
    except UnreadableFile as exc:
        return DocumentFidelity(name, "", error=str(exc).removeprefix(f"{path}: "))
    kind, pages = reference_pages(path, source)
    report = DocumentFidelity(name, kind, pages=len(pages))
    # running headers and footers are a printed page's; a Word file's repeated lines are its text
    repeated = _repeated_lines(pages) if kind == "pdftotext" or source.pages else set()
    shares = _page_texts(doc)
    no_pages = set(pages) == {None} or any(p is None for p in shares)
    warned = " ".join(doc.warnings)
    compounds = _compounds(p.text for p in doc.passages) if kind == "pdftotext" else {}
    reference_words = {t for text in pages.values() for t in tokens(text)}
    passage_words = {t for p in doc.passages for t in tokens(p.text)}
    pages = {page: closed_up(text, passage_words) for page, text in pages.items()}
    artefacts = _Artefacts(path)
    for page, text in pages.items():
        counted = [line for line in text.split("\n") if line.strip() not in repeated and not _PAGE_NUMBER.match(line)]
        wanted = Counter(tokens("\n".join(counted), compounds))
        if no_pages:
            continue
        got = Counter(tokens("\n".join(shares.get(page, []) + ([doc.title] if page == 1 else []))))
        missing = wanted - got
        if missing and kind == "pdftotext":
            aside = set_aside(missing, got - wanted, *artefacts(page))  # type: ignore[arg-type]
            wanted, missing = wanted - aside, missing - aside
            report.set_aside += sum(aside.values())
        report.tokens += sum(wanted.values())
        report.covered += sum(wanted.values()) - sum(missing.values())
        report.missing.update(missing)
        if sum(wanted.values()) >= MIN_PAGE_TOKENS and not shares.get(page) and not re.search(rf"\b{page}\b", warned):
            report.empty_pages.append(page)  # type: ignore[arg-type]
    if no_pages:  # a source without pages: the document as one page
        wanted = Counter(t for text in pages.values() for t in tokens(text))
        got = Counter(tokens("\n".join([doc.title, *(s for texts in shares.values() for s in texts)])))
        report.tokens = sum(wanted.values())
        report.covered = sum(min(n, got[t]) for t, n in wanted.items())
        report.missing.update({t: n - got[t] for t, n in wanted.items() if n > got[t]})
    reference_text = "\n".join(pages.values())
    for passage in doc.passages:
        words = _LATIN_WORD.findall(unicodedata.normalize("NFKC", passage.text).casefold())
        report.passage_words += len(words)
        report.glued += sum(1 for w in words if w not in reference_words and _splits(w, reference_words))
        report.han_gaps += sum(1 for gap in _HAN_GAP.findall(passage.text) if gap not in reference_text)
        report.repeated_left += sum(1 for line in repeated if len(line) >= 8 and line in passage.text)
    report.headings = len({h for p in doc.passages for h in p.section})
    return report


class _Artefacts:
    """Per page of a PDF, read on first use: the characters pdftotext prints for glyphs whose font
    maps them to no character (pdfminer's ``(cid:N)``): the character of the glyph's code, so that
    TeX's ⟨ reads h, ⟩ i and ′ 0; and the scripts, glyphs smaller than the one before them and set
    right after it, raised or lowered (the r of qʳ), which pdftotext may space from their base."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pages: dict[int, tuple[Counter[str], Counter[str]]] = {}

    def __call__(self, number: int) -> tuple[Counter[str], Counter[str]]:
        if not self.pages:
            self.pages = dict(enumerate(_glyph_artefacts(self.path), start=1))
        return self.pages.get(number, (Counter(), Counter()))


def _glyph_artefacts(path: Path) -> Iterable[tuple[Counter[str], Counter[str]]]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            chars = page.chars
            codes = Counter(
                chr(int(m.group(1))).casefold() for c in chars if (m := _CID.match(c["text"])) and 32 < int(m.group(1)) < 127
            )
            scripts = Counter(
                char["text"].casefold()
                for base, char in itertools.pairwise(chars)
                if char["size"] < 0.9 * base["size"]
                and 0 <= char["x0"] - base["x1"] <= 0.1 * base["size"]
                and abs(char["bottom"] - base["bottom"]) > 0.1 * base["size"]
            )
            page.close()
            yield codes, scripts


def set_aside(missing: Counter[str], surplus: Counter[str], codes: Counter[str], scripts: Counter[str]) -> Counter[str]:
    """The missing reference words of a page that are the reference's artefacts, not the page's
    words: a word that is a passage word, or nothing, once the characters printed for unmapped
    glyphs (``codes``) are taken off its ends (``hsi`` for ⟨Si, ``0`` for ′); and a script with
    its base when the passages hold the two as one word (``q`` ``r`` for qʳ, held as ``qr``).
    ``surplus``: the passage words of the page beyond the reference's. Each glyph excuses once."""
    codes, surplus, left = codes.copy(), surplus.copy(), missing.copy()
    aside: Counter[str] = Counter()
    for token in list(left):
        while left[token] and (found := _stripped(token, codes, surplus)) is not None:
            rest, taken = found
            codes.subtract(taken)
            if rest:
                surplus[rest] -= 1
            left[token] -= 1
            aside[token] += 1
    for word in list(surplus):
        for cut in range(1, len(word)):
            base, script = word[:cut], word[cut:]
            while surplus[word] > 0 and left[base] > 0 and left[script] > 0 and scripts[script] > 0:
                for part in (base, script):
                    left[part] -= 1
                    aside[part] += 1
                scripts[script] -= 1
                surplus[word] -= 1
    return +aside


def _stripped(token: str, codes: Counter[str], surplus: Counter[str]) -> tuple[str, Counter[str]] | None:
    """What is left of a word once some of its first and last characters, all of them printed for
    unmapped glyphs, are taken off, if that is a passage word or nothing (the fewest taken off),
    and the characters taken."""
    cuts = sorted(
        ((head, tail) for head in range(len(token) + 1) for tail in range(len(token) + 1 - head) if head + tail),
        key=sum,
    )
    for head, tail in cuts:
        taken = Counter(token[:head] + token[len(token) - tail :])
        rest = token[head : len(token) - tail]
        if all(codes[c] >= n for c, n in taken.items()) and (not rest or surplus[rest] > 0):
            return rest, taken
    return None


def _splits(word: str, vocabulary: set[str]) -> bool:
    """Whether a word is two reference words run together (``ofthe``, ``thelevel``)."""
    if len(word) < 4:
        return False
    return any(word[:k] in vocabulary and word[k:] in vocabulary for k in range(1, len(word)))


def documents(folder: Path) -> Iterable[Path]:
    """The documents ingest reads in a folder (or the one file given)."""
    if not folder.is_dir():
        yield folder
        return
    for path in sorted(folder.rglob("*")):
        if is_listed(path, folder) and path.suffix.lower() in SUFFIXES:
            yield path


def table(reports: list[DocumentFidelity], per_document: bool = True) -> str:
    lines = []
    header = f"{'document':60} {'ref':9} {'pages':>5} {'coverage':>9} {'glued':>7} {'hangap':>6} {'hdrs':>5} {'empty':>5} {'head/p':>6}"
    if per_document:
        lines.append(header)
        for r in reports:
            if r.error:
                lines.append(f"{r.name[-60:]:60} {'error':9} {r.error[:80]}")
                continue
            per_page = r.headings / r.pages if r.pages else 0.0
            lines.append(
                f"{r.name[-60:]:60} {r.reference:9} {r.pages:5} {r.coverage:9.2%} {r.glued_rate:7.2%} {r.han_gaps:6} "
                f"{r.repeated_left:5} {len(r.empty_pages):5} {per_page:6.1f}"
            )
    good = [r for r in reports if not r.error]
    tokens_all = sum(r.tokens for r in good)
    covered = sum(r.covered for r in good)
    words = sum(r.passage_words for r in good)
    glued = sum(r.glued for r in good)
    pdfs = [r for r in good if r.reference == "pdftotext"]
    worst = min(pdfs, key=lambda r: r.coverage) if pdfs else None
    lines.append(
        f"total: {len(reports)} files ({len(reports) - len(good)} unreadable), {sum(r.pages for r in good)} pages; "
        f"coverage {covered / tokens_all if tokens_all else 1:.2%} of {tokens_all:,} words "
        f"({sum(r.set_aside for r in good):,} reference artefacts set aside); "
        f"glued {glued / words if words else 0:.3%} of {words:,} passage words; "
        f"Han gaps {sum(r.han_gaps for r in good)}; repeated lines left {sum(r.repeated_left for r in good)}; "
        f"empty pages {sum(len(r.empty_pages) for r in good)}"
        + (f"; lowest PDF coverage {worst.coverage:.2%} ({worst.name})" if worst else "")
    )
    return "\n".join(lines)
