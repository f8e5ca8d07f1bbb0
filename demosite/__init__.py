"""The bundled demo site: a seeded, local copy of the comparison-page site."""
