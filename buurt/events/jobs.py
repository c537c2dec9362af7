"""Scheduled work: drill notices, the daily checks and the nightly backup.

Each job is a module-level function the job store names by reference; it
takes ids only and runs inside `scheduler.job_context()`. Jobs only notify:
what a drill is (upcoming, running, over) comes from its times alone.

Web requests (and, on the hub, the other workers) plan and change drills,
while only the scheduler's process runs jobs. So `reconcile_notices` runs
at start and every `scheduler_reconcile_seconds`: it settles the drill
notices that fell due and arms one date job (in UTC) per coming notice,
dropping those of cancelled, moved or deleted drills. A page that changed
a drill may call `arm_drill_notices` after its commit, to arm the change at
once when the scheduler runs in its process.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta, timezone

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import Engine

from buurt import backup, db, scheduler
from buurt.config import Settings
from buurt.events import notices
from buurt.events import service as events
from buurt.events.notice_models import Notice
from buurt.events.notice_views import notice_text

logger = logging.getLogger(__name__)

RECONCILE_JOB = "notices:reconcile"
PUSH_JOB = "notices:push"
MAINTENANCE_JOB = "housekeeping:maintenance"
BACKUP_JOB = "housekeeping:backup"
DRILL_JOB_PREFIX = "drill:"
HOUSEKEEPING_GRACE = int(notices.LONG_GRACE.total_seconds())
# A stored run time this close to the wanted one needs no re-arming.
ARM_TOLERANCE = timedelta(seconds=1)
NTFY_TAGS = {"remind-7d": ("date",), "remind-1d": ("date",),
             "remind-1h": ("alarm_clock",), "start": ("rotating_light",),
             "end": ("checkered_flag",), "backup-failed": ("warning",)}


def add_jobs(app: Flask, sched: BaseScheduler) -> None:
    """Arm the reconcile loop and the daily housekeeping at start-up."""
    settings: Settings = app.config["BUURT"]
    zone_name = settings.timezone

    # Reconcile once now, before stored jobs run, so that a restart settles
    # what fell due while the node was off and re-arms what is coming.
    with app.app_context():
        try:
            pushes = _reconcile(app, None)
        except Exception:
            logger.exception("reconciling notices at start failed; the "
                             "next run tries again")
            pushes = 0
    if pushes:
        _queue_push(sched)
    sched.add_job(f"{__name__}:reconcile_notices",
                  IntervalTrigger(seconds=settings.scheduler_reconcile_seconds,
                                  timezone=timezone.utc),
                  id=RECONCILE_JOB, name=RECONCILE_JOB,
                  replace_existing=True)

    hour, minute = scheduler.parse_local_time(settings.maintenance_check_at,
                                              "maintenance_check_at")
    scheduler.add_local_job(
        sched, MAINTENANCE_JOB, f"{__name__}:check_maintenance",
        scheduler.LocalTimeTrigger(hour, minute, scheduler.EVERY_DAY,
                                   zone_name), HOUSEKEEPING_GRACE)

    if backup.is_sqlite(settings):
        hour, minute = scheduler.parse_local_time(settings.backup_at,
                                                  "backup_at")
        scheduler.add_local_job(
            sched, BACKUP_JOB, f"{__name__}:nightly_backup",
            scheduler.LocalTimeTrigger(hour, minute, scheduler.EVERY_DAY,
                                       zone_name), HOUSEKEEPING_GRACE)


# Jobs ------------------------------------------------------------------------

def reconcile_notices() -> None:
    """Settle the drill notices that fell due and arm the coming ones."""
    with scheduler.job_context() as app:
        _reconcile(app, None)
        _push_pending(app)


def send_drill_notice(drill_id: int) -> None:
    """Settle a drill's notices when one of them falls due."""
    with scheduler.job_context() as app:
        _reconcile(app, [drill_id])
        _push_pending(app)


def push_notices() -> None:
    """Publish the notices that wait for the ntfy server."""
    with scheduler.job_context() as app:
        _push_pending(app)


def check_maintenance() -> None:
    """Post the item checks and improvement actions that fell due; daily."""
    with scheduler.job_context() as app:
        settings: Settings = app.config["BUURT"]
        hour, minute = scheduler.parse_local_time(
            settings.maintenance_check_at, "maintenance_check_at")
        now = scheduler.now()

        with db.session_scope(db.get_engine(app), write=True) as session:
            dues = (notices.maintenance_dues(session, settings.zone, hour,
                                             minute, now)
                    + notices.action_dues(session, settings.zone, hour,
                                          minute, now))
            for due in dues:
                notices.settle(session, due, now,
                               push=bool(settings.ntfy_url))
        _push_pending(app)


def nightly_backup() -> None:
    """Copy the node's database into the instance folder; nightly."""
    with scheduler.job_context() as app:
        settings: Settings = app.config["BUURT"]
        try:
            path = backup.create_backup(settings)
        except (OSError, sqlite3.Error, backup.BackupError) as error:
            logger.exception("nightly backup failed")
            _post_backup_failure(app, str(error))
            return
        logger.info("nightly backup written to %s", path)


def arm_notices_for(app: Flask, drill_ids: list[int]) -> None:
    """Arm or drop the notices of drills that a page or the API changed."""
    for drill_id in drill_ids:
        arm_drill_notices(app, drill_id)


def arm_drill_notices(app: Flask, drill_id: int) -> None:
    """Arm or drop a drill's notices now; call it after the change commits.

    A no-op when the scheduler does not run in this process (the hub's
    other workers, tests, the CLI): its reconcile then picks the change up.
    """
    if not scheduler.runs_in_this_process(app):
        return

    if _reconcile(app, [drill_id]):
        _queue_push(app.extensions["buurt_scheduler"])


