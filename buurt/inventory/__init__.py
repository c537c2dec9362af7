"""Households, shared resources, skills, pledges, agreements and import."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the inventory pages and API."""
    from buurt.inventory import api, import_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(import_views.bp)


def init_cli(cli: click.Group) -> None:
    """Add `buurt import`."""
    from buurt.inventory.commands import import_command

    cli.add_command(import_command)
