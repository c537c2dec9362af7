"""The inventory as residents and coordinators use it: consent, needs,
pledges, what the street shares, agreements, invites, a resident's own
data, and the demo neighbourhood."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect
from sqlmodel import Session, func, select

from buurt import db
from buurt.accounts.models import Invite, Member
from buurt.inventory import service
from buurt.inventory.models import (Agreement, Consent, Household, Need,
                                    Pledge, Resource, Skill)
from buurt.inventory.service import InventoryError
from conftest import create_member, csrf_token, login

SECRET_NOTE = "zuurstofapparaat-7731"


def add_household(app: Flask, address: str, residents: int = 2,
                  **changes: Any) -> int:
    """Create a household through the service; return its id."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        household = service.create_household(session, address, residents,
                                             **changes)
        assert household.id is not None
        return household.id


def with_session(app: Flask, work: Callable[[Session], Any]) -> Any:
    """Run `work` in a committed session and return what it returns."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        return work(session)


def count(app: Flask, model: Any) -> int:
    """Count the rows of a table."""
    return int(with_session(app, lambda s: s.exec(
        select(func.count()).select_from(model)).one()))


def post(client: FlaskClient, path: str, data: dict[str, str],
         form_page: str = "/household") -> Any:
    """Submit a form the way an English browser does, with its token."""
    return client.post(path, headers={"Accept-Language": "en"},
                       data={**data,
                             "csrf_token": csrf_token(client, form_page)})


@pytest.fixture
def street(app: Flask) -> dict[str, int]:
    """Return two households: a resident's and a power-dependent one."""
    own = add_household(app, "Lindenlaan 1", 2)
    fragile = add_household(app, "Lindenlaan 13", 1, contact_name="K. Visser",
                            phone="06-00001013")

    def needs(session: Session) -> None:
        service.grant_consent(session, fragile, "health")
        service.grant_consent(session, fragile, "contact")
        service.set_need(session, fragile, "power_dependent", SECRET_NOTE)
        service.set_need(session, fragile, "needs_help", "woont alleen")

    with_session(app, needs)
    return {"own": own, "fragile": fragile}


@pytest.fixture
def resident(app: Flask, street: dict[str, int]) -> FlaskClient:
    """Return a client logged in as a resident of Lindenlaan 1."""
    create_member(app, "anna", household_id=street["own"])
    client = app.test_client()
    login(client, "anna")
    return client


def test_address_key_ignores_case_and_spacing(session: Session) -> None:
    household = service.create_household(session, "  Lindenlaan   7 ", 3)

    assert household.address == "Lindenlaan 7"
    assert household.address_key == "lindenlaan 7"
    assert service.find_household(session, "LINDENLAAN 7") == household
    with pytest.raises(InventoryError) as refused:
        service.create_household(session, "lindenlaan 7")
    assert refused.value.code == "address_taken"


def test_need_is_refused_without_health_consent(session: Session) -> None:
    household = service.create_household(session, "Lindenlaan 5", 1)
    assert household.id is not None

    with pytest.raises(InventoryError) as refused:
        service.set_need(session, household.id, "needs_help", "rolstoel")

    assert refused.value.code == "health_consent_required"
    assert service.list_needs(session, household.id) == []


def test_withdrawing_health_consent_deletes_the_needs(
        session: Session) -> None:
    household = service.create_household(session, "Lindenlaan 5", 1)
    assert household.id is not None
    service.grant_consent(session, household.id, "health")
    service.set_need(session, household.id, "needs_help", "rolstoel")
    service.grant_consent(session, household.id, "contact")

    assert service.withdraw_consent(session, household.id, "health")

    assert service.list_needs(session, household.id) == []
    assert service.consents_of(session, [household.id]) == {
        household.id: {"contact"}}
    with pytest.raises(InventoryError):
        service.set_need(session, household.id, "needs_help", "rolstoel")
    assert not service.withdraw_consent(session, household.id, "health")


def test_consent_history_is_kept_when_granted_again(session: Session) -> None:
    household = service.create_household(session, "Lindenlaan 5", 1)
    assert household.id is not None
    service.grant_consent(session, household.id, "health")
    service.withdraw_consent(session, household.id, "health")
    service.grant_consent(session, household.id, "health")
    service.grant_consent(session, household.id, "health")

    rows = session.exec(select(Consent).where(
        Consent.household_id == household.id)).all()

    assert [row.withdrawn_at is None for row in rows] == [False, True]
    assert service.has_consent(session, household.id, "health")


