"""A node's foundations: `buurt init`, /healthz, the SQLite pragmas that keep
writes safe, settings from file and environment, the OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect

from buurt import config, create_app, db
from buurt.cli import main
from conftest import app_settings


def row_counts(engine: Any) -> dict[str, int]:
    """Count the rows of every table."""
    with engine.connect() as connection:
        return {table: connection.exec_driver_sql(
            f'SELECT count(*) FROM "{table}"').scalar_one()
            for table in inspect(engine).get_table_names()}


def run_buurt(instance: Path, *args: str,
              **environ: str) -> Result:
    """Run the real `buurt` command on an instance folder."""
    env = {"BUURT_INSTANCE": str(instance), "BUURT_SCHEDULER": "off",
           **environ}
    return CliRunner(env=env).invoke(main, list(args))


def invite_code(output: str) -> str:
    """Return the invite code `buurt init` printed."""
    match = re.search(r"invite code: ([A-Z0-9]+)", output)
    assert match, output
    return match.group(1)


def test_init_twice_changes_nothing(tmp_path: Path) -> None:
    instance = tmp_path / "fresh"

    first = run_buurt(instance, "init")
    secret = (instance / config.SECRET_KEY_FILE).read_text()
    engine = db.create_db_engine(f"sqlite:///{instance / 'buurt.db'}")
    counts = row_counts(engine)
    second = run_buurt(instance, "init")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert invite_code(first.output) == invite_code(second.output)
    assert (instance / config.SECRET_KEY_FILE).read_text() == secret
    assert row_counts(engine) == counts
    assert counts["invite"] == 1 and counts["neighbourhood"] == 1
    assert "buurt serve" in first.output
    engine.dispose()


def test_commands_before_init_say_to_run_init(tmp_path: Path) -> None:
    result = run_buurt(tmp_path / "empty", "demo")

    assert result.exit_code != 0
    assert "run `buurt init` first" in result.output


def test_healthz_reports_database_and_scheduler(client: FlaskClient) -> None:
    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "database": "ok",
                                 "scheduler": "off", "role": "node"}


def test_healthz_is_503_when_the_database_is_unreachable(
        tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "buurt.db"
    app = create_app(tmp_path / "instance", environ={},
                     overrides=app_settings(
                         database_url=f"sqlite:///{missing}"))

    answer = app.test_client().get("/healthz")

    assert answer.status_code == 503
    body = answer.get_json()
    assert (body["status"], body["database"]) == ("error", "unreachable")
    assert set(body) == {"status", "database", "scheduler", "role"}
    db.get_engine(app).dispose()


def test_sqlite_connections_carry_the_safety_pragmas(engine: Any) -> None:
    with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        values = {name: pragma(f"PRAGMA {name}").scalar_one()
                  for name in ("journal_mode", "synchronous",
                               "foreign_keys", "busy_timeout")}

    assert values == {"journal_mode": "wal", "synchronous": 2,
                      "foreign_keys": 1, "busy_timeout": db.BUSY_TIMEOUT_MS}


def test_settings_file_is_read_and_environment_overrides_it(
        tmp_path: Path) -> None:
    (tmp_path / config.SETTINGS_FILE).write_text(
        'timezone = "Europe/Brussels"\n'
        'base_url = "http://from-file:8080"\n'
        "residents_per_radio = 12\n")

    settings = config.load_settings(tmp_path, environ={
        "BUURT_BASE_URL": "http://from-env:8080",
        "BUURT_WATER_DAYS_NEEDED": "4"})

    assert settings.timezone == "Europe/Brussels"
    assert settings.residents_per_radio == 12
    assert settings.base_url == "http://from-env:8080"
    assert settings.water_days_needed == 4
    assert settings.database_url == f"sqlite:///{tmp_path / 'buurt.db'}"


@pytest.mark.parametrize("environ, named", [
    ({"BUURT_WATER_DAYS_NEEDED": "three"}, "BUURT_WATER_DAYS_NEEDED"),
    ({"BUURT_TIMEZONE": "Mars/Olympus"}, "BUURT_TIMEZONE"),
    ({"BUURT_ROLE": "mayor"}, "BUURT_ROLE"),
    ({"BUURT_RESIDENTS_PER_RADIO": "0"}, "residents_per_radio"),
])
def test_bad_setting_is_named_in_the_error(
        tmp_path: Path, environ: dict[str, str], named: str) -> None:
    with pytest.raises(config.SettingsError) as refused:
        config.load_settings(tmp_path, environ=environ)

    assert named in str(refused.value)


def test_unknown_key_in_settings_file_is_named(tmp_path: Path) -> None:
    (tmp_path / config.SETTINGS_FILE).write_text('colour = "green"\n')

    with pytest.raises(config.SettingsError, match="colour"):
        config.load_settings(tmp_path, environ={})


def test_cli_names_the_bad_setting_instead_of_a_traceback(
        tmp_path: Path) -> None:
    result = run_buurt(tmp_path / "instance", "init",
                       BUURT_TIMEZONE="Mars/Olympus")

    assert result.exit_code == 1
    assert "BUURT_TIMEZONE" in result.output
    assert "Traceback" not in result.output


API_PATHS = (
    "/api/v1/pledges", "/api/v1/households",
    "/api/v1/households/{household_id}", "/api/v1/resources",
    "/api/v1/agreements", "/api/v1/me", "/api/v1/me/export",
    "/api/v1/me/household-data",
)


def test_openapi_document_lists_the_api(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()

    assert document["openapi"].startswith("3.")
    assert set(API_PATHS) <= set(document["paths"])
    pledge = document["paths"]["/api/v1/pledges"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in pledge["parameters"]]
    assert "201" in pledge["responses"] and "4XX" in pledge["responses"]
    schemas = document["components"]["schemas"]
    assert schemas["PledgeIn"]["additionalProperties"] is False
    assert schemas["PledgeIn"]["properties"]["name"]["maxLength"] == 200
    assert set(document["paths"]["/api/v1/me/household-data"]) == {"delete"}


def test_every_api_route_is_documented(app: Flask) -> None:
    undocumented = [
        rule.rule for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and not hasattr(app.view_functions[rule.endpoint], "openapi")]

    assert undocumented == []


def test_unknown_api_path_answers_json(client: FlaskClient) -> None:
    answer = client.get("/api/v1/no-such-thing")

    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_db_upgrade_reports_the_revision(
        run_cli: Callable[..., Result]) -> None:
    result = run_cli("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert "Database at revision" in result.output
