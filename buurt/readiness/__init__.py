"""Coverage of each essential function, and the street's weakest one."""

from __future__ import annotations

import click
from flask import Blueprint, Flask, render_template

from buurt.accounts.auth import coordinator_required

bp = Blueprint("readiness", __name__)


@bp.get("/readiness")
@coordinator_required
def page() -> str:
    """Show the street's readiness."""
    return render_template("inventory/home.html")


def init_app(app: Flask) -> None:
    """Register the readiness page and API."""
    app.register_blueprint(bp)


def init_cli(cli: click.Group) -> None:
    """Add `buurt readiness` (none yet)."""
