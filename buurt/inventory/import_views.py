"""The coordinator's spreadsheet upload: preview, confirm, review."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import (Blueprint, abort, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _, lazy_gettext as _l

from buurt.accounts.auth import coordinator_required
from buurt.db import get_session
from buurt.inventory import importer

bp = Blueprint("inventory_import", __name__)

REVIEW_KINDS = {
    "unrecognised_item": _l("Item not recognised"),
    "size_conflict": _l("Rows disagree on the number of residents"),
    "size_missing": _l("Number of residents missing"),
    "size_unclear": _l("Number of residents unclear; please check"),
    "capacity_missing": _l("Size in litres missing"),
    "consent_withdrawn": _l("Consent was withdrawn; not imported"),
}
CONSENT_TEXTS = {"contact": _l("phone number"), "health": _l("health needs")}


def review_label(kind: str) -> str:
    """Return the translated name of a kind of review item."""
    return str(REVIEW_KINDS.get(kind, kind))


def review_text(kind: str, text: str) -> str:
    """Return a review item's text, translated where it is a code."""
    if kind == "consent_withdrawn":
        return str(CONSENT_TEXTS.get(text, text))
    return text


@bp.context_processor
def review_helpers() -> dict[str, Any]:
    """Give the import templates the review labels."""
    return {"review_label": review_label, "review_text": review_text}


@bp.get("/inventory/import")
@coordinator_required
def upload() -> Any:
    """Show the upload form and the items still to review."""
    return _upload_page()


def _upload_page(error: str = "", status: int = 200) -> Any:
    """Render the upload page, with an error when there is one."""
    items = importer.list_review_items(get_session())
    return render_template("inventory/import.html", items=items,
                           error=error), status


@bp.post("/inventory/import/preview")
@coordinator_required
def preview() -> Any:
    """Check an uploaded sheet and show what importing it would do."""
    upload_file = request.files.get("file")
    data = upload_file.read() if upload_file else b""
    if not upload_file or not upload_file.filename:
        return _upload_page(_("Choose a CSV file to upload."), 400)

    try:
        report = importer.import_sheet(get_session(), data, dry_run=True)
    except importer.ImportFailure as failure:
        return _upload_page(failure.describe(_), 400)

    return render_template(
        "inventory/import_preview.html", report=report,
        filename=upload_file.filename,
        data=base64.b64encode(data).decode("ascii"))


@bp.post("/inventory/import/confirm")
@coordinator_required
def confirm() -> Any:
    """Import the sheet the coordinator previewed."""
    try:
        data = base64.b64decode(request.form.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        return _upload_page(_("The upload was damaged; upload the file "
                              "again."), 400)

    session = get_session()
    try:
        report = importer.import_sheet(session, data)
    except importer.ImportFailure as failure:
        session.rollback()
        return _upload_page(failure.describe(_), 400)
    session.commit()

    flash(_("Imported: %(created)s households created, %(merged)s merged, "
            "%(updated)s updated; %(resources)s resources recognised "
            "(%(new)s new); %(review)s items to review.",
            created=report.households_created,
            merged=report.households_merged,
            updated=report.households_updated,
            resources=report.resources_recognised,
            new=report.resources_created, review=report.items_to_review),
          "success")
    return redirect(url_for("inventory_import.upload"))


@bp.post("/inventory/import/review/<int:item_id>")
@coordinator_required
def resolve(item_id: int) -> Any:
    """Mark one review item as settled."""
    session = get_session()
    if importer.resolve_review_item(session, item_id) is None:
        abort(404)
    session.commit()

    flash(_("Marked as settled."), "success")
    return redirect(url_for("inventory_import.upload"))
