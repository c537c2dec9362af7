"""Tables for the threat summaries this node accepted and every sync try."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from buurt.db import UTCDateTime, utcnow

SOURCES = ("url", "file")
OUTCOMES = ("accepted", "not_modified", "rejected")


class ThreatSummary(SQLModel, table=True):
    """An accepted summary; the one with the highest sequence is current."""

    __tablename__ = "threat_summary"

    id: int | None = Field(default=None, primary_key=True)
    sequence: int = Field(unique=True, index=True)
    schema_version: int
    key_id: str = Field(max_length=64)
    source: str = Field(max_length=10)
    # The URL or file name it came from, so an operator can trace it.
    origin: str = Field(default="", max_length=500)
    etag: str = Field(default="", max_length=200)
    issued_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(
        sa_column=Column(UTCDateTime, nullable=False)
    )
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    # The exact signed bytes (UTF-8 JSON) and their signature, so the
    # envelope can be passed on to another street and checked again.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    signature: str = Field(max_length=200)


class SyncAttempt(SQLModel, table=True):
    """One try to get a newer summary, from the publisher or a file."""

    __tablename__ = "threat_sync_attempt"

    id: int | None = Field(default=None, primary_key=True)
    attempted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    source: str = Field(max_length=10)
    origin: str = Field(default="", max_length=500)
    outcome: str = Field(max_length=20)
    # A stable code such as "rollback" or "timeout"; empty when accepted.
    reason: str = Field(default="", max_length=40)
    detail: str = Field(default="", max_length=500)
    sequence: int | None = None
    summary_id: int | None = Field(
        default=None, foreign_key="threat_summary.id", ondelete="SET NULL"
    )
