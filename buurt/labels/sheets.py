"""Label sheets, single SVG labels, invite cards and drill posters.

Renderers only: they lay out what `service.py` gathered, in the locale the
caller forced (`flask_babel.force_locale`), inside an app context. The PDF
and QR libraries are imported by the renderers that draw, not here: every
page uses this module's text helpers, and those libraries would otherwise
hold about 25 MB of the serving process from its start.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from flask_babel import get_locale, gettext as _

from buurt.events import messages as event_words
from buurt.events.models import Drill
from buurt.inventory import catalogue
from buurt.labels.service import InviteCard, ItemLabel

if TYPE_CHECKING:
    from buurt.labels.pdf import Document

PAD = 2.5
PT = 0.3528  # millimetres per typographic point


@dataclasses.dataclass(frozen=True)
class Layout:
    """A sheet of self-adhesive labels, in millimetres."""

    columns: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    gap_x: float = 0.0
    gap_y: float = 0.0

    @property
    def per_page(self) -> int:
        """Return how many labels fit on one sheet."""
        return self.columns * self.rows

    def origin(self, slot: int) -> tuple[float, float]:
        """Return the top-left corner of label number `slot` on a sheet."""
        row, column = divmod(slot, self.columns)
        return (self.left + column * (self.width + self.gap_x),
                self.top + row * (self.height + self.gap_y))


# Common A4 stock: 24 labels of 70 x 36 mm, and 14 of 99.1 x 38.1 mm.
LAYOUTS = {
    "3x8": Layout(columns=3, rows=8, width=70, height=36, left=0, top=4.5),
    "2x7": Layout(columns=2, rows=7, width=99.1, height=38.1, left=4.65,
                  top=15.15, gap_x=2.5),
}
DEFAULT_LAYOUT = "3x8"


def locale_code() -> str:
    """Return the language the current renderer writes in."""
    return str(get_locale() or "nl")


def kind_name(kind: str) -> str:
    """Return a resource kind's name in the current language."""
    info = catalogue.get_kind(kind)
    return info.name(locale_code()) if info else kind


def function_name(function: str) -> str:
    """Return an essential function's name in the current language."""
    if not function:
        return ""
    return catalogue.function_name(function, locale_code())


def place_text(place: str) -> str:
    """Return "no. 7" for a bare house number, else the address as it is."""
    if place[:1].isdigit():
        return _("no. %(number)s", number=place)
    return place


def keeper_text(place: str) -> str:
    """Say where the item lives: at the keeper's house number or address."""
    return _("Kept at %(place)s", place=place_text(place)) if place else ""


def short_address(url: str) -> str:
    """Return a URL without its scheme, to print under a code."""
    return url.split("://", 1)[-1]


# Item labels -----------------------------------------------------------------

def render_item_sheet(labels: list[ItemLabel], layout: str) -> bytes:
    """Return an A4 PDF of item labels on the chosen label stock."""
    from buurt.labels.pdf import Document, to_bytes

    stock = LAYOUTS[layout]
    pdf = Document(_("Labels"), locale_code(), margins=False)
    for index, label in enumerate(labels):
        slot = index % stock.per_page
        if slot == 0:
            pdf.add_page()
        x, y = stock.origin(slot)
        draw_item_label(pdf, label, x, y, stock.width, stock.height)
    return to_bytes(pdf)


