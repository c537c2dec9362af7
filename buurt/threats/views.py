"""The threats page: the national picture and what it means for the street."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from buurt.accounts.auth import me, member_required
from buurt.db import get_session, utcnow
from buurt.threats import network, present, service

bp = Blueprint("threats", __name__)


@bp.get("/threats")
@member_required
def page() -> Any:
    """Show the top hubs, the age of the data and advice for the street."""
    session = get_session()
    view = present.describe(session, current_app.config["BUURT"], utcnow(),
                            me().is_coordinator)
    current = service.get_current(session)
    picture = network.layout(current.summary,
                             service.top_hubs(current.summary))
    categories = {category.id: present.name(category)
                  for category in current.summary.categories}
    return render_template("threats/page.html", view=view, picture=picture,
                           categories=categories, name=present.name)
