"""The paper neighbourhood plan: an A4 PDF for the day the node is dark.

A renderer only: `service.gather_plan()` decided what each copy may show.
Call it inside an app context with the language forced
(`flask_babel.force_locale`). Tables that run over a page repeat their
heading rows, section title included, on the next page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import gettext as _
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from buurt.events import messages as event_words
from buurt.labels.pdf import FONT, Document, to_bytes
from buurt.labels.service import Person, Plan
from buurt.labels.sheets import (function_name, kind_name, locale_code,
                                 place_text)

EMERGENCY_NUMBER = "112"
POLICE_NUMBER = "0900-8844"
HEADING = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
TITLE_ROW = FontFace(emphasis="BOLD", fill_color=(190, 190, 190))


def render_plan(plan: Plan) -> bytes:
    """Return the plan as A4 PDF bytes, in the current language."""
    title = _("Neighbourhood plan %(street)s", street=plan.street)
    made = local_date(plan.made_at)
    copy = (_("Coordinators' copy") if plan.coordinator
            else _("Street copy: no health details"))
    banner = (_("CONFIDENTIAL: coordinators only. Contains health details; "
                "do not hang up or pass on.") if plan.coordinator else "")
    pdf = Document(title, locale_code(), banner=banner,
                   footer=f"{title} · {copy} · {made}")
    pdf.add_page()

    _title(pdf, plan, title, made)
    _outage_basics(pdf, plan)
    _readiness(pdf, plan)
    _shared_items(pdf, plan)
    _agreements(pdf, plan)
    _drills(pdf, plan)
    if plan.coordinator:
        _care(pdf, plan)
    return to_bytes(pdf)


def local_date(moment: datetime) -> str:
    """Format the day of an instant in the neighbourhood's zone."""
    zone = current_app.config["BUURT"].zone
    return format_date(moment.astimezone(zone), "d MMMM y",
                       locale=locale_code())


