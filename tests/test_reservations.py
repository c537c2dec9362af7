"""Reserving, borrowing and returning shared items; clashes say when."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient

from buurt import db
from buurt.events import reservations, service
from buurt.events.service import EventError
from buurt.inventory import service as inventory
from buurt.inventory.models import Resource
from tests.conftest import bearer_headers, create_member, csrf_token, login
from tests.test_drills_time import NEXT_YEAR, first_saturday

UTC = timezone.utc
JUNE = first_saturday(6)  # a Saturday in June next year


def pledge(app: Flask, availability: str = "always",
           quantity: int = 1) -> tuple[int, int, int]:
    """Pledge a water tank; return (tank, keeper, other household) ids."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        keeper = inventory.create_household(session, "Lindenlaan 1")
        other = inventory.create_household(session, "Lindenlaan 2")
        item = inventory.pledge_resource(
            session, keeper.id or 0, "water_tank", name="Watertank",
            capacity=1000,
            quantity=quantity, availability=availability)
        return item.resource_id or 0, keeper.id or 0, other.id or 0


def at(day: int, hour: int) -> datetime:
    """Return a UTC instant in January next year."""
    return datetime(NEXT_YEAR, 1, day, hour, tzinfo=UTC)


NOW = datetime(NEXT_YEAR, 1, 1, 8, tzinfo=UTC)


def test_clash_is_refused_with_the_moment_the_item_is_free(
        app: Flask) -> None:
    tank, keeper, other = pledge(app)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        reservations.create_reservation(session, tank, at(2, 9), at(2, 17),
                                        household_id=keeper, now=NOW)
        reservations.create_reservation(session, tank, at(2, 17), at(2, 20),
                                        household_id=keeper, now=NOW)

        with pytest.raises(EventError) as clash:
            reservations.create_reservation(session, tank, at(2, 12),
                                            at(2, 14), household_id=other,
                                            now=NOW)
        fits = reservations.create_reservation(
            session, tank, at(2, 20), at(2, 22), household_id=other, now=NOW)

    assert clash.value.code == "clash"
    # 17:00-20:00 is taken too, so the first free two hours start at 20:00.
    assert clash.value.details["free_from"] == at(2, 20)
    assert fits.id is not None


def test_a_second_unit_can_be_booked_at_the_same_time(app: Flask) -> None:
    tank, keeper, other = pledge(app, quantity=2)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        for household in (keeper, other):
            reservations.create_reservation(session, tank, at(2, 9),
                                            at(2, 12),
                                            household_id=household, now=NOW)
        with pytest.raises(EventError) as clash:
            reservations.create_reservation(session, tank, at(2, 10),
                                            at(2, 11), household_id=other,
                                            now=NOW)

    assert clash.value.details["free_from"] == at(2, 12)


@pytest.mark.parametrize("availability, resident, drill", [
    ("always", True, True),
    ("drills", False, True),
    ("outages", False, False),
])
def test_pledge_availability_decides_who_may_book(
        app: Flask, availability: str, resident: bool, drill: bool) -> None:
    tank, keeper, _other = pledge(app, availability)
    settings = app.config["BUURT"]
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        try:
            reservations.create_reservation(session, tank, at(2, 9),
                                            at(2, 10), household_id=keeper,
                                            now=NOW)
            resident_ok = True
        except EventError as error:
            assert error.code == "not_pledged_for_loans"
            resident_ok = False
        try:
            service.create_drill(
                session, settings, scenario="water", title="Water",
                starts_at=at(3, 9), ends_at=at(3, 12), resource_ids=[tank])
            drill_ok = True
        except EventError as error:
            assert error.code == "not_pledged_for_drills"
            drill_ok = False

    assert (resident_ok, drill_ok) == (resident, drill)


def test_drill_holds_its_items_and_lets_go_when_cancelled(app: Flask,
                                                          ) -> None:
    tank, keeper, _other = pledge(app, "drills")
    settings = app.config["BUURT"]
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        drill = service.create_drill(
            session, settings, scenario="water", title="Water",
            starts_at=at(3, 9), ends_at=at(3, 12), resource_ids=[tank])[0]
        with pytest.raises(EventError) as clash:
            service.create_drill(
                session, settings, scenario="water", title="Nog een",
                starts_at=at(3, 10), ends_at=at(3, 11), resource_ids=[tank])
        service.cancel_drill(session, drill.id or 0)
        again = service.create_drill(
            session, settings, scenario="water", title="Nog een",
            starts_at=at(3, 10), ends_at=at(3, 11), resource_ids=[tank])

    assert clash.value.details["free_from"] == at(3, 12)
    assert again[0].id is not None


