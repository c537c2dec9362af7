"""buurt: a neighbourhood node that helps a street prepare for outages."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, Response, jsonify
from flask_compress import Compress

from buurt import config, db, i18n, scheduler, web
from buurt import (accounts, events, inventory, labels, municipality,
                   readiness, threats)

logger = logging.getLogger(__name__)

# Lower floors first: a feature may rely on what the ones before it set up.
FEATURES = (accounts, inventory, readiness, events, threats, municipality,
            labels)
# Python collects its youngest generation after 700 new objects. A page of
# 5,000 households builds about 100,000, and every pass of the collector
# over them made the drill board grow 15x per tenfold instead of 10x; with
# 50,000 the growth is linear again (README, Performance). Garbage freed
# by reference counts, most of it, is freed at once as before.
GC_YOUNG_THRESHOLD = 50_000


def create_app(
    instance: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Flask:
    """Build the web app for one node or hub."""
    settings = config.load_settings(instance, environ, overrides)
    app = Flask(__name__, instance_path=str(settings.instance))
    _configure(app, settings)

    db.init_app(app, db.create_db_engine(settings.database_url))
    i18n.init_app(app)
    Compress(app)
    web.init_app(app)

    for feature in FEATURES:
        feature.init_app(app)

    scheduler.init_app(app)
    _add_health_route(app)
    return app


def settle_for_serving() -> None:
    """Tune the garbage collector for a process that is about to serve.

    The modules, the app and its settings made at start-up live as long as
    the process; frozen, the collector never walks over them again.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _configure(app: Flask, settings: config.Settings) -> None:
    """Copy the settings into Flask's config."""
    app.config["BUURT"] = settings
    app.config["SECRET_KEY"] = (settings.secret_key
                                or config.ensure_secret_key(settings.instance))
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    app.config["COMPRESS_MIMETYPES"] = [
        "text/html", "text/css", "application/json", "application/javascript",
        "image/svg+xml", "text/calendar", "text/plain",
    ]
    app.config["COMPRESS_MIN_SIZE"] = 500
    # gzip level 3 instead of 6: a street's list of 40 KB compresses in a
    # third of the time, for 15% more bytes (README, Performance).
    app.config["COMPRESS_LEVEL"] = 3


def _add_health_route(app: Flask) -> None:
    """Answer /healthz with the state of the database and the scheduler."""

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        """Report whether this node can serve."""
        database_ok = db.ping(db.get_engine())
        body = {
            "status": "ok" if database_ok else "error",
            "database": "ok" if database_ok else "unreachable",
            "scheduler": scheduler.state(app),
            "role": app.config["BUURT"].role,
        }
        return jsonify(body), 200 if database_ok else 503
