"""Loading parsed pages into the database: where pages come from (``source``), what they
add to the history (``history``), and the batch loader (``loader``)."""

from pipeline.load.loader import LoadReport, load_pending, load_records
from pipeline.load.source import Parsed

__all__ = ["LoadReport", "Parsed", "load_pending", "load_records"]
