"""The inventory's JSON API: households, pledges, resources, agreements, me.

A resident reads and changes only their own household; coordinators see
every household, and health needs only where the household consented.
Input models forbid unknown fields and cap every length, so absurd input is
a 422 in the one error shape, never a 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Response, jsonify
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from buurt.accounts import service as accounts
from buurt.accounts.auth import (api_blueprint, coordinator_required,
                                 idempotent, me, member_required)
from buurt.db import get_session
from buurt.inventory import catalogue, service
from buurt.inventory.models import Household
from buurt.inventory.service import InventoryError
from buurt.inventory.views import error_message
from buurt.web import ApiError, documented, read_json

bp = api_blueprint("inventory_api", __name__)

TAG = "inventory"
NOT_FOUND = {"household_not_found", "resource_not_found", "skill_not_found",
             "pledge_not_found", "agreement_not_found", "member_not_found"}
CONFLICT = {"address_taken", "already_in_household", "no_household"}

# The same choices as AVAILABILITIES and AGREEMENT_KINDS in the models.
Availability = Literal["drills", "outages", "always"]
AgreementKind = Literal["buddy", "power_backup", "key_holder",
                        "radio_listener", "cook", "other"]


class Input(BaseModel):
    """An API body: strict types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class PledgeIn(Input):
    """A resource or skill a household pledges, and when it may be used."""

    what: Literal["resource", "skill"] = "resource"
    kind: str = Field(min_length=1, max_length=40,
                      description="A catalogue kind id (resource) or a "
                                  "skill kind id (skill).")
    name: str = Field(default="", max_length=200,
                      description="The thing's name, or what the skill "
                                  "is.")
    quantity: int = Field(default=1, ge=1, le=service.MAX_QUANTITY)
    capacity: float | None = Field(default=None, ge=0,
                                   le=service.MAX_CAPACITY,
                                   description="Litres, for water "
                                               "containers.")
    availability: Availability = "always"
    note: str = Field(default="", max_length=300)
    household_id: int | None = Field(
        default=None, ge=1,
        description="Coordinators only: the household that pledges.")


class AgreementIn(Input):
    """Who does what in an outage."""

    kind: AgreementKind
    household_id: int | None = Field(default=None, ge=1)
    helper_household_id: int | None = Field(default=None, ge=1)
    resource_id: int | None = Field(default=None, ge=1)
    description: str = Field(default="", max_length=300)


class ResourceOut(BaseModel):
    """A shared thing."""

    id: int
    kind: str
    function: str
    name: str
    quantity: int
    capacity: float | None
    condition: str
    place: str
    keeper_household_id: int | None


class SkillOut(BaseModel):
    """Something a household can do for the street."""

    id: int
    kind: str
    description: str
    household_id: int


class PledgeOut(BaseModel):
    """A pledge and the resource or skill it promises."""

    id: int
    household_id: int
    availability: str
    note: str
    created_at: datetime
    resource: ResourceOut | None
    skill: SkillOut | None


class NeedOut(BaseModel):
    """A health-related need, shown only with consent."""

    kind: str
    note: str


class HouseholdOut(BaseModel):
    """A household; contact only with consent, needs only with consent."""

    id: int
    address: str
    residents: int
    vacant: bool
    contact_name: str | None
    phone: str | None
    consents: list[str]
    needs: list[NeedOut]


class AgreementOut(BaseModel):
    """An agreement with the addresses it names."""

    id: int
    kind: str
    household_id: int | None
    household: str | None
    helper_household_id: int | None
    helper: str | None
    resource_id: int | None
    resource: str | None
    description: str
    source: str
    source_ref: int | None
    active: bool
    created_at: datetime


class MemberOut(BaseModel):
    """The logged-in member."""

    id: int
    username: str
    display_name: str
    role: str
    locale: str | None


class MeOut(BaseModel):
    """The logged-in member and their household."""

    member: MemberOut
    household: HouseholdOut | None


class PledgeList(BaseModel):
    """A list of pledges."""

    pledges: list[PledgeOut]


class HouseholdList(BaseModel):
    """A list of households."""

    households: list[HouseholdOut]


class ResourceList(BaseModel):
    """A list of resources."""

    resources: list[ResourceOut]


