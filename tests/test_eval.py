"""Ranking quality on the judged queries must not drop below the recorded figures."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


def load_script(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluation(corpus_index: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    evaluate = load_script("evaluate")
    return evaluate.run(corpus_index, tmp_path_factory.mktemp("naive"))  # type: ignore[no-any-return]


def test_judged_queries_cover_the_three_languages() -> None:
    judged = load_script("evaluate").read_judgements()
    counts = {lang: sum(1 for j in judged if j.lang == lang) for lang in ("zh", "en", "fr")}
    assert counts == {"zh": 23, "en": 23, "fr": 24}
    assert len({j.id for j in judged}) == 70


@pytest.mark.parametrize("lang", ["zh", "en", "fr", "all"])
def test_ranking_does_not_drop_below_the_recorded_figures(evaluation: dict[str, object], lang: str) -> None:
    recorded = json.loads((ROOT / "tests" / "eval" / "recorded.json").read_text(encoding="utf-8"))["ours"][lang]
    ours = evaluation["ours"][lang]  # type: ignore[index]
    assert {m: v for m, v in ours.items() if v < recorded[m] - 1e-9} == {}, f"{lang}: {ours} < {recorded}"


@pytest.mark.parametrize("lang", ["zh", "en", "fr"])
def test_ranking_is_at_least_the_naive_set_ups(evaluation: dict[str, object], lang: str) -> None:
    ours, naive = evaluation["ours"][lang], evaluation["naive"][lang]  # type: ignore[index]
    assert ours["mrr"] >= naive["mrr"] and ours["ndcg@10"] > naive["ndcg@10"]
