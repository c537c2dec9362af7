"""JSON API for drills: plan, RSVP, check in, report, review, actions.

Times go in as local ISO times ("2026-06-06T10:00", read in the
neighbourhood's zone) or with an offset, and come out with the offset.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal, Self

from flask import Response, current_app, url_for
from pydantic import (BaseModel, ConfigDict, Field, ModelWrapValidatorHandler,
                      ValidationError, model_validator)
from pydantic_core import ErrorDetails, InitErrorDetails

from buurt import db
from buurt.accounts.auth import (api_blueprint, coordinator_required,
                                 idempotent, me, member_required)
from buurt.config import Settings
from buurt.events import calendar, service
from buurt.events.messages import choice_names, event_message, field_name
from buurt.events.models import Drill
from buurt.events.service import EventError
from buurt.events.views import arm_notices, ics_response, write_transaction
from buurt.web import ApiError, documented, read_json

bp = api_blueprint("events_api", __name__)
TAG = "drills"

Scenario = Literal["power", "water", "internet", "payments", "custom"]
NOT_FOUND = ("drill_not_found", "hackathon_not_found", "resource_not_found",
             "action_not_found", "reservation_not_found", "lesson_not_found",
             "owner_not_found", "household_not_found")
CONFLICT = ("clash", "clash_until_returned", "drill_cancelled",
            "drill_over", "checkin_closed", "reporting_closed",
            "already_borrowed", "not_borrowed", "hackathon_cancelled",
            "review_too_early", "item_broken")


class Strict(BaseModel):
    """An input body that refuses unknown fields.

    A refusal names the fields, and the choices of a choice field, in the
    reader's language: the sentence is read by people, not only scripts.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _refuse_in_words(cls, data: Any,
                         handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Validate; on a refusal, name each field in the reader's words."""
        try:
            return handler(data)
        except ValidationError as error:
            raise ValidationError.from_exception_data(
                error.title, [in_words(item) for item in error.errors()])


def in_words(item: ErrorDetails) -> InitErrorDetails:
    """Return one validation problem with its field named in words."""
    loc = item["loc"]
    name = str(loc[0]) if loc else ""
    problem: InitErrorDetails = {
        "type": item["type"], "input": item["input"],
        "loc": (field_name(name), *loc[1:]) if loc else loc}
    context = dict(item.get("ctx") or {})
    if item["type"] == "literal_error":
        # pydantic lists the allowed codes as "'yes', 'maybe' or 'no'".
        codes = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        context["expected"] = (choice_names(name, codes)
                               or context.get("expected"))
    if context:
        problem["ctx"] = context
    return problem


def api_error(error: EventError) -> ApiError:
    """Turn a service refusal into an API error with the right status."""
    status = (404 if error.code in NOT_FOUND
              else 409 if error.code in CONFLICT else 422)
    return ApiError(status, error.code, event_message(error))


def settings() -> Settings:
    """Return this node's settings."""
    result: Settings = current_app.config["BUURT"]
    return result


def iso(moment: datetime | None) -> str | None:
    """Return an instant as local ISO text with its offset."""
    if moment is None:
        return None
    return moment.astimezone(settings().zone).isoformat()


def acting_household(household_id: int | None) -> int | None:
    """Return the household a call acts for: the caller's own, or any for
    a coordinator who names one."""
    if household_id is None or household_id == me().household_id:
        return me().household_id
    if not me().is_coordinator:
        raise ApiError(403, "forbidden",
                       event_message(EventError("not_your_household")))
    return household_id


# Bodies ------------------------------------------------------------------

class DrillIn(Strict):
    """A drill to plan; a repeat rule plans a series."""

    scenario: Scenario
    title: str = Field(min_length=1, max_length=120)
    starts_at: datetime
    ends_at: datetime
    description: str = Field(default="", max_length=2000)
    meeting_point: str = Field(default="", max_length=200)
    rrule: str = Field(default="", max_length=200,
                       description="RRULE in local time, e.g. "
                       "FREQ=MONTHLY;INTERVAL=3;BYDAY=1SA")
    resource_ids: list[int] = Field(default_factory=list, max_length=50)


class DrillChange(Strict):
    """Fields of a drill to change; left out means unchanged."""

    title: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    meeting_point: str | None = Field(default=None, max_length=200)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class CancelIn(Strict):
    """Whether the later drills of the series go too."""

    series: bool = False


class DrillOut(BaseModel):
    """A drill, with local times and its computed status."""

    id: int
    scenario: str
    title: str
    description: str
    meeting_point: str
    starts_at: str
    ends_at: str
    status: str
    sequence: int
    cancelled: bool
    rrule: str
    series_id: int | None
    checkin_code: str | None = Field(
        default=None, description="only for coordinators")


