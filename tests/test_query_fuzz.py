"""Property tests: no query string and no saved query file makes anything fail but with the
project's own error (issue 14). A few hundred examples each in the default run; set
POLICY_SEARCH_FUZZ=10000 (as .ci/run does) for the thorough run, marked slow."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_search.api import Index
from policy_search.errors import PolicySearchError
from policy_search.output.saved import parse_queries, read_queries, run_queries

EXAMPLES = int(os.environ.get("POLICY_SEARCH_FUZZ", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=EXAMPLES <= 300,  # the default run is the same every time; the thorough one explores
)
pytestmark = pytest.mark.slow if EXAMPLES > 300 else []

# pieces of the query language, real words of the bundled corpus among them, and what breaks it
WORDS = ["区域协调发展", "區域協調發展", "发展", "民大", "airport", "Taxkorgan", "développement", "l'économie",
         "in", "each", "of", "the", "法院", "court", "a", "x", "12", "2024", "B"]
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(["OR", "AND", "NOT", "(", ")", '"', "“", "”", "「", "」", "*", ":", "lang:", "doc:", "title:",
                     "section:", "lang:zh", "lang:xx", "doc:seeds/*", "doc:", "section:\"Box 12\"", "since:", "foo:bar",
                     "ab*", "a*", "发*", "\\", "'", "’", "-", "+", "~", "^2", "\x00", "\x1b[31m", "\u202e", "\t", "\n"]),
    st.text(min_size=1, max_size=6),
    st.text(alphabet=st.characters(categories=["Lo"]), min_size=1, max_size=8),  # Han and other letters
)
QUERIES = st.lists(PIECES, min_size=0, max_size=24).map(" ".join) | st.text(max_size=80)


_SLOWEST = [0.0]


def _log_slowest(query: str, seconds: float) -> None:
    """With POLICY_SEARCH_FUZZ_LOG=FILE, the slowest query so far is written there (for the notes)."""
    log = os.environ.get("POLICY_SEARCH_FUZZ_LOG")
    if log and seconds > _SLOWEST[0]:
        _SLOWEST[0] = seconds
        Path(log).write_text(f"{seconds:.3f} s: {query!r}\n", encoding="utf-8")


@FUZZ
@given(query=QUERIES, limit=st.integers(0, 30), offset=st.integers(0, 5), lang=st.sampled_from([None, "zh", "en", "fr"]))
def test_any_query_is_answered_or_refused_with_our_error(index: Index, query: str, limit: int, offset: int, lang: str | None) -> None:
    started = time.perf_counter()
    try:
        results = index.search(query, limit=limit, offset=offset, lang=lang)
    except PolicySearchError as exc:
        assert str(exc) and "\n" not in str(exc).strip()  # one line
        return
    finally:
        _log_slowest(query, time.perf_counter() - started)
    assert results.total >= len(results.hits)
    assert [h.rank for h in results.hits] == list(range(offset + 1, offset + len(results.hits) + 1))


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=True) | st.text(max_size=12)
    | st.sampled_from(WORDS + ["zh", "en", "fr", "seeds/*", "2024", "2024-13", "1999-01-01"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(["name", "q", "limit", "offset", "lang", "doc", "since", "until", "limt", "snippets", ""])
QUERY_TABLES = st.dictionaries(KEYS, VALUES, max_size=7)
FILES = st.fixed_dictionaries(
    {},
    optional={
        "defaults": st.dictionaries(KEYS, VALUES, max_size=4) | VALUES,
        "query": st.lists(QUERY_TABLES | VALUES, max_size=4) | VALUES,
        "extra": VALUES,
    },
)


@FUZZ
@given(data=FILES)
def test_any_saved_query_file_is_run_or_refused_with_our_error(index: Index, data: dict[str, Any]) -> None:
    try:
        queries = parse_queries(data, Path("weekly.toml"))
    except PolicySearchError as exc:
        assert str(exc).startswith("weekly.toml: ")
        return
    rows: list[dict[str, object]] = []
    report = run_queries(index, queries, rows.append)
    assert len(report.outcomes) == len(queries)  # a query that fails is reported, the others run


@FUZZ
@given(text=st.text(max_size=200) | st.lists(st.sampled_from(['[[query]]', 'name = "x"', 'q = "发展"', "[defaults]",
                                                               "limit = 5", 'lang = ["zh"]', "q = 5", "= =", "[query]"]),
                                              max_size=8).map("\n".join))
def test_any_text_as_a_saved_query_file_is_read_or_refused_with_our_error(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("saved") / "weekly.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        read_queries(path)
    except PolicySearchError:
        pass
