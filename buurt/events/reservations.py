"""Reservations and loans of pledged items, and the windows drills hold.

A reservation books one unit of a resource for a window; a loan is a
reservation that was picked up (or an item borrowed on the spot) and ends
when it comes back. Two bookings clash when their windows overlap and the
resource has no unit left; the refusal says when the item is free again.
An item that came back broken is booked by nobody until a coordinator
marks it as repaired.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from buurt.db import utcnow
from buurt.events.models import Reservation
from buurt.events.service import (MAX_DURATION, EventError,
                                  check_household, check_range, check_text)
from buurt.inventory.models import CONDITIONS, Pledge, Resource

# A reservation may be picked up a little early.
PICKUP_MARGIN = timedelta(minutes=30)
RESIDENT_AVAILABILITY = ("always",)
DRILL_AVAILABILITY = ("always", "drills")
# A booking's start and end; an overdue loan's end is None.
Window = tuple[datetime, datetime | None]


def get_resource(session: Session, resource_id: int) -> Resource:
    """Return a resource; raise EventError("resource_not_found")."""
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise EventError("resource_not_found")
    return resource


def _check_usable(resource: Resource) -> None:
    """Refuse to book an item that came back broken."""
    if resource.condition == "broken":
        raise EventError("item_broken", resource=resource.name)


def mark_repaired(session: Session, resource_id: int,
                  condition: str = "good") -> Resource:
    """Record that a broken item works again, so it can be booked.

    Raises EventError("unknown_condition") for "broken" or an unknown one.
    """
    resource = get_resource(session, resource_id)
    if condition not in CONDITIONS or condition == "broken":
        raise EventError("unknown_condition")

    resource.condition = condition
    session.add(resource)
    session.flush()
    return resource


def _check_pledge(session: Session, resource_id: int,
                  for_drill: bool) -> None:
    """Refuse an item whose pledge does not allow this use."""
    allowed = DRILL_AVAILABILITY if for_drill else RESIDENT_AVAILABILITY
    pledged = session.exec(
        select(Pledge.id).where(Pledge.resource_id == resource_id)
        .where(col(Pledge.availability).in_(allowed))).first()
    if pledged is None:
        raise EventError("not_pledged_for_drills" if for_drill
                         else "not_pledged_for_loans")


def _span(row: Reservation, now: datetime) -> Window:
    """Return the window a booking really holds the item.

    An overdue loan holds it until it comes back: its end is None.
    """
    if row.returned_at is not None:
        return row.starts_at, row.returned_at
    if row.borrowed_at is not None and row.ends_at <= now:
        return row.starts_at, None
    return row.starts_at, row.ends_at


def _holding(session: Session, resource_id: int, now: datetime,
             ignore_id: int | None = None,
             ignore_drill: int | None = None) -> list[Window]:
    """Return the windows of every standing booking of an item."""
    rows = session.exec(
        select(Reservation).where(Reservation.resource_id == resource_id)
        .where(col(Reservation.cancelled_at).is_(None)))
    return [_span(row, now) for row in rows
            if row.id != ignore_id
            and (ignore_drill is None or row.drill_id != ignore_drill)]


def _check_free(session: Session, resource: Resource, start: datetime,
                end: datetime, now: datetime, ignore_id: int | None = None,
                ignore_drill: int | None = None) -> None:
    """Refuse a window when no unit of the item is free for all of it.

    The error carries `free_from`: the first moment from `start` on when
    a window of the same length fits, or None until a loan comes back.
    """
    held = _holding(session, resource.id or 0, now, ignore_id, ignore_drill)
    if _overlaps(held, start, end) < resource.quantity:
        return

    length = end - start
    for candidate in sorted(e for _s, e in held if e is not None
                            and e > start):
        if _overlaps(held, candidate, candidate + length) < resource.quantity:
            raise EventError("clash", free_from=candidate,
                             resource=resource.name)
    raise EventError("clash_until_returned", resource=resource.name)


def _overlaps(held: list[Window], start: datetime, end: datetime) -> int:
    """Count the bookings that overlap a window at its busiest moment."""
    inside = [(s, e) for s, e in held
              if s < end and (e is None or start < e)]
    moments = [start] + [s for s, _e in inside if s > start]
    return max(sum(1 for s, e in inside
                   if s <= moment and (e is None or moment < e))
               for moment in moments)


def create_reservation(
    session: Session,
    resource_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    household_id: int | None = None,
    drill_id: int | None = None,
    member_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Reservation:
    """Book a pledged item for a window (aware times), for a household or
    a drill. Raises EventError, "clash" with `free_from` when taken."""
    now = now or utcnow()
    resource = get_resource(session, resource_id)
    if drill_id is None:
        household_id = check_household(session, household_id)
    check_range(starts_at, now)
    check_range(ends_at, now)
    if ends_at <= starts_at:
        raise EventError("end_before_start")
    if ends_at - starts_at > MAX_DURATION:
        raise EventError("too_long_window", days=MAX_DURATION.days)
    if drill_id is None and ends_at <= now:
        raise EventError("window_past")
    note = check_text("note", note)
    _check_pledge(session, resource_id, for_drill=drill_id is not None)
    _check_usable(resource)
    _check_free(session, resource, starts_at, ends_at, now)

    reservation = Reservation(resource_id=resource_id, kind="reservation",
                              household_id=household_id, drill_id=drill_id,
                              member_id=member_id, starts_at=starts_at,
                              ends_at=ends_at, note=note)
    session.add(reservation)
    session.flush()
    return reservation


def borrow_resource(
    session: Session,
    resource_id: int,
    household_id: int | None,
    until: datetime,
    *,
    member_id: int | None = None,
    now: datetime | None = None,
) -> Reservation:
    """Check an item out to a household until a moment.

    Picks up the household's own reservation when one covers now;
    otherwise books a loan from now. Raises EventError.
    """
    now = now or utcnow()
    resource = get_resource(session, resource_id)
    household_id = check_household(session, household_id)
    check_range(until, now)
    if open_loan(session, resource_id, household_id) is not None:
        raise EventError("already_borrowed")
    _check_usable(resource)

    own = session.exec(
        select(Reservation).where(Reservation.resource_id == resource_id)
        .where(Reservation.household_id == household_id)
        .where(col(Reservation.cancelled_at).is_(None))
        .where(col(Reservation.borrowed_at).is_(None))
        .where(col(Reservation.starts_at) <= now + PICKUP_MARGIN)
        .where(col(Reservation.ends_at) > now)).first()
    if own is not None:
        end = max(own.ends_at, until) if until > now else own.ends_at
        if end != own.ends_at:
            _check_free(session, resource, own.ends_at, end, now,
                        ignore_id=own.id)
        own.starts_at = min(own.starts_at, now)
        own.ends_at = end
        own.borrowed_at = now
        own.kind = "loan"
        own.member_id = member_id
        session.add(own)
        session.flush()
        return own

    loan = create_reservation(session, resource_id, now, until,
                              household_id=household_id,
                              member_id=member_id, now=now)
    loan.kind = "loan"
    loan.borrowed_at = now
    session.add(loan)
    session.flush()
    return loan


def open_loan(session: Session, resource_id: int,
              household_id: int | None = None) -> Reservation | None:
    """Return the loan of an item that has not come back (of a household)."""
    query = (select(Reservation).where(Reservation.resource_id == resource_id)
             .where(col(Reservation.borrowed_at).is_not(None))
             .where(col(Reservation.returned_at).is_(None))
             .where(col(Reservation.cancelled_at).is_(None))
             .order_by(col(Reservation.borrowed_at)))
    if household_id is not None:
        query = query.where(Reservation.household_id == household_id)
    return session.exec(query).first()


def return_resource(
    session: Session,
    resource_id: int,
    household_id: int | None,
    condition: str,
    *,
    note: str = "",
    any_household: bool = False,
    now: datetime | None = None,
) -> Reservation:
    """Take a borrowed item back and record the condition it is in.

    The resource's condition becomes the reported one. A coordinator may
    take back anyone's loan with `any_household`. Raises EventError.
    """
    now = now or utcnow()
    resource = get_resource(session, resource_id)
    if condition not in CONDITIONS:
        raise EventError("unknown_condition")
    note = check_text("note", note)
    loan = open_loan(session, resource_id,
                     None if any_household else household_id)
    if loan is None:
        raise EventError("not_borrowed")

    loan.returned_at = now
    loan.return_condition = condition
    loan.note = note or loan.note
    resource.condition = condition
    session.add(loan)
    session.add(resource)
    session.flush()
    return loan


def cancel_reservation(session: Session, reservation_id: int,
                       household_id: int | None, *,
                       any_household: bool = False,
                       now: datetime | None = None) -> Reservation:
    """Cancel a household's booking that was not picked up.

    A coordinator may cancel anyone's with `any_household`.
    """
    reservation = session.get(Reservation, reservation_id)
    own = (reservation is not None and household_id is not None
           and reservation.household_id == household_id)
    if reservation is None or not (own or any_household):
        raise EventError("reservation_not_found")
    if reservation.borrowed_at is not None:
        raise EventError("already_borrowed")

    if reservation.cancelled_at is None:
        reservation.cancelled_at = now or utcnow()
        session.add(reservation)
        session.flush()
    return reservation


def list_bookings(session: Session, resource_id: int,
                  now: datetime | None = None) -> list[Reservation]:
    """List an item's standing bookings that are not over, by start."""
    now = now or utcnow()
    rows = session.exec(
        select(Reservation).where(Reservation.resource_id == resource_id)
        .where(col(Reservation.cancelled_at).is_(None))
        .where(col(Reservation.returned_at).is_(None))
        .order_by(col(Reservation.starts_at)))
    return [row for row in rows
            if row.ends_at > now or row.borrowed_at is not None]


