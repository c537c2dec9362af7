"""Pages for buurthackathons: plan one, add ideas, record outcomes."""

from __future__ import annotations

from typing import Any

from flask import (Blueprint, Response, abort, flash, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _

from buurt import db
from buurt.accounts.auth import coordinator_required, me, member_required
from buurt.events import calendar, hackathons
from buurt.events.messages import CHALLENGE_NAMES, agreement_message
from buurt.events.service import EventError
from buurt.events.views import (form_int, form_time, ics_response, refuse,
                                settings)
from buurt.inventory import service as inventory
from buurt.inventory.models import AGREEMENT_KINDS

bp = Blueprint("hackathons", __name__)
# Agreements a hackathon typically settles; power backups need a form.
OUTCOME_KINDS = tuple(k for k in AGREEMENT_KINDS if k != "power_backup")


def _load(hackathon_id: int) -> Any:
    """Return a hackathon or answer 404."""
    try:
        return hackathons.get_hackathon(db.get_session(), hackathon_id)
    except EventError:
        abort(404)


@bp.get("/hackathons")
@member_required
def index() -> str:
    """List the hackathons, latest first."""
    return render_template(
        "events/hackathons.html",
        hackathons=hackathons.list_hackathons(db.get_session()),
        now=db.utcnow())


def _plan_context(**values: Any) -> dict[str, Any]:
    """Gather what the planning form shows."""
    challenge = values.get("challenge") or request.args.get("challenge", "")
    if challenge not in hackathons.CHALLENGES:
        challenge = "water_tank"
    defaults = {"challenge": challenge,
                "title": str(CHALLENGE_NAMES[challenge])}
    defaults.update({k: v for k, v in values.items() if v is not None})
    return {"values": defaults, "challenges": hackathons.CHALLENGES}


@bp.get("/hackathons/new")
@coordinator_required
def new() -> str:
    """Show the form to plan a hackathon, from a challenge template."""
    return render_template("events/hackathon_plan.html", **_plan_context())


@bp.post("/hackathons/new")
@coordinator_required
def create() -> Any:
    """Plan a hackathon."""
    form = request.form
    values = {name: form.get(name, "") for name in (
        "challenge", "title", "description", "place", "starts_at",
        "ends_at")}
    session = db.get_session()
    try:
        hackathon = hackathons.create_hackathon(
            session, settings(), challenge=values["challenge"],
            title=values["title"], description=values["description"],
            place=values["place"], starts_at=form_time("starts_at"),
            ends_at=form_time("ends_at"), created_by_id=me().id)
    except EventError as error:
        return refuse(error, "events/hackathon_plan.html",
                      **_plan_context(**values))

    session.commit()
    flash(_("The hackathon is planned."), "success")
    return redirect(url_for("hackathons.show", hackathon_id=hackathon.id),
                    303)


def _show_context(hackathon_id: int) -> dict[str, Any]:
    """Gather what a hackathon's page shows."""
    session = db.get_session()
    return {
        "hackathon": _load(hackathon_id),
        "ideas": hackathons.list_ideas(session, hackathon_id),
        "outcomes": hackathons.list_outcomes(session, hackathon_id),
        "households": inventory.list_households(session)
        if me().is_coordinator else [],
        "resources": inventory.list_resources(session)
        if me().is_coordinator else [],
        "kinds": OUTCOME_KINDS,
    }


@bp.get("/hackathons/<int:hackathon_id>")
@member_required
def show(hackathon_id: int) -> str:
    """Show a hackathon with its ideas and outcomes."""
    return render_template("events/hackathon.html",
                           **_show_context(hackathon_id))


@bp.post("/hackathons/<int:hackathon_id>/ideas")
@member_required
def add_idea(hackathon_id: int) -> Any:
    """Add the member's idea."""
    session = db.get_session()
    _load(hackathon_id)
    try:
        hackathons.add_idea(session, hackathon_id,
                            request.form.get("text", ""), member_id=me().id,
                            household_id=me().household_id)
    except EventError as error:
        return refuse(error, "events/hackathon.html",
                      **_show_context(hackathon_id))

    session.commit()
    flash(_("Thank you for your idea."), "success")
    return redirect(url_for("hackathons.show", hackathon_id=hackathon_id),
                    303)


@bp.post("/hackathons/<int:hackathon_id>/outcomes")
@coordinator_required
def add_outcome(hackathon_id: int) -> Any:
    """Record an outcome as an agreement in the street's plan."""
    session = db.get_session()
    _load(hackathon_id)
    form = request.form
    try:
        hackathons.record_outcome(
            session, hackathon_id, kind=form.get("kind", ""),
            summary=form.get("summary", ""),
            household_id=form_int(form.get("household_id")),
            helper_household_id=form_int(form.get("helper_household_id")),
            resource_id=form_int(form.get("resource_id")))
    except EventError as error:
        return refuse(error, "events/hackathon.html",
                      **_show_context(hackathon_id))
    except inventory.InventoryError as error:
        session.rollback()
        flash(agreement_message(error.code), "error")
        return render_template("events/hackathon.html",
                               **_show_context(hackathon_id)), 400

    session.commit()
    flash(_("The outcome is now an agreement in the street's plan."),
          "success")
    return redirect(url_for("hackathons.show", hackathon_id=hackathon_id),
                    303)


@bp.post("/hackathons/<int:hackathon_id>/cancel")
@coordinator_required
def cancel(hackathon_id: int) -> Any:
    """Cancel a hackathon."""
    session = db.get_session()
    _load(hackathon_id)
    hackathons.cancel_hackathon(session, hackathon_id)
    session.commit()
    flash(_("The hackathon is cancelled."), "success")
    return redirect(url_for("hackathons.show", hackathon_id=hackathon_id),
                    303)


@bp.get("/hackathons/<int:hackathon_id>.ics")
@member_required
def hackathon_ics(hackathon_id: int) -> Response:
    """Download one hackathon as an iCalendar file."""
    hackathon = _load(hackathon_id)
    body = calendar.build_calendar(
        [calendar.hackathon_event(hackathon, settings())], hackathon.title)
    return ics_response(body, f"hackathon-{hackathon_id}.ics")
