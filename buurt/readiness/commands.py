"""`buurt readiness`: the street's coverage per essential function."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from buurt import db
from buurt.readiness.service import compute_readiness


@click.command("readiness")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object, for scripts.")
@with_appcontext
def readiness_command(as_json: bool) -> None:
    """Print how well the street covers each essential function."""
    engine = db.get_engine(current_app)
    if db.current_revision(engine) is None:
        raise click.ClickException("this instance has no database yet: run "
                                   "`buurt init` first")
    with db.session_scope(engine) as session:
        data = compute_readiness(session, current_app.config["BUURT"])

    click.echo(json.dumps(data) if as_json else readiness_text(data))


def readiness_text(data: dict[str, Any]) -> str:
    """Describe readiness in a few lines for a terminal."""
    weakest = data["functions"][data["weakest"]]
    days = "-" if data["water_days"] is None else data["water_days"]
    lines = [
        f"Weakest: {data['weakest']} ({weakest['coverage']:.0%} covered)",
        f"Addresses {data['addresses']}, occupied "
        f"{data['occupied_households']}, residents {data['residents']}",
        f"Need extra help {data['needs_help']} (with a buddy "
        f"{data['needs_help_with_buddy']}), power-dependent "
        f"{data['power_dependent']} (with a backup "
        f"{data['power_dependent_with_backup']})",
        f"Drinking water {data['water_litres']} litres = {days} days",
        "",
    ]
    for function, figures in data["functions"].items():
        parts = ", ".join(
            f"{p['measure']} {p['covered']}/{p['needed']}"
            for p in figures["parts"])
        lines.append(f"{function:15} {figures['coverage']:>5.0%}  {parts}")
    return "\n".join(lines)
