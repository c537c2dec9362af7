"""What keeps the node fast and small stays in place; what it keeps is true.

The figures themselves are measured in `bench/` (README, "Performance");
these tests hold the behaviour behind them: the serving process starts
without the PDF, signing, HTTP and migration libraries, the schema check
knows the newest migration, and a page kept between requests shows every
write on the next request, from this process or from another one.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from buurt import GC_YOUNG_THRESHOLD, db, settle_for_serving
from buurt.inventory import service
from conftest import (create_member, csrf_token, free_port, login,
                      time_limit)

BUURT = Path(sys.executable).parent / "buurt"
# Loaded only when a PDF or QR code is made, a signature checked, a
# summary fetched or a migration run; together about 45 MB.
HEAVY = ("fpdf", "PIL", "fontTools", "qrcode", "cryptography", "requests",
         "urllib3", "alembic", "mako")


@pytest.fixture
def resident(app: Flask) -> FlaskClient:
    """Return a client logged in as a resident of Lindenlaan 1."""
    household_id = write(app, lambda session: service.create_household(
        session, "Lindenlaan 1", 2).id)
    create_member(app, "anna", household_id=household_id)
    client = app.test_client()
    login(client, "anna")
    return client


def write(app: Flask, work: Callable[[Session], Any]) -> Any:
    """Run `work` in a committed session of its own; return its answer."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        return work(session)


def shared_page(client: FlaskClient, language: str = "en") -> str:
    """Return the text of the street's shared list."""
    page = client.get("/shared", headers={"Accept-Language": language})
    assert page.status_code == 200
    return page.get_data(as_text=True)


