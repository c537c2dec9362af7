"""Drills, buurthackathons, reviews, reservations and calendars."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this feature's pages, API and jobs."""
    from buurt.events import (api, hackathon_api, hackathon_views, messages,
                              reservation_api, reservation_views, views)

    for blueprint in (views.bp, hackathon_views.bp, reservation_views.bp,
                      api.bp, hackathon_api.bp, reservation_api.bp):
        app.register_blueprint(blueprint)
    app.add_template_filter(messages.local_time, "local_time")
    app.add_template_filter(messages.input_time, "input_time")
    app.jinja_env.globals["event_names"] = messages.NAMES
    _init_notices(app)


def _init_notices(app: Flask) -> None:
    """Register the notice board and the scheduled notices and checks."""
    from buurt import scheduler
    from buurt.events import jobs, notice_views

    app.register_blueprint(notice_views.bp)
    scheduler.register(jobs.add_jobs)


def init_cli(cli: object) -> None:
    """Add this feature's commands to the `buurt` command (none)."""
