"""Count the SQL statements a request makes, in process.

A listener on the engine's `before_cursor_execute` sees every statement
the request sends, including BEGIN, so a page that loads one row per
household shows up as a count that grows with the street.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any, Iterator

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from buurt import db


@dataclass(frozen=True)
class Answer:
    """What one request returned and what it cost in SQL."""

    status: int
    queries: int
    body: bytes
    header_bytes: int
    statements: tuple[str, ...]


@contextlib.contextmanager
def recording(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements sent through `engine` in this block."""
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any
               ) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def measure(app: Flask, client: FlaskClient, path: str) -> Answer:
    """GET `path` twice and count the second request's statements.

    The first request warms caches that only a first request fills, so the
    count is that of every later visit. The body stays compressed.
    """
    headers = {"Accept-Encoding": "gzip"}
    client.get(path, headers=headers)
    with recording(db.get_engine(app)) as statements:
        response = client.get(path, headers=headers)

    header_block = "".join(f"{name}: {value}\r\n"
                           for name, value in response.headers.items())
    return Answer(response.status_code, len(statements), response.data,
                  len(header_block.encode()), tuple(statements))


def csrf_token(html: str) -> str:
    """Return the CSRF token of the form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("the page has no CSRF token")
    return match.group(1)


def login(client: FlaskClient, username: str, pin: str) -> None:
    """Log a member in through the real login form of a test client."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={
        "username": username, "pin": pin, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login as {username} answered "
                           f"{response.status_code}, not 302")
