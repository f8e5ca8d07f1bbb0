"""The demo site over real HTTP: page types, validators, switches, faults and counters."""

from __future__ import annotations

import asyncio
import gzip
import re
import time
import xml.etree.ElementTree as ET
import zlib
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
import pytest
from protego import Protego
from support.demo_site import free_port, start_site

from demosite.faults import PERMANENT, TRANSIENT
from demosite.generator import DEFAULT_BASE_URL, FAMILIES, RENAMED_LABELS, SEED_PATH, generate_page
from demosite.process import site_process
from demosite.server import RunningSite
from scraper.encoding import decode_html
from scraper.urls import comparison_path, comparison_slugs

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def client(site: RunningSite, agent: str, **kwargs: object) -> httpx.Client:
    return httpx.Client(base_url=site.base_url, headers={"User-Agent": agent}, **kwargs)


def sitemap_locs(http: httpx.Client) -> tuple[list[str], list[str]]:
    """(sitemap URLs from the index, page URLs from all of them)."""
    index = ET.fromstring(http.get("/sitemap.xml").content)
    sitemaps = [loc.text or "" for loc in index.findall("sm:sitemap/sm:loc", NS)]
    pages = []
    for url in sitemaps:
        response = http.get(url)
        assert response.status_code == 200
        body = response.content
        if url.endswith(".gz"):
            assert response.headers["content-type"] == "application/gzip"
            body = gzip.decompress(body)
        pages += [loc.text or "" for loc in ET.fromstring(body).findall("sm:url/sm:loc", NS)]
    return sitemaps, pages


# --- page types ----------------------------------------------------------------------------


def test_robots_txt_parses_and_points_at_the_sitemap(demo_site_factory) -> None:
    site = demo_site_factory(crawl_delay=0.5)
    with client(site, "robots-test") as http:
        robots = Protego.parse(http.get("/robots.txt").text)
    assert not robots.can_fetch(site.url("/preview" + site.site.paths[0]), "careers-etl")
    assert not robots.can_fetch(site.url("/_admin/stats"), "careers-etl")
    assert robots.can_fetch(site.url(site.site.paths[0]), "careers-etl")
    assert list(robots.sitemaps) == [site.url("/sitemap.xml")]
    assert robots.crawl_delay("careers-etl") == 0.5


def test_sitemaps_list_every_live_comparison_in_every_url_form(demo_site) -> None:
    with client(demo_site, "sitemap-test") as http:
        sitemaps, pages = sitemap_locs(http)
    assert len(sitemaps) >= 4 and sum(s.endswith(".xml.gz") for s in sitemaps) == 1
    paths = [urlsplit(u).path for u in pages]
    assert any(u.endswith("-differences") for u in pages)  # no trailing slash
    assert any("?utm_" in u for u in pages)
    assert any(p.startswith("/preview/") for p in paths)  # into the disallowed path
    canonical = {comparison_path(*s) for p in paths if (s := comparison_slugs(p))}
    assert canonical == set(demo_site.site.live_paths())
    assert SEED_PATH in canonical and len(canonical) == 51
    assert any(p.endswith("-jobs/") for p in paths)  # the roles sitemap


def test_comparison_pages_seed_page_and_url_forms(demo_site) -> None:
    path = demo_site.site.paths[4]
    with client(demo_site, "pages-test") as http:
        page = http.get(path)
        assert page.status_code == 200 and page.text.rstrip().endswith("</html>")
        assert page.headers["content-encoding"] == "gzip"  # httpx asks for it
        assert 150_000 < len(page.content) < 300_000
        assert (
            http.get(path, headers={"Accept-Encoding": "identity"}).headers.get("content-encoding")
            is None
        )
        assert http.get(path + "?utm_source=x").text == page.text
        redirect = http.get(path.rstrip("/") + "?utm_source=x")
        assert redirect.status_code == 301
        assert redirect.headers["location"] == path + "?utm_source=x"
        seed = http.get(SEED_PATH)
        assert "Customer Service/Operations Manager" in seed.text
        assert http.get("/no-such-role-jobs/no-such-role-vs-other-differences/").status_code == 404
        assert http.get("/preview" + path).text == page.text


def test_role_pages_link_to_comparisons_including_both_orders(demo_site) -> None:
    site = demo_site.site
    pairs = [comparison_slugs(p) for p in site.paths]
    a, b = next(p for p in pairs if (p[1], p[0]) in pairs)
    with client(demo_site, "roles-test") as http:
        role = http.get(f"/{a}-jobs/")
        assert http.get(f"/{a}-jobs").status_code == 301
    assert role.status_code == 200 and "with other careers" in role.text
    assert f"/{a}-jobs/{a}-vs-{b}-differences" in role.text
    assert f"/{b}-jobs/{b}-vs-{a}-differences" in role.text


