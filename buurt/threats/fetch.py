"""Fetch the signed summary over HTTP: conditional, time-boxed and capped.

The body is streamed and reading stops as soon as it passes the size cap,
so a wrong address that serves a video or an endless stream cannot fill the
Pi's memory. The timeout bounds the whole fetch, not each read: the fetch
runs in a worker thread, and at the deadline the caller records a timeout
and shuts the socket down, so a server that trickles a byte at a time
cannot hold a sync, or the scheduler's thread, past it. A worker still
waiting for the headers cannot be woken that way; it ends at its next
per-read timeout or when the server hangs up.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Callable

import requests
from urllib3.exceptions import ReadTimeoutError

from buurt.threats.envelope import Rejection

logger = logging.getLogger(__name__)

CHUNK_BYTES = 16_384
# A Content-Length in plain digits; any other value is ignored, and the cap
# is then enforced while reading.
DECLARED_LENGTH = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Fetched:
    """What the publisher answered: a new body, or "not modified"."""

    not_modified: bool
    body: bytes = b""
    etag: str = ""


def fetch_envelope(url: str, etag: str, timeout: float,
                   max_bytes: int) -> Fetched:
    """Fetch the envelope at `url`, sending `etag` as If-None-Match.

    Gives up `timeout` seconds after the start, whatever the server does.
    Raises Rejection with reason timeout, unreachable, http_error,
    truncated or too_large.
    """
    fetch = _Fetch(url, etag, timeout, max_bytes)
    worker = threading.Thread(target=fetch.run, name="threat-summary-fetch",
                              daemon=True)
    worker.start()
    worker.join(timeout)

    if worker.is_alive():
        fetch.abandon()
    return fetch.outcome()


class _Fetch:
    """One fetch, run by a worker thread that the caller may give up on."""

    def __init__(self, url: str, etag: str, timeout: float,
                 max_bytes: int) -> None:
        self.url = url
        self.etag = etag
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._abandoned = False
        self._response: requests.Response | None = None
        self._outcome: Fetched | Exception = Rejection(
            "timeout", f"no complete answer within {timeout:g} s; the "
            "fetch was cut off")

    def run(self) -> None:
        """Fetch, keeping the answer or the error for the caller."""
        outcome: Fetched | Exception
        try:
            outcome = _request(self.url, self.etag, self.timeout,
                               self.max_bytes, self._watch)
        except Exception as error:  # raised again in the caller's thread
            outcome = error

        with self._lock:
            if not self._abandoned:
                self._outcome = outcome

    def abandon(self) -> None:
        """Give up: keep the timeout and wake a read blocked on the socket."""
        with self._lock:
            self._abandoned = True
            response = self._response
        if response is not None:
            _shut_down(response)

    def outcome(self) -> Fetched:
        """Return what the fetch got, or raise what it raised."""
        with self._lock:
            outcome = self._outcome
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _watch(self, response: requests.Response) -> None:
        """Let abandon() reach the response, or shut it if it came late."""
        with self._lock:
            self._response = response
            abandoned = self._abandoned
        if abandoned:
            _shut_down(response)


def _request(url: str, etag: str, timeout: float, max_bytes: int,
             watch: Callable[[requests.Response], None]) -> Fetched:
    """Make the request and read the body; raise Rejection on failure."""
    headers = {"Accept": "application/json", "User-Agent": "buurt-node"}
    if etag:
        headers["If-None-Match"] = etag

    try:
        with requests.get(url, headers=headers, timeout=timeout,
                          stream=True) as response:
            watch(response)
            if response.status_code == 304 and etag:
                return Fetched(not_modified=True, etag=etag)
            if response.status_code != 200:
                raise Rejection("http_error", f"the server answered HTTP "
                                f"{response.status_code}")
            _check_declared_length(response, max_bytes)
            body = _read_capped(response, max_bytes)
            return Fetched(not_modified=False, body=body,
                           etag=response.headers.get("ETag", "")[:200])
    except requests.exceptions.Timeout as error:
        raise Rejection("timeout", f"no answer within {timeout:g} s "
                        f"({type(error).__name__})")
    except requests.exceptions.ChunkedEncodingError as error:
        raise Rejection("truncated", f"the connection closed before the "
                        f"whole body arrived ({error})")
    except requests.exceptions.ConnectionError as error:
        # requests reports a read timeout while streaming as a connection
        # error; say "timeout" so the operator knows the server is slow.
        if error.args and isinstance(error.args[0], ReadTimeoutError):
            raise Rejection("timeout", f"the body stalled for more than "
                            f"{timeout:g} s")
        raise Rejection("unreachable", f"cannot connect to {url} "
                        f"({_root_cause(error)})")
    except requests.exceptions.RequestException as error:
        raise Rejection("unreachable", f"the request to {url} failed "
                        f"({_root_cause(error)})")


def _check_declared_length(response: requests.Response,
                           max_bytes: int) -> None:
    """Refuse a body whose declared length is over the cap, unread."""
    declared = response.headers.get("Content-Length", "")
    if DECLARED_LENGTH.fullmatch(declared) and int(declared) > max_bytes:
        raise Rejection("too_large", f"the server announces {declared} "
                        f"bytes; the cap is {max_bytes}")


def _read_capped(response: requests.Response, max_bytes: int) -> bytes:
    """Read the body, stopping as soon as it passes `max_bytes`."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise Rejection("too_large", f"the body passed the cap of "
                            f"{max_bytes} bytes; reading stopped")
        chunks.append(chunk)
    return b"".join(chunks)


def _shut_down(response: requests.Response) -> None:
    """Shut the response's socket down, so a read blocked on it returns.

    urllib3 before 2.3 cannot do this; the worker then lingers until the
    server stops, but the sync has already been recorded as a timeout.
    """
    try:
        response.raw.shutdown()
    except AttributeError:
        logger.warning("urllib3 is too old to cut off a slow publisher")
    except (OSError, ValueError, RuntimeError):
        pass  # already closed or handed back: no read is waiting on it


def _root_cause(error: BaseException) -> str:
    """Return the operating system's words for a failure, when it has them.

    requests wraps the socket error three layers deep; the operator wants
    "Connection refused" or "Name or service not known", not the wrapping.
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        cause = cause.__cause__ or cause.__context__
    return str(error)
