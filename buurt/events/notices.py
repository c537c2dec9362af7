"""The notice board: what falls due, and each notice recorded exactly once.

A notice falls due at one instant: a drill reminder 7 days, 1 day or 1 hour
before its start, its start and its end, a shared item's check (its kind's
rhythm in the catalogue, counted from its last check), an improvement
action the day after its due date. Settling a due notice writes one row,
keyed by (source, ref_id, kind, due_at): "sent" while it is still inside its
grace window (1 hour for the hour-before reminder and start and end, 12
hours for the rest), "missed" after that. Missed notices are shown once on
the board and never pushed, so a node that was off does not burst out old
news. A second attempt at the same notice finds the row and does nothing.

Plain functions that take a session; they flush but never commit.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Iterable
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from buurt.events.models import Action, Drill
from buurt.events.notice_models import Notice
from buurt.inventory import catalogue
from buurt.inventory.models import Resource
from buurt.scheduler import local_instant

if TYPE_CHECKING:
    import requests

logger = logging.getLogger(__name__)

SHORT_GRACE = timedelta(hours=1)
LONG_GRACE = timedelta(hours=12)
REMINDERS = {"remind-7d": timedelta(days=7), "remind-1d": timedelta(days=1),
             "remind-1h": timedelta(hours=1)}
DRILL_KINDS = (*REMINDERS, "start", "end")
GRACE = {"remind-7d": LONG_GRACE, "remind-1d": LONG_GRACE,
         "remind-1h": SHORT_GRACE, "start": SHORT_GRACE, "end": SHORT_GRACE,
         "maintenance-due": LONG_GRACE, "action-overdue": LONG_GRACE,
         "backup-failed": LONG_GRACE}
BOARD_SIZE = 50
NTFY_TIMEOUT = 5


@dataclasses.dataclass(frozen=True)
class Due:
    """A notice that falls due at `due_at`, not yet recorded."""

    source: str
    ref_id: int
    kind: str
    due_at: datetime
    title: str
    audience: str = "all"
    about_at: datetime | None = None
    detail: str = ""

    @property
    def grace(self) -> timedelta:
        """Return how late this notice may still go out."""
        return GRACE[self.kind]


# What falls due ------------------------------------------------------------

def drill_dues(drill: Drill) -> list[Due]:
    """Return the five notices of a drill, owed or not."""
    ref = drill.id or 0
    dues = [Due("drill", ref, kind, drill.starts_at - lead, drill.title,
                about_at=drill.starts_at)
            for kind, lead in REMINDERS.items()]
    dues.append(Due("drill", ref, "start", drill.starts_at, drill.title,
                    about_at=drill.starts_at))
    dues.append(Due("drill", ref, "end", drill.ends_at, drill.title,
                    about_at=drill.ends_at))
    return dues


def is_owed(due: Due, drill: Drill) -> bool:
    """Tell whether the drill existed when `due` fell due.

    A drill planned 3 days ahead owes no 7-day reminder, and one entered
    after its start owes no start notice. Edits do not count: a notice that
    fell due before a change is still sent, or recorded as missed, and a
    drill moved later owes the notices of its new times.
    """
    return due.due_at >= drill.created_at


def list_drills_to_notify(session: Session, now: datetime,
                          drill_ids: Iterable[int] | None = None
                          ) -> list[Drill]:
    """List the drills that may still owe a notice, soonest first."""
    query = (select(Drill).where(col(Drill.cancelled).is_(False))
             .where(col(Drill.ends_at) >= now - LONG_GRACE)
             .order_by(col(Drill.starts_at)))
    if drill_ids is not None:
        query = query.where(col(Drill.id).in_(list(drill_ids)))
    return list(session.exec(query))


def maintenance_dues(session: Session, zone: tzinfo, hour: int, minute: int,
                     now: datetime) -> list[Due]:
    """Return the checks of shared items that have fallen due by `now`.

    An item is due its kind's rhythm after its last check, or after it was
    added when it was never checked; at the daily check's local time.
    """
    dues = []
    for resource in session.exec(select(Resource).order_by(col(Resource.id))):
        kind = catalogue.get_kind(resource.kind)
        if kind is None or not kind.maintenance_days:
            continue
        checked = (resource.last_checked
                   or resource.created_at.astimezone(zone).date())
        due_on = checked + timedelta(days=kind.maintenance_days)
        due_at = local_instant(due_on, hour, minute, zone)
        if due_at <= now:
            dues.append(Due("resource", resource.id or 0, "maintenance-due",
                            due_at, resource.name, detail=resource.kind))
    return dues


def action_dues(session: Session, zone: tzinfo, hour: int, minute: int,
                now: datetime) -> list[Due]:
    """Return the open improvement actions that are past their due date."""
    dues = []
    query = (select(Action).where(col(Action.done_at).is_(None))
             .order_by(col(Action.due_on), col(Action.id)))
    for action in session.exec(query):
        overdue_on: date = action.due_on + timedelta(days=1)
        due_at = local_instant(overdue_on, hour, minute, zone)
        if due_at <= now:
            dues.append(Due("action", action.id or 0, "action-overdue",
                            due_at, action.description[:200],
                            audience="coordinators"))
    return dues


# Recording ------------------------------------------------------------------

def get_notice(session: Session, due: Due) -> Notice | None:
    """Return the row of a due notice, if it was settled already."""
    return session.exec(
        select(Notice).where(Notice.source == due.source)
        .where(Notice.ref_id == due.ref_id).where(Notice.kind == due.kind)
        .where(Notice.due_at == due.due_at)).first()


def settle(session: Session, due: Due, now: datetime,
           push: bool = False) -> Notice | None:
    """Record a due notice once: sent within its grace, else missed.

    Returns the new row, or None when it is not due yet or was settled
    before (by an earlier run or, at the same moment, another one). With
    `push`, a sent notice waits for the ntfy server.
    """
    if due.due_at > now or get_notice(session, due) is not None:
        return None

    sent = now - due.due_at <= due.grace
    notice = Notice(source=due.source, ref_id=due.ref_id, kind=due.kind,
                    due_at=due.due_at, status="sent" if sent else "missed",
                    audience=due.audience, title=due.title[:200],
                    about_at=due.about_at, detail=due.detail,
                    push_state="pending" if sent and push else "",
                    created_at=now)
    try:
        with session.begin_nested():
            session.add(notice)
    except IntegrityError:
        return None

    logger.info("notice %s %s:%s %s", notice.status, due.source, due.ref_id,
                due.kind)
    return notice


# The board ------------------------------------------------------------------

def list_board(session: Session, coordinator: bool,
               limit: int = BOARD_SIZE) -> list[Notice]:
    """List the latest sent notices a member may see, newest first."""
    query = (select(Notice).where(Notice.status == "sent")
             .order_by(col(Notice.due_at).desc(), col(Notice.id).desc())
             .limit(limit))
    if not coordinator:
        query = query.where(Notice.audience == "all")
    return list(session.exec(query))


def list_missed(session: Session, coordinator: bool) -> list[Notice]:
    """List the missed notices no coordinator has acknowledged yet."""
    query = (select(Notice).where(Notice.status == "missed")
             .where(col(Notice.seen_at).is_(None))
             .order_by(col(Notice.due_at), col(Notice.id)))
    if not coordinator:
        query = query.where(Notice.audience == "all")
    return list(session.exec(query))


def mark_missed_seen(session: Session, now: datetime) -> int:
    """Acknowledge every missed notice on the board; return how many."""
    result = session.execute(
        update(Notice).where(col(Notice.status) == "missed")
        .where(col(Notice.seen_at).is_(None)).values(seen_at=now))
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Pushing to ntfy ------------------------------------------------------------

def list_pending_pushes(session: Session) -> list[Notice]:
    """List the sent notices that still wait for the ntfy server."""
    return list(session.exec(
        select(Notice).where(Notice.push_state == "pending")
        .order_by(col(Notice.id))))


def claim_push(session: Session, notice_id: int) -> bool:
    """Mark a notice as pushed before pushing; False if taken already.

    Claiming first means a crash after the claim loses the push instead of
    repeating it: ntfy gets each notice at most once.
    """
    result = session.execute(
        update(Notice).where(col(Notice.id) == notice_id)
        .where(col(Notice.push_state) == "pending").values(push_state="done"))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_push(session: Session, notice_id: int, state: str) -> None:
    """Record how a push ended: "pending" to try again, or "failed"."""
    session.execute(update(Notice).where(col(Notice.id) == notice_id)
                    .values(push_state=state))


def publish_ntfy(topic_url: str, title: str, message: str,
                 tags: Iterable[str] = ()) -> None:
    """Publish one message to an ntfy topic URL (http://host/topic).

    Sent as JSON to the server's root, which carries any language's
    letters in the title. Raises requests.RequestException when it fails.
    """
    # Loaded when a push is sent, not with the pages (5 MB).
    import requests

    parts = urlsplit(topic_url)
    base, _, topic = parts.path.rstrip("/").rpartition("/")
    root = urlunsplit((parts.scheme, parts.netloc, base + "/", "", ""))
    body = {"topic": topic, "title": title, "message": message,
            "tags": list(tags)}
    response = requests.post(root, json=body, timeout=NTFY_TIMEOUT)
    response.raise_for_status()


def never_arrived(error: requests.RequestException) -> bool:
    """Tell whether a failed push surely never reached the server."""
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    return isinstance(reason, NewConnectionError)
