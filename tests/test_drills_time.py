"""Local times on the two nights a year when the clocks change."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from buurt import db, localtime
from buurt.events import service
from buurt.events.service import EventError
from tests.conftest import csrf_token

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


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


def test_api_refuses_a_drill_at_a_time_that_does_not_exist(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    response = client.post("/api/v1/drills",
                           headers={**coordinator_headers,
                                    "Accept-Language": "en"},
                           json={"scenario": "power", "title": "Nacht",
                                 "starts_at": "2026-03-29T02:30",
                                 "ends_at": "2026-03-29T04:00"})

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "time_nonexistent"
    assert "2026-03-29 02:30 does not exist" in error["message"]
    assert "the clocks jump from 02:00 to 03:00" in error["message"]


def test_planning_form_refuses_a_skipped_time_in_dutch(
        coordinator_client: FlaskClient) -> None:
    response = coordinator_client.post("/drills/new", data={
        "scenario": "power", "title": "Nacht",
        "starts_at": "2026-03-29T02:30", "ends_at": "2026-03-29T04:00",
        "csrf_token": csrf_token(coordinator_client, "/drills/new")},
        headers={"Accept-Language": "nl"})

    assert response.status_code == 400
    assert "de klok springt" in response.get_data(as_text=True)


def test_drill_at_a_time_that_occurs_twice_happens_once_in_summer_time(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    response = client.post("/api/v1/drills", headers=coordinator_headers,
                           json={"scenario": "power", "title": "Nacht",
                                 "starts_at": "2026-10-25T02:30",
                                 "ends_at": "2026-10-25T03:30"})

    assert response.status_code == 201
    assert response.json["starts_at"] == "2026-10-25T02:30:00+02:00"
    assert len(response.json["drills"]) == 1
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        drill = service.get_drill(session, response.json["id"])
        assert drill.starts_at == datetime(2026, 10, 25, 0, 30,
                                           tzinfo=timezone.utc)
        # 02:30 summer time to 03:30 winter time is two real hours.
        assert (drill.ends_at - drill.starts_at).total_seconds() == 7200


def test_time_with_an_offset_is_taken_as_given(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    response = client.post("/api/v1/drills", headers=coordinator_headers,
                           json={"scenario": "water", "title": "Water",
                                 "starts_at": "2026-10-25T02:30:00+01:00",
                                 "ends_at": "2026-10-25T04:00:00+01:00"})

    assert response.status_code == 201
    assert response.json["starts_at"] == "2026-10-25T02:30:00+01:00"


def test_weekly_rule_keeps_the_local_clock_across_the_spring_change(
        app: Flask) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        drills = service.create_drill(
            session, app.config["BUURT"], scenario="internet",
            title="Geen internet",
            starts_at=datetime(2026, 3, 21, 10, 0),
            ends_at=datetime(2026, 3, 21, 12, 0),
            rrule="FREQ=WEEKLY;COUNT=3")

        starts = [d.starts_at.strftime("%m-%d %H:%M") for d in drills]
        local = {d.starts_at.astimezone(AMSTERDAM).strftime("%H:%M")
                 for d in drills}
    assert starts == ["03-21 09:00", "03-28 09:00", "04-04 08:00"]
    assert local == {"10:00"}


def test_rule_that_lands_in_the_gap_is_refused(app: Flask) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        with pytest.raises(EventError) as refused:
            service.create_drill(
                session, app.config["BUURT"], scenario="power",
                title="Nacht", starts_at=datetime(2026, 3, 22, 2, 30),
                ends_at=datetime(2026, 3, 22, 3, 30),
                rrule="FREQ=WEEKLY;COUNT=2")

    assert refused.value.code == "time_nonexistent"
    assert refused.value.details["local"] == datetime(2026, 3, 29, 2, 30)


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=WEEKLY;BYDAY=XX",
                                  "nonsense", "FREQ=DAILY;DTSTART=20260101"])
def test_unusable_repeat_rules_are_refused(app: Flask, rule: str) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        with pytest.raises(EventError) as refused:
            service.create_drill(
                session, app.config["BUURT"], scenario="power", title="x",
                starts_at=datetime(2027, 1, 2, 10, 0),
                ends_at=datetime(2027, 1, 2, 11, 0), rrule=rule)

    assert refused.value.code == "rrule_invalid"
