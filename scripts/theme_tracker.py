"""A saved query written in Python with the public API: where does each document address a theme?

For every theme (one query per language), it lists the documents that match, how many
passages each has, and the citation of its best passage, most-matching documents first;
with --csv it also writes every matched passage with the theme's name in front.

    python scripts/theme_tracker.py                       # the default index, the themes below
    python scripts/theme_tracker.py --index my-index --csv themes.csv
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections import defaultdict
from pathlib import Path

from policy_search import DEFAULT_INDEX, HIT_FIELDS, Format, Hit, Index, PolicySearchError, open_index, open_rows

#: Theme name -> its query in each language; Simplified also finds Traditional.
THEMES = {
    "regional-coordination": {
        "zh": "区域协调发展",
        "en": '"coordinated regional development" OR "regional coordination"',
        "fr": '"développement régional" OR "cohésion territoriale"',
    },
    "rule-of-law": {
        "zh": "法院 OR 法治",
        "en": 'court* OR "rule of law"',
        "fr": "tribunal OR juge",
    },
}


def theme_hits(index: Index, queries: dict[str, str], limit: int) -> list[Hit]:
    hits: list[Hit] = []
    for lang, query in queries.items():
        hits.extend(index.search(query, lang=lang, limit=limit))
    return hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index directory")
    parser.add_argument("--limit", type=int, default=50, help="passages per theme and language")
    parser.add_argument("--csv", type=Path, help="also write every matched passage to this CSV file")
    args = parser.parse_args(argv)

    rows = []
    try:
        index = open_index(args.index)
        for theme, queries in THEMES.items():
            by_doc: dict[str, list[Hit]] = defaultdict(list)
            for hit in theme_hits(index, queries, args.limit):
                by_doc[hit.doc_id].append(hit)
                rows.append({"theme": theme, **hit.to_dict()})
            print(f"== {theme}: {sum(map(len, by_doc.values()))} passages in {len(by_doc)} documents")
            for doc_id, hits in sorted(by_doc.items(), key=lambda item: (-len(item[1]), item[0])):
                best = max(hits, key=lambda h: h.score)
                print(f"{len(hits):4d}  {doc_id}\n      best: {best.citation}")
    except PolicySearchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if args.csv:
        # The same writer as `policy-search run`: RFC 4180, formula-safe cells.
        with open_rows(Format.CSV, ["theme", *HIT_FIELDS], args.csv) as writer:
            for row in rows:
                writer.write(row)
            writer.finish()
        print(f"{len(rows)} passages written to {args.csv}")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends it quietly, as it would end `cat`
    sys.exit(main())