def test_unknown_consent_kind_is_refused(session: Session) -> None:
    household = service.create_household(session, "Lindenlaan 5", 1)
    assert household.id is not None

    with pytest.raises(InventoryError) as refused:
        service.grant_consent(session, household.id, "religion")

    assert refused.value.code == "unknown_consent"


def test_resident_withdraws_health_consent_on_the_page(
        app: Flask, street: dict[str, int]) -> None:
    create_member(app, "karel", household_id=street["fragile"])
    client = app.test_client()
    login(client, "karel")
    assert SECRET_NOTE in client.get("/household").get_data(as_text=True)

    answer = post(client, "/household/consent",
                  {"kind": "health", "action": "withdraw"})

    assert answer.status_code == 302
    assert count(app, Need) == 0
    page = client.get("/household").get_data(as_text=True)
    assert SECRET_NOTE not in page
    assert 'name="power_dependent"' not in page


def test_needs_form_stores_nothing_without_health_consent(
        app: Flask, resident: FlaskClient) -> None:
    answer = post(resident, "/household/needs",
                  {"needs_help": "1", "note_needs_help": "rolstoel"})

    assert answer.status_code == 400
    assert count(app, Need) == 2  # only the other household's
    assert "Give that consent first" in answer.get_data(as_text=True)


def test_resident_with_health_consent_saves_needs(
        app: Flask, resident: FlaskClient, street: dict[str, int]) -> None:
    post(resident, "/household/consent", {"kind": "health",
                                          "action": "grant"})

    post(resident, "/household/needs",
         {"needs_help": "1", "note_needs_help": "slecht ter been"})

    needs = with_session(app, lambda s: service.list_needs(s, street["own"]))
    assert [(n.kind, n.note) for n in needs] == [("needs_help",
                                                  "slecht ter been")]


def test_resident_cannot_open_coordinator_pages(
        resident: FlaskClient) -> None:
    for path in ("/inventory", "/inventory/agreements",
                 "/inventory/invites"):
        assert resident.get(path).status_code == 403


def test_shared_page_groups_by_function_without_health_data(
        app: Flask, resident: FlaskClient, coordinator_client: FlaskClient,
        street: dict[str, int]) -> None:
    with_session(app, lambda s: service.pledge_resource(
        s, street["fragile"], "generator", "Aggregaat 2 kW",
        availability="outages"))
    with_session(app, lambda s: service.pledge_resource(
        s, street["own"], "water_tank", "Tank in de tuin", capacity=1000))

    for client in (resident, coordinator_client):
        page = client.get("/shared", headers={"Accept-Language": "en"})
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert SECRET_NOTE not in text
        assert "woont alleen" not in text
        assert "06-00001013" not in text
        power = text.index("<h2>Power</h2>")
        water = text.index("<h2>Drinking water</h2>")
        assert text.index("Aggregaat 2 kW") > power
        assert water < text.index("Tank in de tuin") < text.index(
            "<h2>Cooking</h2>")
        assert "in real outages" in text
        assert "1000 litres" in text


def test_coordinator_sees_needs_only_with_consent(
        app: Flask, coordinator_client: FlaskClient,
        street: dict[str, int]) -> None:
    assert SECRET_NOTE in coordinator_client.get(
        "/inventory").get_data(as_text=True)

    with_session(app, lambda s: service.withdraw_consent(
        s, street["fragile"], "health"))

    assert SECRET_NOTE not in coordinator_client.get(
        "/inventory").get_data(as_text=True)


def test_coordinator_sees_phone_only_with_contact_consent(
        app: Flask, coordinator_client: FlaskClient,
        street: dict[str, int]) -> None:
    assert "06-00001013" in coordinator_client.get(
        "/inventory").get_data(as_text=True)

    with_session(app, lambda s: service.withdraw_consent(
        s, street["fragile"], "contact"))

    assert "06-00001013" not in coordinator_client.get(
        "/inventory").get_data(as_text=True)


def test_resident_pledges_a_resource_and_a_skill(
        app: Flask, resident: FlaskClient, street: dict[str, int]) -> None:
    post(resident, "/pledge", {"what": "resource", "kind": "radio",
                               "name": "Dynamoradio", "quantity": "1",
                               "availability": "drills"}, "/pledge")
    post(resident, "/pledge", {"what": "skill", "skill_kind": "first_aid",
                               "description": "EHBO-diploma",
                               "availability": "always"}, "/pledge")

    pledges = with_session(app, lambda s: service.list_pledges(
        s, street["own"]))
    assert [(p.pledge.availability, p.resource and p.resource.kind,
             p.skill and p.skill.description) for p in pledges] == [
        ("drills", "radio", None), ("always", None, "EHBO-diploma")]
    page = resident.get("/household").get_data(as_text=True)
    assert "Dynamoradio" in page and "EHBO-diploma" in page


