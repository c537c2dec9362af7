"""The page behind an item's QR label, and the coordinator's print pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (Blueprint, Response, abort, current_app, flash,
                   make_response, redirect, render_template, request, url_for)
from flask_babel import force_locale, get_locale, gettext as _
from flask_login import current_user

from buurt import db
from buurt.accounts.auth import coordinator_required, me, member_required
from buurt.config import Settings
from buurt.events import reservations
from buurt.events import service as events
from buurt.events.service import EventError
from buurt.i18n import LOCALES
from buurt.inventory import catalogue
from buurt.labels import output, service, sheets
from buurt.labels.sheets import DEFAULT_LAYOUT, LAYOUTS

bp = Blueprint("labels", __name__)


def settings() -> Settings:
    """Return this node's settings."""
    result: Settings = current_app.config["BUURT"]
    return result


def label_message(code: str) -> str:
    """Return the translated sentence for a LabelError code."""
    messages = {
        "note_required": _("Say in a few words what is wrong."),
        "too_long": _("That is too long: at most %(limit)s characters.",
                      limit=service.MAX_PROBLEM_NOTE),
        "not_found": _("This item does not exist (any more)."),
        "notes_full": _("This item's notes are full. Tell your coordinator "
                        "in person, please."),
        "unknown_kind": _("There is no such kind of item."),
        "unknown_layout": _("Choose one of the label sheets."),
        "unknown_language": _("Choose Dutch or English."),
        "nothing_to_print": _("There is nothing to print yet: add or "
                              "import the street's shared items first."),
        "no_households": _("There are no occupied households yet: import "
                           "the street's sheet first."),
    }
    return messages.get(code, _("That did not work."))


# The page behind a label -----------------------------------------------------

@bp.get("/r/<token>")
def item(token: str) -> Any:
    """Show what a scanned item is; members see its keeper and buttons."""
    return _item_page(token)


def _item_page(token: str, status: int = 200) -> Any:
    """Render an item's page as a stranger or a member may see it."""
    session = db.get_session()
    page = service.get_item_page(session, token)
    if page is None:
        abort(404)

    locale = str(get_locale())
    kind = catalogue.get_kind(page.resource.kind)
    kind_name = kind.name(locale) if kind else page.resource.kind
    if not current_user.is_authenticated:
        return render_template("labels/item_stranger.html",
                               kind_name=kind_name), status

    return render_template(
        "labels/item.html", page=page, token=token, kind_name=kind_name,
        function_name=catalogue.function_name(page.function, locale),
        loan=reservations.open_loan(session, page.resource.id or 0),
        note_limit=service.MAX_PROBLEM_NOTE), status


@bp.post("/r/<token>/problem")
@member_required
def report_problem(token: str) -> Any:
    """Record a member's report that something is wrong with an item."""
    session = db.get_session()
    resource = service.get_resource_by_token(session, token)
    if resource is None:
        abort(404)

    try:
        service.report_problem(session, resource.id or 0,
                               request.form.get("note", ""),
                               reporter=me().display_name, today=_today())
    except service.LabelError as error:
        session.rollback()
        flash(label_message(error.code), "error")
        return _item_page(token, status=400)

    session.commit()
    flash(_("Thank you. The coordinators will see your report."), "success")
    return redirect(url_for("labels.item", token=token)), 303


# The coordinator's print pages -----------------------------------------------

@bp.get("/labels")
@coordinator_required
def index() -> str:
    """Show what can be printed: item labels, invite cards, posters."""
    return _index_page()


def _index_page() -> str:
    """Render the print page."""
    session = db.get_session()
    return render_template(
        "labels/index.html",
        labels=service.list_item_labels(session, settings().base_url),
        kinds=[(k.id, k.name(str(get_locale())))
               for k in catalogue.list_kinds()],
        layouts=list(LAYOUTS), default_layout=DEFAULT_LAYOUT,
        layout_names={"3x8": _("24 labels of 70 × 36 mm (3 × 8)"),
                      "2x7": _("14 labels of 99.1 × 38.1 mm (2 × 7)")},
        drills=[d for d in events.list_drills(session, upcoming_only=True)
                if not d.cancelled],
        base_url=settings().base_url)


