"""The hub under gunicorn with three workers runs one scheduler: each job
run happens once, in one worker, on SQLite (file lock) and on PostgreSQL
(advisory lock)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
import requests

from buurt import db
from buurt.events import service as events
from conftest import REPO, free_port, make_app, require_executable, time_limit

pytestmark = pytest.mark.slow
WORKERS = 3
RECONCILE_RUNS = 4
RAN = re.compile(r"\[(\d+)\] INFO buurt\.scheduler: job (\S+) ran")


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail, instead of hanging, when gunicorn does not come up."""
    with time_limit(120):
        yield


def job_runs(log: Path) -> list[tuple[int, str]]:
    """Return (pid, job id) for every job run the log reports."""
    return [(int(pid), job) for pid, job in RAN.findall(log.read_text())]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_three_workers_run_each_job_once(
        tmp_path: Path, database: str, request: pytest.FixtureRequest
        ) -> None:
    gunicorn = require_executable(
        "gunicorn", str(Path(sys.executable).parent / "gunicorn"))
    instance = tmp_path / "instance"
    instance.mkdir()
    overrides = {}
    if database == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    app = make_app(instance, **overrides)
    starts = (db.utcnow() + timedelta(days=30)).replace(microsecond=0)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        events.create_drill(session, app.config["BUURT"], scenario="power",
                            title="Stroom uit", starts_at=starts,
                            ends_at=starts + timedelta(hours=2))
    db.get_engine(app).dispose()

    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "BUURT_INSTANCE": str(instance),
           "BUURT_ROLE": "hub", "BUURT_SCHEDULER": "on", "BUURT_NTFY_URL": "",
           "BUURT_SCHEDULER_RECONCILE_SECONDS": "1",
           # The start notice falls due three seconds after start-up.
           "BUURT_SCHEDULER_CLOCK": (starts - timedelta(seconds=3))
           .isoformat()}
    if "database_url" in overrides:
        env["BUURT_DATABASE_URL"] = overrides["database_url"]
    with log.open("w") as output:
        server = subprocess.Popen(
            [gunicorn, "-c", str(REPO / "deploy" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)],
            env=env, stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path)
        try:
            while True:
                assert server.poll() is None, log.read_text()
                runs = job_runs(log)
                reconciles = [run for run in runs
                              if run[1] == "notices:reconcile"]
                if (len(reconciles) >= RECONCILE_RUNS
                        and ("drill:1:start" in {job for _, job in runs})):
                    break
                threading.Event().wait(0.2)
            health = requests.get(f"http://127.0.0.1:{port}/healthz",
                                  timeout=5)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait()

    text = log.read_text()
    runs = job_runs(log)
    booted = set(re.findall(r"Booting worker with pid: (\d+)", text))
    assert len(booted) == WORKERS
    assert len({pid for pid, _ in runs}) == 1
    assert [job for _, job in runs].count("drill:1:start") == 1
    assert health.json()["role"] == "hub"
    assert "Traceback" not in text
