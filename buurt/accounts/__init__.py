"""Members, invites, roles and tokens."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register sessions, tokens and the join and login pages."""
    from buurt.accounts import auth, views

    auth.init_app(app)
    app.register_blueprint(views.bp)


def init_cli(cli: click.Group) -> None:
    """Add `buurt token`."""
    from buurt.accounts.commands import token_command

    cli.add_command(token_command)
