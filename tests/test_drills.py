"""Drills: plan with a repeat, RSVP, check in, report, board, review."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from buurt import db
from buurt.events import service
from buurt.events.models import Drill, StatusReport
from buurt.inventory import service as inventory
from buurt.inventory.models import Need
from buurt.readiness.service import compute_readiness
from tests.conftest import bearer_headers, create_member, csrf_token, login
from tests.test_drills_time import NEXT_YEAR, first_saturday

JANUARY = first_saturday(1)  # a Saturday early next year


def make_street(app: Flask) -> dict[str, int]:
    """Create four households: one needs help and has a buddy."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        ids = {name: inventory.create_household(
            session, f"Lindenlaan {number}", residents=2).id or 0
            for number, name in enumerate(
                ("anna", "bram", "cees", "dirk"), start=1)}
        inventory.grant_consent(session, ids["cees"], "health")
        inventory.set_need(session, ids["cees"], "needs_help")
        inventory.create_agreement(session, "buddy",
                                   household_id=ids["cees"],
                                   helper_household_id=ids["dirk"])
    return ids


def plan_running_drill(app: Flask, **fields: Any) -> Drill:
    """Plan a power drill that started ten minutes ago."""
    now = db.utcnow()
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        return service.create_drill(
            session, app.config["BUURT"], scenario="power",
            title="Stroom uit", starts_at=now - timedelta(minutes=10),
            ends_at=now + timedelta(hours=2), **fields)[0]


def resident_client(app: Flask, username: str,
                    household_id: int) -> FlaskClient:
    """Return a client logged in as a resident of a household."""
    create_member(app, username, household_id=household_id)
    client = app.test_client()
    login(client, username)
    return client


def test_coordinator_plans_quarterly_power_drill_through_the_api(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    response = client.post("/api/v1/drills", headers=coordinator_headers,
                           json={"scenario": "power",
                                 "title": "Stroom uit",
                                 "starts_at": f"{JANUARY}T10:00",
                                 "ends_at": f"{JANUARY}T14:00",
                                 "rrule": "FREQ=MONTHLY;INTERVAL=3;BYDAY=1SA"})

    assert response.status_code == 201, response.json
    body = response.json
    assert body["id"] == body["drills"][0]["id"]
    assert body["starts_at"] == f"{JANUARY}T10:00:00+01:00"
    starts = [d["starts_at"] for d in body["drills"]]
    assert starts[:4] == [f"{JANUARY}T10:00:00+01:00",
                          f"{first_saturday(4)}T10:00:00+02:00",
                          f"{first_saturday(7)}T10:00:00+02:00",
                          f"{first_saturday(10)}T10:00:00+02:00"]
    # The rule plans one year ahead: next January's too if it falls within.
    following = first_saturday(1, NEXT_YEAR + 1)
    assert len(starts) == 4 + ((following - JANUARY).days <= 366)
    assert {d["series_id"] for d in body["drills"]} == {body["id"]}
    assert all(d["status"] == "upcoming" for d in body["drills"])

    fetched = client.get(f"/api/v1/drills/{body['id']}",
                         headers=coordinator_headers).json
    assert fetched["rrule"] == "FREQ=MONTHLY;INTERVAL=3;BYDAY=1SA"
    assert fetched["ends_at"] == f"{JANUARY}T14:00:00+01:00"


def test_drill_body_with_unknown_field_or_scenario_is_refused(
        client: FlaskClient, coordinator_headers: dict[str, str]) -> None:
    base = {"scenario": "power", "title": "x",
            "starts_at": f"{JANUARY}T10:00", "ends_at": f"{JANUARY}T11:00"}

    extra = client.post("/api/v1/drills", headers=coordinator_headers,
                        json={**base, "colour": "red"})
    wrong = client.post("/api/v1/drills", headers=coordinator_headers,
                        json={**base, "scenario": "zombies"})
    backwards = client.post("/api/v1/drills", headers=coordinator_headers,
                            json={**base, "ends_at": f"{JANUARY}T09:00"})

    assert extra.status_code == 422
    assert wrong.status_code == 422
    assert backwards.status_code == 422
    assert backwards.json["error"]["code"] == "end_before_start"


def test_resident_may_not_plan_a_drill(app: Flask,
                                       client: FlaskClient) -> None:
    member = create_member(app, "rita")

    response = client.post("/api/v1/drills",
                           headers=bearer_headers(app, member),
                           json={"scenario": "power", "title": "x",
                                 "starts_at": f"{JANUARY}T10:00",
                                 "ends_at": f"{JANUARY}T11:00"})

    assert response.status_code == 403


def test_status_follows_the_clock_not_a_job(app: Flask) -> None:
    drill = plan_running_drill(app)

    assert service.drill_status(drill) == "running"
    assert service.drill_status(drill, drill.starts_at
                                - timedelta(seconds=1)) == "upcoming"
    assert service.drill_status(drill, drill.ends_at) == "over"


def test_resident_answers_and_checks_in_by_scanning_the_code(
        app: Flask) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)
    resident = resident_client(app, "anna", ids["anna"])

    page = resident.get(f"/drills/{drill.id}")
    answered = resident.post(f"/drills/{drill.id}/rsvp", data={
        "answer": "yes", "csrf_token": csrf_token(resident,
                                                  f"/drills/{drill.id}")})
    scanned = resident.get(f"/checkin/{drill.checkin_code.lower()}")
    again = resident.get(f"/checkin/{drill.checkin_code}")

    assert page.status_code == 200
    assert answered.status_code == 303
    assert scanned.status_code == 303
    assert scanned.headers["Location"].endswith(f"/drills/{drill.id}/board")
    assert again.status_code == 303
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        board = service.drill_board(session, drill.id or 0)
        row = next(r for r in board.rows if r.household.id == ids["anna"])
        assert row.rsvp == "yes"
        assert row.checked_in_at is not None
        assert board.counts["checked_in"] == 1
        # Checking in after the start takes the start snapshot.
        assert service.get_snapshot(session, drill.id or 0,
                                    "start") is not None


