"""The threat summary format, its envelope, hub values and `buurt publish`."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey)

from buurt.threats import envelope, service
from buurt.threats.envelope import Rejection
from conftest import REPO, THREAT_NETWORK

HUB_VALUES = {
    "occupation-eu-member": 10,
    "covert-influence": 8,
    "heat-drought": 5,
    "polarisation-conspiracy": 4,
    "cyberattack-critical-infra": 4,
    "pandemic": 4,
}


def reference_summary(sequence: int = 1, **changes: Any) -> dict[str, Any]:
    """Return a summary built from the report's facts, valid for a week."""
    reference = json.loads(THREAT_NETWORK.read_text("utf-8"))
    now = datetime.now(timezone.utc)
    summary = {
        "schema_version": 1,
        "sequence": sequence,
        "issued_at": (now - timedelta(hours=1)).isoformat(),
        "expires_at": (now + timedelta(days=7)).isoformat(),
        "publisher": "test publisher",
        "categories": reference["categories"],
        "threats": reference["threats"],
        "edges": reference["edges"],
        "advisory": {"level": 1, "reason": {"nl": "Rustig.", "en": "Calm."}},
    }
    summary.update(changes)
    return summary


def payload(summary: dict[str, Any]) -> bytes:
    """Return a summary as the JSON bytes a publisher signs."""
    return json.dumps(summary).encode("utf-8")


def test_hub_values_on_the_shared_data_are_the_reports() -> None:
    summary = service.parse_payload(payload(reference_summary()))

    top = service.top_hubs(summary)

    assert {hub.threat.id: hub.hub_value for hub in top} == HUB_VALUES
    assert all(hub.threat.hub for hub in top)
    assert top[0].threat.id == "occupation-eu-member"
    assert top[1].threat.id == "covert-influence"
    others = service.rank_threats(summary)[6:]
    assert max(item.hub_value for item in others) < 4


def test_links_inside_a_category_do_not_count_towards_the_hub_value() -> None:
    summary = service.parse_payload(payload(reference_summary(
        categories=[{"id": "a", "nl": "A", "en": "A"},
                    {"id": "b", "nl": "B", "en": "B"}],
        threats=[{"id": "x", "category": "a", "nl": "X", "en": "X"},
                 {"id": "y", "category": "a", "nl": "Y", "en": "Y"},
                 {"id": "z", "category": "b", "nl": "Z", "en": "Z"}],
        edges=[{"from": "x", "to": "y", "weight": 3},
               {"from": "x", "to": "z", "weight": 1.5},
               {"from": "z", "to": "x", "weight": 2}])))

    assert service.hub_values(summary) == {"x": 1.5, "y": 0, "z": 2}


def test_bundled_summary_holds_the_reports_facts_signed_by_the_demo_key(
) -> None:
    reference = json.loads(THREAT_NETWORK.read_text("utf-8"))

    bundled = service.load_bundled()

    assert bundled.demonstration
    assert bundled.summary.sequence == 0
    assert ([threat.id for threat in bundled.summary.threats]
            == [threat["id"] for threat in reference["threats"]])
    assert len(bundled.summary.edges) == len(reference["edges"])
    assert {hub.threat.id: hub.hub_value
            for hub in service.top_hubs(bundled.summary)} == HUB_VALUES
    assert "not national" in bundled.summary.publisher
    demo_key = envelope.load_public_key(
        service.data_path(service.DEMO_KEY_FILE).read_text())
    assert bundled.key_id == envelope.key_id(demo_key)


def test_no_private_key_is_shipped() -> None:
    shipped = [path for path in (REPO / "buurt").rglob("*")
               if path.is_file() and path.suffix != ".pyc"]

    assert shipped
    for path in shipped:
        assert b"PRIVATE KEY" not in path.read_bytes(), path


@pytest.mark.parametrize("changes, message", [
    ({"threats": [{"id": "x", "category": "nope", "nl": "X", "en": "X"}]},
     "unknown category"),
    ({"edges": [{"from": "pandemic", "to": "nope", "weight": 1}]},
     "unknown threat"),
    ({"edges": [{"from": "pandemic", "to": "heat-drought", "weight": 1},
                {"from": "pandemic", "to": "heat-drought", "weight": 2}]},
     "only once"),
    ({"edges": [{"from": "pandemic", "to": "heat-drought", "weight": 0}]},
     "greater than 0"),
    ({"expires_at": "2020-01-01T00:00:00+00:00",
      "issued_at": "2021-01-01T00:00:00+00:00"}, "after issued_at"),
    ({"issued_at": "2026-01-01T00:00:00"}, "timezone"),
    ({"sequence": -1}, "greater than or equal to 0"),
    ({"sequence": 2**31}, "less than or equal to 2147483647"),
    ({"expires_at": "9999-12-31T23:59:59+00:00"}, "years 2000 and 2199"),
    ({"issued_at": "1999-12-31T23:59:59+00:00"}, "years 2000 and 2199"),
    ({"advisory": {"level": 4, "reason": {"nl": "x", "en": "x"}}}, "level"),
    ({"threats": [{"id": "x", "category": "health", "nl": "X", "en": "X",
                   "affects": ["moon"]}]}, "affects"),
])
def test_invalid_summaries_are_refused(changes: dict[str, Any],
                                       message: str) -> None:
    with pytest.raises(Rejection) as caught:
        service.parse_payload(payload(reference_summary(**changes)))

    assert caught.value.reason == "invalid_summary"
    assert message in caught.value.detail


