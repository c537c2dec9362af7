"""Tables for the street's plan: households, what they share, who does what."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from buurt.db import UTCDateTime, utcnow

AVAILABILITIES = ("drills", "outages", "always")
CONDITIONS = ("good", "fair", "poor", "broken")
CONSENT_KINDS = ("contact", "health")
NEED_KINDS = ("needs_help", "power_dependent")
AGREEMENT_KINDS = (
    "buddy", "power_backup", "key_holder", "radio_listener", "cook", "other",
)
AGREEMENT_SOURCES = ("form", "import", "hackathon", "review")
SKILL_KINDS = ("first_aid", "medical", "technical", "cooking", "language",
               "care", "other")


def _created() -> datetime:
    return utcnow()


class Neighbourhood(SQLModel, table=True):
    """The one neighbourhood this node serves."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    timezone: str = Field(default="Europe/Amsterdam", max_length=64)
    meeting_point: str = Field(default="", max_length=200)
    support_point: str = Field(default="", max_length=200)
    news_source: str = Field(default="", max_length=200)


class Household(SQLModel, table=True):
    """One address in the street, occupied or vacant."""

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=120)
    # Lower-case, single-spaced address: the key that merges duplicates.
    address_key: str = Field(max_length=120, unique=True, index=True)
    residents: int = Field(default=0, ge=0, le=99)
    vacant: bool = False
    contact_name: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=40)
    notes: str = Field(default="", max_length=500)
    created_at: datetime = Field(
        default_factory=_created, sa_column=Column(UTCDateTime, nullable=False)
    )


class Consent(SQLModel, table=True):
    """A household's consent for one kind of personal data."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True,
                              ondelete="CASCADE")
    kind: str = Field(max_length=20)
    source: str = Field(default="resident", max_length=40)
    granted_at: datetime = Field(
        default_factory=_created, sa_column=Column(UTCDateTime, nullable=False)
    )
    withdrawn_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )


class Need(SQLModel, table=True):
    """A health-related need; stored only while health consent stands."""

    __table_args__ = (UniqueConstraint("household_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True,
                              ondelete="CASCADE")
    kind: str = Field(max_length=20)
    note: str = Field(default="", max_length=300)


class Resource(SQLModel, table=True):
    """A shared thing: a water tank, a radio, a cargo bike."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    name: str = Field(max_length=120)
    quantity: int = Field(default=1, ge=1, le=1000)
    # Litres for water containers, otherwise residents served per unit.
    capacity: float | None = Field(default=None, ge=0, le=100_000)
    condition: str = Field(default="good", max_length=20)
    place: str = Field(default="", max_length=200)
    keeper_household_id: int | None = Field(
        default=None, foreign_key="household.id", index=True,
        ondelete="SET NULL",
    )
    last_checked: date | None = None
    notes: str = Field(default="", max_length=500)
    # The words this came from in the spreadsheet, to merge re-imports.
    source_text: str = Field(default="", max_length=200)
    # The unguessable base32 code in the item's QR label address, /r/<token>.
    label_token: str = Field(
        default_factory=lambda: "".join(
            secrets.choice("abcdefghijklmnopqrstuvwxyz234567")
            for _ in range(10)),
        max_length=16, unique=True, index=True,
    )
    created_at: datetime = Field(
        default_factory=_created, sa_column=Column(UTCDateTime, nullable=False)
    )


class Skill(SQLModel, table=True):
    """Something a resident can do for the street."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True,
                              ondelete="CASCADE")
    kind: str = Field(default="other", max_length=20)
    description: str = Field(max_length=200)


class Pledge(SQLModel, table=True):
    """A household's promise to share a resource or a skill, and when."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True,
                              ondelete="CASCADE")
    resource_id: int | None = Field(default=None, foreign_key="resource.id",
                                    ondelete="CASCADE")
    skill_id: int | None = Field(default=None, foreign_key="skill.id",
                                 ondelete="CASCADE")
    availability: str = Field(default="always", max_length=20)
    note: str = Field(default="", max_length=300)
    created_at: datetime = Field(
        default_factory=_created, sa_column=Column(UTCDateTime, nullable=False)
    )


class Agreement(SQLModel, table=True):
    """Who does what in an outage: a buddy, a backup, a key holder."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    # The household the agreement is for (the one a buddy checks on).
    household_id: int | None = Field(
        default=None, foreign_key="household.id", index=True,
        ondelete="CASCADE",
    )
    # The household that does it (the buddy, the key holder, the listener).
    helper_household_id: int | None = Field(
        default=None, foreign_key="household.id", ondelete="CASCADE"
    )
    resource_id: int | None = Field(default=None, foreign_key="resource.id",
                                    ondelete="CASCADE")
    description: str = Field(default="", max_length=300)
    source: str = Field(default="form", max_length=20)
    # The id of the hackathon or review it came from, when not a form.
    source_ref: int | None = None
    active: bool = True
    created_at: datetime = Field(
        default_factory=_created, sa_column=Column(UTCDateTime, nullable=False)
    )


class ReviewItem(SQLModel, table=True):
    """Something an import could not settle, kept for the coordinator."""

    __table_args__ = (UniqueConstraint("household_id", "kind", "text"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int | None = Field(
        default=None, foreign_key="household.id", ondelete="CASCADE"
    )
    kind: str = Field(max_length=30)
    text: str = Field(max_length=300)
    line: int | None = None
    resolved: bool = False
    created_at: datetime = Field(
        default_factory=_created, sa_column=Column(UTCDateTime, nullable=False)
    )