def list_household_bookings(session: Session, household_id: int,
                            now: datetime | None = None) -> list[Reservation]:
    """List a household's bookings and loans that are not over."""
    now = now or utcnow()
    rows = session.exec(
        select(Reservation).where(Reservation.household_id == household_id)
        .where(col(Reservation.cancelled_at).is_(None))
        .where(col(Reservation.returned_at).is_(None))
        .order_by(col(Reservation.starts_at)))
    return [row for row in rows
            if row.ends_at > now or row.borrowed_at is not None]


def move_drill_reservations(session: Session, drill_id: int,
                            start: datetime, end: datetime,
                            now: datetime | None = None) -> None:
    """Move a drill's bookings to its new window, refusing a clash."""
    now = now or utcnow()
    rows = list(session.exec(
        select(Reservation).where(Reservation.drill_id == drill_id)
        .where(col(Reservation.cancelled_at).is_(None))))
    for row in rows:
        _check_free(session, get_resource(session, row.resource_id), start,
                    end, now, ignore_drill=drill_id)
    for row in rows:
        row.starts_at, row.ends_at = start, end
        session.add(row)
    session.flush()


def release_drill_reservations(session: Session, drill_id: int,
                               now: datetime) -> None:
    """Cancel a cancelled drill's bookings, so the items are free again."""
    for row in session.exec(
            select(Reservation).where(Reservation.drill_id == drill_id)
            .where(col(Reservation.cancelled_at).is_(None))):
        row.cancelled_at = now
        session.add(row)
    session.flush()


def resource_names(session: Session,
                   resource_ids: list[int]) -> dict[int, str]:
    """Return the names of many resources, in one query."""
    if not resource_ids:
        return {}
    rows = session.exec(select(Resource.id, Resource.name)
                        .where(col(Resource.id).in_(resource_ids)))
    return {resource_id: name for resource_id, name in rows if resource_id}