class AgreementList(BaseModel):
    """A list of agreements."""

    agreements: list[AgreementOut]


class Deleted(BaseModel):
    """How many rows of each kind were deleted."""

    deleted: dict[str, int]


def _answer(model: BaseModel, status: int = 200) -> tuple[Response, int]:
    """Serialise a response model as JSON."""
    return jsonify(model.model_dump(mode="json")), status


def _api_error(error: InventoryError) -> ApiError:
    """Turn a service error into an API error with the right status."""
    status = 404 if error.code in NOT_FOUND else (
        409 if error.code in CONFLICT else 422)
    return ApiError(status, error.code, error_message(error.code))


def _own_household() -> int:
    """Return the caller's household id, or raise a 409."""
    household_id = me().household_id
    if household_id is None:
        raise _api_error(InventoryError("no_household"))
    return household_id


def _id(row_id: int | None) -> int:
    """Return the id of a stored row; rows are flushed before described."""
    assert row_id is not None, "describe only rows that are stored"
    return row_id


def _resource_out(resource: Any) -> ResourceOut:
    """Describe a resource."""
    return ResourceOut(
        id=resource.id, kind=resource.kind,
        function=catalogue.kind_function(resource.kind), name=resource.name,
        quantity=resource.quantity, capacity=resource.capacity,
        condition=resource.condition, place=resource.place,
        keeper_household_id=resource.keeper_household_id)


def _pledge_out(item: service.PledgeItem) -> PledgeOut:
    """Describe a pledge with what it promises."""
    pledge, resource, skill = item.pledge, item.resource, item.skill
    return PledgeOut(
        id=_id(pledge.id), household_id=pledge.household_id,
        availability=pledge.availability, note=pledge.note,
        created_at=pledge.created_at,
        resource=_resource_out(resource) if resource else None,
        skill=SkillOut(id=_id(skill.id), kind=skill.kind,
                       description=skill.description,
                       household_id=skill.household_id) if skill else None)


def _household_out(household: Household, consents: set[str],
                   needs: list[Any], own: bool) -> HouseholdOut:
    """Describe a household: contact and needs only where allowed."""
    contact = own or "contact" in consents
    return HouseholdOut(
        id=_id(household.id), address=household.address,
        residents=household.residents, vacant=household.vacant,
        contact_name=household.contact_name if contact else None,
        phone=household.phone if contact else None,
        consents=sorted(consents),
        needs=[NeedOut(kind=n.kind, note=n.note) for n in needs]
        if "health" in consents else [])


def _load_household_out(household_id: int) -> HouseholdOut:
    """Read one household and describe it for the caller."""
    session = get_session()
    try:
        household = service.get_household(session, household_id)
    except InventoryError as error:
        raise _api_error(error)
    consents = service.consents_of(session, [household_id])[household_id]
    return _household_out(household, consents,
                          service.list_needs(session, household_id),
                          own=household_id == me().household_id)


@bp.post("/pledges")
@member_required
@idempotent("pledges")
@documented("Pledge a resource or a skill", body=PledgeIn,
            response=PledgeOut, status=201, tag=TAG, idempotent=True)
def create_pledge() -> Any:
    """Pledge a resource or skill for the caller's household."""
    body = read_json(PledgeIn)
    household_id = body.household_id
    if household_id is None:
        household_id = _own_household()
    elif not me().is_coordinator and household_id != me().household_id:
        raise ApiError(403, "forbidden",
                       _("You can only pledge for your own household."))

    session = get_session()
    try:
        if body.what == "skill":
            pledge = service.pledge_skill(
                session, household_id, body.kind, body.name,
                body.availability, body.note)
        else:
            pledge = service.pledge_resource(
                session, household_id, body.kind, body.name, body.quantity,
                body.capacity, body.availability, body.note)
    except InventoryError as error:
        raise _api_error(error)

    item = next(i for i in service.list_pledges(session, household_id)
                if i.pledge.id == pledge.id)
    return _answer(_pledge_out(item), 201)


@bp.get("/pledges")
@member_required
@documented("List pledges: your household's, or every one for "
            "coordinators", response=PledgeList, tag=TAG)
