"""The catalogue of kinds: functions, maintenance, and reading free text."""

from __future__ import annotations

import pytest

from buurt.inventory import catalogue
from buurt.inventory.models import SKILL_KINDS

NAMED_KINDS = ("radio", "walkie_talkie", "water_tank", "jerrycan",
               "rain_barrel", "water_filter", "gas_burner", "generator",
               "power_bank", "solar_battery", "first_aid_kit", "wood_stove",
               "cargo_bike")


def test_every_kind_serves_one_essential_function() -> None:
    kinds = catalogue.list_kinds()

    assert {k.id for k in kinds} >= set(NAMED_KINDS)
    assert all(k.function in catalogue.FUNCTIONS for k in kinds)
    assert all(k.name_nl and k.name_en and k.synonyms for k in kinds)
    assert catalogue.kind_function("wood_stove") == "warmth"
    assert catalogue.kind_function("walkie_talkie") == "communication"
    assert catalogue.kind_function("radio") == "information"
    assert catalogue.kind_function("no_such_kind") == ""
    assert catalogue.get_kind("no_such_kind") is None


def test_water_kinds_are_measured_in_litres_with_their_defaults() -> None:
    jerrycan = catalogue.get_kind("jerrycan")
    tank = catalogue.get_kind("water_tank")
    radio = catalogue.get_kind("radio")

    assert jerrycan is not None and jerrycan.in_litres
    assert jerrycan.capacity == 20
    assert tank is not None and tank.capacity is None
    assert radio is not None and not radio.in_litres
    assert radio.capacity == 10


@pytest.mark.parametrize(("kind_id", "days"), [
    ("jerrycan", 180), ("water_tank", 180), ("generator", 30),
    ("power_bank", 90), ("radio", 90), ("first_aid_kit", 365),
])
def test_kinds_have_a_maintenance_rhythm_in_both_languages(
        kind_id: str, days: int) -> None:
    kind = catalogue.get_kind(kind_id)

    assert kind is not None
    assert kind.maintenance_days == days
    assert kind.maintenance_task("nl") and kind.maintenance_task("en")
    assert kind.maintenance_task("nl") != kind.maintenance_task("en")


def test_names_come_in_dutch_and_english() -> None:
    kind = catalogue.get_kind("cargo_bike")

    assert kind is not None
    assert (kind.name("nl"), kind.name("en")) == ("Bakfiets", "Cargo bike")
    assert catalogue.function_name("drinking_water", "nl") == "Drinkwater"
    assert catalogue.function_name("drinking_water", "en") == (
        "Drinking water")


@pytest.mark.parametrize(("text", "expected"), [
    ("noodradio (dynamo + zonnecel)", [("radio", 1, None)]),
    ("wereldontvanger", [("radio", 1, None)]),
    ("gasstel + 2 flessen", [("gas_burner", 1, None)]),
    ("campingkookstel", [("gas_burner", 1, None)]),
    ("watertank 1000 L", [("water_tank", 1, 1000.0)]),
    ("watertank 1000L", [("water_tank", 1, 1000.0)]),
    ("1.000 liter watertank", [("water_tank", 1, 1000.0)]),
    ("2x powerbank 20000mAh", [("power_bank", 2, None)]),
    ("aggregaat (benzine, 2 kW)", [("generator", 1, None)]),
    ("3 jerrycans water (20 l)", [("jerrycan", 3, 20.0)]),
    ("2 jerrycans", [("jerrycan", 2, 20.0)]),
    ("jerrycan 10 liter", [("jerrycan", 1, 10.0)]),
    ("portofoons (4 stuks)", [("walkie_talkie", 4, None)]),
    ("twee walkietalkies", [("walkie_talkie", 2, None)]),
    ("2 sets walkie-talkies", [("walkie_talkie", 4, None)]),
    ("zonnepaneel + accu (1 kWh)", [("solar_battery", 1, None)]),
    ("EHBO-koffer", [("first_aid_kit", 1, None)]),
    ("regenton 200 liter", [("rain_barrel", 1, 200.0)]),
    ("houtkachel", [("wood_stove", 1, None)]),
    ("bakfiets", [("cargo_bike", 1, None)]),
    ("radio en zaklamp", [("radio", 1, None), ("flashlight", 1, None)]),
    ("jerrycan benzine", []),
    ("pannen", []),
])
def test_match_item_reads_kind_quantity_and_capacity(
        text: str, expected: list[tuple[str, int, float | None]]) -> None:
    found = catalogue.match_item(text)

    assert [(m.kind.id, m.quantity, m.capacity) for m in found] == expected


@pytest.mark.parametrize(("text", "kind"), [
    ("EHBO", "first_aid"), ("EHBO-diploma", "first_aid"),
    ("verpleegkundige", "medical"), ("huisarts (gepensioneerd)", "medical"),
    ("elektricien", "technical"), ("monteur", "technical"),
    ("ICT", "technical"), ("kan koken voor grote groepen", "cooking"),
    ("spreekt Arabisch en Frans", "language"), ("kinderopvang", "care"),
    ("breien", "other"),
])
def test_match_skill_gives_the_skill_kind(text: str, kind: str) -> None:
    assert catalogue.match_skill(text) == kind


def test_first_aid_and_medical_skills_count_as_trained() -> None:
    assert set(catalogue.first_aider_skills()) == {"first_aid", "medical"}
    assert {s.id for s in catalogue.list_skill_kinds()} <= set(SKILL_KINDS)


def test_rain_barrel_water_is_drinkable_only_with_a_filter() -> None:
    litres = {"water_tank": 1000.0, "rain_barrel": 200.0, "radio": 5.0}

    assert catalogue.drinkable_litres(litres, filters=1) == 1200.0
    assert catalogue.drinkable_litres(litres, filters=0) == 1000.0


def test_normalise_makes_spellings_of_one_item_equal() -> None:
    assert catalogue.normalise("Watertank 1000L ") == (
        catalogue.normalise("watertank  1000 l"))
    assert catalogue.normalise("EHBO-koffer") == "ehbo koffer"
