"""URL shapes: slugs, comparison paths, normalization, host-independent identity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.urls import (
    comparison_path,
    comparison_slugs,
    host_of,
    normalize_url,
    page_key,
    role_slug_of,
    slugify,
)

CANON = "https://www.zippia.com/a-jobs/a-vs-b-differences/"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Customer Service/Operations Manager", "customer-service-operations-manager"),
        ("Research & Development Engineer", "research-development-engineer"),
        ("Driver's Helper (Part-Time), Night", "drivers-helper-part-time-night"),
        ("  Sr.  Analyst ", "sr-analyst"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://WWW.ZIPPIA.COM/a-jobs/a-vs-b-differences",
        "https://www.zippia.com:443/a-jobs/a-vs-b-differences/?utm_source=compare#salary",
        "https://www.zippia.com/A-Jobs/A-vs-B-Differences/",
        "https://www.zippia.com/a-jobs/./a-vs-b-differences/",
    ],
)
def test_comparison_urls_normalize_to_one_form(url: str) -> None:
    assert normalize_url(url) == CANON


def test_relative_links_resolve_against_the_page() -> None:
    base = "http://127.0.0.1:8765/x-jobs/x-vs-y-differences/"
    assert normalize_url("/a-jobs/a-vs-b-differences", base) == (
        "http://127.0.0.1:8765/a-jobs/a-vs-b-differences/"
    )
    assert normalize_url("#top", base) == base


def test_other_urls_keep_their_query_but_lose_the_fragment() -> None:
    assert normalize_url("HTTP://Example.org:80/search?q=a#r") == "http://example.org/search?q=a"
    assert normalize_url("http://example.org") == "http://example.org/"
    assert normalize_url("http://example.org/a-jobs") == "http://example.org/a-jobs/"


def test_identity_is_the_pair_of_slugs_not_the_host() -> None:
    keys = {
        page_key(CANON),
        page_key("http://127.0.0.1:8765/a-jobs/a-vs-b-differences"),
        page_key("http://mirror.example/a-jobs/a-vs-b-differences/?x=1"),
    }
    assert keys == {"/a-jobs/a-vs-b-differences/"}
    assert page_key("http://h/b-jobs/b-vs-a-differences/") != page_key(CANON)


@pytest.mark.parametrize(
    ("url", "slugs"),
    [
        (CANON, ("a", "b")),
        ("/sales-vs-x-jobs/sales-vs-x-vs-clerk-differences/", ("sales-vs-x", "clerk")),
        ("/a-jobs/b-vs-c-differences/", None),  # the pair must start with the first slug
        ("/a-jobs/a-vs--differences/", None),
        ("/preview/a-jobs/a-vs-b-differences/", None),
        ("/a-jobs/", None),
    ],
)
def test_comparison_slugs(url: str, slugs: tuple[str, str] | None) -> None:
    assert comparison_slugs(url) == slugs


def test_role_slug_and_host() -> None:
    assert role_slug_of("https://www.zippia.com/nurse-jobs/") == "nurse"
    assert role_slug_of(CANON) is None
    assert host_of("http://LOCALHOST:8765/x") == "localhost:8765"
    assert host_of("http://[::1]:8080/x") == "[::1]:8080"
    assert normalize_url("http://[::1]:8080/a-jobs/a-vs-b-differences") == (
        "http://[::1]:8080/a-jobs/a-vs-b-differences/"
    )


_slug = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True)
_host = st.sampled_from(["www.zippia.com", "127.0.0.1:8765", "MIRROR.example", "h:80"])
_tail = st.sampled_from(["", "/", "?utm=1", "/#frag", "/?a=b#c"])


@given(_slug, _slug, _host, _tail, st.sampled_from(["http", "HTTPS"]))
def test_normalization_is_idempotent_and_keeps_the_pair(
    a: str, b: str, host: str, tail: str, scheme: str
) -> None:
    url = f"{scheme}://{host}/{a}-jobs/{a}-vs-{b}-differences{tail}"
    once = normalize_url(url)
    assert normalize_url(once) == once
    assert comparison_slugs(once) == (a, b)
    assert page_key(url) == comparison_path(a, b)
    assert "#" not in once and "?" not in once and once.endswith("/")
