"""The ingest: which files changed, read in worker processes, written through a backend's
writer."""
