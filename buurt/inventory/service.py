"""The street's inventory: households, resources, skills, pledges, agreements.

Plain functions that take a session; they flush but never commit, so the
caller (a page, the API, the CLI, a job) decides when a change is done.
Problems come back as `InventoryError` with a stable code; the pages and the
API turn the code into a translated sentence. Every list function makes a
fixed number of queries, however many households the street has.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any, Iterable

from sqlalchemy import Row, delete, or_
# SQLModel's select types at most four columns; this one any number.
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from buurt.accounts.models import Invite, Member
from buurt.config import Settings
from buurt.db import utcnow
from buurt.inventory import catalogue
from buurt.inventory.models import (AGREEMENT_KINDS, AGREEMENT_SOURCES,
                                    AVAILABILITIES, CONDITIONS, CONSENT_KINDS,
                                    NEED_KINDS, SKILL_KINDS, Agreement,
                                    Consent, Household, Need, Neighbourhood,
                                    Pledge, ReviewItem, Resource, Skill)

MAX_RESIDENTS = 99
MAX_QUANTITY = 1000
MAX_CAPACITY = 100_000
DEFAULT_NEIGHBOURHOOD = "Onze buurt"


class InventoryError(ValueError):
    """A change to the inventory that cannot be made; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# Neighbourhood ---------------------------------------------------------------

def get_neighbourhood(session: Session) -> Neighbourhood | None:
    """Return the neighbourhood of this node, or None before `buurt init`."""
    return session.exec(select(Neighbourhood).limit(1)).first()


def ensure_neighbourhood(session: Session, settings: Settings,
                         name: str = "") -> Neighbourhood:
    """Return the neighbourhood, creating it on first run."""
    neighbourhood = get_neighbourhood(session)
    if neighbourhood is None:
        neighbourhood = Neighbourhood(name=name or DEFAULT_NEIGHBOURHOOD,
                                      timezone=settings.timezone)
        session.add(neighbourhood)
        session.flush()
    return neighbourhood


NEIGHBOURHOOD_FIELDS = {"name": 120, "meeting_point": 200,
                       "support_point": 200, "news_source": 200}


def update_neighbourhood(session: Session, **values: str) -> Neighbourhood:
    """Change the street's name, meeting point, support point, news source.

    Raises InventoryError: unknown_field, name_required, too_long, or
    neighbourhood_missing before `buurt init`.
    """
    neighbourhood = get_neighbourhood(session)
    if neighbourhood is None:
        raise InventoryError("neighbourhood_missing")

    cleaned = {}
    for field, value in values.items():
        if field not in NEIGHBOURHOOD_FIELDS:
            raise InventoryError("unknown_field")
        value = " ".join(value.split())
        if len(value) > NEIGHBOURHOOD_FIELDS[field]:
            raise InventoryError("too_long")
        cleaned[field] = value
    if "name" in cleaned and not cleaned["name"]:
        raise InventoryError("neighbourhood_name_required")

    for field, value in cleaned.items():
        setattr(neighbourhood, field, value)
    session.add(neighbourhood)
    session.flush()
    return neighbourhood


# Households ------------------------------------------------------------------

def address_key(address: str) -> str:
    """Return the key that makes two spellings of one address the same.

    Case, spacing, "Eikstraat10" and "10 A" against "10a" all fold away.
    """
    key = " ".join(address.split()).lower()
    key = re.sub(r"(?<=[^\W\d])(?=\d)", " ", key)
    return re.sub(r"(\d) ([^\W\d])\b", r"\1\2", key)


def house_number(address: str) -> str:
    """Return the house number of an address ("15a"), or the address."""
    match = re.search(r"(\d+\s*[a-zA-Z]?(?:[-/]\d+)?)\s*$", address.strip())
    return match.group(1).replace(" ", "") if match else address.strip()


