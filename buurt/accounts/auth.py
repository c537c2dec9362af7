"""Who is asking: sessions, bearer tokens, roles, and idempotent writes.

Pages use Flask-Login sessions. The JSON API also takes
`Authorization: Bearer <token>`; a browser calling the API with its session
cookie must send the CSRF token, a script with a bearer token need not.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any, Callable, TypeVar, Unpack, cast

from flask import (Blueprint, Flask, Response, abort, current_app, g,
                   make_response, render_template,
                   request, session as flask_session)
from flask_babel import get_locale, gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy import Row, bindparam, select as select_columns
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from buurt.accounts import service
from buurt.accounts.models import IdempotentResponse, Member
from buurt.db import get_session
from buurt.web import ApiError, csrf

ViewT = TypeVar("ViewT", bound=Callable[..., Any])

login_manager = LoginManager()


def _client_key() -> str:
    """Count attempts per node and per phone address."""
    return f"{current_app.instance_path}|{get_remote_address()}"


# PINs are short, so guessing is slowed down per address.
limiter = Limiter(_client_key, storage_uri="memory://", headers_enabled=True)
LOGIN_LIMIT = "10 per minute"
MAX_IDEMPOTENCY_KEY = 200
# Menus kept per app: a few languages times two roles, and a bound anyway.
MAX_MENUS = 16
# Every page pays for loading its member: the columns a request uses, read
# as a plain row by a statement built once, take half the time of a Member.
ACTIVE_MEMBER = (
    select_columns(col(Member.id), col(Member.username),
                   col(Member.display_name), col(Member.role),
                   col(Member.household_id), col(Member.locale))
    .where(col(Member.id) == bindparam("member_id"))
    .where(col(Member.active).is_(True)))


class SessionMember:
    """The Flask-Login view of a member; carries ids, not a live row."""

    is_active = True
    is_anonymous = False
    is_authenticated = True

    def __init__(self, member: Member | Row[Unpack[tuple[Any, ...]]]
                 ) -> None:
        self.id = cast(int, member.id)
        self.username = member.username
        self.display_name = member.display_name
        self.role = member.role
        self.household_id = member.household_id
        self.locale = member.locale

    @property
    def is_coordinator(self) -> bool:
        """Tell whether this member coordinates the street."""
        return self.role == "coordinator"

    def get_id(self) -> str:
        """Return the id Flask-Login keeps in the session cookie."""
        return str(self.id)


def init_app(app: Flask) -> None:
    """Set up member sessions and bearer tokens."""
    login_manager.init_app(app)
    limiter.init_app(app)
    # Only the login and join forms are limited, and their decorators
    # check; the app-wide check would cost every other request its time.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = ""

    app.extensions["buurt_menus"] = {}
    app.jinja_env.globals["menu"] = menu

    @app.before_request
    def remember_locale() -> None:
        if current_user.is_authenticated and current_user.locale:
            g.buurt_locale = current_user.locale
        elif flask_session.get("locale"):
            g.buurt_locale = flask_session["locale"]

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError) -> Any:
        message = _("This form has expired. Reload the page and try again.")
        if request.path.startswith("/api/"):
            return {"error": {"code": "csrf", "message": message}}, 400
        return render_template("error.html", status=400, message=message), 400


def menu() -> Markup:
    """Return the menu of nav.html for this member's language and role.

    Its links and words are the same for every member with both, so it
    is drawn once for each: it cost every page a fifth of its time.
    """
    key = (str(get_locale()), current_user.is_coordinator,
           request.script_root)
    menus: dict[tuple[str, bool, str], Markup] = (
        current_app.extensions["buurt_menus"])
    if key not in menus:
        if len(menus) >= MAX_MENUS:
            menus.clear()
        menus[key] = Markup(render_template("nav.html"))
    return menus[key]


@login_manager.user_loader
def load_user(member_id: str) -> SessionMember | None:
    """Load the member behind a session cookie."""
    try:
        wanted = int(member_id)
    except ValueError:
        return None

    row = get_session().connection().execute(
        ACTIVE_MEMBER, {"member_id": wanted}).first()
    return SessionMember(row) if row else None


@login_manager.request_loader
def load_user_from_token(req: Any) -> SessionMember | None:
    """Load the member behind an `Authorization: Bearer` header."""
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    member = service.get_token_member(get_session(), header[7:].strip())
    if member is None:
        return None
    g.buurt_bearer = True
    return SessionMember(member)


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    """Send pages to the login form and API callers a JSON 401."""
    if request.path.startswith("/api/"):
        raise ApiError(401, "unauthorized",
                       _("Log in, or send an API token "
                         "(Authorization: Bearer …)."))
    from flask import redirect, url_for
    return redirect(url_for("accounts.login", next=request.full_path))


def me() -> SessionMember:
    """Return the logged-in member; only call behind a role check."""
    return cast(SessionMember, current_user._get_current_object())


def role_required(*roles: str) -> Callable[[ViewT], ViewT]:
    """Let only members with one of `roles` through; others get 401/403."""

    def wrap(view: ViewT) -> ViewT:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                if request.path.startswith("/api/"):
                    raise ApiError(403, "forbidden",
                                   _("Only a coordinator may do this."))
                abort(403)
            return view(*args, **kwargs)

        return cast(ViewT, checked)

    return wrap


member_required = role_required()
coordinator_required = role_required("coordinator")


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """Make a blueprint under /api/v1 that takes sessions or bearer tokens."""
    blueprint = Blueprint(name, import_name, url_prefix="/api/v1")
    csrf.exempt(blueprint)

    @blueprint.before_request
    def check_csrf_for_cookies() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if current_user.is_authenticated and not g.get("buurt_bearer"):
            csrf.protect()

    return blueprint


def idempotent(scope: str) -> Callable[[ViewT], ViewT]:
    """Answer a retried write with its first answer, storing nothing new.

    The wrapped view must not commit: this decorator stores the answer and
    commits once, so the data and the remembered answer land together.
    """

    def wrap(view: ViewT) -> ViewT:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get("Idempotency-Key", "").strip()
            session = get_session()
            if not key:
                response = make_response(view(*args, **kwargs))
                session.commit()
                return response
            if len(key) > MAX_IDEMPOTENCY_KEY:
                raise ApiError(400, "idempotency_key_too_long",
                               _("The Idempotency-Key header is too long."))

            digest = hashlib.sha256(request.get_data()).hexdigest()
            full_scope = f"{scope}:{request.path}"
            earlier = _find_answer(full_scope, key)
            if earlier is not None:
                return _replay(earlier, digest)

            response = make_response(view(*args, **kwargs))
            if response.status_code >= 500:
                return response
            session.add(IdempotentResponse(
                member_id=me().id, scope=full_scope, key=key,
                request_hash=digest, status=response.status_code,
                body=response.get_data(as_text=True)))
            try:
                session.commit()
            except IntegrityError:
                # Another worker stored the same key first (PostgreSQL hub).
                session.rollback()
                earlier = _find_answer(full_scope, key)
                if earlier is None:
                    raise
                return _replay(earlier, digest)
            return response

        return cast(ViewT, checked)

    return wrap


def _find_answer(scope: str, key: str) -> IdempotentResponse | None:
    """Return the stored answer for this member, scope and key."""
    return get_session().exec(
        select(IdempotentResponse)
        .where(IdempotentResponse.member_id == me().id)
        .where(IdempotentResponse.scope == scope)
        .where(IdempotentResponse.key == key)
    ).first()


def _replay(earlier: IdempotentResponse, digest: str) -> Response:
    """Return a stored answer, or refuse a key reused for another body."""
    if earlier.request_hash != digest:
        raise ApiError(422, "idempotency_key_reused",
                       _("This Idempotency-Key was already used for a "
                         "different request."))
    response = Response(earlier.body, status=earlier.status,
                        mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response

