"""Pages for drills: plan, answer, check in, the live board, the review."""

from __future__ import annotations

import contextlib
import secrets
from datetime import date
from typing import Any, Iterable, Iterator

from flask import (Blueprint, Response, abort, current_app, flash, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from sqlmodel import Session

from buurt import db
from buurt.web import show_again
from buurt.accounts import service as accounts
from buurt.accounts.auth import coordinator_required, me, member_required
from buurt.config import Settings
from buurt.events import calendar, service
from buurt.events.jobs import arm_notices_for
from buurt.events.messages import SCENARIO_NAMES, event_message
from buurt.events.models import SCENARIOS
from buurt.events.service import EventError
from buurt.inventory import service as inventory

bp = Blueprint("events", __name__)

# Offered on the planning form; any other RRULE can be typed in.
REPEATS = {
    "": "",
    "quarterly": "FREQ=MONTHLY;INTERVAL=3;BYDAY=1SA",
    "monthly": "FREQ=MONTHLY;BYDAY=1SA",
    "yearly": "FREQ=YEARLY",
}
BOARD_REFRESH_SECONDS = 30


def settings() -> Settings:
    """Return this node's settings."""
    result: Settings = current_app.config["BUURT"]
    return result


@contextlib.contextmanager
def write_transaction() -> Iterator[Session]:
    """Give the request's session in a new write transaction, even on GET.

    A scanned QR code or an opened board is a GET that may write once
    (a check-in, the start snapshot); SQLite must take the write lock at
    the start of that transaction, not halfway. The caller commits.
    """
    session = db.get_session()
    session.rollback()
    with db.writing():
        yield session


def arm_notices(drill_ids: Iterable[int | None]) -> None:
    """Arm the notices of drills just changed, if the scheduler runs here.

    The scheduler knows the app object itself, never Flask's proxy to it.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    arm_notices_for(app, [drill_id for drill_id in drill_ids if drill_id])


def form_time(name: str) -> Any:
    """Read a datetime-local field as a naive local time."""
    return service.parse_time(request.form.get(name, ""))


def form_int(text: str | None) -> int | None:
    """Read an optional whole number from a form field's text."""
    return int(text) if text and text.isdigit() else None


def refuse(error: EventError, template: str, status: int = 400,
           **context: Any) -> tuple[str, int]:
    """Roll back, say what went wrong, and show the form again."""
    db.get_session().rollback()
    flash(event_message(error), "error")
    return render_template(template, **context), status


def load_drill(drill_id: int) -> Any:
    """Return a drill or answer 404."""
    try:
        return service.get_drill(db.get_session(), drill_id)
    except EventError:
        abort(404)


# Planning ----------------------------------------------------------------

@bp.get("/drills")
@member_required
def index() -> str:
    """List the drills; coordinators also see the open actions."""
    session = db.get_session()
    drills = service.list_drills(session)
    now = db.utcnow()
    actions = (service.list_actions(session)
               if me().is_coordinator else [])
    return render_template(
        "events/index.html", now=now,
        upcoming=[d for d in drills if d.ends_at > now],
        past=[d for d in drills if d.ends_at <= now][::-1],
        actions=actions, today=now.astimezone(settings().zone).date())


def _plan_context(**values: Any) -> dict[str, Any]:
    """Gather what the planning form shows."""
    session = db.get_session()
    neighbourhood = inventory.get_neighbourhood(session)
    scenario = values.get("scenario") or request.args.get("scenario", "")
    if scenario not in SCENARIOS:
        scenario = "power"
    defaults: dict[str, Any] = {
        "scenario": scenario, "title": str(SCENARIO_NAMES[scenario]),
        "meeting_point": neighbourhood.meeting_point if neighbourhood
        else "", "repeat": "", "rrule": "", "resource_ids": [],
    }
    defaults.update({k: v for k, v in values.items() if v is not None})
    return {"values": defaults, "scenarios": SCENARIOS,
            "resources": [item for item in inventory.list_pledges(session)
                          if item.resource is not None
                          and item.pledge.availability
                          in ("always", "drills")]}


@bp.get("/drills/new")
@coordinator_required
def new() -> str:
    """Show the form to plan a drill, for a scenario if one is given."""
    return render_template("events/plan.html", **_plan_context())


@bp.post("/drills/new")
@coordinator_required
def create() -> Any:
    """Plan a drill, or a series with a repeat rule."""
    form = request.form
    repeat = form.get("repeat", "")
    rule = form.get("rrule", "") if repeat == "custom" else REPEATS.get(
        repeat, "")
    resource_ids = [int(v) for v in form.getlist("resource_ids")
                    if v.isdigit()]
    values: dict[str, Any] = {name: form.get(name, "") for name in (
        "scenario", "title", "description", "meeting_point", "starts_at",
        "ends_at", "repeat", "rrule")}
    values["resource_ids"] = resource_ids
    session = db.get_session()
    try:
        drills = service.create_drill(
            session, settings(), scenario=values["scenario"],
            title=values["title"], description=values["description"],
            meeting_point=values["meeting_point"],
            starts_at=form_time("starts_at"), ends_at=form_time("ends_at"),
            rrule=rule, resource_ids=resource_ids, created_by_id=me().id)
    except EventError as error:
        return refuse(error, "events/plan.html", **_plan_context(**values))

    session.commit()
    arm_notices(drill.id for drill in drills)
    flash(_("Planned %(count)s drill(s).", count=len(drills)), "success")
    return redirect(url_for("events.show", drill_id=drills[0].id))


@bp.get("/drills/<int:drill_id>")
@member_required
def show(drill_id: int) -> str:
    """Show a drill: when, where, who comes, and the coordinator's tools."""
    session = db.get_session()
    drill = load_drill(drill_id)
    household_id = me().household_id
    checkin_url = url_for("events.checkin", code=drill.checkin_code)
    return render_template(
        "events/show.html", drill=drill,
        status=service.drill_status(drill),
        rsvp=service.get_rsvp(session, drill_id, household_id),
        series=(service.list_series(session, drill.series_id)
                if drill.series_id else []),
        board=service.drill_board(session, drill_id)
        if me().is_coordinator else None,
        checkin_link=settings().base_url.rstrip("/") + checkin_url,
        qr_svg=_qr_svg(settings().base_url.rstrip("/") + checkin_url)
        if me().is_coordinator else "")


def _qr_svg(text: str) -> str:
    """Return a QR code of `text` as inline SVG."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=8)
    svg: bytes = image.to_string()
    return svg.decode("utf-8")


@bp.route("/drills/<int:drill_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit(drill_id: int) -> Any:
    """Change a drill's texts or times."""
    drill = load_drill(drill_id)
    if request.method == "GET":
        return render_template("events/edit.html", drill=drill)

    session = db.get_session()
    form = request.form
    try:
        service.update_drill(
            session, settings(), drill_id, title=form.get("title", ""),
            description=form.get("description", ""),
            meeting_point=form.get("meeting_point", ""),
            starts_at=form_time("starts_at"), ends_at=form_time("ends_at"))
    except EventError as error:
        return refuse(error, "events/edit.html", drill=load_drill(drill_id))

    session.commit()
    arm_notices([drill_id])
    flash(_("The drill was changed."), "success")
    return redirect(url_for("events.show", drill_id=drill_id))


@bp.post("/drills/<int:drill_id>/cancel")
@coordinator_required
def cancel(drill_id: int) -> Any:
    """Cancel a drill, and optionally the later ones of its series."""
    session = db.get_session()
    load_drill(drill_id)
    drills = service.cancel_drill(session, drill_id,
                                  later_in_series=bool(
                                      request.form.get("series")))
    session.commit()
    arm_notices(drill.id for drill in drills)
    flash(_("Cancelled %(count)s drill(s).", count=len(drills)), "success")
    return redirect(url_for("events.show", drill_id=drill_id))


@bp.get("/drills/<int:drill_id>.ics")
@member_required
def drill_ics(drill_id: int) -> Response:
    """Download one drill as an iCalendar file."""
    drill = load_drill(drill_id)
    body = calendar.build_calendar([calendar.drill_event(drill, settings())],
                                   drill.title)
    return ics_response(body, f"drill-{drill_id}.ics")


def ics_response(body: bytes, filename: str) -> Response:
    """Answer iCalendar bytes as a download."""
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename}"')
    return response