def get_household(session: Session, household_id: int) -> Household:
    """Return a household; raise InventoryError("household_not_found")."""
    household = session.get(Household, household_id)
    if household is None:
        raise InventoryError("household_not_found")
    return household


def find_household(session: Session, address: str) -> Household | None:
    """Return the household at an address, however it is spelled."""
    return session.exec(
        select(Household).where(Household.address_key == address_key(address))
    ).first()


def create_household(
    session: Session,
    address: str,
    residents: int = 0,
    vacant: bool = False,
    contact_name: str = "",
    phone: str = "",
    notes: str = "",
) -> Household:
    """Create a household; raise InventoryError when the address is taken."""
    fields = _check_household(address=address, residents=residents,
                              contact_name=contact_name, phone=phone,
                              notes=notes)
    if find_household(session, fields["address"]) is not None:
        raise InventoryError("address_taken")

    household = Household(address_key=address_key(fields["address"]),
                          vacant=vacant, **fields)
    session.add(household)
    session.flush()
    return household


def update_household(session: Session, household_id: int,
                     **changes: Any) -> Household:
    """Change a household's address, residents, contact or notes."""
    household = get_household(session, household_id)
    unknown = set(changes) - {"address", "residents", "vacant",
                              "contact_name", "phone", "notes"}
    if unknown:
        raise InventoryError("unknown_field")
    vacant = changes.pop("vacant", None)
    fields = _check_household(**changes)
    if "address" in fields:
        other = find_household(session, fields["address"])
        if other is not None and other.id != household.id:
            raise InventoryError("address_taken")
        household.address_key = address_key(fields["address"])

    for name, value in fields.items():
        setattr(household, name, value)
    if vacant is not None:
        household.vacant = bool(vacant)
    session.add(household)
    session.flush()
    return household


def _check_household(**fields: Any) -> dict[str, Any]:
    """Validate household fields; return them trimmed."""
    limits = {"address": 120, "contact_name": 120, "phone": 40, "notes": 500}
    checked: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "residents":
            if not isinstance(value, int) or not 0 <= value <= MAX_RESIDENTS:
                raise InventoryError("bad_residents")
            checked[name] = value
            continue
        text = " ".join(str(value).split()) if name != "notes" else (
            str(value).strip())
        if len(text) > limits[name]:
            raise InventoryError("too_long")
        checked[name] = text

    if "address" in checked and not checked["address"]:
        raise InventoryError("address_required")
    return checked


def register_household(session: Session, member_id: int, address: str,
                       residents: int) -> Household:
    """Create a household for a member who has none, and link them to it."""
    member = session.get(Member, member_id)
    if member is None:
        raise InventoryError("member_not_found")
    if member.household_id is not None:
        raise InventoryError("already_in_household")

    household = create_household(session, address, residents=residents,
                                 contact_name=member.display_name)
    member.household_id = household.id
    session.add(member)
    session.flush()
    return household


def list_households(session: Session) -> list[Household]:
    """List every household, in address order."""
    return list(session.exec(
        select(Household).order_by(col(Household.address_key))
    ))


# Consents and needs ----------------------------------------------------------

def grant_consent(session: Session, household_id: int, kind: str,
                  source: str = "resident") -> Consent:
    """Record consent for one kind of personal data; keep a standing one."""
    if kind not in CONSENT_KINDS:
        raise InventoryError("unknown_consent")
    get_household(session, household_id)

    standing = _standing_consent(session, household_id, kind)
    if standing is not None:
        return standing
    consent = Consent(household_id=household_id, kind=kind,
                      source=source[:40])
    session.add(consent)
    session.flush()
    return consent


def withdraw_consent(session: Session, household_id: int, kind: str) -> bool:
    """Withdraw a consent; withdrawing health consent deletes the needs.

    Returns False when there was no standing consent of that kind.
    """
    if kind not in CONSENT_KINDS:
        raise InventoryError("unknown_consent")

    standing = _standing_consent(session, household_id, kind)
    if standing is None:
        return False
    standing.withdrawn_at = utcnow()
    session.add(standing)
    if kind == "health":
        session.execute(delete(Need).where(
            col(Need.household_id) == household_id))
    session.flush()
    return True


