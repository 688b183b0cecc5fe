"""Whoosh and jieba imported without standard modules they load and this tool never uses.

Every command is a new process, so what its imports cost is paid on every search. Three of
them are spent on modules no code here reaches:

- ``whoosh.compat`` imports ``urllib.request`` (with ``http.client`` and ``email``: 33 ms)
  for ``urlretrieve``, which nothing in Whoosh calls;
- ``whoosh.reading`` takes ``cached_property`` from the PyPI package of that name, which
  imports ``asyncio`` (19 ms) for coroutine properties; Whoosh has none, and the standard
  library's ``functools.cached_property`` does the same for plain ones;
- ``jieba._compat`` imports ``pkg_resources`` (84 ms, and deprecated) to open its dictionary,
  and opens it by path when that import fails;
- ``jieba`` imports ``jieba.finalseg`` (21 ms, most of it a table of 35,000 emission
  probabilities) for its HMM, which guesses words missing from the dictionary; we cut with
  ``HMM=False`` (words must cut alike in every passage and query), so it stands in until a
  call reaches it;
- ``whoosh.query.terms`` imports ``whoosh.lang.morph_en`` (5 ms, 600 regular expressions
  compiled) for its ``Variations`` query, which our parser never builds;
- ``numpy.linalg`` imports ``numpy._typing`` (23 ms of the 60 ms NumPy 2.4 takes to import, its
  protocols and type aliases built at run time) for one name, ``NDArray``, which it uses only in
  the annotations of its result tuples (``EigResult``, ``SVDResult``...); NumPy 1.26 to 2.4 alike.

The stand-ins are in ``sys.modules`` only while that one import runs: any later import of
these modules gets the real ones.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


def _called_later(module: str, name: str) -> Any:
    """A function that imports ``module`` when first called and calls its ``name``: a stand-in
    for a name taken with ``from module import name`` while the stand-in module is in place."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call


def _module(name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


@contextmanager
def _standing_in(modules: Mapping[str, types.ModuleType | None]) -> Iterator[None]:
    """``modules`` in place of the real ones (None: an import of it fails) for the imports
    made inside, unless the real one is already imported."""
    placed = [name for name in modules if name not in sys.modules]
    for name in placed:
        sys.modules[name] = modules[name]  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in placed:
            sys.modules.pop(name, None)


def import_whoosh() -> None:
    """Import the Whoosh modules that import ``urllib.request``, ``asyncio`` and morph_en."""
    stand_ins = {
        "urllib.request": _module("urllib.request", urlretrieve=_called_later("urllib.request", "urlretrieve")),
        "cached_property": _module("cached_property", cached_property=functools.cached_property),
        "whoosh.lang.morph_en": _module("whoosh.lang.morph_en", variations=_called_later("whoosh.lang.morph_en", "variations")),
    }
    with _standing_in(stand_ins):
        importlib.import_module("whoosh.compat")
        importlib.import_module("whoosh.reading")
        importlib.import_module("whoosh.query")


class _ArrayAnnotation:
    """``NDArray[...]`` in numpy.linalg's annotations while its import runs: any type at all."""

    def __class_getitem__(cls, item: Any) -> Any:
        return Any


def import_numpy() -> types.ModuleType:
    """NumPy, whose linalg module is built with a stand-in for its one typing alias."""
    with _standing_in({"numpy._typing": _module("numpy._typing", NDArray=_ArrayAnnotation)}):
        return importlib.import_module("numpy")


def _on_first_use(name: str) -> types.ModuleType:
    """A stand-in for module ``name`` that imports the real one when an attribute is asked for
    (once the stand-in has left ``sys.modules``)."""
    stand_in = types.ModuleType(name)

    def real(attribute: str) -> Any:
        if sys.modules.get(name) is stand_in:
            raise AttributeError(f"{name}.{attribute} is asked for while {name} stands in")
        return getattr(importlib.import_module(name), attribute)

    stand_in.__getattr__ = real  # type: ignore[method-assign]
    return stand_in


def import_jieba() -> types.ModuleType:
    """jieba, which opens its dictionary by path when ``pkg_resources`` cannot be imported,
    with its HMM imported when first used."""
    with _standing_in({"pkg_resources": None, "jieba.finalseg": _on_first_use("jieba.finalseg")}):
        return importlib.import_module("jieba")
