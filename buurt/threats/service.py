"""The threat summary on this node: check, store, read, and hub values.

Plain functions that take a session; they flush but never commit. A
rejected summary never raises out of here: it becomes a recorded attempt
with a reason code, and the last good summary stays current.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from pydantic_core import from_json
from sqlmodel import Session, col, select

from buurt.config import Settings
from buurt.db import utcnow
from buurt.threats import envelope
from buurt.threats.envelope import Opened, Rejection
from buurt.threats.models import SyncAttempt, ThreatSummary
from buurt.threats.summary import SCHEMA_VERSION, Summary, Threat

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PublicKey)

logger = logging.getLogger(__name__)

BUNDLED_FILE = "summary-bundled.json"
DEMO_KEY_FILE = "demo-public-key.txt"
TOP_HUBS = 6


class NotConfigured(ValueError):
    """A setting that syncing needs is missing or unusable."""


@dataclass(frozen=True)
class Current:
    """The summary this node works from, and where it came from."""

    summary: Summary
    source: str
    key_id: str
    received_at: datetime | None
    row_id: int | None

    @property
    def demonstration(self) -> bool:
        """Tell whether this is the bundled demonstration summary."""
        return self.source == "bundled"

    def expired(self, now: datetime) -> bool:
        """Tell whether the summary's expiry time has passed."""
        return self.summary.expires_at <= now


@dataclass(frozen=True)
class RankedThreat:
    """A threat with its hub value."""

    threat: Threat
    hub_value: float


def data_path(name: str) -> Path:
    """Return the path of a file shipped in buurt/threats/data/."""
    return Path(str(resources.files("buurt.threats") / "data" / name))


def trusted_key(settings: Settings) -> Ed25519PublicKey:
    """Return the publisher's key from BUURT_SUMMARY_PUBLIC_KEY.

    Raises NotConfigured naming the setting when it is empty or unusable.
    """
    if not settings.summary_public_key:
        raise NotConfigured(
            "set summary_public_key (BUURT_SUMMARY_PUBLIC_KEY) to the "
            "publisher's public key before syncing; the demonstration key "
            "is trusted for the bundled summary only")
    try:
        return envelope.load_public_key(settings.summary_public_key)
    except ValueError as error:
        raise NotConfigured(f"summary_public_key (BUURT_SUMMARY_PUBLIC_KEY) "
                            f"is unusable: {error}")


def parse_payload(payload: bytes) -> Summary:
    """Read signed payload bytes as a summary of the supported version.

    Raises Rejection with reason not_json, wrong_schema_version or
    invalid_summary.
    """
    try:
        # pydantic's parser rather than json's: it stops at a fixed depth
        # whatever the stack, and refuses NaN, which JSON does not have.
        data = from_json(payload.decode("utf-8"), allow_inf_nan=False)
    except ValueError as error:
        raise Rejection("not_json", f"the signed payload is not JSON "
                        f"({error})")
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise Rejection("wrong_schema_version",
                        f"schema_version is {str(version)[:40]!r}; this "
                        f"node reads version {SCHEMA_VERSION}")

    try:
        return Summary.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise Rejection("invalid_summary", f"{where}: {first['msg']}")


@functools.lru_cache(maxsize=8)
def _parse_stored(payload: str) -> Summary:
    """Parse a stored payload once, the way it was read when accepted."""
    return parse_payload(payload.encode("utf-8"))


@functools.lru_cache(maxsize=1)
def load_bundled() -> Current:
    """Return the summary shipped with buurt, checked with the demo key.

    Its expiry is not enforced: it is the floor a node starts from, and
    the page shows its age in red once it has expired.
    """
    demo_key = envelope.load_public_key(
        data_path(DEMO_KEY_FILE).read_text("ascii"))
    opened = envelope.open_envelope(data_path(BUNDLED_FILE).read_bytes(),
                                    demo_key)
    return Current(summary=parse_payload(opened.payload), source="bundled",
                   key_id=opened.key_id, received_at=None, row_id=None)


def get_latest_row(session: Session) -> ThreatSummary | None:
    """Return the stored summary with the highest sequence, if any."""
    return session.exec(
        select(ThreatSummary).order_by(col(ThreatSummary.sequence).desc())
        .limit(1)
    ).first()


def get_current(session: Session) -> Current:
    """Return the summary in force: the newest stored, else the bundled."""
    row = get_latest_row(session)
    if row is None:
        return load_bundled()
    return Current(summary=_parse_stored(row.payload), source=row.source,
                   key_id=row.key_id, received_at=row.received_at,
                   row_id=row.id)


def get_etag(session: Session, url: str) -> str:
    """Return the ETag to send to `url`: that of the current summary."""
    row = get_latest_row(session)
    if row is None or row.source != "url" or row.origin != url:
        return ""
    return row.etag


def get_last_attempt(session: Session) -> SyncAttempt | None:
    """Return the most recent sync attempt, if any."""
    return session.exec(
        select(SyncAttempt).order_by(col(SyncAttempt.id).desc()).limit(1)
    ).first()