@bp.get("/labels/sheet.pdf")
@coordinator_required
def sheet() -> Any:
    """Send an A4 sheet of item labels, for all items or one kind."""
    layout = request.args.get("layout", DEFAULT_LAYOUT)
    kind = request.args.get("kind") or None
    lang = _chosen_language()
    if layout not in LAYOUTS:
        return _refuse("unknown_layout")

    session = db.get_session()
    try:
        labels = output.item_labels(session, settings(), kind)
    except service.LabelError as error:
        return _refuse(error.code)

    with force_locale(lang):
        data = sheets.render_item_sheet(labels, layout)
    return _download(data, output.dated_name("labels", "pdf", _today()))


@bp.get("/labels/<token>.svg")
@coordinator_required
def single_label(token: str) -> Any:
    """Send one item's label as an SVG drawing."""
    layout = request.args.get("layout", DEFAULT_LAYOUT)
    if layout not in LAYOUTS:
        return _refuse("unknown_layout")

    label = service.get_item_label(db.get_session(), settings().base_url,
                                   token)
    if label is None:
        abort(404)

    with force_locale(_chosen_language()):
        data = sheets.render_item_svg(label, layout)
    return _download(data, f"label-{label.token}.svg", "image/svg+xml")


@bp.post("/labels/invites.pdf")
@coordinator_required
def invite_cards() -> Any:
    """Send an invite card for every household, creating missing codes."""
    session = db.get_session()
    try:
        with force_locale(_chosen_language()):
            data = output.invite_cards(session, settings(), me().id)
    except service.LabelError as error:
        session.rollback()
        return _refuse(error.code)

    session.commit()
    return _download(data, output.dated_name("invite-cards", "pdf",
                                             _today()))


@bp.get("/labels/drills/<int:drill_id>/poster.pdf")
@coordinator_required
def drill_poster(drill_id: int) -> Any:
    """Send the check-in poster of a drill."""
    session = db.get_session()
    try:
        drill = events.get_drill(session, drill_id)
    except EventError:
        abort(404)

    with force_locale(_chosen_language()):
        data = output.drill_poster(session, settings(), drill)
    return _download(data, f"check-in-{drill.checkin_code}.pdf")


# The paper plan --------------------------------------------------------------

@bp.get("/plan")
@member_required
def plan_page() -> str:
    """Offer the paper plan as a file to keep on the phone or to print."""
    return render_template("labels/plan.html")


@bp.get("/plan/street.pdf")
@member_required
def street_plan() -> Any:
    """Send the street's copy of the plan: no health details."""
    return _plan(coordinator=False)


@bp.get("/plan/coordinator.pdf")
@coordinator_required
def coordinator_plan() -> Any:
    """Send the coordinators' confidential copy of the plan."""
    return _plan(coordinator=True)


def _plan(coordinator: bool) -> Any:
    """Render and send one copy of the plan in the chosen language."""
    lang = _chosen_language()
    session = db.get_session()
    with force_locale(lang):
        data = output.plan(session, settings(), coordinator)

    response = _download(data, output.plan_name(coordinator, _today()))
    if coordinator:
        response.headers["Cache-Control"] = "no-store"
    return response


# Helpers ---------------------------------------------------------------------

def _today() -> date:
    """Return today's date in the neighbourhood."""
    return db.utcnow().astimezone(settings().zone).date()


def _chosen_language() -> str:
    """Return the ?lang= asked for, else the page's language; 400 if odd."""
    lang = request.args.get("lang") or request.form.get("lang") or str(
        get_locale())
    if lang not in LOCALES:
        abort(make_response(render_template(
            "error.html", status=400,
            message=label_message("unknown_language")), 400))
    return lang


def _refuse(code: str) -> Any:
    """Show the print page again, saying what was wrong, with a 400."""
    flash(label_message(code), "error")
    return _index_page(), 400


def _download(data: bytes, filename: str,
              mimetype: str = "application/pdf") -> Response:
    """Answer with a file to save, under a name that carries its date."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename}"')
    return response

