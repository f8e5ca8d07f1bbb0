"""History without noise: the rules that decide what a page adds to the history.

A role's figures on a comparison page become a new ``role_observations`` row only when
their content hash differs from that comparison's latest observation of the role; an
unchanged page only moves ``comparisons.last_seen_at``. Re-loading a fetch that already
has rows (``--reparse``), or a page older than the newest one seen, puts its
observation where it belongs in time instead of adding history, and removes it when it
now equals the one before it. The SQL is ``store.comparisons``'s; this module decides.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from schemas.rows import PageRows, SideRows
from store import comparisons as store
from store.comparisons import Comparison, Observation, Rows


@dataclass
class Batch:
    """What the history knows while one batch is written: the batch's comparisons and
    their latest observations, rows waiting to be written, the next free ids."""

    comparisons: dict[tuple[str, str], Comparison]
    latest: dict[tuple[int, str], Observation]
    next_observation: int
    next_comparison: int
    rows: Rows


@dataclass(frozen=True)
class SideWrite:
    """One role of one page, about to become (or replace) an observation."""

    page: PageRows
    side: SideRows
    comparison: Comparison
    fetch_id: int | None
    fetched_at: str


class History:
    """The history rules for one run's load. ``replace`` (``--reparse``): the rows a
    fetch already produced are replaced, never duplicated."""

    def __init__(self, conn: sqlite3.Connection, run_id: str, replace: bool) -> None:
        self.conn = conn
        self.run_id = run_id
        self.replace = replace

    def open_batch(self, pages: list[PageRows]) -> Batch:
        """Look up what the batch's pages need: their comparisons, and the latest
        observations of those whose page may have changed."""
        known = store.comparisons_of(self.conn, (p.pair for p in pages))
        needing = {
            c.comparison_id
            for p in pages
            if (c := known.get(p.pair)) is not None
            and (self.replace or c.content_sha256 != p.content)
        }
        return Batch(
            known,
            store.latest_observations(self.conn, needing),
            store.next_id(self.conn, "role_observations"),
            max(
                store.next_id(self.conn, "comparisons"),
                max((c.comparison_id + 1 for c in known.values()), default=1),
            ),
            Rows(),
        )

    def page(self, batch: Batch, page: PageRows, fetch_id: int | None, fetched_at: str) -> int:
        """Record ``page``'s comparison and roles; returns how many of its roles got an
        observation written (0: the page changed nothing)."""
        known = batch.comparisons.get(page.pair)
        unchanged = (
            not self.replace
            and known is not None
            and known.content_sha256 == page.content
            and fetched_at > known.last_seen_at
        )
        for slug, title in page.roles:
            batch.rows.roles[slug] = title
        comparison = self._comparison(batch, page, fetched_at)
        written = 0
        if not unchanged:
            for side in page.sides:
                write = SideWrite(page, side, comparison, fetch_id, fetched_at)
                written += self._side(batch, write)
        if written and fetched_at >= comparison.last_changed_at:
            comparison.last_changed_at = fetched_at
            comparison.dirty = True
        return written

    def write(self, batch: Batch) -> None:
        """Write what the batch still holds."""
        store.write_rows(self.conn, batch.rows, self._all(batch))
        store.update_comparisons(self.conn, batch.comparisons.values())

    @staticmethod
    def _all(batch: Batch) -> Iterable[tuple[str, str, Comparison]]:
        return ((a, b, c) for (a, b), c in batch.comparisons.items())

    def _comparison(self, batch: Batch, page: PageRows, fetched_at: str) -> Comparison:
        comparison = batch.comparisons.get(page.pair)
        if comparison is None:
            comparison = Comparison(
                batch.next_comparison,
                page.page_key,
                page.url,
                page.canonical_url,
                page.higher_paid,
                fetched_at,
                fetched_at,
                fetched_at,
                page.content,
                stored=False,
            )
            batch.next_comparison += 1
            batch.comparisons[page.pair] = comparison
            return comparison
        if fetched_at >= comparison.last_seen_at:
            if comparison.content_sha256 not in (page.content, None):
                comparison.last_changed_at = max(comparison.last_changed_at, fetched_at)
            comparison.page_key, comparison.url = page.page_key, page.url
            comparison.canonical_url = page.canonical_url
            comparison.higher_paid, comparison.content_sha256 = page.higher_paid, page.content
            comparison.last_seen_at = fetched_at
            comparison.dirty = True
        if fetched_at < comparison.first_seen_at:
            comparison.first_seen_at = fetched_at
            comparison.dirty = True
        return comparison

    def _side(self, batch: Batch, w: SideWrite) -> bool:
        """Write this role's observation if its figures changed; True when written."""
        comparison, fetched_at, fetch_id = w.comparison, w.fetched_at, w.fetch_id
        key = (comparison.comparison_id, w.side.which)
        latest = batch.latest.get(key)
        if latest is None or (
            latest.fetched_at < fetched_at and (fetch_id is None or latest.fetch_id != fetch_id)
        ):
            if latest is not None and latest.record_sha256 == w.side.digest:
                return False
            oid = self._new_observation(batch, w)
            batch.latest[key] = Observation(oid, w.side.digest, fetched_at, fetch_id)
            return True
        self.write(batch)
        written = self._replace(batch, w)
        if fetched_at < comparison.last_seen_at:
            # history changed behind the newest page: compare the next page with the
            # observations, not with the last page's hash
            comparison.content_sha256 = None
            comparison.dirty = True
        found = store.latest_observations(self.conn, [comparison.comparison_id]).get(key)
        if found is None:
            batch.latest.pop(key, None)
        else:
            batch.latest[key] = found
        return written

    def _replace(self, batch: Batch, w: SideWrite) -> bool:
        """The history is not simply extended: this fetch already has rows, or newer ones
        exist. Put this fetch's observation where it belongs, or remove it when it now
        equals the one before it."""
        cid, which, digest = w.comparison.comparison_id, w.side.which, w.side.digest
        own = store.own_observation(self.conn, cid, which, w.fetched_at, w.fetch_id)
        own_id = own[0] if own else None
        if store.digest_before(self.conn, cid, which, w.fetched_at, own_id) == digest:
            if own_id is not None:
                store.delete_observation(self.conn, own_id)
            return False
        if own is not None and own[1] == digest:
            store.restamp_observation(self.conn, own[0], w.page.parser_version)
            return False
        if own_id is not None:
            store.replace_observation(self.conn, self._observation_row(own_id, w))
            self._buffer_children(batch.rows, own_id, w.side)
        else:
            self._new_observation(batch, w)
        self.write(batch)
        return True

    def _new_observation(self, batch: Batch, w: SideWrite) -> int:
        oid = batch.next_observation
        batch.next_observation += 1
        batch.rows.observations.append(self._observation_row(oid, w))
        self._buffer_children(batch.rows, oid, w.side)
        return oid

    def _observation_row(self, oid: int, w: SideWrite) -> tuple[Any, ...]:
        return (
            oid,
            w.comparison.comparison_id,
            w.side.role_slug,
            w.side.which,
            w.fetch_id,
            w.fetched_at,
            self.run_id,
            w.page.parser_version,
            w.side.digest,
            *w.side.figures.values(),
        )

    @staticmethod
    def _buffer_children(rows: Rows, oid: int, side: SideRows) -> None:
        slug = side.role_slug
        rows.gender.extend((oid, slug, label, pct) for label, pct in side.gender)
        rows.race.extend((oid, slug, label, pct) for label, pct in side.race)
        rows.skills.extend((oid, slug, n, skill) for n, skill in enumerate(side.skills, 1))
