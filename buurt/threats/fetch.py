"""Fetch the signed summary over HTTP: conditional, time-boxed and capped.

The body is streamed and reading stops as soon as it passes the size cap,
so a wrong address that serves a video or an endless stream cannot fill the
Pi's memory. The timeout bounds the whole fetch, not only each read, so a
server that trickles one byte at a time is cut off too.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import requests
from urllib3.exceptions import ReadTimeoutError

from buurt.threats.envelope import Rejection

logger = logging.getLogger(__name__)

CHUNK_BYTES = 16_384


@dataclass(frozen=True)
class Fetched:
    """What the publisher answered: a new body, or "not modified"."""

    not_modified: bool
    body: bytes = b""
    etag: str = ""


def fetch_envelope(url: str, etag: str, timeout: float,
                   max_bytes: int) -> Fetched:
    """Fetch the envelope at `url`, sending `etag` as If-None-Match.

    Raises Rejection with reason timeout, unreachable, http_error,
    truncated or too_large.
    """
    headers = {"Accept": "application/json", "User-Agent": "buurt-node"}
    if etag:
        headers["If-None-Match"] = etag
    deadline = time.monotonic() + timeout

    try:
        with requests.get(url, headers=headers, timeout=timeout,
                          stream=True) as response:
            if response.status_code == 304 and etag:
                return Fetched(not_modified=True, etag=etag)
            if response.status_code != 200:
                raise Rejection("http_error", f"the server answered HTTP "
                                f"{response.status_code}")
            _check_declared_length(response, max_bytes)
            body = _read_capped(response, max_bytes, deadline, timeout)
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
    if declared.isdigit() and int(declared) > max_bytes:
        raise Rejection("too_large", f"the server announces {declared} "
                        f"bytes; the cap is {max_bytes}")


def _read_capped(response: requests.Response, max_bytes: int,
                 deadline: float, timeout: float) -> bytes:
    """Read the body, stopping past `max_bytes` or past the deadline."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise Rejection("too_large", f"the body passed the cap of "
                            f"{max_bytes} bytes; reading stopped")
        if time.monotonic() > deadline:
            raise Rejection("timeout", f"the body took more than "
                            f"{timeout:g} s to arrive")
        chunks.append(chunk)
    return b"".join(chunks)


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
