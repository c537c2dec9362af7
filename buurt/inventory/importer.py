"""Import the coordinator's spreadsheet (CSV) into the street's inventory.

Two steps keep a failed import from changing anything. `parse_csv()` reads
and checks the whole file without touching the database, and raises
`ImportFailure` naming the line and the problem. `import_sheet()` then
compares the sheet with what is stored and writes the differences through
the inventory service; it flushes, and the caller commits once.

Rows for one address are merged; households are matched by address key,
resources by keeper, kind and the item's normalised words, so importing
the same file twice creates nothing new. An import adds and updates; it
never deletes what a later sheet no longer mentions.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import re
from collections import Counter, defaultdict
from typing import Any, Callable, Iterator

from sqlmodel import Session, col, select

from buurt.inventory import catalogue, service
from buurt.inventory.models import (Consent, Household, ReviewItem,
                                    Resource, Skill)

logger = logging.getLogger(__name__)

MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
LIMITS = {"address": 120, "contact": 120, "phone": 40, "item": 120,
          "skill": 200, "needs": 300, "notes": 500}

# Header names per column, compared without case, spaces or punctuation.
COLUMNS: dict[str, tuple[str, ...]] = {
    "address": ("adres", "address", "straatadres", "huisadres", "straat",
                "straat en huisnummer", "straat + huisnummer", "woning",
                "street address", "home address", "street"),
    "residents": ("personen", "aantal personen", "bewoners",
                  "aantal bewoners", "huishouden", "gezinsgrootte",
                  "grootte huishouden", "aantal", "residents", "persons",
                  "people", "household size", "number of residents",
                  "number of people", "occupants", "size"),
    "contact": ("contactpersoon", "contact", "naam", "namen", "bewoner",
                "contact person", "contact name", "name", "names"),
    "phone": ("telefoon", "telefoonnummer", "tel", "tel nr", "telnr",
              "mobiel", "mobiel nummer", "gsm", "phone", "phone number",
              "telephone", "mobile", "mobile number"),
    "items": ("wil delen", "delen", "deelt", "kan delen", "wat wil je delen",
              "spullen", "spullen om te delen", "middelen", "gedeeld",
              "share", "shares", "will share", "willing to share",
              "items", "items to share", "resources", "things to share"),
    "skills": ("vaardigheden", "vaardigheid", "kan helpen met", "kunde",
               "beroep", "expertise", "skills", "skill", "can help with",
               "profession"),
    "needs": ("extra hulp nodig bij uitval", "extra hulp nodig",
              "hulp nodig bij uitval", "hulp nodig", "extra hulp",
              "zorgbehoefte", "kwetsbaar", "needs help",
              "needs extra help", "help needed",
              "extra help needed during outage", "extra help needed",
              "needs"),
    "notes": ("opmerkingen", "opmerking", "notities", "notitie",
              "toelichting", "notes", "note", "remarks", "comments"),
}
REQUIRED = ("address", "residents")

# Cell contents that mean "nothing", compared as bare letters and digits.
NOTHING = {"", "nee", "no", "geen", "niets", "niks", "none", "nothing",
           "nvt", "na", "niet"}
VACANT = {"nvt", "na", "leeg", "leegstand", "onbewoond", "vacant", "empty",
          "unoccupied", "0"}
# Words in the "extra help" column that show dependence on electricity.
POWER_WORDS = ("stroom", "elektri", "electri", "zuurstof", "dialyse",
               "beademing", "cpap", "apneu", "power", "oxygen", "dialysis",
               "ventilator", "respirator", "medische apparatuur",
               "medical equipment")
# What a spreadsheet would run as a formula; such text is kept inert.
FORMULA_STARTS = ("=", "+", "-", "@")
_NUMBER_LIKE = re.compile(r"[+\-]?[\d\s().\-/]+")
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
    rb"|[\xf0-\xf4][\x80-\xbf]{3}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def N_(message: str) -> str:
    """Mark a message for translation; the page translates it when shown."""
    return message


LINE_MESSAGE = N_("Line %(line)s: %(problem)s")
FAILURES = {
    "empty": N_("the file is empty."),
    "too_large": N_("the file is larger than %(limit)s bytes; split it or "
                    "leave out columns that are not needed."),
    "workbook": N_("this is an Excel workbook, not CSV. In Excel choose "
                   "'Save as' and 'CSV UTF-8 (comma delimited)'."),
    "utf16": N_("the file is saved as UTF-16. Save it again as "
                "'CSV UTF-8'."),
    "binary": N_("this is not a text file. Save the sheet as CSV."),
    "encoding": N_("byte %(byte)s is neither UTF-8 nor Windows-1252. Save "
                   "the sheet as 'CSV UTF-8'."),
    "mixed_encoding": N_("the file mixes UTF-8 with another encoding (byte "
                         "%(byte)s). Save the sheet again as 'CSV UTF-8'."),
    "no_separator": N_("cannot tell how the columns are separated; use "
                       "semicolons or commas."),
    "bad_quotes": N_("a quote is not closed or stands in the wrong place "
                     "(%(detail)s)."),
    "missing_column": N_("there is no %(column)s column. Found: "
                         "%(found)s."),
    "duplicate_column": N_("the columns '%(first)s' and '%(second)s' both "
                           "mean %(column)s; remove one."),
    "too_many_cells": N_("this row has %(cells)s cells, but the header has "
                         "%(columns)s columns; is a separator or a quote "
                         "missing?"),
    "missing_address": N_("the address is empty."),
    "bad_size": N_("cannot read the number of residents '%(value)s'; write "
                   "a number such as 3 or '2 volw + 1 kind'."),
    "absurd_size": N_("%(value)s residents in one household is not "
                      "believable (at most %(limit)s)."),
    "too_long": N_("the %(column)s is longer than %(limit)s characters."),
    "bad_quantity": N_("the quantity or size of '%(item)s' is not "
                       "believable."),
    "no_households": N_("the header is there, but no households follow."),
    "too_many_rows": N_("the sheet has more than %(limit)s rows."),
}
COLUMN_NAMES = {"address": N_("address"), "residents": N_("residents"),
                "contact": N_("contact person"), "phone": N_("phone number"),
                "items": N_("item"), "skills": N_("skill"),
                "needs": N_("help needed"), "notes": N_("notes")}

Translate = Callable[..., str]


def _english(message: str, **params: Any) -> str:
    """Fill a message's parameters without translating it."""
    return message % params if params else message


