"""Background work: the in-process job runner (and, later, the distributed pipeline worker)."""
