"""What labels, invite cards, posters and the paper plan print: plain data.

Plain functions that take a session; they flush but never commit. They
decide what may be shown to whom (a keeper's name and phone only with the
household's contact consent, health details only on the coordinator's
copy); the renderers in `sheets.py` and `plan.py` only lay it out.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from typing import Any, Iterable

from sqlmodel import Session, col, select

from buurt.accounts import service as accounts
from buurt.accounts.models import Invite
from buurt.config import Settings
from buurt.db import utcnow
from buurt.events import service as events
from buurt.events.models import Drill
from buurt.inventory import catalogue
from buurt.inventory import service as inventory
from buurt.inventory.models import Household, Need, Neighbourhood, Resource
from buurt.readiness import service as readiness
from buurt.threats import service as threats

TOKEN_PATTERN = re.compile(r"^[a-z2-7]{8,16}$")
MAX_PROBLEM_NOTE = 300
MAX_NOTES = 500
REPORT_LINE = re.compile(r"^\[\d{4}-\d{2}-\d{2} ")
# Agreements that tell who is vulnerable: on the coordinator's copy only.
CARE_AGREEMENTS = ("buddy", "power_backup")
MAX_PLAN_DRILLS = 10


class LabelError(ValueError):
    """A request about labels that cannot be honoured; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# Addresses in codes ----------------------------------------------------------

def item_url(base_url: str, token: str) -> str:
    """Return the address a shared item's QR label points at."""
    return f"{base_url.rstrip('/')}/r/{token}"


def join_url(base_url: str, code: str) -> str:
    """Return the address on a household's invite card."""
    return f"{base_url.rstrip('/')}/join?code={code}"


def checkin_url(base_url: str, code: str) -> str:
    """Return the address on a drill's check-in poster."""
    return f"{base_url.rstrip('/')}/checkin/{code}"


# Item labels -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ItemLabel:
    """What one item's label shows: its code, name, function and keeper."""

    resource_id: int
    token: str
    url: str
    name: str
    kind: str
    function: str
    keeper_place: str


def list_item_labels(session: Session, base_url: str,
                     kind: str | None = None) -> list[ItemLabel]:
    """List the labels of every shared item, or of one kind, in two queries.

    Raises LabelError("unknown_kind") for a kind the catalogue lacks.
    """
    if kind is not None and catalogue.get_kind(kind) is None:
        raise LabelError("unknown_kind")

    query = (
        select(Resource, Household.address)
        .join(Household, col(Resource.keeper_household_id)
              == col(Household.id), isouter=True)
        .order_by(col(Resource.kind), col(Resource.name), col(Resource.id))
    )
    if kind is not None:
        query = query.where(Resource.kind == kind)
    one_street = in_one_street(session)
    return [_label(resource, address, base_url, one_street)
            for resource, address in session.exec(query)]


def get_item_label(session: Session, base_url: str,
                   token: str) -> ItemLabel | None:
    """Return the label of the item with this token, or None."""
    resource = get_resource_by_token(session, token)
    if resource is None:
        return None

    keeper = (session.get(Household, resource.keeper_household_id)
              if resource.keeper_household_id else None)
    return _label(resource, keeper.address if keeper else None, base_url,
                  in_one_street(session))


def _label(resource: Resource, address: str | None, base_url: str,
           one_street: bool) -> ItemLabel:
    """Build one item's label."""
    assert resource.id is not None
    return ItemLabel(
        resource_id=resource.id, token=resource.label_token,
        url=item_url(base_url, resource.label_token), name=resource.name,
        kind=resource.kind, function=catalogue.kind_function(resource.kind),
        keeper_place=place_of(address, one_street) if address else "",
    )


def in_one_street(session: Session) -> bool:
    """Tell whether every household of the node lies in one street."""
    return all_in_one_street(session.exec(select(Household.address)))


def all_in_one_street(addresses: Iterable[str]) -> bool:
    """Tell whether these addresses share one street name."""
    streets = {re.sub(r"\s*\d.*$", "", inventory.address_key(address))
               for address in addresses}
    return len(streets) <= 1


def place_of(address: str, one_street: bool) -> str:
    """Return the house number in a one-street node, else the address."""
    if one_street:
        return inventory.house_number(address)
    return " ".join(address.split())


def get_resource_by_token(session: Session, token: str) -> Resource | None:
    """Return the item a label's token names, or None for any other text."""
    token = token.strip().lower()
    if not TOKEN_PATTERN.match(token):
        return None
    return session.exec(
        select(Resource).where(Resource.label_token == token)
    ).first()


# The page behind a label -----------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ItemPage:
    """What a member sees after scanning an item's label."""

    resource: Resource
    function: str
    keeper_place: str
    # Empty unless the keeper's household consented to share its contact.
    keeper_name: str
    keeper_phone: str


