"""The catalogues are complete, compiled, and reach the pages."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from buurt.i18n import translations_path

CATALOGUES = translations_path()


def _messages(path: Path, reader: object) -> dict[object, object]:
    """Return msgid → msgstr of a catalogue, without the header."""
    with path.open("rb") as handle:
        catalogue = reader(handle)  # type: ignore[operator]
    return {_frozen(m.id): _frozen(m.string) for m in catalogue if m.id}


def _frozen(value: object) -> object:
    """Make plural forms (lists in .mo, tuples in .po) comparable."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_every_dutch_message_is_translated() -> None:
    """No msgid in the Dutch catalogue is left without its Dutch text."""
    messages = _messages(CATALOGUES / "nl/LC_MESSAGES/messages.po", read_po)
    empty = [msgid for msgid, text in messages.items()
             if not (all(text) if isinstance(text, tuple) else text)]
    assert empty == []


def test_compiled_catalogues_match_their_sources() -> None:
    """The shipped .mo files hold what the .po files say (none is stale)."""
    for language in ("nl", "en"):
        folder = CATALOGUES / language / "LC_MESSAGES"
        source = {k: v for k, v in
                  _messages(folder / "messages.po", read_po).items()
                  if (all(v) if isinstance(v, tuple) else v)}
        compiled = _messages(folder / "messages.mo", read_mo)
        stale = {msgid: text for msgid, text in compiled.items()
                 if source.get(msgid, msgid) != text}
        missing = set(source) - set(compiled)
        assert (stale, missing) == ({}, set()), language


def test_a_known_string_comes_out_in_dutch_by_default(
    client: FlaskClient,
) -> None:
    """Without a choice, the login page is Dutch and says so in <html>."""
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Inloggen" in page


def test_accept_language_english_gives_english(client: FlaskClient) -> None:
    """A phone set to English gets the English page."""
    page = client.get("/login", headers={"Accept-Language": "en-GB,en"})
    text = page.get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "Log in" in text
