"""Kill the node with -9 and start it again: drill notices are neither lost
nor sent twice; those too late are recorded as missed, once.

Each run is a real `buurt serve` on 127.0.0.1. The setting
`scheduler_clock` places its scheduler days apart without waiting days.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import Engine
from sqlmodel import select

from buurt import db
from buurt.events import service as events
from buurt.events.notice_models import Notice
from conftest import create_member, free_port, login, make_app, time_limit
from test_notices import NtfyServer

pytestmark = pytest.mark.slow
BUURT = Path(sys.executable).parent / "buurt"


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail, instead of hanging, when a node does not come up."""
    with time_limit(120):
        yield


class Node:
    """One `buurt serve` process on an instance folder, its clock moved."""

    def __init__(self, instance: Path, clock: datetime, ntfy_url: str,
                 log: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "BUURT_INSTANCE": str(instance),
               "BUURT_SCHEDULER": "on", "BUURT_NTFY_URL": ntfy_url,
               "BUURT_SCHEDULER_CLOCK": clock.isoformat()}
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [str(BUURT), "serve", "--host", "127.0.0.1", "--port",
             str(self.port)], env=env, stdout=self.log,
            stderr=subprocess.STDOUT)

    def wait_until_serving(self) -> None:
        """Wait until /healthz says the scheduler runs."""
        while True:
            assert self.process.poll() is None, "the node stopped"
            try:
                health = requests.get(
                    f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                if health.json()["scheduler"] == "running":
                    return
            except requests.ConnectionError:
                pass
            threading.Event().wait(0.1)

    def kill(self) -> None:
        """Pull the plug: SIGKILL, no shutdown of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.log.close()


def notices_by_kind(engine: Engine) -> dict[str, str]:
    """Return the status of each recorded notice of drill 1."""
    with db.session_scope(engine) as session:
        return {row.kind: row.status for row in session.exec(select(Notice))}


def wait_for(engine: Engine, expected: dict[str, str]) -> None:
    """Wait until the recorded notices are exactly `expected`."""
    while notices_by_kind(engine) != expected:
        threading.Event().wait(0.1)


def test_notices_survive_kill_and_restart_once_each(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    app = make_app(instance)
    engine = db.get_engine(app)
    starts = (db.utcnow() + timedelta(days=30)).replace(microsecond=0)
    with app.app_context(), db.session_scope(engine, write=True) as session:
        events.create_drill(session, app.config["BUURT"], scenario="power",
                            title="Stroom uit", starts_at=starts,
                            ends_at=starts + timedelta(hours=2))
    logs = []

    with NtfyServer() as ntfy:
        def run(clock: datetime, expected: dict[str, str],
                pushed: int) -> None:
            logs.append(tmp_path / f"node-{len(logs) + 1}.log")
            node = Node(instance, clock, ntfy.topic_url, logs[-1])
            try:
                node.wait_until_serving()
                wait_for(engine, expected)
                while len(ntfy.messages) < pushed:
                    threading.Event().wait(0.1)
            finally:
                node.kill()

        # 1. Two seconds before the week reminder: it fires, armed in UTC.
        run(starts - timedelta(days=7, seconds=2), {"remind-7d": "sent"}, 1)
        # 2. Back half an hour before the start: the day reminder is 23.5
        #    hours late (missed), the hour reminder 30 minutes (sent).
        run(starts - timedelta(minutes=30),
            {"remind-7d": "sent", "remind-1d": "missed",
             "remind-1h": "sent"}, 2)
        # 3. Killed and back a minute later, still inside the grace window.
        run(starts - timedelta(minutes=29),
            {"remind-7d": "sent", "remind-1d": "missed",
             "remind-1h": "sent"}, 2)
        # 4. Back half an hour after the end: the start is 2.5 hours late.
        run(starts + timedelta(hours=2, minutes=30),
            {"remind-7d": "sent", "remind-1d": "missed",
             "remind-1h": "sent", "start": "missed", "end": "sent"}, 3)

    assert [message["title"] for message in ntfy.messages] == [
        "Oefening over een week: Stroom uit",
        "Oefening over een uur: Stroom uit",
        "Oefening afgelopen: Stroom uit"]
    for log in logs:
        assert "Traceback" not in log.read_text()

    create_member(app, "anna")
    client = app.test_client()
    login(client, "anna")
    board = client.get("/notices").get_data(as_text=True)
    missed = board.split('id="missed"')[1].split("</section>")[0]
    assert missed.count("Oefening morgen: Stroom uit") == 1
    assert missed.count("Oefening begonnen: Stroom uit") == 1
    assert "Oefening over een uur" not in missed
