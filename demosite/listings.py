"""The demo site's pages of links: the home page (every role) and a role's page ("Compare
… with other careers": every comparison it is on, some links without the trailing
slash, with a tracking query or into ``/preview/``)."""

from __future__ import annotations

import html as htmllib

from demosite import generator
from demosite.catalog import Catalog
from demosite.layout import PREVIEW_PREFIX
from demosite.resources import Resource, html_resource
from scraper.urls import comparison_path, role_path


def _role_href(path: str, style: int) -> str:
    if style == 1:
        return path.rstrip("/")
    if style == 2:
        return path + "?utm_source=role&utm_medium=compare"
    if style == 4:
        return PREVIEW_PREFIX + path
    return path


def _comparison_items(catalog: Catalog, slug: str, pages: int) -> list[str]:
    items = []
    for n, i in enumerate(catalog.comparisons_of(slug, pages)):
        a, b = catalog.pair(i)
        href = _role_href(comparison_path(a, b), (i + n) % 6)
        label = f"{catalog.role_title(a)} vs {catalog.role_title(b)}"
        items.append(
            f'<li><a class="list-link" href="{htmllib.escape(href)}">'
            f"{htmllib.escape(label, quote=False)}</a></li>"
        )
    if slug in generator.SEED_SLUGS:
        items.insert(
            0,
            f'<li><a class="list-link" href="{generator.SEED_PATH}">'
            "Customer Service/Operations Manager vs Operations Project Manager"
            "</a></li>",
        )
    return items


def role_page(catalog: Catalog, slug: str, pages: int) -> Resource:
    """The page of role ``slug`` on a site of ``pages`` comparisons."""
    title = catalog.role_title(slug) or slug
    items = _comparison_items(catalog, slug, pages)
    esc = htmllib.escape(title, quote=False)
    canonical = generator.DEFAULT_BASE_URL.rstrip("/") + role_path(slug)
    body = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc} Jobs - Zippia</title>"
        f'<link rel="canonical" href="{canonical}">'
        f'</head><body><div id="__next"><main><h1>{esc} jobs</h1>\n'
        f'<section id="compare"><h2>Compare {htmllib.escape(title.lower(), quote=False)} '
        f'with other careers</h2>\n<ul class="list-unstyled">\n'
        + "\n".join(items)
        + "\n</ul></section></main></div></body></html>\n"
    )
    return html_resource(body, f"role:{slug}")


def home_page(catalog: Catalog, pages: int) -> Resource:
    """The home page: a link to every role on a site of ``pages`` comparisons."""
    links = "\n".join(
        f'<li><a href="{role_path(s)}">{htmllib.escape(catalog.role_title(s) or s)}</a></li>'
        for s in catalog.roles(pages)
    )
    body = (
        "<!DOCTYPE html>\n<html><head><title>Zippia demo site</title></head><body>"
        f"<h1>Explore careers</h1><ul>\n{links}\n</ul></body></html>\n"
    )
    return html_resource(body, "home")
