"""Hostile input gets a clear 4xx in the error shape, never a 500."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token

HUGE = "99999999999999999999"


def test_an_id_beyond_64_bits_in_a_path_is_not_found(
    client: FlaskClient, coordinator_headers: dict[str, str]
) -> None:
    """A path id the database cannot hold is a 404 in the error shape."""
    answer = client.get(f"/api/v1/households/{HUGE}",
                        headers=coordinator_headers)

    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("body", [
    {"kind": "radio", "household_id": int(HUGE)},
    {"kind": "radio", "name": "Radio", "quantity": -int(HUGE)},
])
def test_a_number_beyond_64_bits_in_json_is_refused(
    client: FlaskClient, coordinator_headers: dict[str, str],
    body: dict[str, object],
) -> None:
    """Huge numbers in a body are a 422, not a database overflow."""
    answer = client.post("/api/v1/pledges", json=body,
                         headers=coordinator_headers)

    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "number_too_large"


def test_deeply_nested_json_is_malformed_not_a_crash(
    client: FlaskClient, coordinator_headers: dict[str, str]
) -> None:
    """A body nested beyond the parser's depth is a 400."""
    body = '{"kind": ' + "[" * 100_000 + "]" * 100_000 + "}"
    answer = client.post("/api/v1/pledges", data=body,
                         content_type="application/json",
                         headers=coordinator_headers)

    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "malformed_json"


def test_a_body_over_two_megabytes_is_too_large(
    client: FlaskClient, coordinator_headers: dict[str, str]
) -> None:
    """The request size cap holds before anything parses the body."""
    answer = client.post("/api/v1/pledges", data=b"x" * (3 * 1024 * 1024),
                         content_type="application/json",
                         headers=coordinator_headers)

    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "too_large"


def test_a_huge_number_in_a_form_field_is_a_400(
    app: Flask, coordinator_client: FlaskClient
) -> None:
    """A form's household number beyond 64 bits gets a clear 400 page."""
    answer = coordinator_client.post("/inventory/invites", data={
        "role": "resident", "household_id": HUGE,
        "csrf_token": csrf_token(coordinator_client, "/inventory/invites")})

    assert answer.status_code == 400
    assert "buiten het bereik" in answer.get_data(as_text=True)
