"""The notice board page, and the words of each notice in the user's language.

The texts also go to the ntfy server, in the node's default language.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale, gettext as _

from buurt.accounts.auth import coordinator_required, me, member_required
from buurt.db import get_session, utcnow
from buurt.events import notices
from buurt.events.messages import local_time
from buurt.events.notice_models import Notice
from buurt.inventory import catalogue

bp = Blueprint("notices", __name__)


@bp.get("/notices")
@member_required
def board() -> Any:
    """Show the notice board: missed notices first, then the latest ones."""
    session = get_session()
    coordinator = me().is_coordinator
    missed = notices.list_missed(session, coordinator)
    latest = notices.list_board(session, coordinator)

    return render_template(
        "events/notices.html",
        missed=[(notice, notice_text(notice)) for notice in missed],
        latest=[(notice, notice_text(notice)) for notice in latest],
    )


@bp.post("/notices/missed/seen")
@coordinator_required
def missed_seen() -> Any:
    """Acknowledge the missed notices, so the board shows them once."""
    session = get_session()
    count = notices.mark_missed_seen(session, utcnow())
    session.commit()

    flash(_("%(count)s missed notice(s) marked as seen.", count=count),
          "success")
    return redirect(url_for("notices.board"))


def notice_text(notice: Notice) -> tuple[str, str]:
    """Return a notice's title and message in the current language."""
    title, when = notice.title, local_time(notice.about_at)
    if notice.kind == "remind-7d":
        return (_("Drill in one week: %(title)s", title=title),
                _("%(title)s starts on %(when)s.", title=title, when=when))
    if notice.kind == "remind-1d":
        return (_("Drill tomorrow: %(title)s", title=title),
                _("%(title)s starts on %(when)s.", title=title, when=when))
    if notice.kind == "remind-1h":
        return (_("Drill in one hour: %(title)s", title=title),
                _("%(title)s starts on %(when)s.", title=title, when=when))
    if notice.kind == "start":
        return (_("Drill started: %(title)s", title=title),
                _("%(title)s started on %(when)s. Tell the street how your "
                  "household is doing on the drill's page.",
                  title=title, when=when))
    if notice.kind == "end":
        return (_("Drill over: %(title)s", title=title),
                _("%(title)s ended on %(when)s. Thank you for taking part.",
                  title=title, when=when))
    if notice.kind == "maintenance-due":
        return (_("Check due: %(title)s", title=title),
                _maintenance_task(notice.detail))
    if notice.kind == "action-overdue":
        return (_("Improvement action overdue"), title)
    return (_("Nightly backup failed"),
            _("Reason: %(reason)s. Check the node's disk.", reason=title))


def _maintenance_task(kind_id: str) -> str:
    """Return what an item's periodic check asks, in the user's language."""
    kind = catalogue.get_kind(kind_id)
    task = kind.maintenance_task(str(get_locale() or "nl")) if kind else ""
    return task or _("Time to check that this item still works.")
