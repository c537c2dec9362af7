"""The notice board: each notice once, sent within its grace or missed,
shown to the right members in their language, and pushed to ntfy once."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import Session, select

from buurt import db, scheduler
from buurt.events import jobs, notices
from buurt.events import service as events
from buurt.events.models import Drill
from buurt.events.notice_models import Notice
from buurt.inventory import service as inventory
from conftest import (create_member, csrf_token, free_port, login, make_app,
                      time_limit)

SUMMER_TIME = timezone(timedelta(hours=2))  # Amsterdam, March to October


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail a test that waits for a notice that never comes."""
    with time_limit(30):
        yield


def plan_drill(app: Flask, starts_in: timedelta = timedelta(days=30),
               hours: int = 3, title: str = "Stroom uit") -> Drill:
    """Plan a power drill that starts `starts_in` from now."""
    starts_at = (db.utcnow() + starts_in).replace(microsecond=0)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        return events.create_drill(
            session, app.config["BUURT"], scenario="power", title=title,
            starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours))[0]


def due_of(drill: Drill, kind: str) -> notices.Due:
    """Return one of a drill's due notices by kind."""
    return next(due for due in notices.drill_dues(drill) if due.kind == kind)


def count_notices(session: Session) -> int:
    """Count every notice row."""
    return len(list(session.exec(select(Notice))))


# Settling --------------------------------------------------------------------

def test_a_drill_owes_reminders_a_week_a_day_and_an_hour_ahead(
        app: Flask) -> None:
    drill = plan_drill(app)

    dues = {due.kind: due.due_at for due in notices.drill_dues(drill)}

    assert dues == {"remind-7d": drill.starts_at - timedelta(days=7),
                    "remind-1d": drill.starts_at - timedelta(days=1),
                    "remind-1h": drill.starts_at - timedelta(hours=1),
                    "start": drill.starts_at, "end": drill.ends_at}


@pytest.mark.parametrize("kind, late, status", [
    ("remind-7d", timedelta(hours=11, minutes=59), "sent"),
    ("remind-7d", timedelta(hours=12, minutes=1), "missed"),
    ("remind-1d", timedelta(hours=12), "sent"),
    ("remind-1d", timedelta(hours=13), "missed"),
    ("remind-1h", timedelta(minutes=59), "sent"),
    ("remind-1h", timedelta(minutes=61), "missed"),
    ("start", timedelta(0), "sent"),
    ("start", timedelta(hours=2), "missed"),
    ("end", timedelta(minutes=30), "sent"),
    ("end", timedelta(hours=1, seconds=1), "missed"),
])
def test_grace_window_decides_between_sent_and_missed(
        app: Flask, session: Session, kind: str, late: timedelta,
        status: str) -> None:
    due = due_of(plan_drill(app), kind)

    notice = notices.settle(session, due, due.due_at + late)

    assert notice is not None
    assert notice.status == status


def test_a_notice_is_settled_once_however_often_it_is_tried(
        app: Flask, session: Session) -> None:
    due = due_of(plan_drill(app), "remind-1h")
    now = due.due_at + timedelta(minutes=5)

    first = notices.settle(session, due, now, push=True)
    again = notices.settle(session, due, now + timedelta(minutes=1))

    assert first is not None and first.push_state == "pending"
    assert again is None
    assert count_notices(session) == 1


def test_a_notice_waits_until_it_falls_due(app: Flask,
                                           session: Session) -> None:
    due = due_of(plan_drill(app), "start")

    early = notices.settle(session, due, due.due_at - timedelta(seconds=1))

    assert early is None
    assert count_notices(session) == 0


def test_a_drill_planned_three_days_ahead_owes_no_week_reminder(
        app: Flask) -> None:
    drill = plan_drill(app, starts_in=timedelta(days=3))

    owed = {due.kind for due in notices.drill_dues(drill)
            if notices.is_owed(due, drill)}

    assert owed == {"remind-1d", "remind-1h", "start", "end"}


