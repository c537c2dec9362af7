"""JSON API to reserve, borrow and return shared items."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from buurt import db
from buurt.accounts.auth import (api_blueprint, coordinator_required, me,
                                 member_required)
from buurt.events import reservations
from buurt.events.api import Strict, acting_household, api_error, iso, settings
from buurt.events.models import Reservation
from buurt.events.service import EventError, resolve_time
from buurt.web import documented, read_json

bp = api_blueprint("reservations_api", __name__)
TAG = "reservations"

Condition = Literal["good", "fair", "poor", "broken"]


class ReservationIn(Strict):
    """A window to book an item for (local times, or with an offset)."""

    starts_at: datetime
    ends_at: datetime
    note: str = Field(default="", max_length=300)
    household_id: int | None = None


class BorrowIn(Strict):
    """Until when the household keeps the item."""

    until: datetime
    household_id: int | None = None


class ReturnIn(Strict):
    """The condition the item comes back in."""

    condition: Condition
    note: str = Field(default="", max_length=300)


class ReservationOut(BaseModel):
    """A booking or loan of an item."""

    id: int
    resource_id: int
    kind: str
    household_id: int | None
    drill_id: int | None
    starts_at: str
    ends_at: str
    borrowed_at: str | None
    returned_at: str | None
    return_condition: str
    cancelled: bool


class RepairedIn(Strict):
    """The condition a repaired item is in now."""

    condition: Literal["good", "fair", "poor"] = "good"


class ItemOut(BaseModel):
    """A shared item's name and condition."""

    id: int
    name: str
    condition: str


class ReservationsOut(BaseModel):
    """Bookings and loans, by start."""

    reservations: list[ReservationOut]


def reservation_out(row: Reservation) -> dict[str, Any]:
    """Describe a booking for the API."""
    return ReservationOut(
        id=row.id or 0, resource_id=row.resource_id, kind=row.kind,
        household_id=row.household_id, drill_id=row.drill_id,
        starts_at=iso(row.starts_at) or "", ends_at=iso(row.ends_at) or "",
        borrowed_at=iso(row.borrowed_at), returned_at=iso(row.returned_at),
        return_condition=row.return_condition,
        cancelled=row.cancelled_at is not None).model_dump()


@bp.post("/resources/<int:resource_id>/reservations")
@member_required
@documented("Reserve an item for a window", body=ReservationIn,
            response=ReservationOut, status=201, tag=TAG)
def create_reservation(resource_id: int) -> tuple[dict[str, Any], int]:
    """Book an item; 409 with the moment it is free again on a clash."""
    body = read_json(ReservationIn)
    session = db.get_session()
    try:
        zone = settings().zone
        row = reservations.create_reservation(
            session, resource_id, resolve_time(body.starts_at, zone),
            resolve_time(body.ends_at, zone),
            household_id=acting_household(body.household_id),
            member_id=me().id, note=body.note)
    except EventError as error:
        raise api_error(error)

    session.commit()
    return reservation_out(row), 201


@bp.get("/resources/<int:resource_id>/reservations")
@member_required
@documented("List an item's bookings that are not over",
            response=ReservationsOut, tag=TAG)
def list_reservations(resource_id: int) -> dict[str, Any]:
    """List an item's standing bookings and loans."""
    session = db.get_session()
    try:
        reservations.get_resource(session, resource_id)
    except EventError as error:
        raise api_error(error)
    return {"reservations": [
        reservation_out(row)
        for row in reservations.list_bookings(session, resource_id)]}


@bp.post("/resources/<int:resource_id>/borrow")
@member_required
@documented("Borrow an item until a moment", body=BorrowIn,
            response=ReservationOut, status=201, tag=TAG)
def borrow(resource_id: int) -> tuple[dict[str, Any], int]:
    """Check an item out to the household."""
    body = read_json(BorrowIn)
    session = db.get_session()
    try:
        row = reservations.borrow_resource(
            session, resource_id, acting_household(body.household_id),
            resolve_time(body.until, settings().zone), member_id=me().id)
    except EventError as error:
        raise api_error(error)

    session.commit()
    return reservation_out(row), 201


@bp.post("/resources/<int:resource_id>/return")
@member_required
@documented("Return a borrowed item and report its condition",
            body=ReturnIn, response=ReservationOut, tag=TAG)
def give_back(resource_id: int) -> dict[str, Any]:
    """Take an item back; its condition becomes the reported one."""
    body = read_json(ReturnIn)
    session = db.get_session()
    try:
        row = reservations.return_resource(
            session, resource_id, me().household_id, body.condition,
            note=body.note, any_household=me().is_coordinator)
    except EventError as error:
        raise api_error(error)

    session.commit()
    return reservation_out(row)


@bp.post("/resources/<int:resource_id>/repaired")
@coordinator_required
@documented("Mark a broken item as repaired", body=RepairedIn,
            response=ItemOut, tag=TAG)
def repaired(resource_id: int) -> dict[str, Any]:
    """Record that a broken item works again, so it can be booked."""
    body = read_json(RepairedIn)
    session = db.get_session()
    try:
        resource = reservations.mark_repaired(session, resource_id,
                                              body.condition)
    except EventError as error:
        raise api_error(error)

    session.commit()
    return ItemOut(id=resource_id, name=resource.name,
                   condition=resource.condition).model_dump()


@bp.post("/reservations/<int:reservation_id>/cancel")
@member_required
@documented("Cancel a reservation", response=ReservationOut, tag=TAG)
def cancel(reservation_id: int) -> dict[str, Any]:
    """Cancel one of the household's reservations."""
    session = db.get_session()
    try:
        row = reservations.cancel_reservation(
            session, reservation_id, me().household_id,
            any_household=me().is_coordinator)
    except EventError as error:
        raise api_error(error)

    session.commit()
    return reservation_out(row)


@bp.get("/reservations")
@member_required
@documented("List your household's bookings and loans",
            response=ReservationsOut, tag=TAG)
def mine() -> dict[str, Any]:
    """List the household's standing bookings and loans."""
    household_id = me().household_id
    rows = (reservations.list_household_bookings(db.get_session(),
                                                 household_id)
            if household_id else [])
    return {"reservations": [reservation_out(row) for row in rows]}
