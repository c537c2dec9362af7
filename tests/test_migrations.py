"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import buurt.models  # noqa: F401  (every table on the metadata)
from buurt import db


def differences(url: str) -> list[object]:
    """Migrate an empty database to the newest schema; compare with models."""
    engine = db.create_db_engine(url)
    try:
        db.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True,
                                  "include_object": _buurt_tables})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def _buurt_tables(item: Any, name: str | None, kind: str, reflected: bool,
                  compare_to: object) -> bool:
    """Leave APScheduler's job table to its own test in test_scheduler."""
    table = item if kind == "table" else getattr(item, "table", None)
    return getattr(table, "name", None) != "apscheduler_jobs"


def test_sqlite_schema_matches_the_models(tmp_path: Path) -> None:
    """No table, column or index differs from the models on SQLite."""
    assert differences(f"sqlite:///{tmp_path / 'buurt.db'}") == []


def test_postgresql_schema_matches_the_models(postgres_url: str) -> None:
    """No table, column or index differs from the models on PostgreSQL."""
    assert differences(postgres_url) == []


def test_migrations_form_one_line_of_history() -> None:
    """Every migration has one parent, so upgrades never meet two heads."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(db.migrations_path()))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1


@pytest.mark.parametrize("target", ["base", "0003"])
def test_downgrade_and_upgrade_again(tmp_path: Path, target: str) -> None:
    """A node can step back down the migrations and up again on SQLite."""
    from alembic import command
    from alembic.config import Config

    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'buurt.db'}")
    db.upgrade(engine)
    config = Config()
    config.set_main_option("script_location", str(db.migrations_path()))
    with db.writing(), engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, target)
        connection.commit()

    db.upgrade(engine)
    assert db.current_revision(engine) == "0006"
    engine.dispose()