def serve(instance: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start `buurt serve` on 127.0.0.1, telling Python to log imports."""
    environ = {**os.environ, "BUURT_INSTANCE": str(instance),
               "BUURT_SCHEDULER": "on", "BUURT_SUMMARY_URL": "",
               "BUURT_HUB_URL": "", "BUURT_NTFY_URL": ""}
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-X", "importtime", str(BUURT), "serve",
             "--host", "127.0.0.1", "--port", str(port)],
            env=environ, stdout=subprocess.DEVNULL, stderr=output,
            stdin=subprocess.DEVNULL)


def wait_for_health(process: subprocess.Popen[bytes], port: int) -> None:
    """Return once /healthz answers 200."""
    while True:
        assert process.poll() is None, "buurt serve stopped"
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz",
                            timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        threading.Event().wait(0.05)


def imported_packages(log: Path) -> set[str]:
    """Return the top-level packages named in an importtime log."""
    names = set()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


# Start-up --------------------------------------------------------------------

def test_serve_starts_without_pdf_signing_http_or_migration_libraries(
        app: Flask, instance: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "importtime.log"
    process = serve(instance, port, log)
    try:
        with time_limit(60):
            wait_for_health(process, port)
        for path in ("/", "/login"):
            assert requests.get(f"http://127.0.0.1:{port}{path}",
                                timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)

    packages = imported_packages(log)
    assert "flask" in packages and "waitress" in packages
    assert packages.isdisjoint(HEAVY), sorted(packages & set(HEAVY))


def test_schema_head_is_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(db.migrations_path()))
    heads = ScriptDirectory.from_config(config).get_heads()

    assert heads == [db.SCHEMA_HEAD], (
        f"the newest migration is {heads}: set SCHEMA_HEAD in buurt/db.py")


def test_current_revision_is_read_without_alembic(engine: Any,
                                                   tmp_path: Path) -> None:
    empty = db.create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")

    assert db.current_revision(engine) == db.SCHEMA_HEAD
    assert db.current_revision(empty) is None
    empty.dispose()


def test_serve_refuses_a_database_behind_the_newest_migration(
        app: Flask, instance: Path) -> None:
    engine = db.get_engine(app)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version "
                                   "SET version_num = '0001'")

    result = subprocess.run(
        [str(BUURT), "serve", "--host", "127.0.0.1", "--port",
         str(free_port())], capture_output=True, text=True, timeout=60,
        env={**os.environ, "BUURT_INSTANCE": str(instance),
             "BUURT_SCHEDULER": "off"})

    assert result.returncode != 0
    assert "buurt db upgrade" in result.stderr
    assert f"needs {db.SCHEMA_HEAD}" in result.stderr


def test_serving_freezes_start_up_objects_and_collects_less_often(
        ) -> None:
    threshold = gc.get_threshold()
    try:
        settle_for_serving()

        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_login_is_still_limited_per_address(app: Flask) -> None:
    create_member(app, "anna")
    client = app.test_client()
    token = csrf_token(client)
    answers = [client.post("/login", data={
        "username": "anna", "pin": "000000", "csrf_token": token}
    ).status_code for _ in range(11)]

    assert 429 not in answers[:10]
    assert answers[10] == 429


# The shared list, kept between requests --------------------------------------

def test_shared_list_shows_a_write_of_this_process_on_the_next_request(
        app: Flask, resident: FlaskClient) -> None:
    household_id = write(app, lambda session: service.create_household(
        session, "Lindenlaan 3", 2).id)
    assert "Noodradio" not in shared_page(resident)
    assert "Noodradio" not in shared_page(resident)

    write(app, lambda session: service.pledge_resource(
        session, household_id, "radio", "Noodradio"))

    assert "Noodradio" in shared_page(resident)


def test_shared_list_shows_a_write_of_another_process_on_the_next_request(
        app: Flask, resident: FlaskClient, instance: Path) -> None:
    household_id = write(app, lambda session: service.create_household(
        session, "Lindenlaan 3", 2).id)
    write(app, lambda session: service.pledge_resource(
        session, household_id, "radio", "Noodradio"))
    assert "Noodradio" in shared_page(resident)

    database = db.get_engine(app).url.database
    script = ("import sqlite3, sys\n"
              "with sqlite3.connect(sys.argv[1]) as connection:\n"
              "    connection.execute(\"UPDATE resource SET name = "
              "'Wereldontvanger'\")\n")
    subprocess.run([sys.executable, "-c", script, str(database)],
                   check=True, timeout=60)

    page = shared_page(resident)
    assert "Wereldontvanger" in page
    assert "Noodradio" not in page


def test_shared_list_is_kept_per_language(app: Flask,
                                          resident: FlaskClient) -> None:
    household_id = write(app, lambda session: service.create_household(
        session, "Lindenlaan 3", 2).id)
    write(app, lambda session: service.pledge_resource(
        session, household_id, "radio", "Noodradio"))

    assert "<h2>Information</h2>" in shared_page(resident, "en")
    assert "<h2>Informatie</h2>" in shared_page(resident, "nl")
    assert "<h2>Information</h2>" in shared_page(resident, "en")


def test_inventory_shows_a_new_household_on_the_next_request(
        app: Flask, coordinator_client: FlaskClient) -> None:
    def inventory() -> str:
        page = coordinator_client.get("/inventory")
        assert page.status_code == 200
        return page.get_data(as_text=True)

    assert "Lindenlaan 9" not in inventory()
    assert "Lindenlaan 9" not in inventory()
    write(app, lambda session: service.create_household(
        session, "Lindenlaan 9", 4))

    assert "Lindenlaan 9" in inventory()


def test_threat_advice_follows_a_new_pledge_on_the_next_request(
        app: Flask, resident: FlaskClient) -> None:
    def coverage() -> dict[str, float]:
        answer = resident.get("/api/v1/threats")
        assert answer.status_code == 200
        return {item["id"]: item["coverage"]
                for advice in answer.get_json()["street"]
                for item in advice["essential_functions"]}

    before = coverage()
    assert before == coverage()
    household_id = write(app, lambda session: service.create_household(
        session, "Lindenlaan 3", 2).id)
    write(app, lambda session: service.pledge_resource(
        session, household_id, "radio", "Noodradio"))

    after = coverage()
    assert after["information"] > before["information"]


# The cache itself ------------------------------------------------------------

@pytest.fixture
def data_cache(app: Flask) -> Iterator[db.DataCache]:
    """Return a small cache on the app's database."""
    yield db.DataCache(db.get_engine(app), size=2)


def counting(answers: list[str], value: str) -> Callable[[], str]:
    """Return a computation that notes each time it runs."""
    def compute() -> str:
        answers.append(value)
        return value
    return compute


def test_cache_computes_again_only_after_a_write(
        app: Flask, data_cache: db.DataCache) -> None:
    runs: list[str] = []
    data_cache.get("street", counting(runs, "a"))
    data_cache.get("street", counting(runs, "a"))
    assert runs == ["a"]

    write(app, lambda session: service.create_household(
        session, "Lindenlaan 5", 1))

    assert data_cache.get("street", counting(runs, "b")) == "b"
    assert runs == ["a", "b"]


def test_cache_holds_a_bounded_number_of_values(
        data_cache: db.DataCache) -> None:
    runs: list[str] = []
    for key in ("one", "two", "three", "one"):
        data_cache.get(key, counting(runs, key))

    assert runs == ["one", "two", "three", "one"]


def test_cache_keeps_nothing_on_postgresql() -> None:
    engine = db.create_db_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    runs: list[str] = []
    data_cache = db.DataCache(engine)
    data_cache.get("street", counting(runs, "a"))
    data_cache.get("street", counting(runs, "a"))

    assert data_cache.version() is None
    assert runs == ["a", "a"]


def test_menu_follows_the_role_and_the_language(
        resident: FlaskClient, coordinator_client: FlaskClient) -> None:
    def menu(client: FlaskClient, language: str) -> str:
        page = client.get("/", headers={"Accept-Language": language})
        return page.get_data(as_text=True).split("<nav>")[1]

    assert "My household" in menu(resident, "en")
    assert "Readiness" not in menu(resident, "en")
    assert "Readiness" in menu(coordinator_client, "en")
    assert "Mijn huishouden" in menu(coordinator_client, "nl")
    assert "Readiness" not in menu(resident, "en")
