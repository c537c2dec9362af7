"""The one scheduler of a node or hub; features register their jobs.

Exactly one process per instance runs it. On a node that is `buurt serve`;
on the hub each gunicorn worker tries (deploy/gunicorn.conf.py) and the one
that wins the instance's lock runs it, the others none. A lock is a file in
the instance folder, or a PostgreSQL advisory lock when the database is
PostgreSQL. No other CLI verb, test or import starts anything.

Jobs are module-level functions named by their textual reference
("buurt.events.jobs:reconcile_notices"), take ids only and run inside
`job_context()`. They live in the SQLAlchemy job store in the instance's own
database (table `apscheduler_jobs`, created by migration 0005), so one-off
jobs survive a restart.

Recurring work at a local hour uses `LocalTimeTrigger`, not APScheduler's
cron trigger, which skips or repeats days at clock changes in 3.11.3.

The setting `scheduler_clock` moves the clock that jobs and triggers decide
with (never the web pages' clock); it exists for tests and rehearsals.
APScheduler's own late-run check of the daily jobs keeps the real clock, so
moving the clock between runs never makes a daily job late.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Callable, Collection, Iterator
from zoneinfo import ZoneInfo

from apscheduler.events import (EVENT_JOB_ERROR, EVENT_JOB_EXECUTED,
                                EVENT_JOB_MISSED, JobExecutionEvent)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from filelock import FileLock, Timeout
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import (Column, Float, LargeBinary, Table, Unicode, text)
from sqlmodel import SQLModel

from buurt import db, localtime
from buurt.config import Settings, SettingsError

logger = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
LOCK_FILE = "scheduler.lock"
# Any fixed 64-bit number; it names "the buurt scheduler" among the
# advisory locks of one PostgreSQL database.
ADVISORY_LOCK_KEY = 0x62757572745F5343
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
WORKER_THREADS = 2

# The job store's table, exactly as SQLAlchemyJobStore defines it, so that
# migrations (which alone change the schema) know and keep it.
job_table = Table(
    JOB_TABLE, SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

JobRegistrar = Callable[[Flask, BackgroundScheduler], None]
_registrars: list[JobRegistrar] = []


@dataclasses.dataclass
class _Running:
    """The scheduler this process runs, and what it needs to stop."""

    app: Flask
    scheduler: BackgroundScheduler
    release: Callable[[], None]
    offset: timedelta


_running: _Running | None = None
_guard = threading.Lock()


def register(registrar: JobRegistrar) -> JobRegistrar:
    """Remember a feature's function that adds its jobs at start-up."""
    if registrar not in _registrars:
        _registrars.append(registrar)
    return registrar


def init_app(app: Flask) -> None:
    """Check the scheduler's settings; start nothing."""
    settings = app.config["BUURT"]
    parse_local_time(settings.backup_at, "backup_at")
    parse_local_time(settings.maintenance_check_at, "maintenance_check_at")
    clock_offset(settings)
    app.extensions["buurt_scheduler"] = None


def start(app: Flask) -> BackgroundScheduler | None:
    """Start this process's scheduler and let every feature add its jobs.

    Returns None, and starts nothing, when another process (or another app
    in this one) already runs the scheduler of this instance.
    """
    global _running
    settings: Settings = app.config["BUURT"]

    with _guard:
        if _running is not None:
            if _running.app is app:
                return _running.scheduler
            logger.warning("a scheduler already runs in this process")
            return None

        release = acquire_lock(settings)
        if release is None:
            logger.info("another process runs the scheduler; this one "
                        "runs none")
            return None

        scheduler = _build(settings)
        _running = _Running(app, scheduler, release, clock_offset(settings))
        app.extensions["buurt_scheduler"] = scheduler
        try:
            # Paused, so that jobs stored by an earlier run wait until every
            # feature has re-armed its own.
            scheduler.start(paused=True)
            for registrar in _registrars:
                registrar(app, scheduler)
            scheduler.resume()
        except BaseException:
            _stop_running()
            app.extensions["buurt_scheduler"] = None
            raise

    logger.info("scheduler started (%s role)", settings.role)
    return scheduler


