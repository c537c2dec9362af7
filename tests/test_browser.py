"""A resident joins and pledges from a phone, in a real Chromium.

The node is served by waitress on 127.0.0.1; Debian's Chromium is driven by
Playwright with an explicit executable path (no browser is downloaded).
"""

from __future__ import annotations

import os
import threading
from typing import Any, Iterator

import pytest
from flask import Flask

from buurt import db
from buurt.accounts import service as accounts
from buurt.inventory import service as inventory
from tests.conftest import free_port, require_executable

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def live_node(app: Flask) -> Iterator[str]:
    """Serve the test app with waitress on a loopback port."""
    import waitress.server

    port = free_port()
    server = waitress.server.create_server(app, host="127.0.0.1", port=port,
                                           threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Start Debian's Chromium, headless, through Playwright."""
    executable = require_executable(
        "chromium", os.environ.get("BUURT_CHROMIUM", "/usr/bin/chromium"))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def make_invite(app: Flask, address: str) -> str:
    """Create a household and an invite bound to it; return the code."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        household = inventory.create_household(session, address, residents=3)
        invite = accounts.create_invite(session, household_id=household.id)
        return invite.code


def test_resident_joins_and_pledges_a_radio_from_a_phone(
    app: Flask, live_node: str, browser: Any
) -> None:
    """Join with an invite, pledge a radio, and see it among what we share."""
    code = make_invite(app, "Lindenlaan 40")
    page = browser.new_page(viewport=PHONE, locale="nl-NL")

    page.goto(f"{live_node}/join?code={code}")
    assert page.get_attribute("html", "lang") == "nl"
    page.fill("input[name=display_name]", "Łukasz")
    page.fill("input[name=username]", "lukasz")
    page.fill("input[name=pin]", "135790")
    page.click("form.stack button")
    page.wait_for_url(f"{live_node}/household")
    assert "Lindenlaan 40" in page.content()

    page.goto(f"{live_node}/pledge")
    radio_form = page.locator("form:has(input[name=what][value=resource])")
    radio_form.locator("select[name=kind]").select_option("radio")
    radio_form.locator("input[name=name]").fill("Dynamoradio")
    radio_form.locator("button").click()
    page.wait_for_load_state()

    page.goto(f"{live_node}/shared")
    assert "Dynamoradio" in page.content()
    assert page.get_attribute("html", "lang") == "nl"


def test_language_switch_turns_the_pages_english(
    app: Flask, live_node: str, browser: Any
) -> None:
    """Choose English in the footer; the pages and <html lang> follow."""
    page = browser.new_page(viewport=PHONE, locale="nl-NL")
    page.goto(f"{live_node}/login")
    assert page.get_attribute("html", "lang") == "nl"
    assert page.locator("h1").inner_text() == "Inloggen"

    page.click("footer button[value=en]")
    page.wait_for_load_state()
    page.goto(f"{live_node}/login")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").inner_text() == "Log in"


def test_resident_pages_load_nothing_from_the_internet(
    app: Flask, live_node: str, browser: Any
) -> None:
    """Every request a page makes goes to the node itself."""
    code = make_invite(app, "Lindenlaan 42")
    page = browser.new_page(viewport=PHONE)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{live_node}/join?code={code}")
    page.fill("input[name=display_name]", "Ødegård")
    page.fill("input[name=username]", "odegard")
    page.fill("input[name=pin]", "135790")
    page.click("form.stack button")
    page.wait_for_url(f"{live_node}/household")
    for path in ("/household", "/pledge", "/shared", "/threats"):
        page.goto(f"{live_node}{path}")

    assert requested
    assert all(url.startswith(live_node) for url in requested), requested


def test_status_report_made_offline_is_sent_once_on_the_next_visit(
    app: Flask, live_node: str, browser: Any
) -> None:
    """A report tapped without Wi-Fi waits on the phone, then counts once."""
    from datetime import timedelta

    from sqlmodel import select

    from buurt.db import utcnow
    from buurt.events import service as events
    from buurt.events.models import StatusReport

    code = make_invite(app, "Lindenlaan 44")
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        drill = events.create_drill(
            session, app.config["BUURT"], scenario="power",
            title="Een dag zonder stroom",
            starts_at=utcnow() - timedelta(minutes=10),
            ends_at=utcnow() + timedelta(hours=2))[0]
        drill_id = drill.id

    context = browser.new_context(viewport=PHONE, locale="nl-NL")
    page = context.new_page()
    page.goto(f"{live_node}/join?code={code}")
    page.fill("input[name=display_name]", "Çelik")
    page.fill("input[name=username]", "celik")
    page.fill("input[name=pin]", "135790")
    page.click("form.stack button")
    page.wait_for_url(f"{live_node}/household")
    page.goto(f"{live_node}/drills/{drill_id}/board")

    context.set_offline(True)
    page.click("form[data-queue] button[value=ok]")
    page.wait_for_selector("[data-queue-status]:not([hidden])")
    assert page.evaluate("JSON.parse(localStorage['buurt-queue']).length") == 1

    context.set_offline(False)
    page.goto(f"{live_node}/drills/{drill_id}/board")
    page.wait_for_function("JSON.parse(localStorage['buurt-queue']).length"
                           " === 0")
    page.goto(f"{live_node}/drills/{drill_id}/board")

    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        reports = session.exec(select(StatusReport).where(
            StatusReport.drill_id == drill_id)).all()
    assert [report.status for report in reports] == ["ok"]
