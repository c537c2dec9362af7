"""Tables for drills, their reviews, buurthackathons and reservations.

Nothing here feeds back into the inventory: a status report or a check-in
during a drill is practice, never a real need, so readiness ignores it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from buurt.db import UTCDateTime, utcnow

# Ids are a contract: the threats module links to /drills/new?scenario=power.
SCENARIOS = ("power", "water", "internet", "payments", "custom")
RSVP_ANSWERS = ("yes", "maybe", "no")
STATUSES = ("ok", "need_help", "can_help")
SNAPSHOT_MOMENTS = ("start", "review")
RESERVATION_KINDS = ("reservation", "loan")


def _now() -> datetime:
    return utcnow()


class Drill(SQLModel, table=True):
    """One announced outage exercise, at one time; a series shares a rule."""

    id: int | None = Field(default=None, primary_key=True)
    scenario: str = Field(max_length=20)
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    meeting_point: str = Field(default="", max_length=200)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False,
                                                 index=True))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # The RRULE (in local time) that planned this drill's series, and the
    # first drill of the series; empty and None for a single drill.
    rrule: str = Field(default="", max_length=200)
    series_id: int | None = Field(default=None, foreign_key="drill.id",
                                  index=True, ondelete="SET NULL")
    # Grows with every change, so calendars replace their copy.
    sequence: int = 0
    cancelled: bool = False
    checkin_code: str = Field(max_length=16, unique=True, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="member.id",
                                      ondelete="SET NULL")
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class Rsvp(SQLModel, table=True):
    """A household's answer to a drill invitation; the last answer counts."""

    __table_args__ = (UniqueConstraint("drill_id", "household_id"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True,
                          ondelete="CASCADE")
    household_id: int = Field(foreign_key="household.id", ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id",
                                  ondelete="SET NULL")
    answer: str = Field(max_length=10)
    answered_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class CheckIn(SQLModel, table=True):
    """A household that showed up for a drill; once per drill."""

    __table_args__ = (UniqueConstraint("drill_id", "household_id"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True,
                          ondelete="CASCADE")
    household_id: int = Field(foreign_key="household.id", ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id",
                                  ondelete="SET NULL")
    checked_in_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class StatusReport(SQLModel, table=True):
    """What a household says during a drill; its latest report counts."""

    __table_args__ = (UniqueConstraint("drill_id", "household_id",
                                       "form_key"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True,
                          ondelete="CASCADE")
    household_id: int = Field(foreign_key="household.id", ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id",
                                  ondelete="SET NULL")
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=300)
    # The page's one-time key, so a form sent twice stores one report.
    form_key: str | None = Field(default=None, max_length=64)
    reported_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class Review(SQLModel, table=True):
    """The after-action review of a drill."""

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", unique=True,
                          ondelete="CASCADE")
    went_well: str = Field(default="", max_length=4000)
    went_badly: str = Field(default="", max_length=4000)
    reviewed_by_id: int | None = Field(default=None, foreign_key="member.id",
                                       ondelete="SET NULL")
    reviewed_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class Lesson(SQLModel, table=True):
    """One thing the street learned from a drill."""

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True,
                          ondelete="CASCADE")
    text: str = Field(max_length=500)


class Action(SQLModel, table=True):
    """An improvement someone takes on after a drill, by a due date."""

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True,
                          ondelete="CASCADE")
    lesson_id: int | None = Field(default=None, foreign_key="lesson.id",
                                  ondelete="SET NULL")
    description: str = Field(max_length=500)
    owner_household_id: int | None = Field(
        default=None, foreign_key="household.id", ondelete="SET NULL"
    )
    owner_member_id: int | None = Field(default=None, foreign_key="member.id",
                                        ondelete="SET NULL")
    due_on: date
    done_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class ReadinessSnapshot(SQLModel, table=True):
    """The street's readiness at a drill's start or after its review."""

    __table_args__ = (UniqueConstraint("drill_id", "moment"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True,
                          ondelete="CASCADE")
    moment: str = Field(max_length=10)
    taken_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )
    # The readiness figures as JSON, exactly as the readiness service gave.
    data: str = Field(sa_column=Column(Text, nullable=False))


class Hackathon(SQLModel, table=True):
    """A buurthackathon: neighbours solving one outage challenge together."""

    id: int | None = Field(default=None, primary_key=True)
    challenge: str = Field(max_length=30)
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    place: str = Field(default="", max_length=200)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False,
                                                 index=True))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sequence: int = 0
    cancelled: bool = False
    created_by_id: int | None = Field(default=None, foreign_key="member.id",
                                      ondelete="SET NULL")
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class Idea(SQLModel, table=True):
    """A resident's idea for a hackathon's challenge."""

    id: int | None = Field(default=None, primary_key=True)
    hackathon_id: int = Field(foreign_key="hackathon.id", index=True,
                              ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id",
                                  ondelete="SET NULL")
    household_id: int | None = Field(default=None, foreign_key="household.id",
                                     ondelete="SET NULL")
    text: str = Field(max_length=1000)
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class Outcome(SQLModel, table=True):
    """What a hackathon settled; an agreement in the inventory records it."""

    id: int | None = Field(default=None, primary_key=True)
    hackathon_id: int = Field(foreign_key="hackathon.id", index=True,
                              ondelete="CASCADE")
    agreement_id: int | None = Field(default=None, foreign_key="agreement.id",
                                     ondelete="SET NULL")
    summary: str = Field(max_length=500)
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class Reservation(SQLModel, table=True):
    """A shared item booked for a window, or out on loan to a household.

    A drill's reservations carry its id. A loan starts when the item is
    borrowed and ends when it comes back.
    """

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id", index=True,
                             ondelete="CASCADE")
    kind: str = Field(default="reservation", max_length=20)
    household_id: int | None = Field(default=None, foreign_key="household.id",
                                     ondelete="CASCADE")
    drill_id: int | None = Field(default=None, foreign_key="drill.id",
                                 index=True, ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id",
                                  ondelete="SET NULL")
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    borrowed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    returned_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    return_condition: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=300)
    cancelled_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )


class CalendarFeed(SQLModel, table=True):
    """A member's private calendar subscription; the token is the key."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True,
                           ondelete="CASCADE")
    token: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(UTCDateTime, nullable=False)
    )
