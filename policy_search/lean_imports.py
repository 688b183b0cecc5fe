"""Whoosh and jieba imported without standard modules they load and this tool never uses.

Every command is a new process, so what its imports cost is paid on every search. Three of
them are spent on modules no code here reaches:

- ``whoosh.compat`` imports ``urllib.request`` (with ``http.client`` and ``email``: 33 ms)
  for ``urlretrieve``, which nothing in Whoosh calls;
- ``whoosh.reading`` takes ``cached_property`` from the PyPI package of that name, which
  imports ``asyncio`` (19 ms) for coroutine properties; Whoosh has none, and the standard
  library's ``functools.cached_property`` does the same for plain ones;
- ``jieba._compat`` imports ``pkg_resources`` (84 ms, and deprecated) to open its dictionary,
  and opens it by path when that import fails.

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


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


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
    """Import the Whoosh modules that import ``urllib.request`` and ``asyncio``."""
    stand_ins = {
        "urllib.request": _module("urllib.request", urlretrieve=_urlretrieve),
        "cached_property": _module("cached_property", cached_property=functools.cached_property),
    }
    with _standing_in(stand_ins):
        importlib.import_module("whoosh.compat")
        importlib.import_module("whoosh.reading")


def import_jieba() -> types.ModuleType:
    """jieba, which opens its dictionary by path when ``pkg_resources`` cannot be imported."""
    with _standing_in({"pkg_resources": None}):
        return importlib.import_module("jieba")
