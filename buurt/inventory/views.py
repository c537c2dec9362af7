"""Pages for residents and coordinators about the street's inventory.

Residents see and change their own household, pledge what they share and
read what the street shares; coordinators see every household, record
agreements and hand out invites. Health details reach coordinators only,
and only while the household's health consent stands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from flask import (Blueprint, Response, abort, current_app, flash, redirect,
                   render_template, request, url_for)
from flask_babel import (format_date, get_locale, gettext as _,
                         lazy_gettext as _l)
from markupsafe import Markup

from buurt.accounts import service as accounts
from buurt.accounts.auth import coordinator_required, me, member_required
from buurt.accounts.views import account_message
from buurt.db import cached, get_session, utcnow
from buurt.inventory import catalogue, service
from buurt.inventory.models import (AGREEMENT_KINDS, AVAILABILITIES,
                                    CONSENT_KINDS, NEED_KINDS)
from buurt.inventory.service import InventoryError
from buurt.web import show_again

bp = Blueprint("inventory", __name__)
MAX_INVITE_DAYS = 365

AVAILABILITY_LABELS = {
    "drills": _l("during drills"),
    "outages": _l("in real outages"),
    "always": _l("always"),
}
NEED_LABELS = {
    "needs_help": _l("Needs help in an outage"),
    "power_dependent": _l("Depends on electricity for medical equipment"),
}
CONSENT_LABELS = {
    "contact": _l("Contact details: coordinators may see our name and "
                  "phone number"),
    "health": _l("Health needs: coordinators may know that we need help "
                 "or depend on electricity"),
}
AGREEMENT_LABELS = {
    "buddy": _l("Buddy"),
    "power_backup": _l("Power backup"),
    "key_holder": _l("Key holder"),
    "radio_listener": _l("Radio listener"),
    "cook": _l("Cook"),
    "other": _l("Other"),
}
SOURCE_LABELS = {
    "form": _l("form"), "import": _l("import"),
    "hackathon": _l("buurthackathon"), "review": _l("drill review"),
}
ROLE_LABELS = {"resident": _l("resident"), "coordinator": _l("coordinator")}


class TranslatedLabels(Mapping[str, str]):
    """Labels translated on first use, then kept for the rest of a page.

    A list page names the same few labels hundreds of times, and a lazy
    string looks its translation up again each time.
    """

    def __init__(self, labels: Mapping[str, Any]) -> None:
        self._labels = labels
        self._translated: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        if key not in self._translated:
            self._translated[key] = str(self._labels[key])
        return self._translated[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


def error_message(code: str) -> str:
    """Return the translated sentence for an InventoryError code."""
    messages = {
        "neighbourhood_missing": _("Run `buurt init` first."),
        "neighbourhood_name_required": _("Give the street or neighbourhood "
                                         "a name."),
        "household_not_found": _("This household does not exist (any "
                                 "more)."),
        "address_taken": _("There is already a household at this address. "
                           "Ask your coordinator for an invite to it."),
        "address_required": _("Fill in the address."),
        "bad_residents": _("The number of residents must be between 0 and "
                           "99."),
        "bad_number": _("Fill in a whole number."),
        "too_long": _("One of the texts is too long; shorten it."),
        "unknown_field": _("This field cannot be changed."),
        "member_not_found": _("Your account was not found; log in again."),
        "already_in_household": _("You already belong to a household."),
        "no_household": _("You do not belong to a household yet. Register "
                          "your household first."),
        "unknown_consent": _("Unknown kind of consent."),
        "unknown_need": _("Unknown kind of need."),
        "health_consent_required": _("Needs are only stored with consent "
                                     "for health needs. Give that consent "
                                     "first."),
        "unknown_kind": _("Choose a kind of resource from the list."),
        "name_required": _("Give the thing a name."),
        "bad_quantity": _("The number must be between 1 and 1000."),
        "bad_capacity": _("The capacity must be between 0 and 100,000."),
        "capacity_required": _("Say how many litres it holds."),
        "unknown_condition": _("Unknown condition."),
        "unknown_skill": _("Choose a kind of skill from the list."),
        "description_required": _("Describe the skill in a few words."),
        "pledge_needs_one_thing": _("A pledge is for one resource or one "
                                    "skill."),
        "unknown_availability": _("Say when it may be used: during "
                                  "drills, in real outages, or always."),
        "resource_not_found": _("This resource does not exist (any more)."),
        "skill_not_found": _("This skill does not exist (any more)."),
        "pledge_not_found": _("This pledge does not exist (any more)."),
        "unknown_agreement_kind": _("Choose a kind of agreement."),
        "unknown_source": _("Unknown source of the agreement."),
        "agreement_needs_household_id": _("Choose the household the "
                                          "agreement is for."),
        "agreement_needs_helper_household_id": _("Choose the household "
                                                 "that does it."),
        "agreement_needs_resource_id": _("Choose the resource."),
        "agreement_needs_description": _("Describe the agreement."),
        "same_household": _("A household cannot be its own helper."),
        "not_a_power_source": _("A power backup must be a power source "
                                "(generator, solar battery, power bank)."),
        "not_power_dependent": _("This household has not told us (with "
                                 "consent) that it depends on electricity "
                                 "for medical equipment."),
        "agreement_not_found": _("This agreement does not exist (any "
                                 "more)."),
        "confirm_required": _("Tick the box to confirm."),
        "bad_valid_days": _("An invite is valid for 1 to 365 days."),
    }
    return messages.get(code, _("That did not work."))


@bp.context_processor
def inventory_labels() -> dict[str, Any]:
    """Give the inventory's templates its labels and catalogue names."""
    locale = get_locale()
    language = locale.language if locale else "nl"

    def kind_name(kind_id: str) -> str:
        """Name a resource kind in the page's language."""
        kind = catalogue.get_kind(kind_id)
        return kind.name(language) if kind else kind_id

    def in_litres(kind_id: str) -> bool:
        """Tell whether a kind's capacity is litres."""
        kind = catalogue.get_kind(kind_id)
        return bool(kind and kind.in_litres)

    def function_name(function_id: str) -> str:
        """Name an essential function in the page's language."""
        return catalogue.function_name(function_id, language)

    skill_names = {s.id: s.name(language)
                   for s in catalogue.list_skill_kinds()}
    return {
        "availability_labels": TranslatedLabels(AVAILABILITY_LABELS),
        "need_labels": TranslatedLabels(NEED_LABELS),
        "consent_labels": TranslatedLabels(CONSENT_LABELS),
        "agreement_labels": TranslatedLabels(AGREEMENT_LABELS),
        "source_labels": TranslatedLabels(SOURCE_LABELS),
        "role_labels": TranslatedLabels(ROLE_LABELS),
        "skill_names": skill_names, "kind_name": kind_name,
        "function_name": function_name, "in_litres": in_litres,
    }


