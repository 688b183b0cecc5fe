"""A Whoosh index in a folder on this machine: the embedded default."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from policy_search.backends import Writer
from policy_search.backends.whoosh.searcher import CurrentState, WhooshSearcher
from policy_search.backends.whoosh.store import building_dir, index_exists, open_whoosh, recover


class WhooshBackend:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._current: CurrentState | None = None

    @property
    def location(self) -> str:
        return str(self.index_dir)

    def exists(self) -> bool:
        return index_exists(self.index_dir)

    def searcher(self) -> WhooshSearcher:
        if self._current is None:
            self._current = CurrentState(self.index_dir)
        return self._current.get()

    @contextmanager
    def writing(self, timeout: float) -> Iterator[None]:
        from policy_search.backends.whoosh.writer import unwritable, write_lock

        try:
            self.index_dir.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise unwritable(self.index_dir, exc) from exc
        with write_lock(self.index_dir, timeout):
            try:
                recover(self.index_dir)
                yield
            except OSError as exc:  # a read-only folder, a full disk: say where, and leave no half-built index
                shutil.rmtree(building_dir(self.index_dir), ignore_errors=True)
                raise unwritable(self.index_dir, exc) from exc

    def settings(self) -> dict[str, Any]:
        from policy_search.backends.whoosh.writer import read_meta

        return read_meta(self.index_dir) if self.exists() else {}

    def set_settings(self, settings: dict[str, Any]) -> None:
        from policy_search.backends.whoosh.writer import write_meta

        write_meta(self.index_dir, settings)

    def stored_dictionary(self) -> tuple[str, ...]:
        from policy_search.backends.whoosh.writer import stored_dictionary

        return stored_dictionary(self.index_dir)

    def writer(self, fresh: bool, dictionary: tuple[str, ...], ocr: bool) -> Writer:
        from policy_search.backends.whoosh.writer import WhooshWriter

        return WhooshWriter(self.index_dir, fresh, dictionary, ocr)

    def passage_count(self) -> int:
        with open_whoosh(self.index_dir).searcher() as searcher:
            return int(searcher.doc_count() - sum(1 for _ in searcher.document_numbers(kind="doc")))

    def cache_dir(self) -> Path:
        """Beside the index, so that a rebuild keeps it."""
        return self.index_dir.with_name(f".{self.index_dir.name}.cache")
