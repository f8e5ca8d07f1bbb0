"""Every exception careers-etl raises, in one tree, and the exit codes they map to.

::

    CareersError
    ├── ConfigError            bad configuration; the message names the key    exit 2
    ├── EnvironmentFailure     the machine failing: a path, the disk           exit 2
    ├── LockHeld               another run holds the run lock                  exit 3
    ├── FetchError             one request gave no usable page: recorded as the page's
    │   │                      outcome, the run goes on
    │   ├── TransientError         connection error, timeout: retried
    │   ├── RetryableStatus        408, 429, 5xx: retried
    │   ├── RetryAfterTooLong      asked to wait past the cap: deferred
    │   ├── BlockedPage            a 200 that is not the page asked for
    │   ├── LimitExceeded          a body over the size limits
    │   ├── RedirectRefused        a redirect off the allowed hosts, or too many
    │   ├── RobotsDisallowed       a redirect into a robots.txt-disallowed path
    │   ├── UnsupportedEncoding    a Content-Encoding not asked for
    │   ├── BadRequest             a URL or header that cannot be sent
    │   └── SitemapRefused         a sitemap refused unread (a DOCTYPE)
    ├── SiteUnavailable        the site cannot be crawled now: the run stops   exit 2
    │   ├── RobotsUnreachable      robots.txt 5xx or unreachable (RFC 9309)
    │   └── BreakerTripped         blocks or 429s in a row
    │       └── BreakerOpen            a request held back after the trip
    ├── ParseError             a page refused by the parser; ``kind`` says why
    └── StoreError             the database, archive or report cannot be used   exit 2
        ├── SchemaTooNew           a database written by a newer careers-etl
        ├── ArchiveError           a fetch log reference to no readable record
        └── ReportError            no database, no such run

The classes are raised where the failure is found and caught as they are: nothing is
translated into a second hierarchy. ``exit_code_of`` is the one mapping from this tree
to ``ExitCode``; ``pipeline.exitcodes.failure`` applies it (with the signals and the
standard library's errors) for every command.
"""

from __future__ import annotations

import signal
from enum import IntEnum
from pathlib import Path
from typing import Protocol


class ExitCode(IntEnum):
    OK = 0
    """All well."""
    DEGRADED = 1
    """Pages failed above the configured fraction, or new data-quality failures."""
    FATAL = 2
    """Bad configuration, the site blocking us, robots.txt unreachable, or the
    environment failing: an unwritable path, a full disk, a corrupt, read-only or newer
    database, a missing database."""
    LOCKED = 3
    """Another run holds the lock."""
    SIGINT = 128 + signal.SIGINT
    """Interrupted by SIGINT (Ctrl-C): 130. The run is left to resume."""
    SIGTERM = 128 + signal.SIGTERM
    """Interrupted by SIGTERM (a systemd stop, ``kill``): 143. The run is left to resume."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived. A ``KeyboardInterrupt``, not a ``CareersError``, so no
    ``except Exception`` on the way out swallows it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


class CareersError(Exception):
    """The base of every error careers-etl raises on purpose."""

    exit_code: ExitCode = ExitCode.FATAL
    """What a command ends with when this error ends it."""


class ConfigError(CareersError, ValueError):
    """Bad configuration; the message names the key and its source."""


class EnvironmentFailure(CareersError):
    """A failure of the machine rather than of the site or the pages; the message names
    the path and what to do."""


Holder = dict[str, object]


class ParseWorkerError(EnvironmentFailure):
    """A parse worker died or answered nonsense (killed by the system, out of memory):
    the load stops, the batch in progress is rolled back, and the next load resumes."""


class LockHeld(CareersError):
    """Another process holds the run lock; ``holder`` says who took it, as far as it is
    known, and ``orphans`` lists the live processes that still hold it when that one is
    dead."""

    exit_code = ExitCode.LOCKED

    def __init__(self, path: Path, holder: Holder | None, orphans: list[int] | None = None) -> None:
        self.path = path
        self.holder = holder or {}
        self.orphans = orphans
        super().__init__(self._describe())

    def _describe(self) -> str:
        who = ", ".join(f"{k}={v}" for k, v in self.holder.items()) or "unknown holder"
        text = f"another careers run holds the lock {self.path} ({who})"
        if self.orphans is None:
            return text
        pid = self.holder.get("pid")
        if not self.orphans:
            return f"{text}; its process {pid} is dead and no process seen here holds the file"
        pids = " ".join(str(p) for p in self.orphans)
        return (
            f"{text}; its process {pid} is dead, but processes it left behind still hold "
            f"the lock: pids {pids}; stop them (kill {pids}) and run again"
        )


# -- fetching -----------------------------------------------------------------------


class _Answer(Protocol):
    """What ``BlockedPage`` keeps of a response (``scraper.response.Response``)."""

    status: int
    url: str
    wire_bytes: int


class FetchError(CareersError):
    """A request that produced no usable response (the retry policy picks which go round
    again by type: ``TransientError``, ``RetryableStatus``, ``BlockedPage``)."""

    status: int | None = None


class TransientError(FetchError):
    """Connection error, timeout or a broken stream: worth another attempt."""


class LimitExceeded(FetchError):
    """The body is larger than allowed (on the wire or once decompressed)."""


class RedirectRefused(FetchError):
    """A redirect to a host that is not allowed, or too many redirects."""


class UnsupportedEncoding(FetchError):
    """A ``Content-Encoding`` we did not ask for and cannot inflate safely."""


class RobotsDisallowed(FetchError):
    """A redirect led to a URL that robots.txt disallows; it was not requested."""


class BadRequest(FetchError):
    """A request that cannot be put on the wire (an invalid URL or header value); not
    retried, since it would fail the same way again."""


class RetryableStatus(FetchError):
    """408, 429 or 5xx. ``retry_after`` is the server's wish in seconds, if it said one."""

    def __init__(self, status: int, retry_after: float | None, url: str) -> None:
        self.status = status
        self.retry_after = retry_after
        wait = f", Retry-After {retry_after:g}s" if retry_after is not None else ""
        super().__init__(f"HTTP {status} from {url}{wait}")