def _standing_consent(session: Session, household_id: int,
                      kind: str) -> Consent | None:
    """Return the consent of this kind that has not been withdrawn."""
    return session.exec(
        select(Consent).where(Consent.household_id == household_id)
        .where(Consent.kind == kind)
        .where(col(Consent.withdrawn_at).is_(None))
    ).first()


def has_consent(session: Session, household_id: int, kind: str) -> bool:
    """Tell whether a household's consent of this kind stands."""
    return _standing_consent(session, household_id, kind) is not None


def consents_of(session: Session,
                household_ids: Iterable[int]) -> dict[int, set[str]]:
    """Return the standing consent kinds of many households, in one query."""
    ids = list(household_ids)
    found: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return found
    rows = session.exec(
        select(Consent.household_id, Consent.kind)
        .where(col(Consent.household_id).in_(ids))
        .where(col(Consent.withdrawn_at).is_(None))
    )
    for household_id, kind in rows:
        found[household_id].add(kind)
    return found


def set_need(session: Session, household_id: int, kind: str,
             note: str = "") -> Need:
    """Store a health-related need; only while health consent stands."""
    if kind not in NEED_KINDS:
        raise InventoryError("unknown_need")
    note = note.strip()
    if len(note) > 300:
        raise InventoryError("too_long")
    if not has_consent(session, household_id, "health"):
        raise InventoryError("health_consent_required")

    need = session.exec(
        select(Need).where(Need.household_id == household_id)
        .where(Need.kind == kind)
    ).first() or Need(household_id=household_id, kind=kind)
    need.note = note
    session.add(need)
    session.flush()
    return need


def set_needs(session: Session, household_id: int,
              needs: dict[str, str]) -> list[Need]:
    """Make a household's needs exactly `needs` (kind to note)."""
    unknown = set(needs) - set(NEED_KINDS)
    if unknown:
        raise InventoryError("unknown_need")
    if needs and not has_consent(session, household_id, "health"):
        raise InventoryError("health_consent_required")

    session.execute(delete(Need).where(
        col(Need.household_id) == household_id,
        col(Need.kind).not_in(list(needs))))
    return [set_need(session, household_id, kind, note)
            for kind, note in needs.items()]


def list_needs(session: Session, household_id: int) -> list[Need]:
    """List a household's needs (empty without health consent)."""
    return list(session.exec(
        select(Need).where(Need.household_id == household_id)
        .order_by(col(Need.kind))
    ))


# Resources, skills and pledges -----------------------------------------------

def create_resource(
    session: Session,
    kind: str,
    name: str = "",
    quantity: int = 1,
    capacity: float | None = None,
    condition: str = "good",
    place: str = "",
    keeper_household_id: int | None = None,
    last_checked: date | None = None,
    notes: str = "",
    source_text: str = "",
) -> Resource:
    """Add a shared thing; its capacity defaults to the catalogue's."""
    kind_info = catalogue.get_kind(kind)
    if kind_info is None:
        raise InventoryError("unknown_kind")
    name = " ".join(name.split()) or kind_info.name_nl
    if len(name) > 120 or len(place) > 200 or len(notes) > 500:
        raise InventoryError("too_long")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InventoryError("bad_quantity")
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise InventoryError("bad_capacity")
    if condition not in CONDITIONS:
        raise InventoryError("unknown_condition")
    if keeper_household_id is not None:
        get_household(session, keeper_household_id)

    resource = Resource(
        kind=kind, name=name, quantity=quantity,
        capacity=kind_info.capacity if capacity is None else capacity,
        condition=condition, place=place.strip(),
        keeper_household_id=keeper_household_id, last_checked=last_checked,
        notes=notes.strip(), source_text=source_text[:200],
    )
    session.add(resource)
    session.flush()
    return resource