# --- validators ----------------------------------------------------------------------------


def test_conditional_requests_get_304(demo_site) -> None:
    with client(demo_site, "conditional-test") as http:
        for path in (demo_site.site.paths[2], SEED_PATH, "/robots.txt", "/sitemap.xml"):
            first = http.get(path)
            etag, modified = first.headers["etag"], first.headers["last-modified"]
            assert http.get(path, headers={"If-None-Match": etag}).status_code == 304
            assert http.get(path, headers={"If-Modified-Since": modified}).status_code == 304
            assert http.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    stats = demo_site.client_stats("conditional-test")
    assert stats["status"] == {"200": 8, "304": 8}


def test_same_etag_and_last_modified_after_a_restart() -> None:
    paths = start_site(pages=10).site.paths[:5]
    seen = []
    for _ in range(2):
        with start_site(pages=10) as site, client(site, "restart-test") as http:
            seen.append(
                [
                    (http.get(p).headers["etag"], http.get(p).headers["last-modified"])
                    for p in paths + [SEED_PATH]
                ]
            )
    assert seen[0] == seen[1]
    assert len({etag for etag, _ in seen[0]}) == 6


# --- switches ------------------------------------------------------------------------------


def test_change_alters_exactly_k_pages(demo_site) -> None:
    site = demo_site.site
    with client(demo_site, "change-test") as http:
        before = {p: http.get(p).headers for p in site.live_paths()}
        changed = http.post("/_admin/change?k=7").json()["changed"]
        assert len(changed) == 7
        after = {p: http.get(p, headers={"If-None-Match": before[p]["etag"]}) for p in before}
    differ = {p for p, r in after.items() if r.status_code == 200}
    assert differ == set(changed)
    assert all(after[p].status_code == 304 for p in before if p not in differ)
    for p in changed:
        assert after[p].headers["etag"] != before[p]["etag"]
        assert parsedate_to_datetime(after[p].headers["last-modified"]) > parsedate_to_datetime(
            before[p]["last-modified"]
        )
        assert site.expected(p).sides.a != site.expected(p).sides.a.model_copy(
            update={"yearly_salary_usd": None}
        )
    assert site.state()["changed"] == {p: 1 for p in changed}


def test_redesign_gives_k_pages_new_markup_and_the_same_figures(demo_site) -> None:
    site = demo_site.site
    renamed = RENAMED_LABELS["Yearly salary"].lower()  # the variants change its case
    expected = {p: site.expected(p) for p in site.paths}
    with client(demo_site, "redesign-test") as http:
        before = {p: http.get(p) for p in site.paths}
        answer = http.post("/_admin/redesign?k=6&to=renamed").json()
        redesigned = answer["redesigned"]
        after = {
            p: http.get(p, headers={"If-None-Match": before[p].headers["etag"]}) for p in before
        }
        assert http.get("/_admin/redesign?k=1&to=tables").status_code == 400
        state = http.get("/_admin/state").json()
    assert answer["to"] == "renamed" and len(redesigned) == 6
    assert {p for p, r in after.items() if r.status_code == 200} == set(redesigned)
    for p in redesigned:
        assert after[p].headers["etag"] != before[p].headers["etag"]
        assert parsedate_to_datetime(after[p].headers["last-modified"]) > parsedate_to_datetime(
            before[p].headers["last-modified"]
        )
        shows = [renamed in r.text.replace("&nbsp;", " ").lower() for r in (before[p], after[p])]
        assert shows == [False, True]
        assert site.expected(p) == expected[p] and site.family_of(p) == "renamed"
    assert state["redesigned"] == {p: "renamed" for p in redesigned}
    assert state["changed"] == {} and state["markup"] == "mixed"
    # pages already drawn in the family asked for are not chosen; a change keeps the markup
    was_rows = {p for p in site.paths if site.family_of(p) == "rows"}
    assert set(site.redesign(len(site.paths), "rows")) == set(site.paths) - was_rows
    assert {site.family_of(p) for p in site.paths} == {"rows"}
    site.redesign(1, "cards")
    changed = site.change(len(site.paths))
    assert {site.family_of(p) for p in changed} == {"rows", "cards"}


def test_markup_option_draws_every_page_in_one_family(demo_site_factory) -> None:
    site = demo_site_factory(pages=6, markup="aria")
    with client(site, "markup-test") as http:
        bodies = [http.get(p).text for p in site.site.paths]
        assert http.get("/_admin/state").json()["markup"] == "aria"
    assert all('role="row"' in b and "<table" not in b for b in bodies)
    with pytest.raises(ValueError):
        start_site(markup="tables")


def without_charset(html: str) -> str:
    return re.sub(r'<meta charset="[^"]*">', "", html, count=1)


