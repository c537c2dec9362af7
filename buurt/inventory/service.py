"""The street's inventory: households, resources, skills, pledges, agreements.

Plain functions that take a session; they flush but never commit, so the
caller (a page, the API, the CLI, a job) decides when a change is done.
"""

from __future__ import annotations

from sqlmodel import Session, select

from buurt.config import Settings
from buurt.inventory.models import Neighbourhood


def get_neighbourhood(session: Session) -> Neighbourhood | None:
    """Return the neighbourhood of this node, or None before `buurt init`."""
    return session.exec(select(Neighbourhood).limit(1)).first()


def ensure_neighbourhood(session: Session, settings: Settings,
                         name: str = "") -> Neighbourhood:
    """Return the neighbourhood, creating it on first run."""
    neighbourhood = get_neighbourhood(session)
    if neighbourhood is None:
        neighbourhood = Neighbourhood(name=name or "Onze buurt",
                                      timezone=settings.timezone)
        session.add(neighbourhood)
        session.flush()
    return neighbourhood
