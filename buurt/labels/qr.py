"""QR codes that a cheap phone reads off a small label in poor light.

Every code uses error correction M (a label may be scuffed), the smallest
version that holds its text, and a quiet zone of four modules, the minimum
the QR standard asks for. Codes are drawn as vectors, so they stay sharp at
any print size.
"""

from __future__ import annotations

from xml.etree import ElementTree

import qrcode
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathFillImage

QUIET_ZONE = 4

# A 3 cm label still reads when the code stays at version 3 (29 modules):
# that is 42 bytes at level M. The tests hold the item URLs to 48 bytes,
# which a base URL like http://10.42.0.1:8080 keeps well below.
MAX_ITEM_URL = 48


def make_qr(text: str) -> qrcode.QRCode:  # type: ignore[type-arg]
    """Return the smallest level-M QR code holding `text`, quiet zone on."""
    code: qrcode.QRCode = qrcode.QRCode(  # type: ignore[type-arg]
        version=None, error_correction=ERROR_CORRECT_M, border=QUIET_ZONE,
        box_size=10,
    )
    code.add_data(text)
    code.make(fit=True)
    return code


def modules(text: str) -> list[list[bool]]:
    """Return the code's modules, quiet zone included, row by row."""
    matrix: list[list[bool]] = make_qr(text).get_matrix()
    return matrix


def draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """Draw `text` as a QR code, quiet zone included, in a square on `pdf`."""
    matrix = modules(text)
    module = size / len(matrix)

    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row, line in enumerate(matrix):
        column = 0
        while column < len(line):
            if not line[column]:
                column += 1
                continue
            start = column
            while column < len(line) and line[column]:
                column += 1
            # A hair of overlap downwards hides seams between rows when a
            # viewer smooths the edges of touching rectangles.
            pdf.rect(x + start * module, y + row * module,
                     (column - start) * module, module * 1.02, style="F")


def qr_svg_element(text: str, x: float, y: float,
                   size: float) -> ElementTree.Element:
    """Return an <svg> element drawing `text` as a QR code in a square.

    Coordinates are in the parent's user units; qrcode's SVG factory draws
    one module per unit, so the nested viewBox scales it to `size`. Tags
    carry no namespace: the caller's root declares it once.
    """
    image = make_qr(text).make_image(image_factory=SvgPathFillImage)
    root = ElementTree.fromstring(image.to_string())
    # Plain tag names: the caller's document declares the SVG namespace.
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    width = root.get("viewBox", "0 0 0 0").split()[2]
    root.attrib.update({"x": _num(x), "y": _num(y), "width": _num(size),
                        "height": _num(size),
                        "viewBox": f"0 0 {width} {width}",
                        # Touching modules without hairline seams on screen.
                        "shape-rendering": "crispEdges"})
    return root


def _num(value: float) -> str:
    """Format a coordinate without trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
