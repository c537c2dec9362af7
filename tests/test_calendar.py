"""iCalendar files and feeds, read back by a second, separate parser."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import recurring_ical_events
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from buurt import db
from buurt.events import service
from buurt.events.models import Drill
from buurt.inventory import service as inventory
from tests.conftest import create_member, login
from tests.test_drills_time import AUTUMN, NEXT_YEAR, SPRING

UTC = timezone.utc
WINTER = timezone(timedelta(hours=1), "CET")


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
    """Read every event of this year and next with recurring-ical-events."""
    calendar = Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(
        date(NEXT_YEAR - 1, 1, 1), date(NEXT_YEAR + 1, 1, 1))
    return {str(event["SUMMARY"]): event for event in events}


def at_utc(day: date, hour: int, minute: int = 0) -> datetime:
    """Return an instant in UTC on a day."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_feed_keeps_local_times_across_the_spring_change(
        app: Flask, coordinator_client: FlaskClient) -> None:
    saturday = SPRING - timedelta(days=1)
    plan(app, "Zaterdag", f"{saturday}T10:00", f"{saturday}T12:00")
    plan(app, "Zondag", f"{SPRING}T10:00", f"{SPRING}T12:00")

    response = coordinator_client.get(feed_of(app, coordinator_client))

    assert response.mimetype == "text/calendar"
    body = response.get_data()
    assert b"BEGIN:VTIMEZONE" in body and b"TZID:Europe/Amsterdam" in body
    events = occurrences(body)
    saturday, sunday = events["Zaterdag"]["DTSTART"].dt, events[
        "Zondag"]["DTSTART"].dt
    assert (saturday.hour, sunday.hour) == (10, 10)
    assert saturday.astimezone(UTC) == at_utc(SPRING - timedelta(days=1), 9)
    assert sunday.astimezone(UTC) == at_utc(SPRING, 8)


def test_second_pass_of_a_repeated_hour_reads_back_at_its_real_time(
        app: Flask, coordinator_client: FlaskClient) -> None:
    first = plan(app, "Eerste", f"{AUTUMN}T02:10+02:00",
                 f"{AUTUMN}T02:40+02:00")
    second = plan(app, "Tweede", f"{AUTUMN}T02:10+01:00",
                  f"{AUTUMN}T02:40+01:00")

    raw = coordinator_client.get(feed_of(app, coordinator_client)).get_data()
    single = coordinator_client.get(f"/api/v1/drills/{second}.ics").get_data()
    events = occurrences(raw)

    assert first != second
    assert f"DTSTART:{AUTUMN:%Y%m%d}T011000Z".encode() in raw
    assert f"DTSTART:{AUTUMN:%Y%m%d}T011000Z".encode() in single
    early = events["Eerste"]["DTSTART"].dt
    late = events["Tweede"]["DTSTART"].dt
    assert early.astimezone(UTC) == at_utc(AUTUMN, 0, 10)
    assert late.astimezone(UTC) == at_utc(AUTUMN, 1, 10)
    # Both read as 02:10 on the clock, an hour apart.
    assert late.astimezone(WINTER).strftime("%H:%M") == "02:10"
    assert events["Tweede"]["DTEND"].dt.astimezone(UTC) == at_utc(
        AUTUMN, 1, 40)


def test_a_drill_stored_far_from_now_does_not_break_the_feed(
        app: Flask, coordinator_client: FlaskClient) -> None:
    plan(app, "Gewoon", f"{NEXT_YEAR}-01-09T10:00", f"{NEXT_YEAR}-01-09T12:00")
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        # Stored before the planning range was enforced.
        for code, start in (("LATE", datetime(9999, 12, 31, 23, tzinfo=UTC)),
                            ("EARLY", datetime(1, 1, 1, tzinfo=UTC))):
            session.add(Drill(scenario="power", title=code, checkin_code=code,
                              starts_at=start,
                              ends_at=start + timedelta(minutes=30)))

    response = coordinator_client.get(feed_of(app, coordinator_client))
    page = coordinator_client.get("/drills")

    assert response.status_code == 200
    assert page.status_code == 200
    calendar = Calendar.from_ical(response.get_data())
    starts = {str(event["SUMMARY"]): event.decoded("dtstart")
              for event in calendar.events}
    assert starts["LATE"] == datetime(9999, 12, 31, 23, tzinfo=UTC)
    assert starts["EARLY"] == datetime(1, 1, 1, tzinfo=UTC)
    assert starts["Gewoon"].hour == 10
    assert occurrences(response.get_data())["Gewoon"]["DTSTART"].dt.hour == 10


def test_drill_file_has_stable_uid_utc_stamp_and_growing_sequence(
        app: Flask, coordinator_client: FlaskClient) -> None:
    drill_id = plan(app, "Stroom uit", f"{AUTUMN}T02:30", f"{AUTUMN}T04:00")
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
    assert new.decoded("dtstart").astimezone(UTC) == at_utc(AUTUMN, 0, 30)


def test_residents_feed_holds_the_drills_they_answered(
        app: Flask, coordinator_client: FlaskClient) -> None:
    followed = plan(app, "Met ons", f"{NEXT_YEAR}-01-09T10:00",
                    f"{NEXT_YEAR}-01-09T12:00")
    plan(app, "Zonder ons", f"{NEXT_YEAR}-01-16T10:00",
         f"{NEXT_YEAR}-01-16T12:00")
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
                                "starts_at": f"{NEXT_YEAR}-04-03T09:00",
                                "ends_at": f"{NEXT_YEAR}-04-03T21:00"})

    body = client.get(f"/api/v1/hackathons/{planned.json['id']}.ics",
                      headers=coordinator_headers).get_data()

    event = occurrences(body)["Offline dag"]
    assert str(event["LOCATION"]) == "Plein"
    assert event["DTSTART"].dt.hour == 9
    assert event["DTSTART"].dt.utcoffset().total_seconds() == 7200