def create_skill(session: Session, household_id: int, kind: str,
                 description: str) -> Skill:
    """Record something a household can do for the street."""
    if kind not in SKILL_KINDS:
        raise InventoryError("unknown_skill")
    description = " ".join(description.split())
    if not description:
        raise InventoryError("description_required")
    if len(description) > 200:
        raise InventoryError("too_long")
    get_household(session, household_id)

    skill = Skill(household_id=household_id, kind=kind,
                  description=description)
    session.add(skill)
    session.flush()
    return skill


def create_pledge(
    session: Session,
    household_id: int,
    availability: str = "always",
    resource_id: int | None = None,
    skill_id: int | None = None,
    note: str = "",
) -> Pledge:
    """Promise one of the household's resources or skills, and say when."""
    _check_pledge(availability, note)
    if (resource_id is None) == (skill_id is None):
        raise InventoryError("pledge_needs_one_thing")
    get_household(session, household_id)
    if resource_id is not None:
        resource = session.get(Resource, resource_id)
        if resource is None or resource.keeper_household_id != household_id:
            raise InventoryError("resource_not_found")
    if skill_id is not None:
        skill = session.get(Skill, skill_id)
        if skill is None or skill.household_id != household_id:
            raise InventoryError("skill_not_found")

    # One pledge per thing: pledging it again only changes when and how.
    pledge = session.exec(
        select(Pledge).where(Pledge.resource_id == resource_id)
        .where(Pledge.skill_id == skill_id)
    ).first() or Pledge(household_id=household_id, resource_id=resource_id,
                        skill_id=skill_id)
    pledge.availability = availability
    pledge.note = note.strip()
    session.add(pledge)
    session.flush()
    return pledge


def _check_pledge(availability: str, note: str) -> None:
    """Refuse an unknown availability or an overlong note."""
    if availability not in AVAILABILITIES:
        raise InventoryError("unknown_availability")
    if len(note.strip()) > 300:
        raise InventoryError("too_long")


def pledge_resource(
    session: Session,
    household_id: int,
    kind: str,
    name: str = "",
    quantity: int = 1,
    capacity: float | None = None,
    availability: str = "always",
    note: str = "",
) -> Pledge:
    """Add a resource kept by the household and pledge it in one step.

    A container whose kind has no default size needs its litres.
    """
    _check_pledge(availability, note)
    kind_info = catalogue.get_kind(kind)
    if (capacity is None and kind_info is not None and kind_info.in_litres
            and not kind_info.capacity):
        raise InventoryError("capacity_required")
    resource = create_resource(session, kind, name, quantity, capacity,
                               keeper_household_id=household_id)
    return create_pledge(session, household_id, availability,
                         resource_id=resource.id, note=note)


def pledge_skill(session: Session, household_id: int, kind: str,
                 description: str, availability: str = "always",
                 note: str = "") -> Pledge:
    """Add a household's skill and pledge it in one step."""
    _check_pledge(availability, note)
    skill = create_skill(session, household_id, kind, description)
    return create_pledge(session, household_id, availability,
                         skill_id=skill.id, note=note)


def delete_pledge(session: Session, household_id: int,
                  pledge_id: int) -> None:
    """Take back a household's pledge, with the thing or skill it named."""
    pledge = session.get(Pledge, pledge_id)
    if pledge is None or pledge.household_id != household_id:
        raise InventoryError("pledge_not_found")

    resource_id, skill_id = pledge.resource_id, pledge.skill_id
    session.delete(pledge)
    session.flush()
    if resource_id is not None:
        session.execute(delete(Resource).where(
            col(Resource.id) == resource_id,
            col(Resource.keeper_household_id) == household_id))
    if skill_id is not None:
        session.execute(delete(Skill).where(col(Skill.id) == skill_id))
    session.flush()


