"""Pages for residents and coordinators about the street's inventory."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from buurt.accounts.auth import coordinator_required, member_required

bp = Blueprint("inventory", __name__)


@bp.get("/")
def home() -> Any:
    """Show the start page."""
    return render_template("inventory/home.html")


@bp.get("/household")
@member_required
def my_household() -> Any:
    """Show the member's own household."""
    return render_template("inventory/home.html")


@bp.get("/shared")
@member_required
def shared() -> Any:
    """Show what the street shares."""
    return render_template("inventory/home.html")


@bp.get("/inventory")
@coordinator_required
def coordinator() -> Any:
    """Show the coordinator's inventory."""
    return render_template("inventory/home.html")