class DrillsOut(BaseModel):
    """Drills, by start."""

    drills: list[DrillOut]


class PlannedOut(DrillOut):
    """The first drill planned, and every drill its rule planned."""

    drills: list[DrillOut]


class RsvpIn(Strict):
    """A household's answer."""

    answer: Literal["yes", "maybe", "no"]
    household_id: int | None = Field(
        default=None, description="coordinators may answer for a household")


class RsvpOut(BaseModel):
    """The stored answer."""

    drill_id: int
    household_id: int
    answer: str
    answered_at: str


class CheckInIn(Strict):
    """The code from the poster, or a household a coordinator checks in."""

    code: str | None = Field(default=None, max_length=32)
    household_id: int | None = None


class CheckInOut(BaseModel):
    """A household's check-in; `new` is false when it was there already."""

    drill_id: int
    household_id: int
    checked_in_at: str
    new: bool


class StatusIn(Strict):
    """How a household is doing during the drill."""

    status: Literal["ok", "need_help", "can_help"]
    note: str = Field(default="", max_length=300)
    household_id: int | None = None


class StatusOut(BaseModel):
    """A stored status report."""

    id: int
    drill_id: int
    household_id: int
    status: str
    note: str
    reported_at: str


class BoardRowOut(BaseModel):
    """One household on the live board."""

    household_id: int
    address: str
    rsvp: str | None
    checked_in_at: str | None
    status: str | None
    note: str
    needs: list[str]
    buddies: list[str]
    stands_out: bool


class BoardOut(BaseModel):
    """The live board: households needing help and silent come first."""

    drill_id: int
    status: str
    counts: dict[str, int]
    households: list[BoardRowOut]


class ReviewIn(Strict):
    """The after-action review; new lessons are added."""

    went_well: str = Field(default="", max_length=4000)
    went_badly: str = Field(default="", max_length=4000)
    lessons: list[str] = Field(default_factory=list, max_length=50)


class LessonOut(BaseModel):
    """A lesson learned."""

    id: int
    text: str


class ChangeOut(BaseModel):
    """A readiness figure at the drill's start and after its review."""

    figure: str
    before: float | None
    after: float | None


class ReviewOut(BaseModel):
    """The review with its lessons and the change in readiness."""

    drill_id: int
    went_well: str
    went_badly: str
    lessons: list[LessonOut]
    readiness_change: list[ChangeOut]


class ActionIn(Strict):
    """An improvement action: what, who and by when."""

    description: str = Field(default="", max_length=500)
    due_on: date
    lesson_id: int | None = None
    owner_household_id: int | None = None
    owner_member_id: int | None = None


class ActionOut(BaseModel):
    """An improvement action."""

    id: int
    drill_id: int
    drill_title: str
    lesson_id: int | None
    description: str
    owner: str
    owner_household_id: int | None
    owner_member_id: int | None
    due_on: date
    done: bool


class ActionsOut(BaseModel):
    """Improvement actions by due date."""

    actions: list[ActionOut]


class FeedOut(BaseModel):
    """The member's private calendar subscription address."""

    url: str
    webcal: str


# Answers -----------------------------------------------------------------

def drill_out(drill: Drill) -> dict[str, Any]:
    """Describe a drill for the API."""
    return DrillOut(
        id=drill.id or 0, scenario=drill.scenario, title=drill.title,
        description=drill.description, meeting_point=drill.meeting_point,
        starts_at=iso(drill.starts_at) or "", ends_at=iso(drill.ends_at)
        or "", status=service.drill_status(drill), sequence=drill.sequence,
        cancelled=drill.cancelled, rrule=drill.rrule,
        series_id=drill.series_id,
        checkin_code=drill.checkin_code if me().is_coordinator else None,
    ).model_dump()


def action_out(item: service.ActionItem) -> dict[str, Any]:
    """Describe an improvement action for the API."""
    action = item.action
    return ActionOut(
        id=action.id or 0, drill_id=action.drill_id,
        drill_title=item.drill_title, lesson_id=action.lesson_id,
        description=action.description, owner=item.owner,
        owner_household_id=action.owner_household_id,
        owner_member_id=action.owner_member_id, due_on=action.due_on,
        done=action.done_at is not None).model_dump(mode="json")


def _drill(drill_id: int) -> Drill:
    """Return a drill or raise a 404 API error."""
    try:
        return service.get_drill(db.get_session(), drill_id)
    except EventError as error:
        raise api_error(error)


# Drills ------------------------------------------------------------------

@bp.post("/drills")
@coordinator_required
@documented("Plan a drill (or a series with an RRULE)", body=DrillIn,
            response=PlannedOut, status=201, tag=TAG)