def get_item_page(session: Session, token: str) -> ItemPage | None:
    """Return what a member may see about the item with this token."""
    resource = get_resource_by_token(session, token)
    if resource is None:
        return None

    keeper = (session.get(Household, resource.keeper_household_id)
              if resource.keeper_household_id else None)
    name = phone = place = ""
    if keeper is not None and keeper.id is not None:
        place = place_of(keeper.address, in_one_street(session))
        if inventory.has_consent(session, keeper.id, "contact"):
            names = inventory.first_names(session, [keeper.id])
            name = names.get(keeper.id, "")
            phone = keeper.phone
    return ItemPage(resource=resource,
                    function=catalogue.kind_function(resource.kind),
                    keeper_place=place, keeper_name=name,
                    keeper_phone=phone)


def report_problem(session: Session, resource_id: int, note: str,
                   reporter: str, today: date) -> Resource:
    """Add a dated problem report to the top of an item's notes.

    The notes hold 500 characters: to make room, the oldest earlier reports
    go first; the coordinator's own notes are never cut. Raises
    LabelError("note_required"), ("too_long"), ("not_found") or
    ("notes_full") when the coordinator's notes leave no room.
    """
    note = " ".join(note.split())
    if not note:
        raise LabelError("note_required")
    if len(note) > MAX_PROBLEM_NOTE:
        raise LabelError("too_long")
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise LabelError("not_found")

    entry = f"[{today.isoformat()} {' '.join(reporter.split())[:40]}] {note}"
    lines = [entry, *resource.notes.splitlines()]
    while len("\n".join(lines)) > MAX_NOTES:
        reports = [i for i, line in enumerate(lines)
                   if i and REPORT_LINE.match(line)]
        if not reports:
            raise LabelError("notes_full")
        del lines[reports[-1]]

    resource.notes = "\n".join(lines)
    session.add(resource)
    session.flush()
    return resource


# Invite cards and drill posters ----------------------------------------------

@dataclasses.dataclass(frozen=True)
class InviteCard:
    """A household's join code, as printed on its card."""

    household_id: int
    address: str
    code: str
    url: str
    expires_at: datetime | None


def list_invite_cards(session: Session, base_url: str,
                      created_by_id: int | None = None,
                      now: datetime | None = None) -> list[InviteCard]:
    """Return a card for every occupied household, reusing open invites.

    A household without an open, unexpired resident invite gets a new one,
    so printing the cards twice hands out the same codes.
    """
    now = now or utcnow()
    households = [h for h in inventory.list_households(session)
                  if not h.vacant and h.id is not None]
    open_invites: dict[int, Invite] = {}
    for invite in accounts.list_invites(session):
        usable = invite.expires_at is None or invite.expires_at > now
        if (invite.household_id is not None and invite.role == "resident"
                and usable):
            open_invites.setdefault(invite.household_id, invite)

    cards = []
    for household in households:
        assert household.id is not None
        invite = open_invites.get(household.id) or accounts.create_invite(
            session, role="resident", household_id=household.id,
            created_by_id=created_by_id, note="invite card")
        cards.append(InviteCard(
            household_id=household.id, address=household.address,
            code=invite.code, url=join_url(base_url, invite.code),
            expires_at=invite.expires_at))
    return cards


# The paper plan --------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Person:
    """A household as the plan may name it; empty fields where it may not."""

    name: str = ""
    place: str = ""
    phone: str = ""


@dataclasses.dataclass(frozen=True)
class PlanItem:
    """One shared item as the plan lists it."""

    name: str
    kind: str
    quantity: int
    condition: str
    keeper: Person


@dataclasses.dataclass(frozen=True)
class PlanAgreement:
    """Who does what, as the plan lists it."""

    kind: str
    helper: Person
    household: Person
    resource: str
    description: str


@dataclasses.dataclass(frozen=True)
class CareHelper:
    """A buddy (a person) or a power backup (a thing) for one household."""

    kind: str
    helper: Person
    resource: str