def test_unknown_fields_are_ignored_within_a_schema_version() -> None:
    summary = service.parse_payload(payload(reference_summary(
        pillars=["later"], extra={"any": 1})))

    assert summary.sequence == 1


@pytest.mark.parametrize("body, reason", [
    (payload(reference_summary(schema_version=2)), "wrong_schema_version"),
    (b'{"sequence": 3}', "wrong_schema_version"),
    (b"<html>login</html>", "not_json"),
    (b'{"schema_version": 1, "seq', "not_json"),
    (b"[" * 300 + b"]" * 300, "not_json"),
    (b'{"schema_version": 1, "sequence": NaN}', "not_json"),
])
def test_payloads_of_another_version_or_not_json_are_refused(
        body: bytes, reason: str) -> None:
    with pytest.raises(Rejection) as caught:
        service.parse_payload(body)

    assert caught.value.reason == reason


def test_envelope_round_trip_and_tampering() -> None:
    key = Ed25519PrivateKey.generate()
    signed = envelope.sign(b'{"a": 1}', key)

    opened = envelope.open_envelope(signed, key.public_key())
    tampered = json.loads(signed)
    tampered["payload"] = base64.b64encode(b'{"a": 2}').decode()

    assert opened.payload == b'{"a": 1}'
    with pytest.raises(Rejection, match="bad_signature"):
        envelope.open_envelope(json.dumps(tampered).encode(),
                               key.public_key())


@pytest.mark.parametrize("text, problem", [
    ("not base64!", "not base64"),
    (base64.b64encode(b"short").decode(), "has 5 bytes"),
])
def test_unusable_public_keys_are_explained(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        envelope.load_public_key(text)


def test_publish_creates_a_key_and_signs_a_summary(
        tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    key_path = tmp_path / "publisher.pem"
    summary_path = tmp_path / "summary.json"
    summary_path.write_bytes(payload(reference_summary(sequence=7)))
    out_path = tmp_path / "envelope.json"

    created = run_cli("publish", "--new-key", str(key_path))
    signed = run_cli("publish", str(summary_path), "--key", str(key_path),
                     "--out", str(out_path))

    assert created.exit_code == 0, created.output
    public_key = envelope.load_public_key(created.stdout.splitlines()[-1])
    assert key_path.stat().st_mode & 0o077 == 0
    assert signed.exit_code == 0, signed.output
    opened = envelope.open_envelope(out_path.read_bytes(), public_key)
    assert opened.payload == summary_path.read_bytes()
    assert service.parse_payload(opened.payload).sequence == 7


def test_publish_refuses_an_invalid_summary_and_an_existing_key(
        tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    key_path = tmp_path / "publisher.pem"
    run_cli("publish", "--new-key", str(key_path))
    summary_path = tmp_path / "summary.json"
    summary_path.write_bytes(payload(reference_summary(schema_version=9)))

    invalid = run_cli("publish", str(summary_path), "--key", str(key_path))
    again = run_cli("publish", "--new-key", str(key_path))
    missing = run_cli("publish", str(summary_path))

    assert invalid.exit_code == 1
    assert "wrong_schema_version" in invalid.output
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.output
    assert missing.exit_code == 2
    assert "--key" in missing.output


def test_publish_explains_paths_it_cannot_read_or_write(
        tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    key_path = tmp_path / "publisher.pem"
    run_cli("publish", "--new-key", str(key_path))
    summary_path = tmp_path / "summary.json"
    summary_path.write_bytes(payload(reference_summary()))
    nowhere = tmp_path / "no such folder"

    new_key = run_cli("publish", "--new-key", str(nowhere / "key.pem"))
    signed = run_cli("publish", str(summary_path), "--key", str(key_path),
                     "--out", str(nowhere / "envelope.json"))

    for result in (new_key, signed):
        assert result.exit_code == 1
        assert isinstance(result.exception, SystemExit), result.exception
        assert "cannot write" in result.output
        assert "No such file or directory" in result.output