@dataclasses.dataclass(frozen=True)
class PledgeItem:
    """A pledge with the resource or skill it is about."""

    pledge: Pledge
    resource: Resource | None
    skill: Skill | None


def list_pledges(session: Session,
                 household_id: int | None = None) -> list[PledgeItem]:
    """List pledges (of one household, or all) with what they promise."""
    query = (
        select(Pledge, Resource, Skill)
        .join(Resource, col(Pledge.resource_id) == col(Resource.id),
              isouter=True)
        .join(Skill, col(Pledge.skill_id) == col(Skill.id), isouter=True)
        .order_by(col(Pledge.household_id), col(Pledge.id))
    )
    if household_id is not None:
        query = query.where(Pledge.household_id == household_id)
    return [PledgeItem(pledge, resource, skill)
            for pledge, resource, skill in session.exec(query)]


def list_resources(session: Session) -> list[Resource]:
    """List every resource, by kind and name."""
    return list(session.exec(
        select(Resource).order_by(col(Resource.kind), col(Resource.name),
                                  col(Resource.id))
    ))


# What the street shares ------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SharedItem:
    """A resource as every resident may see it: no health data, no phone."""

    kind: str
    name: str
    quantity: int
    capacity: float | None
    function: str
    availability: str | None
    keeper: str


@dataclasses.dataclass(frozen=True)
class SharedSkill:
    """A skill as every resident may see it."""

    kind: str
    description: str
    availability: str | None
    keeper: str


@dataclasses.dataclass(frozen=True)
class SharedView:
    """What the street shares, grouped by essential function."""

    by_function: dict[str, list[SharedItem]]
    skills: list[SharedSkill]


def list_shared(session: Session) -> SharedView:
    """Return the street's resources by function, and its skills."""
    # Plain rows of the shown columns: a street shares hundreds of things,
    # and building a model object for each cost most of the page's time.
    resources = session.execute(
        select_columns(col(Resource.kind), col(Resource.name),
                       col(Resource.quantity), col(Resource.capacity),
                       col(Household.id), col(Household.address),
                       col(Pledge.availability))
        .join(Household, col(Resource.keeper_household_id)
              == col(Household.id), isouter=True)
        .join(Pledge, col(Pledge.resource_id) == col(Resource.id),
              isouter=True)
        .order_by(col(Resource.kind), col(Resource.id))
    ).all()
    skills = session.execute(
        select_columns(col(Skill.kind), col(Skill.description),
                       col(Household.id), col(Household.address),
                       col(Pledge.availability))
        .join(Household, col(Skill.household_id) == col(Household.id))
        .join(Pledge, col(Pledge.skill_id) == col(Skill.id), isouter=True)
        .order_by(col(Skill.kind), col(Skill.id))
    ).all()
    names = first_names(session)

    by_function: dict[str, list[SharedItem]] = {
        function: [] for function in catalogue.FUNCTIONS}
    for kind, name, quantity, capacity, home, address, available in resources:
        function = catalogue.kind_function(kind)
        by_function.setdefault(function, []).append(SharedItem(
            kind, name, quantity, capacity, function, available,
            _keeper_label(home, address, names)))
    shared_skills = [
        SharedSkill(kind, description, available,
                    _keeper_label(home, address, names))
        for kind, description, home, address, available in skills
    ]
    return SharedView(by_function, shared_skills)


