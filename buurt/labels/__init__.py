"""QR codes, label sheets and the paper plan."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the label page, the print pages and the monthly plan job."""
    from buurt import scheduler
    from buurt.labels import jobs, sheets, views

    app.register_blueprint(views.bp)
    app.jinja_env.globals["place_text"] = sheets.place_text
    scheduler.register(jobs.add_jobs)


def init_cli(cli: click.Group) -> None:
    """Add `buurt labels` and `buurt plan`."""
    from buurt.labels.commands import labels_command, plan_command

    cli.add_command(labels_command)
    cli.add_command(plan_command)
