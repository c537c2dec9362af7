"""Drills: planning, RSVP, check-in, the live board, reviews and actions.

Plain functions that take a session; they flush but never commit. Problems
come back as `EventError` with a stable code and the details a message
needs (the pages and the API turn them into sentences). Times come in as
wall-clock times in the neighbourhood's zone (naive) or as aware instants,
and are stored in UTC. A drill's status is computed from its times only.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import secrets
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Iterable

from dateutil.rrule import rrulestr
from sqlalchemy import Row
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from buurt import localtime
from buurt.accounts.models import Member
from buurt.config import Settings, load_settings
from buurt.db import utcnow
from buurt.events.models import (RSVP_ANSWERS, SCENARIOS, SNAPSHOT_MOMENTS,
                                 STATUSES, Action, CheckIn, Drill, Lesson,
                                 ReadinessSnapshot, Review, Rsvp,
                                 StatusReport)
from buurt.inventory.models import Agreement, Household, Need

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I
CODE_LENGTH = 10  # 50 bits: not guessable by walking past the poster
MAX_DURATION = timedelta(days=7)
CHECKIN_OPENS = timedelta(hours=1)
# A rule plans the drills of the coming year, at most this many.
SERIES_HORIZON = timedelta(days=366)
MAX_OCCURRENCES = 24
ALLOWED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
LIMITS = {"title": 120, "description": 2000, "meeting_point": 200,
          "place": 200, "note": 300, "review": 4000, "lesson": 500,
          "action": 500, "summary": 500, "idea": 1000}


class EventError(ValueError):
    """A change to drills or events that cannot be made; `code` says why.

    `details` carries what a message needs, such as the local times of a
    clock change or the moment a reserved item is free again.
    """

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


# Times -------------------------------------------------------------------

def parse_time(text: str) -> datetime:
    """Read an ISO time, with or without an offset; naive means local.

    Raises EventError("time_invalid").
    """
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise EventError("time_invalid", text=text[:40])


def resolve_time(moment: datetime, zone: tzinfo) -> datetime:
    """Return the UTC instant of a local or aware time.

    Raises EventError("time_nonexistent") for a time the clock skips, and
    "time_out_of_range" for one too near year 1 or 9999 to convert.
    """
    try:
        return localtime.to_utc(moment, zone)
    except localtime.NonexistentTime as gap:
        raise EventError("time_nonexistent", local=gap.local,
                         gap_start=gap.gap_start, gap_end=gap.gap_end)
    except localtime.OutOfRange:
        raise out_of_range(utcnow())


def check_range(instant: datetime, now: datetime | None = None) -> datetime:
    """Return an instant inside the planning range (see buurt.localtime).

    Raises EventError("time_out_of_range") with the first and last
    instant that may be planned.
    """
    now = now or utcnow()
    try:
        return localtime.check_planning_range(instant, now)
    except localtime.OutOfRange:
        raise out_of_range(now)


def out_of_range(now: datetime) -> EventError:
    """Return the refusal of a time outside the planning range."""
    earliest, latest = localtime.planning_range(now)
    return EventError("time_out_of_range", earliest=earliest, latest=latest)


def check_window(starts_at: datetime, ends_at: datetime, zone: tzinfo,
                 kept: tuple[datetime, ...] = ()) -> tuple[datetime, datetime]:
    """Resolve a start and end; raise EventError when they cannot work.

    Each must lie in the planning range, except a stored time in `kept`
    that a change leaves as it was.
    """
    start = resolve_time(starts_at, zone)
    end = resolve_time(ends_at, zone)
    for instant in (start, end):
        if instant not in kept:
            check_range(instant)
    if end <= start:
        raise EventError("end_before_start")
    if end - start > MAX_DURATION:
        raise EventError("too_long_window", days=MAX_DURATION.days)
    return start, end


def check_text(name: str, value: str, required: bool = False) -> str:
    """Trim a text field; raise EventError when missing or too long."""
    value = value.strip()
    if required and not value:
        raise EventError(f"{name}_required")
    if len(value) > LIMITS[name]:
        raise EventError("too_long", field=name, limit=LIMITS[name])
    return value


def check_household(session: Session, household_id: int | None) -> int:
    """Return the id of an existing household; raise EventError.

    "no_household" when there is none (a member not linked yet),
    "household_not_found" when the id names no household.
    """
    if household_id is None:
        raise EventError("no_household")
    if session.get(Household, household_id) is None:
        raise EventError("household_not_found")
    return household_id


# Planning ----------------------------------------------------------------

def new_checkin_code() -> str:
    """Return a short random check-in code that is easy to type."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def expand_rule(rule: str, first_start: datetime,
                first_end: datetime, zone: tzinfo) -> list[tuple[datetime,
                                                                 datetime]]:
    """Return the UTC windows an RRULE plans, read in local wall-clock time.

    `first_start` and `first_end` are naive local times. The rule keeps the
    clock time across summer and winter time; an UNTIL in UTC is read in
    local time, and one beyond the coming year ends there. Raises
    EventError when the rule is not understood or one of its times does
    not exist.
    """
    rule = rule.strip().upper().removeprefix("RRULE:")
    parts = dict(part.split("=", 1) for part in rule.split(";")
                 if "=" in part)
    interval = parts.get("INTERVAL", "1")
    if (parts.get("FREQ") not in ALLOWED_FREQUENCIES or "DTSTART" in rule
            or not interval.isdigit() or int(interval) < 1):
        raise EventError("rrule_invalid")

    horizon = first_start + SERIES_HORIZON
    try:
        if parts.get("UNTIL", "").endswith("Z"):
            rule = rule.replace("UNTIL=" + parts["UNTIL"], "UNTIL="
                                + _local_until(parts["UNTIL"], horizon,
                                               zone))
        recurrence = rrulestr(rule, dtstart=first_start)
        occurrences = list(itertools.takewhile(
            lambda occurrence: occurrence <= horizon,
            recurrence.xafter(first_start - timedelta(seconds=1),
                              count=MAX_OCCURRENCES, inc=True)))
    except (ValueError, TypeError, OverflowError):
        raise EventError("rrule_invalid")

    length = first_end - first_start
    windows = [(check_range(resolve_time(occurrence, zone)),
                check_range(resolve_time(occurrence + length, zone)))
               for occurrence in occurrences]
    if not windows:
        raise EventError("rrule_empty")
    return windows


