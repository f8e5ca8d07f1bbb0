"""Words the demo site's pages are made of: real US places, employers, schools and the
labels the live site shows. Plain data, kept in ``demosite/data/vocab.json``;
``demosite.generator`` draws from it.

- ``RACE_LABELS``: as the live site shows them, in its usual order.
- ``SKILLS``: as the intro names them; none contains a comma or " and ", as on the site.
- ``BASE_TITLES``: role titles as the site writes them, punctuation as found in the wild.
  The first four are the seed page's two roles and the two its "compare with other
  careers" links name.
- ``TITLE_PREFIXES``, ``TITLE_SUFFIXES``: level words put before or after a base title to
  make more roles (the live site has thousands).
- ``DUTY_OPENINGS``: opening clauses of a role's "What does … do?" paragraph
  (``{article} {title} {opening} …``); ``DUTIES`` completes them.
"""

from __future__ import annotations

import json
from importlib import resources

_TABLES: dict[str, list[str]] = json.loads(
    resources.files("demosite").joinpath("data/vocab.json").read_text("utf-8")
)


def _table(name: str) -> tuple[str, ...]:
    return tuple(_TABLES[name])


CITIES = _table("cities")
STATES = _table("states")
COMPANIES = _table("companies")
INDUSTRIES = _table("industries")
MAJORS = _table("majors")
COLLEGES = _table("colleges")
DEGREES = _table("degrees")
RACE_LABELS = _table("race_labels")
SKILLS = _table("skills")
BASE_TITLES = _table("base_titles")
TITLE_PREFIXES = _table("title_prefixes")
TITLE_SUFFIXES = _table("title_suffixes")
DUTY_OPENINGS = _table("duty_openings")
DUTIES = _table("duties")
