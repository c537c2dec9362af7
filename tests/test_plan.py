"""The paper plan: what the street's copy shows, and what it never shows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from buurt import db, scheduler
from buurt.events import service as events
from buurt.inventory import service as inventory
from buurt.inventory.models import Household, Need
from buurt.labels import jobs
from tests.conftest import make_app
from tests.test_labels import (UNICODE_NAMES, add_keeper, import_lindenlaan,
                               pdf_text)

RunCli = Callable[..., Result]
# The needs as written in the Lindenlaan spreadsheet's "extra help" column.
SPREADSHEET_NEEDS = ("rolstoel", "woont alleen", "zuurstof", "baby",
                     "slechthorend", "dementie", "dialyse")


def make_plan(run_cli: RunCli, tmp_path: Path, *options: str) -> list[str]:
    """Run `buurt plan` and return the text of each page."""
    out = tmp_path / f"plan{len(list(tmp_path.glob('plan*.pdf')))}.pdf"
    result = run_cli("plan", "--out", str(out), *options)
    assert result.exit_code == 0, result.output
    return pdf_text(out.read_bytes())


def household_id(app: Flask, address: str) -> int:
    """Return the id of the household at an address."""
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        household = inventory.find_household(session, address)
        assert household is not None and household.id is not None
        return household.id


def flat(pages: list[str]) -> str:
    """Join the pages' text, with line breaks read as spaces."""
    return " ".join(" ".join(pages).split())


def test_street_copy_names_the_street_and_holds_no_health_detail(
        app: Flask, run_cli: RunCli, tmp_path: Path) -> None:
    import_lindenlaan(app)
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        notes = [need.note for need in session.exec(select(Need))]

    text = flat(make_plan(run_cli, tmp_path)).lower()

    assert len(notes) >= 6
    assert "buurtplan lindenlaan" in text
    for word in SPREADSHEET_NEEDS + tuple(n.lower() for n in notes):
        assert word not in text
    for fact in ("bel 112", "0900-8844", "noodsteunpunt", "verzamelpunt",
                 "calamiteitenzender", "landelijk dreigingsbeeld van",
                 "watertank 1000 l", "pieter smit, lindenlaan 7"):
        assert fact in text


def test_street_copy_shows_phone_numbers_only_with_consent(
        app: Flask, run_cli: RunCli, tmp_path: Path) -> None:
    import_lindenlaan(app)
    pieter = household_id(app, "Lindenlaan 7")
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        inventory.withdraw_consent(session, pieter, "contact")
        phones = {h.address: h.phone for h in session.exec(select(Household))
                  if h.phone}

    text = flat(make_plan(run_cli, tmp_path))
    digits = re.sub(r"[\s-]", "", text)

    assert "Pieter" not in text
    assert re.sub(r"\D", "", phones["Lindenlaan 7"]) not in digits
    assert phones["Lindenlaan 1"] in text
    assert "watertank 1000 L 1 goed Lindenlaan 7" in text


def test_coordinator_copy_is_confidential_on_every_page_and_adds_care(
        app: Flask, run_cli: RunCli, tmp_path: Path) -> None:
    import_lindenlaan(app)
    helped, buddy = (household_id(app, f"Lindenlaan {n}") for n in (5, 3))
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        inventory.create_agreement(session, "buddy", household_id=helped,
                                   helper_household_id=buddy)

    pages = make_plan(run_cli, tmp_path, "--coordinator")
    street = flat(make_plan(run_cli, tmp_path))
    text = flat(pages)

    assert len(pages) >= 2
    for page in pages:
        assert "VERTROUWELIJK" in page
    assert "rolstoel" in text and "dialyse" in text
    assert "Lindenlaan 5" in text and "Fam. Yilmaz" in text
    assert "Buddy (kijkt bij een huishouden): Fam. Yilmaz" in text
    assert "VERTROUWELIJK" not in street
    assert "Mw. T. Bakker" not in street


def test_long_lists_flow_over_pages_with_repeated_headings(
        app: Flask, run_cli: RunCli, tmp_path: Path) -> None:
    for number in range(1, 121):
        add_keeper(app, f"Lindenlaan {number}", f"Buur {number}",
                   f"06-1000{number:04d}", f"Radio nummer {number}")

    pages = make_plan(run_cli, tmp_path, "--lang", "en")
    with_radios = [page for page in pages if "Radio nummer" in page]

    assert len(with_radios) >= 3
    for page in with_radios:
        assert "Information" in page
        assert re.search(r"Item\s+Number\s+Condition\s+Keeper\s+Phone", page)
    listed = re.findall(r"Radio nummer (\d+)\b", " ".join(with_radios))
    assert sorted(map(int, listed)) == list(range(1, 121))