@pytest.mark.parametrize("fields, message", [
    ({"kind": "spaceship"}, "Choose a kind of resource from the list."),
    ({"quantity": "0"}, "The number must be between 1 and 1000."),
    ({"quantity": "lots"}, "Fill in a whole number."),
    ({"availability": "sometimes"}, "Say when it may be used"),
    ({"name": "x" * 10_000}, "too long"),
    ({"kind": "water_tank"}, "Say how many litres it holds."),
])
def test_pledge_form_refuses_bad_input_and_stores_nothing(
        app: Flask, resident: FlaskClient, fields: dict[str, str],
        message: str) -> None:
    form = {"what": "resource", "kind": "radio", "name": "Radio",
            "quantity": "1", "availability": "always", **fields}

    answer = post(resident, "/pledge", form, "/pledge")

    assert answer.status_code == 400
    assert count(app, Pledge) == 0 and count(app, Resource) == 0
    assert message in answer.get_data(as_text=True)


def test_resident_takes_a_pledge_back(
        app: Flask, resident: FlaskClient, street: dict[str, int]) -> None:
    pledge = with_session(app, lambda s: service.pledge_resource(
        s, street["own"], "radio", "Radio"))

    post(resident, f"/pledges/{pledge.id}/delete", {})

    assert count(app, Pledge) == 0 and count(app, Resource) == 0


def test_resident_cannot_take_back_another_households_pledge(
        app: Flask, resident: FlaskClient, street: dict[str, int]) -> None:
    pledge = with_session(app, lambda s: service.pledge_resource(
        s, street["fragile"], "radio", "Radio"))

    post(resident, f"/pledges/{pledge.id}/delete", {})

    assert count(app, Pledge) == 1


def test_resident_exports_own_household_as_json(
        app: Flask, resident: FlaskClient, street: dict[str, int]) -> None:
    with_session(app, lambda s: service.pledge_skill(
        s, street["own"], "cooking", "Kookt voor de straat"))

    answer = resident.get("/household/export")

    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    data = json.loads(answer.data)
    assert data["household"]["address"] == "Lindenlaan 1"
    assert [m["username"] for m in data["members"]] == ["anna"]
    assert "pin_hash" not in data["members"][0]
    assert data["skills"][0]["description"] == "Kookt voor de straat"
    assert SECRET_NOTE not in answer.get_data(as_text=True)


def test_resident_deletes_own_data_after_confirming(
        app: Flask, resident: FlaskClient, street: dict[str, int]) -> None:
    with_session(app, lambda s: service.pledge_resource(
        s, street["own"], "radio", "Radio"))
    with_session(app, lambda s: service.create_agreement(
        s, "buddy", household_id=street["fragile"],
        helper_household_id=street["own"]))

    unconfirmed = post(resident, "/household/delete", {}, "/household/delete")
    assert unconfirmed.status_code == 400
    assert count(app, Household) == 2

    answer = post(resident, "/household/delete", {"confirm": "yes"},
                  "/household/delete")

    assert answer.status_code == 302
    assert count(app, Household) == 1
    assert count(app, Resource) == count(app, Pledge) == 0
    assert count(app, Agreement) == 0
    anna = with_session(app, lambda s: s.exec(
        select(Member).where(Member.username == "anna")).one())
    assert anna.household_id is None
    assert "Register your household" in resident.get(
        "/household", headers={"Accept-Language": "en"}).get_data(
        as_text=True)


def test_member_without_household_registers_one(
        app: Flask, coordinator_client: FlaskClient) -> None:
    post(coordinator_client, "/household/register",
         {"address": "Kastanjestraat 2", "residents": "3"})

    households = with_session(app, service.list_households)
    assert [(h.address, h.residents) for h in households] == [
        ("Kastanjestraat 2", 3)]
    assert "Kastanjestraat 2" in coordinator_client.get(
        "/household").get_data(as_text=True)


def test_coordinator_records_a_buddy_in_the_agreements_form(
        app: Flask, coordinator_client: FlaskClient,
        street: dict[str, int]) -> None:
    answer = post(coordinator_client, "/inventory/agreements", {
        "kind": "buddy", "household_id": str(street["fragile"]),
        "helper_household_id": str(street["own"]), "resource_id": "",
        "description": "Belt aan"}, "/inventory/agreements")

    assert answer.status_code == 302
    items = with_session(app, service.list_agreements)
    assert [(i.agreement.kind, i.household, i.helper, i.agreement.source)
            for i in items] == [("buddy", "Lindenlaan 13", "Lindenlaan 1",
                                 "form")]
    page = coordinator_client.get("/inventory/agreements").get_data(
        as_text=True)
    assert "Belt aan" in page