def served_html(response: httpx.Response) -> str:
    """The page as a browser reads it (the demo site serves some in legacy charsets)."""
    return without_charset(decode_html(response.content, response.headers["content-type"]).text)


def test_legacy_charsets_are_served_to_be_read_as_browsers_read_them(demo_site) -> None:
    site = demo_site.site
    with client(demo_site, "charset-test") as http:
        answers = [http.get(path) for path in site.paths[1:19]]
    types = {r.headers["content-type"] for r in answers}
    assert types == {"text/html; charset=utf-8", "text/html", "text/html; charset=ISO-8859-1"}
    codecs = {decode_html(r.content, r.headers["content-type"]).codec for r in answers}
    assert codecs == {"utf-8", "cp1252"}


def test_mixed_markup_serves_every_family(demo_site) -> None:
    site = demo_site.site
    by_family = {site.family_of(p): p for p in reversed(site.paths)}
    assert set(by_family) == set(FAMILIES)
    with client(demo_site, "mixed-test") as http:
        for family, path in by_family.items():
            index = site.paths.index(path)
            page = generate_page(
                site.seed, index, family=family, base_url=DEFAULT_BASE_URL, pages=site.pages
            )
            assert served_html(http.get(path)) == without_charset(page.html), family


def test_remove_makes_exactly_k_pages_gone(demo_site) -> None:
    site = demo_site.site
    removed = site.remove(5)
    assert len(removed) == 5
    with client(demo_site, "remove-test") as http:
        statuses = {p: http.get(p).status_code for p in site.paths + [SEED_PATH]}
        _, listed = sitemap_locs(http)
    assert {p for p, s in statuses.items() if s == 410} == set(removed)
    assert all(s == 200 for p, s in statuses.items() if p not in removed)
    listed_paths = {
        comparison_path(*s) for u in listed if (s := comparison_slugs(urlsplit(u).path))
    }
    assert listed_paths.isdisjoint(removed)
    assert len(listed_paths) == 51 - 5


# --- counters ------------------------------------------------------------------------------


def test_counters_in_flight_interval_disallowed_and_complete_200s(demo_site_factory) -> None:
    site = demo_site_factory(faults="flaky", slow_seconds=1.0, pages=200)
    slow = [p for p, f in site.site.fault_plan.items() if f.kind == "slow"][:3]
    assert len(slow) == 3
    paths = [p for p in site.site.paths if p not in site.site.fault_plan]

    async def concurrent() -> None:
        async with httpx.AsyncClient(
            base_url=site.base_url, headers={"User-Agent": "burst"}, timeout=5
        ) as http:
            await asyncio.gather(*(http.get(p) for p in slow))

    asyncio.run(concurrent())
    with client(site, "steady") as http:
        for p in (paths[0], paths[1], paths[0], "/preview" + paths[1]):
            http.get(p)
            time.sleep(0.12)
        http.get(paths[1], headers={"If-None-Match": http.get(paths[1]).headers["etag"]})
        http.get("/_admin/stats")
    burst, steady = site.client_stats("burst"), site.client_stats("steady")
    assert burst["max_in_flight"] == 3
    assert steady["max_in_flight"] == 1
    assert steady["requests"] == 6  # the admin call is not counted
    assert steady["disallowed"] == 1 and steady["disallowed_paths"] == ["/preview" + paths[1]]
    assert steady["complete_200"] == {paths[0]: 2, paths[1]: 2, "/preview" + paths[1]: 1}
    assert steady["status"] == {"200": 5, "304": 1}
    with client(site, "stats-reader") as http:
        assert http.get("/_admin/stats").json()["clients"]["steady"] == steady
        http.get("/_admin/stats/reset")
    assert site.stats() == {"clients": {}}


def test_min_interval_is_the_shortest_gap_between_request_starts(demo_site) -> None:
    with client(demo_site, "paced") as http:
        for p in demo_site.site.paths[:4]:
            http.get(p)
            time.sleep(0.2)
    gap = demo_site.client_stats("paced")["min_interval_s"]
    assert 0.2 <= gap < 0.6


# --- faults --------------------------------------------------------------------------------


def one_path_per_kind(site: RunningSite) -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    for path, fault in site.site.fault_plan.items():
        found.setdefault(fault.kind, (path, fault.tries))
    return found


def test_fault_plan_is_seeded_and_queryable(demo_site_factory) -> None:
    first = demo_site_factory(faults="hostile", seed=3)
    second = demo_site_factory(faults="hostile", seed=3)
    with client(first, "plan") as http:
        over_http = http.get("/_admin/faults").json()
    assert over_http["profile"] == "hostile"
    assert over_http["faults"] == {p: f.as_dict() for p, f in second.site.fault_plan.items()}
    assert set(one_path_per_kind(first)) == set(TRANSIENT + PERMANENT)
    assert demo_site_factory(faults="flaky").site.fault_plan.keys() <= set(
        demo_site_factory(faults="flaky").site.paths
    )
    assert all(f.transient for f in demo_site_factory(faults="flaky").site.fault_plan.values())
    assert demo_site_factory().site.fault_plan == {}


