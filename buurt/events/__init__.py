"""Drills, buurthackathons, reviews, reservations and calendars."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this feature's pages, API and jobs (none yet)."""


def init_cli(cli: object) -> None:
    """Add this feature's commands to the `buurt` command (none yet)."""
