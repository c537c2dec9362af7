"""The inventory's JSON API: own-household rules, idempotent pledges, one
error shape for bad input, agreements, and a resident's own data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import func, select

from buurt import db
from buurt.accounts.models import Member
from buurt.inventory import service
from buurt.inventory.models import Agreement, Household, Pledge, Resource
from conftest import bearer_headers, create_member, csrf_token, login

SECRET_NOTE = "dialyse-thuis-4411"


def count(app: Flask, model: Any) -> int:
    """Count the rows of a table."""
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        return int(session.exec(select(func.count()).select_from(model))
                   .one())


@pytest.fixture
def homes(app: Flask) -> dict[str, int]:
    """Return a resident's household and a neighbour with health needs."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        own = service.create_household(session, "Merelstraat 3", 3)
        other = service.create_household(session, "Merelstraat 11", 1)
        assert own.id is not None and other.id is not None
        service.grant_consent(session, other.id, "health")
        service.set_need(session, other.id, "power_dependent", SECRET_NOTE)
        return {"own": own.id, "other": other.id}


@pytest.fixture
def resident(app: Flask, homes: dict[str, int]) -> dict[str, str]:
    """Return bearer headers of a resident of Merelstraat 3."""
    member = create_member(app, "noor", household_id=homes["own"])
    return bearer_headers(app, member)


def error_of(answer: Any) -> dict[str, str]:
    """Return the error object of an API answer, checking its shape."""
    body = answer.get_json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return dict(body["error"])


RADIO = {"kind": "radio", "name": "Dynamoradio", "availability": "drills"}


def test_resident_pledges_for_own_household(
        client: FlaskClient, resident: dict[str, str],
        homes: dict[str, int]) -> None:
    answer = client.post("/api/v1/pledges", json=RADIO, headers=resident)

    assert answer.status_code == 201
    body = answer.get_json()
    assert body["household_id"] == homes["own"]
    assert body["availability"] == "drills"
    assert body["resource"]["kind"] == "radio"
    assert body["resource"]["function"] == "information"
    assert body["resource"]["capacity"] == 10.0


def test_retried_pledge_with_the_same_key_stores_one_row(
        app: Flask, client: FlaskClient, resident: dict[str, str]) -> None:
    headers = {**resident, "Idempotency-Key": "phone-42"}

    first = client.post("/api/v1/pledges", json=RADIO, headers=headers)
    retry = client.post("/api/v1/pledges", json=RADIO, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert count(app, Pledge) == 1 and count(app, Resource) == 1


def test_same_key_with_another_body_is_refused(
        app: Flask, client: FlaskClient, resident: dict[str, str]) -> None:
    headers = {**resident, "Idempotency-Key": "phone-43"}
    client.post("/api/v1/pledges", json=RADIO, headers=headers)

    other = client.post("/api/v1/pledges",
                        json={**RADIO, "name": "Andere radio"},
                        headers=headers)

    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert count(app, Pledge) == 1


def test_different_keys_store_two_pledges(
        app: Flask, client: FlaskClient, resident: dict[str, str]) -> None:
    for key in ("a", "b"):
        client.post("/api/v1/pledges", json=RADIO,
                    headers={**resident, "Idempotency-Key": key})

    assert count(app, Pledge) == 2


LONG = "x" * 10_000


@pytest.mark.parametrize("raw, status, code", [
    (b'{"kind": "radio",', 400, "malformed_json"),
    (b"\xff\xfe not utf-8", 400, "malformed_json"),
    (b"[]", 422, "invalid"),
    (b"null", 422, "invalid"),
    (b'"radio"', 422, "invalid"),
    (json.dumps({"kind": 5}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "quantity": "three"}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "quantity": "3"}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "quantity": True}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "quantity": 1.5}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "quantity": -1}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "quantity": 0}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "quantity": 10 ** 30}).encode(), 422,
     "number_too_large"),
    (json.dumps({**RADIO, "capacity": -5}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "name": LONG}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "kind": LONG}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "note": LONG}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "colour": "red"}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "availability": "sometimes"}).encode(), 422,
     "invalid"),
    (json.dumps({**RADIO, "household_id": "1"}).encode(), 422, "invalid"),
    (json.dumps({**RADIO, "kind": "spaceship"}).encode(), 422,
     "unknown_kind"),
    (json.dumps({"kind": "water_tank"}).encode(), 422, "capacity_required"),
    (json.dumps({"what": "skill", "kind": "first_aid"}).encode(), 422,
     "description_required"),
])
def test_bad_pledge_bodies_get_the_error_shape_and_store_nothing(
        app: Flask, client: FlaskClient, resident: dict[str, str],
        raw: bytes, status: int, code: str) -> None:
    answer = client.post("/api/v1/pledges", data=raw,
                         content_type="application/json",
                         headers={**resident, "Idempotency-Key": "k1"})

    assert answer.status_code == status
    assert error_of(answer)["code"] == code
    assert count(app, Pledge) == 0 and count(app, Resource) == 0


