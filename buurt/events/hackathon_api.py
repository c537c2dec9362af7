"""JSON API for buurthackathons: plan one, add ideas, record outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Response
from pydantic import BaseModel, Field

from buurt import db
from buurt.accounts.auth import (api_blueprint, coordinator_required, me,
                                 member_required)
from buurt.events import calendar, hackathons
from buurt.events.api import Strict, api_error, iso, settings
from buurt.events.messages import agreement_message
from buurt.events.models import Hackathon
from buurt.events.service import EventError
from buurt.events.views import ics_response
from buurt.inventory import service as inventory
from buurt.web import ApiError, documented, read_json

bp = api_blueprint("hackathons_api", __name__)
TAG = "hackathons"

Challenge = Literal["water_tank", "no_power_day", "no_payments_weekend",
                    "no_internet_day", "no_water_day", "custom"]
OutcomeKind = Literal["buddy", "power_backup", "key_holder",
                      "radio_listener", "cook", "other"]


class HackathonIn(Strict):
    """A hackathon to plan around one challenge."""

    challenge: Challenge
    title: str = Field(min_length=1, max_length=120)
    starts_at: datetime
    ends_at: datetime
    place: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)


class IdeaIn(Strict):
    """A resident's idea."""

    text: str = Field(min_length=1, max_length=1000)


class IdeaOut(BaseModel):
    """An idea."""

    id: int
    text: str
    household_id: int | None


class OutcomeIn(Strict):
    """What the hackathon settled, as an agreement between households."""

    kind: OutcomeKind
    summary: str = Field(default="", max_length=500)
    household_id: int | None = None
    helper_household_id: int | None = None
    resource_id: int | None = None


class OutcomeOut(BaseModel):
    """An outcome and the agreement that records it."""

    id: int
    summary: str
    agreement_id: int | None
    kind: str | None


class HackathonOut(BaseModel):
    """A hackathon with its ideas and outcomes."""

    id: int
    challenge: str
    title: str
    description: str
    place: str
    starts_at: str
    ends_at: str
    sequence: int
    cancelled: bool
    ideas: list[IdeaOut]
    outcomes: list[OutcomeOut]


class HackathonsOut(BaseModel):
    """Hackathons, latest first."""

    hackathons: list[HackathonOut]


def hackathon_out(hackathon: Hackathon, full: bool = True) -> dict[str, Any]:
    """Describe a hackathon, with its ideas and outcomes when `full`."""
    session = db.get_session()
    hackathon_id = hackathon.id or 0
    ideas = hackathons.list_ideas(session, hackathon_id) if full else []
    outcomes = hackathons.list_outcomes(session, hackathon_id) if full else []
    return HackathonOut(
        id=hackathon_id, challenge=hackathon.challenge, title=hackathon.title,
        description=hackathon.description, place=hackathon.place,
        starts_at=iso(hackathon.starts_at) or "",
        ends_at=iso(hackathon.ends_at) or "", sequence=hackathon.sequence,
        cancelled=hackathon.cancelled,
        ideas=[IdeaOut(id=i.id or 0, text=i.text,
                       household_id=i.household_id) for i in ideas],
        outcomes=[OutcomeOut(id=o.id or 0, summary=o.summary,
                             agreement_id=o.agreement_id,
                             kind=a.kind if a else None)
                  for o, a in outcomes]).model_dump()


def _hackathon(hackathon_id: int) -> Hackathon:
    """Return a hackathon or raise a 404 API error."""
    try:
        return hackathons.get_hackathon(db.get_session(), hackathon_id)
    except EventError as error:
        raise api_error(error)


@bp.post("/hackathons")
@coordinator_required
@documented("Plan a hackathon", body=HackathonIn, response=HackathonOut,
            status=201, tag=TAG)
def create_hackathon() -> tuple[dict[str, Any], int]:
    """Plan a hackathon around one challenge."""
    body = read_json(HackathonIn)
    session = db.get_session()
    try:
        hackathon = hackathons.create_hackathon(
            session, settings(), created_by_id=me().id, **body.model_dump())
    except EventError as error:
        raise api_error(error)

    session.commit()
    return hackathon_out(hackathon), 201


@bp.get("/hackathons")
@member_required
@documented("List the hackathons", response=HackathonsOut, tag=TAG)
def list_hackathons() -> dict[str, Any]:
    """List hackathons without their ideas and outcomes."""
    return {"hackathons": [
        hackathon_out(h, full=False)
        for h in hackathons.list_hackathons(db.get_session())]}


@bp.get("/hackathons/<int:hackathon_id>")
@member_required
@documented("Get a hackathon with its ideas and outcomes",
            response=HackathonOut, tag=TAG)
def get_hackathon(hackathon_id: int) -> dict[str, Any]:
    """Answer one hackathon."""
    return hackathon_out(_hackathon(hackathon_id))


@bp.post("/hackathons/<int:hackathon_id>/cancel")
@coordinator_required
@documented("Cancel a hackathon", response=HackathonOut, tag=TAG)
def cancel_hackathon(hackathon_id: int) -> dict[str, Any]:
    """Cancel a hackathon; it stays, marked cancelled."""
    session = db.get_session()
    _hackathon(hackathon_id)
    hackathon = hackathons.cancel_hackathon(session, hackathon_id)
    session.commit()
    return hackathon_out(hackathon)


@bp.get("/hackathons/<int:hackathon_id>.ics")
@member_required
@documented("Download a hackathon as iCalendar", tag=TAG,
            content_type="text/calendar")
def hackathon_ics(hackathon_id: int) -> Response:
    """Answer one hackathon as an iCalendar file."""
    hackathon = _hackathon(hackathon_id)
    body = calendar.build_calendar(
        [calendar.hackathon_event(hackathon, settings())], hackathon.title)
    return ics_response(body, f"hackathon-{hackathon_id}.ics")


@bp.post("/hackathons/<int:hackathon_id>/ideas")
@member_required
@documented("Add an idea", body=IdeaIn, response=IdeaOut, status=201,
            tag=TAG)
def add_idea(hackathon_id: int) -> tuple[dict[str, Any], int]:
    """Add the caller's idea."""
    body = read_json(IdeaIn)
    session = db.get_session()
    try:
        idea = hackathons.add_idea(session, hackathon_id, body.text,
                                   member_id=me().id,
                                   household_id=me().household_id)
    except EventError as error:
        raise api_error(error)

    session.commit()
    return IdeaOut(id=idea.id or 0, text=idea.text,
                   household_id=idea.household_id).model_dump(), 201


@bp.post("/hackathons/<int:hackathon_id>/outcomes")
@coordinator_required
@documented("Record an outcome as an agreement", body=OutcomeIn,
            response=OutcomeOut, status=201, tag=TAG)
def add_outcome(hackathon_id: int) -> tuple[dict[str, Any], int]:
    """Record an outcome; the inventory keeps it as an agreement."""
    body = read_json(OutcomeIn)
    session = db.get_session()
    try:
        outcome = hackathons.record_outcome(session, hackathon_id,
                                            **body.model_dump())
    except EventError as error:
        raise api_error(error)
    except inventory.InventoryError as error:
        raise ApiError(422, error.code, agreement_message(error.code))

    session.commit()
    return OutcomeOut(id=outcome.id or 0, summary=outcome.summary,
                      agreement_id=outcome.agreement_id,
                      kind=body.kind).model_dump(), 201