def _local_until(value: str, horizon: datetime, zone: tzinfo) -> str:
    """Return a UTC UNTIL (20271231T230000Z) as local time, at most `horizon`.

    dateutil takes no UTC UNTIL for a series in local time. Raises
    ValueError when the value is not a UTC date and time.
    """
    until = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=timezone.utc)
    local = localtime.to_local(until, zone).replace(tzinfo=None)
    return min(local, horizon).strftime("%Y%m%dT%H%M%S")


def create_drill(
    session: Session,
    settings: Settings,
    *,
    scenario: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    meeting_point: str = "",
    rrule: str = "",
    resource_ids: Iterable[int] = (),
    created_by_id: int | None = None,
) -> list[Drill]:
    """Plan a drill, or with an RRULE a series of drills; return them all.

    Naive times are local wall-clock times. Each drill reserves the
    resources it uses for its own window, each item once however often it
    is named. Raises EventError.
    """
    from buurt.events import reservations

    zone = settings.zone
    resource_ids = list(dict.fromkeys(resource_ids))
    if scenario not in SCENARIOS:
        raise EventError("unknown_scenario")
    title = check_text("title", title, required=True)
    description = check_text("description", description)
    meeting_point = check_text("meeting_point", meeting_point)
    start, end = check_window(starts_at, ends_at, zone)
    rrule = rrule.strip()
    windows = [(start, end)]
    if rrule:
        windows = expand_rule(rrule, localtime.to_local(start, zone)
                              .replace(tzinfo=None),
                              localtime.to_local(end, zone)
                              .replace(tzinfo=None), zone)

    drills: list[Drill] = []
    for window_start, window_end in windows:
        drill = Drill(scenario=scenario, title=title,
                      description=description, meeting_point=meeting_point,
                      starts_at=window_start, ends_at=window_end,
                      rrule=rrule, checkin_code=new_checkin_code(),
                      created_by_id=created_by_id)
        session.add(drill)
        session.flush()
        drills.append(drill)
        for resource_id in resource_ids:
            reservations.create_reservation(
                session, resource_id, window_start, window_end,
                drill_id=drill.id, member_id=created_by_id)

    if rrule:
        for drill in drills:
            drill.series_id = drills[0].id
            session.add(drill)
        session.flush()
    return drills


