"""Figure 7: what never losing a write costs, in pledges per second.

Each pledge is one resident's form: a thing and its pledge, written in
its own transaction, committed before the next one starts. With
synchronous=FULL SQLite syncs the WAL to disk at every commit; with NORMAL
only at checkpoints, so a power cut may lose the last commits.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from buurt import db
from buurt.config import load_settings
from buurt.inventory import service as inventory

from bench import report
from bench.context import Bench, progress

MODES = ("FULL", "NORMAL")
MAX_PLEDGES = 5000
SECONDS = 2.5
ROUNDS = 2


def run(bench: Bench) -> dict[str, Any]:
    """Write pledges one transaction at a time in each mode, in turns.

    The modes take turns, so that a change in the machine's load during
    the run falls on both.
    """
    progress(f"durability: pledges for {SECONDS * ROUNDS:.0f} s in each "
             "mode")
    engines = {mode: _engine(bench.workdir / f"durability-{mode}", mode)
               for mode in MODES}
    counts = {mode: 0 for mode in MODES}
    seconds = {mode: 0.0 for mode in MODES}
    for _ in range(ROUNDS):
        for mode, (engine, household_id) in engines.items():
            count, elapsed = write_pledges(engine, household_id, SECONDS)
            counts[mode] += count
            seconds[mode] += elapsed
    for engine, _ in engines.values():
        engine.dispose()

    rates = {mode: round(counts[mode] / seconds[mode], 1) for mode in MODES}
    return {"pledges_per_second": rates, "pledges": counts,
            "full_vs_normal": round(rates["FULL"] / rates["NORMAL"], 2)}


def _engine(folder: Path, synchronous: str) -> tuple[Engine, int]:
    """Return an engine on a fresh node database, and a household's id."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = load_settings(folder, environ={})
    engine = db.create_db_engine(settings.database_url,
                                 synchronous=synchronous)
    db.upgrade(engine)
    with db.session_scope(engine, write=True) as session:
        household = inventory.create_household(session, "Lindenlaan 1", 2)
        household_id = household.id
    assert household_id is not None
    return engine, household_id


def write_pledges(engine: Engine, household_id: int, seconds: float
                  ) -> tuple[int, float]:
    """Commit one pledge per transaction for `seconds`; return the count."""
    count = 0
    began = time.perf_counter()
    deadline = began + seconds
    while count < MAX_PLEDGES and time.perf_counter() < deadline:
        with db.session_scope(engine, write=True) as session:
            inventory.pledge_resource(session, household_id, "power_bank")
        count += 1
    return count, time.perf_counter() - began


def render(result: dict[str, Any]) -> str:
    """Return the durability table."""
    rates = result["pledges_per_second"]
    return report.table(
        "7. Durability cost: pledges per second, one transaction each",
        ["synchronous", "pledges/s"],
        [["FULL (the node's setting)", rates["FULL"]],
         ["NORMAL", rates["NORMAL"]],
         ["FULL / NORMAL", result["full_vs_normal"]]])
