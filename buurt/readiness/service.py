"""How well the street covers each essential function, and its weakest.

Readiness reads the inventory in two queries whatever the size of the
street: one for people (households, needs, buddies, backups, first-aiders)
and one for things (resources summed per kind). Each function compares
what the street has with what its residents need under the settings'
ratios; where a function has two measures, the lower coverage counts.
The headline is the weakest function, never an average.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from sqlalchemy import case, func, literal, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from buurt.config import Settings
from buurt.inventory import catalogue
from buurt.inventory.models import (Agreement, Household, Need, Pledge,
                                    Resource, Skill)

# What each function is measured by, in the order its parts are shown.
FUNCTION_MEASURES: dict[str, tuple[str, ...]] = {
    "drinking_water": ("water_store", "water_filter"),
    "cooking": ("burner",),
    "information": ("radio",),
    "communication": ("walkie",),
    "power": ("power_source", "power_backup"),
    "first_aid": ("first_aid_kit", "first_aider"),
    "warmth": ("heat_source",),
    "transport": ("vehicle",),
}
# The setting that says how many residents one unit of a measure serves.
RATIO_SETTINGS = {
    "water_filter": "residents_per_water_filter",
    "radio": "residents_per_radio",
    "burner": "residents_per_burner",
    "walkie": "residents_per_walkie_set",
    "power_source": "residents_per_power_source",
    "first_aid_kit": "residents_per_first_aid_kit",
    "first_aider": "residents_per_first_aider",
    "heat_source": "residents_per_heat_source",
    "vehicle": "residents_per_vehicle",
}
# Pledged only for drills, a thing cannot be counted on in a real outage.
USABLE_AVAILABILITIES = ("outages", "always")


@dataclasses.dataclass(frozen=True)
class Part:
    """One measure of a function: what is needed and what is there."""

    measure: str
    needed: int
    covered: float

    @property
    def coverage(self) -> float:
        """Return covered / needed, capped at 1; 1 when nothing is needed."""
        if self.needed <= 0:
            return 1.0
        return min(self.covered / self.needed, 1.0)

    @property
    def gap(self) -> int:
        """Return how many more are needed, rounded up."""
        return max(math.ceil(self.needed - self.covered), 0)

    def as_dict(self) -> dict[str, Any]:
        """Return the part as JSON-ready data."""
        return {"measure": self.measure, "needed": self.needed,
                "covered": _number(self.covered),
                "coverage": round(self.coverage, 3), "gap": self.gap}


def compute_readiness(session: Session, settings: Settings) -> dict[str, Any]:
    """Return the street's readiness as one JSON-ready object.

    Keys: addresses, occupied_households, residents, needs_help,
    power_dependent, needs_help_with_buddy, power_dependent_with_backup,
    first_aiders, water_litres, water_days (None without residents),
    weakest, functions (per function: needed, covered, coverage, gap,
    measure, residents_covered, parts) and resources (units per kind).
    """
    people = _count_people(session)
    units, litres = _count_resources(session)

    water_litres = catalogue.drinkable_litres(
        litres, _units_of(units, "water_filter"))
    residents = people["residents"]
    have: dict[str, float] = {
        measure: _units_of(units, measure)
        for measure in RATIO_SETTINGS if measure != "first_aider"}
    have["water_store"] = water_litres
    have["first_aider"] = people["first_aiders"]
    have["power_backup"] = people["power_dependent_with_backup"]

    functions = {}
    for function, measures in FUNCTION_MEASURES.items():
        parts = [Part(m, _needed(m, residents, people, settings), have[m])
                 for m in measures]
        functions[function] = _function(parts, residents)
    weakest = min(FUNCTION_MEASURES,
                  key=lambda f: functions[f]["coverage"])

    per_day = residents * settings.water_litres_per_person_day
    return {
        **people,
        "water_litres": _number(water_litres),
        "water_days": (_round_half_up(water_litres / per_day)
                       if per_day else None),
        "weakest": weakest,
        "functions": functions,
        "resources": {**{k.id: 0 for k in catalogue.list_kinds()},
                      **units},
    }


def _count_people(session: Session) -> dict[str, int]:
    """Count households, residents, needs, buddies and backups in one go."""
    occupied = select(Household.id).where(col(Household.vacant).is_(False))
    needing = (select(func.count(func.distinct(Need.household_id)))
               .where(col(Need.household_id).in_(occupied)))
    dependent = needing.where(col(Need.kind) == "power_dependent")
    with_agreement = needing.join(
        Agreement, col(Agreement.household_id) == col(Need.household_id)
    ).where(col(Agreement.active).is_(True))
    with_backup = (
        with_agreement.join(Resource,
                            col(Resource.id) == col(Agreement.resource_id))
        .where(col(Need.kind) == "power_dependent")
        .where(col(Agreement.kind) == "power_backup")
        .where(col(Resource.condition) != "broken")
    )
    # Skills are per household; two diplomas in one home may be one person.
    first_aiders = (
        select(func.count(func.distinct(Skill.household_id)))
        .where(col(Skill.kind).in_(catalogue.first_aider_skills()))
        .where(col(Skill.household_id).in_(occupied))
    )
    # SQLAlchemy's own select and execute: SQLModel's take four columns.
    query = sa_select(
        select(func.count(col(Household.id))).scalar_subquery(),
        select(func.count(col(Household.id)))
        .where(col(Household.vacant).is_(False)).scalar_subquery(),
        select(func.coalesce(func.sum(Household.residents), 0))
        .where(col(Household.vacant).is_(False)).scalar_subquery(),
        needing.scalar_subquery(),
        dependent.scalar_subquery(),
        with_agreement.where(col(Agreement.kind) == "buddy")
        .scalar_subquery(),
        with_backup.scalar_subquery(),
        first_aiders.scalar_subquery(),
    )
    row = session.connection().execute(query).one()

    names = ("addresses", "occupied_households", "residents", "needs_help",
             "power_dependent", "needs_help_with_buddy",
             "power_dependent_with_backup", "first_aiders")
    return {name: int(value or 0) for name, value in zip(names, row)}


def _count_resources(
    session: Session,
) -> tuple[dict[str, int], dict[str, float]]:
    """Return units and litres per kind of the things that can be used.

    Broken things do not count, nor things pledged only for drills; a
    thing without any pledge (the street's own tank) does.
    """
    usable = (
        select(col(Pledge.resource_id).label("resource_id"),
               func.max(case(
                   (col(Pledge.availability).in_(USABLE_AVAILABILITIES), 1),
                   else_=0)).label("usable"))
        .where(col(Pledge.resource_id).is_not(None))
        .group_by(col(Pledge.resource_id))
        .subquery()
    )
    query = (
        select(Resource.kind, func.sum(Resource.quantity),
               func.sum(col(Resource.quantity) * col(Resource.capacity)))
        .outerjoin(usable, usable.c.resource_id == col(Resource.id))
        .where(col(Resource.condition) != "broken")
        .where(or_(usable.c.usable.is_(None), usable.c.usable == literal(1)))
        .group_by(col(Resource.kind))
        .order_by(col(Resource.kind))
    )

    units: dict[str, int] = {}
    litres: dict[str, float] = {}
    for kind_id, quantity, volume in session.exec(query):
        units[kind_id] = int(quantity or 0)
        kind = catalogue.get_kind(kind_id)
        if kind is not None and kind.in_litres:
            litres[kind_id] = float(volume or 0)
    return units, litres


def _units_of(units: dict[str, int], measure: str) -> int:
    """Return how many working units of a measure the street has.

    Walkie-talkies are counted in sets: two devices make one.
    """
    total = 0
    for kind in catalogue.kinds_measuring(measure):
        total += units.get(kind.id, 0) // kind.set_size
    return total


def _needed(measure: str, residents: int, people: dict[str, int],
            settings: Settings) -> int:
    """Return how many units of a measure the residents need, rounded up."""
    if measure == "water_store":
        return math.ceil(residents * settings.water_litres_per_person_day
                         * settings.water_days_needed)
    if measure == "power_backup":
        return people["power_dependent"]
    return math.ceil(residents / getattr(settings, RATIO_SETTINGS[measure]))


def _function(parts: list[Part], residents: int) -> dict[str, Any]:
    """Describe a function by its weakest part, with every part listed."""
    weakest = min(parts, key=lambda part: part.coverage)
    return {
        **weakest.as_dict(),
        "residents_covered": math.floor(weakest.coverage * residents),
        "parts": [part.as_dict() for part in parts],
    }


def _number(value: float) -> int | float:
    """Return whole numbers as int, others to one decimal."""
    return int(value) if float(value).is_integer() else round(value, 1)


def _round_half_up(value: float) -> float:
    """Round to one decimal, halves up (6.55 days is 6.6, not 6.5)."""
    return math.floor(value * 10 + 0.5) / 10
