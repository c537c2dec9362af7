"""The demo neighbourhood Vogelbuurt, loaded through the real services.

The spreadsheet part (households, resources, skills, needs) goes through
the importer, exactly as a coordinator's file would; the rest (members,
pledges, agreements) through the inventory and accounts services. Every
step looks for what it would create first, so loading twice creates
nothing the second time.
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any

from sqlmodel import Session, col, func, select

from buurt.accounts import service as accounts
from buurt.accounts.models import Member
from buurt.config import Settings
from buurt.inventory import importer, service
from buurt.inventory.models import Agreement, Resource, Skill

SHEET = "demo-vogelbuurt.csv"
PLAN = "demo-vogelbuurt.json"
# A demo login only: anyone who reads the README knows it.
DEMO_PIN = "vogelbuurt"


@dataclasses.dataclass
class DemoResult:
    """What loading the demo did, for the command to print."""

    neighbourhood: str
    households_created: int = 0
    resources_created: int = 0
    members_created: list[str] = dataclasses.field(default_factory=list)
    pledges_created: int = 0
    agreements_created: int = 0
    logins: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    @property
    def created_anything(self) -> bool:
        """Tell whether this run added rows."""
        return bool(self.households_created or self.resources_created
                    or self.members_created or self.pledges_created
                    or self.agreements_created)


def _read(name: str) -> bytes:
    """Return a demo file shipped in buurt/data/."""
    return resources.files("buurt").joinpath("data", name).read_bytes()


def load_demo(session: Session, settings: Settings) -> DemoResult:
    """Load the Vogelbuurt into this node; safe to run again."""
    plan = json.loads(_read(PLAN))
    neighbourhood = _load_neighbourhood(session, settings,
                                        plan["neighbourhood"])
    result = DemoResult(neighbourhood=neighbourhood)

    report = importer.import_sheet(session, _read(SHEET))
    result.households_created = report.households_created
    result.resources_created = report.resources_created

    for member in plan["members"]:
        _load_member(session, member, result)
    for pledge in plan["pledges"]:
        _load_pledge(session, pledge, result)
    for agreement in plan["agreements"]:
        _load_agreement(session, agreement, result)
    return result


def _load_neighbourhood(session: Session, settings: Settings,
                        values: dict[str, str]) -> str:
    """Name the neighbourhood, unless it already has its own name."""
    neighbourhood = service.ensure_neighbourhood(session, settings)
    if neighbourhood.name == service.DEFAULT_NEIGHBOURHOOD:
        neighbourhood.name = values["name"]
    for field in ("meeting_point", "support_point", "news_source"):
        if not getattr(neighbourhood, field):
            setattr(neighbourhood, field, values[field])
    session.add(neighbourhood)
    session.flush()
    return neighbourhood.name


def _household_id(session: Session, address: str) -> int:
    """Return the id of a demo household that the sheet created."""
    household = service.find_household(session, address)
    if household is None or household.id is None:
        raise LookupError(f"demo data names an unknown address: {address}")
    return household.id


def _load_member(session: Session, values: dict[str, str],
                 result: DemoResult) -> None:
    """Create a demo login once."""
    result.logins.append((values["username"], values["role"]))
    exists = session.exec(
        select(Member.id).where(Member.username == values["username"])
    ).first()
    if exists is not None:
        return

    accounts.create_member(
        session, values["username"], DEMO_PIN, values["display_name"],
        role=values["role"],
        household_id=_household_id(session, values["address"]))
    result.members_created.append(values["username"])


def _load_pledge(session: Session, values: dict[str, Any],
                 result: DemoResult) -> None:
    """Pledge a demo resource or skill once."""
    household_id = _household_id(session, values["address"])
    if values["what"] == "skill":
        exists = session.exec(
            select(Skill.id).where(Skill.household_id == household_id)
            .where(Skill.description == values["description"])).first()
        if exists is None:
            service.pledge_skill(session, household_id, values["kind"],
                                 values["description"],
                                 values["availability"])
            result.pledges_created += 1
        return

    exists = session.exec(
        select(Resource.id)
        .where(Resource.keeper_household_id == household_id)
        .where(Resource.name == values["name"])).first()
    if exists is None:
        service.pledge_resource(session, household_id, values["kind"],
                                values["name"], values["quantity"],
                                availability=values["availability"])
        result.pledges_created += 1


def _load_agreement(session: Session, values: dict[str, Any],
                    result: DemoResult) -> None:
    """Record a demo agreement once."""
    household_id = (_household_id(session, values["for"])
                    if "for" in values else None)
    helper_id = (_household_id(session, values["by"])
                 if "by" in values else None)
    resource_id = None
    if "resource" in values:
        keeper = _household_id(session, values["resource"]["keeper"])
        resource_id = session.exec(
            select(Resource.id).where(Resource.keeper_household_id == keeper)
            .where(Resource.kind == values["resource"]["kind"])
            .order_by(col(Resource.id))).first()

    before = _count_agreements(session)
    service.create_agreement(
        session, values["kind"], household_id=household_id,
        helper_household_id=helper_id, resource_id=resource_id,
        description=values.get("description", ""))
    result.agreements_created += _count_agreements(session) - before


def _count_agreements(session: Session) -> int:
    """Count the agreements, to tell whether one was added."""
    return session.exec(select(func.count()).select_from(Agreement)).one()


def describe(result: DemoResult, settings: Settings) -> list[str]:
    """Return the lines `buurt demo` prints."""
    if result.created_anything:
        lines = [
            f"Demo neighbourhood {result.neighbourhood} loaded: "
            f"{result.households_created} households, "
            f"{result.resources_created} resources, "
            f"{result.pledges_created} extra pledges, "
            f"{result.agreements_created} agreements.",
        ]
    else:
        lines = [f"Demo neighbourhood {result.neighbourhood} was already "
                 "loaded; nothing new was created."]

    lines.append("Demo logins (for trying buurt out, never on a real "
                 "street's node):")
    lines += [f"  {role:<12} username {username:<18} PIN {DEMO_PIN}"
              for username, role in result.logins]
    lines.append("Start the node with `buurt serve`, then open "
                 f"{settings.base_url}/ (on this machine: "
                 "http://127.0.0.1:8080/).")
    return lines