def get_drill(session: Session, drill_id: int) -> Drill:
    """Return a drill; raise EventError("drill_not_found")."""
    drill = session.get(Drill, drill_id)
    if drill is None:
        raise EventError("drill_not_found")
    return drill


def find_drill_by_code(session: Session, code: str) -> Drill:
    """Return the drill with this check-in code (any case, spaces ignored)."""
    code = "".join(code.split()).upper().replace("-", "")
    drill = session.exec(select(Drill).where(Drill.checkin_code == code)
                         ).first()
    if drill is None:
        raise EventError("checkin_code_unknown")
    return drill


def update_drill(session: Session, settings: Settings, drill_id: int,
                 **changes: Any) -> Drill:
    """Change a drill's texts or times; its calendar sequence grows.

    Accepts title, description, meeting_point, starts_at and ends_at (local
    or aware). Its reservations move with it. A change that changes
    nothing leaves the drill (and its sequence) as it was. Raises
    EventError, "drill_cancelled" for a cancelled drill.
    """
    from buurt.events import reservations

    drill = get_drill(session, drill_id)
    unknown = set(changes) - {"title", "description", "meeting_point",
                              "starts_at", "ends_at"}
    if unknown:
        raise EventError("unknown_field", field=sorted(unknown)[0])
    if drill.cancelled:
        raise EventError("drill_cancelled")
    texts = {name: check_text(name, changes[name], required=name == "title")
             for name in ("title", "description", "meeting_point")
             if changes.get(name) is not None}
    start, end = check_window(changes.get("starts_at") or drill.starts_at,
                              changes.get("ends_at") or drill.ends_at,
                              settings.zone,
                              kept=(drill.starts_at, drill.ends_at))
    moved = (start, end) != (drill.starts_at, drill.ends_at)
    new_texts = {name: value for name, value in texts.items()
                 if getattr(drill, name) != value}
    if not moved and not new_texts:
        return drill

    for name, value in new_texts.items():
        setattr(drill, name, value)
    if moved:
        drill.starts_at, drill.ends_at = start, end
        reservations.move_drill_reservations(session, drill.id or 0, start,
                                             end)
    touch(drill)
    session.add(drill)
    session.flush()
    return drill


def cancel_drill(session: Session, drill_id: int,
                 later_in_series: bool = False,
                 now: datetime | None = None) -> list[Drill]:
    """Cancel a drill (and the later ones of its series); free its items.

    Cancelled drills stay, so calendars can show them as cancelled.
    """
    from buurt.events import reservations

    now = now or utcnow()
    drill = get_drill(session, drill_id)
    drills = [drill]
    if later_in_series and drill.series_id is not None:
        drills += list(session.exec(
            select(Drill).where(Drill.series_id == drill.series_id)
            .where(col(Drill.starts_at) > drill.starts_at)
            .where(col(Drill.cancelled).is_(False))))

    for each in drills:
        if not each.cancelled:
            each.cancelled = True
            touch(each)
            session.add(each)
            reservations.release_drill_reservations(session, each.id or 0,
                                                    now)
    session.flush()
    return drills


def touch(event: Any) -> None:
    """Mark a drill or hackathon as changed, for calendars."""
    event.sequence += 1
    event.updated_at = utcnow()


