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
import sqlite3
import threading
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, TypeVar

from flask import Flask, current_app, g, request
from sqlalchemy import DateTime, Engine, create_engine, event, inspect, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

BUSY_TIMEOUT_MS = 30_000
# The newest migration: `buurt serve` refuses a database at any other
# revision. A test holds it equal to Alembic's head, so a new migration
# moves it too.
SCHEMA_HEAD = "0006"
# Values kept by DataCache: a few per page and language is plenty.
CACHE_SIZE = 32

T = TypeVar("T")

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
    app.extensions["buurt_cache"] = DataCache(engine)

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


class DataCache:
    """Values computed from the database, kept until anything is written.

    SQLite's `PRAGMA data_version`, asked on a connection of the cache's
    own, changes whenever any other connection commits: a request or a job
    of this process, or a `buurt import` in another one. On PostgreSQL (the
    hub) and in-memory databases nothing is kept.
    """

    def __init__(self, engine: Engine, size: int = CACHE_SIZE) -> None:
        url = engine.url
        database = url.database or ""
        is_file = (url.get_backend_name() == "sqlite"
                   and database not in ("", ":memory:")
                   and not database.startswith("file:"))
        self._path = Path(database) if is_file else None
        self._size = size
        self._lock = threading.Lock()
        self._watcher: sqlite3.Connection | None = None
        # Versions count per connection: each new watcher starts an epoch.
        self._epoch = 0
        self._entries: dict[Hashable, tuple[tuple[int, int], Any]] = {}
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def version(self) -> tuple[int, int] | None:
        """Return the data version now; None when nothing can be kept."""
        if self._path is None:
            return None

        with self._lock:
            try:
                if self._watcher is None:
                    if not self._path.exists():
                        return None
                    self._watcher = sqlite3.connect(
                        self._path, check_same_thread=False,
                        isolation_level=None)
                    self._epoch += 1
                row = self._watcher.execute("PRAGMA data_version").fetchone()
                return self._epoch, int(row[0])
            except sqlite3.Error:
                self._watcher = None
                return None

    def close(self) -> None:
        """Close the watching connection and forget every value."""
        with self._lock:
            if self._watcher is not None:
                self._watcher.close()
            self._watcher = None
            self._entries.clear()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the value kept under `key`, computing it when stale.

        The version is read before computing, so a value never claims a
        newer version than the data it was computed from.
        """
        version = self.version()
        if version is None:
            return compute()
        with self._lock:
            kept = self._entries.get(key)
        if kept is not None and kept[0] == version:
            value: T = kept[1]
            return value

        value = compute()
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (version, value)
            while len(self._entries) > self._size:
                del self._entries[next(iter(self._entries))]
        return value


def cached(key: Hashable, compute: Callable[[Session], T]) -> T:
    """Return `compute(session)`, kept until the database changes.

    Only for what is the same for every member, and never to be changed
    by the caller: the value is shared between requests. It is computed in
    a session of its own, begun after the version was read; the request's
    session may hold an older snapshot of the data.
    """
    cache: DataCache = current_app.extensions["buurt_cache"]

    def fresh() -> T:
        with Session(get_engine(), expire_on_commit=False) as session:
            return compute(session)

    return cache.get(key, fresh)


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
    """Return the schema revision(s) the database is at, or None when empty.

    Read from Alembic's version table with plain SQL, so that checking the
    schema does not load Alembic (11 MB) into the serving process.
    """
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        heads = connection.execute(
            text("SELECT version_num FROM alembic_version")).scalars().all()
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
