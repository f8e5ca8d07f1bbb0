"""Record models, settings and the database schema."""
