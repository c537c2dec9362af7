"""QR labels, invite cards and posters, read back with real tools.

Every code is printed to PDF, rendered by poppler at print resolution
(300 dpi) and decoded by zbar, one label at a time as a phone would.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Callable
from xml.etree import ElementTree

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlmodel import select

from buurt import db
from buurt.accounts.models import Invite
from buurt.events import service as events
from buurt.inventory import importer
from buurt.inventory import service as inventory
from buurt.inventory.models import Resource
from buurt.labels import qr, service
from buurt.labels.sheets import LAYOUTS, Layout
from tests.conftest import (LINDENLAAN_CSV, create_member, csrf_token, login,
                            require_executable, require_tool)

RunCli = Callable[..., Result]
DPI = 300
MM = DPI / 25.4
BASE_URL = "http://127.0.0.1:8080"
UNICODE_NAMES = ("Yıldız", "Łukasz", "Çelik", "Ødegård")


# Reading printed codes back --------------------------------------------------

def render_pages(data: bytes, folder: Path) -> list[Image.Image]:
    """Render every page of a PDF to a grey image at print resolution."""
    pdftoppm = require_executable("pdftoppm")
    try:
        from pyzbar import pyzbar
        pyzbar.decode(Image.new("L", (8, 8), 255))
        zbar = True
    except (ImportError, OSError):
        zbar = False
    require_tool("zbar", zbar, "install libzbar0 and pyzbar")

    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "document.pdf"
    source.write_bytes(data)
    subprocess.run([pdftoppm, "-r", str(DPI), "-gray", "-png", str(source),
                    str(folder / "page")], check=True, timeout=300)
    return [Image.open(path) for path in sorted(folder.glob("page-*.png"))]


def decode(image: Image.Image) -> list[str]:
    """Return the text of every QR code zbar finds in an image."""
    from pyzbar.pyzbar import ZBarSymbol, decode as zbar_decode

    return [found.data.decode("utf-8")
            for found in zbar_decode(image, symbols=[ZBarSymbol.QRCODE])]


def crop(image: Image.Image, x: float, y: float, width: float,
         height: float) -> Image.Image:
    """Cut a rectangle, given in millimetres, out of a rendered page."""
    return image.crop((round(x * MM), round(y * MM), round((x + width) * MM),
                       round((y + height) * MM)))


def decode_grid(pages: list[Image.Image], layout: Layout,
                count: int) -> list[list[str]]:
    """Decode each of the first `count` slots of a label sheet alone."""
    found = []
    for index in range(count):
        page, slot = divmod(index, layout.per_page)
        x, y = layout.origin(slot)
        found.append(decode(crop(pages[page], x, y, layout.width,
                                 layout.height)))
    return found


def pdf_text(data: bytes) -> list[str]:
    """Return the text of each page of a PDF."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


# The street ------------------------------------------------------------------

def import_lindenlaan(app: Flask) -> None:
    """Import the Lindenlaan spreadsheet through the real importer."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        importer.import_sheet(session, LINDENLAAN_CSV.read_bytes())


def item_urls(app: Flask, kind: str | None = None) -> list[str]:
    """Return the label addresses in the order labels are printed."""
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        return [label.url for label in service.list_item_labels(
            session, BASE_URL, kind)]


def add_keeper(app: Flask, address: str, name: str, phone: str,
               item: str, consent: bool = True) -> int:
    """Add a household with one shared radio; return the radio's id."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        household = inventory.create_household(
            session, address, residents=2, contact_name=name, phone=phone)
        assert household.id is not None
        if consent:
            inventory.grant_consent(session, household.id, "contact")
        resource = inventory.create_resource(
            session, "radio", item, keeper_household_id=household.id)
        assert resource.id is not None
        return resource.id


def token_of(app: Flask, resource_id: int) -> str:
    """Return the label token of a resource."""
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        resource = session.get(Resource, resource_id)
        assert resource is not None
        return resource.label_token