def first_names(session: Session,
                household_ids: list[int] | None = None) -> dict[int, str]:
    """Return a first name per household that consents to show contacts.

    The name is the first word of its first member's display name, or else
    the contact name from the spreadsheet ("Fam. Yilmaz"). Without
    `household_ids`, every household.
    """
    consenting = (
        select(col(Consent.household_id))
        .where(col(Consent.kind) == "contact")
        .where(col(Consent.withdrawn_at).is_(None)))
    members = (
        select(Member.household_id, Member.display_name)
        .where(col(Member.household_id).in_(consenting))
        .where(col(Member.active).is_(True))
        .order_by(col(Member.id)))
    contacts = (
        select(Household.id, Household.contact_name)
        .where(col(Household.id).in_(consenting)))
    if household_ids is not None:
        members = members.where(col(Member.household_id).in_(household_ids))
        contacts = contacts.where(col(Household.id).in_(household_ids))

    names: dict[int, str] = {}
    for household_id, display_name in session.exec(members):
        if household_id is not None and display_name.split():
            names.setdefault(household_id, display_name.split()[0])
    for household_id, contact_name in session.exec(contacts):
        if household_id is not None and contact_name.strip(" -"):
            names.setdefault(household_id, contact_name.strip())
    return names


def _keeper_label(household_id: int | None, address: str | None,
                  names: dict[int, str]) -> str:
    """Return "Anna, 12" or "12": enough to find the thing, no more."""
    if household_id is None or address is None:
        return ""
    number = house_number(address)
    name = names.get(household_id)
    return f"{name}, {number}" if name else number


# The coordinator's view ------------------------------------------------------

@dataclasses.dataclass
class HouseholdCard:
    """Everything a coordinator sees about one household.

    Needs, resources and skills are plain rows of the columns shown
    (`kind`, `note`; `id`, `kind`, `name`, `quantity`; `description`).
    """

    household: Household
    members: list[str] = dataclasses.field(default_factory=list)
    consents: set[str] = dataclasses.field(default_factory=set)
    needs: list[Row[Any]] = dataclasses.field(default_factory=list)
    resources: list[Row[Any]] = dataclasses.field(default_factory=list)
    skills: list[Row[Any]] = dataclasses.field(default_factory=list)
    availability: dict[tuple[str, int], str] = dataclasses.field(
        default_factory=dict)

    @property
    def contact_allowed(self) -> bool:
        """Tell whether the household agreed to share its contact details."""
        return "contact" in self.consents


def list_inventory(session: Session) -> list[HouseholdCard]:
    """Return every household with its people, needs and what it shares.

    Needs appear only where health consent stands.
    """
    cards = {h.id: HouseholdCard(h) for h in list_households(session)
             if h.id is not None}
    for household_id, consents in consents_of(session, cards).items():
        cards[household_id].consents = consents

    # Plain rows of the shown columns: model objects for every member,
    # item and pledge of the street cost most of the page's time.
    for household_id, display_name in session.execute(
            select(col(Member.household_id), col(Member.display_name))
            .where(col(Member.household_id).is_not(None))
            .where(col(Member.active).is_(True)).order_by(col(Member.id))):
        if household_id in cards:
            cards[household_id].members.append(display_name)
    for need in session.execute(
            select(col(Need.household_id), col(Need.kind), col(Need.note))
            .order_by(col(Need.kind))):
        card = cards.get(need.household_id)
        if card is not None and "health" in card.consents:
            card.needs.append(need)
    for resource in session.execute(
            select_columns(col(Resource.id),
                           col(Resource.keeper_household_id),
                           col(Resource.kind), col(Resource.name),
                           col(Resource.quantity))
            .order_by(col(Resource.kind), col(Resource.name),
                      col(Resource.id))):
        if resource.keeper_household_id in cards:
            cards[resource.keeper_household_id].resources.append(resource)
    for skill in session.execute(
            select(col(Skill.household_id), col(Skill.description))
            .order_by(col(Skill.id))):
        if skill.household_id in cards:
            cards[skill.household_id].skills.append(skill)
    for household_id, resource_id, skill_id, availability in session.execute(
            select(col(Pledge.household_id), col(Pledge.resource_id),
                   col(Pledge.skill_id), col(Pledge.availability))):
        card = cards.get(household_id)
        if card is not None:
            thing = (("resource", resource_id) if resource_id
                     else ("skill", skill_id or 0))
            card.availability[thing] = availability
    return list(cards.values())


# Agreements ------------------------------------------------------------------

