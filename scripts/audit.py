"""Audits of what the engine finds, on any corpus.

    python scripts/audit.py recall                       # the bundled corpus, 2,400 spans
    python scripts/audit.py recall --corpus ../plans --spans 400 --json recall.json
    python scripts/audit.py recall --index indexes/default
    python scripts/audit.py fidelity                     # the bundled corpus, per document
    python scripts/audit.py fidelity ../plans --totals --json fidelity.json

`recall` samples spans from the ingested passages (Chinese: 1 to 7 characters cut anywhere,
across jieba's word boundaries too; English and French: 1 to 4 words as they stand in the text,
stop words, elisions and punctuation included), searches each one unquoted and quoted through
the public API, and checks against the passages' own text (folded as the engine folds it:
case, accents, full width, Traditional to Simplified one character at a time, whitespace between
Han characters) that every passage holding the span is found. It also counts contiguous-first
violations: a passage that does not hold the span ranked above one that does, for unquoted spans
of several words or characters. Exit status 1 when any span misses a passage.

`ocr` reads the test scans (tests/data/scans: pages rendered from texts of known content, and
a real scan) with OCR and reports, per language, the character error rate against the known
text (tests/data/scans-truth), then ingests them with --ocr and searches every 4-character
Chinese span and 2-word Latin span of the known text (a sample, with --spans): the share found on
the right page, and hits cited on a page that does not hold the span. Exit status 1 when a CER
is above its target (3%; 5% for French) or under 90% of the spans are found.

    python scripts/audit.py ocr                          # the test scans
    python scripts/audit.py ocr --engine rapidocr        # CER of RapidOCR alone (no Tesseract)

`fidelity` compares, page by page, what a reference extractor (poppler's pdftotext) or the source
itself holds with the passages made of it: coverage, glued words, Han gaps, running headers left
in passages, pages with text and no passage, headings per page (see scripts/fidelity.py). Exit
status 1 when a PDF's coverage is below 99.5%, a page has text and no passage, or the glued-word
rate reaches 0.1%.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.support.charset import accent_map

from policy_search import ingest, open_index
from policy_search.analysis.analyzers import APOSTROPHES, FRENCH_ELISIONS, analyzer_for, fold_chars
from policy_search.api import Index
from policy_search.documents.document import SUFFIXES
from policy_search.indexing.ingest import is_listed

ROOT = Path(__file__).resolve().parent.parent
HAN = "\u3400-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{HAN}]+")
_SPACE_IN_HAN = re.compile(f"(?<=[{HAN}])\\s+(?=[{HAN}])")
#: a word as a user would paste it: an elided article stays with its word (l'acheteur), a
#: number with its decimals (6.5, 1,000)
_WORD = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)*(?:(?<=\d)[.,]\d+)*")
_PART = re.compile(r"[^\W_]+(?:(?<=\d)[.,]\d+)*")
#: characters that are query syntax; a span holding one is not what a user would paste as is
_SYNTAX = re.compile(r"[\"“”「」()*:]|\b(?:OR|AND|NOT)\b")
KINDS = ("zh", "en", "fr")
#: between passages in the joined texts: a letter, so that no span's pattern can run across it
SEPARATOR = "\nꙮ\n"


@dataclass(frozen=True)
class Span:
    kind: str
    text: str  # as it stands in the passage it was cut from
    pattern: re.Pattern[str]  # what holding it means, over the folded text


@dataclass
class KindReport:
    spans: int = 0
    complete: int = 0
    violations: int = 0
    misses: list[dict[str, object]] = field(default_factory=list)
    disorders: list[dict[str, object]] = field(default_factory=list)


class Corpus:
    """Every passage of an index, with the folded texts spans are checked against."""

    def __init__(self, index: Index) -> None:
        self.keys: list[tuple[str, int]] = []
        self.texts: list[str] = []
        self.langs: list[str] = []
        sections: list[str] = []
        for info in index.documents():
            for hit in index.passages(info.doc_id):
                self.keys.append((hit.doc_id, hit.passage))
                self.texts.append(hit.text)
                self.langs.append(hit.lang)
                sections.append(hit.section)
        self.han = _joined([fold_han(t) for t in self.texts])
        self.latin = _joined([fold_latin(t, lang) for t, lang in zip(self.texts, self.langs, strict=True)])
        self.section_han = _joined([fold_han(t) for t in sections])
        self.section_latin = _joined([fold_latin(t) for t in sections])

    def holders(self, span: Span, in_sections: bool = False) -> set[tuple[str, int]]:
        """The passages whose text (or, ``in_sections``, whose headings) hold the span."""
        if in_sections:
            text, starts = self.section_han if span.kind == "zh" else self.section_latin
        else:
            text, starts = self.han if span.kind == "zh" else self.latin
        found = set()
        for match in span.pattern.finditer(text):
            found.add(self.keys[bisect.bisect_right(starts, match.start()) - 1])
        return found


def _joined(texts: list[str]) -> tuple[str, list[int]]:
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + len(SEPARATOR)
    return SEPARATOR.join(texts), starts


def fold_han(text: str) -> str:
    return _SPACE_IN_HAN.sub("", fold_chars(text).lower())


_ELIDED = re.compile(rf"(?<![^\W_])(?:{'|'.join(FRENCH_ELISIONS)})[{APOSTROPHES}](?=[^\W_])", re.IGNORECASE)


def fold_latin(text: str, lang: str = "") -> str:
    """Lower case, accents folded; in French, elided articles (l', qu') left out as the engine
    leaves them out: "s" is not a word of "s'il"."""
    folded = fold_chars(text).lower().translate(accent_map)
    return _ELIDED.sub(" ", folded) if lang == "fr" else folded


def sample_spans(corpus: Corpus, kind: str, count: int, rng: random.Random) -> Iterator[Span]:
    """Spans cut at random from random passages (of the kind's language, or with Han for zh)."""
    if kind == "zh":
        pool = [i for i, t in enumerate(corpus.texts) if _HAN_RUN.search(t)]
    else:
        pool = [i for i, lang in enumerate(corpus.langs) if lang == kind]
    if not pool:
        return
    made = tries = 0
    while made < count and tries < count * 20:
        tries += 1
        text = corpus.texts[rng.choice(pool)]
        span = _cut_han(text, rng) if kind == "zh" else _cut_words(text, kind, rng)
        if span is not None:
            made += 1
            yield span


def _cut_han(text: str, rng: random.Random) -> Span | None:
    runs = [m.group(0) for m in _HAN_RUN.finditer(_SPACE_IN_HAN.sub("", text))]
    run = rng.choice(runs)
    length = rng.randint(1, min(7, len(run)))
    start = rng.randint(0, len(run) - length)
    span = run[start : start + length]
    return Span("zh", span, re.compile(re.escape(fold_han(span))))


def _cut_words(text: str, kind: str, rng: random.Random) -> Span | None:
    words = list(_WORD.finditer(text))
    if not words:
        return None
    length = rng.randint(1, min(4, len(words)))
    first = rng.randint(0, len(words) - length)
    span = " ".join(text[words[first].start() : words[first + length - 1].end()].split())
    if _SYNTAX.search(span) or _HAN_RUN.search(span):
        return None
    folded = [part for w in words[first : first + length] for part in _PART.findall(fold_latin(w.group(0)))]
    pattern = r"(?<![^\W_])(?<!\d[.,])" + re.escape(folded[0])
    for before, part in itertools.pairwise(folded):
        # between two numbers, a lone point or comma makes one number of them (1,800 is not 1-800)
        joiner = r"(?![.,]\d)[\W_]+" if before[-1].isdigit() and part[0].isdigit() else r"[\W_]+"
        pattern += joiner + re.escape(part)
    pattern += r"(?![^\W_])(?![.,]\d)"
    return Span(kind, span, re.compile(pattern))


def audit_recall(index: Index, spans: int, seed: int, examples: int = 5) -> dict[str, object]:
    """The recall audit's figures: per kind and reading (unquoted, quoted), spans that find
    every passage holding them, and contiguous-first violations, with examples."""
    corpus = Corpus(index)
    rng = random.Random(seed)
    everything = len(corpus.keys)
    reports: dict[str, KindReport] = {}
    for kind in KINDS:
        for span in sample_spans(corpus, kind, spans // len(KINDS), rng):
            holders = corpus.holders(span)
            # a passage under a heading that holds the span is a match of its own kind (a word
            # also matches the headings of its section), not one with the words apart
            scope = corpus.holders(span, in_sections=True) if _several(span) else set()
            for quoted in (False, True):
                query = f'"{span.text}"' if quoted else span.text
                report = reports.setdefault(f"{kind} {'quoted' if quoted else 'unquoted'}", KindReport())
                _check(index, query, holders, scope, everything, report, examples, contiguous=not quoted and _several(span))
    return {
        "passages": everything,
        "seed": seed,
        "kinds": {
            name: {
                "spans": r.spans,
                "complete": r.complete,
                "recall_share": round(r.complete / r.spans, 4) if r.spans else None,
                "contiguous_first_violations": r.violations,
                "misses": r.misses,
                "disorders": r.disorders,
            }
            for name, r in reports.items()
        },
    }


def _several(span: Span) -> bool:
    return len(span.text) > 1 if span.kind == "zh" else len(span.text.split()) > 1


def _check(
    index: Index,
    query: str,
    holders: set[tuple[str, int]],
    scope: set[tuple[str, int]],
    limit: int,
    report: KindReport,
    examples: int,
    contiguous: bool,
) -> None:
    report.spans += 1
    results = index.search(query, limit=limit, snippets=False)
    ranked = [(h.doc_id, h.passage) for h in results]
    missing = holders - set(ranked)
    if missing:
        if len(report.misses) < examples:
            report.misses.append({"query": query, "holders": len(holders), "missing": len(missing), "example": list(sorted(missing)[0])})
        return
    report.complete += 1
    if contiguous and holders:
        last = max(i for i, key in enumerate(ranked) if key in holders)
        before = sum(
            1 for hit in results.hits[:last]
            if (hit.doc_id, hit.passage) not in holders and (hit.doc_id, hit.passage) not in scope
            and not _holds_stemmed(hit.text, hit.lang, query)
        )
        if before:
            report.violations += 1
            if len(report.disorders) < examples:
                report.disorders.append({"query": query, "holders": len(holders), "others_above_a_holder": before})


def _holds_stemmed(text: str, lang: str, span: str) -> bool:
    """Whether the span's words stand in a row in ``text`` as the engine reads both (stemmed:
    "taxpayers" holds "taxpayer"), for Latin passages."""
    if lang == "zh":
        return False
    analyzer = analyzer_for(lang)
    words = [t.text for t in analyzer(span)]
    terms = [t.text for t in analyzer(text)]
    return any(terms[i : i + len(words)] == words for i in range(len(terms) - len(words) + 1))


def table(result: dict[str, object]) -> str:
    lines = [
        "| spans | searched | find every passage holding them | share | contiguous-first violations |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, r in result["kinds"].items():  # type: ignore[attr-defined]
        share = f"{100 * r['recall_share']:.1f}%" if r["recall_share"] is not None else "-"
        lines.append(f"| {name} | {r['spans']:,} | {r['complete']:,} | {share} | {r['contiguous_first_violations']:,} |")
    return "\n".join(lines)


def _examples(result: dict[str, object]) -> Iterator[str]:
    for name, r in result["kinds"].items():  # type: ignore[attr-defined]
        for miss in r["misses"]:
            yield f"miss ({name}): {miss['query']!r}: {miss['missing']} of {miss['holders']} passages not found, e.g. {miss['example']}"
        for disorder in r["disorders"]:
            yield f"order ({name}): {disorder['query']!r}: {disorder['others_above_a_holder']} passages without it above one with it"


def _sample_files(corpus: Path, files: int | None, seed: int, into: Path) -> Path:
    """A copy of ``files`` files drawn at random from the corpus (all of them without a number)."""
    if files is None:
        return corpus
    found = sorted(p for p in corpus.rglob("*") if is_listed(p, corpus) and p.suffix.lower() in SUFFIXES)
    chosen = random.Random(seed).sample(found, min(files, len(found)))
    for path in chosen:
        target = into / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return into


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    recall = commands.add_parser("recall", help="does every passage holding a span come back?")
    recall.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="folder to ingest (default ./corpus)")
    recall.add_argument("--files", type=int, help="ingest only this many of its files, drawn at random")
    recall.add_argument("--index", type=Path, help="audit this index instead of ingesting a corpus")
    recall.add_argument("--spans", type=int, default=2400, help="spans in all, shared by zh, en and fr (default 2400)")
    recall.add_argument("--seed", type=int, default=20261202)
    recall.add_argument("--examples", type=int, default=5, help="examples of each kind of failure to show")
    recall.add_argument("--json", type=Path, help="write the figures to this file")
    ocr = commands.add_parser("ocr", help="how well are scans read, and found?")
    ocr.add_argument("--scans", type=Path, default=ROOT / "tests" / "data" / "scans")
    ocr.add_argument("--truth", type=Path, default=ROOT / "tests" / "data" / "scans-truth")
    ocr.add_argument("--engine", choices=("auto", "rapidocr"), default="auto",
                     help="auto: RapidOCR, and Tesseract for French pages; rapidocr: RapidOCR alone (CER only)")
    ocr.add_argument("--spans", type=int, default=150, help="spans per page, at most (default 150)")
    ocr.add_argument("--seed", type=int, default=20261202)
    ocr.add_argument("--json", type=Path, help="write the figures to this file")
    fidelity = commands.add_parser("fidelity", help="does each page's text reach the passages, whole and clean?")
    fidelity.add_argument("folders", nargs="*", type=Path, help="folders or files (default ./corpus)")
    fidelity.add_argument("--totals", action="store_true", help="print only the totals of each folder")
    fidelity.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    if args.command == "fidelity":
        return _fidelity(args.folders or [ROOT / "corpus"], args.totals, args.json)
    if args.command == "ocr":
        from ocr_audit import audit_ocr, ocr_table

        result = audit_ocr(args.scans, args.truth, args.engine, args.spans, args.seed)
        print(ocr_table(result))
        if args.json:
            args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return 0 if result["passed"] else 1

    with tempfile.TemporaryDirectory(prefix="policy-search-audit-") as tmp:
        index_path = args.index
        if index_path is None:
            source = _sample_files(args.corpus, args.files, args.seed, Path(tmp) / "corpus")
            index_path = Path(tmp) / "index"
            report = ingest([source], index_path, jobs=2)
            for path, reason in report.failed:
                print(f"Error: {path}: {reason}", file=sys.stderr)
            print(f"{source}: {report.summary()}", file=sys.stderr)
        result = audit_recall(open_index(index_path), args.spans, args.seed, args.examples)
    print(f"{result['passages']:,} passages, seed {result['seed']}")
    print(table(result))
    for line in _examples(result):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    complete = all(r["complete"] == r["spans"] for r in result["kinds"].values())  # type: ignore[attr-defined]
    return 0 if complete else 1


def _fidelity(folders: list[Path], totals: bool, json_path: Path | None) -> int:
    from fidelity import audit_file, documents
    from fidelity import table as fidelity_table

    everything = []
    for folder in folders:
        reports = [audit_file(path, folder if folder.is_dir() else folder.parent) for path in documents(folder)]
        print(f"{folder}:")
        print(fidelity_table(reports, per_document=not totals))
        everything += reports
    if json_path:
        rows = [
            {
                "document": r.name, "reference": r.reference, "pages": r.pages, "coverage": r.coverage, "set_aside": r.set_aside,
                "glued_rate": r.glued_rate, "han_gaps": r.han_gaps, "repeated_lines_left": r.repeated_left,
                "empty_pages": r.empty_pages, "headings": r.headings, "error": r.error,
                "most_missing": r.missing.most_common(10),
            }
            for r in everything
        ]
        json_path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    pdfs = [r for r in everything if r.reference == "pdftotext"]
    words = sum(r.passage_words for r in everything)
    failed = (
        any(r.coverage < 0.995 for r in pdfs)
        or any(r.empty_pages for r in everything)
        or (words and sum(r.glued for r in everything) / words >= 0.001)
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
