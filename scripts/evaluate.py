"""Ranking quality on judged queries: our engine against the naive Whoosh set-up.

    python scripts/evaluate.py                  # builds both indexes from ./corpus in a temporary folder
    python scripts/evaluate.py --index indexes/default --json eval.json
    python scripts/evaluate.py --queries        # also each query's first relevant rank

The judged queries are tests/eval/judgements.toml: a third each Chinese, English and French.
Scores per language: Success@1 and @3 (a relevant passage first / in the top three), MRR (mean
reciprocal rank of the first relevant passage, 0 past rank 10) and nDCG@10 (binary gains).
tests/test_eval.py fails when ours drop below the figures recorded in tests/eval/recorded.json.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import sys
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JUDGEMENTS = ROOT / "tests" / "eval" / "judgements.toml"
RECORDED = ROOT / "tests" / "eval" / "recorded.json"
LANGS = ("zh", "en", "fr")
METRICS = ("success@1", "success@3", "mrr", "ndcg@10")
DEPTH = 10


@dataclass(frozen=True)
class Judged:
    id: str
    lang: str
    q: str
    tests: str
    relevant: tuple[tuple[str, str, str], ...]  # (doc glob, text fragment, section fragment)

    def is_relevant(self, doc_id: str, text: str, section: str) -> bool:
        """Whether a passage is one this query should find (fragments match in any letter case)."""
        text, section = text.casefold(), section.casefold()
        return any(
            fnmatch.fnmatchcase(doc_id, doc)
            and (not fragment or fragment.casefold() in text)
            and (not heading or heading.casefold() in section)
            for doc, fragment, heading in self.relevant
        )


def read_judgements(path: Path = JUDGEMENTS) -> list[Judged]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Judged(
            id=q["id"], lang=q["id"].split("-")[0], q=q["q"], tests=q.get("tests", ""),
            relevant=tuple((r["doc"], r.get("text", ""), r.get("section", "")) for r in q["relevant"]),
        )
        for q in data["query"]
    ]


#: what a search gives back for judging: (doc_id, text, section) of each hit, best first
Ranking = Sequence[tuple[str, str, str]]


def query_scores(judged: Judged, ranking: Ranking, relevant_total: int) -> dict[str, float]:
    gains = [1.0 if judged.is_relevant(*hit) else 0.0 for hit in ranking[:DEPTH]]
    first = next((rank for rank, gain in enumerate(gains, start=1) if gain), 0)
    dcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(relevant_total, DEPTH) + 1))
    return {
        "success@1": float(first == 1),
        "success@3": float(0 < first <= 3),
        "mrr": 1 / first if first else 0.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "first": float(first),
    }


def evaluate(
    judgements: Sequence[Judged], search: Callable[[str], Ranking], passages: Sequence[tuple[str, str, str]]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Scores per language (and "all"), and per query."""
    per_query = {}
    for judged in judgements:
        total = sum(1 for p in passages if judged.is_relevant(*p))
        if total == 0:
            raise ValueError(f"{judged.id}: no passage of the corpus is relevant; the judgement is wrong")
        per_query[judged.id] = query_scores(judged, search(judged.q), total)
    per_lang = {}
    for lang in (*LANGS, "all"):
        ids = [j.id for j in judgements if lang in (j.lang, "all")]
        per_lang[lang] = {m: round(sum(per_query[i][m] for i in ids) / len(ids), 3) for m in METRICS}
    return per_lang, per_query


def corpus_passages(index_path: Path | str) -> list[dict[str, object]]:
    """Every passage of an index, in reading order, with what evaluate.py and bench.py need."""
    from policy_search import open_index

    index = open_index(index_path)
    return [
        {"doc_id": h.doc_id, "passage": h.passage, "lang": h.lang, "text": h.text, "section": h.section, "date": h.date}
        for doc in index.documents()
        for h in index.passages(doc.doc_id)
    ]


def run(index_path: Path | str, naive_path: Path) -> dict[str, object]:
    """Both engines on every judged query; builds the naive index if it is not there."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import baseline

    from policy_search import open_index

    passages = corpus_passages(index_path)
    if not (naive_path / "_MAIN_1.toc").exists() and not any(naive_path.glob("*.toc")):
        baseline.build(passages, naive_path)
    judgements = read_judgements()
    triples = [(str(p["doc_id"]), str(p["text"]), str(p["section"])) for p in passages]
    ours = open_index(index_path)
    naive = baseline.NaiveIndex(naive_path)
    our_lang, our_queries = evaluate(judgements, lambda q: [(h.doc_id, h.text, h.section) for h in ours.search(q, limit=DEPTH)], triples)
    naive_lang, naive_queries = evaluate(judgements, lambda q: [(h.doc_id, h.text, h.section) for h in naive.search(q, DEPTH)], triples)
    return {
        "queries": len(judgements),
        "passages": len(passages),
        "ours": our_lang,
        "naive": naive_lang,
        "per_query": {j.id: {"q": j.q, "ours": our_queries[j.id]["first"], "naive": naive_queries[j.id]["first"]} for j in judgements},
    }


def table(result: dict[str, object]) -> str:
    ours, naive = result["ours"], result["naive"]  # type: ignore[index]
    lines = [f"{result['queries']} judged queries, {result['passages']} passages",
             "| language | engine | Success@1 | Success@3 | MRR | nDCG@10 |", "| --- | --- | --- | --- | --- | --- |"]
    for lang in (*LANGS, "all"):
        for name, scores in (("ours", ours[lang]), ("naive", naive[lang])):  # type: ignore[index]
            lines.append(f"| {lang} | {name} | " + " | ".join(f"{scores[m]:.3f}" for m in METRICS) + " |")
    return "\n".join(lines)


def index_location(value: str) -> Path | str:
    return value if value.startswith("opensearch://") else Path(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ranking quality on the judged queries.")
    parser.add_argument("--index", type=index_location, help="an index of ./corpus, a folder or opensearch://HOST:PORT/NAME (default: build one in a temporary folder)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--queries", action="store_true", help="list each query's first relevant rank (0: none in the top 10)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        index_path = args.index
        if index_path is None:
            from policy_search import ingest

            index_path = Path(tmp) / "ours"
            print(ingest([ROOT / "corpus"], index_path, jobs=2).summary(), file=sys.stderr)
        result = run(index_path, Path(tmp) / "naive")
    print(table(result))
    if args.queries:
        for qid, row in result["per_query"].items():  # type: ignore[union-attr]
            print(f"{qid}  ours {int(row['ours']):2d}  naive {int(row['naive']):2d}  {row['q']}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