def test_pledge_body_that_is_not_json_is_415(
        app: Flask, client: FlaskClient, resident: dict[str, str]) -> None:
    answer = client.post("/api/v1/pledges", data="kind=radio",
                         content_type="application/x-www-form-urlencoded",
                         headers=resident)

    assert answer.status_code == 415
    assert error_of(answer)["code"] == "unsupported_media_type"
    assert count(app, Pledge) == 0


def test_error_message_is_in_the_callers_language(
        client: FlaskClient, resident: dict[str, str]) -> None:
    answer = client.post("/api/v1/pledges", data=b"{",
                         content_type="application/json",
                         headers={**resident, "Accept-Language": "en"})

    assert error_of(answer)["message"] == "The body is not valid JSON."


def test_resident_cannot_pledge_for_another_household(
        app: Flask, client: FlaskClient, resident: dict[str, str],
        homes: dict[str, int]) -> None:
    answer = client.post("/api/v1/pledges",
                         json={**RADIO, "household_id": homes["other"]},
                         headers=resident)

    assert answer.status_code == 403
    assert error_of(answer)["code"] == "forbidden"
    assert count(app, Pledge) == 0


def test_coordinator_pledges_for_a_named_household(
        client: FlaskClient, coordinator_headers: dict[str, str],
        homes: dict[str, int]) -> None:
    answer = client.post("/api/v1/pledges",
                         json={**RADIO, "household_id": homes["other"]},
                         headers=coordinator_headers)
    missing = client.post("/api/v1/pledges",
                          json={**RADIO, "household_id": 999},
                          headers=coordinator_headers)

    assert answer.status_code == 201
    assert answer.get_json()["household_id"] == homes["other"]
    assert missing.status_code == 404