def test_borrow_and_return_reports_the_condition(app: Flask) -> None:
    tank, keeper, other = pledge(app)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        loan = reservations.borrow_resource(session, tank, other, at(1, 18),
                                            now=NOW)
        with pytest.raises(EventError) as taken:
            reservations.borrow_resource(session, tank, keeper, at(1, 12),
                                         now=NOW)
        back = reservations.return_resource(session, tank, other, "fair",
                                            note="kraan lekt",
                                            now=at(1, 10))
        condition = session.get(Resource, tank).condition  # type: ignore

    assert loan.borrowed_at == NOW
    assert taken.value.code == "clash"
    assert taken.value.details["free_from"] == at(1, 18)
    assert back.returned_at == at(1, 10)
    assert condition == "fair"


def test_overdue_loan_blocks_until_returned(app: Flask) -> None:
    tank, keeper, other = pledge(app)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        reservations.borrow_resource(session, tank, other, at(1, 10),
                                     now=NOW)
        with pytest.raises(EventError) as blocked:
            reservations.create_reservation(session, tank, at(5, 9),
                                            at(5, 10), household_id=keeper,
                                            now=at(2, 9))

    assert blocked.value.code == "clash_until_returned"


def test_borrowing_picks_up_the_households_reservation(app: Flask) -> None:
    tank, _keeper, other = pledge(app)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        booked = reservations.create_reservation(
            session, tank, at(2, 9), at(2, 12), household_id=other, now=NOW)
        loan = reservations.borrow_resource(session, tank, other, at(2, 12),
                                            now=at(2, 8) + timedelta(
                                                minutes=45))

    assert loan.id == booked.id
    assert loan.kind == "loan"


def test_api_clash_is_409_and_names_the_free_time(
        app: Flask, client: FlaskClient) -> None:
    tank, keeper, other = pledge(app)
    first = bearer_headers(app, create_member(app, "anna",
                                              household_id=keeper))
    second = {**bearer_headers(app, create_member(app, "bram",
                                                  household_id=other)),
              "Accept-Language": "en"}
    url = f"/api/v1/resources/{tank}/reservations"

    booked = client.post(url, headers=first,
                         json={"starts_at": f"{JUNE}T09:00",
                               "ends_at": f"{JUNE}T17:00"})
    clash = client.post(url, headers=second,
                        json={"starts_at": f"{JUNE}T12:00",
                              "ends_at": f"{JUNE}T13:00"})
    listed = client.get(url, headers=second).json

    assert booked.status_code == 201
    assert booked.json["starts_at"] == f"{JUNE}T09:00:00+02:00"
    assert clash.status_code == 409
    assert clash.json["error"]["code"] == "clash"
    assert clash.json["error"]["message"] == (
        "Watertank is already taken then. It is free again from "
        f"Sat {JUNE.day} Jun {NEXT_YEAR} 17:00.")
    assert len(listed["reservations"]) == 1


def test_api_borrow_and_return(app: Flask, client: FlaskClient) -> None:
    tank, _keeper, other = pledge(app)
    headers = bearer_headers(app, create_member(app, "bram",
                                                household_id=other))
    until = (db.utcnow() + timedelta(hours=3)).isoformat()

    borrowed = client.post(f"/api/v1/resources/{tank}/borrow",
                           headers=headers, json={"until": until})
    returned = client.post(f"/api/v1/resources/{tank}/return",
                           headers=headers, json={"condition": "poor"})
    again = client.post(f"/api/v1/resources/{tank}/return",
                        headers=headers, json={"condition": "poor"})

    assert borrowed.status_code == 201
    assert borrowed.json["kind"] == "loan"
    assert returned.status_code == 200
    assert returned.json["return_condition"] == "poor"
    assert again.status_code == 409


