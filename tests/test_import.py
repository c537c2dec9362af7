"""Importing the coordinator's spreadsheet: figures, merging, refusals."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlmodel import SQLModel, col, select

from buurt import db
from buurt.inventory import importer, service
from buurt.inventory.models import (Consent, Household, Need, Pledge,
                                    ReviewItem, Resource, Skill)
from tests.conftest import LINDENLAAN_CSV, create_member, login

TABLES: tuple[type[SQLModel], ...] = (Household, Resource, Skill, Pledge,
                                      Need, Consent, ReviewItem)
HEADER = "Adres;Personen;Contactpersoon;Wil delen;Extra hulp nodig\r\n"

RunCli = Callable[..., Result]


def table_counts(app: Flask) -> dict[str, int]:
    """Count the rows of every table an import writes to."""
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        return {table.__name__: session.exec(
            select(func.count()).select_from(table)).one()
            for table in TABLES}


def import_json(run_cli: RunCli, path: Path, *options: str) -> Any:
    """Run `buurt import --json` and return its report."""
    result = run_cli("import", str(path), "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def write(tmp_path: Path, data: bytes, name: str = "sheet.csv") -> Path:
    """Write a sheet to a file and return its path."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_lindenlaan_import_gives_the_streets_figures(run_cli: RunCli) -> None:
    imported = run_cli("import", str(LINDENLAAN_CSV))
    readiness = run_cli("readiness", "--json")

    assert imported.exit_code == 0, imported.output
    assert "Rows read:             28" in imported.output
    assert "Households merged:     1" in imported.output
    assert readiness.exit_code == 0, readiness.output
    figures = json.loads(readiness.output)
    assert figures["addresses"] == 27
    assert figures["occupied_households"] == 26
    assert figures["residents"] == 66
    assert figures["needs_help"] == 6
    assert figures["power_dependent"] == 2
    assert figures["resources"]["water_tank"] == 1
    assert figures["resources"]["radio"] == 2
    assert figures["resources"]["gas_burner"] == 3
    assert figures["resources"]["water_filter"] == 2
    assert figures["resources"]["first_aid_kit"] == 2
    assert figures["resources"]["wood_stove"] == 1
    assert figures["water_litres"] == 1300
    assert figures["water_days"] == 6.6
    assert figures["functions"]["drinking_water"]["parts"][0] == {
        "measure": "water_store", "needed": 594, "covered": 1300,
        "coverage": 1.0, "gap": 0}
    assert figures["weakest"] == "power"


def test_import_report_counts_what_it_read(run_cli: RunCli) -> None:
    report = import_json(run_cli, LINDENLAAN_CSV)

    assert report["encoding"] == "utf-8" and report["delimiter"] == ";"
    assert report["rows_read"] == 28
    assert report["addresses"] == 27
    assert report["households_created"] == 27
    assert report["households_merged"] == 1
    assert report["resources_recognised"] == 22
    assert report["cells_neutralised"] == 1
    assert report["items_to_review"] == 2
    formula = "'=HYPERLINK(\"http://example.invalid\",\"klik\")"
    assert [(r["line"], r["address"], r["text"])
            for r in report["review"]] == [
        (20, "Lindenlaan 31", formula), (23, "Kastanjestraat 6", "pannen")]
    assert report["figures"]["water_litres"] == 1300


def test_reimporting_the_same_file_creates_nothing_new(
        app: Flask, run_cli: RunCli) -> None:
    import_json(run_cli, LINDENLAAN_CSV)
    before = table_counts(app)

    again = import_json(run_cli, LINDENLAAN_CSV)

    assert table_counts(app) == before
    assert again["households_created"] == 0
    assert again["households_updated"] == 0
    assert again["resources_created"] == 0
    assert again["resources_updated"] == 0
    assert again["skills_created"] == 0
    assert before["Household"] == 27 and before["Resource"] == 22


