"""The coordinator's readiness page: the weakest function first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale, lazy_gettext as _l

from buurt.accounts.auth import coordinator_required
from buurt.db import get_session
from buurt.inventory import catalogue
from buurt.readiness.service import compute_readiness

bp = Blueprint("readiness", __name__)

MEASURE_LABELS = {
    "water_store": _l("litres of drinkable water"),
    "water_filter": _l("water filters"),
    "radio": _l("radios"),
    "burner": _l("cooking burners"),
    "walkie": _l("walkie-talkie sets"),
    "power_source": _l("power sources"),
    "power_backup": _l("power-dependent households with a backup"),
    "first_aid_kit": _l("first-aid kits"),
    "first_aider": _l("trained first-aiders"),
    "heat_source": _l("heat sources"),
    "vehicle": _l("cargo bikes or vehicles"),
}


def measure_label(measure: str) -> str:
    """Return the translated name of what a measure counts."""
    return str(MEASURE_LABELS.get(measure, measure))


@bp.get("/readiness")
@coordinator_required
def page() -> Any:
    """Show the street's readiness, weakest function first."""
    data = compute_readiness(get_session(), current_app.config["BUURT"])
    locale = get_locale()
    language = locale.language if locale else "nl"

    names = {f: catalogue.function_name(f, language)
             for f in data["functions"]}
    return render_template("readiness/page.html", data=data, names=names,
                           measure_label=measure_label)
