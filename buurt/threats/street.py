"""What the national picture means for this street, from its own readiness.

A hub hits vital functions (power, drinking water, telecom, …); each vital
function leans on some of the street's essential functions and is tested by
one drill scenario. The advice joins the two: which hubs hit a function,
how well the street covers what it needs there, and which drill to plan.
This module names drill scenarios by id and builds the link to the drill
form; it never imports the drills feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from buurt.threats.service import RankedThreat
from buurt.threats.summary import VITAL_FUNCTIONS

# The street's essential functions a vital function leans on. Payments
# lean on none that buurt counts: it keeps no tally of cash or food.
ESSENTIALS: dict[str, tuple[str, ...]] = {
    "power": ("power", "warmth"),
    "drinking_water": ("drinking_water",),
    "telecom": ("information", "communication"),
    "payments": (),
    "healthcare": ("first_aid",),
    "food": ("cooking",),
    "transport": ("transport",),
}

# The drill that tests a street without the vital function; the report
# names four outages, the rest are drills the street designs itself.
DRILL_SCENARIOS: dict[str, str] = {
    "power": "power",
    "drinking_water": "water",
    "telecom": "internet",
    "payments": "payments",
    "healthcare": "custom",
    "food": "custom",
    "transport": "custom",
}

DRILL_FORM_PATH = "/drills/new"

# The resident's checklist per advisory level; a level adds to the ones
# below it, so level 3 shows every item.
CHECKLIST: tuple[tuple[str, int], ...] = (
    ("know_meeting_point", 1),
    ("store_water", 1),
    ("battery_radio", 1),
    ("know_buddy", 1),
    ("keep_cash", 1),
    ("check_shared_items", 2),
    ("paper_plan", 2),
    ("power_backup", 2),
    ("charge_power_banks", 2),
    ("fill_water_now", 3),
    ("visit_buddy", 3),
    ("listen_to_radio", 3),
    ("medication_at_hand", 3),
)


@dataclass(frozen=True)
class FunctionStatus:
    """How well the street covers one essential function."""

    id: str
    coverage: float | None
    gap: float | None
    weakest: bool


@dataclass(frozen=True)
class Advice:
    """One vital function hit by hubs, with the street's state and drill."""

    vital_function: str
    threats: tuple[RankedThreat, ...]
    essentials: tuple[FunctionStatus, ...]
    power_dependent: int
    without_backup: int
    needs_help: int
    without_buddy: int
    scenario: str

    @property
    def drill_path(self) -> str:
        """Return the link that opens a new drill with this scenario."""
        return drill_path(self.scenario)

    @property
    def urgent(self) -> bool:
        """Tell whether a backup or a buddy is missing, or the weakest hit."""
        return (self.without_backup > 0 or self.without_buddy > 0
                or any(status.weakest for status in self.essentials))

    @property
    def lowest_coverage(self) -> float | None:
        """Return the lowest coverage of its essential functions."""
        known = [status.coverage for status in self.essentials
                 if status.coverage is not None]
        return min(known) if known else None


def drill_path(scenario: str) -> str:
    """Return the path of the new-drill form with `scenario` filled in."""
    return f"{DRILL_FORM_PATH}?scenario={scenario}"


def checklist(level: int) -> list[str]:
    """Return the ids of the checklist items for an advisory level."""
    return [item for item, since in CHECKLIST if since <= level]


def advise(hubs: list[RankedThreat],
           readiness: Mapping[str, Any]) -> list[Advice]:
    """Return advice per vital function the hubs hit, most urgent first."""
    functions: Mapping[str, Mapping[str, Any]] = readiness.get("functions",
                                                               {})
    weakest = readiness.get("weakest")
    power_dependent = int(readiness.get("power_dependent", 0) or 0)
    with_backup = int(readiness.get("power_dependent_with_backup", 0) or 0)
    needs_help = int(readiness.get("needs_help", 0) or 0)
    with_buddy = int(readiness.get("needs_help_with_buddy", 0) or 0)

    advice = []
    for vital in VITAL_FUNCTIONS:
        hitting = tuple(hub for hub in hubs if vital in hub.threat.affects)
        if not hitting:
            continue
        essentials = tuple(
            _status(essential, functions.get(essential), weakest)
            for essential in ESSENTIALS[vital])
        is_power = vital == "power"
        is_care = vital == "healthcare"
        advice.append(Advice(
            vital_function=vital, threats=hitting, essentials=essentials,
            power_dependent=power_dependent if is_power else 0,
            without_backup=(max(power_dependent - with_backup, 0)
                            if is_power else 0),
            needs_help=needs_help if is_care else 0,
            without_buddy=max(needs_help - with_buddy, 0) if is_care else 0,
            scenario=DRILL_SCENARIOS[vital]))

    advice.sort(key=_priority)
    return advice


def _status(essential: str, values: Mapping[str, Any] | None,
            weakest: object) -> FunctionStatus:
    """Read one essential function's coverage from the readiness data."""
    values = values or {}
    coverage = values.get("coverage")
    gap = values.get("gap")
    return FunctionStatus(
        id=essential,
        coverage=None if coverage is None else float(coverage),
        gap=None if gap is None else float(gap),
        weakest=essential == weakest)


def _priority(advice: Advice) -> tuple[bool, float, float, int]:
    """Sort key: urgent first, then the worst covered, then hub weight."""
    coverage = advice.lowest_coverage
    return (not advice.urgent, 1.0 if coverage is None else coverage,
            -sum(hub.hub_value for hub in advice.threats),
            VITAL_FUNCTIONS.index(advice.vital_function))
