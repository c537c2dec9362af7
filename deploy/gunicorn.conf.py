"""Gunicorn settings for the hub: several workers, exactly one scheduler.

    BUURT_INSTANCE=/srv/buurt BUURT_ROLE=hub \
    BUURT_DATABASE_URL=postgresql+psycopg://buurt@localhost/buurt \
    gunicorn -c deploy/gunicorn.conf.py

Each worker loads `buurt.wsgi:app`, then tries to start the scheduler; the
one that wins the lock (a PostgreSQL advisory lock on the hub, a file in
the instance folder on SQLite) runs it and the others run none. The lock
is taken after the fork, so no two workers ever share it. See
deploy/scheduler.md.
"""

import logging
import sys
from typing import Any

from buurt import scheduler

wsgi_app = "buurt.wsgi:app"
bind = "127.0.0.1:8000"
workers = 3
loglevel = "info"


def on_starting(server: Any) -> None:
    """Send buurt's log lines (jobs run, notices sent) to the error log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"))
    buurt_logger = logging.getLogger("buurt")
    buurt_logger.addHandler(handler)
    buurt_logger.setLevel(logging.INFO)


def post_worker_init(worker: Any) -> None:
    """Let this worker try to become the one that runs the scheduler."""
    scheduler.start_in_worker(worker.wsgi)


def worker_exit(server: Any, worker: Any) -> None:
    """Stop the scheduler with its worker, freeing the lock at once."""
    app = getattr(worker, "wsgi", None)
    if app is not None:
        scheduler.stop(app)
