"""Households, shared resources, skills, pledges, agreements and import."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the inventory pages and API."""
    from buurt.inventory import views

    app.register_blueprint(views.bp)


def init_cli(cli: click.Group) -> None:
    """Add the inventory's commands (none yet)."""
