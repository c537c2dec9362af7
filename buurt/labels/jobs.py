"""The monthly paper plan: both copies written into the instance folder.

If the web pages ever fail, the latest plan can still be printed from
`<instance>/plans/`. The job runs every day at PLAN_TIME and writes only
when this month's plans are missing, so a node that was off on the first
of the month catches up on the next morning it runs.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask
from sqlalchemy import Engine

from buurt import db, scheduler
from buurt.config import Settings
from buurt.labels import output

logger = logging.getLogger(__name__)

PLAN_JOB = "labels:monthly-plans"
PLAN_TIME = (4, 40)
GRACE_SECONDS = 12 * 3600


def add_jobs(app: Flask, sched: BaseScheduler) -> None:
    """Arm the daily look for a missing monthly plan."""
    settings: Settings = app.config["BUURT"]
    hour, minute = PLAN_TIME
    scheduler.add_local_job(
        sched, PLAN_JOB, f"{__name__}:regenerate_plans",
        scheduler.LocalTimeTrigger(hour, minute, scheduler.EVERY_DAY,
                                   settings.timezone), GRACE_SECONDS)


def regenerate_plans() -> None:
    """Write this month's street and coordinator plans, once a month."""
    with scheduler.job_context() as app:
        written = write_monthly_plans(db.get_engine(app), app.config["BUURT"],
                                      scheduler.now())
    if written:
        logger.info("monthly plans written: %s",
                    ", ".join(path.name for path in written))


def write_monthly_plans(engine: Engine, settings: Settings, now: datetime,
                        force: bool = False) -> list[Path]:
    """Write both copies of the plan, dated, unless this month has them.

    Call inside an app context with the language forced. Returns the files
    written; none when this month's plans exist already (unless `force`).
    """
    today = now.astimezone(settings.zone).date()
    folder = Path(settings.instance) / output.PLAN_FOLDER
    done = all(
        any(folder.glob(f"{output.plan_stem(copy)}-{today:%Y-%m}-*.pdf"))
        for copy in (False, True))
    if done and not force:
        return []

    written = []
    for coordinator in (False, True):
        with db.session_scope(engine) as session:
            data = output.plan(session, settings, coordinator, now)
        path = folder / output.plan_name(coordinator, today)
        output.save(path, data, private=coordinator)
        written.append(path)
    return written
