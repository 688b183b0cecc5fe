"""Speed benchmark: our engine, the naive Whoosh set-up and tantivy on the same real passages.

    python scripts/bench.py                          # 10k and 100k passages from ./corpus
    python scripts/bench.py --sizes 10000 --json bench.json
    python scripts/bench.py --large                  # adds 1M (its corpus is built once, cached)
    python scripts/bench.py --corpus ~/plans         # any folder, read with the same ingest rules

Corpora are drawn from the real passages of the source corpus with a fixed seed: without
replacement while there are enough, then with replacement (never invented text). They are
written as text files of 200 passages of one language, a blank line apart, and ingested by the
normal pipeline. Every figure is also given as a ratio to the naive set-up (scripts/baseline.py)
and to tantivy fed our own tokens (pip install -e '.[bench]'), so runs on noisy machines stay
comparable. Timings are printed and written as JSON; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
CACHE = ROOT / ".bench"
SEED = 20261122
PER_FILE = 200


@dataclass(frozen=True)
class Query:
    q: str
    lang: str | None = None
    since: str | None = None
    until: str | None = None


#: 45 queries: single words, several words, phrases, Chinese runs in both scripts, boolean,
#: prefixes, and with and without language and date filters.
QUERIES = [
    Query("development"), Query("coordinated regional development"), Query('"coordinated regional development"'),
    Query("border airports"), Query("president term of office"), Query("Legislative Yuan"), Query("tax treaty"),
    Query("airspeed disagree alert"), Query("freedom of speech"), Query("urban rural integration"), Query("develop*"),
    Query("innovation OR technology"), Query("ecological NOT protection"), Query("martial law"), Query("central region"),
    Query("développement"), Query("developpement regions frontalieres"), Query("la vente est une convention"),
    Query('"dix-huit ans"'), Query("propriété"), Query("mariage consentement"), Query("acheteur vendeur"),
    Query("garantie éviction"), Query("démolition"), Query("séance"),
    Query("区域协调发展"), Query("區域協調發展"), Query("新质生产力"), Query("人民法院"), Query("总统"), Query("立法院"),
    Query('"一带一路"'), Query("乡村振兴 OR 城乡融合"), Query("高质量发展"), Query("科技创新"), Query("粤港澳大湾区"),
    Query("生态环境保护"), Query("就业"), Query("中華民國憲法"), Query("碳达峰"),
    Query("发展", lang="zh"), Query("development", lang="en", since="2016"), Query("法院", since="2000"),
    Query("développement", lang="fr"), Query("innovation", until="2020"),
]


def source_passages(corpus: Path, work: Path) -> list[dict[str, object]]:
    """Every passage of the source corpus, read with the normal ingest rules."""
    from evaluate import corpus_passages

    from policy_search import ingest

    index_path = work / "source-index"
    report = ingest([corpus], index_path, jobs=os.cpu_count() or 1)
    passages = corpus_passages(index_path)
    print(f"source: {corpus} ({report.new + report.unchanged} documents, {len(passages)} passages)", file=sys.stderr)
    return passages


def sample(passages: list[dict[str, object]], size: int) -> list[dict[str, object]]:
    rng = random.Random(SEED + size)
    if size <= len(passages):
        return rng.sample(passages, size)
    return [rng.choice(passages) for _ in range(size)]


def write_corpus(passages: list[dict[str, object]], folder: Path) -> None:
    """Passages as text files of one language and one date each, a blank line apart."""
    dates = Counter((p["lang"], p["date"]) for p in passages)
    groups: dict[tuple[str, str], list[str]] = {}
    for p in passages:
        # a date with few passages would make a file of a line or two: those go undated
        date = p["date"] if dates[(p["lang"], p["date"])] >= 20 else ""
        groups.setdefault((p["lang"], date), []).append(p["text"])
    folder.mkdir(parents=True, exist_ok=True)
    number = 0
    for (lang, date), texts in sorted(groups.items()):
        for start in range(0, len(texts), PER_FILE):
            number += 1
            header = f"日期:{date}\n\n" if date else ""  # the cleaner reads the date back
            body = "\n\n".join(t.replace("\n", " ") for t in texts[start : start + PER_FILE])
            (folder / f"{lang}-{number:06d}.txt").write_text(header + body + "\n", encoding="utf-8")


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "max_ms": round(1000 * ordered[-1], 2),
    }


def warm_latency(run: Callable[[Query], object], rounds: int = 3) -> dict[str, float]:
    for query in QUERIES:
        run(query)  # warm: analysers loaded, index files in the page cache
    samples = []
    for _ in range(rounds):
        for query in QUERIES:
            start = time.perf_counter()
            run(query)
            samples.append(time.perf_counter() - start)
    return percentiles(samples)


def engine_figures(passages: int, seconds: float, folder: Path, text_bytes: int, run: Callable[[Query], object]) -> dict[str, object]:
    """An engine built in one process: its speed, its size, and its warm query latency."""
    size = folder_size(folder)
    return {
        "ingest_s_jobs1": round(seconds, 1),
        "passages_per_s_jobs1": round(passages / seconds),
        "index_mb": round(size / 1e6, 1),
        "index_to_text": round(size / text_bytes, 2),
        **warm_latency(run),
    }


#: runs a command, then prints its seconds and its peak memory (KB) last on stderr: measured
#: from a small process, since a child forked from this one counts this one's pages in its peak
#: until it execs
_MEASURE = (
    "import resource, subprocess, sys, time; start = time.perf_counter(); "
    "code = subprocess.call(sys.argv[1:]); "
    "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mb: float
    stdout: str


def measured(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run a command (exit status 0 or 1); its seconds, its own peak memory and its output."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})
    *errors, last = done.stderr.splitlines() or [""]
    if done.returncode not in (0, 1):  # 1: some file failed, the rest is indexed; or no hits
        raise RuntimeError(f"{' '.join(command[:4])} failed: {' '.join(errors)[-500:]}")
    seconds, peak_kb = last.split()
    return Measured(float(seconds), int(peak_kb) / 1024, done.stdout)


def query_file(path: Path) -> Path:
    """The benchmark's queries as a saved query file, 100 hits each (an analyst's weekly run)."""
    def quoted(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)  # a TOML basic string

    tables = ["[defaults]", "limit = 100", ""]
    for number, query in enumerate(QUERIES, start=1):
        tables += ["[[query]]", f'name = "q{number}"', f"q = {quoted(query.q)}"]
        tables += [f"lang = {quoted(query.lang)}"] * bool(query.lang)
        tables += [f"since = {quoted(query.since)}"] * bool(query.since) + [f"until = {quoted(query.until)}"] * bool(query.until)
        tables.append("")
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


# --- the three engines ----------------------------------------------------------------------------


def bench_ours(
    corpus: Path, work: Path, jobs_list: Sequence[int], text_bytes: int, location: str | None = None, bulk: Sequence[int] = ()
) -> dict[str, object]:
    """Our engine on a Whoosh folder, or (``location``) on an OpenSearch index; ``bulk``: the
    OpenSearch batch sizes to try (actions per ``_bulk``), with the largest number of jobs."""
    from policy_search import open_index
    from policy_search.backends import open_backend

    result: dict[str, object] = {}
    work.mkdir(parents=True, exist_ok=True)
    index_path: Path | str = location or work / "ours"
    cache = open_backend(index_path).cache_dir()
    runs = [(jobs, None) for jobs in jobs_list] + [(max(jobs_list), size) for size in bulk]
    for jobs, batch in runs:
        if location is None:
            shutil.rmtree(index_path, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)  # from scratch: every file read again
        command = [sys.executable, "-m", "policy_search", "ingest", str(corpus), "--index", str(index_path), "--jobs", str(jobs), "--silent", "--rebuild"]
        done = measured(command, {"POLICY_SEARCH_OPENSEARCH_BATCH": str(batch)} if batch else {})
        passages = int(done.stdout.rsplit(";", 1)[1].split()[0])
        key = f"bulk{batch}" if batch else f"jobs{jobs}"
        result[f"ingest_s_{key}"] = round(done.seconds, 1)
        result[f"passages_per_s_{key}"] = round(passages / done.seconds)
        result["passages"] = passages
        # the writing process or one of its workers, whichever grew most
        result["peak_mb_ingest"] = max(float(result.get("peak_mb_ingest", 0)), round(done.peak_mb, 1))  # type: ignore[arg-type]
    size = folder_size(index_path) if location is None else opensearch_size(location)
    result["index_mb"] = round(size / 1e6, 1)
    result["index_to_text"] = round(size / text_bytes, 2)
    index = open_index(index_path)
    result.update(warm_latency(lambda q: index.search(q.q, lang=q.lang, since=q.since, until=q.until)))
    peaks = []
    for name, query in (("cold_latin_s", "coordinated regional development"), ("cold_chinese_s", "区域协调发展")):
        # the interpreter running this script, so that no activated environment is needed
        runs = [measured([sys.executable, "-m", "policy_search", "search", query, "--index", str(index_path), "--limit", "10"])
                for _ in range(7)]
        result[name] = round(statistics.median(r.seconds for r in runs), 2)
        peaks += [r.peak_mb for r in runs]
    result["peak_mb_search"] = round(max(peaks), 1)
    run_file = query_file(work / "queries.toml")
    done = measured([sys.executable, "-m", "policy_search", "run", str(run_file), "--index", str(index_path), "--out", str(work / "run.csv")])
    result["run_s"], result["peak_mb_run"] = round(done.seconds, 1), round(done.peak_mb, 1)
    return result


def opensearch_size(location: str) -> int:
    """The bytes an OpenSearch index takes on disk, its primaries only (a replica is a copy)."""
    from policy_search.backends.opensearch.connection import connect, parse_location

    where = parse_location(location)
    stats = connect(where).indices.stats(index=where.name, metric="store")
    return int(stats["_all"]["primaries"]["store"]["size_in_bytes"])


def bench_naive(passages: list[dict[str, object]], work: Path, text_bytes: int) -> dict[str, object]:
    import baseline

    folder = work / "naive"
    shutil.rmtree(folder, ignore_errors=True)
    rows = [{"doc_id": "d", "passage": n, "lang": p["lang"], "text": p["text"], "section": ""} for n, p in enumerate(passages)]
    start = time.perf_counter()
    baseline.build(rows, folder)
    seconds = time.perf_counter() - start
    index = baseline.NaiveIndex(folder)
    return engine_figures(len(rows), seconds, folder, text_bytes, lambda q: index.search(q.q, 10))


def bench_tantivy(passages: list[dict[str, object]], work: Path, text_bytes: int) -> dict[str, object]:
    """tantivy on our own tokens: each passage's analysed terms, joined by spaces."""
    try:
        import tantivy
    except ImportError:
        return {"skipped": "tantivy is not installed (pip install -e '.[bench]')"}
    from policy_search.analysis.analyzers import analyzer_for, read_dictionary

    dictionary = read_dictionary()
    analyzers = {lang: analyzer_for(lang, dictionary) for lang in ("en", "fr", "zh")}
    builder = tantivy.SchemaBuilder()
    for lang in analyzers:
        builder.add_text_field(f"body_{lang}", stored=False, tokenizer_name="ws", index_option="position")
    schema = builder.build()
    folder = work / "tantivy"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    index = tantivy.Index(schema, path=str(folder))
    index.register_tokenizer("ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    start = time.perf_counter()
    writer = index.writer()
    for p in passages:
        tokens = " ".join(t.text for t in analyzers[p["lang"]](p["text"], mode="query"))
        writer.add_document(tantivy.Document(**{f"body_{p['lang']}": tokens}))
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - start
    index.reload()
    searcher = index.searcher()

    def run(query: Query) -> object:
        words = [w for w in query.q.replace('"', " ").split() if w not in ("OR", "AND", "NOT") and not w.endswith("*")]
        clauses = []
        for word in words:
            options = []
            for lang, analyzer in analyzers.items():
                terms = [t.text for t in analyzer(word, mode="query")]
                field = f"body_{lang}"
                if len(terms) == 1:
                    options.append(tantivy.Query.term_query(schema, field, terms[0]))
                elif terms:
                    options.append(tantivy.Query.phrase_query(schema, field, terms))
            if options:
                clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query([(tantivy.Occur.Should, o) for o in options])))
        return searcher.search(tantivy.Query.boolean_query(clauses), 10).hits if clauses else []

    return engine_figures(len(passages), seconds, folder, text_bytes, run)