class ImportFailure(ValueError):
    """The sheet cannot be imported; nothing was changed.

    `line` is the line of the file (1 = the header), `code` a key of
    FAILURES, `params` the values its message needs.
    """

    def __init__(self, line: int, code: str,
                 params: dict[str, Any] | None = None) -> None:
        self.line = line
        self.code = code
        self.params = params or {}
        super().__init__(self.describe())

    def describe(self, translate: Translate = _english) -> str:
        """Say the line and the problem, through `translate` (gettext)."""
        params = dict(self.params)
        if "column" in params:
            params["column"] = translate(COLUMN_NAMES.get(
                params["column"], params["column"]))
        problem = translate(FAILURES[self.code], **params)
        return translate(LINE_MESSAGE, line=self.line, problem=problem)


# The parsed sheet ------------------------------------------------------------

@dataclasses.dataclass
class SheetItem:
    """A resource recognised in the "wil delen" column."""

    kind: str
    quantity: int
    capacity: float | None
    name: str
    source_text: str


@dataclasses.dataclass
class SheetReview:
    """Something the coordinator should look at, from one line."""

    kind: str
    text: str
    line: int


@dataclasses.dataclass
class SheetHousehold:
    """One address, merged from every row that names it."""

    address: str
    address_key: str
    lines: list[int]
    residents: int | None = None
    vacant: bool = False
    contact_name: str = ""
    phone: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)
    items: dict[tuple[str, float | None], SheetItem] = dataclasses.field(
        default_factory=dict)
    skills: dict[tuple[str, str], str] = dataclasses.field(
        default_factory=dict)
    needs: list[str] = dataclasses.field(default_factory=list)
    power_dependent: bool = False
    reviews: list[SheetReview] = dataclasses.field(default_factory=list)

    @property
    def need_note(self) -> str:
        """Return the needs of every row as one note."""
        return "; ".join(self.needs)


@dataclasses.dataclass
class ParsedSheet:
    """A whole sheet, read and checked, not yet stored."""

    encoding: str
    delimiter: str
    columns: dict[str, str]
    ignored_columns: list[str]
    rows_read: int
    cells_neutralised: int
    households: list[SheetHousehold]


