"""The OpenSearch backend: the index's mapping and token strings, the query tree as query DSL,
a generation-by-generation bulk writer, and a searcher with the Whoosh backend's ranking rules."""
