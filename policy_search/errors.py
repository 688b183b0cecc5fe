"""The exceptions the library raises; the CLI turns each into a one-line message."""


class PolicySearchError(Exception):
    """Base class: an expected failure with a message fit for the user."""


class IndexMissing(PolicySearchError):
    """The index directory does not exist or holds no policy-search index."""


class IndexDamaged(PolicySearchError):
    """A file of the index cannot be read as what it should be (truncated, altered, missing)."""


class IndexUnwritable(PolicySearchError):
    """The index, or a file policy-search keeps beside it, cannot be written where it is."""


class IndexLocked(PolicySearchError):
    """Another process is writing the index and did not finish in time."""


class QueryError(PolicySearchError):
    """A malformed query or filter."""


class IndexUnreachable(PolicySearchError):
    """The cluster that holds the index cannot be reached, refuses us, or is not one we support."""