def drill_status(drill: Drill, now: datetime | None = None) -> str:
    """Say what a drill is now: cancelled, upcoming, running or over."""
    now = now or utcnow()
    if drill.cancelled:
        return "cancelled"
    if now < drill.starts_at:
        return "upcoming"
    if now < drill.ends_at:
        return "running"
    return "over"


def checkin_open(drill: Drill, now: datetime | None = None) -> bool:
    """Tell whether households can check in and report now."""
    now = now or utcnow()
    return (not drill.cancelled
            and drill.starts_at - CHECKIN_OPENS <= now < drill.ends_at)


def list_drills(session: Session, upcoming_only: bool = False,
                now: datetime | None = None) -> list[Drill]:
    """List drills by start; only those not yet over when asked."""
    query = select(Drill).order_by(col(Drill.starts_at), col(Drill.id))
    if upcoming_only:
        query = query.where(col(Drill.ends_at) > (now or utcnow()))
    return list(session.exec(query))


def list_series(session: Session, series_id: int) -> list[Drill]:
    """List the drills a rule planned together."""
    return list(session.exec(
        select(Drill).where(Drill.series_id == series_id)
        .order_by(col(Drill.starts_at))))


# Taking part -------------------------------------------------------------

def _open_drill(session: Session, drill_id: int) -> Drill:
    """Return a drill that can still be answered; raise when it cannot."""
    drill = get_drill(session, drill_id)
    if drill.cancelled:
        raise EventError("drill_cancelled")
    return drill


def set_rsvp(session: Session, drill_id: int, household_id: int | None,
             answer: str, member_id: int | None = None,
             now: datetime | None = None) -> Rsvp:
    """Record a household's yes, maybe or no; a new answer replaces one."""
    now = now or utcnow()
    if answer not in RSVP_ANSWERS:
        raise EventError("unknown_answer")
    drill = _open_drill(session, drill_id)
    household_id = check_household(session, household_id)
    if drill.ends_at <= now:
        raise EventError("drill_over")

    rsvp = session.exec(
        select(Rsvp).where(Rsvp.drill_id == drill_id)
        .where(Rsvp.household_id == household_id)
    ).first() or Rsvp(drill_id=drill_id, household_id=household_id,
                      answer=answer)
    rsvp.answer = answer
    rsvp.member_id = member_id
    rsvp.answered_at = now
    session.add(rsvp)
    session.flush()
    return rsvp


def get_rsvp(session: Session, drill_id: int,
             household_id: int | None) -> Rsvp | None:
    """Return a household's answer to a drill, if any."""
    if household_id is None:
        return None
    return session.exec(
        select(Rsvp).where(Rsvp.drill_id == drill_id)
        .where(Rsvp.household_id == household_id)).first()


def check_in(session: Session, drill_id: int, household_id: int | None,
             member_id: int | None = None, now: datetime | None = None,
             settings: Settings | None = None) -> tuple[CheckIn, bool]:
    """Check a household in; return the check-in and whether it is new.

    A second check-in returns the first. Once the drill has started, the
    readiness at its start is snapshotted if nobody did yet.
    """
    now = now or utcnow()
    drill = _open_drill(session, drill_id)
    household_id = check_household(session, household_id)
    if not checkin_open(drill, now):
        raise EventError("checkin_closed", opens=drill.starts_at
                         - CHECKIN_OPENS, ends=drill.ends_at)

    earlier = session.exec(
        select(CheckIn).where(CheckIn.drill_id == drill_id)
        .where(CheckIn.household_id == household_id)).first()
    if now >= drill.starts_at:
        snapshot_readiness(session, drill_id, "start", settings)
    if earlier is not None:
        return earlier, False

    checkin = CheckIn(drill_id=drill_id, household_id=household_id,
                      member_id=member_id, checked_in_at=now)
    session.add(checkin)
    session.flush()
    return checkin, True


