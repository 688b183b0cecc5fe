"""Where an index lives: a Whoosh folder on this machine, or an OpenSearch index."""