def test_unicode_names_print_in_the_plan(app: Flask, run_cli: RunCli,
                                         tmp_path: Path) -> None:
    for number, name in enumerate(UNICODE_NAMES, start=1):
        add_keeper(app, f"Lindenlaan {number}", name, "", f"Radio {number}")

    text = flat(make_plan(run_cli, tmp_path))

    for name in UNICODE_NAMES:
        assert name in text


def test_plan_speaks_the_chosen_language(app: Flask, run_cli: RunCli,
                                         tmp_path: Path) -> None:
    import_lindenlaan(app)

    english = flat(make_plan(run_cli, tmp_path, "--lang", "en"))
    dutch = flat(make_plan(run_cli, tmp_path, "--lang", "nl"))

    assert "Neighbourhood plan Lindenlaan" in english
    assert "Call 112" in english and "Drinking water" in english
    assert "Buurtplan Lindenlaan" in dutch and "Drinkwater" in dutch


def test_plan_lists_places_drills_and_agreements_but_no_buddies(
        app: Flask, run_cli: RunCli, tmp_path: Path) -> None:
    import_lindenlaan(app)
    start = db.utcnow() + timedelta(days=9)
    number_9, number_23, number_25 = (
        household_id(app, f"Lindenlaan {n}") for n in (9, 23, 25))
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        neighbourhood = inventory.get_neighbourhood(session)
        assert neighbourhood is not None
        neighbourhood.meeting_point = "Speeltuin Lindenlaan"
        neighbourhood.support_point = "Buurthuis De Linde, Dorpsstraat 4"
        neighbourhood.news_source = "Omroep Gelderland, 104,4 FM"
        session.add(neighbourhood)
        events.create_drill(session, app.config["BUURT"], scenario="water",
                            title="Een dag zonder kraanwater",
                            starts_at=start,
                            ends_at=start + timedelta(hours=6))
        inventory.create_agreement(
            session, "key_holder", resource_id=1,
            helper_household_id=number_9,
            description="Sleutel van de watertank")
        inventory.create_agreement(session, "buddy", household_id=number_25,
                                   helper_household_id=number_23)

    text = flat(make_plan(run_cli, tmp_path))

    for fact in ("Speeltuin Lindenlaan", "Buurthuis De Linde",
                 "Omroep Gelderland", "Een dag zonder kraanwater",
                 "Sleutel van de watertank", "Sleutelhouder"):
        assert fact in text
    assert "Buddy" not in text and "Hoekstra" not in text


def test_members_download_the_street_copy(app: Flask,
                                          coordinator_client: FlaskClient
                                          ) -> None:
    import_lindenlaan(app)

    street = coordinator_client.get("/plan/street.pdf?lang=en")
    confidential = coordinator_client.get("/plan/coordinator.pdf")

    assert street.status_code == 200 and street.mimetype == "application/pdf"
    assert "plan-street-" in street.headers["Content-Disposition"]
    assert "rolstoel" not in flat(pdf_text(street.data))
    assert "VERTROUWELIJK" in pdf_text(confidential.data)[0]
    assert confidential.headers["Cache-Control"] == "no-store"


@pytest.fixture
def clocked_app(tmp_path: Path) -> Flask:
    """Return an app whose scheduler believes it is 1 February 2027."""
    clock = datetime(2027, 2, 1, 4, 41, tzinfo=timezone.utc)
    app = make_app(tmp_path / "instance", scheduler_clock=clock.isoformat())
    import_lindenlaan(app)
    return app


def test_monthly_job_writes_both_copies_once_a_month(
        clocked_app: Flask) -> None:
    folder = Path(clocked_app.instance_path) / "plans"

    assert scheduler.start(clocked_app) is not None
    try:
        sched = clocked_app.extensions["buurt_scheduler"]
        armed = sched.get_job(jobs.PLAN_JOB)
        jobs.regenerate_plans()
        first = sorted(path.name for path in folder.iterdir())
        jobs.regenerate_plans()
        second = sorted(path.name for path in folder.iterdir())
    finally:
        scheduler.stop(clocked_app)

    assert str(armed.trigger).startswith("local[04:40")
    assert first == second == ["plan-coordinator-2027-02-01.pdf",
                               "plan-street-2027-02-01.pdf"]
    street = folder / "plan-street-2027-02-01.pdf"
    confidential = folder / "plan-coordinator-2027-02-01.pdf"
    assert "Plan van 1 februari 2027" in flat(pdf_text(street.read_bytes()))
    assert confidential.stat().st_mode & 0o077 == 0
