"""Run buurt's migrations: batch mode and a foreign-key check on SQLite."""

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import buurt.models  # noqa: F401  (registers every table on the metadata)
from buurt.config import load_settings
from buurt.db import create_db_engine, writing

config = context.config
target_metadata = SQLModel.metadata


def run_migrations(connection: Connection) -> None:
    """Migrate on `connection`; on SQLite with foreign keys off meanwhile."""
    sqlite = connection.dialect.name == "sqlite"
    raw = connection.connection.driver_connection if sqlite else None
    if raw is not None:
        # Batch mode copies tables; with foreign keys on, that would cascade.
        raw.execute("PRAGMA foreign_keys=OFF")

    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            # SQLite can roll DDL back: a failed migration leaves no half.
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()

        if raw is not None:
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"foreign keys broken by migration: {broken}")
    finally:
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")


def main() -> None:
    """Use the caller's connection, or open one from the settings."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return

    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    engine = create_db_engine(url)
    with writing(), engine.connect() as connection:
        run_migrations(connection)
    engine.dispose()


main()
