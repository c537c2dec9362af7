"""Pages to reserve, borrow and return a shared item.

The addresses /resources/<id>/reserve, /borrow and /return are stable:
the QR label on each item links to them.
"""

from __future__ import annotations

from typing import Any

from flask import (Blueprint, abort, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from buurt import db
from buurt.web import show_again
from buurt.accounts.auth import coordinator_required, me, member_required
from buurt.events import reservations
from buurt.events.messages import event_message
from buurt.events.service import EventError, resolve_time
from buurt.events.views import form_time, refuse, settings
from buurt.inventory.models import CONDITIONS

bp = Blueprint("reservations", __name__)


def _context(resource_id: int, **values: Any) -> dict[str, Any]:
    """Gather what an item's booking pages show."""
    session = db.get_session()
    try:
        resource = reservations.get_resource(session, resource_id)
    except EventError:
        abort(404)
    return {"resource": resource, "values": values,
            "bookings": reservations.list_bookings(session, resource_id),
            "loan": reservations.open_loan(session, resource_id,
                                           me().household_id),
            "conditions": CONDITIONS}


@bp.route("/resources/<int:resource_id>/reserve", methods=["GET", "POST"])
@member_required
def reserve(resource_id: int) -> Any:
    """Reserve an item for the member's household, for a window."""
    if request.method == "GET":
        return render_template("events/reserve.html",
                               **_context(resource_id))

    session = db.get_session()
    form = request.form
    values = {"starts_at": form.get("starts_at", ""),
              "ends_at": form.get("ends_at", "")}
    try:
        zone = settings().zone
        reservations.create_reservation(
            session, resource_id, resolve_time(form_time("starts_at"), zone),
            resolve_time(form_time("ends_at"), zone),
            household_id=me().household_id, member_id=me().id,
            note=form.get("note", ""))
    except EventError as error:
        return refuse(error, "events/reserve.html",
                      **_context(resource_id, **values))

    session.commit()
    flash(_("Reserved. Pick it up at the keeper's."), "success")
    return redirect(url_for("reservations.mine"), 303)


@bp.route("/resources/<int:resource_id>/borrow", methods=["GET", "POST"])
@member_required
def borrow(resource_id: int) -> Any:
    """Check an item out to the member's household."""
    if request.method == "GET":
        return render_template("events/borrow.html",
                               **_context(resource_id))

    session = db.get_session()
    values = {"until": request.form.get("until", "")}
    try:
        reservations.borrow_resource(
            session, resource_id, me().household_id,
            resolve_time(form_time("until"), settings().zone),
            member_id=me().id)
    except EventError as error:
        return refuse(error, "events/borrow.html",
                      **_context(resource_id, **values))

    session.commit()
    flash(_("It is yours to use until you bring it back."), "success")
    return redirect(url_for("reservations.mine"), 303)


@bp.route("/resources/<int:resource_id>/return", methods=["GET", "POST"])
@member_required
def give_back(resource_id: int) -> Any:
    """Return a borrowed item and say what condition it is in."""
    if request.method == "GET":
        return render_template("events/return.html",
                               **_context(resource_id))

    session = db.get_session()
    form = request.form
    try:
        reservations.return_resource(
            session, resource_id, me().household_id,
            form.get("condition", ""), note=form.get("note", ""),
            any_household=me().is_coordinator)
    except EventError as error:
        return refuse(error, "events/return.html",
                      **_context(resource_id))

    session.commit()
    flash(_("Thank you for bringing it back."), "success")
    return redirect(url_for("reservations.mine"), 303)


@bp.post("/resources/<int:resource_id>/repaired")
@coordinator_required
def repaired(resource_id: int) -> Any:
    """Mark a broken item as repaired, so it can be booked again."""
    session = db.get_session()
    try:
        reservations.mark_repaired(session, resource_id)
    except EventError:
        abort(404)

    session.commit()
    flash(_("Marked as repaired: it can be reserved and borrowed again."),
          "success")
    return redirect(url_for("reservations.give_back",
                            resource_id=resource_id), 303)


@bp.get("/reservations")
@member_required
def mine() -> str:
    """List the household's reservations and loans."""
    session = db.get_session()
    household_id = me().household_id
    bookings = (reservations.list_household_bookings(session, household_id)
                if household_id else [])
    names = reservations.resource_names(session,
                                        [b.resource_id for b in bookings])
    return render_template("events/reservations.html", bookings=bookings,
                           names=names)


@bp.post("/reservations/<int:reservation_id>/cancel")
@member_required
def cancel(reservation_id: int) -> Any:
    """Cancel one of the household's reservations."""
    session = db.get_session()
    try:
        reservations.cancel_reservation(
            session, reservation_id, me().household_id,
            any_household=me().is_coordinator)
    except EventError as error:
        session.rollback()
        flash(event_message(error), "error")
        return show_again("reservations.mine")

    session.commit()
    flash(_("The reservation is cancelled."), "success")
    return redirect(url_for("reservations.mine"), 303)
