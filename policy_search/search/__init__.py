"""The query language, parsed into a query tree the backends evaluate, and snippets cut from
the matched passages."""