# Taking part -------------------------------------------------------------

@bp.post("/drills/<int:drill_id>/rsvp")
@member_required
def rsvp(drill_id: int) -> Any:
    """Answer yes, maybe or no for the member's household."""
    session = db.get_session()
    load_drill(drill_id)
    try:
        service.set_rsvp(session, drill_id, me().household_id,
                         request.form.get("answer", ""), member_id=me().id)
    except EventError as error:
        session.rollback()
        flash(event_message(error), "error")
        return show_again("events.show", drill_id=drill_id)

    session.commit()
    flash(_("Thank you, your answer is saved."), "success")
    return redirect(url_for("events.show", drill_id=drill_id)), 303


@bp.get("/checkin/<code>")
@member_required
def checkin(code: str) -> Any:
    """Check the member's household in by the code on the poster."""
    with write_transaction() as session:
        try:
            drill = service.find_drill_by_code(session, code)
            _entry, new = service.check_in(
                session, drill.id or 0, me().household_id,
                member_id=me().id, settings=settings())
        except EventError as error:
            session.rollback()
            return render_template("events/checkin.html", drill=None,
                                   message=event_message(error)), 400
        session.commit()

    if new:
        flash(_("You are checked in. Welcome!"), "success")
    else:
        flash(_("Your household was already checked in."), "success")
    return redirect(url_for("events.board", drill_id=drill.id), 303)