def report_status(session: Session, drill_id: int, household_id: int | None,
                  status: str, note: str = "", member_id: int | None = None,
                  form_key: str | None = None,
                  now: datetime | None = None) -> StatusReport:
    """Record how a household is doing during a drill.

    Practice only: a report never changes the inventory's needs. A form
    sent twice with the same `form_key` stores one report.
    """
    now = now or utcnow()
    if status not in STATUSES:
        raise EventError("unknown_status")
    note = check_text("note", note)
    drill = _open_drill(session, drill_id)
    household_id = check_household(session, household_id)
    if not checkin_open(drill, now):
        raise EventError("reporting_closed", opens=drill.starts_at
                         - CHECKIN_OPENS, ends=drill.ends_at)

    if form_key:
        earlier = session.exec(
            select(StatusReport).where(StatusReport.drill_id == drill_id)
            .where(StatusReport.household_id == household_id)
            .where(StatusReport.form_key == form_key[:64])).first()
        if earlier is not None:
            return earlier

    report = StatusReport(drill_id=drill_id, household_id=household_id,
                          member_id=member_id, status=status, note=note,
                          form_key=form_key[:64] if form_key else None,
                          reported_at=now)
    session.add(report)
    session.flush()
    return report


def latest_report(session: Session, drill_id: int,
                  household_id: int | None) -> StatusReport | None:
    """Return a household's latest report during a drill."""
    if household_id is None:
        return None
    return session.exec(
        select(StatusReport).where(StatusReport.drill_id == drill_id)
        .where(StatusReport.household_id == household_id)
        .order_by(col(StatusReport.reported_at).desc(),
                  col(StatusReport.id).desc())).first()


# The live board ----------------------------------------------------------

@dataclasses.dataclass
class BoardRow:
    """One household on a drill's live board (`household`: id, address)."""

    household: Row[Any]
    rsvp: str | None = None
    checked_in_at: datetime | None = None
    status: str | None = None
    note: str = ""
    reported_at: datetime | None = None
    needs: list[str] = dataclasses.field(default_factory=list)
    buddies: list[str] = dataclasses.field(default_factory=list)

    @property
    def stands_out(self) -> bool:
        """Tell whether this household needs extra help and is silent."""
        return bool(self.needs) and self.status is None


@dataclasses.dataclass
class Board:
    """Every household's answer, check-in and latest report for a drill."""

    drill: Drill
    rows: list[BoardRow]
    counts: dict[str, int]


# Made once: a fresh alias costs every query SQLAlchemy's column matching.
BUDDY_HOUSEHOLD = aliased(Household, name="buddy")


def drill_board(session: Session, drill_id: int) -> Board:
    """Gather the live board of a drill in a fixed number of queries.

    Households that need extra help and have not reported come first,
    with their buddies from the agreements.
    """
    drill = get_drill(session, drill_id)
    # Plain rows of the columns the board shows: a model object for each
    # household, answer and report made most of a big street's board.
    households = session.execute(
        select(col(Household.id), col(Household.address))
        .where(col(Household.vacant).is_(False))
        .order_by(col(Household.address_key))).all()
    rows = {h.id: BoardRow(household=h) for h in households}

    for household_id, answer in session.execute(
            select(col(Rsvp.household_id), col(Rsvp.answer))
            .where(col(Rsvp.drill_id) == drill_id)):
        if household_id in rows:
            rows[household_id].rsvp = answer
    for household_id, checked_in_at in session.execute(
            select(col(CheckIn.household_id), col(CheckIn.checked_in_at))
            .where(col(CheckIn.drill_id) == drill_id)):
        if household_id in rows:
            rows[household_id].checked_in_at = checked_in_at
    for household_id, status, note, reported_at in session.execute(
            select(col(StatusReport.household_id), col(StatusReport.status),
                   col(StatusReport.note), col(StatusReport.reported_at))
            .where(col(StatusReport.drill_id) == drill_id)
            .order_by(col(StatusReport.reported_at), col(StatusReport.id))):
        row = rows.get(household_id)
        if row is not None:
            row.status, row.note = status, note
            row.reported_at = reported_at
    for household_id, kind in session.execute(
            select(col(Need.household_id), col(Need.kind))
            .order_by(col(Need.kind))):
        if household_id in rows:
            rows[household_id].needs.append(kind)

    helper = BUDDY_HOUSEHOLD
    buddies = session.exec(
        select(Agreement.household_id, helper.address)
        .join(helper, col(Agreement.helper_household_id) == helper.id)
        .where(Agreement.kind == "buddy")
        .where(col(Agreement.active).is_(True)))
    for household_id, address in buddies:
        if household_id in rows:
            rows[household_id].buddies.append(address)

    ordered = sorted(rows.values(), key=lambda r: (
        not r.stands_out, r.status != "need_help", r.status is not None))
    counts = {"households": len(ordered),
              "rsvp_yes": sum(r.rsvp == "yes" for r in ordered),
              "checked_in": sum(r.checked_in_at is not None for r in ordered),
              "silent": sum(r.status is None for r in ordered),
              "stand_out": sum(r.stands_out for r in ordered)}
    for status in STATUSES:
        counts[status] = sum(r.status == status for r in ordered)
    return Board(drill=drill, rows=ordered, counts=counts)


