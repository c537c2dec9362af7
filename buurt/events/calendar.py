"""iCalendar files of drills and hackathons, and each member's private feed.

Every event has a UID that never changes, a DTSTAMP in UTC, a SEQUENCE
that grows with every change, and local start and end times whose zone is
defined inside the file (VTIMEZONE), so a phone shows 10:00 as 10:00 on
both sides of a clock change. Cancelled events stay, with STATUS:CANCELLED.

Two kinds of time are written in UTC instead: the second pass of a time
the autumn change repeats (a local 02:10 alone would mean the first), and
times outside LOCAL_YEARS (only rows stored before the planning range was
enforced), so that no row needs a zone described for centuries.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone, tzinfo
from typing import Iterable

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from buurt import localtime
from buurt.accounts.models import Member
from buurt.config import Settings
from buurt.events.models import CalendarFeed, Drill, Hackathon, Rsvp

FOLLOWING = ("yes", "maybe")
PRODID = "-//buurt//drills and buurthackathons//NL"
LOCAL_YEARS = range(2000, 2100)


def _uid(kind: str, event: Drill | Hackathon) -> str:
    """Return an event's UID: its id and creation instant, never changing."""
    return f"{kind}-{event.id}-{event.created_at:%Y%m%dT%H%M%SZ}@buurt"


def drill_event(drill: Drill, settings: Settings) -> Event:
    """Describe one drill as a VEVENT in the neighbourhood's zone."""
    return _event(
        "drill", drill, settings, summary=drill.title,
        description=drill.description, location=drill.meeting_point,
        url=f"{settings.base_url.rstrip('/')}/drills/{drill.id}")


def hackathon_event(hackathon: Hackathon, settings: Settings) -> Event:
    """Describe one hackathon as a VEVENT in the neighbourhood's zone."""
    return _event(
        "hackathon", hackathon, settings, summary=hackathon.title,
        description=hackathon.description, location=hackathon.place,
        url=f"{settings.base_url.rstrip('/')}/hackathons/{hackathon.id}")


def _event(kind: str, source: Drill | Hackathon, settings: Settings, *,
           summary: str, description: str, location: str,
           url: str) -> Event:
    """Build a VEVENT with the fields every calendar needs."""
    zone = settings.zone
    event = Event()
    event.add("uid", _uid(kind, source))
    event.add("dtstamp", source.updated_at)
    event.add("dtstart", _when(source.starts_at, zone))
    event.add("dtend", _when(source.ends_at, zone))
    event.add("sequence", source.sequence)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    event.add("url", url)
    event.add("status", "CANCELLED" if source.cancelled else "CONFIRMED")
    return event


def _when(moment: datetime, zone: tzinfo) -> datetime:
    """Return an instant in local time, or in UTC where local is unclear."""
    if moment.year not in LOCAL_YEARS or localtime.is_repeated(moment, zone):
        return moment.astimezone(timezone.utc)
    return moment.astimezone(zone)


def build_calendar(events: Iterable[Event], name: str) -> bytes:
    """Wrap events in a VCALENDAR with the VTIMEZONE they use."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    years = []
    for event in events:
        calendar.add_component(event)
        years += [event.decoded(field).year for field in ("dtstart", "dtend")
                  if event.decoded(field).year in LOCAL_YEARS]

    if years:
        # Only the years the events need, to keep phones' downloads small.
        calendar.add_missing_timezones(first_date=date(min(years) - 1, 1, 1),
                                       last_date=date(max(years) + 2, 1, 1))
    return calendar.to_ical()


def get_feed_token(session: Session, member_id: int) -> str:
    """Return a member's feed token, creating it on first use."""
    feed = session.exec(select(CalendarFeed)
                        .where(CalendarFeed.member_id == member_id)).first()
    if feed is None:
        feed = CalendarFeed(member_id=member_id,
                            token=secrets.token_urlsafe(24))
        session.add(feed)
        session.flush()
    return feed.token


def reset_feed_token(session: Session, member_id: int) -> str:
    """Give a member a new feed token; the old address stops working."""
    feed = session.exec(select(CalendarFeed)
                        .where(CalendarFeed.member_id == member_id)).first()
    if feed is None:
        return get_feed_token(session, member_id)
    feed.token = secrets.token_urlsafe(24)
    session.add(feed)
    session.flush()
    return feed.token


def feed_member(session: Session, token: str) -> Member | None:
    """Return the active member a feed token belongs to, or None."""
    row = session.exec(
        select(Member).join(CalendarFeed,
                            col(CalendarFeed.member_id) == col(Member.id))
        .where(CalendarFeed.token == token)).first()
    return row if row is not None and row.active else None


def followed_events(session: Session, member: Member,
                    settings: Settings) -> list[Event]:
    """List the events a member follows, as VEVENTs.

    Coordinators follow every drill; residents the drills their household
    said yes or maybe to. Everyone follows every hackathon, the street's
    own open meeting. Cancelled ones stay in the feed as cancelled.
    """
    drills = select(Drill).order_by(col(Drill.starts_at))
    if member.role != "coordinator":
        drills = drills.join(Rsvp, col(Rsvp.drill_id) == col(Drill.id)).where(
            Rsvp.household_id == member.household_id).where(
            col(Rsvp.answer).in_(FOLLOWING))
    hackathons = select(Hackathon).order_by(col(Hackathon.starts_at))

    return ([drill_event(d, settings) for d in session.exec(drills)]
            + [hackathon_event(h, settings) for h in session.exec(hackathons)])


def feed_calendar(session: Session, member: Member, settings: Settings,
                  name: str) -> bytes:
    """Return a member's whole subscription feed as iCalendar bytes."""
    return build_calendar(followed_events(session, member, settings), name)

