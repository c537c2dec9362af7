"""`buurt backup` and `buurt restore`, and the nightly backup job."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import pytest
from click.testing import Result
from flask import Flask
from sqlmodel import select

from buurt import backup, config, db, scheduler
from buurt.events import jobs
from buurt.events.notice_models import Notice
from buurt.inventory import service as inventory
from buurt.inventory.models import Household
from conftest import make_app, time_limit

RunCli = Callable[..., Result]


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail, instead of hanging, when a copy never ends."""
    with time_limit(60):
        yield


def add_household(app: Flask, address: str) -> None:
    """Register one household."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        inventory.create_household(session, address)


def addresses(app: Flask) -> list[str]:
    """List the registered addresses."""
    with db.session_scope(db.get_engine(app)) as session:
        return sorted(h.address for h in session.exec(select(Household)))


def test_backup_copies_the_live_database_into_the_instance(
        app: Flask, run_cli: RunCli, instance: Path) -> None:
    add_household(app, "Lindenlaan 1")

    result = run_cli("backup")

    assert result.exit_code == 0, result.output
    copies = backup.list_backups(app.config["BUURT"])
    assert len(copies) == 1 and str(copies[0]) in result.output
    assert copies[0].parent == instance / "backups"
    with sqlite3.connect(copies[0]) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert copy.execute("SELECT address FROM household").fetchall() == [
            ("Lindenlaan 1",)]


def test_only_the_newest_backups_are_kept(instance: Path) -> None:
    app = make_app(instance, backups_kept=2)
    settings = app.config["BUURT"]
    stamps = ["2026-03-27T02:00:00+00:00", "2026-03-28T02:00:00+00:00",
              "2026-03-29T02:00:00+00:00"]

    for stamp in stamps:
        backup.create_backup(settings,
                             now=datetime.fromisoformat(stamp))

    assert [path.name for path in backup.list_backups(settings)] == [
        "buurt-20260328-020000.db", "buurt-20260329-020000.db"]


def test_backup_to_a_chosen_file_prunes_nothing(
        app: Flask, run_cli: RunCli, tmp_path: Path) -> None:
    stick = tmp_path / "usb" / "buurt.db"

    result = run_cli("backup", "--out", str(stick))

    assert result.exit_code == 0, result.output
    assert stick.exists()
    assert backup.list_backups(app.config["BUURT"]) == []


def test_restore_brings_the_backup_back_and_keeps_what_it_replaced(
        app: Flask, run_cli: RunCli, tmp_path: Path) -> None:
    add_household(app, "Lindenlaan 1")
    saved = tmp_path / "saved.db"
    assert run_cli("backup", "--out", str(saved)).exit_code == 0
    add_household(app, "Lindenlaan 2")

    result = run_cli("restore", str(saved), "--yes")

    assert result.exit_code == 0, result.output
    assert addresses(app) == ["Lindenlaan 1"]
    before = [path for path in (tmp_path / "instance" / "backups").iterdir()
              if path.name.startswith("before-restore-")]
    with sqlite3.connect(before[0]) as copy:
        assert len(copy.execute("SELECT id FROM household").fetchall()) == 2


def test_restore_refuses_a_file_that_is_no_buurt_database(
        app: Flask, run_cli: RunCli, tmp_path: Path) -> None:
    add_household(app, "Lindenlaan 1")
    notes = tmp_path / "notes.db"
    notes.write_text("boodschappenlijst")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()

    garbage = run_cli("restore", str(notes), "--yes")
    foreign = run_cli("restore", str(empty), "--yes")

    assert garbage.exit_code == 1
    assert "not a SQLite database" in garbage.output
    assert foreign.exit_code == 1
    assert "not a buurt database" in foreign.output
    assert addresses(app) == ["Lindenlaan 1"]


def test_restore_refuses_while_the_node_runs(
        app: Flask, run_cli: RunCli, tmp_path: Path) -> None:
    saved = tmp_path / "saved.db"
    assert run_cli("backup", "--out", str(saved)).exit_code == 0
    other = make_app(tmp_path / "instance", scheduler="on")
    assert scheduler.start(other) is not None
    try:
        result = run_cli("restore", str(saved), "--yes")
    finally:
        scheduler.stop(other)

    assert result.exit_code == 1
    assert "stop `buurt serve` first" in result.output


def test_restore_asks_before_replacing(app: Flask, run_cli: RunCli,
                                       tmp_path: Path) -> None:
    saved = tmp_path / "saved.db"
    assert run_cli("backup", "--out", str(saved)).exit_code == 0
    add_household(app, "Lindenlaan 2")

    result = run_cli("restore", str(saved), input="n\n")

    assert result.exit_code == 1
    assert addresses(app) == ["Lindenlaan 2"]


def test_the_hub_is_told_to_use_pg_dump(tmp_path: Path) -> None:
    settings = config.load_settings(tmp_path, environ={}, overrides={
        "database_url": "postgresql+psycopg://postgres@127.0.0.1/hub"})

    with pytest.raises(backup.BackupError) as error:
        backup.create_backup(settings)

    assert "pg_dump" in str(error.value)


def test_nightly_backup_job_writes_a_copy_or_tells_the_coordinators(
        app: Flask) -> None:
    settings = app.config["BUURT"]
    assert scheduler.start(app) is not None
    try:
        jobs.nightly_backup()
        written = backup.list_backups(settings)
        # A file where the folder should be makes the next backup fail.
        for path in written:
            path.unlink()
        backup.backup_folder(settings).rmdir()
        backup.backup_folder(settings).write_text("not a folder")
        jobs.nightly_backup()
    finally:
        scheduler.stop(app)

    assert len(written) == 1
    with db.session_scope(db.get_engine(app)) as session:
        failures = list(session.exec(select(Notice)))
    assert [(n.kind, n.audience, n.status) for n in failures] == [
        ("backup-failed", "coordinators", "sent")]
