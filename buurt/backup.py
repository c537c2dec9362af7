"""Copies of a node's SQLite database: nightly, on demand, and back again.

SQLite's online backup API copies a consistent state while the node keeps
serving. Copies go to `<instance>/backups/` and the newest `backups_kept`
stay; `--out` writes one anywhere else (a USB stick) and prunes nothing.
The hub's PostgreSQL database is backed up with its own tools (pg_dump).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from buurt.config import Settings
from buurt.db import utcnow

BACKUP_DIR = "backups"
PREFIX = "buurt-"
SUFFIX = ".db"


class BackupError(Exception):
    """A backup or restore that cannot be made; the message says why."""


def is_sqlite(settings: Settings) -> bool:
    """Tell whether this instance keeps its data in a SQLite file."""
    return settings.database_url.startswith("sqlite")


def database_file(settings: Settings) -> Path:
    """Return the node's database file; raise BackupError on the hub."""
    if not is_sqlite(settings):
        raise BackupError("this instance uses PostgreSQL: back it up with "
                          "pg_dump, not `buurt backup`")
    name = make_url(settings.database_url).database
    if not name or name == ":memory:":
        raise BackupError("this instance's database is not a file")
    return Path(name)


def backup_folder(settings: Settings) -> Path:
    """Return the folder that keeps the nightly backups."""
    return Path(settings.instance) / BACKUP_DIR


def create_backup(settings: Settings, out: Path | None = None,
                  now: datetime | None = None) -> Path:
    """Copy the database to `out`, or to a new file in the backup folder.

    Without `out`, older backups beyond `backups_kept` are removed.
    Raises BackupError, OSError or sqlite3.Error when no copy was made.
    """
    source = database_file(settings)
    if not source.exists():
        raise BackupError(f"there is no database at {source} yet: run "
                          "`buurt init` first")
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    target = out or backup_folder(settings) / f"{PREFIX}{stamp}{SUFFIX}"

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    _copy(source, partial)
    _sync(partial)
    os.replace(partial, target)
    _sync(target.parent)

    if out is None:
        prune_backups(settings)
    return target


def list_backups(settings: Settings) -> list[Path]:
    """List the backups in the backup folder, oldest first."""
    folder = backup_folder(settings)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))


def prune_backups(settings: Settings) -> list[Path]:
    """Remove all but the newest `backups_kept` backups; return the removed."""
    backups = list_backups(settings)
    removed = backups[:-settings.backups_kept]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def check_backup(path: Path) -> None:
    """Refuse a file that is not a sound buurt database; raise BackupError."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite database ({error})")
    if verdict is None or verdict[0] != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a buurt database")


def restore_backup(settings: Settings, path: Path,
                   now: datetime | None = None) -> Path:
    """Replace the database's contents with a backup; return a safety copy.

    The current contents are first saved to the backup folder, so a wrong
    restore can itself be undone. Raises BackupError before changing
    anything when the backup is unsound.
    """
    check_backup(path)
    target = database_file(settings)
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    safety = backup_folder(settings) / f"before-restore-{stamp}{SUFFIX}"
    if target.exists():
        create_backup(settings, out=safety)

    _copy(path, target, standalone=False)
    return safety


def _copy(source: Path, target: Path, standalone: bool = True) -> None:
    """Copy one SQLite database into another through the backup API.

    A `standalone` copy is switched to a rollback journal, so that it is
    one self-contained file; otherwise the target goes (back) to WAL.
    """
    with (contextlib.closing(sqlite3.connect(source)) as origin,
          contextlib.closing(sqlite3.connect(target)) as copy):
        origin.backup(copy)
        mode = "DELETE" if standalone else "WAL"
        copy.execute(f"PRAGMA journal_mode={mode}")


def _sync(path: Path) -> None:
    """Flush a file or folder to the disk, so a power cut keeps it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
