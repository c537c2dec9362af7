"""Joining with an invite, logging in and out, PINs, tokens, CSRF and the
language a member reads buurt in."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Callable

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlmodel import Session, select
from werkzeug.security import check_password_hash

from buurt import db
from buurt.accounts import service as accounts
from buurt.accounts.models import Invite, Member
from buurt.accounts.views import account_message
from buurt.db import utcnow
from buurt.inventory import service as inventory
from conftest import PIN, create_member, csrf_token, login

ENGLISH = {"Accept-Language": "en"}


def in_session(app: Flask, work: Callable[[Session], Any]) -> Any:
    """Run `work` in a committed session and return what it returns."""
    with app.app_context(), db.session_scope(db.get_engine(app),
                                             write=True) as session:
        return work(session)


def new_invite(app: Flask, household_id: int | None = None,
               role: str = "resident") -> str:
    """Create an invite through the service; return its code."""
    return str(in_session(app, lambda s: accounts.create_invite(
        s, role=role, household_id=household_id).code))


def add_household(app: Flask, address: str) -> int:
    """Create a household; return its id."""
    return int(in_session(app, lambda s: inventory.create_household(
        s, address, 2).id))


def join(client: FlaskClient, code: str, username: str = "bert",
         pin: str = PIN, headers: dict[str, str] | None = None) -> Any:
    """Fill in the join form."""
    return client.post("/join", headers=headers or ENGLISH, data={
        "code": code, "username": username, "pin": pin,
        "display_name": "Bert", "csrf_token": csrf_token(client, "/join")})


def member_named(app: Flask, username: str) -> Member | None:
    """Return the member with this username, or None."""
    return in_session(app, lambda s: s.exec(
        select(Member).where(Member.username == username)).first())


def test_join_with_an_invite_binds_its_household(
        app: Flask, client: FlaskClient) -> None:
    household_id = add_household(app, "Lindenlaan 3")
    code = new_invite(app, household_id)

    answer = join(client, code.lower())

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/household"
    bert = member_named(app, "bert")
    assert bert is not None
    assert (bert.household_id, bert.role) == (household_id, "resident")
    assert "Lindenlaan 3" in client.get("/household").get_data(as_text=True)


def test_invites_household_wins_over_the_one_asked_for(
        app: Flask, session: Session) -> None:
    bound = inventory.create_household(session, "Lindenlaan 3", 2)
    other = inventory.create_household(session, "Lindenlaan 5", 1)
    invite = accounts.create_invite(session, household_id=bound.id)

    member = accounts.redeem_invite(session, invite.code, "bert", PIN,
                                    "Bert", household_id=other.id)

    assert member.household_id == bound.id
    assert invite.used_by_id == member.id


def test_coordinator_invite_makes_a_coordinator(
        app: Flask, client: FlaskClient) -> None:
    join(client, new_invite(app, role="coordinator"))

    bert = member_named(app, "bert")
    assert bert is not None and bert.role == "coordinator"
    assert client.get("/inventory").status_code == 200


def expire(session: Session, code: str) -> None:
    """Make an invite one that ran out yesterday."""
    invite = session.exec(select(Invite).where(Invite.code == code)).one()
    invite.expires_at = utcnow() - timedelta(days=1)
    session.add(invite)


@pytest.mark.parametrize("spoil, message", [
    ("used", "This invite code has already been used."),
    ("expired", "This invite code has expired."),
    ("unknown", "This invite code is not known."),
])
def test_spent_or_wrong_invite_is_refused_with_a_message(
        app: Flask, client: FlaskClient, spoil: str, message: str) -> None:
    code = new_invite(app)
    if spoil == "used":
        assert join(client, code, "first").status_code == 302
        client = app.test_client()
    elif spoil == "expired":
        in_session(app, lambda s: expire(s, code))
    else:
        code = "ZZZZ2222"

    answer = join(client, code)

    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert member_named(app, "bert") is None


def test_refused_join_message_is_translated(
        app: Flask, client: FlaskClient) -> None:
    code = new_invite(app)
    join(client, code, "first")
    english = "This invite code has already been used."
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        dutch = account_message("invite_used")

    answer = join(app.test_client(), code,
                  headers={"Accept-Language": "nl"})

    assert english not in dutch, "no Dutch msgstr for invite_used"
    assert str(escape(dutch)) in answer.get_data(as_text=True)
    assert html_lang(answer) == "nl"


@pytest.mark.parametrize("username", [
    "ab", "has space", "-dash-first", "x" * 41, "émile", "semi;colon", "",
])
def test_username_rules_refuse_bad_names(
        app: Flask, client: FlaskClient, username: str) -> None:
    answer = join(client, new_invite(app), username)

    assert answer.status_code == 400
    assert "Choose a name of 3 to 40 letters or digits" in answer.get_data(
        as_text=True)


def test_username_is_stored_in_lower_case_and_once(
        app: Flask, client: FlaskClient) -> None:
    join(client, new_invite(app), "  Anna.B ")
    again = join(app.test_client(), new_invite(app), "anna.b")

    assert member_named(app, "anna.b") is not None
    assert again.status_code == 400
    assert "already taken" in again.get_data(as_text=True)


def test_short_pin_is_refused(app: Flask, client: FlaskClient) -> None:
    answer = join(client, new_invite(app), pin="12345")

    assert answer.status_code == 400
    assert "at least 6 characters" in answer.get_data(as_text=True)


def test_pin_is_stored_hashed(app: Flask) -> None:
    member = create_member(app, "anna")

    assert PIN not in member.pin_hash
    assert member.pin_hash.split(":")[0] in ("scrypt", "pbkdf2")
    assert check_password_hash(member.pin_hash, PIN)


def test_login_and_logout(app: Flask, client: FlaskClient) -> None:
    create_member(app, "anna")
    assert client.get("/household").status_code == 302

    login(client, "ANNA")
    assert client.get("/household").status_code == 200

    answer = client.post("/logout", data={
        "csrf_token": csrf_token(client, "/household")})
    assert answer.status_code == 302
    following = client.get("/household")
    assert following.status_code == 302
    assert following.headers["Location"].startswith("/login")


def test_wrong_pin_is_401(app: Flask, client: FlaskClient) -> None:
    create_member(app, "anna")

    for username, pin in (("anna", "999999"), ("nobody", PIN)):
        answer = client.post("/login", headers=ENGLISH, data={
            "username": username, "pin": pin,
            "csrf_token": csrf_token(client)})
        assert answer.status_code == 401
        assert "Name or PIN is not right." in answer.get_data(as_text=True)
    assert client.get("/household").status_code == 302


def test_login_goes_back_to_a_local_page_only(
        app: Flask, client: FlaskClient) -> None:
    create_member(app, "anna")
    token = csrf_token(client)

    local = client.post("/login?next=/shared", data={
        "username": "anna", "pin": PIN, "csrf_token": token})
    foreign = client.post("/login?next=//evil.example/x", data={
        "username": "anna", "pin": PIN, "csrf_token": token})

    assert local.headers["Location"] == "/shared"
    assert foreign.headers["Location"] == "/"


def test_token_command_prints_a_working_bearer_token(
        app: Flask, client: FlaskClient,
        run_cli: Callable[..., Result]) -> None:
    result = run_cli("token", "--role", "coordinator")

    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    answer = client.get("/api/v1/households",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    refused = client.get("/api/v1/households",
                         headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401


def test_forms_without_csrf_token_are_refused(
        app: Flask, client: FlaskClient) -> None:
    household_id = add_household(app, "A 1")
    create_member(app, "anna", household_id=household_id)

    anonymous = client.post("/login", data={"username": "anna",
                                            "pin": PIN})
    login(client, "anna")
    member = client.post("/household/consent",
                         data={"kind": "health", "action": "grant"})

    assert anonymous.status_code == 400
    assert member.status_code == 400
    assert not in_session(app, lambda s: inventory.has_consent(
        s, household_id, "health"))


def html_lang(answer: Any) -> str:
    """Return the lang attribute of a page's <html> element."""
    match = re.search(r'<html lang="([a-z]+)">', answer.get_data(
        as_text=True))
    assert match, "page has no <html lang>"
    return match.group(1)


def test_locale_defaults_to_dutch(client: FlaskClient) -> None:
    answer = client.get("/")

    assert html_lang(answer) == "nl"
    assert "Meedoen met een uitnodigingscode" in answer.get_data(
        as_text=True)


def test_locale_follows_accept_language(client: FlaskClient) -> None:
    answer = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert html_lang(answer) == "en"
    assert "Join with an invite code" in answer.get_data(as_text=True)


def test_unknown_accept_language_falls_back_to_dutch(
        client: FlaskClient) -> None:
    assert html_lang(client.get("/", headers={
        "Accept-Language": "fr"})) == "nl"


def test_members_choice_beats_accept_language(
        app: Flask, client: FlaskClient) -> None:
    create_member(app, "anna")
    login(client, "anna")
    client.post("/language", headers=ENGLISH, data={
        "locale": "nl", "next": "/", "csrf_token": csrf_token(client, "/")})

    fresh = app.test_client()
    login(fresh, "anna")
    answer = fresh.get("/", headers=ENGLISH)

    anna = member_named(app, "anna")
    assert anna is not None and anna.locale == "nl"
    assert html_lang(answer) == "nl"