def test_member_without_household_gets_409(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    answer = client.post("/api/v1/pledges", json=RADIO,
                         headers=coordinator_headers)

    assert answer.status_code == 409
    assert error_of(answer)["code"] == "no_household"


def test_browser_calling_the_api_with_its_cookie_needs_csrf(
        app: Flask, homes: dict[str, int]) -> None:
    create_member(app, "noor", household_id=homes["own"])
    browser = app.test_client()
    login(browser, "noor")

    refused = browser.post("/api/v1/pledges", json=RADIO)
    accepted = browser.post("/api/v1/pledges", json=RADIO, headers={
        "X-CSRFToken": csrf_token(browser, "/household")})

    assert refused.status_code == 400
    assert error_of(refused)["code"] == "csrf"
    assert accepted.status_code == 201


def test_resident_lists_only_own_pledges(
        app: Flask, client: FlaskClient, resident: dict[str, str],
        homes: dict[str, int]) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        service.pledge_resource(session, homes["other"], "generator")
        service.pledge_resource(session, homes["own"], "radio")

    pledges = client.get("/api/v1/pledges", headers=resident).get_json()

    assert [p["household_id"] for p in pledges["pledges"]] == [homes["own"]]


def test_resident_sees_own_household_and_not_another(
        client: FlaskClient, resident: dict[str, str],
        homes: dict[str, int]) -> None:
    own = client.get(f"/api/v1/households/{homes['own']}", headers=resident)
    other = client.get(f"/api/v1/households/{homes['other']}",
                       headers=resident)
    missing = client.get("/api/v1/households/999", headers=resident)
    listing = client.get("/api/v1/households", headers=resident)

    assert own.status_code == 200
    assert own.get_json()["address"] == "Merelstraat 3"
    assert other.status_code == 403 and missing.status_code == 403
    assert error_of(other)["code"] == "forbidden"
    assert listing.status_code == 403
    for answer in (other, missing, listing):
        assert SECRET_NOTE not in answer.get_data(as_text=True)


def test_health_needs_reach_coordinators_only_with_consent(
        app: Flask, client: FlaskClient, coordinator_headers: dict[str, str],
        resident: dict[str, str], homes: dict[str, int]) -> None:
    path = f"/api/v1/households/{homes['other']}"
    assert client.get(path, headers=coordinator_headers).get_json()[
        "needs"] == [{"kind": "power_dependent", "note": SECRET_NOTE}]
    for member_path in ("/api/v1/resources", "/api/v1/pledges",
                        "/api/v1/me"):
        text = client.get(member_path, headers=resident).get_data(
            as_text=True)
        assert SECRET_NOTE not in text

    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        service.withdraw_consent(session, homes["other"], "health")

    listing = client.get("/api/v1/households",
                         headers=coordinator_headers).get_json()
    assert SECRET_NOTE not in json.dumps(listing)
    assert [h["address"] for h in listing["households"]] == [
        "Merelstraat 11", "Merelstraat 3"]


def test_me_shows_the_member_and_household(
        client: FlaskClient, resident: dict[str, str]) -> None:
    me = client.get("/api/v1/me", headers=resident).get_json()

    assert me["member"]["username"] == "noor"
    assert me["member"]["role"] == "resident"
    assert me["household"]["address"] == "Merelstraat 3"
    assert "pin_hash" not in json.dumps(me)


def test_me_without_login_is_401(client: FlaskClient) -> None:
    answer = client.get("/api/v1/me")

    assert answer.status_code == 401
    assert error_of(answer)["code"] == "unauthorized"


def test_resident_exports_and_deletes_own_household(
        app: Flask, client: FlaskClient, resident: dict[str, str],
        homes: dict[str, int]) -> None:
    client.post("/api/v1/pledges", json=RADIO, headers=resident)

    export = client.get("/api/v1/me/export", headers=resident)
    deleted = client.delete("/api/v1/me/household-data", headers=resident)
    again = client.delete("/api/v1/me/household-data", headers=resident)

    assert export.status_code == 200
    assert export.get_json()["household"]["address"] == "Merelstraat 3"
    assert export.get_json()["resources"][0]["name"] == "Dynamoradio"
    assert deleted.status_code == 200
    assert deleted.get_json()["deleted"]["households"] == 1
    assert deleted.get_json()["deleted"]["pledges"] == 1
    assert again.status_code == 409
    assert count(app, Household) == 1 and count(app, Pledge) == 0
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        noor = session.exec(select(Member).where(
            Member.username == "noor")).one()
    assert noor.household_id is None


def test_coordinator_records_and_lists_agreements(
        app: Flask, client: FlaskClient, coordinator_headers: dict[str, str],
        homes: dict[str, int]) -> None:
    answer = client.post("/api/v1/agreements", json={
        "kind": "buddy", "household_id": homes["other"],
        "helper_household_id": homes["own"]}, headers=coordinator_headers)
    listing = client.get("/api/v1/agreements", headers=coordinator_headers)

    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["household"], body["helper"], body["source"]) == (
        "Merelstraat 11", "Merelstraat 3", "form")
    assert [a["id"] for a in listing.get_json()["agreements"]] == [
        body["id"]]


@pytest.mark.parametrize("body, status, code", [
    ({"kind": "babysit"}, 422, "invalid"),
    ({"kind": "buddy", "household_id": 1}, 422,
     "agreement_needs_helper_household_id"),
    ({"kind": "cook", "helper_household_id": 999}, 404,
     "household_not_found"),
    ({"kind": "other", "description": LONG}, 422, "invalid"),
    ({"kind": "other", "description": "x", "source": "hackathon"}, 422,
     "invalid"),
])
def test_bad_agreements_are_refused(
        app: Flask, client: FlaskClient, coordinator_headers: dict[str, str],
        homes: dict[str, int], body: dict[str, Any], status: int,
        code: str) -> None:
    answer = client.post("/api/v1/agreements", json=body,
                         headers=coordinator_headers)

    assert answer.status_code == status
    assert error_of(answer)["code"] == code
    assert count(app, Agreement) == 0


def test_residents_cannot_use_agreements(
        client: FlaskClient, resident: dict[str, str]) -> None:
    posted = client.post("/api/v1/agreements", json={"kind": "cook"},
                         headers=resident)
    listed = client.get("/api/v1/agreements", headers=resident)

    assert posted.status_code == listed.status_code == 403
    assert error_of(posted)["code"] == "forbidden"


def test_resources_lists_every_shared_thing(
        app: Flask, client: FlaskClient, resident: dict[str, str],
        homes: dict[str, int]) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        service.pledge_resource(session, homes["other"], "jerrycan",
                                quantity=3)

    resources = client.get("/api/v1/resources", headers=resident).get_json()

    assert [(r["kind"], r["quantity"], r["capacity"], r["function"])
            for r in resources["resources"]] == [
        ("jerrycan", 3, 20.0, "drinking_water")]