# Which of household, helper and resource each kind of agreement needs.
AGREEMENT_NEEDS = {
    "buddy": ("household_id", "helper_household_id"),
    "power_backup": ("household_id", "resource_id"),
    "key_holder": ("helper_household_id", "resource_id"),
    "radio_listener": ("helper_household_id",),
    "cook": ("helper_household_id",),
    "other": ("description",),
}


def create_agreement(
    session: Session,
    kind: str,
    *,
    household_id: int | None = None,
    helper_household_id: int | None = None,
    resource_id: int | None = None,
    description: str = "",
    source: str = "form",
    source_ref: int | None = None,
) -> Agreement:
    """Record who does what in an outage; return a standing twin if any.

    A buddy checks on `household_id`; a power backup assigns `resource_id`
    (a power source) to a power-dependent `household_id`; a key holder,
    radio listener or cook is `helper_household_id`. `source` says where the
    agreement was made (form, import, hackathon, review) and `source_ref`
    the id of that hackathon or review. Raises InventoryError.
    """
    description = description.strip()
    _check_agreement(session, kind, source, {
        "household_id": household_id,
        "helper_household_id": helper_household_id,
        "resource_id": resource_id, "description": description})

    twin = session.exec(
        select(Agreement).where(Agreement.kind == kind)
        .where(col(Agreement.active).is_(True))
        .where(Agreement.household_id == household_id)
        .where(Agreement.helper_household_id == helper_household_id)
        .where(Agreement.resource_id == resource_id)
    ).first()
    if twin is not None:
        return twin

    agreement = Agreement(
        kind=kind, household_id=household_id,
        helper_household_id=helper_household_id, resource_id=resource_id,
        description=description, source=source, source_ref=source_ref)
    session.add(agreement)
    session.flush()
    return agreement


def _check_agreement(session: Session, kind: str, source: str,
                     fields: dict[str, Any]) -> None:
    """Refuse an agreement that misses a party or names a wrong one."""
    if kind not in AGREEMENT_KINDS:
        raise InventoryError("unknown_agreement_kind")
    if source not in AGREEMENT_SOURCES:
        raise InventoryError("unknown_source")
    if len(fields["description"]) > 300:
        raise InventoryError("too_long")
    for name in AGREEMENT_NEEDS[kind]:
        if not fields[name]:
            raise InventoryError(f"agreement_needs_{name}")

    for name in ("household_id", "helper_household_id"):
        if fields[name] is not None:
            get_household(session, fields[name])
    if (fields["household_id"] is not None
            and fields["household_id"] == fields["helper_household_id"]):
        raise InventoryError("same_household")

    resource = None
    if fields["resource_id"] is not None:
        resource = session.get(Resource, fields["resource_id"])
        if resource is None:
            raise InventoryError("resource_not_found")
    if kind == "power_backup":
        assert resource is not None
        if catalogue.kind_function(resource.kind) != "power":
            raise InventoryError("not_a_power_source")
        if not session.exec(
                select(Need.id).where(Need.household_id
                                      == fields["household_id"])
                .where(Need.kind == "power_dependent")).first():
            raise InventoryError("not_power_dependent")


def end_agreement(session: Session, agreement_id: int) -> Agreement:
    """Mark an agreement as no longer standing."""
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise InventoryError("agreement_not_found")
    agreement.active = False
    session.add(agreement)
    session.flush()
    return agreement


# Made once: a fresh alias costs every query SQLAlchemy's column matching.
HELPED = aliased(Household, name="helped")
HELPER = aliased(Household, name="helper")


@dataclasses.dataclass(frozen=True)
class AgreementItem:
    """An agreement with the addresses and the thing it names."""

    agreement: Agreement
    household: str | None
    helper: str | None
    resource: str | None


