"""Tables for members, invites, API tokens and idempotent writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from buurt.db import UTCDateTime, utcnow

ROLES = ("resident", "coordinator")


class Member(SQLModel, table=True):
    """A person with an account on this node."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True, index=True)
    display_name: str = Field(max_length=80)
    role: str = Field(default="resident", max_length=20)
    # Points up to the inventory by table name only: a member may belong to
    # one household, and accounts never import the inventory.
    household_id: int | None = Field(
        default=None, foreign_key="household.id", index=True,
        ondelete="SET NULL",
    )
    pin_hash: str = Field(max_length=255)
    locale: str | None = Field(default=None, max_length=10)
    phone: str | None = Field(default=None, max_length=40)
    active: bool = True
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class Invite(SQLModel, table=True):
    """A join code a coordinator hands out, for one role and household."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    role: str = Field(default="resident", max_length=20)
    household_id: int | None = Field(
        default=None, foreign_key="household.id", ondelete="CASCADE"
    )
    note: str = Field(default="", max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    used_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    used_by_id: int | None = Field(default=None, foreign_key="member.id")


class ApiToken(SQLModel, table=True):
    """A bearer token for scripts; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True,
                           ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    label: str = Field(default="", max_length=80)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )


class IdempotentResponse(SQLModel, table=True):
    """The first answer to a write that carried an Idempotency-Key."""

    __table_args__ = (UniqueConstraint("member_id", "scope", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    scope: str = Field(max_length=120)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status: int
    body: str
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
