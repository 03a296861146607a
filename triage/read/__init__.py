"""Reading: files of every supported format into Documents with page and offset provenance."""
