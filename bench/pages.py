"""The pages and API calls the benchmarks measure, and who asks for them.

A path may name generated rows (`{drill}`); a page whose route does not
exist yet in the app, or whose rows were not generated, is left out and
reported as absent, so the benchmark runs on any stage of the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from werkzeug.exceptions import HTTPException


@dataclass(frozen=True)
class Page:
    """A GET the benchmarks measure, as one role."""

    path: str
    role: str
    # Part of the throughput run against the framework floor.
    load: bool = False

    @property
    def is_api(self) -> bool:
        """Tell whether this is a JSON API call."""
        return self.path.startswith("/api/")

    def resolve(self, ids: dict[str, int]) -> str | None:
        """Fill in the generated ids; None when one is missing."""
        try:
            return self.path.format(**ids)
        except KeyError:
            return None

    @property
    def label(self) -> str:
        """Return the page as shown in tables."""
        return f"{self.path} ({self.role})"


PAGES = (
    Page("/", "resident", load=True),
    Page("/household", "resident", load=True),
    Page("/shared", "resident", load=True),
    Page("/drills", "resident", load=True),
    Page("/drills/{drill}", "resident"),
    Page("/threats", "resident", load=True),
    Page("/hackathons", "resident"),
    Page("/reservations", "resident"),
    Page("/notices", "resident"),
    Page("/calendar", "resident"),
    Page("/plan", "resident"),
    Page("/pledge", "resident"),
    Page("/inventory", "coordinator", load=True),
    Page("/inventory/agreements", "coordinator"),
    Page("/inventory/invites", "coordinator"),
    Page("/readiness", "coordinator", load=True),
    Page("/labels", "coordinator"),
    Page("/drills/{drill}/board", "coordinator"),
    Page("/api/v1/households", "coordinator"),
    Page("/api/v1/resources", "resident"),
    Page("/api/v1/pledges", "resident"),
    Page("/api/v1/agreements", "coordinator"),
    Page("/api/v1/readiness", "coordinator"),
    Page("/api/v1/threats", "resident"),
    Page("/api/v1/drills", "resident"),
    Page("/api/v1/drills/{drill}/board", "coordinator"),
    Page("/api/v1/hackathons", "resident"),
    Page("/api/v1/reservations", "resident"),
    Page("/api/v1/me", "resident"),
)


def exists(app: Flask, path: str) -> bool:
    """Tell whether the app has a GET route for `path`."""
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path.split("?")[0], method="GET")
    except HTTPException:
        return False
    return True


def available(app: Flask, ids: dict[str, int]) -> list[tuple[Page, str]]:
    """Return the pages this app serves, with their resolved paths."""
    found = []
    for page in PAGES:
        path = page.resolve(ids)
        if path is not None and exists(app, path):
            found.append((page, path))
    return found


def resident_pages(app: Flask, ids: dict[str, int]) -> list[tuple[Page, str]]:
    """Return the HTML pages a resident opens."""
    return [(page, path) for page, path in available(app, ids)
            if page.role == "resident" and not page.is_api]