# Steps -----------------------------------------------------------------------

def _reconcile(app: Flask, drill_ids: list[int] | None) -> int:
    """Settle and arm the notices of some drills (None: all); count pushes."""
    settings: Settings = app.config["BUURT"]
    engine = db.get_engine(app)
    now = scheduler.now()
    coming: dict[str, notices.Due] = {}
    owed: list[notices.Due] = []

    # Read first; take the write lock only when something fell due.
    with db.session_scope(engine) as session:
        for drill in notices.list_drills_to_notify(session, now, drill_ids):
            for due in notices.drill_dues(drill):
                if due.due_at > now:
                    coming[_job_id(due)] = due
                elif (notices.is_owed(due, drill)
                      and notices.get_notice(session, due) is None):
                    owed.append(due)

    settled = []
    if owed:
        with db.session_scope(engine, write=True) as session:
            for due in owed:
                notice = notices.settle(session, due, now,
                                        push=bool(settings.ntfy_url))
                if notice is not None:
                    settled.append(notice)

    for notice in settled:
        if notice.kind == "start" and notice.status == "sent":
            _snapshot_start(app, notice.ref_id)
    _arm(app.extensions["buurt_scheduler"], coming, drill_ids)
    return sum(1 for notice in settled if notice.push_state == "pending")


def _arm(sched: BaseScheduler, coming: dict[str, notices.Due],
         drill_ids: list[int] | None) -> None:
    """Make the stored drill jobs match the coming notices exactly."""
    wanted = {job_id: scheduler.to_real(due.due_at)
              for job_id, due in coming.items()}

    for job in sched.get_jobs():
        if not job.id.startswith(DRILL_JOB_PREFIX):
            continue
        if drill_ids is not None and _drill_of(job.id) not in drill_ids:
            continue
        run_at = wanted.get(job.id)
        if run_at is None:
            try:
                sched.remove_job(job.id)
            except JobLookupError:
                pass  # it just ran and went
        elif abs(job.next_run_time - run_at) <= ARM_TOLERANCE:
            del wanted[job.id]

    for job_id, run_at in wanted.items():
        sched.add_job(f"{__name__}:send_drill_notice",
                      DateTrigger(run_date=run_at, timezone=timezone.utc),
                      args=[_drill_of(job_id)], id=job_id, name=job_id,
                      replace_existing=True)


def _queue_push(sched: BaseScheduler) -> None:
    """Push from the scheduler's threads soon; nobody waits for ntfy."""
    sched.add_job(f"{__name__}:push_notices", id=PUSH_JOB, name=PUSH_JOB,
                  replace_existing=True)


def _job_id(due: notices.Due) -> str:
    """Return the stable job id of a drill notice, such as drill:7:start."""
    return f"{DRILL_JOB_PREFIX}{due.ref_id}:{due.kind}"


def _drill_of(job_id: str) -> int:
    """Return the drill id in a drill notice's job id."""
    return int(job_id.split(":")[1])


def _snapshot_start(app: Flask, drill_id: int) -> None:
    """Snapshot readiness as a drill starts; a failure loses no notice."""
    try:
        with db.session_scope(db.get_engine(app), write=True) as session:
            events.snapshot_readiness(session, drill_id, "start",
                                      app.config["BUURT"])
    except Exception:
        logger.exception("readiness snapshot at the start of drill %s "
                         "failed", drill_id)


def _push_pending(app: Flask) -> None:
    """Publish the sent notices that wait for ntfy, each at most once."""
    settings: Settings = app.config["BUURT"]
    if not settings.ntfy_url:
        return
    # Loaded when there is something to push, not with the pages.
    import requests

    engine = db.get_engine(app)
    now = scheduler.now()

    with db.session_scope(engine) as session:
        pending = notices.list_pending_pushes(session)
    for notice in pending:
        if now - notice.due_at > notices.GRACE[notice.kind]:
            _finish_push(engine, notice.id, "failed")
            continue
        with db.session_scope(engine, write=True) as session:
            claimed = notices.claim_push(session, notice.id or 0)
        if not claimed:
            continue

        title, message = notice_text(notice)
        try:
            notices.publish_ntfy(settings.ntfy_url, title, message,
                                 _tags(notice))
        except requests.RequestException as error:
            retry = notices.never_arrived(error)
            _finish_push(engine, notice.id, "pending" if retry else "failed")
            logger.warning("ntfy push of notice %s failed: %s", notice.id,
                           error)


def _finish_push(engine: Engine, notice_id: int | None, state: str) -> None:
    """Record the end of one push in its own transaction."""
    with db.session_scope(engine, write=True) as session:
        notices.finish_push(session, notice_id or 0, state)


def _tags(notice: Notice) -> tuple[str, ...]:
    """Return the ntfy tags (emoji names) that fit a notice."""
    return NTFY_TAGS.get(notice.kind, ("wrench",))


def _post_backup_failure(app: Flask, reason: str) -> None:
    """Tell the coordinators on the board that tonight's backup failed."""
    settings: Settings = app.config["BUURT"]
    now = scheduler.now()
    day = int(now.astimezone(settings.zone).strftime("%Y%m%d"))
    due = notices.Due("backup", day, "backup-failed", now, reason,
                      audience="coordinators")
    with db.session_scope(db.get_engine(app), write=True) as session:
        notices.settle(session, due, now, push=bool(settings.ntfy_url))
    _push_pending(app)
