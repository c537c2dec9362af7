"""Readiness: coverage per essential function, and the weakest one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlmodel import Session, select

from buurt import db
from buurt.inventory import service
from buurt.inventory.models import Household, Resource
from buurt.readiness.service import compute_readiness
from tests.conftest import bearer_headers, create_member, make_app

# Enough for ten residents in every function: nothing is short.
EVERYTHING_FOR_TEN = {"radio": 1, "gas_burner": 1, "water_filter": 1,
                      "walkie_talkie": 2, "generator": 1, "first_aid_kit": 1,
                      "wood_stove": 1, "cargo_bike": 1}


def add_household(session: Session, number: int, residents: int,
                  things: dict[str, int] | None = None,
                  litres: float | None = None) -> Household:
    """Create a household through the inventory service, with its things."""
    household = service.create_household(session, f"Teststraat {number}",
                                         residents=residents)
    assert household.id is not None
    for kind, quantity in (things or {}).items():
        service.pledge_resource(session, household.id, kind,
                                quantity=quantity, capacity=litres)
    return household


def add_need(session: Session, household: Household,
             power: bool = False) -> None:
    """Record that a household needs help (and perhaps power), with consent."""
    assert household.id is not None
    service.grant_consent(session, household.id, "health")
    service.set_need(session, household.id, "needs_help", "test")
    if power:
        service.set_need(session, household.id, "power_dependent", "test")


def readiness(app: Flask, session: Session) -> dict[str, Any]:
    """Compute readiness with the app's settings."""
    return compute_readiness(session, app.config["BUURT"])


def coverages(data: dict[str, Any]) -> dict[str, float]:
    """Return the coverage of every function."""
    return {f: v["coverage"] for f, v in data["functions"].items()}


def test_weakest_is_the_function_with_the_lowest_coverage(
        app: Flask, session: Session) -> None:
    things = {k: v for k, v in EVERYTHING_FOR_TEN.items()
              if k != "cargo_bike"}
    household = add_household(session, 1, 10, things)
    add_household(session, 2, 0, {"water_tank": 1}, litres=90)
    assert household.id is not None
    service.create_skill(session, household.id, "first_aid", "EHBO")

    data = readiness(app, session)

    assert data["weakest"] == "transport"
    assert coverages(data) == {
        "drinking_water": 1.0, "cooking": 1.0, "information": 1.0,
        "communication": 1.0, "power": 1.0, "first_aid": 1.0,
        "warmth": 1.0, "transport": 0.0}


def test_ties_go_to_the_first_function_in_the_fixed_order(
        app: Flask, session: Session) -> None:
    add_household(session, 1, 12)

    data = readiness(app, session)

    assert set(coverages(data).values()) == {0.0}
    assert data["weakest"] == "drinking_water"


def test_the_weakest_measure_of_a_function_counts_never_an_average(
        app: Flask, session: Session) -> None:
    add_household(session, 1, 10, {"first_aid_kit": 1}, litres=None)
    add_household(session, 2, 10, {"water_tank": 1}, litres=1000)

    data = readiness(app, session)

    water = data["functions"]["drinking_water"]
    assert [p["coverage"] for p in water["parts"]] == [1.0, 0.0]
    assert (water["measure"], water["coverage"], water["gap"]) == (
        "water_filter", 0.0, 2)
    first_aid = data["functions"]["first_aid"]
    assert (first_aid["measure"], first_aid["coverage"]) == (
        "first_aider", 0.0)


def test_coverage_is_capped_at_one(app: Flask, session: Session) -> None:
    add_household(session, 1, 10, {"radio": 20})

    information = readiness(app, session)["functions"]["information"]

    assert information["covered"] == 20
    assert information["needed"] == 1
    assert (information["coverage"], information["gap"]) == (1.0, 0)
    assert information["residents_covered"] == 10


def test_needs_are_rounded_up(app: Flask, session: Session) -> None:
    add_household(session, 1, 11, {"radio": 1})

    data = readiness(app, session)

    assert data["functions"]["information"]["needed"] == 2
    assert data["functions"]["information"]["coverage"] == 0.5
    assert data["functions"]["information"]["gap"] == 1
    assert data["functions"]["communication"]["needed"] == 1
    assert data["functions"]["drinking_water"]["parts"][0]["needed"] == 99


def test_settings_change_the_figures(tmp_path: Path) -> None:
    app = make_app(tmp_path, residents_per_radio=5,
                   water_litres_per_person_day=2.5, water_days_needed=4)
    try:
        with app.app_context(), db.session_scope(db.get_engine(app),
                                                 write=True) as session:
            add_household(session, 1, 11, {"water_tank": 1}, litres=110)
            data = readiness(app, session)
    finally:
        db.get_engine(app).dispose()

    assert data["functions"]["information"]["needed"] == 3
    assert data["functions"]["drinking_water"]["parts"][0]["needed"] == 110
    assert data["water_days"] == 4.0