@dataclasses.dataclass(frozen=True)
class CareEntry:
    """A household that needs help, with who helps: coordinators only."""

    address: str
    contact: Person
    needs: list[tuple[str, str]]
    helpers: list[CareHelper]


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything the paper plan prints, already filtered for its readers."""

    street: str
    meeting_point: str
    support_point: str
    news_source: str
    coordinator: bool
    made_at: datetime
    summary_issued_at: datetime
    summary_demonstration: bool
    readiness: dict[str, Any]
    items: dict[str, list[PlanItem]]
    agreements: list[PlanAgreement]
    drills: list[Drill]
    care: list[CareEntry]


@dataclasses.dataclass(frozen=True)
class _People:
    """What the plan may say about each household, looked up once."""

    households: dict[int, Household]
    consents: dict[int, set[str]]
    names: dict[int, str]
    coordinator: bool
    one_street: bool

    def person(self, household_id: int | None) -> Person:
        """Return a household's place, and its name and phone if allowed.

        The coordinator's copy names everyone; the street's copy names a
        household only with its contact consent.
        """
        household = self.households.get(household_id or 0)
        if household is None or household.id is None:
            return Person()

        place = place_of(household.address, self.one_street)
        if self.coordinator:
            return Person(household.contact_name.strip(" -")
                          or self.names.get(household.id, ""), place,
                          household.phone.strip(" -"))
        if "contact" in self.consents.get(household.id, set()):
            return Person(self.names.get(household.id, ""), place,
                          household.phone.strip(" -"))
        return Person(place=place)


def gather_plan(session: Session, settings: Settings, coordinator: bool,
                now: datetime | None = None) -> Plan:
    """Gather the street's plan; the street's copy holds no health details.

    The coordinator's copy adds every name and phone number, and the
    households that need help with their needs and who helps them.
    """
    now = now or utcnow()
    neighbourhood = inventory.get_neighbourhood(session) or Neighbourhood(
        name=inventory.DEFAULT_NEIGHBOURHOOD)
    households = {h.id: h for h in inventory.list_households(session)
                  if h.id is not None}
    people = _People(
        households, inventory.consents_of(session, households),
        inventory.first_names(session, list(households)), coordinator,
        one_street=all_in_one_street(h.address for h in households.values()))
    needs = list(session.exec(select(Need).order_by(col(Need.kind))))
    agreements = inventory.list_agreements(session)
    current = threats.get_current(session)

    return Plan(
        street=neighbourhood.name,
        meeting_point=neighbourhood.meeting_point,
        support_point=neighbourhood.support_point,
        news_source=neighbourhood.news_source,
        coordinator=coordinator,
        made_at=now,
        summary_issued_at=current.summary.issued_at,
        summary_demonstration=current.demonstration,
        readiness=readiness.compute_readiness(session, settings),
        items=_plan_items(session, people),
        agreements=_plan_agreements(
            agreements, people, {need.household_id for need in needs}),
        drills=[drill for drill in events.list_drills(
            session, upcoming_only=True, now=now)
            if not drill.cancelled][:MAX_PLAN_DRILLS],
        care=(_care_entries(agreements, people, needs) if coordinator
              else []),
    )


def _plan_items(session: Session,
                people: _People) -> dict[str, list[PlanItem]]:
    """Return the shared items by essential function, in catalogue order."""
    items: dict[str, list[PlanItem]] = {f: [] for f in catalogue.FUNCTIONS}
    for resource in inventory.list_resources(session):
        items.setdefault(catalogue.kind_function(resource.kind), []).append(
            PlanItem(name=resource.name, kind=resource.kind,
                     quantity=resource.quantity,
                     condition=resource.condition,
                     keeper=people.person(resource.keeper_household_id)))
    return items


def _plan_agreements(items: list[inventory.AgreementItem], people: _People,
                     needing: set[int]) -> list[PlanAgreement]:
    """Return who does what; on the street's copy, none that reveal care.

    Buddies and power backups, and any agreement about a household that
    needs help, tell who is vulnerable: they stay on the coordinator's copy.
    """
    agreements = []
    for item in items:
        agreement = item.agreement
        private = (agreement.kind in CARE_AGREEMENTS
                   or agreement.household_id in needing)
        if private and not people.coordinator:
            continue
        agreements.append(PlanAgreement(
            kind=agreement.kind,
            helper=people.person(agreement.helper_household_id),
            household=people.person(agreement.household_id),
            resource=item.resource or "",
            description=agreement.description))
    return agreements


def _care_entries(items: list[inventory.AgreementItem], people: _People,
                  needs: list[Need]) -> list[CareEntry]:
    """Return the households that need help, with their needs and helpers.

    Needs are listed only while the household's health consent stands.
    """
    by_household: dict[int, list[tuple[str, str]]] = {}
    for need in needs:
        if "health" in people.consents.get(need.household_id, set()):
            by_household.setdefault(need.household_id, []).append(
                (need.kind, need.note))
    helpers: dict[int, list[CareHelper]] = {}
    for item in items:
        agreement = item.agreement
        if agreement.kind in CARE_AGREEMENTS and agreement.household_id:
            helpers.setdefault(agreement.household_id, []).append(CareHelper(
                agreement.kind, people.person(agreement.helper_household_id),
                item.resource or ""))

    chosen = sorted(set(by_household) | set(helpers),
                    key=lambda i: people.households[i].address_key)
    return [CareEntry(address=people.households[i].address,
                      contact=people.person(i),
                      needs=by_household.get(i, []),
                      helpers=helpers.get(i, []))
            for i in chosen]
