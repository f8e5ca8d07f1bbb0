"""Loading and orchestration: records into SQLite and CSV, runs, reports."""