def list_attempts(session: Session, limit: int = 20,
                  source: str | None = None) -> list[SyncAttempt]:
    """Return the latest sync attempts, newest first, from one source."""
    query = select(SyncAttempt)
    if source is not None:
        query = query.where(SyncAttempt.source == source)
    return list(session.exec(
        query.order_by(col(SyncAttempt.id).desc()).limit(limit)
    ))


def list_summaries(session: Session) -> list[ThreatSummary]:
    """Return every accepted summary, newest first."""
    return list(session.exec(
        select(ThreatSummary).order_by(col(ThreatSummary.sequence).desc())
    ))


def check_summary(session: Session, opened: Opened,
                  now: datetime) -> Summary:
    """Check a verified payload's version, expiry and sequence.

    Raises Rejection with reason not_json, wrong_schema_version,
    invalid_summary, expired or rollback.
    """
    summary = parse_payload(opened.payload)
    # The node's clock decides; a Pi without a real-time clock may be wrong
    # after booting offline, so expiry refuses only what arrives, and an
    # accepted summary that expires later stays, shown in red.
    if summary.expires_at <= now:
        raise Rejection("expired", f"the summary expired at "
                        f"{summary.expires_at.isoformat()}")

    current = get_current(session).summary.sequence
    if summary.sequence <= current:
        raise Rejection("rollback", f"sequence {summary.sequence} is not "
                        f"newer than the current {current}")
    return summary


def accept_envelope(
    session: Session, raw: bytes, public_key: Ed25519PublicKey,
    source: str, origin: str, now: datetime | None = None, etag: str = "",
) -> SyncAttempt:
    """Check an envelope and store its summary as the current one.

    Returns the recorded attempt: "accepted", "not_modified" when it is
    the current summary itself (a publisher without ETags, the same USB
    stick twice), or "rejected" with a reason code, which leaves the stored
    summaries as they were.
    """
    now = now or utcnow()
    try:
        opened = envelope.open_envelope(raw, public_key)
        current = get_latest_row(session)
        if current is not None and current.payload.encode() == (
                opened.payload):
            return record_not_modified(session, source, origin, now)
        summary = check_summary(session, opened, now)
    except Rejection as rejection:
        return record_rejection(session, source, origin, rejection, now)

    row = ThreatSummary(
        sequence=summary.sequence, schema_version=summary.schema_version,
        key_id=opened.key_id, source=source, origin=_one_line(origin),
        etag=etag, issued_at=summary.issued_at,
        expires_at=summary.expires_at, received_at=now,
        payload=opened.payload.decode("utf-8"), signature=opened.signature)
    session.add(row)
    session.flush()

    attempt = SyncAttempt(attempted_at=now, source=source,
                          origin=_one_line(origin), outcome="accepted",
                          sequence=summary.sequence, summary_id=row.id)
    session.add(attempt)
    session.flush()
    logger.info("threat summary %d accepted from %s (key %s)",
                summary.sequence, source, opened.key_id)
    return attempt


def record_rejection(session: Session, source: str, origin: str,
                     rejection: Rejection,
                     now: datetime | None = None) -> SyncAttempt:
    """Record a refused sync attempt; the current summary stays."""
    attempt = SyncAttempt(attempted_at=now or utcnow(), source=source,
                          origin=_one_line(origin), outcome="rejected",
                          reason=rejection.reason,
                          detail=_one_line(rejection.detail))
    session.add(attempt)
    session.flush()
    logger.warning("threat summary from %s rejected (%s): %s", source,
                   rejection.reason, attempt.detail)
    return attempt


def record_not_modified(session: Session, source: str, origin: str,
                        now: datetime | None = None) -> SyncAttempt:
    """Record that the publisher or file has nothing newer than ours."""
    current = get_current(session).summary.sequence
    attempt = SyncAttempt(attempted_at=now or utcnow(), source=source,
                          origin=_one_line(origin), outcome="not_modified",
                          sequence=current)
    session.add(attempt)
    session.flush()
    logger.info("threat summary not modified (still %d)", current)
    return attempt


def _one_line(text: str, limit: int = 500) -> str:
    """Make text fit to store and print: one line, valid UTF-8, capped.

    A file name from a stick may hold bytes that are not UTF-8, which
    Python carries as lone surrogates that no database accepts.
    """
    line = " ".join(text.split())
    return line.encode("utf-8", "backslashreplace").decode("utf-8")[:limit]


def hub_values(summary: Summary) -> dict[str, float]:
    """Sum, per threat, the weights of its links into other categories."""
    category = {threat.id: threat.category for threat in summary.threats}
    values = {threat.id: 0.0 for threat in summary.threats}
    for edge in summary.edges:
        if category[edge.source] != category[edge.target]:
            values[edge.source] += edge.weight
    return values


def rank_threats(summary: Summary) -> list[RankedThreat]:
    """Return every threat, highest hub value first (hubs first on ties)."""
    values = hub_values(summary)
    ranked = [RankedThreat(threat, values[threat.id])
              for threat in summary.threats]
    ranked.sort(key=lambda item: (-item.hub_value, not item.threat.hub,
                                  item.threat.id))
    return ranked


def top_hubs(summary: Summary, limit: int = TOP_HUBS) -> list[RankedThreat]:
    """Return the `limit` threats with the highest hub values."""
    return rank_threats(summary)[:limit]
