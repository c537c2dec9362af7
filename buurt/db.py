"""Database engine, sessions and the SQLite settings that keep writes safe.

On a node the database is a SQLite file in the instance folder. Every
connection gets the pragmas that make an acknowledged write survive a crash
(WAL journal, synchronous FULL) and that let two writers wait for each other
instead of failing (busy timeout, writes that begin immediately). The hub
runs the same code on PostgreSQL, where none of this is needed.
"""

from __future__ import annotations

import contextlib
import contextvars
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from flask import Flask, current_app, g, request
from sqlalchemy import DateTime, Engine, create_engine, event, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

BUSY_TIMEOUT_MS = 30_000

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "buurt_write_intent", default=False
)


def create_db_engine(url: str, synchronous: str = "FULL") -> Engine:
    """Create an engine; on SQLite, set the safety pragmas per connection."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)

    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself, so that a
        # write transaction can take the write lock at its start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Any) -> None:
        # A transaction that means to write takes the lock now; a deferred
        # one that later writes could fail with SQLITE_BUSY instead of waiting.
        mode = "BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN"
        connection.exec_driver_sql(mode)

    return engine


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Mark the transactions begun inside this block as write transactions."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextlib.contextmanager
def session_scope(engine: Engine, write: bool = False) -> Iterator[Session]:
    """Give a session that commits at the end, or rolls back on error.

    For the CLI, the scheduler and tests; web requests use get_session().
    """
    with contextlib.ExitStack() as stack:
        if write:
            stack.enter_context(writing())
        session = stack.enter_context(Session(engine, expire_on_commit=False))
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def init_app(app: Flask, engine: Engine) -> None:
    """Attach the engine to the app and give each request one session."""
    app.extensions["buurt_engine"] = engine

    @app.before_request
    def mark_writes() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            g.buurt_write_token = _write_intent.set(True)

    @app.teardown_request
    def close_session(_error: BaseException | None) -> None:
        session = g.pop("buurt_session", None)
        if session is not None:
            session.rollback()
            session.close()
        token = g.pop("buurt_write_token", None)
        if token is not None:
            _write_intent.reset(token)


def get_engine(app: Flask | None = None) -> Engine:
    """Return the engine of the given or current app."""
    engine: Engine = (app or current_app).extensions["buurt_engine"]
    return engine


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "buurt_session" not in g:
        g.buurt_session = Session(get_engine(), expire_on_commit=False)
    session: Session = g.buurt_session
    return session


def ping(engine: Engine) -> bool:
    """Tell whether the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def migrations_path() -> Path:
    """Return the folder of the Alembic migrations shipped with buurt."""
    return Path(str(resources.files("buurt.migrations")))


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to `revision` through the Alembic migrations."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    with writing(), engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision(s) the database is at, or None when empty."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as naive UTC; read them back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Any
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing a naive datetime: say its zone")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(
        self, value: datetime | None, dialect: Any
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(timezone.utc)