# --- running and reporting ----------------------------------------------------------------------

FIGURES = [
    ("passages_per_s_jobs1", "ingest passages/s, 1 job", True),
    ("passages_per_s_jobs2", "ingest passages/s, 2 jobs", True),
    ("index_to_text", "index size / text size", False),
    ("p50_ms", "warm query p50 (ms)", False),
    ("p95_ms", "warm query p95 (ms)", False),
    ("max_ms", "warm query max (ms)", False),
    ("cold_latin_s", "cold search process, Latin (s)", False),
    ("cold_chinese_s", "cold search process, Chinese (s)", False),
    ("peak_mb_ingest", "peak memory of ingest (MB)", False),
    ("peak_mb_search", "peak memory of a search process (MB)", False),
    ("run_s", f"`run` of the {len(QUERIES)} queries, 100 hits each, to CSV (s)", False),
    ("peak_mb_run", "peak memory of that `run` (MB)", False),
]

#: what an index ten times the largest measured would take, from the growth between the two
#: largest sizes (a power law through them): what grows with the passages grows tenfold again,
#: what does not (a search's memory, the vocabulary of a drawn corpus) stays
ESTIMATED = ["ingest_s_jobs2", "index_mb", "p95_ms", "peak_mb_ingest", "peak_mb_search", "run_s", "peak_mb_run"]