def create_drill() -> tuple[dict[str, Any], int]:
    """Plan a drill; answer every drill planned, the first one first."""
    body = read_json(DrillIn)
    session = db.get_session()
    try:
        drills = service.create_drill(
            session, settings(), scenario=body.scenario, title=body.title,
            starts_at=body.starts_at, ends_at=body.ends_at,
            description=body.description, meeting_point=body.meeting_point,
            rrule=body.rrule, resource_ids=body.resource_ids,
            created_by_id=me().id)
    except EventError as error:
        raise api_error(error)

    session.commit()
    arm_notices(drill.id for drill in drills)
    first = drill_out(drills[0])
    return {**first, "drills": [drill_out(d) for d in drills]}, 201


@bp.get("/drills")
@member_required
@documented("List the drills", response=DrillsOut, tag=TAG)
def list_drills() -> dict[str, Any]:
    """List every drill by start."""
    return {"drills": [drill_out(d)
                       for d in service.list_drills(db.get_session())]}


@bp.get("/drills/<int:drill_id>")
@member_required
@documented("Get a drill", response=DrillOut, tag=TAG)
def get_drill(drill_id: int) -> dict[str, Any]:
    """Answer one drill."""
    return drill_out(_drill(drill_id))


@bp.patch("/drills/<int:drill_id>")
@coordinator_required
@documented("Change a drill", body=DrillChange, response=DrillOut, tag=TAG)
def update_drill(drill_id: int) -> dict[str, Any]:
    """Change a drill; its calendar sequence grows."""
    body = read_json(DrillChange)
    session = db.get_session()
    try:
        drill = service.update_drill(session, settings(), drill_id,
                                     **body.model_dump(exclude_none=True))
    except EventError as error:
        raise api_error(error)

    session.commit()
    arm_notices([drill_id])
    return drill_out(drill)


@bp.post("/drills/<int:drill_id>/cancel")
@coordinator_required
@documented("Cancel a drill (and the rest of its series)", body=CancelIn,
            response=DrillsOut, tag=TAG)
def cancel_drill(drill_id: int) -> dict[str, Any]:
    """Cancel a drill; it stays, marked cancelled."""
    body = read_json(CancelIn)
    session = db.get_session()
    _drill(drill_id)
    drills = service.cancel_drill(session, drill_id,
                                  later_in_series=body.series)
    session.commit()
    arm_notices(drill.id for drill in drills)
    return {"drills": [drill_out(d) for d in drills]}


@bp.get("/drills/<int:drill_id>.ics")
@member_required
@documented("Download a drill as iCalendar", tag=TAG,
            content_type="text/calendar")
def drill_ics(drill_id: int) -> Response:
    """Answer one drill as an iCalendar file."""
    drill = _drill(drill_id)
    body = calendar.build_calendar([calendar.drill_event(drill, settings())],
                                   drill.title)
    return ics_response(body, f"drill-{drill_id}.ics")


# Taking part -------------------------------------------------------------

@bp.post("/drills/<int:drill_id>/rsvp")
@member_required
@idempotent("drill_rsvp")
@documented("Answer a drill invitation", body=RsvpIn, response=RsvpOut,
            tag=TAG, idempotent=True)
def rsvp(drill_id: int) -> dict[str, Any]:
    """Record a household's yes, maybe or no."""
    body = read_json(RsvpIn)
    try:
        answer = service.set_rsvp(db.get_session(), drill_id,
                                  acting_household(body.household_id),
                                  body.answer, member_id=me().id)
    except EventError as error:
        raise api_error(error)

    return RsvpOut(drill_id=drill_id, household_id=answer.household_id,
                   answer=answer.answer,
                   answered_at=iso(answer.answered_at) or "").model_dump()


@bp.post("/drills/<int:drill_id>/checkin")
@member_required
@idempotent("drill_checkin")
@documented("Check a household in", body=CheckInIn, response=CheckInOut,
            tag=TAG, idempotent=True)
def check_in(drill_id: int) -> dict[str, Any]:
    """Check in with the poster's code (coordinators may leave it out)."""
    body = read_json(CheckInIn)
    session = db.get_session()
    try:
        drill = service.get_drill(session, drill_id)
        if body.code is not None or not me().is_coordinator:
            if service.find_drill_by_code(session,
                                          body.code or "").id != drill.id:
                raise EventError("checkin_code_unknown")
        entry, new = service.check_in(
            session, drill_id, acting_household(body.household_id),
            member_id=me().id, settings=settings())
    except EventError as error:
        raise api_error(error)

    return CheckInOut(drill_id=drill_id, household_id=entry.household_id,
                      checked_in_at=iso(entry.checked_in_at) or "",
                      new=new).model_dump()


