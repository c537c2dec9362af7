"""Local times on the two nights a year when the clocks change, repeat
rules, and the range of time anything may be planned in.

Dates that must be plannable lie in next year, so these tests keep
passing as the years go by; other test files use the same helpers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from buurt import db, localtime
from buurt.events import service
from buurt.events.models import Drill
from buurt.events.service import EventError
from tests.conftest import csrf_token

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEXT_YEAR = date.today().year + 1


def last_sunday(month: int, year: int = NEXT_YEAR) -> date:
    """Return the last Sunday of a month: when European clocks change."""
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def first_saturday(month: int, year: int = NEXT_YEAR) -> date:
    """Return the first Saturday of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(5 - first.weekday()) % 7)


SPRING = last_sunday(3)  # 02:00 jumps to 03:00
AUTUMN = last_sunday(10)  # 03:00 falls back to 02:00


@pytest.mark.parametrize("local, utc", [
    (datetime(2026, 3, 28, 10, 0), datetime(2026, 3, 28, 9, 0)),
    (datetime(2026, 3, 29, 10, 0), datetime(2026, 3, 29, 8, 0)),
    (datetime(2026, 3, 29, 3, 0), datetime(2026, 3, 29, 1, 0)),
    (datetime(2026, 10, 25, 2, 30), datetime(2026, 10, 25, 0, 30)),
    (datetime(2026, 10, 25, 3, 0), datetime(2026, 10, 25, 2, 0)),
])
def test_local_times_map_to_one_instant(local: datetime,
                                        utc: datetime) -> None:
    assert localtime.to_utc(local, AMSTERDAM) == utc.replace(
        tzinfo=timezone.utc)


def test_skipped_time_is_refused_or_moved_by_the_stated_rule() -> None:
    skipped = datetime(2026, 3, 29, 2, 30)

    with pytest.raises(localtime.NonexistentTime) as refused:
        localtime.to_utc(skipped, AMSTERDAM)
    moved = localtime.to_utc(skipped, AMSTERDAM, localtime.SHIFT_FORWARD)

    assert (refused.value.gap_start, refused.value.gap_end) == (
        datetime(2026, 3, 29, 2, 0), datetime(2026, 3, 29, 3, 0))
    assert moved.astimezone(AMSTERDAM).strftime("%H:%M") == "03:30"
    assert localtime.is_nonexistent(skipped, AMSTERDAM)
    assert localtime.is_ambiguous(datetime(2026, 10, 25, 2, 30), AMSTERDAM)
    assert not localtime.is_ambiguous(skipped, AMSTERDAM)


def plan_through_api(client: FlaskClient, headers: dict[str, str],
                     start: str, end: str, **fields: str) -> object:
    """Post a power drill to the API; return the response."""
    return client.post("/api/v1/drills", headers=headers,
                       json={"scenario": "power", "title": "Nacht",
                             "starts_at": start, "ends_at": end, **fields})