def test_dry_run_reports_but_writes_nothing(app: Flask,
                                            run_cli: RunCli) -> None:
    report = import_json(run_cli, LINDENLAAN_CSV, "--dry-run")

    assert report["dry_run"] is True
    assert report["households_created"] == 27
    assert report["resources_created"] == 22
    assert set(table_counts(app).values()) == {0}


def test_lindenlaan_records_needs_consents_and_pledges(
        app: Flask, run_cli: RunCli) -> None:
    import_json(run_cli, LINDENLAAN_CSV)

    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        needs = session.exec(select(Need.kind, Household.address).join(
            Household, col(Need.household_id) == col(Household.id))).all()
        health = session.exec(select(Consent).where(
            Consent.kind == "health")).all()
        contact = session.exec(select(Consent).where(
            Consent.kind == "contact")).all()
        pledges = session.exec(select(Pledge)).all()
        tank = session.exec(select(Resource).where(
            Resource.kind == "water_tank")).one()
        keeper = session.get(Household, tank.keeper_household_id)
        formula = session.exec(select(ReviewItem).where(
            col(ReviewItem.text).startswith("'="))).one()

    assert sorted(a for k, a in needs if k == "power_dependent") == [
        "Kastanjestraat 14", "Lindenlaan 13"]
    assert len([a for k, a in needs if k == "needs_help"]) == 6
    assert len(health) == 6
    assert {c.source for c in health + contact} == {"import"}
    assert len(contact) == 21
    assert len(pledges) == 22
    assert {p.availability for p in pledges} == {"always"}
    assert tank.capacity == 1000 and tank.source_text == "watertank 1000 l"
    assert keeper is not None and keeper.address == "Lindenlaan 7"
    assert keeper.notes == ("tank staat in de tuin, sleutel bij nr 9; "
                            "dubbel ingevuld?")
    assert formula.line == 20


def test_two_rows_for_one_address_merge_and_flag_differing_sizes(
        tmp_path: Path, run_cli: RunCli) -> None:
    sheet = (HEADER
             + "Lindenlaan 2;3;Ans;watertank 500 l, 2 jerrycans;\r\n"
             + "lindenlaan  2 ;4;;2 jerrycans, noodradio;\r\n")

    report = import_json(run_cli, write(tmp_path, sheet.encode()))

    assert report["addresses"] == 1
    assert report["households_merged"] == 1
    assert report["figures"]["residents"] == 4
    assert report["figures"]["resources"] == {
        "jerrycan": 2, "radio": 1, "water_tank": 1}
    assert [(r["line"], r["kind"], r["text"]) for r in report["review"]] == [
        (3, "size_conflict", "3 / 4")]


def test_a_withdrawn_health_consent_is_not_signed_again_by_a_sheet(
        app: Flask, run_cli: RunCli) -> None:
    import_json(run_cli, LINDENLAAN_CSV)
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        household = service.find_household(session, "Kastanjestraat 14")
        assert household is not None and household.id is not None
        service.withdraw_consent(session, household.id, "health")

    report = import_json(run_cli, LINDENLAAN_CSV)

    assert {"line": 27, "address": "Kastanjestraat 14",
            "kind": "consent_withdrawn", "text": "health"} in report["review"]
    assert table_counts(app)["Need"] == 6 + 2 - 2


def windows_1252_variant() -> bytes:
    """Return Lindenlaan as Windows-1252, commas and other header names."""
    text = LINDENLAAN_CSV.read_text("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    rows[0] = ["ADDRESS", "Residents", "Contact person", "Phone number",
               "Items to share", "Skills", "Help needed", "Remarks"]
    rows[2][7] = "kan koken voor de straat (café, € 0)"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp1252")


def test_windows_1252_with_commas_imports_the_same_figures(
        app: Flask, tmp_path: Path, run_cli: RunCli) -> None:
    path = write(tmp_path, windows_1252_variant())

    report = import_json(run_cli, path)
    figures = json.loads(run_cli("readiness", "--json").output)

    assert report["encoding"] == "windows-1252"
    assert report["delimiter"] == ","
    assert (figures["addresses"], figures["residents"],
            figures["needs_help"], figures["power_dependent"],
            figures["water_litres"], figures["water_days"]) == (
        27, 66, 6, 2, 1300, 6.6)
    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        household = service.find_household(session, "Lindenlaan 3")
    assert household is not None
    assert household.notes == "kan koken voor de straat (café, € 0)"


