"""The storage layer: the only code that writes the database.

Each table family has one owner: ``store.runs`` (``runs``), ``store.crawl_state``
(``frontier``, ``url_state``, ``fetches``), ``store.comparisons`` (``roles``,
``comparisons``, ``role_observations`` and its children, ``role_search``),
``store.issues`` (``parse_issues``) and ``store.load_stats`` (``load_stats``).
``store.db`` opens the database and holds the transaction and atomic-write helpers.
The schema itself (DDL, migrations, views) is ``schemas.database``.
"""