def test_an_edit_after_a_notice_fell_due_does_not_lose_it(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    # Planned an hour ago; it started ten minutes ago, and the coordinator
    # moves the meeting point before the scheduler settled the start.
    drill = plan_drill(app, starts_in=timedelta(minutes=-10))
    with db.session_scope(db.get_engine(app), write=True) as session:
        session.execute(text("UPDATE drill SET created_at = :at"),
                        {"at": db.utcnow() - timedelta(hours=1)})
    changed = client.patch(f"/api/v1/drills/{drill.id}",
                           headers=coordinator_headers,
                           json={"meeting_point": "Bij de kerk"})

    assert scheduler.start(app) is not None
    scheduler.stop(app)

    assert changed.json["meeting_point"] == "Bij de kerk"
    with db.session_scope(db.get_engine(app)) as session:
        rows = {row.kind: row.status for row in session.exec(select(Notice))}
    # The hour-before reminder fell due before the drill was planned.
    assert rows == {"start": "sent"}


def test_a_drill_planned_through_the_api_is_armed_at_once(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    starts = (db.utcnow() + timedelta(days=30)).replace(microsecond=0)
    assert scheduler.start(app) is not None
    try:
        planned = client.post("/api/v1/drills", headers=coordinator_headers,
                              json={"scenario": "power", "title": "Stroom",
                                    "starts_at": starts.isoformat(),
                                    "ends_at": (starts + timedelta(hours=2)
                                                ).isoformat()})
        armed = armed_jobs(app)
        client.patch(f"/api/v1/drills/{planned.json['id']}",
                     headers=coordinator_headers,
                     json={"starts_at": (starts + timedelta(hours=1)
                                         ).isoformat()})
        moved = armed_jobs(app)
    finally:
        scheduler.stop(app)

    drill_id = planned.json["id"]
    assert armed == {f"drill:{drill_id}:{kind}": when for kind, when in (
        ("remind-7d", starts - timedelta(days=7)),
        ("remind-1d", starts - timedelta(days=1)),
        ("remind-1h", starts - timedelta(hours=1)),
        ("start", starts), ("end", starts + timedelta(hours=2)))}
    assert moved[f"drill:{drill_id}:start"] == starts + timedelta(hours=1)


def armed_jobs(app: Flask) -> dict[str, datetime]:
    """Return the armed drill notice jobs by id, with their run times."""
    sched = app.extensions["buurt_scheduler"]
    return {job.id: job.next_run_time for job in sched.get_jobs()
            if job.id.startswith("drill:")}


def someone_waits_on_a_lock(engine: Any) -> bool:
    """Tell whether a session of this PostgreSQL database waits on a lock."""
    # A fresh transaction each time: PostgreSQL keeps the activity view
    # still within one.
    with engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()")).scalar())


def test_two_processes_settling_one_notice_store_it_once(
        tmp_path: Path, postgres_url: str) -> None:
    app = make_app(tmp_path, database_url=postgres_url)
    drill = plan_drill(app)
    due = due_of(drill, "start")
    now = due.due_at + timedelta(minutes=1)
    engine = db.get_engine(app)
    results: list[Notice | None] = []

    def settle_elsewhere() -> None:
        second = db.create_db_engine(postgres_url)
        with db.session_scope(second) as other:
            results.append(notices.settle(other, due, now))
        second.dispose()

    with db.session_scope(engine) as first:
        assert notices.settle(first, due, now) is not None
        other = threading.Thread(target=settle_elsewhere)
        other.start()
        # Let the second one find no row yet and wait on the unique key.
        while other.is_alive() and not someone_waits_on_a_lock(engine):
            threading.Event().wait(0.01)
    other.join()

    assert results == [None]
    with db.session_scope(engine) as session:
        assert count_notices(session) == 1
    engine.dispose()


def test_an_items_check_falls_due_its_rhythm_after_the_last_check(
        app: Flask, session: Session) -> None:
    tank = inventory.create_resource(session, "water_tank", "Regenton",
                                     capacity=200,
                                     last_checked=date(2026, 1, 10))
    zone = app.config["BUURT"].zone

    before = notices.maintenance_dues(
        session, zone, 9, 0, datetime(2026, 7, 9, 6, 59, tzinfo=timezone.utc))
    dues = notices.maintenance_dues(
        session, zone, 9, 0, datetime(2026, 7, 9, 7, 0, tzinfo=timezone.utc))

    assert before == []
    assert [(due.ref_id, due.kind, due.due_at.astimezone(SUMMER_TIME))
            for due in dues] == [
        (tank.id, "maintenance-due", datetime(2026, 7, 9, 9, 0,
                                              tzinfo=SUMMER_TIME))]


def test_an_open_action_falls_due_the_day_after_its_date(
        app: Flask, session: Session) -> None:
    drill = plan_drill(app)
    household = inventory.create_household(session, "Lindenlaan 1")
    action = events.create_action(session, drill.id or 0,
                                  description="Koop een tweede jerrycan",
                                  due_on=date(2026, 8, 1),
                                  owner_household_id=household.id)
    zone = app.config["BUURT"].zone
    at_nine = datetime(2026, 8, 2, 7, 0, tzinfo=timezone.utc)

    dues = notices.action_dues(session, zone, 9, 0, at_nine)
    events.complete_action(session, action.id or 0)
    done = notices.action_dues(session, zone, 9, 0, at_nine)

    assert [(due.ref_id, due.audience) for due in dues] == [
        (action.id, "coordinators")]
    assert done == []


# The board -------------------------------------------------------------------

def settle_some(app: Flask) -> None:
    """Record a sent start notice, a missed reminder and a late action."""
    drill = plan_drill(app)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        start = due_of(drill, "start")
        notices.settle(session, start, start.due_at)
        week = due_of(drill, "remind-7d")
        notices.settle(session, week, week.due_at + timedelta(days=2))
        notices.settle(session, notices.Due(
            "action", 1, "action-overdue", start.due_at,
            "Koop een tweede jerrycan", audience="coordinators"),
            start.due_at)


def test_board_shows_missed_notices_once_until_a_coordinator_clears_them(
        app: Flask, coordinator_client: FlaskClient) -> None:
    settle_some(app)

    page = coordinator_client.get("/notices").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    cleared = coordinator_client.post("/notices/missed/seen",
                                      data={"csrf_token": token})
    after = coordinator_client.get("/notices").get_data(as_text=True)

    assert "Niet op tijd gemeld" in page
    assert "Oefening over een week: Stroom uit" in page
    assert "Oefening begonnen: Stroom uit" in page
    assert "Verbeteractie over tijd" in page
    assert cleared.status_code == 302
    assert "Niet op tijd gemeld" not in after
    assert "Oefening begonnen: Stroom uit" in after


def test_resident_sees_drill_notices_but_not_the_coordinators_ones(
        app: Flask) -> None:
    settle_some(app)
    create_member(app, "anna")
    client = app.test_client()
    login(client, "anna")

    page = client.get("/notices", headers={"Accept-Language": "en"})
    shown = page.get_data(as_text=True)
    refused = client.post("/notices/missed/seen", data={
        "csrf_token": csrf_token(client, "/notices")})

    assert page.status_code == 200
    assert "Drill started: Stroom uit" in shown
    assert "Not announced in time" in shown
    assert "Seen, clear this list" not in shown
    assert "Improvement action overdue" not in shown
    assert refused.status_code == 403


def test_board_needs_a_member(client: FlaskClient) -> None:
    response = client.get("/notices")

    assert response.status_code in (302, 401)


# Pushing to a local ntfy server ----------------------------------------------

class NtfyServer:
    """A stand-in ntfy server on 127.0.0.1 that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.messages.append(json.loads(self.rfile.read(length)))
                received.arrived.set()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.handler = Handler
        self.port = free_port()

    @property
    def topic_url(self) -> str:
        """Return the topic address buurt publishes to."""
        return f"http://127.0.0.1:{self.port}/buurt-lindenlaan"

    def __enter__(self) -> NtfyServer:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port),
                                          self.handler)
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_a_sent_notice_is_pushed_once_and_a_missed_one_never(
        tmp_path: Path) -> None:
    with NtfyServer() as ntfy:
        app = make_app(tmp_path, ntfy_url=ntfy.topic_url)
        drill = plan_drill(app, starts_in=timedelta(days=10))
        # The scheduler wakes two days after the week reminder (missed)
        # and a second before the day reminder.
        clock = drill.starts_at - timedelta(days=1, seconds=1)
        app = make_app(tmp_path, ntfy_url=ntfy.topic_url,
                       scheduler_clock=clock.isoformat())
        assert scheduler.start(app) is not None
        try:
            assert ntfy.arrived.wait(20), "nothing reached ntfy"
            jobs.push_notices()
        finally:
            scheduler.stop(app)

        with db.session_scope(db.get_engine(app)) as session:
            rows = {row.kind: (row.status, row.push_state)
                    for row in session.exec(select(Notice))}

    assert ntfy.messages == [{
        "topic": "buurt-lindenlaan", "title": "Oefening morgen: Stroom uit",
        "message": ntfy.messages[0]["message"], "tags": ["date"]}]
    assert "Stroom uit begint op" in ntfy.messages[0]["message"]
    assert rows == {"remind-7d": ("missed", ""),
                    "remind-1d": ("sent", "done")}


def test_a_push_waits_for_an_ntfy_server_that_is_not_up_yet(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ntfy = NtfyServer()
    drill = plan_drill(make_app(tmp_path), starts_in=timedelta(days=10))
    clock = drill.starts_at - timedelta(days=1) + timedelta(minutes=1)
    app = make_app(tmp_path, ntfy_url=ntfy.topic_url,
                   scheduler_clock=clock.isoformat())

    assert scheduler.start(app) is not None
    try:
        # The reconcile at start settles the reminder; nothing listens yet.
        while not any("ntfy push" in record.getMessage()
                      for record in caplog.records):
            threading.Event().wait(0.05)
        with db.session_scope(db.get_engine(app)) as session:
            waiting = session.exec(select(Notice).where(
                Notice.kind == "remind-1d")).one().push_state
        with ntfy:
            jobs.push_notices()
            jobs.push_notices()
    finally:
        scheduler.stop(app)

    assert waiting == "pending"
    assert [message["title"] for message in ntfy.messages] == [
        "Oefening morgen: Stroom uit"]
