"""URL shapes of the comparison site: slugs, comparison paths, normalization.

A comparison's identity is its pair of role slugs (``page_key``), never the host
or port it was fetched from, so a mirror or the demo site on another port is the
same comparison.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

_SLUG_DROP = re.compile(r"[&,'().\u2019]")
_SLUG_DASH = re.compile(r"[/\s]+")
_SLUG_REPEAT = re.compile(r"-{2,}")
_COMPARISON_PATH = re.compile(r"^/(?P<a>[a-z0-9-]+)-jobs/(?P<pair>[a-z0-9-]+)-differences/?$")
_ROLE_PATH = re.compile(r"^/(?P<a>[a-z0-9-]+)-jobs/?$")


def slugify(title: str) -> str:
    """A role title as the site slugs it: lowercase; ``& , ' ( ) .`` dropped; ``/`` and
    whitespace become ``-``; repeated ``-`` collapsed."""
    slug = _SLUG_DROP.sub("", title.strip().lower())
    slug = _SLUG_DASH.sub("-", slug)
    return _SLUG_REPEAT.sub("-", slug).strip("-")


def comparison_path(slug_a: str, slug_b: str) -> str:
    return f"/{slug_a}-jobs/{slug_a}-vs-{slug_b}-differences/"


def role_path(slug: str) -> str:
    return f"/{slug}-jobs/"


def comparison_slugs(url: str) -> tuple[str, str] | None:
    """``(slug_a, slug_b)`` when ``url`` (absolute or a path) is a comparison page, else None."""
    match = _COMPARISON_PATH.match(urlsplit(url).path.lower())
    if not match:
        return None
    slug_a, pair = match["a"], match["pair"]
    prefix = f"{slug_a}-vs-"
    if not pair.startswith(prefix) or len(pair) == len(prefix):
        return None
    return slug_a, pair[len(prefix) :]


def role_slug_of(url: str) -> str | None:
    """The slug of a role page (``/{a}-jobs/``), else None."""
    match = _ROLE_PATH.match(urlsplit(url).path.lower())
    return match["a"] if match else None


def page_key(url: str) -> str:
    """Host-independent identity of a page: the canonical comparison path for comparison
    pages, the normalized path (and query) otherwise."""
    slugs = comparison_slugs(url)
    if slugs:
        return comparison_path(*slugs)
    parts = urlsplit(normalize_url(url))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def normalize_url(url: str, base: str | None = None) -> str:
    """Absolute URL with lower-case scheme and host, default port dropped, no fragment;
    comparison URLs also lose their query string and always end in ``/``."""
    if base is not None:
        url = urljoin(base, url.strip())
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = _bracketed(parts.hostname or "")
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = parts.path or "/"
    if "/." in path:
        path = urlsplit(urljoin("http://h/", path)).path
    query = parts.query
    slugs = comparison_slugs(path)
    if slugs:
        path, query = comparison_path(*slugs), ""
    elif _ROLE_PATH.match(path.lower()) and not path.endswith("/"):
        path += "/"
    return urlunsplit((scheme, host, path, query, ""))


def host_of(url: str) -> str:
    """``host[:port]`` of an absolute URL, lower-cased, the unit politeness is kept per."""
    parts = urlsplit(url)
    host = _bracketed(parts.hostname or "")
    return f"{host}:{parts.port}" if parts.port else host


def _bracketed(hostname: str) -> str:
    """Lower-cased host, IPv6 literals back in the brackets ``urlsplit`` strips."""
    hostname = hostname.lower()
    return f"[{hostname}]" if ":" in hostname else hostname


WEB_SCHEMES = ("http", "https")


def is_web_url(url: str) -> bool:
    """Whether ``url`` is an absolute ``http``/``https`` URL with a host: the only URLs a
    crawl fetches, stores or links to (``gopher:``, ``ftp:``, ``javascript:`` ... are not)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
        return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)
    except ValueError:  # a malformed port or IPv6 literal
        return False


def web_url_or_none(url: str | None) -> str | None:
    """``url`` normalized when it is an ``http``/``https`` URL, else None (e.g. a page's
    canonical link naming a ``javascript:`` URL)."""
    if url is None or not is_web_url(url):
        return None
    return normalize_url(url)


def record_place(
    record_url: str | None, fetch_url: str | None, slugs: tuple[str, str]
) -> tuple[str, str, str | None]:
    """``(url, page_key, canonical_url)`` of a parsed record: the URL it was fetched from
    (else the one it names, else its comparison path), its page key, and its canonical
    URL when it is a web URL (the fetched URL for a record read without a fetch)."""
    if fetch_url is not None:
        url = normalize_url(fetch_url)
        canonical = web_url_or_none(record_url)
    elif record_url:
        url = normalize_url(record_url)
        canonical = url if is_web_url(url) else None
    else:
        url, canonical = comparison_path(*slugs), None
    return url, page_key(url), canonical