def test_unknown_checkin_code_says_so(app: Flask) -> None:
    ids = make_street(app)
    resident = resident_client(app, "anna", ids["anna"])

    english = resident.get("/checkin/NOTACODE22",
                           headers={"Accept-Language": "en"})
    dutch = resident.get("/checkin/NOTACODE22",
                         headers={"Accept-Language": "nl"})

    assert english.status_code == dutch.status_code == 400
    assert "check-in code is not known" in english.get_data(as_text=True)
    assert "incheckcode is onbekend" in dutch.get_data(as_text=True)


def test_check_in_through_the_api_needs_the_right_code(app: Flask,
                                                       client: FlaskClient
                                                       ) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)
    headers = bearer_headers(app, create_member(app, "anna",
                                                household_id=ids["anna"]))

    wrong = client.post(f"/api/v1/drills/{drill.id}/checkin",
                        headers=headers, json={"code": "WRONGCODE2"})
    right = client.post(f"/api/v1/drills/{drill.id}/checkin",
                        headers=headers, json={"code": drill.checkin_code})
    twice = client.post(f"/api/v1/drills/{drill.id}/checkin",
                        headers=headers, json={"code": drill.checkin_code})

    assert wrong.status_code == 422
    assert wrong.json["error"]["code"] == "checkin_code_unknown"
    assert right.status_code == 200 and right.json["new"] is True
    assert twice.json["new"] is False
    assert twice.json["checked_in_at"] == right.json["checked_in_at"]


def test_same_idempotency_key_twice_stores_one_report_and_replays(
        app: Flask, client: FlaskClient) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)
    headers = {**bearer_headers(app, create_member(
        app, "anna", household_id=ids["anna"])), "Idempotency-Key": "tap-1"}
    body = {"status": "need_help", "note": "geen water"}

    first = client.post(f"/api/v1/drills/{drill.id}/status",
                        headers=headers, json=body)
    second = client.post(f"/api/v1/drills/{drill.id}/status",
                         headers=headers, json=body)
    other = client.post(f"/api/v1/drills/{drill.id}/status",
                        headers={**headers, "Idempotency-Key": "tap-2"},
                        json={"status": "ok"})

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 201
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        rows = session.exec(select(StatusReport)).all()
        assert [r.status for r in rows] == ["need_help", "ok"]


def test_status_form_sent_twice_stores_one_report(app: Flask) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)
    resident = resident_client(app, "anna", ids["anna"])
    board = resident.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    form_key = board.split('name="form_key" value="')[1].split('"')[0]
    form = {"status": "ok", "form_key": form_key,
            "csrf_token": csrf_token(resident, f"/drills/{drill.id}/board")}

    first = resident.post(f"/drills/{drill.id}/status", data=form)
    second = resident.post(f"/drills/{drill.id}/status", data=form)

    assert first.status_code == second.status_code == 303
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        assert len(session.exec(select(StatusReport)).all()) == 1