# Reading the file ------------------------------------------------------------

def parse_csv(data: bytes) -> ParsedSheet:
    """Read a whole sheet; raise ImportFailure at the first problem."""
    text, encoding = _decode(data)
    delimiter = _sniff(text)
    records = _records(text, delimiter)

    try:
        header_line, header = next(records)
    except StopIteration:
        raise ImportFailure(1, "empty")
    columns, ignored = _map_header(header, header_line)

    households: dict[str, SheetHousehold] = {}
    counter = Counter[str]()
    for line, cells in records:
        counter["rows"] += 1
        if counter["rows"] > MAX_ROWS:
            raise ImportFailure(line, "too_many_rows", {"limit": MAX_ROWS})
        _read_row(line, _fit(line, cells, len(header)), columns, households,
                  counter)
    if not households:
        raise ImportFailure(header_line + 1, "no_households")

    return ParsedSheet(
        encoding=encoding, delimiter=delimiter,
        columns={name: header[index].strip()
                 for name, index in columns.items()},
        ignored_columns=ignored, rows_read=counter["rows"],
        cells_neutralised=counter["neutralised"],
        households=list(households.values()),
    )


def _decode(data: bytes) -> tuple[str, str]:
    """Return the text and its encoding; refuse what is not text.

    Only UTF-8 (with or without a byte order mark) and Windows-1252 are
    tried: those are what Excel and LibreOffice write for a CSV.
    """
    if not data.strip():
        raise ImportFailure(1, "empty")
    if len(data) > MAX_BYTES:
        raise ImportFailure(1, "too_large", {"limit": MAX_BYTES})
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ImportFailure(1, "workbook")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (
            len(data) > 3 and b"\x00" in data[:4]
            and max(data[0::2].count(0), data[1::2].count(0)) * 3
            > len(data)):
        raise ImportFailure(1, "utf16")
    if b"\x00" in data:
        raise ImportFailure(_line_at(data, data.index(b"\x00")), "binary")

    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        byte = f"0x{data[utf8_error.start]:02X}"
        if _UTF8_SEQUENCE.search(data):
            raise ImportFailure(_line_at(data, utf8_error.start),
                                "mixed_encoding", {"byte": byte})
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError as error:
            raise ImportFailure(_line_at(data, error.start), "encoding",
                                {"byte": f"0x{data[error.start]:02X}"})

    if not text.strip():
        raise ImportFailure(1, "empty")
    control = _CONTROL.search(text)
    if control:
        raise ImportFailure(text.count("\n", 0, control.start()) + 1,
                            "binary")
    return text, encoding


def _line_at(data: bytes, offset: int) -> int:
    """Return the line number of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


def _sniff(text: str) -> str:
    """Return the column separator, as the standard library guesses it.

    The sniffer wants rows that agree; when a broken row in the first
    twenty spoils that, the header line alone decides, so that the row
    itself is refused later with its own line number.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    for sample in ("\n".join(lines[:20]), lines[0]):
        try:
            return csv.Sniffer().sniff(sample, delimiters=";,").delimiter
        except csv.Error:
            continue
    raise ImportFailure(1, "no_separator")


