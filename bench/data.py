"""Generate a street of any size through buurt's own services.

The rows are those a coordinator's import and the residents' own forms
would create: households with residents, resources with keepers and
pledges, skills, consents and needs, buddies and backups, drills with
RSVPs, check-ins and status reports, a hackathon with ideas, and
reservations. Everything is made in one transaction with a fixed seed, so
two runs make the same street.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session

from buurt import create_app, db
from buurt.accounts import service as accounts
from buurt.accounts.models import Member
from buurt.config import Settings
from buurt.inventory import service as inventory

PIN = "bench-246810"
COORDINATOR = "bench-coordinator"
RESIDENT = "bench-resident"
SEED = 6
STREETS = ("Lindenlaan", "Eikenlaan", "Berkenstraat", "Kastanjeplein",
           "Wilgenhof", "Populierstraat", "Esdoornpad", "Beukenweg")
# Kinds and how often a household that shares something shares each.
RESOURCE_MIX = (
    ("radio", 6), ("gas_burner", 5), ("water_filter", 3), ("jerrycan", 6),
    ("power_bank", 8), ("first_aid_kit", 5), ("flashlight", 4),
    ("rain_barrel", 1), ("generator", 1), ("solar_battery", 1),
    ("walkie_talkie", 1), ("wood_stove", 1), ("cargo_bike", 1), ("car", 1),
)
SKILL_MIX = (
    ("first_aid", "EHBO-diploma"), ("medical", "verpleegkundige"),
    ("technical", "elektricien"), ("cooking", "kan koken voor de straat"),
    ("language", "spreekt Turks"), ("care", "mantelzorger"),
)
SETTINGS = {"scheduler": "off", "base_url": "http://127.0.0.1:8080",
            "summary_url": "", "hub_url": "", "ntfy_url": ""}


@dataclass(frozen=True)
class Street:
    """A generated street: where it lives and who may log in."""

    instance: Path
    households: int
    coordinator: str
    resident: str
    pin: str
    # Ids of generated rows that pages name in their paths, and how many
    # items the street shares.
    ids: dict[str, int]


def create_street_app(instance: Path, migrate: bool = True) -> Flask:
    """Return a node app in `instance`, scheduler off, migrated if asked."""
    app = create_app(instance, overrides=SETTINGS, environ={})
    if migrate:
        db.upgrade(db.get_engine(app))
    return app


def build_street(instance: Path, households: int, items: int | None = None,
                 seed: int = SEED) -> Street:
    """Create an instance folder holding a street of `households`."""
    instance.mkdir(parents=True, exist_ok=True)
    app = create_street_app(instance)
    engine = db.get_engine(app)
    with db.session_scope(engine, write=True) as session:
        ids = populate(session, app.config["BUURT"], households, items, seed)
    engine.dispose()
    return Street(instance, households, COORDINATOR, RESIDENT, PIN, ids)


def populate(session: Session, settings: Settings, households: int,
             items: int | None = None, seed: int = SEED) -> dict[str, int]:
    """Fill an empty node with a street; return ids that pages name.

    With `items`, the households pledge exactly that many things between
    them (the street's own tanks and generators come on top), instead of
    the usual random share.
    """
    rng = random.Random(seed)
    inventory.ensure_neighbourhood(session, settings, name="Benchbuurt")
    # Hashing thousands of PINs would take minutes, so the generated
    # members share one hash; the two who log in get their own.
    shared_hash = accounts.hash_pin(PIN)
    kinds = [kind for kind, weight in RESOURCE_MIX for _ in range(weight)]

    homes = [_add_household(session, rng, number)
             for number in range(households)]
    # The first households have one of everything, so that even a tiny
    # street has a row in every table a page reads.
    for number, household in enumerate(homes):
        first = number == 0
        if first or rng.random() < 0.5:
            _add_member(session, f"resident-{number}", household, shared_hash)
        if items is None and (first or rng.random() < 0.45):
            _add_resources(session, rng, household, kinds)
        if first or rng.random() < 0.25:
            kind, description = rng.choice(SKILL_MIX)
            inventory.pledge_skill(session, household, kind, description,
                                   availability=_availability(rng))
    for number in range(items or 0):
        inventory.pledge_resource(session, homes[number % len(homes)],
                                  rng.choice(kinds),
                                  availability=_availability(rng))
    _add_consents_and_needs(session, rng, homes)
    _add_street_resources(session, rng, homes)

    coordinator = accounts.create_member(
        session, COORDINATOR, PIN, "Coco Coordinator", role="coordinator",
        household_id=homes[0])
    resident = accounts.create_member(
        session, RESIDENT, PIN, "Rita Resident", household_id=homes[-1])
    ids = {"household": homes[-1], "coordinator": _id(coordinator),
           "resident": _id(resident),
           "items": len(inventory.list_resources(session))}
    ids.update(_add_drills(session, settings, rng, homes, _id(coordinator)))
    ids.update(_add_hackathon(session, settings, rng, homes,
                              _id(coordinator)))
    _add_reservations(session, homes)
    session.flush()
    return ids


def _id(row: Any) -> int:
    """Return a flushed row's id."""
    assert row.id is not None, "flush before asking for the id"
    return int(row.id)


def _add_household(session: Session, rng: random.Random, number: int) -> int:
    """Create one household at a unique address; return its id."""
    street = STREETS[number % len(STREETS)]
    house = number // len(STREETS) + 1
    vacant = rng.random() < 0.04
    household = inventory.create_household(
        session, f"{street} {house}", residents=0 if vacant else
        rng.choice((1, 1, 2, 2, 2, 3, 4, 5)), vacant=vacant,
        contact_name=f"Bewoner {number}",
        phone=f"06-{10_000_000 + number}")
    return _id(household)


def _add_member(session: Session, username: str, household_id: int,
                pin_hash: str) -> None:
    """Add a resident account as `accounts.create_member` would."""
    session.add(Member(username=username, display_name=username.title(),
                       role="resident", household_id=household_id,
                       pin_hash=pin_hash))


def _availability(rng: random.Random) -> str:
    """Return when a pledge may be used, weighted as residents answer."""
    return rng.choice(("always", "always", "outages", "drills"))


def _add_resources(session: Session, rng: random.Random, household_id: int,
                   kinds: list[str]) -> None:
    """Let a household pledge one or two things it keeps."""
    for _ in range(rng.choice((1, 1, 1, 2))):
        kind = rng.choice(kinds)
        inventory.pledge_resource(session, household_id, kind,
                                  quantity=rng.choice((1, 1, 2)),
                                  availability=_availability(rng))


def _add_consents_and_needs(session: Session, rng: random.Random,
                            homes: list[int]) -> None:
    """Record consents, health needs with consent, and their buddies."""
    power_sources = [
        _id(inventory.pledge_resource(session, homes[i], "generator",
                                      availability="outages"))
        for i in range(0, len(homes), 40)
    ]
    for index, household_id in enumerate(homes):
        if index == 0 or rng.random() < 0.6:
            inventory.grant_consent(session, household_id, "contact")
        roll = {1: 0.1, 2: 0.0}.get(index, rng.random())
        if roll > 0.13:
            continue

        inventory.grant_consent(session, household_id, "health")
        kind = "power_dependent" if roll < 0.03 else "needs_help"
        inventory.set_need(session, household_id, kind, "")
        buddy = homes[index - 1] if index else homes[-1]
        if buddy != household_id:
            inventory.create_agreement(session, "buddy",
                                       household_id=household_id,
                                       helper_household_id=buddy)
        if kind == "power_dependent":
            pledge = session.get(inventory.Pledge, rng.choice(power_sources))
            assert pledge is not None and pledge.resource_id is not None
            inventory.create_agreement(session, "power_backup",
                                       household_id=household_id,
                                       resource_id=pledge.resource_id)


def _add_street_resources(session: Session, rng: random.Random,
                          homes: list[int]) -> None:
    """Add the street's own tanks, each with a key holder."""
    for index in range(0, len(homes), 50):
        tank = inventory.create_resource(
            session, "water_tank", "Buurtwatertank", capacity=1000,
            place="Speeltuin", last_checked=db.utcnow().date())
        inventory.create_agreement(session, "key_holder",
                                   helper_household_id=homes[index],
                                   resource_id=_id(tank))
        inventory.create_agreement(session, "radio_listener",
                                   helper_household_id=rng.choice(homes))


def _add_drills(session: Session, settings: Settings, rng: random.Random,
                homes: list[int], coordinator_id: int) -> dict[str, int]:
    """Plan drills with RSVPs; run one with check-ins and reports."""
    from buurt.events import service as events

    now = db.utcnow().replace(second=0, microsecond=0)
    plans = [("power", timedelta(hours=-1)), ("water", timedelta(days=14)),
             ("internet", timedelta(days=45)),
             ("payments", timedelta(days=90))]
    drills = [
        _id(events.create_drill(
            session, settings, scenario=scenario, starts_at=now + offset,
            ends_at=now + offset + timedelta(hours=4),
            title=f"Oefening {scenario}", meeting_point="Speeltuin",
            created_by_id=coordinator_id)[0])
        for scenario, offset in plans
    ]
    running, upcoming = drills[0], drills[1]

    for index, household_id in enumerate(homes):
        for drill_id in (running, upcoming):
            if index == 0 or rng.random() < 0.5:
                events.set_rsvp(session, drill_id, household_id,
                                rng.choice(("yes", "yes", "maybe", "no")))
        if index == 0 or rng.random() < 0.2:
            events.check_in(session, running, household_id,
                            settings=settings)
        if index == 0 or rng.random() < 0.3:
            events.report_status(session, running, household_id,
                                 rng.choice(("ok", "ok", "ok", "need_help",
                                             "can_help")))
    return {"drill": running, "upcoming_drill": upcoming}


def _add_hackathon(session: Session, settings: Settings, rng: random.Random,
                   homes: list[int], coordinator_id: int) -> dict[str, int]:
    """Hold a water-tank hackathon with ideas and one agreed outcome."""
    from buurt.events import hackathons

    starts = db.utcnow().replace(second=0, microsecond=0) + timedelta(days=7)
    hackathon = hackathons.create_hackathon(
        session, settings, challenge="water_tank", title="Eén tank per straat",
        starts_at=starts, ends_at=starts + timedelta(days=3),
        place="Speeltuin", created_by_id=coordinator_id)
    for index, household_id in enumerate(homes):
        if index == 0 or rng.random() < 0.1:
            hackathons.add_idea(session, _id(hackathon),
                                "De tank bij de speeltuin, sleutel bij nr 9",
                                household_id=household_id)
    hackathons.record_outcome(session, _id(hackathon), kind="cook",
                              summary="Kookt voor de straat",
                              helper_household_id=homes[0])
    return {"hackathon": _id(hackathon)}


def _add_reservations(session: Session, homes: list[int]) -> None:
    """Let one household in twenty book an item another one shares."""
    from buurt.events import reservations

    shared = [item.resource.id for item in inventory.list_pledges(session)
              if item.resource is not None and item.resource.id is not None
              and item.pledge.availability == "always"]
    day = db.utcnow().replace(minute=0, second=0, microsecond=0)
    for number, resource_id in enumerate(shared[:max(1, len(homes) // 20)]):
        starts = day + timedelta(days=1 + number % 30)
        reservations.create_reservation(
            session, resource_id, starts, starts + timedelta(hours=4),
            household_id=homes[(number * 7 + 3) % len(homes)])