def test_board_puts_silent_household_needing_help_first_with_buddy(
        app: Flask, coordinator_client: FlaskClient) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        service.report_status(session, drill.id or 0, ids["anna"], "ok")

    page = coordinator_client.get(f"/drills/{drill.id}/board")
    api = coordinator_client.get(f"/api/v1/drills/{drill.id}/board").json

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'http-equiv="refresh"' in html
    first = api["households"][0]
    assert first["address"] == "Lindenlaan 3"
    assert first["stands_out"] is True
    assert first["buddies"] == ["Lindenlaan 4"]
    assert api["counts"]["stand_out"] == 1
    assert api["counts"]["ok"] == 1
    assert html.index("Lindenlaan 3") < html.index("Lindenlaan 1")


def test_residents_board_shows_counts_but_no_needs(app: Flask) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)
    resident = resident_client(app, "anna", ids["anna"])

    html = resident.get(f"/drills/{drill.id}/board",
                        headers={"Accept-Language": "en"}
                        ).get_data(as_text=True)

    assert "We need help" in html
    assert "Lindenlaan 3" not in html
    assert "needs help, not reported" not in html


def test_status_reports_never_change_needs_or_readiness(app: Flask) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)
    settings = app.config["BUURT"]
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        before = compute_readiness(session, settings)
        service.report_status(session, drill.id or 0, ids["bram"],
                              "need_help", "oefening")
        service.check_in(session, drill.id or 0, ids["bram"],
                         settings=settings)

    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        assert compute_readiness(session, settings) == before
        needs = session.exec(select(Need)).all()
        assert [(n.household_id, n.kind) for n in needs] == [
            (ids["cees"], "needs_help")]


