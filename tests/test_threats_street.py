"""What the threat picture means for a street, on the page and in the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey)
from flask import Flask
from flask.testing import FlaskClient

from buurt import db
from buurt.accounts.models import Member
from buurt.inventory import service as inventory
from buurt.db import utcnow
from buurt.threats import envelope, service, street
from conftest import bearer_headers, create_member, login
from test_threats_format import payload, reference_summary

# Households of a street like the Lindenlaan: two depend on electricity
# for medical equipment (oxygen, dialysis), two more need other help.
HOUSEHOLDS = [
    ("Lindenlaan 1", 2, None), ("Lindenlaan 3", 4, None),
    ("Lindenlaan 5", 1, "needs_help"), ("Lindenlaan 7", 3, None),
    ("Lindenlaan 9", 2, None), ("Lindenlaan 11", 5, None),
    ("Lindenlaan 13", 2, "power_dependent"), ("Lindenlaan 25", 1,
                                              "needs_help"),
    ("Kastanjestraat 14", 1, "power_dependent"),
    ("Kastanjestraat 16", 3, None),
]
RESOURCES = [("radio", None, "Lindenlaan 1"), ("gas_burner", None,
                                               "Lindenlaan 3"),
             ("water_tank", 1000.0, "Lindenlaan 7"),
             ("generator", None, "Lindenlaan 9"),
             ("generator", None, "Kastanjestraat 16")]


@pytest.fixture
def lindenlaan(app: Flask) -> dict[str, int]:
    """Create the street through the inventory service; return ids."""
    ids: dict[str, int] = {}
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        for address, residents, need in HOUSEHOLDS:
            household = inventory.create_household(session, address,
                                                   residents=residents)
            assert household.id is not None
            ids[address] = household.id
            if need:
                inventory.grant_consent(session, household.id, "health")
                inventory.set_need(session, household.id, need)
        for kind, capacity, keeper in RESOURCES:
            resource = inventory.create_resource(
                session, kind, capacity=capacity,
                keeper_household_id=ids[keeper])
            assert resource.id is not None
            ids[f"{kind}@{keeper}"] = resource.id
    return ids


def give_backup(app: Flask, ids: dict[str, int], address: str) -> None:
    """Assign a generator as power backup to a household."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        inventory.create_agreement(
            session, "power_backup", household_id=ids[address],
            resource_id=ids["generator@Lindenlaan 9"])


def power_advice(client: FlaskClient, headers: dict[str, str],
                 language: str) -> dict[str, object]:
    """Return the API's advice about electricity."""
    response = client.get("/api/v1/threats", headers={
        **headers, "Accept-Language": language})
    assert response.status_code == 200, response.get_data(as_text=True)
    advice = response.get_json()["street"]
    return next(item for item in advice if item["vital_function"] == "power")


def test_advice_names_households_without_power_backup_for_coordinators(
        app: Flask, client: FlaskClient, coordinator_headers: dict[str, str],
        lindenlaan: dict[str, int]) -> None:
    english = power_advice(client, coordinator_headers, "en")
    dutch = power_advice(client, coordinator_headers, "nl")

    assert english["power_dependent"] == 2
    assert english["without_backup"] == 2
    assert english["scenario"] == "power"
    assert english["drill_url"] == "/drills/new?scenario=power"
    assert english["urgent"] is True
    text = str(english["text"])
    assert text.startswith("Electricity is at risk from temporary "
                           "occupation of an EU member state, heat and "
                           "drought, and cyberattacks on critical "
                           "infrastructure; ")
    assert ("2 households here depend on electricity for medical "
            "equipment; 2 of them have no backup assigned: plan a "
            "power-outage drill.") in text
    assert ("2 huishoudens hier zijn voor medische apparatuur afhankelijk "
            "van stroom; 2 daarvan hebben geen back-up geregeld: plan een "
            "stroomuitvaloefening.") in str(dutch["text"])


def test_advice_counts_in_the_singular_once_one_backup_is_assigned(
        app: Flask, client: FlaskClient, coordinator_headers: dict[str, str],
        lindenlaan: dict[str, int]) -> None:
    give_backup(app, lindenlaan, "Lindenlaan 13")

    english = power_advice(client, coordinator_headers, "en")
    dutch = power_advice(client, coordinator_headers, "nl")

    assert english["without_backup"] == 1
    assert "1 of them has no backup assigned" in str(english["text"])
    assert "1 daarvan heeft geen back-up geregeld" in str(dutch["text"])


def test_advice_names_households_that_need_help_but_have_no_buddy(
        app: Flask, client: FlaskClient, coordinator_headers: dict[str, str],
        lindenlaan: dict[str, int]) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        inventory.create_agreement(
            session, "buddy", household_id=lindenlaan["Lindenlaan 5"],
            helper_household_id=lindenlaan["Lindenlaan 3"])

    response = client.get("/api/v1/threats", headers={
        **coordinator_headers, "Accept-Language": "en"})

    care = next(item for item in response.get_json()["street"]
                if item["vital_function"] == "healthcare")
    # Readiness counts every household with a need, power-dependent too.
    assert (care["needs_help"], care["without_buddy"]) == (4, 3)
    assert ("4 households here need help in an outage; 3 of them have no "
            "buddy to check on them: plan a drill with a scenario of your "
            "own.") in care["text"]
    assert care["drill_url"] == "/drills/new?scenario=custom"