def _whole_number(value: str | None, default: int | None = None) -> int:
    """Read a whole number from a form field; raise InventoryError."""
    text = (value or "").strip()
    if not text and default is not None:
        return default
    try:
        return int(text)
    except ValueError:
        raise InventoryError("bad_number")


def _optional_id(value: str | None) -> int | None:
    """Read an optional id from a select; empty means none."""
    return _whole_number(value) if (value or "").strip() else None


def _refuse(error: InventoryError, target: str, **values: Any) -> Any:
    """Roll back, say what went wrong, and go back to the form."""
    get_session().rollback()
    flash(error_message(error.code), "error")
    return show_again(target, **values)


# Resident pages --------------------------------------------------------------

@bp.get("/")
def home() -> Any:
    """Show the start page: what buurt is, or where to go next."""
    neighbourhood = service.get_neighbourhood(get_session())
    return render_template("inventory/home.html", neighbourhood=neighbourhood)


@bp.get("/household")
@member_required
def my_household() -> Any:
    """Show the member's own household, consents, needs and pledges."""
    session = get_session()
    household_id = me().household_id
    if household_id is None:
        return render_template("inventory/register.html")

    household = service.get_household(session, household_id)
    consents = service.consents_of(session, [household_id])[household_id]
    return render_template(
        "inventory/household.html", household=household, consents=consents,
        consent_kinds=CONSENT_KINDS, need_kinds=NEED_KINDS,
        needs={n.kind: n for n in service.list_needs(session, household_id)},
        pledges=service.list_pledges(session, household_id),
        agreements=service.list_agreements(session, household_id),
    )


def _own_household() -> int:
    """Return the member's household id, or send them to register one."""
    household_id = me().household_id
    if household_id is None:
        flash(error_message("no_household"), "error")
        abort(redirect(url_for("inventory.my_household")))
    return household_id


@bp.post("/household/register")
@member_required
def register_household() -> Any:
    """Register the member's household at an address."""
    session = get_session()
    try:
        service.register_household(
            session, me().id, request.form.get("address", ""),
            _whole_number(request.form.get("residents"), 1))
    except InventoryError as error:
        return _refuse(error, "inventory.my_household")

    session.commit()
    flash(_("Your household is registered."), "success")
    return redirect(url_for("inventory.my_household"))