def _title(pdf: Document, plan: Plan, title: str, made: str) -> None:
    """Print the title, the plan's date and the threat summary's date."""
    pdf.set_font(FONT, "B", 20)
    pdf.multi_cell(pdf.epw, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    summary = _("National threat summary of %(date)s.",
                date=local_date(plan.summary_issued_at))
    if plan.summary_demonstration:
        summary += " " + _("(A demonstration summary shipped with buurt; "
                           "this node has not synced yet.)")
    pdf.paragraph(_("Plan of %(date)s. Print a new one every month.",
                    date=made), size=9)
    pdf.paragraph(summary, size=9)


def _outage_basics(pdf: Document, plan: Plan) -> None:
    """Print where to go, whom to call and where to listen."""
    not_agreed = _("not agreed yet; ask your coordinator")
    rows = [
        (_("Meeting point of the street"), plan.meeting_point or not_agreed),
        (_("Emergency support point of the municipality"),
         plan.support_point or not_agreed),
        (_("Life in danger, fire, crime in progress"),
         _("Call %(number)s", number=EMERGENCY_NUMBER)),
        (_("Police, no emergency"),
         _("Call %(number)s", number=POLICE_NUMBER)),
        (_("When phones do not work"),
         _("Go to the emergency support point; it can call for help.")),
        (_("Official news during a power cut"),
         plan.news_source or _("The regional broadcaster (the calamity "
                               "station) on a battery or wind-up radio, "
                               "and NL-Alert on your phone.")),
    ]
    pdf.heading(_("When the power, water or phone network fails"))
    _table(pdf, None, [_("What"), _("Where or how")], rows, (2, 3))


def _readiness(pdf: Document, plan: Plan) -> None:
    """Print the readiness headline: the weakest function."""
    data = plan.readiness
    weakest = data["functions"][data["weakest"]]
    pdf.heading(_("How ready we are"))
    pdf.paragraph(_("Our weakest point: %(function)s, %(percent)s%% "
                    "covered.", function=function_name(data["weakest"]),
                    percent=round(weakest["coverage"] * 100)), bold=True)
    if data.get("water_days") is not None:
        pdf.paragraph(_("Our shared drinking water lasts %(days)s days for "
                        "everyone in the street.",
                        days=format_decimal(data["water_days"],
                                            locale=locale_code())))


def _shared_items(pdf: Document, plan: Plan) -> None:
    """Print the shared items, one table per essential function."""
    pdf.heading(_("What we share"))
    columns = [_("Item"), _("Number"), _("Condition"), _("Keeper"),
               _("Phone")]
    for function, items in plan.items.items():
        if not items:
            continue
        rows = [(item.name or kind_name(item.kind), str(item.quantity),
                 str(event_words.CONDITION_NAMES.get(item.condition,
                                                     item.condition)),
                 person_text(item.keeper), item.keeper.phone)
                for item in items]
        _table(pdf, function_name(function) or _("Other"), columns, rows,
               (5, 1.3, 1.7, 3.5, 2.5))
    missing = [function_name(f) for f, items in plan.items.items()
               if not items and function]
    if missing:
        pdf.paragraph(_("Nothing shared yet for: %(functions)s.",
                        functions=", ".join(missing)), size=9)


def _agreements(pdf: Document, plan: Plan) -> None:
    """Print who does what."""
    pdf.heading(_("Who does what"))
    if not plan.agreements:
        pdf.paragraph(_("No agreements recorded yet."), size=9)
        return

    rows = [(str(event_words.AGREEMENT_NAMES.get(item.kind, item.kind)),
             person_text(item.helper),
             person_text(item.household) or item.resource,
             item.description)
            for item in plan.agreements]
    _table(pdf, None, [_("Task"), _("Who"), _("For or what"),
                       _("Details")], rows, (3, 3, 3, 4))


def _drills(pdf: Document, plan: Plan) -> None:
    """Print the coming drills."""
    pdf.heading(_("Coming drills"))
    if not plan.drills:
        pdf.paragraph(_("No drills planned yet."), size=9)
        return

    rows = [(event_words.local_time(drill.starts_at), drill.title,
             str(event_words.SCENARIO_NAMES.get(drill.scenario, "")))
            for drill in plan.drills]
    _table(pdf, None, [_("When"), _("Drill"), _("Scenario")], rows,
           (3, 4, 3))


def _care(pdf: Document, plan: Plan) -> None:
    """Print who needs help and who checks on them (confidential)."""
    pdf.heading(_("Who needs help, and who checks on them (confidential)"))
    if not plan.care:
        pdf.paragraph(_("No household has told us it needs help."), size=9)
        return

    rows = []
    for entry in plan.care:
        helpers = "; ".join(
            f"{event_words.AGREEMENT_NAMES.get(helper.kind, helper.kind)}: "
            f"{person_text(helper.helper, phone=True) or helper.resource}"
            for helper in entry.helpers) or _("nobody yet")
        rows.append((entry.address, person_text(entry.contact, phone=True),
                     needs_text(entry.needs), helpers))
    _table(pdf, None, [_("Address"), _("Contact"), _("Needs"),
                       _("Who helps")], rows, (2.5, 3, 4, 4))


def person_text(person: Person, phone: bool = False) -> str:
    """Return "Pieter, no. 7", with the phone number when asked and known."""
    parts = [person.name, place_text(person.place) if person.place else ""]
    if phone:
        parts.append(person.phone)
    return ", ".join(part for part in parts if part)


def needs_text(needs: list[tuple[str, str]]) -> str:
    """Return the needs, saying a note shared by two kinds only once."""
    by_note: dict[str, list[str]] = {}
    for kind, note in needs:
        by_note.setdefault(note, []).append(
            str(event_words.NEED_NAMES.get(kind, kind)))
    return "; ".join(f"{', '.join(kinds)}: {note}" if note else
                     ", ".join(kinds) for note, kinds in by_note.items())


def _table(pdf: Document, title: str | None, columns: Sequence[str],
           rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
    """Print a table whose heading rows repeat on every page it runs over."""
    pdf.set_font(FONT, "", 8.5)
    options: dict[str, Any] = {
        "col_widths": tuple(widths), "text_align": "LEFT",
        "line_height": 4.4, "padding": (0.8, 1.2), "headings_style": HEADING,
        "repeat_headings": 1, "num_heading_rows": 2 if title else 1,
        "width": pdf.epw,
    }
    with pdf.table(**options) as table:
        if title:
            table.row().cell(title, colspan=len(columns), style=TITLE_ROW)
        heading = table.row()
        for column in columns:
            heading.cell(column)
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(3)
