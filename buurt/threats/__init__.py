"""The national threat summary: fetch, verify, store, hub value, advice."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the threats page, its API and the scheduled sync."""
    from buurt import scheduler
    from buurt.threats import api, jobs, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    scheduler.register(jobs.register_jobs)


def init_cli(cli: click.Group) -> None:
    """Add `buurt sync` and `buurt publish`."""
    from buurt.threats.commands import publish_command, sync_command

    cli.add_command(sync_command)
    cli.add_command(publish_command)
