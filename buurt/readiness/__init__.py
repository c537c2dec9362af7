"""Coverage of each essential function, and the street's weakest one."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the readiness page and API."""
    from buurt.readiness import api, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)


def init_cli(cli: click.Group) -> None:
    """Add `buurt readiness`."""
    from buurt.readiness.commands import readiness_command

    cli.add_command(readiness_command)