def list_agreements(session: Session, household_id: int | None = None,
                    active_only: bool = True) -> list[AgreementItem]:
    """List agreements (for or by one household, or all) in one query."""
    helped, helper = HELPED, HELPER
    query = (
        select(Agreement, helped.address, helper.address, Resource.name)
        .join(helped, col(Agreement.household_id) == helped.id,
              isouter=True)
        .join(helper, col(Agreement.helper_household_id) == helper.id,
              isouter=True)
        .join(Resource, col(Agreement.resource_id) == col(Resource.id),
              isouter=True)
        .order_by(col(Agreement.kind), col(Agreement.id))
    )
    if active_only:
        query = query.where(col(Agreement.active).is_(True))
    if household_id is not None:
        query = query.where(or_(
            col(Agreement.household_id) == household_id,
            col(Agreement.helper_household_id) == household_id))
    return [AgreementItem(*row) for row in session.exec(query)]


# A resident's own data -------------------------------------------------------

def export_household(session: Session, household_id: int) -> dict[str, Any]:
    """Return everything the node holds about one household, as plain data."""
    household = get_household(session, household_id)

    def owned(model: Any, column: Any) -> list[Any]:
        return list(session.exec(select(model).where(column == household_id)
                                 .order_by(col(model.id))))

    members = owned(Member, Member.household_id)
    consents = owned(Consent, Consent.household_id)
    resources = owned(Resource, Resource.keeper_household_id)
    skills = owned(Skill, Skill.household_id)
    reviews = owned(ReviewItem, ReviewItem.household_id)

    return {
        "household": _plain(household, exclude={"address_key"}),
        "members": [_plain(m, exclude={"pin_hash"}) for m in members],
        "consents": [_plain(c) for c in consents],
        "needs": [_plain(n) for n in list_needs(session, household_id)],
        "resources": [_plain(r) for r in resources],
        "skills": [_plain(s) for s in skills],
        "pledges": [_plain(p.pledge)
                    for p in list_pledges(session, household_id)],
        "agreements": [_plain(a.agreement) for a in list_agreements(
            session, household_id, active_only=False)],
        "review_items": [_plain(r) for r in reviews],
        "exported_at": utcnow().isoformat(),
    }


def _plain(row: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    """Return a row's columns as JSON-ready values."""
    values = row.model_dump(exclude=exclude or set())
    return {name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in values.items()}


def delete_household_data(session: Session,
                          household_id: int) -> dict[str, int]:
    """Delete a household and everything about it; members stay, unlinked.

    Returns how many rows of each kind were deleted.
    """
    get_household(session, household_id)

    counts: dict[str, int] = {}
    resource_ids = select(Resource.id).where(
        Resource.keeper_household_id == household_id)
    statements = {
        "agreements": delete(Agreement).where(or_(
            col(Agreement.household_id) == household_id,
            col(Agreement.helper_household_id) == household_id,
            col(Agreement.resource_id).in_(resource_ids))),
        "pledges": delete(Pledge).where(col(Pledge.household_id)
                                        == household_id),
        "resources": delete(Resource).where(
            col(Resource.keeper_household_id) == household_id),
        "skills": delete(Skill).where(col(Skill.household_id)
                                      == household_id),
        "needs": delete(Need).where(col(Need.household_id) == household_id),
        "consents": delete(Consent).where(col(Consent.household_id)
                                          == household_id),
        "review_items": delete(ReviewItem).where(
            col(ReviewItem.household_id) == household_id),
        "invites": delete(Invite).where(col(Invite.household_id)
                                        == household_id),
    }
    for name, statement in statements.items():
        result = session.execute(statement)
        # A DELETE answers a CursorResult; the session types it as Result.
        counts[name] = result.rowcount  # type: ignore[attr-defined]

    members = session.exec(
        select(Member).where(Member.household_id == household_id)).all()
    for member in members:
        member.household_id = None
        session.add(member)
    session.execute(delete(Household).where(col(Household.id)
                                            == household_id))
    counts["households"] = 1
    session.flush()
    return counts
