"""Members, invites and tokens: the logic, shared by pages, API and CLI."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from buurt.accounts.models import ROLES, ApiToken, Invite, Member
from buurt.db import utcnow

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PIN_LENGTH = 6
MAX_PIN_LENGTH = 128
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I
INVITE_LENGTH = 8
# scrypt with N=2**14 holds 16 MB while it runs, half of werkzeug's default:
# a Pi Zero 2 W has 512 MB in all and may check two logins at once. The
# login form is rate-limited, which is what protects a short PIN.
PIN_HASH_METHOD = "scrypt:16384:8:1"


class AccountError(ValueError):
    """A request about accounts that cannot be honoured; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise_username(username: str) -> str:
    """Return the stored form of a username (trimmed, lower case)."""
    return username.strip().lower()


def create_invite(
    session: Session,
    role: str = "resident",
    household_id: int | None = None,
    created_by_id: int | None = None,
    note: str = "",
    valid_days: int | None = 30,
) -> Invite:
    """Create a join code for one role, optionally bound to a household."""
    if role not in ROLES:
        raise AccountError("unknown_role")

    expires = utcnow() + timedelta(days=valid_days) if valid_days else None
    invite = Invite(code=_new_invite_code(), role=role,
                    household_id=household_id, created_by_id=created_by_id,
                    note=note[:200], expires_at=expires)
    session.add(invite)
    session.flush()
    return invite


def _new_invite_code() -> str:
    """Return a random code that is easy to type on a phone."""
    return "".join(secrets.choice(INVITE_ALPHABET)
                   for _ in range(INVITE_LENGTH))


def normalise_invite_code(code: str) -> str:
    """Accept codes typed in lower case, with spaces or dashes."""
    return re.sub(r"[\s-]", "", code).upper()


def get_open_invite(session: Session, code: str,
                    now: datetime | None = None) -> Invite:
    """Return the unused, unexpired invite with this code.

    Raises AccountError("invite_unknown") or ("invite_used"/"invite_expired").
    """
    now = now or utcnow()
    invite = session.exec(
        select(Invite).where(Invite.code == normalise_invite_code(code))
    ).first()
    if invite is None:
        raise AccountError("invite_unknown")
    if invite.used_at is not None:
        raise AccountError("invite_used")
    if invite.expires_at is not None and invite.expires_at < now:
        raise AccountError("invite_expired")
    return invite


def check_new_credentials(session: Session, username: str, pin: str) -> str:
    """Validate a new username and PIN; return the normalised username."""
    username = normalise_username(username)
    if not USERNAME_PATTERN.match(username):
        raise AccountError("username_invalid")
    if not MIN_PIN_LENGTH <= len(pin) <= MAX_PIN_LENGTH:
        raise AccountError("pin_too_short")
    taken = session.exec(
        select(Member.id).where(Member.username == username)
    ).first()
    if taken is not None:
        raise AccountError("username_taken")
    return username


def create_member(
    session: Session,
    username: str,
    pin: str,
    display_name: str,
    role: str = "resident",
    household_id: int | None = None,
    locale: str | None = None,
) -> Member:
    """Create a member with a hashed PIN."""
    if role not in ROLES:
        raise AccountError("unknown_role")

    username = check_new_credentials(session, username, pin)
    member = Member(username=username, display_name=display_name.strip()[:80]
                    or username, role=role, household_id=household_id,
                    pin_hash=hash_pin(pin), locale=locale)
    session.add(member)
    session.flush()
    return member


def redeem_invite(
    session: Session,
    code: str,
    username: str,
    pin: str,
    display_name: str,
    household_id: int | None = None,
    locale: str | None = None,
) -> Member:
    """Turn an invite into a member; the invite's household wins."""
    invite = get_open_invite(session, code)
    member = create_member(
        session, username, pin, display_name, role=invite.role,
        household_id=invite.household_id or household_id, locale=locale,
    )
    invite.used_at = utcnow()
    invite.used_by_id = member.id
    session.add(invite)
    session.flush()
    return member


def authenticate(session: Session, username: str, pin: str) -> Member | None:
    """Return the active member with these credentials, or None."""
    member = session.exec(
        select(Member).where(Member.username == normalise_username(username))
    ).first()
    if member is None or not member.active:
        # Hash anyway, so that a wrong name takes as long as a wrong PIN.
        check_password_hash(_dummy_hash(), pin)
        return None
    if not check_password_hash(member.pin_hash, pin):
        return None
    return member


def hash_pin(pin: str) -> str:
    """Return the stored form of a PIN or password."""
    return generate_password_hash(pin, method=PIN_HASH_METHOD)


@functools.cache
def _dummy_hash() -> str:
    """Return a hash to check against when the name is unknown."""
    return hash_pin(secrets.token_urlsafe(16))


def get_member(session: Session, member_id: int) -> Member | None:
    """Return an active member by id."""
    member = session.get(Member, member_id)
    return member if member is not None and member.active else None


def list_members(session: Session) -> list[Member]:
    """List the members, coordinators first."""
    return list(session.exec(
        select(Member).order_by(col(Member.role), col(Member.username))
    ))


def list_invites(session: Session, open_only: bool = True) -> list[Invite]:
    """List invites, newest first."""
    query = select(Invite).order_by(col(Invite.id).desc())
    if open_only:
        query = query.where(col(Invite.used_at).is_(None))
    return list(session.exec(query))


def count_coordinators(session: Session) -> int:
    """Count the members who coordinate."""
    return session.exec(
        select(func.count()).select_from(Member)
        .where(Member.role == "coordinator")
    ).one()


def set_locale(session: Session, member: Member, locale: str) -> None:
    """Remember a member's language choice."""
    member.locale = locale
    session.add(member)


def _hash_token(token: str) -> str:
    """Return the stored digest of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, member: Member, label: str = "") -> str:
    """Create an API bearer token for a member; return it once, in clear."""
    assert member.id is not None, "flush the member before giving a token"
    token = "bt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(member_id=member.id, token_hash=_hash_token(token),
                         label=label[:80]))
    session.flush()
    return token


def get_token_member(session: Session, token: str) -> Member | None:
    """Return the member a bearer token belongs to, or None."""
    row = session.exec(
        select(ApiToken).where(ApiToken.token_hash == _hash_token(token))
        .where(col(ApiToken.revoked_at).is_(None))
    ).first()
    return get_member(session, row.member_id) if row else None


def get_or_create_script_member(session: Session, role: str) -> Member:
    """Return the member that scripts act as for `role`, creating it once."""
    username = f"script-{role}"
    member = session.exec(
        select(Member).where(Member.username == username)
    ).first()
    if member is None:
        member = Member(username=username, display_name=f"Script ({role})",
                        role=role,
                        pin_hash=hash_pin(
                            secrets.token_urlsafe(32)))
        session.add(member)
        session.flush()
    return member
