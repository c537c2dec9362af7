"""The scheduled sync: every few hours, backing off while offline.

The job wakes every quarter of an hour and syncs only when it is due: the
regular interval (summary_sync_hours) after a good answer, doubled for
each failed try in a row, up to a day. The delay is worked out from the
recorded attempts, so a restart does not reset it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import Engine

from buurt.config import Settings
from buurt.db import get_engine, session_scope, utcnow
from buurt.scheduler import job_context, now as scheduler_now
from buurt.threats import service, sync
from buurt.threats.models import SyncAttempt

logger = logging.getLogger(__name__)

CHECK_MINUTES = 15
MAX_DELAY = timedelta(hours=24)
RECENT_ATTEMPTS = 12

JOB_ID = "threats.sync_summary"


def register_jobs(app: Flask, scheduler: BackgroundScheduler) -> None:
    """Add the threat summary sync to the scheduler."""
    scheduler.add_job("buurt.threats.jobs:sync_summary_job", "interval",
                      minutes=CHECK_MINUTES, id=JOB_ID, name=JOB_ID,
                      replace_existing=True, jitter=120,
                      next_run_time=utcnow() + timedelta(minutes=1))


def sync_summary_job() -> None:
    """Sync the threat summary from the publisher when it is due."""
    with job_context() as app:
        sync_if_due(get_engine(app), app.config["BUURT"], scheduler_now())


def sync_if_due(engine: Engine, settings: Settings,
                now: datetime) -> SyncAttempt | None:
    """Sync when the back-off allows it; return the attempt, or None."""
    if not settings.summary_url or not settings.summary_public_key:
        return None
    with session_scope(engine) as session:
        attempts = service.list_attempts(session, RECENT_ATTEMPTS,
                                         source="url")
    due = next_sync_at(attempts, timedelta(hours=settings.summary_sync_hours))
    if due is not None and now < due:
        return None

    logger.info("threat summary sync started")
    try:
        attempt = sync.sync_from_url(engine, settings, now)
    except service.NotConfigured as error:
        logger.warning("threat summary sync skipped: %s", error)
        return None
    logger.info("threat summary sync finished: %s %s", attempt.outcome,
                attempt.reason)
    return attempt


def next_sync_at(attempts: list[SyncAttempt],
                 interval: timedelta) -> datetime | None:
    """Return when the next sync is due; None means now.

    `attempts` are the latest tries from the publisher's URL, newest first.
    """
    if not attempts:
        return None
    failures = 0
    for attempt in attempts:
        if attempt.outcome != "rejected":
            break
        failures += 1
    delay = min(interval * 2 ** failures, MAX_DELAY)
    return attempts[0].attempted_at + delay