# Tokens and codes ------------------------------------------------------------

def test_every_item_gets_a_short_unguessable_token(app: Flask) -> None:
    import_lindenlaan(app)
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        tokens = [r.label_token for r in session.exec(select(Resource))]

    assert len(tokens) == 22
    assert len(set(tokens)) == len(tokens)
    assert all(re.fullmatch(r"[a-z2-7]{10}", token) for token in tokens)


@pytest.mark.parametrize("base_url", [
    "http://10.42.0.1:8080", "http://192.168.178.20:8080",
    "http://buurt.local:8080"])
def test_item_codes_stay_small_enough_for_a_3_cm_label(base_url: str) -> None:
    url = service.item_url(base_url, "abcdefghij")
    code = qr.make_qr(url)

    assert len(url) <= qr.MAX_ITEM_URL == 48
    assert code.version <= 3
    assert code.error_correction == qr.ERROR_CORRECT_M
    assert code.border == qr.QUIET_ZONE == 4


@pytest.mark.parametrize("layout", ["3x8", "2x7"])
def test_every_label_on_the_sheet_decodes_to_its_items_page(
        app: Flask, client: FlaskClient, run_cli: RunCli, tmp_path: Path,
        layout: str) -> None:
    import_lindenlaan(app)
    out = tmp_path / "labels.pdf"

    result = run_cli("labels", "--out", str(out), "--layout", layout)
    assert result.exit_code == 0, result.output
    pages = render_pages(out.read_bytes(), tmp_path / "pages")
    expected = item_urls(app)

    assert len(pages) == -(-len(expected) // LAYOUTS[layout].per_page)
    assert decode_grid(pages, LAYOUTS[layout], len(expected)) == [
        [url] for url in expected]
    for url in expected:
        assert client.get(url.removeprefix(BASE_URL)).status_code == 200


def test_labels_of_one_kind_only(app: Flask, run_cli: RunCli,
                                 tmp_path: Path) -> None:
    import_lindenlaan(app)
    out = tmp_path / "radios.pdf"

    result = run_cli("labels", "--out", str(out), "--kind", "radio")
    assert result.exit_code == 0, result.output
    pages = render_pages(out.read_bytes(), tmp_path / "pages")

    radios = item_urls(app, "radio")
    assert len(radios) == 2
    assert sorted(decode(pages[0])) == sorted(radios)


def test_labels_command_says_what_is_wrong(app: Flask, run_cli: RunCli,
                                           tmp_path: Path) -> None:
    out = tmp_path / "labels.pdf"

    empty = run_cli("labels", "--out", str(out))
    import_lindenlaan(app)
    unknown = run_cli("labels", "--out", str(out), "--kind", "spaceship")
    bad_layout = run_cli("labels", "--out", str(out), "--layout", "4x4")

    assert empty.exit_code == 1
    assert "no shared items to label yet" in empty.output
    assert unknown.exit_code == 1
    assert "unknown kind 'spaceship'" in unknown.output
    assert "water_tank" in unknown.output
    assert bad_layout.exit_code == 2
    assert not out.exists()


def test_unicode_names_print_on_the_labels(app: Flask, run_cli: RunCli,
                                           tmp_path: Path) -> None:
    for number, name in enumerate(UNICODE_NAMES, start=1):
        add_keeper(app, f"Lindenlaan {number}", name, "", f"Radio {name}")
    out = tmp_path / "labels.pdf"

    result = run_cli("labels", "--out", str(out))
    text = pdf_text(out.read_bytes())[0]

    assert result.exit_code == 0, result.output
    for name in UNICODE_NAMES:
        assert f"Radio {name}" in text


def svg_image(svg: bytes) -> Image.Image:
    """Draw a label's SVG QR code (module squares) at 10 px per module."""
    root = ElementTree.fromstring(svg)
    namespace = {"svg": "http://www.w3.org/2000/svg"}
    code = root.find("svg:svg", namespace)
    assert code is not None
    size = int(float(code.get("viewBox", "").split()[2]))
    image = Image.new("L", (size * 10, size * 10), 255)
    draw = ImageDraw.Draw(image)
    path = code.find("svg:path", namespace)
    assert path is not None
    for x, y, right, bottom in re.findall(
            r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z",
            path.get("d", "")):
        draw.rectangle((float(x) * 10, float(y) * 10,
                        float(right) * 10 - 1, float(bottom) * 10 - 1),
                       fill=0)
    return image


def test_a_single_label_comes_as_svg_with_the_items_code(
        app: Flask, coordinator_client: FlaskClient) -> None:
    resource_id = add_keeper(app, "Lindenlaan 7", "Pieter", "", "Radio Ø")
    token = token_of(app, resource_id)

    response = coordinator_client.get(f"/labels/{token}.svg")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert decode(svg_image(response.data)) == [f"{BASE_URL}/r/{token}"]
    assert "Radio Ø" in response.get_data(as_text=True)


# The page behind a label -----------------------------------------------------

def test_a_stranger_sees_only_the_kind_and_is_asked_to_join(
        app: Flask, client: FlaskClient) -> None:
    resource_id = add_keeper(app, "Lindenlaan 7", "Pieter Smit",
                             "06-00001007", "Radio van Pieter")

    page = client.get(f"/r/{token_of(app, resource_id)}").get_data(
        as_text=True)

    assert "Noodradio" in page
    assert 'href="/join"' in page
    for private in ("Pieter", "06-00001007", "Lindenlaan 7", "nr. 7",
                    "Staat", "/resources/"):
        assert private not in page


def test_a_member_sees_the_keeper_only_as_the_keeper_consented(
        app: Flask) -> None:
    shared = add_keeper(app, "Lindenlaan 7", "Pieter Smit", "06-00001007",
                        "Radio van Pieter")
    private = add_keeper(app, "Lindenlaan 9", "Ria Jansen", "06-00001009",
                         "Radio van nummer 9", consent=False)
    create_member(app, "anna")
    client = app.test_client()
    login(client, "anna")

    open_page = client.get(f"/r/{token_of(app, shared)}").get_data(
        as_text=True)
    closed_page = client.get(f"/r/{token_of(app, private)}").get_data(
        as_text=True)

    assert "Pieter Smit" in open_page and "06-00001007" in open_page
    assert "nr. 7" in open_page
    assert "Ria" not in closed_page and "06-00001009" not in closed_page
    assert "nr. 9" in closed_page
    for action in ("reserve", "borrow", "return"):
        assert f'href="/resources/{private}/{action}"' in closed_page


@pytest.mark.parametrize("token", ["aaaaaaaaaa", "NOT-A-TOKEN", "x" * 300])
def test_an_unknown_label_is_not_found(client: FlaskClient,
                                       token: str) -> None:
    assert client.get(f"/r/{token}").status_code == 404


def test_a_member_reports_a_problem_that_lands_on_the_items_notes(
        app: Flask) -> None:
    resource_id = add_keeper(app, "Lindenlaan 7", "Pieter", "", "Radio")
    token = token_of(app, resource_id)
    create_member(app, "anna")
    client = app.test_client()
    login(client, "anna")

    empty = client.post(f"/r/{token}/problem", data={
        "note": "  ", "csrf_token": csrf_token(client, f"/r/{token}")})
    sent = client.post(f"/r/{token}/problem", data={
        "note": "Antenne  afgebroken",
        "csrf_token": csrf_token(client, f"/r/{token}")})

    assert empty.status_code == 400
    assert "Zeg in een paar woorden wat er mis is." in empty.get_data(
        as_text=True)
    assert sent.status_code == 303
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        resource = session.get(Resource, resource_id)
        assert resource is not None
        assert re.fullmatch(r"\[\d{4}-\d\d-\d\d Anna\] Antenne afgebroken",
                            resource.notes)


def test_problem_reports_make_room_but_never_cut_the_coordinators_notes(
        app: Flask) -> None:
    resource_id = add_keeper(app, "Lindenlaan 7", "Pieter", "", "Tank")
    today = db.utcnow().date()
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        resource = session.get(Resource, resource_id)
        assert resource is not None
        resource.notes = "Sleutel bij nummer 9."
        session.add(resource)
        for number in range(6):
            service.report_problem(session, resource_id, f"lek {number} " +
                                   "x" * 90, "Anna", today)
        notes = resource.notes.splitlines()

        resource.notes = "y" * 480
        with pytest.raises(service.LabelError) as refused:
            service.report_problem(session, resource_id, "lek", "Anna",
                                   today)

    assert notes[-1] == "Sleutel bij nummer 9."
    assert notes[0].endswith("lek 5 " + "x" * 90)
    assert len("\n".join(notes)) <= 500
    assert refused.value.code == "notes_full"


# Invite cards and drill posters ----------------------------------------------

def test_every_occupied_household_gets_a_card_with_its_own_join_code(
        app: Flask, coordinator_client: FlaskClient, tmp_path: Path) -> None:
    import_lindenlaan(app)

    def print_cards() -> bytes:
        response = coordinator_client.post("/labels/invites.pdf", data={
            "lang": "nl",
            "csrf_token": csrf_token(coordinator_client, "/labels")})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.data

    first = print_cards()
    second = print_cards()
    pages = render_pages(first, tmp_path / "pages")

    found = []
    for index in range(len(pages) * 8):
        page, slot = divmod(index, 8)
        row, column = divmod(slot, 2)
        found += decode(crop(pages[page], column * 105, row * 74.25, 105,
                             74.25))
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        invites = {i.code: i.household_id for i in session.exec(
            select(Invite).where(Invite.role == "resident"))}

    codes = [url.removeprefix(f"{BASE_URL}/join?code=") for url in found]
    assert len(codes) == 26  # 27 addresses, one of them vacant
    assert set(codes) == set(invites)
    assert len(set(invites.values())) == 26
    assert second.startswith(b"%PDF")
    assert "Doe mee met" in pdf_text(first)[0]
    assert coordinator_client.get(f"/join?code={codes[0]}").status_code == 200


def test_a_drill_poster_decodes_to_the_check_in_address(
        app: Flask, coordinator_client: FlaskClient, tmp_path: Path) -> None:
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        start = db.utcnow() + timedelta(days=5)
        drill = events.create_drill(
            session, app.config["BUURT"], scenario="power",
            title="Stroom uit in de Lindenlaan", starts_at=start,
            ends_at=start + timedelta(hours=4))[0]

    response = coordinator_client.get(f"/labels/drills/{drill.id}/poster.pdf")
    pages = render_pages(response.data, tmp_path / "pages")

    assert response.status_code == 200
    assert decode(pages[0]) == [f"{BASE_URL}/checkin/{drill.checkin_code}"]
    text = pdf_text(response.data)[0]
    assert "Meld je hier aan" in text and drill.checkin_code in text


def test_print_pages_are_for_coordinators(app: Flask) -> None:
    create_member(app, "anna")
    client = app.test_client()
    login(client, "anna")

    for path in ("/labels", "/labels/sheet.pdf", "/plan/coordinator.pdf"):
        assert client.get(path).status_code == 403
    assert client.get("/plan/street.pdf").status_code == 200


@pytest.mark.parametrize("query, message", [
    ("layout=4x4", "Kies een van de labelvellen."),
    ("kind=spaceship", "Zo&#39;n soort ding bestaat niet."),
    ("layout=3x8", "Er valt nog niets af te drukken"),
])
def test_a_bad_sheet_request_is_a_400_with_a_dutch_message(
        coordinator_client: FlaskClient, query: str, message: str) -> None:
    response = coordinator_client.get(f"/labels/sheet.pdf?{query}")

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