@bp.post("/household/details")
@member_required
def save_details() -> Any:
    """Save the household's number of residents and contact details."""
    session = get_session()
    try:
        service.update_household(
            session, _own_household(),
            residents=_whole_number(request.form.get("residents")),
            contact_name=request.form.get("contact_name", ""),
            phone=request.form.get("phone", ""))
    except InventoryError as error:
        return _refuse(error, "inventory.my_household")

    session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("inventory.my_household"))


@bp.post("/household/consent")
@member_required
def change_consent() -> Any:
    """Give or withdraw one kind of consent."""
    session = get_session()
    household_id = _own_household()
    kind = request.form.get("kind", "")
    try:
        if request.form.get("action") == "grant":
            service.grant_consent(session, household_id, kind)
            message = _("Consent given. You can withdraw it at any time.")
        else:
            service.withdraw_consent(session, household_id, kind)
            message = _("Consent withdrawn.")
            if kind == "health":
                message = _("Consent withdrawn; your health needs are "
                            "deleted.")
    except InventoryError as error:
        return _refuse(error, "inventory.my_household")

    session.commit()
    flash(message, "success")
    return redirect(url_for("inventory.my_household"))


@bp.post("/household/needs")
@member_required
def save_needs() -> Any:
    """Save the household's needs; only allowed with health consent."""
    session = get_session()
    needs = {kind: request.form.get(f"note_{kind}", "")
             for kind in NEED_KINDS if request.form.get(kind)}
    try:
        service.set_needs(session, _own_household(), needs)
    except InventoryError as error:
        return _refuse(error, "inventory.my_household")

    session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("inventory.my_household"))


@bp.get("/pledge")
@member_required
def pledge_form() -> Any:
    """Show the form to pledge a resource or a skill."""
    _own_household()
    return render_template("inventory/pledge.html",
                           kinds=catalogue.list_kinds(),
                           skill_kinds=catalogue.list_skill_kinds(),
                           availabilities=[(a, AVAILABILITY_LABELS[a])
                                           for a in AVAILABILITIES])


@bp.post("/pledge")
@member_required
def create_pledge() -> Any:
    """Pledge a resource or a skill for the household."""
    session = get_session()
    household_id = _own_household()
    form = request.form
    try:
        if form.get("what") == "skill":
            service.pledge_skill(
                session, household_id, form.get("skill_kind", ""),
                form.get("description", ""),
                form.get("availability", ""), form.get("note", ""))
        else:
            capacity = form.get("capacity", "").strip()
            service.pledge_resource(
                session, household_id, form.get("kind", ""),
                form.get("name", ""),
                _whole_number(form.get("quantity"), 1),
                float(_whole_number(capacity)) if capacity else None,
                form.get("availability", ""), form.get("note", ""))
    except InventoryError as error:
        return _refuse(error, "inventory.pledge_form")

    session.commit()
    flash(_("Thank you! Your pledge is saved."), "success")
    return redirect(url_for("inventory.my_household"))


@bp.post("/pledges/<int:pledge_id>/delete")
@member_required
def delete_pledge(pledge_id: int) -> Any:
    """Take back one of the household's pledges."""
    session = get_session()
    try:
        service.delete_pledge(session, _own_household(), pledge_id)
    except InventoryError as error:
        return _refuse(error, "inventory.my_household")

    session.commit()
    flash(_("Pledge taken back."), "success")
    return redirect(url_for("inventory.my_household"))


@bp.get("/shared")
@member_required
def shared() -> Any:
    """Show what the street shares, by essential function."""
    # The list is the same for every member, so it is drawn once per
    # language and kept until the data changes.
    items = cached(("shared", str(get_locale())), lambda session: Markup(
        render_template("inventory/_shared_items.html",
                        shared=service.list_shared(session))))
    return render_template("inventory/shared.html", items=items)


@bp.get("/household/export")
@member_required
def export() -> Response:
    """Download everything the node holds about the member's household."""
    data = service.export_household(get_session(), _own_household())
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition":
                 "attachment; filename=buurt-household.json"},
    )


@bp.route("/household/delete", methods=["GET", "POST"])
@member_required
def delete_data() -> Any:
    """Delete the household's data after the member confirms."""
    session = get_session()
    household_id = _own_household()
    if request.method == "GET":
        return render_template("inventory/delete.html")
    if request.form.get("confirm") != "yes":
        flash(error_message("confirm_required"), "error")
        return render_template("inventory/delete.html"), 400

    service.delete_household_data(session, household_id)
    session.commit()
    flash(_("Your household's data is deleted. Your account remains; "
            "you can register again at any time."), "success")
    return redirect(url_for("inventory.home"))


# Coordinator pages -----------------------------------------------------------