def list_pledges() -> Any:
    """List the caller's household's pledges; coordinators see all."""
    household_id = None if me().is_coordinator else _own_household()
    items = service.list_pledges(get_session(), household_id)
    return _answer(PledgeList(pledges=[_pledge_out(i) for i in items]))


@bp.get("/households")
@coordinator_required
@documented("List every household", response=HouseholdList, tag=TAG)
def list_households() -> Any:
    """List every household for a coordinator."""
    cards = service.list_inventory(get_session())
    return _answer(HouseholdList(households=[
        _household_out(c.household, c.consents, c.needs, own=False)
        for c in cards]))


@bp.get("/households/<int:household_id>")
@member_required
@documented("Show one household (your own, or any for coordinators)",
            response=HouseholdOut, tag=TAG)
def get_household(household_id: int) -> Any:
    """Show a household to its members or to a coordinator."""
    if not me().is_coordinator and household_id != me().household_id:
        raise ApiError(403, "forbidden",
                       _("You can only see your own household."))
    return _answer(_load_household_out(household_id))


@bp.get("/resources")
@member_required
@documented("List the street's resources", response=ResourceList, tag=TAG)
def list_resources() -> Any:
    """List every shared resource."""
    resources = service.list_resources(get_session())
    return _answer(ResourceList(
        resources=[_resource_out(r) for r in resources]))


def _agreement_out(item: service.AgreementItem) -> AgreementOut:
    """Describe an agreement."""
    agreement = item.agreement
    return AgreementOut(
        id=_id(agreement.id), kind=agreement.kind,
        household_id=agreement.household_id, household=item.household,
        helper_household_id=agreement.helper_household_id,
        helper=item.helper, resource_id=agreement.resource_id,
        resource=item.resource, description=agreement.description,
        source=agreement.source, source_ref=agreement.source_ref,
        active=agreement.active, created_at=agreement.created_at)


@bp.post("/agreements")
@coordinator_required
@documented("Record an agreement", body=AgreementIn,
            response=AgreementOut, status=201, tag=TAG)
def create_agreement() -> Any:
    """Record who does what in an outage."""
    body = read_json(AgreementIn)
    session = get_session()
    try:
        agreement = service.create_agreement(
            session, body.kind, household_id=body.household_id,
            helper_household_id=body.helper_household_id,
            resource_id=body.resource_id, description=body.description)
    except InventoryError as error:
        raise _api_error(error)

    session.commit()
    item = next(i for i in service.list_agreements(session)
                if i.agreement.id == agreement.id)
    return _answer(_agreement_out(item), 201)


@bp.get("/agreements")
@coordinator_required
@documented("List the standing agreements", response=AgreementList,
            tag=TAG)
def list_agreements() -> Any:
    """List the street's standing agreements."""
    items = service.list_agreements(get_session())
    return _answer(AgreementList(
        agreements=[_agreement_out(i) for i in items]))


@bp.get("/me")
@member_required
@documented("Show the logged-in member and their household",
            response=MeOut, tag=TAG)
def get_me() -> Any:
    """Show who is calling, and their household."""
    member = accounts.get_member(get_session(), me().id)
    if member is None:
        raise ApiError(401, "unauthorized", _("Log in first."))
    household = (_load_household_out(member.household_id)
                 if member.household_id is not None else None)
    return _answer(MeOut(
        member=MemberOut(id=me().id, username=member.username,
                         display_name=member.display_name, role=member.role,
                         locale=member.locale),
        household=household))


@bp.get("/me/export")
@member_required
@documented("Export everything held about your household", tag=TAG)
def export_me() -> Any:
    """Return everything the node holds about the caller's household."""
    try:
        data = service.export_household(get_session(), _own_household())
    except InventoryError as error:
        raise _api_error(error)
    return jsonify(data)


@bp.delete("/me/household-data")
@member_required
@documented("Delete your household's data", response=Deleted, tag=TAG)
def delete_me() -> Any:
    """Delete the caller's household and everything about it."""
    session = get_session()
    try:
        counts = service.delete_household_data(session, _own_household())
    except InventoryError as error:
        raise _api_error(error)

    session.commit()
    return _answer(Deleted(deleted=counts))
