"""Finished files: label sheets, invite cards, posters and plans.

The one place that joins what `service` gathers with what the renderers
draw, so that the pages, the commands and the monthly job make the same
files. Call inside an app context with the language forced
(`flask_babel.force_locale`).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session

from buurt.config import Settings
from buurt.events.models import Drill
from buurt.inventory import service as inventory
from buurt.labels import service, sheets
from buurt.labels.service import LabelError

PLAN_FOLDER = "plans"


def street_name(session: Session) -> str:
    """Return the name of the node's neighbourhood."""
    neighbourhood = inventory.get_neighbourhood(session)
    return (neighbourhood.name if neighbourhood
            else inventory.DEFAULT_NEIGHBOURHOOD)


def item_labels(session: Session, settings: Settings,
                kind: str | None = None) -> list[service.ItemLabel]:
    """Return the labels to print: of every item, or of one kind.

    Raises LabelError("unknown_kind") or ("nothing_to_print").
    """
    labels = service.list_item_labels(session, settings.base_url, kind)
    if not labels:
        raise LabelError("nothing_to_print")
    return labels


def invite_cards(session: Session, settings: Settings,
                 created_by_id: int | None) -> bytes:
    """Return invite cards for every household; flushes new invites.

    Raises LabelError("no_households") when no household is occupied.
    """
    cards = service.list_invite_cards(session, settings.base_url,
                                      created_by_id)
    if not cards:
        raise LabelError("no_households")
    return sheets.render_invite_cards(cards, street_name(session))


def drill_poster(session: Session, settings: Settings, drill: Drill) -> bytes:
    """Return the check-in poster PDF of a drill."""
    url = service.checkin_url(settings.base_url, drill.checkin_code)
    return sheets.render_drill_poster(drill, url, street_name(session))


def plan(session: Session, settings: Settings, coordinator: bool,
         now: datetime | None = None) -> bytes:
    """Return the plan PDF: the street's copy, or the coordinators'."""
    # The PDF library is loaded when a plan is made, not with the pages.
    from buurt.labels.plan import render_plan

    return render_plan(service.gather_plan(session, settings, coordinator,
                                           now))


def dated_name(stem: str, extension: str, day: date) -> str:
    """Return a file name that carries the day it was made."""
    return f"{stem}-{day.isoformat()}.{extension}"


def plan_stem(coordinator: bool) -> str:
    """Return the start of the file names of one copy of the plan."""
    return "plan-coordinator" if coordinator else "plan-street"


def plan_name(coordinator: bool, day: date) -> str:
    """Return the file name of one copy of the plan made on `day`."""
    return dated_name(plan_stem(coordinator), "pdf", day)


def save(path: Path, data: bytes, private: bool = False) -> None:
    """Write a file whole or not at all; private files only for the owner.

    The bytes reach the disk under a temporary name first, so a power cut
    leaves the previous file, never half of a new one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent,
                                         prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600 if private else 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
