"""Retrieve stage: hybrid dense + keyword search over the index."""