class RetryAfterTooLong(FetchError):
    """The server asked us to wait longer than the cap: defer the URL to a later run."""

    def __init__(self, status: int, seconds: float, cap: float) -> None:
        self.status = status
        self.seconds = seconds
        super().__init__(f"HTTP {status} with Retry-After {seconds:g}s (> cap {cap:g}s): deferred")


class BlockedPage(FetchError):
    """A 200 that is not the page asked for (a block or captcha page); ``response`` is
    the answer, kept for the archive."""

    def __init__(self, response: _Answer) -> None:
        self.status = response.status
        self.response = response
        super().__init__(f"HTTP {response.status} from {response.url} is not a comparison page")


class SitemapRefused(FetchError):
    """The sitemap declares a DOCTYPE (entities, external or not): never parsed further."""


# -- the site as a whole --------------------------------------------------------------


class SiteUnavailable(CareersError):
    """The site cannot be crawled now, so the run stops (what was fetched until then
    stays recorded, the rest pending). ``run_id`` is the run it stopped, once known."""

    run_id: str | None = None


class RobotsUnreachable(SiteUnavailable):
    """robots.txt answered 5xx or could not be fetched (RFC 9309: do not crawl)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(f"robots.txt unreachable ({reason}): {url}; not crawling this host")


class BreakerTripped(SiteUnavailable):
    """A host answered too many blocks or 429s in a row; the run must stop."""

    def __init__(self, host: str, count: int) -> None:
        self.host = host
        self.count = count
        super().__init__(
            f"stopping: {host} answered {count} block pages or 429s in a row "
            "(the site is refusing us; try again later or lower --rate/--max-in-flight)"
        )


class BreakerOpen(BreakerTripped):
    """A request held back because the host's breaker tripped earlier: it was never sent."""


# -- parsing --------------------------------------------------------------------------


class ParseError(CareersError):
    """A page that cannot give a trustworthy record. ``kind`` is one of ``not_html`` (an
    empty or binary body: ``scraper.document``), ``truncated`` (the markup does not end with
    ``</html>``), ``not_a_comparison`` (a block page or any other kind of page),
    ``no_tables`` (a comparison page without any comparison grid), ``markup_changed`` (a
    grid the parser cannot read with certainty: a redesign)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


# -- storage --------------------------------------------------------------------------


class StoreError(CareersError):
    """The database, the archive or the report cannot be used as they are."""


class SchemaTooNew(StoreError):
    """The database was written by a newer careers-etl; refuse rather than guess."""


class ArchiveError(StoreError):
    """A fetch log reference that does not lead to a readable response record."""


class ReportError(StoreError):
    """The report cannot be written from this database (missing, wrong schema, no such run)."""


def exit_code_of(exc: BaseException) -> ExitCode:
    """The exit code an error that ends a command gives; anything outside the tree (a
    bug, or an error of the standard library ``pipeline.exitcodes`` explains) is 2."""
    if isinstance(exc, CareersError):
        return exc.exit_code
    return ExitCode.FATAL
