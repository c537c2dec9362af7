"""Pages to join with an invite, log in and out, choose a language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (Blueprint, flash, g, redirect, render_template, request,
                   session as cookie, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from buurt.accounts import service
from buurt.accounts.auth import LOGIN_LIMIT, SessionMember, limiter, me
from buurt.db import get_session
from buurt.i18n import LOCALES

bp = Blueprint("accounts", __name__)


def account_message(code: str) -> str:
    """Return the translated sentence for an AccountError code."""
    messages = {
        "invite_unknown": _("This invite code is not known. Check it with "
                            "your coordinator."),
        "invite_used": _("This invite code has already been used. Ask your "
                         "coordinator for a new one."),
        "invite_expired": _("This invite code has expired. Ask your "
                            "coordinator for a new one."),
        "username_invalid": _("Choose a name of 3 to 40 letters or digits "
                              "(dots, dashes and underscores allowed)."),
        "username_taken": _("This name is already taken; choose another."),
        "pin_too_short": _("Choose a PIN or password of at least 6 "
                           "characters."),
        "unknown_role": _("Unknown role."),
    }
    return messages.get(code, _("That did not work."))


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def join() -> Any:
    """Join the node with an invite code."""
    form = request.form
    if request.method == "GET":
        return render_template("accounts/join.html",
                               code=request.args.get("code", ""))

    session = get_session()
    try:
        member = service.redeem_invite(
            session, form.get("code", ""), form.get("username", ""),
            form.get("pin", ""), form.get("display_name", ""),
            locale=g.get("buurt_locale"),
        )
    except service.AccountError as error:
        session.rollback()
        flash(account_message(error.code), "error")
        return render_template("accounts/join.html", code=form.get("code", ""),
                               username=form.get("username", ""),
                               display_name=form.get("display_name", "")), 400

    session.commit()
    login_user(SessionMember(member), remember=True)
    flash(_("Welcome, %(name)s!", name=member.display_name), "success")
    return redirect(url_for("inventory.my_household"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login() -> Any:
    """Log in with a name and PIN."""
    if request.method == "GET":
        return render_template("accounts/login.html")

    member = service.authenticate(get_session(), request.form.get("username",
                                                                  ""),
                                  request.form.get("pin", ""))
    if member is None:
        flash(_("Name or PIN is not right."), "error")
        return render_template("accounts/login.html",
                               username=request.form.get("username", "")), 401

    login_user(SessionMember(member), remember=True)
    return redirect(_safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str:
    """Return a local path to go to after login, never another site."""
    if target and target.startswith("/") and not urlsplit(target).netloc \
            and not target.startswith("//"):
        return target
    return url_for("inventory.home")


@bp.post("/logout")
def logout() -> Any:
    """Log out."""
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.post("/language")
def language() -> Any:
    """Switch the language, for this browser and for the member."""
    locale = request.form.get("locale", "")
    if locale not in LOCALES:
        flash(_("Unknown language."), "error")
        return redirect(url_for("inventory.home")), 400

    cookie["locale"] = locale
    if current_user.is_authenticated:
        session = get_session()
        member = service.get_member(session, me().id)
        if member is not None:
            service.set_locale(session, member, locale)
            session.commit()
    return redirect(_safe_next(request.form.get("next")))