def draw_item_label(pdf: Document, label: ItemLabel, x: float, y: float,
                    width: float, height: float) -> None:
    """Draw one label: the code on the left, name and keeper on the right."""
    from buurt.labels.pdf import FONT, fit_size, wrap
    from buurt.labels.qr import draw_qr

    size = height - 2 * PAD
    draw_qr(pdf, label.url, x + PAD, y + PAD, size)
    pdf.set_draw_color(200, 200, 200)
    pdf.set_line_width(0.1)
    pdf.rect(x + 0.5, y + 0.5, width - 1, height - 1)
    pdf.set_draw_color(0, 0, 0)

    left = x + PAD + size + 1
    room = x + width - PAD - left
    cursor = y + PAD + 0.5
    for text, style, points, lines in _label_lines(label):
        pdf.set_font(FONT, style, points)
        for line in wrap(pdf, text, room, lines):
            pdf.set_xy(left, cursor)
            pdf.cell(room, points * PT * 1.25, line)
            cursor += points * PT * 1.25
        cursor += 0.6

    address = short_address(label.url)
    points = fit_size(pdf, address, room, 6, 4)
    pdf.set_font(FONT, "", points)
    pdf.set_xy(left, y + height - PAD - 3)
    pdf.cell(room, 3, address)


def _label_lines(label: ItemLabel) -> list[tuple[str, str, float, int]]:
    """Return the label's texts: (text, style, points, most lines)."""
    lines = [(label.name, "B", 9.0, 3),
             (function_name(label.function), "", 7.5, 2)]
    if label.keeper_place:
        lines.append((keeper_text(label.keeper_place), "", 8.0, 2))
    return lines


def render_item_svg(label: ItemLabel, layout: str = DEFAULT_LAYOUT) -> bytes:
    """Return one item label as an SVG drawing the size of a label."""
    from buurt.labels.pdf import FONT, Document, fit_size, wrap
    from buurt.labels.qr import qr_svg_element

    stock = LAYOUTS[layout]
    width, height = stock.width, stock.height
    root = ElementTree.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "version": "1.1",
        "width": f"{width}mm", "height": f"{height}mm",
        "viewBox": f"0 0 {width} {height}"})
    ElementTree.SubElement(root, "rect", {
        "x": "0", "y": "0", "width": str(width), "height": str(height),
        "fill": "white", "stroke": "#c8c8c8", "stroke-width": "0.1"})
    size = height - 2 * PAD
    root.append(qr_svg_element(label.url, PAD, PAD, size))

    # Line breaks are measured with the PDF's font, so both wrap alike.
    measure = Document("", locale_code(), margins=False)
    measure.add_page()
    left = PAD + size + 1
    room = width - PAD - left
    cursor = PAD + 0.5
    for text, style, points, most in _label_lines(label):
        measure.set_font(FONT, style, points)
        for line in wrap(measure, text, room, most):
            cursor += points * PT * 1.25
            _svg_text(root, line, left, cursor - 0.8, points,
                      bold=style == "B")
        cursor += 0.6
    address = short_address(label.url)
    _svg_text(root, address, left, height - PAD - 0.6,
              fit_size(measure, address, room, 6, 4))

    body: bytes = ElementTree.tostring(root, encoding="utf-8",
                                       xml_declaration=True)
    return body


def _svg_text(root: ElementTree.Element, text: str, x: float, y: float,
              points: float, bold: bool = False) -> None:
    """Add one line of text at a baseline, in millimetres."""
    element = ElementTree.SubElement(root, "text", {
        "x": f"{x:.2f}", "y": f"{y:.2f}", "font-size": f"{points * PT:.2f}",
        "font-family": "DejaVu Sans, Verdana, sans-serif",
        "font-weight": "bold" if bold else "normal"})
    element.text = text


# Invite cards ----------------------------------------------------------------

CARD_COLUMNS = 2
CARD_ROWS = 4


def render_invite_cards(cards: list[InviteCard], street: str) -> bytes:
    """Return A4 pages of invite cards, eight to a page, to cut apart."""
    from buurt.labels.pdf import Document, to_bytes

    pdf = Document(_("Invite cards"), locale_code(), margins=False)
    width = 210 / CARD_COLUMNS
    height = 297 / CARD_ROWS
    for index, card in enumerate(cards):
        slot = index % (CARD_COLUMNS * CARD_ROWS)
        if slot == 0:
            pdf.add_page()
            _cut_lines(pdf, width, height)
        row, column = divmod(slot, CARD_COLUMNS)
        _draw_card(pdf, card, street, column * width, row * height, width,
                   height)
    return to_bytes(pdf)


