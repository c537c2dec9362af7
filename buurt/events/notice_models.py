"""The notice board's table: each notice the scheduler owed, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from buurt.db import UTCDateTime, utcnow

NOTICE_STATUSES = ("sent", "missed")
AUDIENCES = ("all", "coordinators")
# "": nothing to push; "pending": waits for ntfy; "done": handed to ntfy
# (or claimed for it); "failed": ntfy refused it or could not be reached.
PUSH_STATES = ("", "pending", "done", "failed")


def _now() -> datetime:
    return utcnow()


class Notice(SQLModel, table=True):
    """One announcement: a drill reminder, a check that is due, a late action.

    The unique key is what makes a notice go out once, even when a job runs
    twice or a process dies between sending and committing.
    """

    __table_args__ = (UniqueConstraint("source", "ref_id", "kind", "due_at",
                                       name="uq_notice_once"),)

    id: int | None = Field(default=None, primary_key=True)
    # What it is about: "drill", "resource", "action" or "backup", and its id.
    source: str = Field(max_length=20)
    ref_id: int
    kind: str = Field(max_length=20)
    due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(max_length=10)
    audience: str = Field(default="all", max_length=20)
    # The subject's name when the notice was made, kept if it goes away.
    title: str = Field(default="", max_length=200)
    # The time the notice speaks of (a drill's start or end), if any.
    about_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True))
    # A code the text needs, such as the resource kind.
    detail: str = Field(default="", max_length=60)
    push_state: str = Field(default="", max_length=10)
    # When a coordinator acknowledged a missed notice on the board.
    seen_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(
        default_factory=_now,
        sa_column=Column(UTCDateTime, nullable=False, index=True))
