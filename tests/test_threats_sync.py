"""`buurt sync` against a real local publisher, and from a file.

The publisher is an http.server on 127.0.0.1 that signs with a key made
in the test. Every way a summary can be refused is played out, and each
time the last good summary stays in force.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator, cast

import pytest
from click.testing import Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey)
from flask import Flask
from flask.testing import FlaskClient

from buurt import db
from buurt.threats import envelope, jobs, service
from buurt.threats.models import SyncAttempt
from conftest import make_app
from test_threats_format import payload, reference_summary

TIMEOUT = 0.5
MAX_BYTES = 40_000
TRICKLE_PACE = 0.1
# Nested past Python's recursion limit, yet under the size cap.
DEEP_JSON = b"[" * (MAX_BYTES - 1000)


class Publisher:
    """A national publisher on 127.0.0.1 whose behaviour a test sets."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.body = b""
        self.etag = ""
        self.mode = "serve"
        self.seen_etags: list[str | None] = []
        self.content_length = ""
        self.release = threading.Event()
        self.port = 0
        self.server: _Server | None = None

    @property
    def url(self) -> str:
        """Return the address the node fetches from."""
        return f"http://127.0.0.1:{self.port}/summary.json"

    @property
    def public_key(self) -> str:
        """Return the public key as a node's setting holds it."""
        return envelope.public_key_text(self.key.public_key())

    def publish(self, sequence: int, **changes: Any) -> bytes:
        """Sign and serve a summary; return its envelope."""
        self.body = envelope.sign(payload(reference_summary(
            sequence, **changes)), self.key)
        self.etag = f'"{hashlib.sha256(self.body).hexdigest()[:16]}"'
        self.mode = "serve"
        return self.body

    def serve(self, body: bytes) -> None:
        """Serve these exact bytes as the body, signed or not."""
        self.body = body
        self.etag = ""
        self.mode = "serve"

    def start(self) -> None:
        """Listen (again) on the same port."""
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.publisher = self
        self.port = server.server_address[1]
        self.server = server
        threading.Thread(target=server.serve_forever, args=(0.05,),
                         daemon=True).start()

    def stop(self) -> None:
        """Stop listening, so connections are refused."""
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class _Server(ThreadingHTTPServer):
    """An HTTP server that knows its publisher."""

    daemon_threads = True
    publisher: Publisher


