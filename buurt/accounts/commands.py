"""`buurt token`: an API bearer token for scripts."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from buurt.accounts import service
from buurt.accounts.models import ROLES
from buurt.db import get_engine, session_scope


@click.command("token")
@click.option("--role", type=click.Choice(ROLES), default="coordinator",
              show_default=True)
@click.option("--label", default="script", show_default=True)
@with_appcontext
def token_command(role: str, label: str) -> None:
    """Print a new API bearer token; the last line is the token itself."""
    with session_scope(get_engine(current_app), write=True) as session:
        member = service.get_or_create_script_member(session, role)
        token = service.create_token(session, member, label)

    click.echo(f"Bearer token for a {role} script (keep it secret):")
    click.echo(token)
