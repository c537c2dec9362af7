"""The one in-process scheduler of a node; features register their jobs.

Only `buurt serve` starts it. Every other CLI verb, test and worker leaves
it off, so that a job never runs twice.
"""

from __future__ import annotations

import logging
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

logger = logging.getLogger(__name__)

JobRegistrar = Callable[[Flask, BackgroundScheduler], None]
_registrars: list[JobRegistrar] = []


def register(registrar: JobRegistrar) -> JobRegistrar:
    """Remember a feature's function that adds its jobs at start-up."""
    if registrar not in _registrars:
        _registrars.append(registrar)
    return registrar


def init_app(app: Flask) -> None:
    """Prepare the app to report its scheduler state; start nothing."""
    app.extensions["buurt_scheduler"] = None


def start(app: Flask) -> BackgroundScheduler:
    """Start the scheduler and let every feature add its jobs."""
    settings = app.config["BUURT"]
    scheduler = BackgroundScheduler(timezone="UTC")
    for registrar in _registrars:
        registrar(app, scheduler)
    scheduler.start()
    app.extensions["buurt_scheduler"] = scheduler
    logger.info("scheduler started (%s role)", settings.role)
    return scheduler


def state(app: Flask) -> str:
    """Say whether the scheduler is running, stopped, or off in this process."""
    scheduler = app.extensions.get("buurt_scheduler")
    if scheduler is None:
        return "off"
    return "running" if scheduler.running else "stopped"
