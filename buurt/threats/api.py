"""JSON API: the threat picture and what it means for this street."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from pydantic import BaseModel

from buurt.accounts.auth import api_blueprint, me, member_required
from buurt.db import get_session, utcnow
from buurt.threats import present
from buurt.web import documented

bp = api_blueprint("threats_api", __name__)


class SummaryInfo(BaseModel):
    """Which summary is in force, from where, and how old it is."""

    sequence: int
    schema_version: int
    publisher: str
    issued_at: str
    expires_at: str
    received_at: str | None
    source: str
    source_text: str
    demonstration: bool
    key_id: str
    age_days: int
    age_text: str
    expired: bool
    expired_text: str


class AdvisoryOut(BaseModel):
    """The level on the three-step intervention ladder, and why."""

    level: int
    label: str
    reason: str


class NamedId(BaseModel):
    """An id with its name in the member's language."""

    id: str
    name: str


class HubOut(BaseModel):
    """A top hub: how strongly it drives threats in other categories."""

    rank: int
    id: str
    name: str
    category: str
    category_name: str
    hub: bool
    hub_value: float
    hub_value_text: str
    affects: list[NamedId]


class EssentialOut(BaseModel):
    """How well the street covers one essential function."""

    id: str
    name: str
    coverage: float | None
    gap: float | None
    weakest: bool


class StreetAdviceOut(BaseModel):
    """A vital function hit by hubs, the street's state, and the drill.

    The household counts are null for residents: they come from health
    details, which only coordinators see.
    """

    vital_function: str
    vital_function_name: str
    threats: list[str]
    essential_functions: list[EssentialOut]
    power_dependent: int | None
    without_backup: int | None
    needs_help: int | None
    without_buddy: int | None
    urgent: bool
    scenario: str
    drill_url: str
    text: str


class ChecklistItem(BaseModel):
    """Something every resident can do at this advisory level."""

    id: str
    level: int
    text: str


class SyncAttemptOut(BaseModel):
    """The node's last try to get a newer summary (coordinators only).

    `message` is the reason in the member's language; `detail` is the
    operator's technical detail, in English, as the log has it.
    """

    attempted_at: str
    attempted_at_text: str
    source: str
    origin: str
    outcome: str
    outcome_text: str
    reason: str | None
    message: str
    detail: str
    sequence: int | None


class ThreatsOut(BaseModel):
    """The threat picture for this street."""

    summary: SummaryInfo
    advisory: AdvisoryOut
    hubs: list[HubOut]
    street: list[StreetAdviceOut]
    checklist: list[ChecklistItem]
    last_attempt: SyncAttemptOut | None


@bp.get("/threats")
@member_required
@documented("The top threat hubs, the age of the data, and what they mean "
            "for this street", response=ThreatsOut, tag="threats")
def get_threats() -> Any:
    """Return the threat picture; coordinators also get the last sync."""
    data = present.describe(get_session(), current_app.config["BUURT"],
                            utcnow(), me().is_coordinator)
    return jsonify(ThreatsOut.model_validate(data).model_dump(mode="json"))