class _Handler(BaseHTTPRequestHandler):
    """Answer GET as the publisher's mode says."""

    def log_message(self, *args: Any) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        """Serve the envelope, or misbehave on purpose."""
        publisher = cast(_Server, self.server).publisher
        publisher.seen_etags.append(self.headers.get("If-None-Match"))
        mode = publisher.mode
        body = publisher.body

        if mode == "slow":
            publisher.release.wait(5)
        if mode == "trickle_headers":
            self._trickle(b"HTTP/1.1 200 OK\r\nX-Slow: ", publisher)
            return
        if mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        if mode == "portal":
            body = b"<html><body>Log in to CommunityWiFi</body></html>"
        if mode == "serve" and publisher.etag and self.headers.get(
                "If-None-Match") == publisher.etag:
            self.send_response(304)
            self.end_headers()
            return

        self.send_response(200)
        if publisher.etag:
            self.send_header("ETag", publisher.etag)
        if mode == "declared_huge":
            self.send_header("Content-Length", str(MAX_BYTES * 10))
        elif mode == "trickle":
            self.send_header("Content-Length", str(MAX_BYTES - 100))
        elif publisher.content_length:
            self.send_header("Content-Length", publisher.content_length)
        elif mode != "endless":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._write_body(mode, body, publisher)

    def _write_body(self, mode: str, body: bytes,
                    publisher: Publisher) -> None:
        """Write the body whole, cut short, stalled or without end."""
        try:
            if mode == "truncated":
                self.wfile.write(body[: len(body) // 2])
            elif mode == "stall":
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                publisher.release.wait(5)
            elif mode == "endless":
                for _ in range(200):
                    self.wfile.write(b"x" * 16_384)
            elif mode == "trickle":
                self._trickle(b"", publisher)
            elif mode != "declared_huge":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the node hung up past its cap, as it should
        self.close_connection = True

    def _trickle(self, start: bytes, publisher: Publisher) -> None:
        """Send `start`, then a byte every 0.1 s for 4 s, then hang up.

        Each byte comes well within the node's per-read timeout, so only a
        deadline over the whole fetch stops the node from waiting it out.
        """
        try:
            self.wfile.write(start)
            for _ in range(40):
                if publisher.release.wait(TRICKLE_PACE):
                    break
                self.wfile.write(b" ")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the node gave up at its deadline, as it should
        self.close_connection = True


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    """Run a publisher on a free port for one test."""
    publisher = Publisher()
    publisher.start()
    yield publisher
    publisher.stop()


@pytest.fixture
def app(instance: Path, publisher: Publisher) -> Iterator[Flask]:
    """Return a node that trusts the test publisher's key."""
    app = make_app(instance, summary_url=publisher.url,
                   summary_public_key=publisher.public_key,
                   summary_timeout=TIMEOUT, summary_max_bytes=MAX_BYTES)
    yield app
    db.get_engine(app).dispose()


def current_sequence(app: Flask) -> int:
    """Return the sequence of the summary in force on the node."""
    with db.session_scope(db.get_engine(app)) as session:
        return service.get_current(session).summary.sequence


def attempts(app: Flask) -> list[SyncAttempt]:
    """Return the node's sync attempts, newest first."""
    with db.session_scope(db.get_engine(app)) as session:
        return service.list_attempts(session)


def test_sync_accepts_a_signed_summary_and_keeps_its_etag(
        app: Flask, publisher: Publisher,
        run_cli: Callable[..., Result]) -> None:
    publisher.publish(5)

    result = run_cli("sync")

    assert result.exit_code == 0, result.output
    assert "Accepted threat summary 5" in result.output
    assert current_sequence(app) == 5
    with db.session_scope(db.get_engine(app)) as session:
        row = service.get_latest_row(session)
        assert row is not None
        assert row.etag == publisher.etag
        assert row.source == "url"
    assert attempts(app)[0].outcome == "accepted"


def test_sync_sends_the_etag_and_accepts_not_modified(
        app: Flask, publisher: Publisher,
        run_cli: Callable[..., Result]) -> None:
    publisher.publish(5)
    run_cli("sync")

    result = run_cli("sync")

    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    assert publisher.seen_etags == [None, publisher.etag]
    assert [a.outcome for a in attempts(app)] == ["not_modified", "accepted"]
    assert current_sequence(app) == 5


def test_a_publisher_without_etags_serving_the_same_summary_is_not_modified(
        app: Flask, publisher: Publisher,
        run_cli: Callable[..., Result]) -> None:
    publisher.publish(5)
    publisher.etag = ""
    run_cli("sync")

    result = run_cli("sync")

    assert result.exit_code == 0, result.output
    assert publisher.seen_etags == [None, None]
    assert [a.outcome for a in attempts(app)] == ["not_modified", "accepted"]


def _tampered(publisher: Publisher) -> None:
    """Serve a summary whose payload was changed after signing."""
    envelope_ = json.loads(publisher.publish(6))
    envelope_["payload"] = base64.b64encode(
        payload(reference_summary(6, publisher="someone else"))).decode()
    publisher.body = json.dumps(envelope_).encode()


def _unsigned(publisher: Publisher) -> None:
    """Serve an envelope without a signature."""
    envelope_ = json.loads(publisher.publish(6))
    del envelope_["signature"]
    publisher.body = json.dumps(envelope_).encode()


def _foreign_key(publisher: Publisher) -> None:
    """Serve a summary signed with a key the node does not trust."""
    publisher.publish(6)
    publisher.body = envelope.sign(payload(reference_summary(6)),
                                   Ed25519PrivateKey.generate())


def _mode(mode: str, sequence: int = 6) -> Callable[[Publisher], None]:
    """Serve a good summary, but in a misbehaving way."""

    def setup(publisher: Publisher) -> None:
        publisher.publish(sequence)
        publisher.mode = mode

    return setup


def _summary(sequence: int, **changes: Any) -> Callable[[Publisher], None]:
    """Serve a properly signed summary with these fields."""

    def setup(publisher: Publisher) -> None:
        publisher.publish(sequence, **changes)

    return setup


def _body(raw: bytes) -> Callable[[Publisher], None]:
    """Serve these bytes as they are, in place of an envelope."""

    def setup(publisher: Publisher) -> None:
        publisher.serve(raw)

    return setup


def _signed(raw: bytes) -> Callable[[Publisher], None]:
    """Serve a properly signed envelope around these payload bytes."""

    def setup(publisher: Publisher) -> None:
        publisher.serve(envelope.sign(raw, publisher.key))

    return setup


def nested(depth: int) -> list[Any]:
    """Return lists nested `depth` deep."""
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


EXPIRED = {"issued_at": "2026-01-01T00:00:00+00:00",
           "expires_at": "2026-01-08T00:00:00+00:00"}
NAN_WEIGHT = {"edges": [{"from": "pandemic", "to": "heat-drought",
                         "weight": float("nan")}]}


@pytest.mark.parametrize("setup, reason", [
    (_tampered, "bad_signature"),
    (_unsigned, "missing_signature"),
    (_foreign_key, "unknown_key"),
    (_summary(5), "rollback"),
    (_summary(4), "rollback"),
    (_summary(6, **EXPIRED), "expired"),
    (_summary(6, schema_version=2), "wrong_schema_version"),
    (_mode("declared_huge"), "too_large"),
    (_mode("endless"), "too_large"),
    (_mode("portal"), "not_json"),
    (_mode("truncated"), "truncated"),
    (_mode("slow"), "timeout"),
    (_mode("stall"), "timeout"),
    (_mode("error"), "http_error"),
    (_body(DEEP_JSON), "not_json"),
    (_signed(DEEP_JSON[:25_000]), "not_json"),
    (_signed(payload(reference_summary(6, extra=nested(300)))), "not_json"),
    (_signed(b"\xff" + payload(reference_summary(6))), "not_json"),
    (_signed(payload(reference_summary(6, **NAN_WEIGHT))), "not_json"),
    (_summary(10**30), "invalid_summary"),
    (_summary(2**63), "invalid_summary"),
    (_summary(6, expires_at="99999-01-01T00:00:00+00:00"),
     "invalid_summary"),
    (_summary(6, expires_at="9999-12-31T23:59:59+00:00"), "invalid_summary"),
    (_summary(6, issued_at="0001-01-01T00:00:00+01:00"), "invalid_summary"),
], ids=["tampered", "unsigned", "foreign-key", "same-sequence",
        "lower-sequence", "expired", "schema-2", "declared-huge", "endless",
        "captive-portal", "truncated", "slow", "stalled", "server-error",
        "deep-envelope", "deep-payload", "deep-inside-payload",
        "payload-not-utf8", "nan", "huge-sequence", "sequence-past-int64",
        "year-99999", "year-9999", "year-1"])
def test_a_refused_summary_leaves_the_last_good_one(
        app: Flask, publisher: Publisher, run_cli: Callable[..., Result],
        caplog: pytest.LogCaptureFixture,
        setup: Callable[[Publisher], None], reason: str) -> None:
    publisher.publish(5)
    run_cli("sync")
    setup(publisher)

    with caplog.at_level(logging.INFO, logger="buurt.threats"):
        result = run_cli("sync")

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith(f"Rejected ({reason}): ")
    assert result.output.splitlines()[1:] == ["Keeping threat summary 5."]
    assert current_sequence(app) == 5
    last = attempts(app)[0]
    assert (last.outcome, last.reason) == ("rejected", reason)
    assert last.detail
    warnings = [record for record in caplog.records
                if record.levelno == logging.WARNING]
    assert any(reason in record.getMessage() for record in warnings)


@pytest.mark.parametrize("mode", ["trickle", "trickle_headers"])
def test_a_trickling_publisher_is_cut_off_at_the_deadline(
        app: Flask, publisher: Publisher, run_cli: Callable[..., Result],
        mode: str) -> None:
    publisher.publish(5)
    run_cli("sync")
    _mode(mode)(publisher)

    started = time.monotonic()
    result = run_cli("sync")
    took = time.monotonic() - started

    assert result.exit_code == 1
    assert "Rejected (timeout)" in result.output
    # A generous bound: what matters is that the deadline holds at all,
    # where a byte every 0.1 s would otherwise hold the sync for 4 s.
    assert took < 5 * TIMEOUT
    assert current_sequence(app) == 5
    assert (attempts(app)[0].outcome, attempts(app)[0].reason) == (
        "rejected", "timeout")


@pytest.mark.parametrize("length", ["\u00b2", "9" * 5000],
                         ids=["superscript-two", "5000-digits"])
def test_an_unreadable_content_length_is_ignored_but_the_cap_holds(
        app: Flask, publisher: Publisher, run_cli: Callable[..., Result],
        length: str) -> None:
    publisher.publish(6)
    publisher.content_length = length

    served = run_cli("sync")
    publisher.publish(7)
    publisher.mode = "endless"
    endless = run_cli("sync")

    assert served.exit_code == 0, served.output
    assert endless.exit_code == 1
    assert "Rejected (too_large)" in endless.output
    assert current_sequence(app) == 6


def test_deeply_nested_json_on_a_stick_is_refused_in_one_line(
        app: Flask, publisher: Publisher, tmp_path: Path,
        run_cli: Callable[..., Result]) -> None:
    (tmp_path / "good.json").write_bytes(publisher.publish(5))
    (tmp_path / "deep.json").write_bytes(DEEP_JSON)
    run_cli("sync", "--file", str(tmp_path / "good.json"))

    result = run_cli("sync", "--file", str(tmp_path / "deep.json"))

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("Rejected (not_json): ")
    assert "Traceback" not in result.output
    assert current_sequence(app) == 5
    last = attempts(app)[0]
    assert (last.source, last.outcome, last.reason) == (
        "file", "rejected", "not_json")


def test_a_silent_publisher_is_refused_as_unreachable_until_it_returns(
        app: Flask, publisher: Publisher,
        run_cli: Callable[..., Result]) -> None:
    publisher.publish(5)
    run_cli("sync")
    publisher.stop()

    offline = run_cli("sync", "--json")
    publisher.release.clear()
    publisher.start()
    publisher.publish(6)
    back = run_cli("sync", "--json")

    assert offline.exit_code == 1
    assert json.loads(offline.output) == {
        "outcome": "rejected", "reason": "unreachable",
        "detail": attempts(app)[1].detail, "source": "url",
        "sequence": None, "current_sequence": 5}
    assert back.exit_code == 0
    assert json.loads(back.output)["current_sequence"] == 6
    assert [a.outcome for a in attempts(app)] == [
        "accepted", "rejected", "accepted"]


def test_a_newer_summary_replaces_the_old_and_history_is_kept(
        app: Flask, publisher: Publisher,
        run_cli: Callable[..., Result]) -> None:
    for sequence in (3, 8, 9):
        publisher.publish(sequence)
        assert run_cli("sync").exit_code == 0

    with db.session_scope(db.get_engine(app)) as session:
        history = service.list_summaries(session)
        current = service.get_current(session)

    assert [row.sequence for row in history] == [9, 8, 3]
    assert current.summary.sequence == 9
    assert current.source == "url"


def test_sync_from_a_file_applies_the_same_checks(
        app: Flask, publisher: Publisher, tmp_path: Path,
        run_cli: Callable[..., Result]) -> None:
    stick = tmp_path / "usb"
    stick.mkdir()
    (stick / "old.json").write_bytes(publisher.publish(11))
    (stick / "summary.json").write_bytes(publisher.publish(12))
    (stick / "portal.html").write_text("<html>Welcome</html>")
    (stick / "big.json").write_bytes(b" " * (MAX_BYTES + 1))

    first = run_cli("sync", "--file", str(stick / "summary.json"))
    again = run_cli("sync", "--file", str(stick / "summary.json"))
    old = run_cli("sync", "--file", str(stick / "old.json"))
    portal = run_cli("sync", "--file", str(stick / "portal.html"))
    big = run_cli("sync", "--file", str(stick / "big.json"))
    missing = run_cli("sync", "--file", str(stick / "nothing.json"))

    assert first.exit_code == 0, first.output
    assert "Accepted threat summary 12" in first.output
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output
    assert (old.exit_code, portal.exit_code, big.exit_code,
            missing.exit_code) == (1, 1, 1, 1)
    assert [(a.outcome, a.reason) for a in attempts(app)] == [
        ("rejected", "unreadable_file"), ("rejected", "too_large"),
        ("rejected", "not_json"), ("rejected", "rollback"),
        ("not_modified", ""), ("accepted", "")]
    assert publisher.seen_etags == []
    assert current_sequence(app) == 12


def test_the_demo_key_is_trusted_for_the_bundled_summary_only(
        app: Flask, run_cli: Callable[..., Result]) -> None:
    bundled = str(service.data_path(service.BUNDLED_FILE))

    result = run_cli("sync", "--file", bundled)

    assert result.exit_code == 1
    assert "Rejected (unknown_key)" in result.output
    assert "Keeping the bundled demonstration summary" in result.output


def test_sync_without_a_public_key_names_the_setting(
        tmp_path: Path, publisher: Publisher) -> None:
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from buurt.cli import main
    from buurt.threats import init_cli

    instance = tmp_path / "keyless"
    instance.mkdir()
    keyless = make_app(instance, summary_url=publisher.url)
    init_cli(main)

    result = CliRunner().invoke(main, ["sync"], obj=ScriptInfo(
        create_app=lambda: keyless))

    assert result.exit_code == 1
    assert "BUURT_SUMMARY_PUBLIC_KEY" in result.output
    assert publisher.seen_etags == []
    assert attempts(keyless) == []
    db.get_engine(keyless).dispose()


def test_the_job_backs_off_while_the_publisher_is_offline() -> None:
    start = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    every = timedelta(hours=4)

    def tried(*outcomes: str) -> list[SyncAttempt]:
        return [SyncAttempt(attempted_at=start, source="url",
                            outcome=outcome) for outcome in outcomes]

    assert jobs.next_sync_at([], every) is None
    assert jobs.next_sync_at(tried("accepted"), every) == start + every
    assert jobs.next_sync_at(tried("not_modified"), every) == start + every
    assert (jobs.next_sync_at(tried("rejected", "accepted"), every)
            == start + 2 * every)
    assert (jobs.next_sync_at(tried("rejected", "rejected", "accepted"),
                              every) == start + 4 * every)
    assert (jobs.next_sync_at(tried(*["rejected"] * 5), every)
            == start + jobs.MAX_DELAY)


def test_the_job_syncs_only_when_due(app: Flask,
                                     publisher: Publisher) -> None:
    publisher.publish(5)
    settings = app.config["BUURT"]
    engine = db.get_engine(app)
    now = datetime.now(timezone.utc)

    first = jobs.sync_if_due(engine, settings, now)
    publisher.publish(6)
    too_soon = jobs.sync_if_due(engine, settings, now + timedelta(hours=1))
    due = jobs.sync_if_due(engine, settings, now + timedelta(hours=4))

    assert first is not None and first.outcome == "accepted"
    assert too_soon is None
    assert due is not None and due.outcome == "accepted"
    assert current_sequence(app) == 6


def test_the_scheduled_job_syncs_inside_the_running_scheduler(
        app: Flask, publisher: Publisher) -> None:
    from buurt import scheduler

    publisher.publish(5)
    running = scheduler.start(app)
    assert running is not None
    try:
        job = running.get_job(jobs.JOB_ID)
        jobs.sync_summary_job()
    finally:
        scheduler.stop(app)

    assert job is not None
    assert job.func_ref == "buurt.threats.jobs:sync_summary_job"
    assert current_sequence(app) == 5
    assert attempts(app)[0].outcome == "accepted"



def test_a_stick_file_name_that_is_not_utf8_is_recorded(
        app: Flask, publisher: Publisher, tmp_path: Path,
        run_cli: Callable[..., Result]) -> None:
    # Python names the byte 0xff in a file name with a lone surrogate.
    odd = tmp_path / "stick-\udcff.json"
    odd.write_bytes(publisher.publish(5))

    accepted = run_cli("sync", "--file", str(odd))
    missing = run_cli("sync", "--file", str(tmp_path / "gone-\udcff.json"))

    assert accepted.exit_code == 0, accepted.output
    assert missing.exit_code == 1
    assert "Rejected (unreadable_file)" in missing.output
    assert [a.origin.rsplit("/", 1)[-1] for a in attempts(app)] == [
        "gone-\\udcff.json", "stick-\\udcff.json"]
    assert current_sequence(app) == 5


HOSTILE: list[Any] = [
    10**30, -1, 1e400, float("nan"), None, True, "", "x" * 5000, [], {},
    nested(300), "\udcff", "\x00", "9999-12-31T23:59:59+00:00",
    "0001-01-01T00:00:00+01:00", "2026-02-30T00:00:00+00:00",
]


def places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[
        tuple[Any, ...]]:
    """Yield the path of every value inside a summary."""
    if path:
        yield path
    items = (value.items() if isinstance(value, dict) else
             enumerate(value) if isinstance(value, list) else ())
    for key, inner in items:
        yield from places(inner, path + (key,))


def replaced(summary: dict[str, Any], path: tuple[Any, ...],
             value: Any) -> dict[str, Any]:
    """Return a copy of a summary with the value at `path` replaced."""
    copy = json.loads(json.dumps(summary))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return cast(dict[str, Any], copy)


# Every hostile value goes here; a few more land anywhere in the summary.
SPOTS = [("sequence",), ("issued_at",), ("expires_at",), ("publisher",),
         ("advisory", "level"), ("advisory", "reason", "nl"),
         ("threats", 0, "affects"), ("edges", 0, "weight")]


def test_no_hostile_value_in_a_signed_summary_escapes_as_an_error(
        app: Flask, coordinator_client: FlaskClient) -> None:
    key = Ed25519PrivateKey.generate()
    chance = random.Random(4)
    anywhere = list(places(reference_summary()))
    changes = [(spot, value) for spot in SPOTS for value in HOSTILE] + [
        (chance.choice(anywhere), chance.choice(HOSTILE))
        for _ in range(40)]
    engine = db.get_engine(app)

    outcomes = []
    for round_, (spot, value) in enumerate(changes):
        summary = replaced(reference_summary(10 + round_), spot, value)
        signed = envelope.sign(json.dumps(summary).encode(), key)
        with db.session_scope(engine, write=True) as session:
            attempt = service.accept_envelope(
                session, signed, key.public_key(), "file", "fuzz")
        outcomes.append(attempt.outcome)

        if attempt.outcome == "accepted":
            assert coordinator_client.get("/threats").status_code == 200
            assert coordinator_client.get(
                "/api/v1/threats").status_code == 200

    assert set(outcomes) == {"accepted", "rejected"}
