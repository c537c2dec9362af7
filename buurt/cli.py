"""The `buurt` command: set up, serve and look after a node from a terminal."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from buurt import (FEATURES, config, create_app, db, scheduler,
                   settle_for_serving)

logger = logging.getLogger(__name__)


# Verbs that work before `buurt init`, or that make the instance themselves.
SETUP_VERBS = frozenset({"init", "db", "publish", "restore"})


def _make_app() -> Any:
    """Build the app for a CLI verb, saying plainly which setting is wrong."""
    try:
        return create_app()
    except config.SettingsError as error:
        raise click.ClickException(str(error))
    except (ArgumentError, NoSuchModuleError) as error:
        raise click.ClickException(
            f"setting database_url (BUURT_DATABASE_URL) is not a database "
            f"address buurt can use: {error}")
    except OSError as error:
        raise click.ClickException(
            f"cannot use the instance folder (BUURT_INSTANCE): {error}")


@click.group(cls=FlaskGroup, create_app=_make_app,
             add_default_commands=False, add_version_option=False,
             load_dotenv=False)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Run and look after a buurt node (or the municipality's hub)."""
    if ctx.resilient_parsing or ctx.invoked_subcommand in SETUP_VERBS:
        return
    if any(arg in ("--help", "-h") for arg in sys.argv[1:]):
        return

    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        require_schema()


def get_engine() -> Any:
    """Return the current app's engine; for commands inside an app context."""
    return db.get_engine(current_app)


def require_schema() -> None:
    """Stop with a clear message when the database is missing or empty."""
    engine = get_engine()
    missing = click.ClickException(
        "this instance has no database yet: run `buurt init` first "
        f"(instance folder: {current_app.instance_path})")
    path = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and path and \
            not Path(path).exists():
        # Checked before connecting, which would leave an empty file.
        raise missing

    try:
        revision = db.current_revision(engine)
    except OperationalError as error:
        raise click.ClickException(
            f"cannot reach the database ({_safe_url(str(engine.url))}): "
            f"{error.orig}")
    if revision is None:
        raise missing


@main.command("init")
@with_appcontext
def init_command() -> None:
    """Create the instance folder, the database and a first invite."""
    from buurt.accounts import service as accounts
    from buurt.inventory import service as inventory

    settings = current_app.config["BUURT"]
    engine = get_engine()
    db.upgrade(engine)

    with db.session_scope(engine, write=True) as session:
        inventory.ensure_neighbourhood(session, settings)
        invite = None
        if accounts.count_coordinators(session) == 0:
            open_invites = [i for i in accounts.list_invites(session)
                            if i.role == "coordinator"]
            invite = (open_invites[0] if open_invites else
                      accounts.create_invite(session, role="coordinator",
                                             note="first coordinator",
                                             valid_days=None))
        code = invite.code if invite else None

    click.echo(f"Instance folder: {settings.instance}")
    click.echo(f"Database:        {_safe_url(settings.database_url)}")
    if code:
        click.echo(f"First coordinator invite code: {code}")
    click.echo("Next: `buurt serve`, open the node in a browser, choose "
               "'Join' and enter the invite code.")


def _safe_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


@main.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo neighbourhood Vogelbuurt; safe to run twice."""
    from buurt import demo

    settings = current_app.config["BUURT"]
    with db.session_scope(get_engine(), write=True) as session:
        result = demo.load_demo(session, settings)
    for line in demo.describe(result, settings):
        click.echo(line)


@main.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8080, show_default=True,
              type=click.IntRange(1, 65535))
@click.option("--threads", default=4, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int, threads: int) -> None:
    """Serve the node with waitress, and run its scheduler."""
    import waitress

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.config["BUURT"]
    revision = db.current_revision(db.get_engine(app))
    if revision != db.SCHEMA_HEAD:
        raise click.ClickException(
            f"the database is at schema revision {revision}; this buurt "
            f"needs {db.SCHEMA_HEAD}: run `buurt db upgrade` first")
    if settings.scheduler == "on":
        scheduler.start(app)

    try:
        server = waitress.create_server(app, host=host, port=port,
                                        threads=threads, ident="buurt")
    except OSError as error:
        scheduler.stop(app)
        raise click.ClickException(
            f"cannot serve on {host}:{port}: {error.strerror}; is another "
            "buurt already running? Choose another --port.")

    click.echo(f"Serving buurt on http://{host}:{port} "
               f"(links and QR codes use {settings.base_url})")
    settle_for_serving()
    server.run()


@main.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def db_upgrade_command(revision: str) -> None:
    """Apply the migrations up to a revision."""
    db.upgrade(get_engine(), revision)
    click.echo(f"Database at revision {db.current_revision(get_engine())}")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision_command(message: str) -> None:
    """Write a new migration from the difference between models and schema."""
    from alembic import command
    from alembic.config import Config

    config_ = Config()
    config_.set_main_option("script_location", str(db.migrations_path()))
    config_.set_main_option(
        "sqlalchemy.url", current_app.config["BUURT"].database_url
    )
    command.revision(config_, message=message, autogenerate=True)


@main.command("backup")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the copy here (say, a USB stick) "
              "instead of the instance's backups folder.")
@with_appcontext
def backup_command(out: Path | None) -> None:
    """Copy the node's database to a file, while the node keeps serving."""
    from buurt import backup

    try:
        path = backup.create_backup(current_app.config["BUURT"], out)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Backup written to {path}")


@main.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False,
                                        path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the node's database with a backup; stop `buurt serve` first."""
    from buurt import backup

    settings = current_app.config["BUURT"]
    release = scheduler.acquire_lock(settings)
    if release is None:
        raise click.ClickException(
            "the node is running (its scheduler holds the instance's "
            "lock): stop `buurt serve` first, then restore")
    try:
        if not yes:
            click.confirm(f"Replace the database of {settings.instance} "
                          f"with {path}?", abort=True)
        safety = backup.restore_backup(settings, path)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    finally:
        release()

    db.upgrade(get_engine())
    click.echo(f"Restored {path}; the database before it is kept in "
               f"{safety}")


def cli() -> None:
    """Run the `buurt` command with logging set up once."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # fpdf2's font subsetting logs every glyph table at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    for feature in FEATURES:
        feature.init_cli(main)
    main()
