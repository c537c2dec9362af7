"""Buurthackathons: a challenge, a date and place, ideas, and outcomes.

An outcome is recorded as an agreement in the inventory (a buddy, a key
holder, a radio listener, who cooks), with source "hackathon" and the
hackathon's id, so the street's plan keeps it after the event is over.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from buurt.config import Settings
from buurt.events.models import Hackathon, Idea, Outcome
from buurt.events.service import (EventError, check_text, check_window,
                                  touch)
from buurt.inventory import service as inventory
from buurt.inventory.models import Agreement

# The report's challenges, and how long each one usually runs.
CHALLENGES: dict[str, timedelta] = {
    "water_tank": timedelta(days=3),
    "no_power_day": timedelta(days=1),
    "no_payments_weekend": timedelta(days=2),
    "no_internet_day": timedelta(days=1),
    "no_water_day": timedelta(days=1),
    "custom": timedelta(hours=3),
}


def create_hackathon(
    session: Session,
    settings: Settings,
    *,
    challenge: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
    description: str = "",
    created_by_id: int | None = None,
) -> Hackathon:
    """Plan a hackathon around one challenge. Raises EventError."""
    if challenge not in CHALLENGES:
        raise EventError("unknown_challenge")
    start, end = check_window(starts_at, ends_at, settings.zone)
    hackathon = Hackathon(
        challenge=challenge, title=check_text("title", title, required=True),
        description=check_text("description", description),
        place=check_text("place", place), starts_at=start,
        ends_at=end, created_by_id=created_by_id)

    session.add(hackathon)
    session.flush()
    return hackathon


def get_hackathon(session: Session, hackathon_id: int) -> Hackathon:
    """Return a hackathon; raise EventError("hackathon_not_found")."""
    hackathon = session.get(Hackathon, hackathon_id)
    if hackathon is None:
        raise EventError("hackathon_not_found")
    return hackathon


def list_hackathons(session: Session) -> list[Hackathon]:
    """List hackathons by start, latest first."""
    return list(session.exec(select(Hackathon).order_by(
        col(Hackathon.starts_at).desc(), col(Hackathon.id).desc())))


def update_hackathon(session: Session, settings: Settings,
                     hackathon_id: int, **changes: Any) -> Hackathon:
    """Change a hackathon's texts or times; its calendar sequence grows.

    A change that changes nothing leaves it (and its sequence) as it was.
    Raises EventError, "hackathon_cancelled" for a cancelled one.
    """
    hackathon = get_hackathon(session, hackathon_id)
    names = ("title", "description", "place")
    unknown = set(changes) - set(names) - {"starts_at", "ends_at"}
    if unknown:
        raise EventError("unknown_field", field=sorted(unknown)[0])
    if hackathon.cancelled:
        raise EventError("hackathon_cancelled")
    texts = {name: check_text(name, changes[name], name == "title")
             for name in names if changes.get(name) is not None}
    start, end = check_window(changes.get("starts_at") or hackathon.starts_at,
                              changes.get("ends_at") or hackathon.ends_at,
                              settings.zone,
                              kept=(hackathon.starts_at, hackathon.ends_at))
    changed: dict[str, Any] = {name: value for name, value in texts.items()
                               if getattr(hackathon, name) != value}
    if start != hackathon.starts_at:
        changed["starts_at"] = start
    if end != hackathon.ends_at:
        changed["ends_at"] = end
    if not changed:
        return hackathon

    for name, value in changed.items():
        setattr(hackathon, name, value)
    touch(hackathon)
    session.add(hackathon)
    session.flush()
    return hackathon


def cancel_hackathon(session: Session, hackathon_id: int) -> Hackathon:
    """Cancel a hackathon; it stays, shown as cancelled in calendars."""
    hackathon = get_hackathon(session, hackathon_id)
    if not hackathon.cancelled:
        hackathon.cancelled = True
        touch(hackathon)
        session.add(hackathon)
        session.flush()
    return hackathon


def add_idea(session: Session, hackathon_id: int, text: str,
             member_id: int | None = None,
             household_id: int | None = None) -> Idea:
    """Add a resident's idea to a hackathon. Raises EventError."""
    hackathon = get_hackathon(session, hackathon_id)
    text = check_text("idea", text, required=True)
    if hackathon.cancelled:
        raise EventError("hackathon_cancelled")

    idea = Idea(hackathon_id=hackathon_id, text=text, member_id=member_id,
                household_id=household_id)
    session.add(idea)
    session.flush()
    return idea


def list_ideas(session: Session, hackathon_id: int) -> list[Idea]:
    """List a hackathon's ideas, oldest first."""
    return list(session.exec(select(Idea)
                             .where(Idea.hackathon_id == hackathon_id)
                             .order_by(col(Idea.id))))


def record_outcome(
    session: Session,
    hackathon_id: int,
    *,
    kind: str,
    summary: str = "",
    household_id: int | None = None,
    helper_household_id: int | None = None,
    resource_id: int | None = None,
) -> Outcome:
    """Record what a hackathon settled, as an agreement in the inventory.

    Raises EventError for the hackathon, and the inventory's
    InventoryError when the agreement misses a party.
    """
    get_hackathon(session, hackathon_id)
    summary = check_text("summary", summary)

    agreement = inventory.create_agreement(
        session, kind, household_id=household_id,
        helper_household_id=helper_household_id, resource_id=resource_id,
        description=summary[:300], source="hackathon",
        source_ref=hackathon_id)
    outcome = Outcome(hackathon_id=hackathon_id, agreement_id=agreement.id,
                      summary=summary or kind)
    session.add(outcome)
    session.flush()
    return outcome


def list_outcomes(session: Session,
                  hackathon_id: int) -> list[tuple[Outcome, Agreement | None]]:
    """List a hackathon's outcomes with their agreements, in one query."""
    return list(session.exec(
        select(Outcome, Agreement)
        .join(Agreement, col(Outcome.agreement_id) == col(Agreement.id),
              isouter=True)
        .where(Outcome.hackathon_id == hackathon_id)
        .order_by(col(Outcome.id))))