@bp.post("/drills/<int:drill_id>/status")
@member_required
@idempotent("drill_status")
@documented("Report a household's status during a drill", body=StatusIn,
            response=StatusOut, status=201, tag=TAG, idempotent=True)
def report_status(drill_id: int) -> tuple[dict[str, Any], int]:
    """Store a status report; a retry with the same key stores nothing."""
    body = read_json(StatusIn)
    try:
        report = service.report_status(
            db.get_session(), drill_id, acting_household(body.household_id),
            body.status, body.note, member_id=me().id)
    except EventError as error:
        raise api_error(error)

    return StatusOut(id=report.id or 0, drill_id=drill_id,
                     household_id=report.household_id, status=report.status,
                     note=report.note,
                     reported_at=iso(report.reported_at) or "",
                     ).model_dump(), 201


@bp.get("/drills/<int:drill_id>/board")
@coordinator_required
@documented("The live board of a drill", response=BoardOut, tag=TAG)
def board(drill_id: int) -> dict[str, Any]:
    """Answer every household's check-in and latest report."""
    _drill(drill_id)
    full = service.drill_board(db.get_session(), drill_id)
    rows = [BoardRowOut(
        household_id=row.household.id or 0, address=row.household.address,
        rsvp=row.rsvp, checked_in_at=iso(row.checked_in_at),
        status=row.status, note=row.note, needs=row.needs,
        buddies=row.buddies, stands_out=row.stands_out)
        for row in full.rows]
    return BoardOut(drill_id=drill_id,
                    status=service.drill_status(full.drill),
                    counts=full.counts, households=rows).model_dump()


# Review and actions ------------------------------------------------------

@bp.put("/drills/<int:drill_id>/review")
@coordinator_required
@documented("Write a drill's review; lessons are added", body=ReviewIn,
            response=ReviewOut, tag=TAG)
def save_review(drill_id: int) -> dict[str, Any]:
    """Save the review and snapshot readiness after it."""
    body = read_json(ReviewIn)
    session = db.get_session()
    try:
        review = service.save_review(
            session, drill_id, went_well=body.went_well,
            went_badly=body.went_badly, lessons=body.lessons,
            member_id=me().id, settings=settings())
    except EventError as error:
        raise api_error(error)

    session.commit()
    return ReviewOut(
        drill_id=drill_id, went_well=review.went_well,
        went_badly=review.went_badly,
        lessons=[LessonOut(id=lesson.id or 0, text=lesson.text)
                 for lesson in service.list_lessons(session, drill_id)],
        readiness_change=[
            ChangeOut(figure=figure, before=before, after=after)
            for figure, before, after in service.readiness_change(
                session, drill_id)]).model_dump()


@bp.post("/drills/<int:drill_id>/actions")
@coordinator_required
@documented("Turn a lesson into an improvement action", body=ActionIn,
            response=ActionOut, status=201, tag=TAG)
def create_action(drill_id: int) -> tuple[dict[str, Any], int]:
    """Create an improvement action with an owner and a due date."""
    body = read_json(ActionIn)
    session = db.get_session()
    try:
        action = service.create_action(session, drill_id,
                                       **body.model_dump())
    except EventError as error:
        raise api_error(error)

    session.commit()
    item = next(i for i in service.list_actions(session, open_only=False,
                                                drill_id=drill_id)
                if i.action.id == action.id)
    return action_out(item), 201


@bp.get("/actions")
@coordinator_required
@documented("List the open improvement actions", response=ActionsOut,
            tag=TAG)
def list_actions() -> dict[str, Any]:
    """List the actions not done yet, by due date."""
    return {"actions": [action_out(i)
                        for i in service.list_actions(db.get_session())]}


@bp.post("/actions/<int:action_id>/done")
@coordinator_required
@documented("Mark an improvement action as done", response=ActionOut,
            tag=TAG)
def complete_action(action_id: int) -> dict[str, Any]:
    """Mark an action as done."""
    session = db.get_session()
    try:
        action = service.complete_action(session, action_id)
    except EventError as error:
        raise api_error(error)

    session.commit()
    item = next(i for i in service.list_actions(
        session, open_only=False, drill_id=action.drill_id)
        if i.action.id == action_id)
    return action_out(item)


@bp.get("/calendar")
@member_required
@documented("Your private calendar subscription address", response=FeedOut,
            tag=TAG)
def feed_address() -> dict[str, Any]:
    """Answer the member's feed address, creating it on first use."""
    with write_transaction() as session:
        token = calendar.get_feed_token(session, me().id)
        session.commit()
    url = (settings().base_url.rstrip("/")
           + url_for("events.feed", token=token))
    return FeedOut(url=url,
                   webcal="webcal://" + url.split("://", 1)[1]).model_dump()