def _cut_lines(pdf: Document, width: float, height: float) -> None:
    """Draw dashed lines between the cards."""
    pdf.set_draw_color(170, 170, 170)
    pdf.set_line_width(0.2)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=2, gap=2)
        for column in range(1, CARD_COLUMNS):
            pdf.line(column * width, 0, column * width, 297)
        for row in range(1, CARD_ROWS):
            pdf.line(0, row * height, 210, row * height)
    pdf.set_draw_color(0, 0, 0)


def _draw_card(pdf: Document, card: InviteCard, street: str, x: float,
               y: float, width: float, height: float) -> None:
    """Draw one household's invite: words on the left, the code right."""
    from buurt.labels.pdf import FONT, wrap
    from buurt.labels.qr import draw_qr

    margin = 7.0
    size = 40.0
    draw_qr(pdf, card.url, x + width - margin - size + 2,
            y + (height - size) / 2, size)
    room = width - 2 * margin - size
    pdf.set_xy(x + margin, y + margin)

    def line(text: str, style: str = "", points: float = 9,
             most: int = 2) -> None:
        pdf.set_font(FONT, style, points)
        for part in wrap(pdf, text, room, most):
            pdf.set_x(x + margin)
            pdf.cell(room, points * PT * 1.3, part,
                     new_x="LMARGIN", new_y="NEXT")

    line(_("Join %(street)s", street=street), "B", 11)
    line(card.address, "", 9, 1)
    pdf.ln(1.5)
    line(_("Scan the code on the street's Wi-Fi, or open the address "
           "below and enter the code."), "", 7.5, 4)
    pdf.ln(1)
    line(card.code, "B", 15, 1)
    line(short_address(card.url), "", 6.5, 2)
    if card.expires_at is not None:
        line(_("Valid until %(date)s",
               date=event_words.local_time(card.expires_at)), "", 6.5, 1)


# Drill posters ---------------------------------------------------------------

def render_drill_poster(drill: Drill, url: str, street: str) -> bytes:
    """Return an A4 poster with a drill's check-in code, to hang up."""
    from buurt.labels.pdf import Document, to_bytes
    from buurt.labels.qr import draw_qr

    pdf = Document(_("Check in: %(title)s", title=drill.title),
                   locale_code(), footer=street)
    pdf.add_page()
    _centred(pdf, _("Check in here"), 30, "B")
    _centred(pdf, drill.title, 18, "B")
    _centred(pdf, str(event_words.SCENARIO_NAMES.get(drill.scenario, "")), 13)
    _centred(pdf, _("%(start)s until %(end)s",
                    start=event_words.local_time(drill.starts_at),
                    end=event_words.local_time(drill.ends_at)), 13)
    if drill.meeting_point:
        _centred(pdf, _("Meeting point: %(place)s",
                        place=drill.meeting_point), 13)

    size = 120.0
    pdf.ln(4)
    draw_qr(pdf, url, (210 - size) / 2, pdf.get_y(), size)
    pdf.set_y(pdf.get_y() + size + 4)
    _centred(pdf, _("Scan the code with your phone on the street's Wi-Fi, "
                    "or open %(address)s", address=short_address(url)), 12)
    _centred(pdf, _("Code: %(code)s", code=drill.checkin_code), 14, "B")
    return to_bytes(pdf)


def _centred(pdf: Document, text: str, points: float,
             style: str = "") -> None:
    """Print a centred paragraph across the page."""
    from buurt.labels.pdf import FONT

    pdf.set_font(FONT, style, points)
    pdf.multi_cell(pdf.epw, points * PT * 1.45, text, align="C",
                   new_x="LMARGIN", new_y="NEXT")
