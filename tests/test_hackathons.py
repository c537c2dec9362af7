"""Buurthackathons: a challenge, ideas, and outcomes that become agreements."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from buurt import db
from buurt.inventory import service as inventory
from buurt.inventory.models import Agreement
from tests.conftest import bearer_headers, create_member, csrf_token, login
from tests.test_drills_time import NEXT_YEAR


def households(app: Flask) -> tuple[int, int]:
    """Create two households; return their ids."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        first = inventory.create_household(session, "Lindenlaan 1")
        second = inventory.create_household(session, "Lindenlaan 2")
        return first.id or 0, second.id or 0


def test_hackathon_outcome_becomes_an_agreement_linked_to_it(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    helped, buddy = households(app)
    resident = bearer_headers(app, create_member(app, "anna",
                                                 household_id=helped))

    planned = client.post("/api/v1/hackathons", headers=coordinator_headers,
                          json={"challenge": "water_tank",
                                "title": "Eén tank voor de straat",
                                "starts_at": f"{NEXT_YEAR}-05-08T10:00",
                                "ends_at": f"{NEXT_YEAR}-05-11T10:00",
                                "place": "Buurthuis"})
    hackathon_id = planned.json["id"]
    idea = client.post(f"/api/v1/hackathons/{hackathon_id}/ideas",
                       headers=resident,
                       json={"text": "Rooster per huisnummer"})
    outcome = client.post(f"/api/v1/hackathons/{hackathon_id}/outcomes",
                          headers=coordinator_headers,
                          json={"kind": "buddy", "summary": "2 kijkt naar 1",
                                "household_id": helped,
                                "helper_household_id": buddy})
    fetched = client.get(f"/api/v1/hackathons/{hackathon_id}",
                         headers=resident).json

    assert planned.status_code == 201
    assert planned.json["starts_at"] == f"{NEXT_YEAR}-05-08T10:00:00+02:00"
    assert idea.status_code == 201
    assert outcome.status_code == 201
    assert [i["text"] for i in fetched["ideas"]] == ["Rooster per huisnummer"]
    assert fetched["outcomes"][0]["kind"] == "buddy"
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        agreement = session.exec(select(Agreement)).one()
        assert agreement.id == outcome.json["agreement_id"]
        assert (agreement.source, agreement.source_ref) == ("hackathon",
                                                            hackathon_id)
        assert (agreement.household_id, agreement.helper_household_id) == (
            helped, buddy)


def test_outcome_missing_a_household_is_refused_and_stores_nothing(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    planned = client.post("/api/v1/hackathons", headers=coordinator_headers,
                          json={"challenge": "no_power_day", "title": "x",
                                "starts_at": f"{NEXT_YEAR}-05-08T10:00",
                                "ends_at": f"{NEXT_YEAR}-05-08T20:00"})

    outcome = client.post(
        f"/api/v1/hackathons/{planned.json['id']}/outcomes",
        headers={**coordinator_headers, "Accept-Language": "en"},
        json={"kind": "buddy"})

    assert outcome.status_code == 422
    assert "Choose the households" in outcome.json["error"]["message"]
    fetched = client.get(f"/api/v1/hackathons/{planned.json['id']}",
                         headers=coordinator_headers).json
    assert fetched["outcomes"] == []


def test_outcome_for_a_household_that_does_not_exist_says_so_in_dutch(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    helped, _buddy = households(app)
    planned = client.post("/api/v1/hackathons", headers=coordinator_headers,
                          json={"challenge": "no_power_day", "title": "x",
                                "starts_at": f"{NEXT_YEAR}-05-08T10:00",
                                "ends_at": f"{NEXT_YEAR}-05-08T20:00"})

    outcome = client.post(
        f"/api/v1/hackathons/{planned.json['id']}/outcomes",
        headers={**coordinator_headers, "Accept-Language": "nl"},
        json={"kind": "buddy", "household_id": helped,
              "helper_household_id": 99999})

    assert outcome.status_code == 422
    assert outcome.json["error"]["message"] == (
        "Dit huishouden bestaat niet (meer).")


def test_unknown_challenge_is_refused(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    response = client.post("/api/v1/hackathons",
                           headers=coordinator_headers,
                           json={"challenge": "alien_invasion", "title": "x",
                                 "starts_at": f"{NEXT_YEAR}-05-08T10:00",
                                 "ends_at": f"{NEXT_YEAR}-05-08T20:00"})

    assert response.status_code == 422


def test_hackathon_pages_in_dutch_and_english(
        app: Flask, coordinator_client: FlaskClient) -> None:
    helped, buddy = households(app)
    new = "/hackathons/new?challenge=no_payments_weekend"

    english = coordinator_client.get(new, headers={"Accept-Language": "en"})
    dutch = coordinator_client.get(new, headers={"Accept-Language": "nl"})
    created = coordinator_client.post("/hackathons/new", data={
        "challenge": "no_payments_weekend", "title": "Geen pin",
        "starts_at": f"{NEXT_YEAR}-06-05T10:00",
        "ends_at": f"{NEXT_YEAR}-06-06T18:00",
        "csrf_token": csrf_token(coordinator_client, new)})
    page = created.headers["Location"]
    outcome = coordinator_client.post(f"{page}/outcomes", data={
        "kind": "cook", "summary": "Nummer 2 kookt",
        "helper_household_id": str(buddy),
        "csrf_token": csrf_token(coordinator_client, page)})
    create_member(app, "anna", household_id=helped)
    resident = app.test_client()
    login(resident, "anna")
    idea = resident.post(f"{page}/ideas", data={
        "text": "Contant geld in een pot",
        "csrf_token": csrf_token(resident, page)})
    shown = resident.get(page, headers={"Accept-Language": "nl"})

    assert "A weekend without payments" in english.get_data(as_text=True)
    assert "Een weekend zonder betalen" in dutch.get_data(as_text=True)
    assert created.status_code == 303
    assert outcome.status_code == 303
    assert idea.status_code == 303
    html = shown.get_data(as_text=True)
    assert "Contant geld in een pot" in html
    assert "Nummer 2 kookt" in html
    assert "Ideeën" in html