def test_power_backup_needs_a_power_source_and_a_dependent_household(
        app: Flask, coordinator_client: FlaskClient,
        street: dict[str, int]) -> None:
    radio = with_session(app, lambda s: service.create_resource(
        s, "radio", "Radio", keeper_household_id=street["own"]))
    generator = with_session(app, lambda s: service.create_resource(
        s, "generator", "Aggregaat", keeper_household_id=street["own"]))
    cases = [(street["fragile"], radio.id, "must be a power source"),
             (street["own"], generator.id, "depends on electricity")]

    for household_id, resource_id, message in cases:
        answer = post(coordinator_client, "/inventory/agreements", {
            "kind": "power_backup", "household_id": str(household_id),
            "resource_id": str(resource_id)}, "/inventory/agreements")
        assert answer.status_code == 400
        assert message in answer.get_data(as_text=True)
    assert count(app, Agreement) == 0

    post(coordinator_client, "/inventory/agreements", {
        "kind": "power_backup", "household_id": str(street["fragile"]),
        "resource_id": str(generator.id)}, "/inventory/agreements")
    assert count(app, Agreement) == 1


def test_create_agreement_returns_the_standing_twin(
        session: Session) -> None:
    one = service.create_household(session, "A 1", 1)
    two = service.create_household(session, "A 2", 1)

    first = service.create_agreement(
        session, "buddy", household_id=one.id, helper_household_id=two.id,
        source="hackathon", source_ref=7)
    again = service.create_agreement(
        session, "buddy", household_id=one.id, helper_household_id=two.id)

    assert again.id == first.id
    assert (first.source, first.source_ref) == ("hackathon", 7)


@pytest.mark.parametrize("kind, fields, code", [
    ("buddy", {"household_id": 1}, "agreement_needs_helper_household_id"),
    ("buddy", {"household_id": 1, "helper_household_id": 1},
     "same_household"),
    ("key_holder", {"helper_household_id": 1},
     "agreement_needs_resource_id"),
    ("other", {}, "agreement_needs_description"),
    ("babysitter", {}, "unknown_agreement_kind"),
    ("cook", {"helper_household_id": 999}, "household_not_found"),
])
def test_incomplete_agreements_are_refused(
        session: Session, kind: str, fields: dict[str, int],
        code: str) -> None:
    service.create_household(session, "A 1", 1)

    with pytest.raises(InventoryError) as refused:
        service.create_agreement(session, kind, **fields)  # type: ignore

    assert refused.value.code == code


def test_coordinator_creates_an_invite_bound_to_a_household(
        app: Flask, coordinator_client: FlaskClient,
        street: dict[str, int]) -> None:
    post(coordinator_client, "/inventory/invites", {
        "role": "resident", "household_id": str(street["own"]),
        "note": "voor nr 1", "valid_days": "14"}, "/inventory/invites")

    invite = with_session(app, lambda s: s.exec(select(Invite)).one())
    assert (invite.household_id, invite.role) == (street["own"], "resident")
    page = coordinator_client.get("/inventory/invites").get_data(
        as_text=True)
    assert invite.code in page and "Lindenlaan 1" in page

    joiner = app.test_client()
    joiner.post("/join", data={
        "code": invite.code, "username": "bert", "pin": "135790",
        "display_name": "Bert", "csrf_token": csrf_token(joiner, "/join")})
    bert = with_session(app, lambda s: s.exec(
        select(Member).where(Member.username == "bert")).one())
    assert bert.household_id == street["own"]


def test_invite_with_absurd_validity_is_refused(
        app: Flask, coordinator_client: FlaskClient) -> None:
    post(coordinator_client, "/inventory/invites", {
        "role": "coordinator", "valid_days": "100000"}, "/inventory/invites")

    assert count(app, Invite) == 0


def test_coordinator_adds_a_household(
        app: Flask, coordinator_client: FlaskClient) -> None:
    post(coordinator_client, "/inventory/households",
         {"address": "Lindenlaan 17", "residents": "0", "vacant": "1"},
         "/inventory")

    households = with_session(app, service.list_households)
    assert [(h.address, h.vacant) for h in households] == [
        ("Lindenlaan 17", True)]


