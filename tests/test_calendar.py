"""iCalendar files and feeds, read back by a second, separate parser."""

from __future__ import annotations

from datetime import date, datetime, timezone

import recurring_ical_events
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from buurt import db
from buurt.events import service
from buurt.inventory import service as inventory
from tests.conftest import create_member, login

UTC = timezone.utc


def plan(app: Flask, title: str, start: str, end: str) -> int:
    """Plan a power drill at local times; return its id."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        return service.create_drill(
            session, app.config["BUURT"], scenario="power", title=title,
            starts_at=service.parse_time(start),
            ends_at=service.parse_time(end))[0].id or 0


def feed_of(app: Flask, client: FlaskClient) -> str:
    """Return the path of the logged-in member's feed."""
    address = client.get("/api/v1/calendar").json["url"]
    return address.removeprefix(app.config["BUURT"].base_url)


def occurrences(body: bytes) -> dict[str, Calendar]:
    """Read every event between 2026 and 2028 with recurring-ical-events."""
    calendar = Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(date(2026, 1, 1),
                                                        date(2028, 1, 1))
    return {str(event["SUMMARY"]): event for event in events}


def test_feed_keeps_local_times_across_the_spring_change(
        app: Flask, coordinator_client: FlaskClient) -> None:
    plan(app, "Zaterdag", "2026-03-28T10:00", "2026-03-28T12:00")
    plan(app, "Zondag", "2026-03-29T10:00", "2026-03-29T12:00")

    response = coordinator_client.get(feed_of(app, coordinator_client))

    assert response.mimetype == "text/calendar"
    body = response.get_data()
    assert b"BEGIN:VTIMEZONE" in body and b"TZID:Europe/Amsterdam" in body
    events = occurrences(body)
    saturday, sunday = events["Zaterdag"]["DTSTART"].dt, events[
        "Zondag"]["DTSTART"].dt
    assert (saturday.hour, sunday.hour) == (10, 10)
    assert saturday.astimezone(UTC) == datetime(2026, 3, 28, 9, tzinfo=UTC)
    assert sunday.astimezone(UTC) == datetime(2026, 3, 29, 8, tzinfo=UTC)


def test_drill_file_has_stable_uid_utc_stamp_and_growing_sequence(
        app: Flask, coordinator_client: FlaskClient) -> None:
    drill_id = plan(app, "Stroom uit", "2026-10-25T02:30",
                    "2026-10-25T04:00")
    url = f"/api/v1/drills/{drill_id}.ics"

    before = Calendar.from_ical(coordinator_client.get(url).get_data())
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        service.update_drill(session, app.config["BUURT"], drill_id,
                             title="Stroom uit (nieuw)")
        service.cancel_drill(session, drill_id)
    raw = coordinator_client.get(url).get_data()
    after = Calendar.from_ical(raw)

    old, new = before.events[0], after.events[0]
    assert old["UID"] == new["UID"]
    assert (int(old["SEQUENCE"]), int(new["SEQUENCE"])) == (0, 2)
    assert new["STATUS"] == "CANCELLED"
    assert new.decoded("dtstamp").tzinfo is not None
    assert b"DTSTAMP:" in raw and raw.split(b"DTSTAMP:")[1][15:16] == b"Z"
    # The autumn 02:30 happens once, in summer time.
    assert new.decoded("dtstart").astimezone(UTC) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC)


def test_residents_feed_holds_the_drills_they_answered(
        app: Flask, coordinator_client: FlaskClient) -> None:
    followed = plan(app, "Met ons", "2027-01-09T10:00", "2027-01-09T12:00")
    plan(app, "Zonder ons", "2027-01-16T10:00", "2027-01-16T12:00")
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        household = inventory.create_household(session, "Lindenlaan 5")
        service.set_rsvp(session, followed, household.id, "maybe")
    create_member(app, "anna", household_id=household.id)
    resident = app.test_client()
    login(resident, "anna")
    path = feed_of(app, resident)

    anonymous = app.test_client().get(path)
    everything = coordinator_client.get(feed_of(app, coordinator_client))

    assert anonymous.status_code == 200  # the token is the key
    assert set(occurrences(anonymous.get_data())) == {"Met ons"}
    assert set(occurrences(everything.get_data())) == {"Met ons",
                                                       "Zonder ons"}


def test_new_feed_address_retires_the_old_one(
        app: Flask, coordinator_client: FlaskClient) -> None:
    old = feed_of(app, coordinator_client)
    page = coordinator_client.get("/calendar").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]

    coordinator_client.post("/calendar", data={"csrf_token": token})

    assert app.test_client().get(old).status_code == 404
    assert app.test_client().get("/calendar/nonsense.ics").status_code == 404
    assert "webcal://" in page


def test_hackathon_file_reads_back_with_its_place(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    planned = client.post("/api/v1/hackathons", headers=coordinator_headers,
                          json={"challenge": "no_internet_day",
                                "title": "Offline dag", "place": "Plein",
                                "starts_at": "2027-04-03T09:00",
                                "ends_at": "2027-04-03T21:00"})

    body = client.get(f"/api/v1/hackathons/{planned.json['id']}.ics",
                      headers=coordinator_headers).get_data()

    event = occurrences(body)["Offline dag"]
    assert str(event["LOCATION"]) == "Plein"
    assert event["DTSTART"].dt.hour == 9
    assert event["DTSTART"].dt.utcoffset().total_seconds() == 7200
