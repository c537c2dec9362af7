"""One scheduler per instance: the lock, start and stop, the job store, and
the drill notices it arms from the database."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from click.testing import Result
from flask import Flask
from sqlalchemy import MetaData, text
from sqlmodel import select

from buurt import config, create_app, db, scheduler
from buurt.events import jobs
from buurt.events import service as events
from buurt.events.models import Drill
from buurt.events.notice_models import Notice
from buurt.inventory import service as inventory
from conftest import app_settings, make_app, time_limit

DRILL_KINDS = ("remind-7d", "remind-1d", "remind-1h", "start", "end")


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail a test whose scheduler hangs instead of answering."""
    with time_limit(60):
        yield


@pytest.fixture
def running(app: Flask) -> Iterator[Flask]:
    """Run the app's scheduler for one test."""
    assert scheduler.start(app) is not None
    yield app
    scheduler.stop(app)


def plan_drill(app: Flask, starts_in: timedelta = timedelta(days=30)
               ) -> Drill:
    """Plan a two-hour power drill that starts `starts_in` from now."""
    starts_at = (db.utcnow() + starts_in).replace(microsecond=0)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        return events.create_drill(
            session, app.config["BUURT"], scenario="power",
            title="Stroom uit", starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2))[0]


def drill_jobs(app: Flask) -> dict[str, object]:
    """Return the armed drill notice jobs by id, with their run times."""
    sched = app.extensions["buurt_scheduler"]
    return {job.id: job.next_run_time for job in sched.get_jobs()
            if job.id.startswith("drill:")}


# The lock --------------------------------------------------------------------

HOLD_LOCK = """
import sys
from pathlib import Path
from buurt import config, scheduler
settings = config.load_settings(Path(sys.argv[1]), environ={})
release = scheduler.acquire_lock(settings)
assert release is not None
print("held", flush=True)
sys.stdin.read()
"""


def test_a_second_process_does_not_get_the_lock_until_the_first_dies(
        instance: Path) -> None:
    settings = config.load_settings(instance, environ={})
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK,
                               str(instance)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"

        while_held = scheduler.acquire_lock(settings)
        holder.kill()
        holder.wait()
        after_death = scheduler.acquire_lock(settings)
    finally:
        holder.kill()
        holder.wait()

    assert while_held is None
    assert after_death is not None
    after_death()


def test_postgresql_advisory_lock_admits_one_holder(
        tmp_path: Path, postgres_url: str) -> None:
    settings = config.load_settings(tmp_path, environ={},
                                    overrides={"database_url": postgres_url})

    first = scheduler.acquire_lock(settings)
    second = scheduler.acquire_lock(settings)
    assert first is not None
    first()
    third = scheduler.acquire_lock(settings)

    assert second is None
    assert third is not None
    third()


# Start and stop --------------------------------------------------------------

def test_scheduler_is_off_until_started_and_reports_its_state(
        app: Flask) -> None:
    client = app.test_client()
    before = client.get("/healthz").json

    assert scheduler.start(app) is not None
    again = scheduler.start(app)
    during = client.get("/healthz").json
    scheduler.stop(app)
    after = client.get("/healthz").json

    assert before["scheduler"] == "off"
    assert again is app.extensions["buurt_scheduler"]
    assert during["scheduler"] == "running"
    assert after["scheduler"] == "stopped"


def test_a_second_app_on_the_same_instance_runs_no_scheduler(
        running: Flask, instance: Path) -> None:
    other = make_app(instance)

    assert scheduler.start(other) is None
    assert scheduler.state(other) == "off"
    assert scheduler.state(running) == "running"