def test_residents_get_the_advice_without_health_counts(
        app: Flask, client: FlaskClient,
        lindenlaan: dict[str, int]) -> None:
    resident = create_member(app, "rita",
                             household_id=lindenlaan["Lindenlaan 1"])

    response = client.get("/api/v1/threats", headers={
        **bearer_headers(app, resident), "Accept-Language": "en"})

    body = response.get_json()
    power = next(item for item in body["street"]
                 if item["vital_function"] == "power")
    assert response.status_code == 200
    assert power["power_dependent"] is None
    assert "medical" not in power["text"]
    assert power["text"].endswith("plan a power-outage drill.")
    assert body["last_attempt"] is None


def test_every_hit_vital_function_leads_to_a_drill_scenario(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/threats", headers=coordinator_headers)

    advice = {item["vital_function"]: item
              for item in response.get_json()["street"]}

    assert {name: item["scenario"] for name, item in advice.items()} == {
        "power": "power", "drinking_water": "water", "telecom": "internet",
        "payments": "payments", "healthcare": "custom", "food": "custom",
        "transport": "custom"}
    assert advice["telecom"]["threats"] == ["cyberattack-critical-infra"]


def test_api_shows_top_hubs_age_and_the_demonstration_summary_on_first_boot(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/threats", headers={
        **coordinator_headers, "Accept-Language": "en"})

    body = response.get_json()
    assert response.status_code == 200
    assert [(hub["id"], hub["hub_value"]) for hub in body["hubs"][:3]] == [
        ("occupation-eu-member", 10), ("covert-influence", 8),
        ("heat-drought", 5)]
    assert len(body["hubs"]) == 6
    assert body["hubs"][0]["name"] == (
        "Temporary occupation of an EU member state")
    assert body["summary"]["demonstration"] is True
    assert body["summary"]["sequence"] == 0
    assert body["summary"]["age_text"].startswith("Last updated ")
    assert body["advisory"]["level"] == 1
    assert body["last_attempt"] is None


def test_api_needs_a_member(client: FlaskClient) -> None:
    response = client.get("/api/v1/threats")

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_is_in_the_openapi_document(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()

    operation = document["paths"]["/api/v1/threats"]["get"]
    assert operation["tags"] == ["threats"]
    assert "ThreatsOut" in document["components"]["schemas"]


@pytest.mark.parametrize("level, count", [(1, 5), (2, 9), (3, 13)])
def test_checklist_grows_with_the_advisory_level(level: int,
                                                 count: int) -> None:
    items = street.checklist(level)

    assert len(items) == count
    assert street.checklist(1) == items[:5]


def test_threats_page_in_dutch_for_a_resident(
        app: Flask, lindenlaan: dict[str, int]) -> None:
    create_member(app, "rita", household_id=lindenlaan["Lindenlaan 1"])
    client = app.test_client()
    login(client, "rita")

    page = client.get("/threats", headers={"Accept-Language": "nl"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Dreigingen en wat ze voor ons betekenen" in html
    assert "Laatst bijgewerkt" in html
    assert "Tijdelijke bezetting van een EU-lidstaat" in html
    assert 'href="/drills/new?scenario=power"' in html
    assert "<svg" in html and "<circle" in html
    assert "Lage dreiging" in html
    assert "medische apparatuur" not in html
    assert "Laatste synchronisatie" not in html
    assert 'href="/threats"' in html


def test_threats_page_in_english_shows_coordinators_the_last_attempt(
        app: Flask, coordinator_client: FlaskClient,
        coordinator: Member) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        service.record_rejection(session, "url", "http://127.0.0.1:9/x",
                                 service.Rejection("timeout", "no answer"))

    page = coordinator_client.get("/threats",
                                  headers={"Accept-Language": "en"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Threats and what they mean for us" in html
    assert "Temporary occupation of an EU member state" in html
    assert "Last sync" in html
    assert "The publisher did not answer in time." in html
    assert "not a national assessment" in html
    assert len(re.findall(r"<circle", html)) >= 12


def test_dutch_page_gives_coordinators_the_reason_not_the_english_detail(
        app: Flask, coordinator_client: FlaskClient,
        caplog: pytest.LogCaptureFixture) -> None:
    detail = ("the request to http://[::1 failed (Failed to parse: "
              "http://[::1)")
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        service.record_rejection(session, "url", "http://[::1",
                                 service.Rejection("unreachable", detail))

    page = coordinator_client.get("/threats",
                                  headers={"Accept-Language": "nl"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Laatste synchronisatie" in html
    assert "De uitgever was niet bereikbaar (geen internet?)." in html
    assert "Failed to parse" not in html
    assert "the request to" not in html
    assert detail in caplog.text


def test_page_shows_the_age_and_an_expired_summary_in_red(
        app: Flask, coordinator_client: FlaskClient) -> None:
    key = Ed25519PrivateKey.generate()
    now = utcnow()
    signed = envelope.sign(payload(reference_summary(
        3, issued_at=(now - timedelta(days=9)).isoformat(),
        expires_at=(now - timedelta(days=1, hours=1)).isoformat())), key)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        accepted = service.accept_envelope(
            session, signed, key.public_key(), "file", "stick",
            now=now - timedelta(days=8))

    page = coordinator_client.get("/threats",
                                  headers={"Accept-Language": "en"})

    html = page.get_data(as_text=True)
    assert accepted.outcome == "accepted"
    assert re.search(r'<p class="bad">\s*Last updated 9 days ago\. '
                     r'Expired 1 day ago', html)
    assert "not a national assessment" not in html
