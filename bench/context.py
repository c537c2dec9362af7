"""What every benchmark section shares: options, a work folder, streets."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from flask import Flask
from flask.testing import FlaskClient

from bench import data, queries

# Query counts and page weight are compared at these sizes, scaling at the
# second set: a street, a district, and ten times more than any node holds.
QUERY_SIZES = (30, 300, 3000)
SCALING_SIZES = (50, 500, 5000)
# The throughput run serves a street of this size.
LOAD_SIZE = 300


@dataclass
class Bench:
    """The options of one run and the streets it has generated so far."""

    workdir: Path
    duration: float
    clients: int
    streets: dict[tuple[int, int | None], data.Street] = field(
        default_factory=dict)

    def street(self, households: int, items: int | None = None
               ) -> data.Street:
        """Return a generated street of this size, building it once."""
        key = (households, items)
        if key not in self.streets:
            began = time.perf_counter()
            name = f"street-{households}" + (f"-{items}" if items else "")
            self.streets[key] = data.build_street(self.workdir / name,
                                                  households, items)
            progress(f"  generated {households:,} households in "
                     f"{time.perf_counter() - began:.1f} s")
        return self.streets[key]

    def app(self, households: int, items: int | None = None) -> Flask:
        """Return an app on the street of this size, built earlier."""
        street = self.street(households, items)
        return data.create_street_app(street.instance, migrate=False)

    def clients_for(self, app: Flask, households: int,
                    items: int | None = None) -> dict[str, FlaskClient]:
        """Return test clients logged in as the street's two members."""
        street = self.street(households, items)
        members = {"resident": street.resident,
                   "coordinator": street.coordinator}
        logged_in = {}
        for role, username in members.items():
            client = app.test_client()
            queries.login(client, username, street.pin)
            logged_in[role] = client
        return logged_in


def progress(text: str) -> None:
    """Say what the benchmark is doing, on stderr; stdout is the table."""
    print(text, file=sys.stderr, flush=True)


def best_time(action: Callable[[], Any], repeats: int = 5,
              budget: float = 10.0) -> float:
    """Return the fastest of up to `repeats` timed runs of `action`.

    The fastest run is the one least disturbed by other processes on the
    machine, so it is the steadiest figure to compare. A first, untimed
    run warms the caches; timing stops early, after two runs, once
    `budget` seconds are spent.
    """
    action()
    times: list[float] = []
    began = time.perf_counter()
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
        if len(times) >= 2 and time.perf_counter() - began > budget:
            break
    return min(times)