def test_cli_verbs_do_not_start_the_scheduler(
        run_cli: Callable[..., Result], app: Flask) -> None:
    result = run_cli("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert scheduler.state(app) == "off"


@pytest.mark.parametrize("name, value, words", [
    ("scheduler_clock", "tomorrow", "scheduler_clock"),
    ("scheduler_clock", "2026-06-01T09:00", "with an offset"),
    ("backup_at", "3am", "backup_at"),
    ("maintenance_check_at", "25:00", "maintenance_check_at"),
])
def test_unusable_scheduler_settings_are_refused_by_name(
        instance: Path, name: str, value: str, words: str) -> None:
    with pytest.raises(config.SettingsError) as error:
        create_app(instance, overrides=app_settings(**{name: value}),
                   environ={})

    assert words in str(error.value)


def test_jobs_are_kept_in_the_instances_database(running: Flask) -> None:
    plan_drill(running)
    jobs.arm_drill_notices(running, 1)

    with db.get_engine(running).connect() as connection:
        stored = {row[0] for row in connection.execute(
            text("SELECT id FROM apscheduler_jobs"))}

    assert {jobs.RECONCILE_JOB, jobs.MAINTENANCE_JOB,
            jobs.BACKUP_JOB} <= stored
    assert {f"drill:1:{kind}" for kind in DRILL_KINDS} <= stored


def test_migration_creates_the_job_store_table_as_apscheduler_defines_it(
        app: Flask) -> None:
    metadata = MetaData()
    SQLAlchemyJobStore(engine=db.get_engine(app), metadata=metadata)

    def job_table_only(name: str | None, kind: str, parent: object) -> bool:
        return kind != "table" or name == scheduler.JOB_TABLE

    with db.get_engine(app).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(
            connection, opts={"compare_type": True,
                              "include_name": job_table_only}), metadata)

    assert differences == []


# Arming drill notices --------------------------------------------------------

def test_each_coming_notice_of_a_drill_gets_one_date_job_in_utc(
        running: Flask) -> None:
    drill = plan_drill(running)

    jobs.arm_drill_notices(running, drill.id or 0)
    armed = drill_jobs(running)

    assert armed == {
        "drill:1:remind-7d": drill.starts_at - timedelta(days=7),
        "drill:1:remind-1d": drill.starts_at - timedelta(days=1),
        "drill:1:remind-1h": drill.starts_at - timedelta(hours=1),
        "drill:1:start": drill.starts_at,
        "drill:1:end": drill.ends_at,
    }


def test_moving_a_drill_moves_its_jobs_and_cancelling_drops_them(
        running: Flask) -> None:
    drill = plan_drill(running)
    jobs.arm_drill_notices(running, drill.id or 0)
    settings = running.config["BUURT"]
    later = drill.starts_at + timedelta(hours=3)

    with running.app_context(), db.session_scope(
            db.get_engine(running), write=True) as session:
        events.update_drill(session, settings, drill.id or 0,
                            starts_at=later,
                            ends_at=later + timedelta(hours=2))
    jobs.arm_drill_notices(running, drill.id or 0)
    moved = drill_jobs(running)
    with running.app_context(), db.session_scope(
            db.get_engine(running), write=True) as session:
        events.cancel_drill(session, drill.id or 0)
    jobs.arm_drill_notices(running, drill.id or 0)

    assert moved["drill:1:start"] == later
    assert moved["drill:1:remind-1h"] == later - timedelta(hours=1)
    assert drill_jobs(running) == {}


def test_arming_is_a_no_op_where_the_scheduler_does_not_run(
        app: Flask) -> None:
    drill = plan_drill(app)

    jobs.arm_drill_notices(app, drill.id or 0)

    with db.get_engine(app).connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM apscheduler_jobs")).scalar()
    assert count == 0


# Daily work after the node was off -------------------------------------------

def test_a_daily_check_due_while_the_node_was_off_runs_once_on_return(
        instance: Path) -> None:
    check_day = date(2027, 2, 10)
    app = make_app(instance)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        inventory.create_resource(
            session, "water_tank", "Regenton", capacity=200,
            last_checked=check_day - timedelta(days=180))

    # Off five seconds before the 09:00 check, back just after it.
    before = make_app(instance, scheduler_clock="2027-02-10T08:59:55+01:00")
    assert scheduler.start(before) is not None
    scheduler.stop(before)
    after = make_app(instance, scheduler_clock="2027-02-10T09:00:30+01:00")
    assert scheduler.start(after) is not None
    try:
        while not maintenance_notices(after):
            threading.Event().wait(0.1)
        sched = after.extensions["buurt_scheduler"]
        job = sched.get_job(jobs.MAINTENANCE_JOB)
        next_check = job.next_run_time + scheduler.current_offset()
    finally:
        scheduler.stop(after)

    assert maintenance_notices(after) == [("Regenton", "sent")]
    assert next_check.isoformat() == "2027-02-11T08:00:00+00:00"


def maintenance_notices(app: Flask) -> list[tuple[str, str]]:
    """List the (title, status) of the item checks on the board."""
    with db.session_scope(db.get_engine(app)) as session:
        return [(n.title, n.status) for n in session.exec(
            select(Notice).where(Notice.kind == "maintenance-due"))]
