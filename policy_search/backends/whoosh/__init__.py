"""The Whoosh backend: the index's folder, schema and codec, its writer, and the ranker that
reads its segments."""

from policy_search.lean_imports import import_numpy

import_numpy()  # before the codec and the ranker import it