@bp.get("/inventory")
@coordinator_required
def coordinator() -> Any:
    """Show every household with its people, needs and what it shares."""
    # The same for every coordinator: drawn once per language and kept
    # until the data changes.
    key = ("inventory", str(get_locale()), request.script_root)
    cards = cached(key, lambda session: Markup(render_template(
        "inventory/_cards.html", cards=service.list_inventory(session))))
    return render_template("inventory/coordinator.html", cards=cards)


@bp.route("/inventory/neighbourhood", methods=["GET", "POST"])
@coordinator_required
def neighbourhood() -> Any:
    """Show and change where the street meets and where help is."""
    session = get_session()
    if request.method == "POST":
        try:
            service.update_neighbourhood(session, **{
                field: request.form.get(field, "")
                for field in service.NEIGHBOURHOOD_FIELDS})
        except InventoryError as error:
            session.rollback()
            flash(error_message(error.code), "error")
            return render_template(
                "inventory/neighbourhood.html",
                neighbourhood=request.form), 400

        session.commit()
        flash(_("Saved. The paper plan shows it from now on."), "success")
        return redirect(url_for("inventory.neighbourhood"), 303)

    return render_template("inventory/neighbourhood.html",
                           neighbourhood=service.get_neighbourhood(session))


@bp.post("/inventory/households")
@coordinator_required
def add_household() -> Any:
    """Add a household to the street."""
    session = get_session()
    try:
        service.create_household(
            session, request.form.get("address", ""),
            residents=_whole_number(request.form.get("residents"), 0),
            vacant=bool(request.form.get("vacant")))
    except InventoryError as error:
        return _refuse(error, "inventory.coordinator")

    session.commit()
    flash(_("Household added."), "success")
    return redirect(url_for("inventory.coordinator"))


@bp.get("/inventory/agreements")
@coordinator_required
def agreements() -> Any:
    """List the street's agreements, with a form for a new one."""
    session = get_session()
    return render_template(
        "inventory/agreements.html",
        agreements=service.list_agreements(session),
        households=service.list_households(session),
        resources=service.list_resources(session),
        kinds=AGREEMENT_KINDS,
    )


@bp.post("/inventory/agreements")
@coordinator_required
def create_agreement() -> Any:
    """Record an agreement from the form."""
    session = get_session()
    form = request.form
    try:
        service.create_agreement(
            session, form.get("kind", ""),
            household_id=_optional_id(form.get("household_id")),
            helper_household_id=_optional_id(
                form.get("helper_household_id")),
            resource_id=_optional_id(form.get("resource_id")),
            description=form.get("description", ""))
    except InventoryError as error:
        return _refuse(error, "inventory.agreements")

    session.commit()
    flash(_("Agreement saved."), "success")
    return redirect(url_for("inventory.agreements"))


@bp.post("/inventory/agreements/<int:agreement_id>/end")
@coordinator_required
def end_agreement(agreement_id: int) -> Any:
    """End an agreement that no longer stands."""
    session = get_session()
    try:
        service.end_agreement(session, agreement_id)
    except InventoryError as error:
        return _refuse(error, "inventory.agreements")

    session.commit()
    flash(_("Agreement ended."), "success")
    return redirect(url_for("inventory.agreements"))


@bp.route("/inventory/invites", methods=["GET", "POST"])
@coordinator_required
def invites() -> Any:
    """List open invites and create one for a household or a coordinator."""
    session = get_session()
    if request.method == "POST":
        form = request.form
        try:
            household_id = _optional_id(form.get("household_id"))
            if household_id is not None:
                service.get_household(session, household_id)
            valid_days = _whole_number(form.get("valid_days"), 30)
            if not 1 <= valid_days <= MAX_INVITE_DAYS:
                raise InventoryError("bad_valid_days")
            invite = accounts.create_invite(
                session, role=form.get("role", "resident"),
                household_id=household_id, created_by_id=me().id,
                note=form.get("note", ""),
                valid_days=valid_days)
        except InventoryError as error:
            return _refuse(error, "inventory.invites")
        except accounts.AccountError as error:
            session.rollback()
            flash(account_message(error.code), "error")
            return redirect(url_for("inventory.invites"))
        session.commit()
        flash(_("Invite created: %(code)s", code=invite.code), "success")
        return redirect(url_for("inventory.invites"))

    households = service.list_households(session)
    open_invites = accounts.list_invites(session)
    zone = current_app.config["BUURT"].zone
    return render_template(
        "inventory/invites.html",
        invites=open_invites, households=households,
        addresses={h.id: h.address for h in households},
        expired={i.id for i in open_invites
                 if i.expires_at is not None and i.expires_at < utcnow()},
        valid_until={i.id: format_date(i.expires_at.astimezone(zone).date())
                     for i in open_invites if i.expires_at is not None},
    )