def estimate(runs: dict[int, dict[str, object]]) -> str:
    """A 10x estimate from the two largest runs of ours, with the growth factor of each figure."""
    if len(runs) < 2:
        return ""
    (small, before), (large, after) = sorted(runs.items())[-2:]
    step = large / small
    lines = [f"\n### Estimate at {10 * large:,} passages (from {small:,} and {large:,})", "",
             f"| figure | at {large:,} | growth x{step:g} | estimate at {10 * large:,} |", "| --- | --- | --- | --- |"]
    for key in ESTIMATED:
        a, b = before.get(key), after.get(key)
        if not (isinstance(a, int | float) and isinstance(b, int | float) and a > 0):
            continue
        growth = b / a
        lines.append(f"| {key} | {b} | {growth:.2f} | {b * growth ** (math.log(10) / math.log(step)):,.1f} |")
    return "\n".join(lines)


def report(size: int, run: dict[str, dict[str, object]]) -> str:
    ours, naive, tantivy_, cluster = run["ours"], run["naive"], run["tantivy"], run.get("opensearch", {})
    lines = [f"\n### {size:,} passages ({ours.get('passages')} after our ingest)", "",
             "| figure | ours | naive | ours/naive | tantivy | ours/tantivy | ours on OpenSearch |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    bulk = [(key, f"ingest passages/s, 2 jobs, {key[len('passages_per_s_bulk'):]} a bulk request") for key in cluster if key.startswith("passages_per_s_bulk")]
    for key, label in [(key, label) for key, label, _ in FIGURES] + bulk:
        mine, theirs, rust, remote = ours.get(key), naive.get(key), tantivy_.get(key), cluster.get(key)

        def ratio(a: object, b: object) -> str:
            return f"{a / b:.2f}" if isinstance(a, int | float) and isinstance(b, int | float) and b else "-"

        def shown(value: object) -> str:
            return "-" if value is None else str(value)

        lines.append(f"| {label} | {shown(mine)} | {shown(theirs)} | {ratio(mine, theirs)} | {shown(rust)} | {ratio(mine, rust)} | {shown(remote)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Speed benchmark on real passages.")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="source folder (default ./corpus)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="corpus sizes in passages")
    parser.add_argument("--large", action="store_true", help="add 1,000,000 passages (built once, cached in .bench/)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="ingest with these numbers of processes")
    parser.add_argument("--skip-ours", action="store_true", help="not the Whoosh backend (with --backend: OpenSearch alone)")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-tantivy", action="store_true")
    parser.add_argument("--backend", help="also our engine on this OpenSearch cluster (opensearch://HOST:PORT[,HOST:PORT]); indices bench-SIZE")
    parser.add_argument("--bulk", type=int, nargs="*", default=[], help="with --backend, also ingest with these actions per _bulk request")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    sizes = args.sizes + ([1_000_000] if args.large else [])
    results: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "corpus": str(args.corpus),
        "seed": SEED,
        "queries": len(QUERIES),
        "runs": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = source_passages(args.corpus, work)
        mix = Counter(p["lang"] for p in source)
        results["source_passages"] = len(source)
        results["language_mix"] = {lang: round(n / len(source), 3) for lang, n in sorted(mix.items())}
        print(f"language mix: {results['language_mix']}; {len(QUERIES)} queries", file=sys.stderr)
        for size in sizes:
            passages = sample(source, size)
            cached = CACHE / f"corpus-{args.corpus.name}-{size}"
            if not cached.is_dir():
                write_corpus(passages, cached.with_suffix(".partial"))
                os.replace(cached.with_suffix(".partial"), cached)
            text_bytes = sum(len(p["text"].encode("utf-8")) for p in passages)
            print(f"== {size:,} passages, {text_bytes / 1e6:.1f} MB of text", file=sys.stderr)
            run = {
                "text_mb": round(text_bytes / 1e6, 1),
                "ours": {} if args.skip_ours else bench_ours(cached, work / f"run-{size}", args.jobs, text_bytes),
                "naive": {} if args.skip_naive else bench_naive(passages, work / f"run-{size}", text_bytes),
                "tantivy": {} if args.skip_tantivy else bench_tantivy(passages, work / f"run-{size}", text_bytes),
            }
            if args.backend:
                location = f"{args.backend.rstrip('/')}/bench-{size}"
                run["opensearch"] = bench_ours(cached, work / f"run-{size}", args.jobs, text_bytes, location, args.bulk)
            results["runs"][str(size)] = run  # type: ignore[index]
            print(report(size, run), flush=True)
            shutil.rmtree(work / f"run-{size}", ignore_errors=True)
        print(estimate({int(size): run["ours"] for size, run in results["runs"].items()}), flush=True)  # type: ignore[attr-defined]
    print(f"\n{results['machine']}; {results['date']}; source {results['corpus']} "
          f"({results['source_passages']} passages, mix {results['language_mix']}); seed {SEED}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
