"""What makes a live-size page as big as the live site's: the Next.js navigation JSON and
menus.

None of it carries the comparison; it is there so that the parser and the crawler
handle pages of the live site's size.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import random
from functools import lru_cache

from demosite.cells import Classes

_TAGS = (
    "remote",
    "entry-level",
    "full-time",
    "part-time",
    "hybrid",
    "contract",
    "union",
    "night-shift",
    "travel",
)


@lru_cache(maxsize=8)
def _nav_entries(deploy: str, roles: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Pre-serialized JSON navigation entries, the bulk of a live page's payload."""
    rng = random.Random(f"{deploy}:nav")
    entries = []
    for i in range(900):
        slug, title = roles[i % len(roles)]
        entry = {
            "id": rng.randrange(10**6, 10**7),
            "slug": slug,
            "title": title,
            "href": f"/{slug}-jobs/",
            "jobCount": rng.randrange(1000, 500000),
            "medianSalary": rng.randrange(25000, 200000),
            "tags": rng.sample(_TAGS, 3),
            "image": f"/_next/image?url=%2Fimages%2F{slug}.webp&w=256&q=75",
        }
        entries.append(json.dumps(entry, separators=(",", ":")))
    return tuple(entries)


@lru_cache(maxsize=64)
def nav_html(deploy: str, salt: str, roles: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """The header menu and the footer's link columns (class names hashed with ``salt``)."""
    cls = Classes(deploy, salt)
    link = cls("header", "menuLink")
    menu = "\n".join(
        f'<li class="{cls("header", "menuItem")}"><a class="{link}" href="/{slug}-jobs/">'
        f"{htmllib.escape(title, quote=False)}</a></li>"
        for slug, title in roles
    )
    header_menu = f'<ul class="{cls("header", "menu")}">\n{menu}\n</ul>'
    columns = []
    for col in range(6):
        items = "".join(
            f'<li><a href="/{slug}-jobs/">{htmllib.escape(title, quote=False)} jobs</a></li>'
            for slug, title in roles[col::6]
        )
        columns.append(f'<div class="{cls("footer", "column")}"><ul>{items}</ul></div>')
    return header_menu, "\n".join(columns)


def next_data(
    page_props: dict[str, str],
    deploy: str,
    nav_roles: list[tuple[str, str]],
    size: str,
    rng: random.Random,
) -> str:
    """The ``__NEXT_DATA__`` script's JSON, with the navigation on live-size pages."""
    props: dict[str, object] = {
        "props": {"pageProps": page_props},
        "page": "/[job]/[comparison]",
        "buildId": hashlib.sha1(deploy.encode()).hexdigest()[:8],
    }
    payload = json.dumps(props, separators=(",", ":"))
    if size == "live":
        entries = _nav_entries(deploy, tuple(nav_roles))
        count = rng.randint(620, 820)
        nav = ",".join(entries[:count])
        payload = payload[:-1] + f',"navigation":[{nav}]}}'
    return payload.replace("</", "<\\/")