BAD_SHEETS = [
    ("utf16", "Adres;Personen\r\nLindenlaan 1;2\r\n".encode("utf-16"),
     1, "utf16", "UTF-16"),
    ("not_cp1252", b"Adres;Personen;Naam\r\nA 1;2;Jan\r\nA 3;2;\x81b\r\n",
     3, "encoding", "0x81"),
    ("mixed_encoding",
     "Adres;Personen;Naam\nA 1;2;Ren\u00e9\n".encode() + b"A 3;2;Ren\xe9\n",
     3, "mixed_encoding", "0xE9"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01",
     3, "binary", "not a text file"),
    ("workbook", b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",
     1, "workbook", "Excel workbook"),
    ("missing_address_column", b"Naam;Personen\nJan;2\n",
     1, "missing_column", "no address column"),
    ("too_many_cells", b"Adres;Personen;Naam\nA 1;2;Jan\nA 3;2;x;y\n",
     3, "too_many_cells", "4 cells, but the header has 3"),
    ("absurd_size", b"Adres;Personen\nA 1;2\nA 3;250\n",
     3, "absurd_size", "250 residents"),
    ("unreadable_size", b"Adres;Personen\nA 1;veel\n",
     2, "bad_size", "'veel'"),
    ("formula_size", b"Adres;Personen\nA 1;=1+1\n",
     2, "bad_size", "'=1+1'"),
    ("empty", b"", 1, "empty", "empty"),
    ("only_a_bom", b"\xef\xbb\xbf\r\n", 1, "empty", "empty"),
    ("header_only", b"Adres;Personen\r\n", 2, "no_households",
     "no households"),
    ("open_quote", b'Adres;Personen\n"A 1;2\nA 3;4\n', 3, "bad_quotes",
     "quote"),
    ("missing_address", b"Adres;Personen\nA 1;2\n;3\n", 3,
     "missing_address", "address is empty"),
    ("absurd_quantity", b"Adres;Personen;Wil delen\nA 1;2;5000 jerrycans\n",
     2, "bad_quantity", "5000 jerrycans"),
    ("too_long", b"Adres;Personen\n" + b"A" * 200 + b";2\n", 2, "too_long",
     "longer than 120"),
]


@pytest.mark.parametrize(("data", "line", "code", "words"),
                         [case[1:] for case in BAD_SHEETS],
                         ids=[case[0] for case in BAD_SHEETS])
def test_a_bad_sheet_is_refused_with_its_line_and_changes_nothing(
        app: Flask, tmp_path: Path, run_cli: RunCli, data: bytes, line: int,
        code: str, words: str) -> None:
    import_json(run_cli, LINDENLAAN_CSV)
    before = table_counts(app)

    with pytest.raises(importer.ImportFailure) as failure:
        importer.parse_csv(data)
    result = run_cli("import", str(write(tmp_path, data)))

    assert (failure.value.line, failure.value.code) == (line, code)
    assert result.exit_code == 1
    assert f"Line {line}: " in result.output
    assert words in result.output
    assert "Nothing was imported." in result.output
    assert table_counts(app) == before


def test_a_phone_number_with_a_plus_is_not_neutralised() -> None:
    sheet = importer.parse_csv(
        b"Adres;Personen;Telefoon;Opmerkingen\n"
        b"A 1;2;+31 6 1234 5678;@buurman\n")

    assert sheet.households[0].phone == "+31 6 1234 5678"
    assert sheet.households[0].notes == ["'@buurman"]
    assert sheet.cells_neutralised == 1