def test_reserve_borrow_and_return_pages_in_both_languages(
        app: Flask) -> None:
    tank, _keeper, other = pledge(app)
    create_member(app, "bram", household_id=other)
    client = app.test_client()
    login(client, "bram")
    page = f"/resources/{tank}/reserve"

    english = client.get(page, headers={"Accept-Language": "en"})
    dutch = client.get(page, headers={"Accept-Language": "nl"})
    reserved = client.post(page, data={
        "starts_at": f"{JUNE}T09:00", "ends_at": f"{JUNE}T12:00",
        "csrf_token": csrf_token(client, page)})
    clash = client.post(page, data={
        "starts_at": f"{JUNE}T10:00", "ends_at": f"{JUNE}T11:00",
        "csrf_token": csrf_token(client, page)},
        headers={"Accept-Language": "nl"})
    borrowed = client.post(f"/resources/{tank}/borrow", data={
        "until": (db.utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "csrf_token": csrf_token(client, page)})
    mine = client.get("/reservations", headers={"Accept-Language": "en"})

    assert "Reserve it" in english.get_data(as_text=True)
    assert "Reserveren" in dutch.get_data(as_text=True)
    assert reserved.status_code == 303
    assert clash.status_code == 400
    assert f"weer vrij vanaf za {JUNE.day} jun {NEXT_YEAR} 12:00" in (
        clash.get_data(as_text=True))
    assert borrowed.status_code == 400  # the end lies in the past
    assert "Watertank" in mine.get_data(as_text=True)


def test_an_item_named_twice_is_reserved_once_for_a_drill(
        app: Flask) -> None:
    tank, _keeper, _other = pledge(app, "drills")
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        drill = service.create_drill(
            session, app.config["BUURT"], scenario="water", title="Water",
            starts_at=at(3, 9), ends_at=at(3, 12),
            resource_ids=[tank, tank])[0]
        bookings = reservations.list_bookings(session, tank, now=NOW)

    assert [booking.drill_id for booking in bookings] == [drill.id]


def test_a_broken_item_waits_for_a_coordinator_to_mark_it_repaired(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    tank, keeper, other = pledge(app)
    headers = {**bearer_headers(app, create_member(app, "bram",
                                                   household_id=other)),
               "Accept-Language": "en"}
    url = f"/api/v1/resources/{tank}"
    until = {"until": (db.utcnow() + timedelta(hours=3)).isoformat()}
    window = {"starts_at": f"{JUNE}T09:00", "ends_at": f"{JUNE}T12:00"}
    client.post(f"{url}/borrow", headers=headers, json=until)
    client.post(f"{url}/return", headers=headers, json={"condition": "broken"})

    borrow = client.post(f"{url}/borrow", headers=headers, json=until)
    reserve = client.post(f"{url}/reservations", headers=headers, json=window)
    by_resident = client.post(f"{url}/repaired", headers=headers, json={})
    repaired = client.post(f"{url}/repaired", headers=coordinator_headers,
                           json={})
    again = client.post(f"{url}/borrow", headers=headers, json=until)

    assert (borrow.status_code, reserve.status_code) == (409, 409)
    assert borrow.json["error"]["code"] == "item_broken"
    assert borrow.json["error"]["message"] == (
        "Watertank is broken. It can be reserved or borrowed again once a "
        "coordinator marks it as repaired.")
    assert by_resident.status_code == 403
    assert repaired.json["condition"] == "good"
    assert again.status_code == 201


def test_the_return_page_offers_a_coordinator_to_mark_it_repaired(
        app: Flask, coordinator_client: FlaskClient) -> None:
    tank, _keeper, _other = pledge(app)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        resource = session.get(Resource, tank)
        assert resource is not None
        resource.condition = "broken"
    page = f"/resources/{tank}/return"

    shown = coordinator_client.get(page, headers={"Accept-Language": "nl"})
    marked = coordinator_client.post(f"/resources/{tank}/repaired", data={
        "csrf_token": csrf_token(coordinator_client, page)})

    assert "Markeer als gerepareerd" in shown.get_data(as_text=True)
    assert marked.status_code == 303
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        assert session.get(Resource, tank).condition == "good"  # type: ignore


@pytest.mark.parametrize("action", ["reservations", "borrow"])
@pytest.mark.parametrize("household_id", [99999, -1])
def test_booking_for_a_household_that_does_not_exist_is_a_404(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str], action: str,
        household_id: int) -> None:
    tank, _keeper, _other = pledge(app)
    body = ({"until": (db.utcnow() + timedelta(hours=3)).isoformat()}
            if action == "borrow" else
            {"starts_at": f"{JUNE}T09:00", "ends_at": f"{JUNE}T12:00"})

    response = client.post(f"/api/v1/resources/{tank}/{action}",
                           headers={**coordinator_headers,
                                    "Accept-Language": "nl"},
                           json={**body, "household_id": household_id})

    assert response.status_code == 404
    assert response.json["error"]["code"] == "household_not_found"
    assert "huishouden bestaat niet" in response.json["error"]["message"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:00"])
def test_bookings_beyond_the_planning_range_are_refused(
        app: Flask, client: FlaskClient, moment: str) -> None:
    tank, _keeper, other = pledge(app)
    create_member(app, "bram", household_id=other)
    api = {**bearer_headers(app, create_member(app, "cees",
                                               household_id=other)),
           "Accept-Language": "nl"}
    browser = app.test_client()
    login(browser, "bram")
    page = f"/resources/{tank}/reserve"
    late = moment[:11] + "23:30"

    answers = [
        client.post(f"/api/v1/resources/{tank}/reservations", headers=api,
                    json={"starts_at": moment, "ends_at": late}),
        client.post(f"/api/v1/resources/{tank}/borrow", headers=api,
                    json={"until": moment}),
    ]
    forms = [
        browser.post(page, data={"starts_at": moment, "ends_at": late,
                                 "csrf_token": csrf_token(browser, page)}),
        browser.post(f"/resources/{tank}/borrow", data={
            "until": moment, "csrf_token": csrf_token(browser, page)}),
    ]

    assert [answer.status_code for answer in answers] == [422, 422]
    assert {answer.json["error"]["code"] for answer in answers} == {
        "time_out_of_range"}
    assert [form.status_code for form in forms] == [400, 400]
    assert all("niet meer dan een jaar geleden" in form.get_data(
        as_text=True) for form in forms)