@bp.get("/drills/<int:drill_id>/board")
@member_required
def board(drill_id: int) -> str:
    """Show the live board; it reloads itself every half minute."""
    session = db.get_session()
    drill = load_drill(drill_id)
    if (service.drill_status(drill) == "running"
            and service.get_snapshot(session, drill_id, "start") is None):
        with write_transaction() as session:
            service.snapshot_readiness(session, drill_id, "start",
                                       settings())
            session.commit()

    full = service.drill_board(session, drill_id)
    household_id = me().household_id
    own = service.latest_report(session, drill_id, household_id)
    return render_template(
        "events/board.html", drill=drill, board=full,
        status=service.drill_status(drill),
        open=service.checkin_open(drill), own=own,
        form_key=secrets.token_urlsafe(16),
        refresh=BOARD_REFRESH_SECONDS)


@bp.post("/drills/<int:drill_id>/status")
@member_required
def report(drill_id: int) -> Any:
    """Report how the member's household is doing."""
    session = db.get_session()
    load_drill(drill_id)
    form = request.form
    try:
        service.report_status(session, drill_id, me().household_id,
                              form.get("status", ""), form.get("note", ""),
                              member_id=me().id,
                              form_key=form.get("form_key") or None)
    except EventError as error:
        session.rollback()
        flash(event_message(error), "error")
        return show_again("events.board", drill_id=drill_id)

    session.commit()
    flash(_("Thank you, your report is on the board."), "success")
    return redirect(url_for("events.board", drill_id=drill_id)), 303


# Review and actions ------------------------------------------------------

def _review_context(drill_id: int) -> dict[str, Any]:
    """Gather what the review page shows."""
    session = db.get_session()
    return {
        "drill": load_drill(drill_id),
        "review": service.get_review(session, drill_id),
        "lessons": service.list_lessons(session, drill_id),
        "actions": service.list_actions(session, open_only=False,
                                        drill_id=drill_id),
        "change": service.readiness_change(session, drill_id),
        "households": inventory.list_households(session),
        "members": [m for m in accounts.list_members(session)
                    if not m.username.startswith("script-")],
    }


@bp.route("/drills/<int:drill_id>/review", methods=["GET", "POST"])
@coordinator_required
def review(drill_id: int) -> Any:
    """Write the after-action review and its lessons."""
    if request.method == "GET":
        return render_template("events/review.html",
                               **_review_context(drill_id))

    session = db.get_session()
    form = request.form
    try:
        service.save_review(
            session, drill_id, went_well=form.get("went_well", ""),
            went_badly=form.get("went_badly", ""),
            lessons=form.get("lessons", "").splitlines(),
            member_id=me().id, settings=settings())
    except EventError as error:
        return refuse(error, "events/review.html",
                      **_review_context(drill_id))

    session.commit()
    flash(_("The review is saved."), "success")
    return redirect(url_for("events.review", drill_id=drill_id), 303)


@bp.post("/drills/<int:drill_id>/actions")
@coordinator_required
def create_action(drill_id: int) -> Any:
    """Turn a lesson into an improvement action."""
    session = db.get_session()
    form = request.form
    owner = form.get("owner", "")
    try:
        due_on = date.fromisoformat(form.get("due_on", ""))
    except ValueError:
        flash(_("Give a due date."), "error")
        return render_template("events/review.html",
                               **_review_context(drill_id)), 400
    try:
        service.create_action(
            session, drill_id, description=form.get("description", ""),
            due_on=due_on, lesson_id=form_int(form.get("lesson_id")),
            owner_household_id=form_int(owner.removeprefix("h"))
            if owner.startswith("h") else None,
            owner_member_id=form_int(owner.removeprefix("m"))
            if owner.startswith("m") else None)
    except EventError as error:
        return refuse(error, "events/review.html",
                      **_review_context(drill_id))

    session.commit()
    flash(_("The action is on the list."), "success")
    return redirect(url_for("events.review", drill_id=drill_id), 303)


@bp.post("/actions/<int:action_id>/done")
@coordinator_required
def complete_action(action_id: int) -> Any:
    """Mark an improvement action as done."""
    session = db.get_session()
    try:
        service.complete_action(session, action_id)
    except EventError:
        abort(404)
    session.commit()
    flash(_("Marked as done."), "success")
    return redirect(request.form.get("next") or url_for("events.index"), 303)


# Calendar feed -----------------------------------------------------------

@bp.route("/calendar", methods=["GET", "POST"])
@member_required
def calendar_page() -> Any:
    """Show the member's private calendar address; POST makes a new one."""
    if request.method == "POST":
        session = db.get_session()
        calendar.reset_feed_token(session, me().id)
        session.commit()
        flash(_("Your calendar has a new address; the old one stops "
                "working."), "success")
        return redirect(url_for("events.calendar_page"), 303)

    with write_transaction() as session:
        token = calendar.get_feed_token(session, me().id)
        session.commit()
    address = (settings().base_url.rstrip("/")
               + url_for("events.feed", token=token))
    return render_template("events/calendar.html", address=address,
                           webcal="webcal://" + address.split("://", 1)[1])


@bp.get("/calendar/<token>.ics")
def feed(token: str) -> Response:
    """Serve a member's subscription feed; the secret token is the key."""
    session = db.get_session()
    member = calendar.feed_member(session, token)
    if member is None:
        abort(404)
    body = calendar.feed_calendar(session, member, settings(),
                                  _("buurt: drills and hackathons"))
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
