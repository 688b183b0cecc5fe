"""The Whoosh backend: the index's folder, schema and codec, its writer, and the ranker that
reads its segments."""
