"""Fixtures: an app on a real SQLite file, clients, a CLI runner, members.

Tests that need a system tool (Chromium, zbar, PostgreSQL) call
`require_tool()`: it skips with a message naming the tool, except under
BUURT_TEST_STRICT=1 (set by .ci/run), where a missing tool fails the test.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlmodel import Session

from buurt import create_app, db
from buurt.accounts import service as accounts
from buurt.accounts.models import Member
from buurt.inventory import service as inventory

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
LINDENLAAN_CSV = SHARED_DATA / "buurt-inventaris-lindenlaan.csv"
THREAT_NETWORK = SHARED_DATA / "threat-network-2025-06.json"
PIN = "246810"
STRICT = os.environ.get("BUURT_TEST_STRICT") == "1"


def require_tool(name: str, available: bool, hint: str = "") -> None:
    """Skip (or, under BUURT_TEST_STRICT=1, fail) when a tool is missing."""
    if available:
        return
    message = f"{name} is not available{': ' + hint if hint else ''}"
    if STRICT:
        pytest.fail(f"BUURT_TEST_STRICT=1 and {message}")
    pytest.skip(message)


def require_executable(name: str, path: str | None = None) -> str:
    """Return the path of an executable, or skip/fail naming it."""
    found = path if path and os.access(path, os.X_OK) else shutil.which(name)
    require_tool(name, found is not None,
                 "install it (see .ci/run) to run this test")
    return str(found)


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail with TimeoutError, instead of hanging, past `seconds`."""
    def expire(_signum: int, _frame: Any) -> None:
        raise TimeoutError(f"gave up after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_settings(**overrides: Any) -> dict[str, Any]:
    """Return the settings every test app starts from."""
    settings = {"scheduler": "off", "base_url": "http://127.0.0.1:8080",
                "summary_url": "", "hub_url": "", "ntfy_url": ""}
    settings.update(overrides)
    return settings


def make_app(instance: Path, **overrides: Any) -> Flask:
    """Create and migrate an app in `instance`, as `buurt init` would."""
    app = create_app(instance, overrides=app_settings(**overrides),
                     environ={})
    app.config["TESTING"] = True
    engine = db.get_engine(app)
    db.upgrade(engine)
    with db.session_scope(engine, write=True) as session:
        inventory.ensure_neighbourhood(session, app.config["BUURT"],
                                       name="Lindenlaan")
    return app


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Return the URL of a fresh, empty PostgreSQL database, dropped after."""
    import psycopg

    admin = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    name = f"buurt_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        connection = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        require_tool("PostgreSQL at 127.0.0.1:5432", False, str(error))
        raise
    with connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """Return an empty instance folder."""
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def app(instance: Path) -> Iterator[Flask]:
    """Return a migrated node app on a SQLite file, scheduler off."""
    app = make_app(instance)
    yield app
    db.get_engine(app).dispose()


@pytest.fixture
def engine(app: Flask) -> Any:
    """Return the app's engine."""
    return db.get_engine(app)


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """Give a session on the app's database, committed at the end."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client without a member logged in."""
    return app.test_client()


@pytest.fixture
def run_cli(app: Flask) -> Callable[..., Result]:
    """Run a `buurt` verb against the test app."""
    from buurt import FEATURES
    from buurt.cli import main

    for feature in FEATURES:
        feature.init_cli(main)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, list(args), input=input,
                             obj=ScriptInfo(create_app=lambda: app))

    return invoke


def create_member(app: Flask, username: str, role: str = "resident",
                  household_id: int | None = None) -> Member:
    """Create a member through the accounts service."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        return accounts.create_member(session, username, PIN,
                                      username.title(), role=role,
                                      household_id=household_id)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and return the CSRF token of its form."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, pin: str = PIN) -> None:
    """Log a member in through the real login form."""
    response = client.post("/login", data={
        "username": username, "pin": pin,
        "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def coordinator(app: Flask) -> Member:
    """Return a coordinator member."""
    return create_member(app, "coco", role="coordinator")


@pytest.fixture
def coordinator_client(app: Flask, coordinator: Member) -> FlaskClient:
    """Return a client logged in as a coordinator."""
    client = app.test_client()
    login(client, coordinator.username)
    return client


@pytest.fixture
def coordinator_headers(app: Flask, coordinator: Member) -> dict[str, str]:
    """Return API headers with a coordinator's bearer token."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        member = session.get(Member, coordinator.id)
        assert member is not None
        token = accounts.create_token(session, member, "tests")
    return {"Authorization": f"Bearer {token}"}


def bearer_headers(app: Flask, member: Member) -> dict[str, str]:
    """Return API headers with a bearer token for `member`."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        row = session.get(Member, member.id)
        assert row is not None
        token = accounts.create_token(session, row, "tests")
    return {"Authorization": f"Bearer {token}"}
