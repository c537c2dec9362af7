"""One sync, from the publisher's URL or from a file on a USB stick.

Shared by `buurt sync` and the scheduled job. The network wait happens
outside any database transaction, so a slow publisher never holds the
SQLite write lock; the check and the store then happen in one write
transaction, so a new summary replaces the old one atomically.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from buurt.config import Settings
from buurt.db import session_scope
from buurt.threats import service
from buurt.threats.envelope import Rejection
from buurt.threats.models import SyncAttempt


def sync_from_url(engine: Engine, settings: Settings,
                  now: datetime | None = None) -> SyncAttempt:
    """Fetch the summary from BUURT_SUMMARY_URL, check it, and store it.

    Raises service.NotConfigured when the URL or the public key is not
    set; every other problem is a recorded, rejected attempt.
    """
    # The HTTP client is loaded when a sync runs, not with the pages.
    from buurt.threats.fetch import fetch_envelope

    url = settings.summary_url
    if not url:
        raise service.NotConfigured(
            "set summary_url (BUURT_SUMMARY_URL) to the publisher's address, "
            "or use `buurt sync --file PATH`")
    public_key = service.trusted_key(settings)
    with session_scope(engine) as session:
        etag = service.get_etag(session, url)

    try:
        fetched = fetch_envelope(url, etag, settings.summary_timeout,
                                 settings.summary_max_bytes)
    except Rejection as rejection:
        with session_scope(engine, write=True) as session:
            return service.record_rejection(session, "url", url, rejection,
                                            now)

    with session_scope(engine, write=True) as session:
        if fetched.not_modified:
            return service.record_not_modified(session, "url", url, now)
        return service.accept_envelope(session, fetched.body, public_key,
                                       "url", url, now, fetched.etag)


def sync_from_file(engine: Engine, settings: Settings, path: Path,
                   now: datetime | None = None) -> SyncAttempt:
    """Read the summary envelope from a file, check it, and store it.

    Raises service.NotConfigured when the public key is not set.
    """
    public_key = service.trusted_key(settings)
    origin = str(path)
    try:
        raw = _read_capped(path, settings.summary_max_bytes)
    except Rejection as rejection:
        with session_scope(engine, write=True) as session:
            return service.record_rejection(session, "file", origin,
                                            rejection, now)

    with session_scope(engine, write=True) as session:
        return service.accept_envelope(session, raw, public_key, "file",
                                       origin, now)


def _read_capped(path: Path, max_bytes: int) -> bytes:
    """Read at most `max_bytes` of a file; raises Rejection past that."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as error:
        raise Rejection("unreadable_file", f"cannot read {path}: "
                        f"{error.strerror or error}")
    if len(raw) > max_bytes:
        raise Rejection("too_large", f"{path} is over the cap of "
                        f"{max_bytes} bytes")
    return raw
