"""A4 documents in an embedded Unicode font, and small text-fitting helpers.

DejaVu Sans ships in `fonts/` (licence beside it) and is embedded as a
subset, so names such as Yıldız, Łukasz, Çelik and Ødegård print on any
printer, with no fonts needed on the Pi.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT = "DejaVu"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MARGIN = 15.0


class Document(FPDF):
    """An A4 document with a footer line and, if given, a banner per page."""

    def __init__(self, title: str, lang: str, footer: str = "",
                 banner: str = "", margins: bool = True) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(FONT_DIR / name))
        self.set_font(FONT, size=10)
        self.set_title(title)
        self.set_lang(lang)
        self.set_creator("buurt")
        self.footer_text = footer
        self.banner = banner
        margin = MARGIN if margins else 0.0
        self.set_margins(margin, margin, margin)
        self.set_auto_page_break(margins, margin=MARGIN if margins else 0)

    def header(self) -> None:
        """Print the banner (such as "confidential") at the top of a page."""
        if not self.banner:
            return

        self.set_font(FONT, "B", 9)
        self.set_text_color(160, 0, 0)
        self.set_xy(self.l_margin, 6)
        self.cell(self.epw, 5, self.banner, align="C")
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, "", 10)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        """Print the footer text and the page number at the bottom."""
        if not self.footer_text:
            return

        self.set_font(FONT, "", 7.5)
        self.set_text_color(90, 90, 90)
        self.set_xy(self.l_margin, -11)
        self.cell(self.epw * 0.8, 4, self.footer_text)
        self.cell(self.epw * 0.2, 4, f"{self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 13) -> None:
        """Print a section heading, moving to a new page if it would strand."""
        if self.will_page_break(size * 1.6):
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", size)
        self.multi_cell(self.epw, size * 0.5, text, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        self.set_font(FONT, "", 10)
        self.ln(1)

    def paragraph(self, text: str, size: float = 10, bold: bool = False,
                  height: float = 5) -> None:
        """Print a wrapped paragraph across the page width."""
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(self.epw, height, text, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        self.set_font(FONT, "", 10)


def fit_size(pdf: FPDF, text: str, width: float, size: float,
             smallest: float, style: str = "") -> float:
    """Return the largest font size, down to `smallest`, that fits `width`."""
    while size > smallest:
        pdf.set_font(FONT, style, size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 0.5
    return smallest


def wrap(pdf: FPDF, text: str, width: float, max_lines: int) -> list[str]:
    """Split `text` into lines of `width`, ending in "…" past `max_lines`."""
    lines = cast(list[str], pdf.multi_cell(width, 1, text, dry_run=True,
                                           output="LINES"))
    if len(lines) <= max_lines:
        return lines

    kept = lines[:max_lines]
    last = kept[-1]
    while last and pdf.get_string_width(last + "…") > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return kept


def to_bytes(pdf: FPDF) -> bytes:
    """Return the finished document as PDF bytes."""
    output: Any = pdf.output()
    return bytes(output)