def test_transient_faults_recover_by_the_third_try(demo_site_factory) -> None:
    site = demo_site_factory(faults="flaky", slow_seconds=1.0)
    for kind, (path, tries) in one_path_per_kind(site).items():
        assert tries in (1, 2)
        with client(site, f"retry-{kind}", timeout=0.4) as http:
            for _ in range(tries):
                try:
                    response = http.get(path)
                except httpx.TimeoutException:
                    assert kind == "slow"
                    continue
                except httpx.RemoteProtocolError:
                    assert kind in ("drop", "truncate")
                    continue
                assert kind.startswith(("429", "50")), kind
                assert response.status_code == int(kind[:3])
                if kind == "429":
                    assert response.headers["retry-after"] in ("1", "2")
                elif kind == "429-date":
                    ahead = parsedate_to_datetime(response.headers["retry-after"]).timestamp()
                    assert 0 < ahead - time.time() <= 2
            recovered = http.get(path)
        assert recovered.status_code == 200, kind
        assert recovered.text.rstrip().endswith("</html>")
        stats = site.client_stats(f"retry-{kind}")
        assert stats["complete_200"] == {path: 1}, kind


def test_permanent_faults(demo_site_factory) -> None:
    site = demo_site_factory(faults="hostile")
    kinds = one_path_per_kind(site)
    with client(site, "hostile", timeout=5) as http:
        for status in ("404", "410"):
            assert [http.get(kinds[status][0]).status_code for _ in range(3)] == [int(status)] * 3
        offsite = http.get(kinds["offsite"][0])
        assert offsite.status_code == 302
        assert urlsplit(offsite.headers["location"]).hostname == "offsite.example"
        with pytest.raises(httpx.TooManyRedirects):
            http.get(kinds["loop"][0], follow_redirects=True)
        with http.stream("GET", kinds["huge"][0]) as response:
            assert int(response.headers["content-length"]) > 50_000_000
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > 6_000_000:
                    break
        with http.stream("GET", kinds["gzip-bomb"][0]) as response:
            assert response.headers["content-encoding"] == "gzip"
            assert int(response.headers["content-length"]) < 3_000_000
            inflate, raw, inflated = zlib.decompressobj(31), 0, 0
            for chunk in response.iter_raw():
                raw += len(chunk)
                inflated += len(inflate.decompress(chunk, 1 << 20))
                while inflate.unconsumed_tail and inflated <= 50_000_000:
                    inflated += len(inflate.decompress(inflate.unconsumed_tail, 1 << 20))
                if inflated > 50_000_000:
                    break
            # tiny on the wire, huge inflated; how much arrives per read depends on the
            # socket, so compare the ratio rather than a fixed byte count
            assert inflated > 50_000_000 and inflated > 200 * raw


def test_block_pages_never_more_than_three_in_a_row(demo_site_factory) -> None:
    site = demo_site_factory(faults="hostile", pages=200)
    blocks = [p for p, f in site.site.fault_plan.items() if f.kind == "block"]
    assert len(blocks) >= 4
    with client(site, "blocked") as http:
        bodies = [http.get(p).text for p in blocks[:4]]
        again = http.get(blocks[0]).text
    denied = ["Access to this page has been denied" in b for b in bodies]
    assert denied == [True, True, True, False]
    assert "Access to this page has been denied" in again  # the run of blocks was broken
    stats = site.client_stats("blocked")
    assert stats["blocked"] == 4 and stats["status"] == {"200": 5}
    assert stats["complete_200"] == {blocks[3]: 1}  # a block page is not the page


def test_demo_site_command_prints_its_base_url_and_serves() -> None:
    port = free_port()
    args = ("--port", str(port), "--pages", "20000", "--faults", "flaky", "--seed", "5")
    with site_process(*args, "--markup", "dl") as (_, line):
        assert line == f"http://127.0.0.1:{port}/"
        state = httpx.get(line + "_admin/state", timeout=5).json()
        assert state["pages"] == 20000 and state["faults"] == "flaky" and state["seed"] == 5
        assert state["markup"] == "dl"
        last = httpx.get(line + "_admin/pages", timeout=5).json()["pages"][-1]
        response = httpx.get(line.rstrip("/") + last, timeout=5)
        assert response.status_code in (200, 429, 500, 502, 503, 504)
        assert response.status_code != 200 or "<dl" in response.text
        redesign = httpx.post(line + "_admin/redesign?k=2&to=cards", timeout=5).json()
        assert len(redesign["redesigned"]) == 2
