"""Fetching and parsing: comparison pages in, typed records out."""