def hidden_data(page: str) -> str:
    """Return the sheet the preview page carries to the confirm step."""
    match = re.search(r'name="data" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_upload_page_previews_then_imports_then_resolves(
        app: Flask, coordinator_client: FlaskClient) -> None:
    from tests.conftest import csrf_token

    token = csrf_token(coordinator_client, "/inventory/import")
    preview = coordinator_client.post("/inventory/import/preview", data={
        "csrf_token": token,
        "file": (io.BytesIO(LINDENLAAN_CSV.read_bytes()), "lindenlaan.csv"),
    }, content_type="multipart/form-data")
    page = preview.get_data(as_text=True)

    assert preview.status_code == 200
    assert "lindenlaan.csv" in page and "pannen" in page
    assert table_counts(app)["Household"] == 0

    confirmed = coordinator_client.post("/inventory/import/confirm", data={
        "csrf_token": token, "data": hidden_data(page)})
    listing = coordinator_client.get("/inventory/import").get_data(
        as_text=True)

    assert confirmed.status_code == 302
    assert table_counts(app)["Household"] == 27
    assert "pannen" in listing

    with app.app_context(), db.session_scope(db.get_engine(app)) as session:
        item = session.exec(select(ReviewItem).where(
            ReviewItem.text == "pannen")).one()
    resolved = coordinator_client.post(
        f"/inventory/import/review/{item.id}", data={"csrf_token": token})
    after = coordinator_client.get("/inventory/import").get_data(
        as_text=True)

    assert resolved.status_code == 302
    assert "pannen" not in after


def test_upload_page_refuses_a_bad_file_in_dutch(
        app: Flask, coordinator_client: FlaskClient) -> None:
    from tests.conftest import csrf_token

    response = coordinator_client.post("/inventory/import/preview", data={
        "csrf_token": csrf_token(coordinator_client, "/inventory/import"),
        "file": (io.BytesIO(b"Naam;Personen\nJan;2\n"), "fout.csv"),
    }, content_type="multipart/form-data")
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    assert "Regel 1" in page and "adres" in page
    assert table_counts(app)["Household"] == 0


def test_only_coordinators_reach_the_upload_page(
        app: Flask, client: FlaskClient) -> None:
    create_member(app, "rita")

    anonymous = client.get("/inventory/import")
    login(client, "rita")
    resident = client.get("/inventory/import")

    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    assert resident.status_code == 403


def test_a_formula_after_a_comma_is_neutralised_too() -> None:
    sheet = importer.parse_csv(
        b"Adres;Personen;Wil delen;Vaardigheden\n"
        b"A 1;2;radio, =cmd|' /C calc'!A0, +powerbank 2x;"
        b"EHBO, =HYPERLINK(\"http://evil\",\"x\")\n")
    household = sheet.households[0]

    stored = ([review.text for review in household.reviews]
              + list(household.skills.values()))
    assert sheet.cells_neutralised == 3
    assert all(not text.startswith(("=", "+")) for text in stored)
    assert "'=cmd|' /C calc'!A0" in stored
    assert [item.kind for item in household.items.values()] == ["radio"]


@pytest.mark.parametrize("size", ["1,5", "2.5"])
def test_a_fractional_household_size_is_refused(size: str) -> None:
    with pytest.raises(importer.ImportFailure) as refused:
        importer.parse_csv(f"Adres;Personen\nA 1;{size}\n".encode())

    assert (refused.value.line, refused.value.code) == (2, "bad_size")


def test_a_size_with_words_not_about_people_goes_to_review() -> None:
    sheet = importer.parse_csv(
        "Adres;Personen\nA 1;2 volw + 1 kind + 3 honden\n".encode())

    reviews = [(r.kind, r.text) for r in sheet.households[0].reviews]
    assert ("size_unclear", "2 volw + 1 kind + 3 honden") in reviews


def test_a_huge_cell_is_called_too_long_not_a_quote_problem() -> None:
    data = ("Adres;Personen;Opmerkingen\nA 1;2;" + "x" * 300_000 + "\n")

    with pytest.raises(importer.ImportFailure) as refused:
        importer.parse_csv(data.encode())

    assert (refused.value.line, refused.value.code) == (2, "too_long")