def test_review_turns_a_lesson_into_an_action_on_the_dashboard(
        app: Flask, coordinator_client: FlaskClient) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)
    review_page = f"/drills/{drill.id}/review"

    saved = coordinator_client.post(review_page, data={
        "went_well": "Iedereen kwam", "went_badly": "Radio leeg",
        "lessons": "Batterijen van de radio elke maand laden\n",
        "csrf_token": csrf_token(coordinator_client, review_page)})
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        lesson = service.list_lessons(session, drill.id or 0)[0]
    acted = coordinator_client.post(f"/drills/{drill.id}/actions", data={
        "lesson_id": lesson.id, "owner": f"h{ids['dirk']}",
        "due_on": "2027-01-15",
        "csrf_token": csrf_token(coordinator_client, review_page)})
    dashboard = coordinator_client.get(
        "/drills", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert saved.status_code == 303
    assert acted.status_code == 303
    assert "Open improvement actions" in dashboard
    assert "Batterijen van de radio elke maand laden" in dashboard
    assert "Lindenlaan 4" in dashboard
    assert "2027-01-15" in dashboard


def test_review_and_actions_through_the_api(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)

    review = client.put(f"/api/v1/drills/{drill.id}/review",
                        headers=coordinator_headers,
                        json={"went_well": "snel", "lessons": ["Sleutel!"]})
    lesson_id = review.json["lessons"][0]["id"]
    action = client.post(f"/api/v1/drills/{drill.id}/actions",
                         headers=coordinator_headers,
                         json={"lesson_id": lesson_id, "due_on": "2027-02-01",
                               "owner_household_id": ids["bram"]})
    listed = client.get("/api/v1/actions", headers=coordinator_headers).json
    done = client.post(f"/api/v1/actions/{action.json['id']}/done",
                       headers=coordinator_headers)
    after = client.get("/api/v1/actions", headers=coordinator_headers).json

    assert review.status_code == 200
    assert action.status_code == 201
    assert action.json["description"] == "Sleutel!"
    assert action.json["owner"] == "Lindenlaan 2"
    assert [a["id"] for a in listed["actions"]] == [action.json["id"]]
    assert done.json["done"] is True
    assert after["actions"] == []


def test_action_without_owner_is_refused(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    drill = plan_running_drill(app)

    response = client.post(f"/api/v1/drills/{drill.id}/actions",
                           headers=coordinator_headers,
                           json={"description": "x", "due_on": "2027-02-01"})

    assert response.status_code == 422
    assert response.json["error"]["code"] == "owner_required"


def test_readiness_is_snapshotted_at_start_and_after_review(
        app: Flask, coordinator_client: FlaskClient) -> None:
    ids = make_street(app)
    drill = plan_running_drill(app)
    coordinator_client.get(f"/drills/{drill.id}/board")
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        start = service.get_snapshot(session, drill.id or 0, "start")
        assert start is not None
        inventory.pledge_resource(session, ids["bram"], "radio",
                                  name="Noodradio")
        service.snapshot_readiness(session, drill.id or 0, "start",
                                   app.config["BUURT"])

    coordinator_client.put(f"/api/v1/drills/{drill.id}/review", json={
        "went_well": "ok"}, headers={"X-CSRFToken": csrf_token(
            coordinator_client, f"/drills/{drill.id}/review")})
    page = coordinator_client.get(f"/drills/{drill.id}/review")

    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        again = service.get_snapshot(session, drill.id or 0, "start")
        assert again is not None and again.data == start.data
        change = dict((figure, (before, after)) for figure, before, after
                      in service.readiness_change(session, drill.id or 0))
    assert json.loads(start.data)["resources"].get("radio", 0) == 0
    assert change["resources.radio"][0] in (None, 0)
    assert change["resources.radio"][1] == 1
    assert "resources.radio" in page.get_data(as_text=True)


def test_change_grows_sequence_and_cancel_frees_nothing_twice(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    drill = plan_running_drill(app)
    url = f"/api/v1/drills/{drill.id}"

    changed = client.patch(url, headers=coordinator_headers,
                           json={"title": "Stroom uit (verplaatst)"})
    cancelled = client.post(f"{url}/cancel", headers=coordinator_headers,
                            json={})
    fetched = client.get(url, headers=coordinator_headers).json

    assert changed.json["sequence"] == 1
    assert cancelled.status_code == 200
    assert fetched["sequence"] == 2
    assert fetched["status"] == "cancelled"
    assert fetched["cancelled"] is True


def test_a_change_that_changes_nothing_keeps_the_sequence(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    drill = plan_running_drill(app)
    url = f"/api/v1/drills/{drill.id}"

    same = client.patch(url, headers=coordinator_headers,
                        json={"title": drill.title,
                              "starts_at": drill.starts_at.isoformat()})
    empty = client.patch(url, headers=coordinator_headers, json={})

    assert same.status_code == empty.status_code == 200
    assert same.json["sequence"] == empty.json["sequence"] == 0


def test_a_cancelled_drill_cannot_be_changed(
        app: Flask, client: FlaskClient, coordinator_client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    drill = plan_running_drill(app)
    url = f"/api/v1/drills/{drill.id}"
    client.post(f"{url}/cancel", headers=coordinator_headers, json={})
    edit = f"/drills/{drill.id}/edit"

    patched = client.patch(url, headers=coordinator_headers,
                           json={"title": "Toch wel"})
    form = coordinator_client.post(edit, data={
        "title": "Toch wel", "starts_at": f"{JANUARY}T10:00",
        "ends_at": f"{JANUARY}T12:00",
        "csrf_token": csrf_token(coordinator_client, edit)},
        headers={"Accept-Language": "nl"})
    fetched = client.get(url, headers=coordinator_headers).json

    assert patched.status_code == 409
    assert patched.json["error"]["code"] == "drill_cancelled"
    assert form.status_code == 400
    assert "Deze oefening is afgezegd." in form.get_data(as_text=True)
    assert (fetched["title"], fetched["sequence"]) == ("Stroom uit", 1)


@pytest.mark.parametrize("action, body", [
    ("rsvp", {"answer": "yes"}), ("checkin", {}), ("status", {"status": "ok"}),
])
@pytest.mark.parametrize("household_id", [99999, -1])
def test_acting_for_a_household_that_does_not_exist_is_a_404(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str], action: str,
        body: dict[str, str], household_id: int) -> None:
    drill = plan_running_drill(app)

    response = client.post(f"/api/v1/drills/{drill.id}/{action}",
                           headers={**coordinator_headers,
                                    "Accept-Language": "nl"},
                           json={**body, "household_id": household_id})

    assert response.status_code == 404
    assert response.json["error"]["code"] == "household_not_found"
    assert "huishouden bestaat niet" in response.json["error"]["message"]


ENGLISH_WORDS = ("power", "payments", "custom", "title", "description",
                 "starts_at", "field")


def test_dutch_refusals_name_fields_and_choices_in_dutch(
        client: FlaskClient, coordinator_client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    nl = {**coordinator_headers, "Accept-Language": "nl"}
    base = {"scenario": "power", "title": "x",
            "starts_at": f"{JANUARY}T10:00", "ends_at": f"{JANUARY}T11:00"}

    answers = [client.post("/api/v1/drills", headers=nl, json=body)
               for body in ({**base, "scenario": "zombies"},
                            {**base, "title": "x" * 121},
                            {**base, "description": "x" * 2001},
                            {"scenario": "power"})]
    form = coordinator_client.post("/drills/new", data={
        **base, "title": "x" * 121,
        "csrf_token": csrf_token(coordinator_client, "/drills/new")},
        headers={"Accept-Language": "nl"})
    messages = [answer.json["error"]["message"] for answer in answers]

    assert [answer.status_code for answer in answers] == [422] * 4
    assert "Stroomstoring / Geen kraanwater" in messages[0]
    assert "titel: te lang (hoogstens 120)" in messages[1]
    assert "beschrijving: te lang" in messages[2]
    assert "titel: dit veld is verplicht" in messages[3]
    assert "Te lang: titel (hoogstens 120 tekens)." in form.get_data(
        as_text=True)
    for message in messages:
        assert not [word for word in ENGLISH_WORDS if word in message], (
            message)


def test_cancel_later_drills_of_a_series(app: Flask) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        drills = service.create_drill(
            session, app.config["BUURT"], scenario="water", title="Water",
            starts_at=service.parse_time(f"{JANUARY}T10:00"),
            ends_at=service.parse_time(f"{JANUARY}T12:00"),
            rrule="FREQ=MONTHLY;COUNT=3")
        cancelled = service.cancel_drill(session, drills[1].id or 0,
                                         later_in_series=True)

        assert [d.id for d in cancelled] == [drills[1].id, drills[2].id]
        assert drills[0].cancelled is False


def test_planning_page_prefills_the_scenario_in_dutch_and_english(
        coordinator_client: FlaskClient) -> None:
    dutch = coordinator_client.get("/drills/new?scenario=water",
                                   headers={"Accept-Language": "nl"})
    english = coordinator_client.get("/drills/new?scenario=water",
                                     headers={"Accept-Language": "en"})

    assert dutch.status_code == english.status_code == 200
    assert "Oefening plannen" in dutch.get_data(as_text=True)
    assert "Geen kraanwater" in dutch.get_data(as_text=True)
    assert "Plan a drill" in english.get_data(as_text=True)
    assert 'value="water" selected' in english.get_data(as_text=True)
    assert "No tap water" in english.get_data(as_text=True)


def test_coordinator_plans_a_drill_in_the_browser(
        app: Flask, coordinator_client: FlaskClient) -> None:
    february, may = first_saturday(2), first_saturday(5)
    response = coordinator_client.post("/drills/new", data={
        "scenario": "power", "title": "Stroom uit",
        "starts_at": f"{february}T10:00", "ends_at": f"{february}T13:00",
        "repeat": "quarterly",
        "csrf_token": csrf_token(coordinator_client, "/drills/new")},
        headers={"Accept-Language": "en"})

    assert response.status_code == 302
    page = coordinator_client.get(response.headers["Location"],
                                  headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert f"Sat {february.day} Feb {NEXT_YEAR} 10:00" in html
    # The first Saturday of the next quarter.
    assert f"Sat {may.day} May {NEXT_YEAR} 10:00" in html
    assert "<svg" in html  # the check-in QR code


def test_drill_pages_in_dutch(app: Flask,
                              coordinator_client: FlaskClient) -> None:
    drill = plan_running_drill(app)
    nl = {"Accept-Language": "nl"}

    index = coordinator_client.get("/drills", headers=nl)
    show = coordinator_client.get(f"/drills/{drill.id}", headers=nl)
    board = coordinator_client.get(f"/drills/{drill.id}/board", headers=nl)
    review = coordinator_client.get(f"/drills/{drill.id}/review", headers=nl)

    assert "Openstaande verbeteracties" in index.get_data(as_text=True)
    assert "Stroomstoring" in show.get_data(as_text=True)
    assert "bezig" in board.get_data(as_text=True)
    assert "Wat ging goed" in review.get_data(as_text=True)


def test_openapi_document_describes_the_drill_api(client: FlaskClient
                                                  ) -> None:
    doc = client.get("/api/openapi.json").json

    drills = doc["paths"]["/api/v1/drills/{drill_id}/status"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in drills["parameters"]]
    assert "/api/v1/drills/{drill_id}.ics" in doc["paths"]
    assert "/api/v1/hackathons/{hackathon_id}/outcomes" in doc["paths"]
    assert "/api/v1/resources/{resource_id}/borrow" in doc["paths"]
    assert doc["components"]["schemas"]["DrillIn"][
        "additionalProperties"] is False
