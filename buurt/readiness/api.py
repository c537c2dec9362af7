"""JSON API: the street's readiness, for coordinators and their scripts."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from pydantic import BaseModel

from buurt.accounts.auth import api_blueprint, coordinator_required
from buurt.db import get_session
from buurt.readiness.service import compute_readiness
from buurt.web import documented

bp = api_blueprint("readiness_api", __name__)


class PartOut(BaseModel):
    """One measure of a function: units needed (rounded up) and present."""

    measure: str
    needed: int
    covered: int | float
    coverage: float
    gap: int


class FunctionOut(PartOut):
    """A function, described by its weakest measure, with all measures."""

    residents_covered: int
    parts: list[PartOut]


class ReadinessOut(BaseModel):
    """The street's readiness; the weakest function is the headline."""

    addresses: int
    occupied_households: int
    residents: int
    needs_help: int
    power_dependent: int
    needs_help_with_buddy: int
    power_dependent_with_backup: int
    first_aiders: int
    water_litres: int | float
    water_days: float | None
    weakest: str
    functions: dict[str, FunctionOut]
    resources: dict[str, int]


@bp.get("/readiness")
@coordinator_required
@documented("The street's readiness per essential function",
            response=ReadinessOut, tag="readiness")
def readiness() -> Any:
    """Return coverage per essential function and the weakest one."""
    data = compute_readiness(get_session(), current_app.config["BUURT"])
    return jsonify(ReadinessOut.model_validate(data).model_dump(mode="json"))
