"""Migration 0006 gives items that existed before it their label tokens."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from buurt import db

ROWS = 40


def fill_before_tokens(engine: Engine) -> None:
    """Migrate to the core tables only and store items the old way."""
    db.upgrade(engine, "0005")
    with db.writing(), engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO household (id, address, address_key, residents, "
            "vacant, contact_name, phone, notes, created_at) VALUES (1, "
            "'Lindenlaan 7', 'lindenlaan 7', 3, false, '', '', '', "
            "'2026-01-01 10:00:00')"))
        for number in range(ROWS):
            connection.execute(text(
                "INSERT INTO resource (kind, name, quantity, condition, "
                "place, keeper_household_id, notes, source_text, created_at) "
                "VALUES ('radio', :name, 1, 'good', '', 1, '', '', "
                "'2026-01-01 10:00:00')"), {"name": f"Radio {number}"})


def tokens_after_upgrade(engine: Engine) -> list[str]:
    """Upgrade to the newest schema and read every item's token."""
    db.upgrade(engine)
    with engine.connect() as connection:
        return list(connection.execute(
            text("SELECT label_token FROM resource")).scalars())


def test_existing_items_get_unique_tokens_on_sqlite(tmp_path: Path) -> None:
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'buurt.db'}")
    fill_before_tokens(engine)

    tokens = tokens_after_upgrade(engine)

    assert len(tokens) == ROWS == len(set(tokens))
    assert all(re.fullmatch(r"[a-z2-7]{10}", token) for token in tokens)
    columns = {c["name"]: c for c in inspect(engine).get_columns("resource")}
    assert columns["label_token"]["nullable"] is False
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("resource")}
    assert indexes["ix_resource_label_token"]["unique"]
    engine.dispose()


def test_existing_items_get_unique_tokens_on_postgresql(
        postgres_url: str) -> None:
    engine = db.create_db_engine(postgres_url)
    fill_before_tokens(engine)

    tokens = tokens_after_upgrade(engine)

    assert len(tokens) == ROWS == len(set(tokens))
    assert all(re.fullmatch(r"[a-z2-7]{10}", token) for token in tokens)
    engine.dispose()