def _records(text: str,
             delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line, cells) for each record that is not blank."""
    # A cell may be as long as the whole file allows; the length checks
    # per column then say which cell is too long, in the user's language.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        quotechar='"', doublequote=True, strict=True)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFailure(reader.line_num, "bad_quotes",
                                {"detail": str(error)})
        start, line = line, reader.line_num + 1
        if any(cell.strip() for cell in cells):
            yield start, cells


def _header_key(text: str) -> str:
    """Return a header name without case, parentheses or punctuation."""
    text = re.sub(r"\([^)]*\)", " ", catalogue.normalise(text))
    return re.sub(r"[^a-z0-9]", "", text)


_HEADERS = {_header_key(alias): name
            for name, aliases in COLUMNS.items() for alias in aliases}


def _map_header(header: list[str],
                line: int) -> tuple[dict[str, int], list[str]]:
    """Return column name to cell index, and the headers not used."""
    columns: dict[str, int] = {}
    ignored = []
    for index, cell in enumerate(header):
        name = _HEADERS.get(_header_key(cell))
        if name is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if name in columns:
            raise ImportFailure(line, "duplicate_column", {
                "column": name, "first": header[columns[name]].strip(),
                "second": cell.strip()})
        columns[name] = index

    for name in REQUIRED:
        if name not in columns:
            found = ", ".join(c.strip() for c in header if c.strip())
            raise ImportFailure(line, "missing_column",
                                {"column": name, "found": found[:200]})
    return columns, ignored


def _fit(line: int, cells: list[str], width: int) -> list[str]:
    """Pad a short row; refuse one with more filled cells than columns."""
    used = max(i for i, cell in enumerate(cells) if cell.strip()) + 1
    if used > width:
        raise ImportFailure(line, "too_many_cells",
                            {"cells": used, "columns": width})
    return (cells + [""] * width)[:width]


# Reading one row -------------------------------------------------------------

def _bare(text: str) -> str:
    """Return only the letters and digits of a cell, for word lists."""
    return re.sub(r"[^a-z0-9]", "", catalogue.normalise(text))


def _cell(raw: str, counter: Counter[str]) -> tuple[str, bool]:
    """Return a cell's text, and whether it was neutralised.

    A cell a spreadsheet would run as a formula keeps its text behind a
    leading apostrophe, so that no later export or print can run it.
    Numbers (and phone numbers such as +31 6 …) stay as they are.
    """
    text = " ".join(raw.split())
    risky = raw[:1] in ("\t", "\r") or text.startswith(FORMULA_STARTS)
    if not risky or _bare(text) == "" or _NUMBER_LIKE.fullmatch(text):
        return text, False
    counter["neutralised"] += 1
    return "'" + text, True


def _read_row(line: int, cells: list[str], columns: dict[str, int],
              households: dict[str, SheetHousehold],
              counter: Counter[str]) -> None:
    """Read one row into the household of its address."""
    values: dict[str, tuple[str, bool]] = {
        name: _cell(cells[index], counter)
        for name, index in columns.items()}
    text = {name: value for name, (value, _) in values.items()}
    neutral = {name: flag for name, (_, flag) in values.items()}
    for name in ("address", "contact", "phone", "notes"):
        _check_length(line, name, text.get(name, ""))

    address = text["address"]
    if _bare(address) in NOTHING and not neutral["address"]:
        raise ImportFailure(line, "missing_address")
    key = service.address_key(address)
    household = households.setdefault(
        key, SheetHousehold(address=address, address_key=key, lines=[]))
    household.lines.append(line)

    _read_size(line, text["residents"], neutral["residents"], household)
    for name, target in (("contact", "contact_name"), ("phone", "phone")):
        value = text.get(name, "")
        if _bare(value) not in NOTHING and not getattr(household, target):
            setattr(household, target, value)
    note = text.get("notes", "")
    if _bare(note) not in NOTHING and note not in household.notes:
        household.notes.append(note)
        _check_length(line, "notes", "; ".join(household.notes))

    _read_items(line, text.get("items", ""), neutral.get("items", False),
                household, counter)
    _read_skills(line, text.get("skills", ""), neutral.get("skills", False),
                 household, counter)
    _read_needs(line, text.get("needs", ""), household)


def _check_length(line: int, column: str, value: str) -> None:
    """Refuse a cell longer than its field can hold."""
    if len(value) > LIMITS[column]:
        raise ImportFailure(line, "too_long",
                            {"column": column, "limit": LIMITS[column]})


def _read_size(line: int, cell: str, neutralised: bool,
               household: SheetHousehold) -> None:
    """Read the number of residents; flag a missing or differing one."""
    if _bare(cell) == "" and not neutralised:
        if household.residents is None and not household.vacant:
            household.reviews.append(SheetReview("size_missing", "", line))
        return

    if _bare(cell) in VACANT:
        residents = 0
    else:
        residents, unclear = _count_residents(line, cell)
        if unclear:
            household.reviews.append(SheetReview("size_unclear", cell, line))
    if household.residents is None and not household.vacant:
        household.residents, household.vacant = residents, residents == 0
        household.reviews = [r for r in household.reviews
                             if r.kind != "size_missing"]
        return

    earlier = household.residents or 0
    if residents != earlier:
        household.reviews.append(SheetReview(
            "size_conflict", f"{earlier} / {residents}", line))
        # Plan for the larger household until the coordinator settles it.
        household.residents = max(earlier, residents)
        household.vacant = household.residents == 0


def _count_residents(line: int, cell: str) -> tuple[int, bool]:
    """Read "3", "drie" or "2 volw + 1 kind" as a number of residents.

    Also say whether the cell held words that are not about people
    ("3 honden"), so the coordinator checks the count.
    """
    value = cell.removeprefix("'")[:40]
    words = re.sub(r"\([^)]*\)", " ", catalogue.normalise(cell))
    if cell.lstrip().startswith(("-", "\u2212", "'")):
        raise ImportFailure(line, "bad_size", {"value": value})
    if re.search(r"\d\s*[.,]\s*\d", words):
        raise ImportFailure(line, "bad_size", {"value": value})
    unclear = any(word not in PEOPLE_WORDS and word not in
                  catalogue.NUMBER_WORDS
                  for word in re.findall(r"[a-z]+", words))

    number = rf"\d+|{'|'.join(catalogue.NUMBER_WORDS)}"
    total, counted = 0, False
    for term in re.split(r"\+|,|&|\ben\b|\band\b", words):
        term = term.strip()
        found = re.fullmatch(rf"({number})(?:\s+[a-z .']*)?", term)
        if found:
            total += int(catalogue.NUMBER_WORDS.get(found.group(1))
                         or found.group(1))
            counted = True
        elif term and not re.fullmatch(r"[a-z .']+", term):
            raise ImportFailure(line, "bad_size", {"value": value})
        elif term:
            total += 1  # "2 volw + kind": a person without a number is one
    if not counted:
        raise ImportFailure(line, "bad_size", {"value": value})
    if total > service.MAX_RESIDENTS:
        raise ImportFailure(line, "absurd_size",
                            {"value": total, "limit": service.MAX_RESIDENTS})
    return total, unclear


# Words that count people in a household size; anything else ("honden",
# "half") sends the size to the coordinator's review.
PEOPLE_WORDS = frozenset((
    "volw", "volwassen", "volwassene", "volwassenen", "kind", "kinderen",
    "kids", "baby", "babys", "peuter", "tiener", "tieners", "pers",
    "persoon", "personen", "mensen", "bewoner", "bewoners", "man", "vrouw",
    "opa", "oma", "en", "adult", "adults", "child", "children", "person",
    "persons", "people", "and",
))


def _split(cell: str) -> list[str]:
    """Split a cell at commas, semicolons and line breaks outside (…)."""
    parts, depth, current = [], 0, ""
    for char in cell:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char in ",;\n" and depth <= 0:
            parts.append(current)
            current, depth = "", 0
        else:
            current += char
    parts.append(current)
    return [" ".join(p.split()) for p in parts
            if _bare(p) not in NOTHING]


def _split_neutralised(cell: str, neutralised: bool,
                       counter: Counter[str]) -> list[tuple[str, bool]]:
    """Split a cell into parts, neutralising each part that is a formula.

    A whole-cell formula stays whole; a formula after a comma ("radio,
    =cmd|…") is caught here, because each part is stored on its own.
    """
    if neutralised:
        return [(cell, True)]
    return [_cell(part, counter) for part in _split(cell)]


def _read_items(line: int, cell: str, neutralised: bool,
                household: SheetHousehold, counter: Counter[str]) -> None:
    """Recognise the shared items; keep the others for review."""
    if _bare(cell) in NOTHING and not neutralised:
        return

    for item, risky in _split_neutralised(cell, neutralised, counter):
        _check_length(line, "item", item)
        # A formula is not an item: keep it for review, never match it.
        matches = [] if risky else catalogue.match_item(item)
        if not matches:
            _add_review(household, SheetReview("unrecognised_item", item,
                                               line))
        for match in matches:
            _add_item(line, item, match, household)


def _add_item(line: int, item: str, match: catalogue.ItemMatch,
              household: SheetHousehold) -> None:
    """Add one recognised resource; the same one twice counts once."""
    capacity = match.capacity
    if (match.quantity > service.MAX_QUANTITY
            or (capacity is not None and capacity > service.MAX_CAPACITY)):
        raise ImportFailure(line, "bad_quantity", {"item": item[:60]})
    if match.kind.in_litres and capacity is None:
        _add_review(household, SheetReview("capacity_missing", item, line))

    key = (match.kind.id, capacity)
    earlier = household.items.get(key)
    if earlier is not None:
        earlier.quantity = max(earlier.quantity, match.quantity)
        return
    household.items[key] = SheetItem(
        kind=match.kind.id, quantity=match.quantity, capacity=capacity,
        name=item, source_text=catalogue.normalise(item))


def _add_review(household: SheetHousehold, review: SheetReview) -> None:
    """Keep a review item once per household, kind and text."""
    if not any(r.kind == review.kind and r.text == review.text
               for r in household.reviews):
        household.reviews.append(review)


def _read_skills(line: int, cell: str, neutralised: bool,
                 household: SheetHousehold, counter: Counter[str]) -> None:
    """Read the skills, each with its kind from the skill catalogue."""
    if _bare(cell) in NOTHING and not neutralised:
        return
    for skill, risky in _split_neutralised(cell, neutralised, counter):
        _check_length(line, "skill", skill)
        kind = "other" if risky else catalogue.match_skill(skill)
        household.skills.setdefault(
            (kind, catalogue.normalise(skill)), skill)


def _read_needs(line: int, cell: str, household: SheetHousehold) -> None:
    """Read the extra help a household needs in an outage."""
    if _bare(cell) in NOTHING:
        return
    if cell not in household.needs:
        household.needs.append(cell)
    _check_length(line, "needs", household.need_note)
    words = catalogue.normalise(cell)
    if any(word in words for word in POWER_WORDS):
        household.power_dependent = True


def sheet_figures(sheet: ParsedSheet) -> dict[str, Any]:
    """Return the street's figures as the sheet alone gives them."""
    occupied = [h for h in sheet.households if not h.vacant]
    units: Counter[str] = Counter()
    litres: defaultdict[str, float] = defaultdict(float)
    for household in sheet.households:
        for item in household.items.values():
            units[item.kind] += item.quantity
            litres[item.kind] += item.quantity * (item.capacity or 0)

    return {
        "addresses": len(sheet.households),
        "occupied_households": len(occupied),
        "residents": sum(h.residents or 0 for h in occupied),
        "needs_help": sum(1 for h in occupied if h.needs),
        "power_dependent": sum(1 for h in occupied
                               if h.needs and h.power_dependent),
        "water_litres": catalogue.drinkable_litres(
            litres, units["water_filter"]),
        "resources": dict(sorted(units.items())),
    }


# Storing the sheet -----------------------------------------------------------

@dataclasses.dataclass
class ReviewNote:
    """One line of the report's list of things to review."""

    line: int
    address: str
    kind: str
    text: str


@dataclasses.dataclass
class ImportReport:
    """What an import read, created, merged and left to review."""

    dry_run: bool
    encoding: str
    delimiter: str
    rows_read: int = 0
    addresses: int = 0
    households_created: int = 0
    households_merged: int = 0
    households_updated: int = 0
    resources_recognised: int = 0
    resources_created: int = 0
    resources_updated: int = 0
    skills_created: int = 0
    items_to_review: int = 0
    cells_neutralised: int = 0
    ignored_columns: list[str] = dataclasses.field(default_factory=list)
    review: list[ReviewNote] = dataclasses.field(default_factory=list)
    figures: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class _Stored:
    """What the database already holds, loaded in a fixed few queries."""

    households: dict[str, Household]
    resources: dict[tuple[int, str, str], Resource]
    resources_by_size: dict[tuple[int, str, float | None], list[Resource]]
    skills: set[tuple[int, str, str]]
    consents: dict[tuple[int, str], str]
    reviews: set[tuple[int | None, str, str]]


def import_sheet(session: Session, data: bytes,
                 dry_run: bool = False) -> ImportReport:
    """Import a sheet into the inventory; with dry_run, only report.

    Raises ImportFailure before anything is written. Flushes; the caller
    commits.
    """
    sheet = parse_csv(data)
    stored = _load(session)
    report = ImportReport(
        dry_run=dry_run, encoding=sheet.encoding, delimiter=sheet.delimiter,
        rows_read=sheet.rows_read, addresses=len(sheet.households),
        cells_neutralised=sheet.cells_neutralised,
        ignored_columns=sheet.ignored_columns, figures=sheet_figures(sheet))

    for household in sheet.households:
        _import_household(session, household, stored, report, dry_run)
    if not dry_run:
        session.flush()

    logger.info(
        "import%s: %d rows, %d households created, %d merged, %d updated, "
        "%d resources recognised (%d new), %d to review, %d cells "
        "neutralised", " (dry run)" if dry_run else "", report.rows_read,
        report.households_created, report.households_merged,
        report.households_updated, report.resources_recognised,
        report.resources_created, report.items_to_review,
        report.cells_neutralised)
    return report


def _load(session: Session) -> _Stored:
    """Load the households and what an import could match against."""
    households = {h.address_key: h for h in session.exec(select(Household))}
    resources: dict[tuple[int, str, str], Resource] = {}
    by_size: dict[tuple[int, str, float | None], list[Resource]] = (
        defaultdict(list))
    for resource in session.exec(
            select(Resource).where(col(Resource.source_text) != "")
            .where(col(Resource.keeper_household_id).is_not(None))
            .order_by(col(Resource.id))):
        keeper = resource.keeper_household_id or 0
        kind = catalogue.get_kind(resource.kind)
        size = resource.capacity if kind and kind.in_litres else None
        resources[(keeper, resource.kind, resource.source_text)] = resource
        by_size[(keeper, resource.kind, size)].append(resource)

    skills = {(s.household_id, s.kind, catalogue.normalise(s.description))
              for s in session.exec(select(Skill))}
    consents: dict[tuple[int, str], str] = {}
    for consent in session.exec(select(Consent).order_by(col(Consent.id))):
        state = "withdrawn" if consent.withdrawn_at else "standing"
        key = (consent.household_id, consent.kind)
        if consents.get(key) != "standing":
            consents[key] = state
    reviews = {(r.household_id, r.kind, r.text)
               for r in session.exec(select(ReviewItem))}
    return _Stored(households, resources, by_size, skills, consents,
                   reviews)


def _import_household(session: Session, sheet: SheetHousehold,
                      stored: _Stored, report: ImportReport,
                      dry_run: bool) -> None:
    """Create or update one household and everything the sheet says."""
    household = stored.households.get(sheet.address_key)
    household_id = household.id if household else None
    reviews = list(sheet.reviews)
    contact_ok = _consent_allows(stored, household_id, "contact")
    health_ok = _consent_allows(stored, household_id, "health")
    if sheet.phone and not contact_ok:
        reviews.append(SheetReview("consent_withdrawn", "contact",
                                   sheet.lines[0]))
    if sheet.needs and not health_ok:
        reviews.append(SheetReview("consent_withdrawn", "health",
                                   sheet.lines[0]))

    fields = _household_fields(sheet, contact_ok)
    report.households_merged += int(len(sheet.lines) > 1)
    if household is None:
        report.households_created += 1
        if not dry_run:
            household = service.create_household(session, sheet.address,
                                                 **fields)
            household_id = household.id
    else:
        changes = {name: value for name, value in fields.items()
                   if getattr(household, name) != value}
        report.households_updated += int(bool(changes))
        if changes and not dry_run:
            service.update_household(session, household.id or 0, **changes)

    _import_consents(session, sheet, stored, household_id,
                     contact_ok, health_ok, dry_run)
    _import_resources(session, sheet, stored, household_id, report, dry_run)
    _import_skills(session, sheet, stored, household_id, report, dry_run)
    _import_reviews(session, sheet, reviews, stored, household_id, report,
                    dry_run)


def _consent_allows(stored: _Stored, household_id: int | None,
                    kind: str) -> bool:
    """Tell whether the sheet may store this kind of personal data.

    A household that withdrew its consent on the node is not signed up
    again by an older sheet.
    """
    if household_id is None:
        return True
    return stored.consents.get((household_id, kind)) != "withdrawn"


def _household_fields(sheet: SheetHousehold,
                      contact_ok: bool) -> dict[str, Any]:
    """Return the household fields the sheet fills (empty cells do not)."""
    fields: dict[str, Any] = {}
    if sheet.residents is not None:
        fields["residents"] = sheet.residents
        fields["vacant"] = sheet.vacant
    if sheet.contact_name:
        fields["contact_name"] = sheet.contact_name
    if sheet.phone and contact_ok:
        fields["phone"] = sheet.phone
    if sheet.notes:
        fields["notes"] = "; ".join(sheet.notes)
    return fields


def _import_consents(session: Session, sheet: SheetHousehold,
                     stored: _Stored, household_id: int | None,
                     contact_ok: bool, health_ok: bool,
                     dry_run: bool) -> None:
    """Record contact and health consent, and the needs they allow.

    The coordinator's sheet is the paper on which neighbours gave their
    phone number and told what help they need: it is recorded as consent
    with source "import", and either can be withdrawn on the node later.
    """
    if dry_run or household_id is None:
        return
    if sheet.phone and contact_ok:
        service.grant_consent(session, household_id, "contact", "import")
    if not sheet.needs or not health_ok:
        return

    service.grant_consent(session, household_id, "health", "import")
    service.set_need(session, household_id, "needs_help", sheet.need_note)
    if sheet.power_dependent:
        service.set_need(session, household_id, "power_dependent",
                         sheet.need_note)


def _import_resources(session: Session, sheet: SheetHousehold,
                      stored: _Stored, household_id: int | None,
                      report: ImportReport, dry_run: bool) -> None:
    """Create the household's new resources, each with a pledge."""
    for item in sheet.items.values():
        report.resources_recognised += 1
        existing = _stored_resource(stored, sheet, household_id, item)
        if existing is None:
            report.resources_created += 1
            if not dry_run and household_id is not None:
                resource = service.create_resource(
                    session, item.kind, name=item.name,
                    quantity=item.quantity, capacity=item.capacity,
                    keeper_household_id=household_id,
                    source_text=item.source_text)
                service.create_pledge(session, household_id, "always",
                                      resource_id=resource.id)
            continue

        changed = (existing.quantity != item.quantity
                   or existing.source_text != item.source_text)
        report.resources_updated += int(changed)
        if changed and not dry_run:
            existing.quantity = item.quantity
            existing.source_text = item.source_text
            existing.name = item.name
            session.add(existing)


def _stored_resource(stored: _Stored, sheet: SheetHousehold,
                     household_id: int | None,
                     item: SheetItem) -> Resource | None:
    """Find the stored resource an item is, by its words or its size."""
    if household_id is None:
        return None
    same_words = stored.resources.get(
        (household_id, item.kind, item.source_text))
    if same_words is not None:
        return same_words

    # "2 jerrycans" that became "4 jerrycans" is the same thing, grown,
    # as long as the sheet no longer has the old words.
    words_in_sheet = {i.source_text for i in sheet.items.values()}
    for resource in stored.resources_by_size.get(
            (household_id, item.kind, item.capacity), []):
        if resource.source_text not in words_in_sheet:
            return resource
    return None


def _import_skills(session: Session, sheet: SheetHousehold,
                   stored: _Stored, household_id: int | None,
                   report: ImportReport, dry_run: bool) -> None:
    """Create the household's skills that are not stored yet."""
    for (kind, words), description in sheet.skills.items():
        if household_id is not None and (
                (household_id, kind, words) in stored.skills):
            continue
        report.skills_created += 1
        if not dry_run and household_id is not None:
            service.create_skill(session, household_id, kind, description)


def _import_reviews(session: Session, sheet: SheetHousehold,
                    reviews: list[SheetReview], stored: _Stored,
                    household_id: int | None, report: ImportReport,
                    dry_run: bool) -> None:
    """Keep what the coordinator should review; once, however often."""
    for review in reviews:
        report.items_to_review += 1
        report.review.append(ReviewNote(review.line, sheet.address,
                                        review.kind, review.text))
        if dry_run or (household_id, review.kind, review.text) in (
                stored.reviews):
            continue
        session.add(ReviewItem(household_id=household_id, kind=review.kind,
                               text=review.text[:300], line=review.line))
        stored.reviews.add((household_id, review.kind, review.text))


# Reviewing -------------------------------------------------------------------

def list_review_items(
    session: Session, include_resolved: bool = False,
) -> list[tuple[ReviewItem, str]]:
    """List review items with their household's address, oldest first."""
    query = (
        select(ReviewItem, Household.address)
        .join(Household, col(ReviewItem.household_id) == col(Household.id),
              isouter=True)
        .order_by(col(ReviewItem.id))
    )
    if not include_resolved:
        query = query.where(col(ReviewItem.resolved).is_(False))
    return [(item, address or "") for item, address in session.exec(query)]


def resolve_review_item(session: Session, item_id: int) -> ReviewItem | None:
    """Mark a review item as settled; return None when there is none."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        return None
    item.resolved = True
    session.add(item)
    session.flush()
    return item