def test_water_days_and_the_rain_barrel_rule(app: Flask,
                                             session: Session) -> None:
    add_household(session, 1, 10, {"rain_barrel": 1}, litres=200)
    without_filter = readiness(app, session)
    add_household(session, 2, 10, {"water_filter": 1})

    with_filter = readiness(app, session)

    assert without_filter["water_litres"] == 0
    assert with_filter["water_litres"] == 200
    assert with_filter["water_days"] == 3.3


def test_broken_things_and_drill_only_pledges_do_not_count(
        app: Flask, session: Session) -> None:
    household = add_household(session, 1, 40, {"radio": 1})
    assert household.id is not None
    service.create_resource(session, "radio", keeper_household_id=household.id)
    service.create_resource(session, "radio", condition="broken",
                            keeper_household_id=household.id)
    service.pledge_resource(session, household.id, "radio",
                            availability="drills")

    data = readiness(app, session)

    assert data["functions"]["information"]["covered"] == 2
    assert data["resources"]["radio"] == 2


def test_a_power_backup_agreement_raises_power_coverage(
        app: Flask, session: Session) -> None:
    helper = add_household(session, 1, 8, {"generator": 1})
    dependent = add_household(session, 2, 2)
    add_need(session, dependent, power=True)
    before = readiness(app, session)["functions"]["power"]

    generator = session.exec(
        select(Resource).where(Resource.kind == "generator")).one()
    service.create_agreement(session, "power_backup",
                             household_id=dependent.id,
                             resource_id=generator.id)
    service.create_agreement(session, "buddy", household_id=dependent.id,
                             helper_household_id=helper.id)
    data = readiness(app, session)

    assert (before["measure"], before["coverage"]) == ("power_backup", 0.0)
    assert data["functions"]["power"]["coverage"] == 1.0
    assert data["power_dependent"] == 1
    assert data["power_dependent_with_backup"] == 1
    assert data["needs_help_with_buddy"] == 1


def test_api_answers_coordinators_only(
        app: Flask, client: FlaskClient,
        coordinator_headers: dict[str, str]) -> None:
    resident = create_member(app, "rita")

    answer = client.get("/api/v1/readiness", headers=coordinator_headers)
    forbidden = client.get("/api/v1/readiness",
                           headers=bearer_headers(app, resident))
    anonymous = client.get("/api/v1/readiness")
    openapi = client.get("/api/openapi.json").get_json()

    assert answer.status_code == 200
    assert answer.get_json()["weakest"] == "drinking_water"
    assert set(answer.get_json()["functions"]) >= {"power", "warmth"}
    assert forbidden.status_code == 403
    assert forbidden.get_json()["error"]["code"] == "forbidden"
    assert anonymous.status_code == 401
    assert "/api/v1/readiness" in openapi["paths"]
    assert "ReadinessOut" in openapi["components"]["schemas"]


def test_page_puts_the_weakest_function_first_in_dutch_and_english(
        app: Flask, coordinator_client: FlaskClient) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        add_household(session, 1, 10, {"radio": 1})

    dutch = coordinator_client.get("/readiness").get_data(as_text=True)
    english = coordinator_client.get(
        "/readiness", headers={"Accept-Language": "en"}).get_data(
        as_text=True)

    assert "Zwakste: Drinkwater" in dutch
    assert "Weakest: Drinking water" in english
    assert english.index("Weakest") < english.index("Per essential function")


def count_queries(app: Flask) -> int:
    """Count the SQL statements one readiness computation makes."""
    engine = db.get_engine(app)
    statements: list[str] = []

    def remember(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", remember)
    try:
        with app.app_context(), db.session_scope(engine) as session:
            compute_readiness(session, app.config["BUURT"])
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return len(statements)


def test_readiness_makes_the_same_queries_for_5_and_50_households(
        app: Flask) -> None:
    engine = db.get_engine(app)

    def add(first: int, last: int) -> None:
        with app.app_context(), db.session_scope(engine,
                                                 write=True) as session:
            for number in range(first, last):
                household = add_household(session, number, 3,
                                          EVERYTHING_FOR_TEN)
                add_need(session, household, power=number % 2 == 0)
                assert household.id is not None
                service.create_skill(session, household.id, "medical",
                                     "huisarts")

    add(0, 5)
    five = count_queries(app)
    add(5, 50)
    fifty = count_queries(app)

    assert five == fifty
    assert five <= 4