# Readiness snapshots -----------------------------------------------------

def snapshot_readiness(session: Session, drill_id: int, moment: str,
                       settings: Settings | None = None) -> ReadinessSnapshot:
    """Store the street's readiness at a drill's start or after its review.

    The start is taken once (the first call wins); the review snapshot is
    renewed each time the review is saved. Without `settings`, those of
    the instance in BUURT_INSTANCE are used (as `buurt serve` runs).
    """
    from buurt.readiness.service import compute_readiness

    if moment not in SNAPSHOT_MOMENTS:
        raise EventError("unknown_moment")
    get_drill(session, drill_id)
    snapshot = get_snapshot(session, drill_id, moment)
    if snapshot is not None and moment == "start":
        return snapshot

    figures = compute_readiness(session, settings or load_settings())
    snapshot = snapshot or ReadinessSnapshot(drill_id=drill_id, moment=moment,
                                             data="")
    snapshot.data = json.dumps(figures, default=str, sort_keys=True)
    snapshot.taken_at = utcnow()
    session.add(snapshot)
    session.flush()
    return snapshot


def get_snapshot(session: Session, drill_id: int,
                 moment: str) -> ReadinessSnapshot | None:
    """Return a drill's snapshot at `moment`, if taken."""
    return session.exec(
        select(ReadinessSnapshot).where(ReadinessSnapshot.drill_id == drill_id)
        .where(ReadinessSnapshot.moment == moment)).first()


def readiness_change(session: Session,
                     drill_id: int) -> list[tuple[str, Any, Any]]:
    """Compare the start and review snapshots: (figure, before, after).

    Lists the headline numbers, each function's coverage and the units
    per kind, by dotted path; empty until both snapshots exist.
    """
    before = get_snapshot(session, drill_id, "start")
    after = get_snapshot(session, drill_id, "review")
    if before is None or after is None:
        return []

    old = _numbers(json.loads(before.data))
    new = _numbers(json.loads(after.data))
    return [(key, old.get(key), new.get(key))
            for key in sorted(set(old) | set(new)) if _headline(key)]


def _headline(path: str) -> bool:
    """Tell whether a readiness figure belongs in the before/after table."""
    return ("." not in path
            or (path.startswith("functions.") and path.endswith(".coverage")
                and path.count(".") == 2)
            or path.startswith("resources."))


def _numbers(data: Any, prefix: str = "") -> dict[str, float]:
    """Flatten the numbers of nested readiness figures by dotted path."""
    found: dict[str, float] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            found.update(_numbers(value, f"{prefix}{key}."))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.update(_numbers(value, f"{prefix}{index}."))
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        found[prefix.rstrip(".")] = data
    return found


# Review and improvement actions ------------------------------------------

