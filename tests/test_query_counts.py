"""The main pages and API calls make as many queries for 40 households as
for 5: a page that loads one row per household (N+1) fails here.

Counting statements is deterministic, so this budget is a test; the timed
budgets live in `bench/` (README, "Performance").
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench import data, pages, queries
from buurt import db
from conftest import login, make_app

SIZES = (5, 40)


class Street:
    """A generated street with its app and logged-in clients."""

    def __init__(self, app: Flask, ids: dict[str, int]) -> None:
        self.app = app
        self.ids = ids
        self.clients: dict[str, FlaskClient] = {}
        for role, username in (("resident", data.RESIDENT),
                               ("coordinator", data.COORDINATOR)):
            client = app.test_client()
            login(client, username, data.PIN)
            self.clients[role] = client


@pytest.fixture(scope="module")
def streets(tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[dict[int, Street]]:
    """Return a street of 5 and one of 40 households, made by the bench."""
    made = {}
    for size in SIZES:
        app = make_app(Path(tmp_path_factory.mktemp(f"street-{size}")))
        engine = db.get_engine(app)
        with db.session_scope(engine, write=True) as session:
            ids = data.populate(session, app.config["BUURT"], size)
        made[size] = Street(app, ids)
    yield made
    for street in made.values():
        db.get_engine(street.app).dispose()


def _label(page: Any) -> str:
    return page.label


@pytest.mark.parametrize("page", pages.PAGES, ids=_label)
def test_page_makes_as_many_queries_for_40_households_as_for_5(
        streets: dict[int, Street], page: pages.Page) -> None:
    answers = {}
    for size, street in streets.items():
        path = page.resolve(street.ids)
        assert path is not None and pages.exists(street.app, path), (
            f"{page.label} is measured but not in the app")
        answers[size] = queries.measure(street.app,
                                        street.clients[page.role], path)
        assert answers[size].status == 200, f"{path} at {size} households"

    small, large = (answers[size] for size in SIZES)
    extra = Counter(large.statements) - Counter(small.statements)
    assert large.queries == small.queries, (
        f"{page.path}: {small.queries} queries for {SIZES[0]} households, "
        f"{large.queries} for {SIZES[1]}; repeated more often:\n"
        + "\n".join(f"{n}x {sql}" for sql, n in extra.most_common(3)))