def start_in_worker(app: Flask) -> BackgroundScheduler | None:
    """Let a hub worker try to run the scheduler, when it is switched on."""
    if app.config["BUURT"].scheduler != "on":
        return None
    return start(app)


def stop(app: Flask) -> None:
    """Stop this process's scheduler, if `app` runs it, and free the lock."""
    with _guard:
        if _running is not None and _running.app is app:
            _stop_running()
            logger.info("scheduler stopped")


def _stop_running() -> None:
    """Shut the running scheduler down and release its lock."""
    global _running
    if _running is None:
        return
    if _running.scheduler.running:
        _running.scheduler.shutdown(wait=True)
    _running.release()
    _running = None


def state(app: Flask) -> str:
    """Say whether the scheduler is running, stopped or off in this process."""
    scheduler = app.extensions.get("buurt_scheduler")
    if scheduler is None:
        return "off"
    return "running" if scheduler.running else "stopped"


def runs_in_this_process(app: Flask) -> bool:
    """Tell whether `app`'s scheduler runs here, so jobs may be armed now."""
    running = _running
    return (running is not None and running.app is app
            and running.scheduler.running)


def _build(settings: Settings) -> BackgroundScheduler:
    """Create a scheduler on the instance's database, in UTC."""
    # Its own engine, made like the app's, so SQLite gets the WAL and
    # synchronous pragmas on the job store's connections too.
    engine = db.create_db_engine(settings.database_url)
    scheduler = BackgroundScheduler(
        timezone=timezone.utc,
        jobstores={"default": SQLAlchemyJobStore(engine=engine,
                                                 tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(WORKER_THREADS)},
        # Jobs decide themselves what a late run means; the scheduler hands
        # each due run over once, however late.
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": None},
    )
    scheduler.add_listener(_log_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
                           | EVENT_JOB_MISSED)
    return scheduler


def _log_run(event: JobExecutionEvent) -> None:
    """Log each job run once, for operators (and the one-scheduler test)."""
    if event.code == EVENT_JOB_MISSED:
        logger.warning("job %s missed its run at %s", event.job_id,
                       event.scheduled_run_time)
    elif event.exception is None:
        logger.info("job %s ran", event.job_id)


# The lock -----------------------------------------------------------------

def acquire_lock(settings: Settings) -> Callable[[], None] | None:
    """Take the instance's scheduler lock without waiting.

    Returns the function that releases it, or None when another process
    holds it. The lock also goes when the holding process dies.
    """
    if settings.database_url.startswith("postgresql"):
        return _acquire_advisory_lock(settings.database_url)
    return _acquire_file_lock(Path(settings.instance) / LOCK_FILE)


def _acquire_file_lock(path: Path) -> Callable[[], None] | None:
    """Take an exclusive lock on a file in the instance folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return lock.release


def _acquire_advisory_lock(url: str) -> Callable[[], None] | None:
    """Take a PostgreSQL session advisory lock on a connection kept open."""
    engine = db.create_db_engine(url)
    connection = engine.connect()
    won = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                             {"key": ADVISORY_LOCK_KEY}).scalar()
    connection.commit()
    if not won:
        connection.close()
        engine.dispose()
        return None

    def release() -> None:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                           {"key": ADVISORY_LOCK_KEY})
        connection.commit()
        connection.close()
        engine.dispose()

    return release


# The scheduler's clock and the jobs' context ------------------------------

def clock_offset(settings: Settings) -> timedelta:
    """Return how far `scheduler_clock` moves the scheduler's clock.

    Raises SettingsError when the setting is not an ISO instant with an
    offset.
    """
    if not settings.scheduler_clock:
        return timedelta(0)
    try:
        start_at = datetime.fromisoformat(settings.scheduler_clock)
    except ValueError:
        start_at = None
    if start_at is None or start_at.tzinfo is None:
        raise SettingsError(
            "setting scheduler_clock (BUURT_SCHEDULER_CLOCK) must be an "
            "ISO time with an offset, such as 2026-06-01T09:00:00+02:00")
    return start_at - db.utcnow()


def current_offset() -> timedelta:
    """Return the clock offset of the scheduler running in this process."""
    running = _running
    return running.offset if running is not None else timedelta(0)


def now() -> datetime:
    """Return the time as the scheduler sees it, aware, in UTC."""
    return db.utcnow() + current_offset()


def to_real(moment: datetime) -> datetime:
    """Return the real instant when the scheduler's clock shows `moment`."""
    return moment - current_offset()


@contextlib.contextmanager
def job_context() -> Iterator[Flask]:
    """Give a job the app context and default locale of this process's app.

    Raises RuntimeError when no scheduler runs in this process.
    """
    running = _running
    if running is None:
        raise RuntimeError("no scheduler runs in this process")
    app = running.app
    with app.app_context(), force_locale(app.config["BUURT"].default_locale):
        yield app


# Local wall-clock schedules -----------------------------------------------

def parse_local_time(value: str, name: str) -> tuple[int, int]:
    """Read "HH:MM" from setting `name`; raise SettingsError naming it."""
    try:
        moment = time.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or len(value) != 5:
        raise SettingsError(f"setting {name} (BUURT_{name.upper()}) must be "
                            f"a time such as 03:15, not {value!r}")
    return moment.hour, moment.minute


def next_local_run(after: datetime, hour: int, minute: int,
                   weekdays: Collection[int], zone: tzinfo) -> datetime:
    """Return the first hour:minute in `zone` strictly after `after`, in UTC.

    `weekdays` counts Monday as 0. A time that the spring change skips
    runs the gap's length later (02:30 runs at 03:30; see buurt.localtime);
    a time that the autumn change repeats runs at its first occurrence only.
    Raises ValueError when `weekdays` is empty.
    """
    if not weekdays:
        raise ValueError("a schedule needs at least one weekday")
    first_day = after.astimezone(zone).date()

    # From the day before: a shifted gap time may cross midnight.
    for offset in range(-1, 8):
        day = first_day + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        instant = local_instant(day, hour, minute, zone)
        if instant > after:
            return instant
    raise AssertionError("a week always holds one of the weekdays")


def local_instant(day: date, hour: int, minute: int,
                  zone: tzinfo) -> datetime:
    """Return the UTC instant of hour:minute on `day` in `zone`."""
    wall = datetime.combine(day, time(hour, minute))
    return localtime.to_utc(wall, zone, localtime.SHIFT_FORWARD)


class LocalTimeTrigger(BaseTrigger):
    """Fire once a day, or on chosen weekdays, at a local wall-clock time."""

    __slots__ = ("hour", "minute", "weekdays", "zone_name")

    def __init__(self, hour: int, minute: int,
                 weekdays: Collection[int] = EVERY_DAY,
                 zone_name: str = "Europe/Amsterdam") -> None:
        self.hour = hour
        self.minute = minute
        self.weekdays = tuple(sorted(set(weekdays)))
        self.zone_name = zone_name

    def get_next_fire_time(self, previous_fire_time: datetime | None,
                           now: datetime) -> datetime:
        """Return the next real instant to fire at."""
        offset = current_offset()
        after = (previous_fire_time or now) + offset
        return next_local_run(after, self.hour, self.minute, self.weekdays,
                              ZoneInfo(self.zone_name)) - offset

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "hour": self.hour, "minute": self.minute,
                "weekdays": self.weekdays, "zone_name": self.zone_name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.hour = state["hour"]
        self.minute = state["minute"]
        self.weekdays = tuple(state["weekdays"])
        self.zone_name = state["zone_name"]

    def __str__(self) -> str:
        days = ",".join(str(day) for day in self.weekdays)
        return (f"local[{self.hour:02d}:{self.minute:02d} days={days} "
                f"{self.zone_name}]")


def add_local_job(scheduler: BackgroundScheduler, job_id: str, func: str,
                  trigger: LocalTimeTrigger, grace_seconds: int) -> None:
    """Keep one recurring job at a local time; keep a stored run if unchanged.

    A job left over from the last run with the same schedule stays as it
    is, so that a run missed while the node was off happens once (when
    still within `grace_seconds`) instead of moving to tomorrow.
    """
    existing = scheduler.get_job(job_id)
    if (existing is not None and existing.func_ref == func
            and str(existing.trigger) == str(trigger)):
        return
    scheduler.add_job(func, trigger=trigger, id=job_id, name=job_id,
                      replace_existing=True,
                      misfire_grace_time=grace_seconds)