def test_api_refuses_a_drill_at_a_time_that_does_not_exist(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    response = plan_through_api(
        client, {**coordinator_headers, "Accept-Language": "en"},
        f"{SPRING}T02:30", f"{SPRING}T04:00")

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "time_nonexistent"
    assert f"{SPRING} 02:30 does not exist" in error["message"]
    assert "the clocks jump from 02:00 to 03:00" in error["message"]


def test_planning_form_refuses_a_skipped_time_in_dutch(
        coordinator_client: FlaskClient) -> None:
    response = coordinator_client.post("/drills/new", data={
        "scenario": "power", "title": "Nacht",
        "starts_at": f"{SPRING}T02:30", "ends_at": f"{SPRING}T04:00",
        "csrf_token": csrf_token(coordinator_client, "/drills/new")},
        headers={"Accept-Language": "nl"})

    assert response.status_code == 400
    assert "de klok springt" in response.get_data(as_text=True)


def test_drill_at_a_time_that_occurs_twice_happens_once_in_summer_time(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    response = plan_through_api(client, coordinator_headers,
                                f"{AUTUMN}T02:30", f"{AUTUMN}T03:30")

    assert response.status_code == 201
    assert response.json["starts_at"] == f"{AUTUMN}T02:30:00+02:00"
    assert len(response.json["drills"]) == 1
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        drill = service.get_drill(session, response.json["id"])
        assert drill.starts_at == datetime.combine(
            AUTUMN, datetime.min.time(), timezone.utc) + timedelta(minutes=30)
        # 02:30 summer time to 03:30 winter time is two real hours.
        assert (drill.ends_at - drill.starts_at).total_seconds() == 7200


def test_time_with_an_offset_is_taken_as_given(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    response = plan_through_api(client, coordinator_headers,
                                f"{AUTUMN}T02:30:00+01:00",
                                f"{AUTUMN}T04:00:00+01:00")

    assert response.status_code == 201
    assert response.json["starts_at"] == f"{AUTUMN}T02:30:00+01:00"


def test_weekly_rule_keeps_the_local_clock_across_the_spring_change(
        app: Flask) -> None:
    saturday = SPRING - timedelta(days=8)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        drills = service.create_drill(
            session, app.config["BUURT"], scenario="internet",
            title="Geen internet",
            starts_at=datetime.combine(saturday, datetime.min.time())
            + timedelta(hours=10),
            ends_at=datetime.combine(saturday, datetime.min.time())
            + timedelta(hours=12),
            rrule="FREQ=WEEKLY;COUNT=3")

        starts = [d.starts_at.strftime("%m-%d %H:%M") for d in drills]
        local = {d.starts_at.astimezone(AMSTERDAM).strftime("%H:%M")
                 for d in drills}
    week = timedelta(days=7)
    assert starts == [f"{saturday:%m-%d} 09:00",
                      f"{saturday + week:%m-%d} 09:00",
                      f"{saturday + 2 * week:%m-%d} 08:00"]
    assert local == {"10:00"}


def test_rule_that_lands_in_the_gap_is_refused(app: Flask) -> None:
    week_before = datetime.combine(SPRING - timedelta(days=7),
                                   datetime.min.time())
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        with pytest.raises(EventError) as refused:
            service.create_drill(
                session, app.config["BUURT"], scenario="power",
                title="Nacht", starts_at=week_before.replace(hour=2,
                                                             minute=30),
                ends_at=week_before.replace(hour=3, minute=30),
                rrule="FREQ=WEEKLY;COUNT=2")

    assert refused.value.code == "time_nonexistent"
    assert refused.value.details["local"] == datetime.combine(
        SPRING, datetime.min.time()).replace(hour=2, minute=30)


def plan_series(app: Flask, rule: str) -> list[datetime]:
    """Plan an hour-long series from 2 January next year; return starts."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        drills = service.create_drill(
            session, app.config["BUURT"], scenario="power", title="x",
            starts_at=datetime(NEXT_YEAR, 1, 2, 10, 0),
            ends_at=datetime(NEXT_YEAR, 1, 2, 11, 0), rrule=rule)
        return [drill.starts_at for drill in drills]


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=WEEKLY;BYDAY=XX",
                                  "nonsense", "FREQ=DAILY;DTSTART=20260101",
                                  "FREQ=DAILY;INTERVAL=-1",
                                  "FREQ=DAILY;INTERVAL=0",
                                  "FREQ=DAILY;BYSETPOS=400",
                                  "FREQ=DAILY;UNTIL=2027-01-01Z"])
def test_unusable_repeat_rules_are_refused(app: Flask, rule: str) -> None:
    with pytest.raises(EventError) as refused:
        plan_series(app, rule)

    assert refused.value.code == "rrule_invalid"


def test_backwards_rule_through_the_api_is_a_refusal_not_a_crash(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    response = plan_through_api(
        client, {**coordinator_headers, "Accept-Language": "nl"},
        f"{NEXT_YEAR}-01-02T10:00", f"{NEXT_YEAR}-01-02T11:00",
        rrule="FREQ=DAILY;INTERVAL=-1")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "rrule_invalid"
    assert "herhaalregel" in response.json["error"]["message"]


def test_until_far_away_in_utc_plans_at_most_24_drills(app: Flask) -> None:
    starts = plan_series(app, "FREQ=DAILY;UNTIL=99991231T235959Z")

    assert len(starts) == 24
    assert starts[-1] - starts[0] == timedelta(days=23)


def test_until_in_utc_is_read_as_that_instant(app: Flask) -> None:
    # 09:00 UTC is 10:00 in Amsterdam in winter: the third drill's start.
    starts = plan_series(app, f"FREQ=DAILY;UNTIL={NEXT_YEAR}0104T090000Z")

    assert [start.day for start in starts] == [2, 3, 4]


# The planning range -------------------------------------------------------

@pytest.mark.parametrize("start", [
    "9999-12-31T10:00", "0001-01-01T00:00", "0001-01-01T10:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
])
def test_api_refuses_times_beyond_the_planning_range_in_dutch(
        client: FlaskClient, coordinator_headers: dict[str, str],
        start: str) -> None:
    nl = {**coordinator_headers, "Accept-Language": "nl"}
    end = start[:11] + "23:59:59" + start[19:]
    hackathon = {"challenge": "no_power_day", "title": "x",
                 "starts_at": start, "ends_at": end}

    drill = plan_through_api(client, nl, start, end)
    planned = client.post("/api/v1/hackathons", headers=nl, json=hackathon)

    for response in (drill, planned):
        assert response.status_code == 422, response.json
        error = response.json["error"]
        assert error["code"] == "time_out_of_range"
        assert "niet meer dan een jaar geleden" in error["message"]


@pytest.mark.parametrize("path, fields", [
    ("/drills/new", {"scenario": "power", "title": "x"}),
    ("/hackathons/new", {"challenge": "no_power_day", "title": "x"}),
])
@pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:00"])
def test_planning_forms_refuse_times_beyond_the_planning_range(
        coordinator_client: FlaskClient, path: str, fields: dict[str, str],
        start: str) -> None:
    response = coordinator_client.post(path, data={
        **fields, "starts_at": start, "ends_at": start[:11] + "23:30",
        "csrf_token": csrf_token(coordinator_client, path)},
        headers={"Accept-Language": "nl"})

    assert response.status_code == 400
    assert "niet meer dan vijf jaar vooruit" in response.get_data(
        as_text=True)


@pytest.mark.parametrize("offset, planned", [
    (timedelta(days=-360), True), (timedelta(days=-370), False),
    (timedelta(days=5 * 365), True), (timedelta(days=6 * 365), False),
])
def test_the_planning_range_is_a_year_back_and_five_ahead(
        app: Flask, offset: timedelta, planned: bool) -> None:
    start = db.utcnow() + offset
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        try:
            service.create_drill(
                session, app.config["BUURT"], scenario="power", title="x",
                starts_at=start, ends_at=start + timedelta(hours=1))
            accepted = True
        except EventError as error:
            assert error.code == "time_out_of_range"
            accepted = False

    assert accepted is planned


def test_an_old_drill_keeps_its_times_when_its_title_changes(
        app: Flask) -> None:
    long_ago = db.utcnow() - timedelta(days=800)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        session.add(Drill(scenario="power", title="Oud", checkin_code="OLD",
                          starts_at=long_ago,
                          ends_at=long_ago + timedelta(hours=1)))
        session.flush()
        drill = session.exec(select(Drill)).one()

        service.update_drill(session, app.config["BUURT"], drill.id or 0,
                             title="Oud en nieuw", starts_at=long_ago)
        with pytest.raises(EventError) as moved:
            service.update_drill(session, app.config["BUURT"],
                                 drill.id or 0,
                                 starts_at=long_ago + timedelta(minutes=5))

    assert drill.title == "Oud en nieuw"
    assert moved.value.code == "time_out_of_range"
