"""Locale selection: the member's choice, then Accept-Language, then Dutch."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from flask import Flask, g, request
from flask_babel import Babel, get_locale

LOCALES = ("nl", "en")
DEFAULT_LOCALE = "nl"


def translations_path() -> Path:
    """Return the folder holding the compiled catalogues."""
    return Path(str(resources.files("buurt.translations")))


def select_locale() -> str:
    """Pick the locale for this request."""
    chosen = getattr(g, "buurt_locale", None)
    if chosen in LOCALES:
        return str(chosen)

    best = request.accept_languages.best_match(LOCALES)
    return best or DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the catalogues under translations/."""
    # Flask-Babel resolves a relative path against the package folder, so
    # hand it the absolute path of the shipped catalogues.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations_path())
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