def save_review(session: Session, drill_id: int, *, went_well: str = "",
                went_badly: str = "", lessons: Iterable[str] = (),
                member_id: int | None = None, now: datetime | None = None,
                settings: Settings | None = None) -> Review:
    """Record what went well and what did not, and add new lessons.

    Allowed once the drill has started. Snapshots readiness after the
    review. Raises EventError.
    """
    now = now or utcnow()
    drill = get_drill(session, drill_id)
    texts = {"went_well": check_text("review", went_well),
             "went_badly": check_text("review", went_badly)}
    new_lessons = [check_text("lesson", text) for text in lessons]
    if drill.cancelled:
        raise EventError("drill_cancelled")
    if now < drill.starts_at:
        raise EventError("review_too_early")

    review = session.exec(select(Review).where(Review.drill_id == drill_id)
                          ).first() or Review(drill_id=drill_id)
    review.went_well = texts["went_well"]
    review.went_badly = texts["went_badly"]
    review.reviewed_by_id = member_id
    review.reviewed_at = now
    session.add(review)
    for text in new_lessons:
        if text:
            session.add(Lesson(drill_id=drill_id, text=text))
    session.flush()
    snapshot_readiness(session, drill_id, "review", settings)
    return review


def get_review(session: Session, drill_id: int) -> Review | None:
    """Return a drill's review, if written."""
    return session.exec(select(Review).where(Review.drill_id == drill_id)
                        ).first()


def list_lessons(session: Session, drill_id: int) -> list[Lesson]:
    """List a drill's lessons in the order they were written."""
    return list(session.exec(select(Lesson).where(Lesson.drill_id == drill_id)
                             .order_by(col(Lesson.id))))


def create_action(session: Session, drill_id: int, *, description: str,
                  due_on: date, lesson_id: int | None = None,
                  owner_household_id: int | None = None,
                  owner_member_id: int | None = None) -> Action:
    """Turn a lesson into an improvement action with an owner and a date."""
    get_drill(session, drill_id)
    description = check_text("action", description)
    if lesson_id is not None:
        lesson = session.get(Lesson, lesson_id)
        if lesson is None or lesson.drill_id != drill_id:
            raise EventError("lesson_not_found")
        description = description or lesson.text
    if not description:
        raise EventError("action_required")
    if owner_household_id is None and owner_member_id is None:
        raise EventError("owner_required")
    if (owner_household_id is not None
            and session.get(Household, owner_household_id) is None):
        raise EventError("owner_not_found")
    if (owner_member_id is not None
            and session.get(Member, owner_member_id) is None):
        raise EventError("owner_not_found")

    action = Action(drill_id=drill_id, lesson_id=lesson_id,
                    description=description, due_on=due_on,
                    owner_household_id=owner_household_id,
                    owner_member_id=owner_member_id)
    session.add(action)
    session.flush()
    return action


def complete_action(session: Session, action_id: int,
                    now: datetime | None = None) -> Action:
    """Mark an improvement action as done."""
    action = session.get(Action, action_id)
    if action is None:
        raise EventError("action_not_found")
    if action.done_at is None:
        action.done_at = now or utcnow()
        session.add(action)
        session.flush()
    return action


@dataclasses.dataclass(frozen=True)
class ActionItem:
    """An action with its drill's title and its owner's name."""

    action: Action
    drill_title: str
    owner: str


def list_actions(session: Session, open_only: bool = True,
                 drill_id: int | None = None) -> list[ActionItem]:
    """List improvement actions by due date, in one query."""
    query = (
        select(Action, Drill.title, Household.address, Member.display_name)
        .join(Drill, col(Action.drill_id) == col(Drill.id))
        .join(Household, col(Action.owner_household_id) == col(Household.id),
              isouter=True)
        .join(Member, col(Action.owner_member_id) == col(Member.id),
              isouter=True)
        .order_by(col(Action.due_on), col(Action.id)))
    if open_only:
        query = query.where(col(Action.done_at).is_(None))
    if drill_id is not None:
        query = query.where(Action.drill_id == drill_id)
    return [ActionItem(action, title, member or address or "")
            for action, title, address, member in session.exec(query)]