def test_logged_out_home_explains_buurt_and_offers_join(
        client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "prepare for a power cut" in text
    assert 'href="/join"' in text and 'href="/login"' in text
    assert "http://" not in text.replace('xmlns="http://', "")


def all_row_counts(app: Flask) -> dict[str, int]:
    """Count the rows of every table."""
    engine = db.get_engine(app)
    with engine.connect() as connection:
        return {table: connection.exec_driver_sql(
            f'SELECT count(*) FROM "{table}"').scalar_one()
            for table in inspect(engine).get_table_names()}


def test_demo_loads_once_and_prints_the_login(
        app: Flask, run_cli: Callable[..., Result]) -> None:
    assert run_cli("init").exit_code == 0

    first = run_cli("demo")
    after_first = all_row_counts(app)
    second = run_cli("demo")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert all_row_counts(app) == after_first
    assert after_first["household"] == 20
    assert after_first["agreement"] == 8
    assert "demo-coordinator" in first.output and "vogelbuurt" in first.output
    assert "nothing new" in second.output
    assert "http://127.0.0.1:8080/" in second.output

    client = app.test_client()
    login(client, "demo-coordinator", "vogelbuurt")
    page = client.get("/inventory").get_data(as_text=True)
    assert "Merelstraat 11" in page and "thuisdialyse" in page


def test_demo_power_backup_serves_a_power_dependent_household(
        app: Flask, run_cli: Callable[..., Result]) -> None:
    run_cli("demo")

    backups = [i for i in with_session(app, service.list_agreements)
               if i.agreement.kind == "power_backup"]

    assert [(b.household, b.resource) for b in backups] == [
        ("Merelstraat 11", "aggregaat (benzine, 2 kW)")]


def test_skill_description_is_required(session: Session) -> None:
    household = service.create_household(session, "A 1", 1)
    assert household.id is not None

    with pytest.raises(InventoryError) as refused:
        service.create_skill(session, household.id, "cooking", "   ")

    assert refused.value.code == "description_required"
    assert session.exec(select(func.count()).select_from(Skill)).one() == 0


def test_coordinator_sets_the_meeting_point_for_the_plan(
        app: Flask, coordinator_client: FlaskClient) -> None:
    answer = post(coordinator_client, "/inventory/neighbourhood", {
        "name": "Lindenlaan", "meeting_point": "Speeltuin bij nr. 20",
        "support_point": "Buurthuis De Linde", "news_source": "Radio 1 FM"},
        "/inventory/neighbourhood")

    assert answer.status_code == 303
    stored = with_session(app, service.get_neighbourhood)
    assert (stored.meeting_point, stored.support_point) == (
        "Speeltuin bij nr. 20", "Buurthuis De Linde")


@pytest.mark.parametrize("fields, message", [
    ({"name": ""}, "Give the street or neighbourhood a name."),
    ({"meeting_point": "x" * 201}, "too long"),
])
def test_neighbourhood_form_refuses_bad_input_and_keeps_the_old(
        app: Flask, coordinator_client: FlaskClient, fields: dict[str, str],
        message: str) -> None:
    form = {"name": "Lindenlaan", "meeting_point": "", "support_point": "",
            "news_source": "", **fields}

    answer = post(coordinator_client, "/inventory/neighbourhood", form,
                  "/inventory/neighbourhood")

    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert with_session(app, service.get_neighbourhood).name == "Lindenlaan"


def test_residents_cannot_change_the_meeting_point(
        resident: FlaskClient) -> None:
    answer = resident.get("/inventory/neighbourhood")

    assert answer.status_code == 403


def test_shared_page_names_a_keeper_only_with_contact_consent(
        app: Flask, resident: FlaskClient, street: dict[str, int]) -> None:
    with_session(app, lambda s: service.pledge_resource(
        s, street["own"], "radio", "Noodradio"))
    with_session(app, lambda s: service.grant_consent(
        s, street["own"], "contact"))
    assert "Anna, 1" in resident.get("/shared").get_data(as_text=True)

    with_session(app, lambda s: service.withdraw_consent(
        s, street["own"], "contact"))
    page = resident.get("/shared").get_data(as_text=True)

    assert "Anna" not in page
    assert "Noodradio" in page


@pytest.mark.parametrize("spellings", [
    ("Eikstraat 10a", "Eikstraat 10 A"),
    ("Eikstraat10", "eikstraat  10"),
])
def test_address_key_folds_house_number_spellings(
        spellings: tuple[str, str]) -> None:
    first, second = spellings

    assert service.address_key(first) == service.address_key(second)
