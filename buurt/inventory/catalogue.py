"""The catalogue of resource kinds and skills, read once from catalogue.json.

The data file says which essential function each kind serves, its unit and
default capacity, its maintenance rhythm, and the Dutch and English words a
neighbour may write for it. This module gives typed access to that file and
recognises kinds in free text such as `2x powerbank 20000mAh` or
`3 jerrycans water (20 l)`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import unicodedata
from importlib import resources
from typing import Any, Mapping

from buurt.inventory.models import SKILL_KINDS

FUNCTIONS = ("drinking_water", "cooking", "information", "communication",
             "power", "first_aid", "warmth", "transport")
MEASURES = ("water_store", "water_filter", "radio", "burner", "walkie",
            "power_source", "first_aid_kit", "heat_source", "vehicle")
LITRE = "litre"

NUMBER_WORDS = {
    "een": 1, "one": 1, "twee": 2, "two": 2, "drie": 3, "three": 3,
    "vier": 4, "four": 4, "vijf": 5, "five": 5, "zes": 6, "six": 6,
    "zeven": 7, "seven": 7, "acht": 8, "eight": 8, "negen": 9, "nine": 9,
    "tien": 10, "ten": 10,
}
_NUMBER = r"\d{1,3}(?:\.\d{3})+|\d+(?:,\d+)?|" + "|".join(NUMBER_WORDS)
_LITRES = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:\.\d{3})+|\d+(?:[.,]\d+)?)\s*"
    r"(?:l|ltr|liter|liters|litre|litres)(?![a-z])"
)
_UNITS = r"stuks?|st|sets?|paar|pairs?|pcs|pieces?"
SET_UNITS = ("set", "sets", "paar", "pair", "pairs")
# A count right before the kind: "2 x powerbank", "twee walkietalkies",
# "2 sets portofoons", "3 grote jerrycans" (one adjective, never a unit).
_COUNT_BEFORE = re.compile(
    rf"(?<![\w.,])({_NUMBER})\b\s*(?:x\s+)?(?:({_UNITS})\s+)?"
    rf"(?:(?!(?:l|ltr|liters?|litres?|x)\b)[a-z]+\s+)?$"
)
_COUNT_AFTER = re.compile(rf"^\W*x\s*(\d+)\b|(?<![\w.,])(\d+)\s*({_UNITS})\b")
_PLURAL = r"(?:'s|s|es|en|n)?"


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of shared resource and the function it serves."""

    id: str
    function: str
    measure: str | None
    unit: str
    capacity: float | None
    name_nl: str
    name_en: str
    synonyms: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    set_size: int = 1
    drinkable: str = "always"
    maintenance_days: int | None = None
    maintenance_nl: str = ""
    maintenance_en: str = ""

    @property
    def in_litres(self) -> bool:
        """Tell whether capacity is litres (else residents served)."""
        return self.unit == LITRE

    def name(self, locale: str) -> str:
        """Return the kind's name in Dutch or English."""
        return self.name_en if locale == "en" else self.name_nl

    def maintenance_task(self, locale: str) -> str:
        """Return what to do every `maintenance_days`, or ""."""
        return self.maintenance_en if locale == "en" else self.maintenance_nl


@dataclasses.dataclass(frozen=True)
class SkillKind:
    """One kind of skill; `first_aider` ones count as trained residents."""

    id: str
    name_nl: str
    name_en: str
    first_aider: bool
    synonyms: tuple[str, ...]

    def name(self, locale: str) -> str:
        """Return the skill kind's name in Dutch or English."""
        return self.name_en if locale == "en" else self.name_nl


@dataclasses.dataclass(frozen=True)
class ItemMatch:
    """A kind recognised in an item's text, with what was written about it.

    `capacity` is litres when written (or the kind's default), and None
    for kinds not measured in litres. `leftover` is the rest of the words.
    """

    kind: Kind
    quantity: int
    capacity: float | None
    leftover: str


@dataclasses.dataclass(frozen=True)
class _Catalogue:
    """The parsed data file, with one search pattern per vocabulary."""

    kinds: dict[str, Kind]
    skills: dict[str, SkillKind]
    function_names: dict[str, tuple[str, str]]
    kind_pattern: re.Pattern[str]
    kind_by_word: dict[str, str]
    skill_pattern: re.Pattern[str]
    skill_by_word: dict[str, str]


def normalise(text: str) -> str:
    """Return text lower-cased, without accents, hyphens or double spaces.

    A number and the unit after it are set apart ("1000L" and "1000 l"
    read the same), so the result also serves as an item's stable key.
    """
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[-_/\u2013\u2014]", " ", text)
    text = re.sub(r"(\d)([a-z])", r"\1 \2", text)
    return " ".join(text.split())


@functools.cache
def _catalogue() -> _Catalogue:
    """Read and check catalogue.json; done once per process."""
    path = resources.files("buurt.inventory").joinpath("catalogue.json")
    data = json.loads(path.read_text("utf-8"))

    kinds = {raw["id"]: _read_kind(raw) for raw in data["kinds"]}
    skills = {raw["id"]: SkillKind(
        id=raw["id"], name_nl=raw["nl"], name_en=raw["en"],
        first_aider=bool(raw["first_aider"]),
        synonyms=tuple(normalise(s) for s in raw["synonyms"]),
    ) for raw in data["skills"]}
    names = {f["id"]: (f["nl"], f["en"]) for f in data["functions"]}
    _check(kinds, skills, names, len(data["kinds"]))

    kind_pattern, kind_by_word = _pattern(
        {k.id: k.synonyms for k in kinds.values()})
    skill_pattern, skill_by_word = _pattern(
        {s.id: s.synonyms for s in skills.values()})
    return _Catalogue(kinds, skills, names, kind_pattern, kind_by_word,
                      skill_pattern, skill_by_word)


def _read_kind(raw: dict[str, Any]) -> Kind:
    """Turn one entry of the data file into a Kind."""
    upkeep = raw.get("maintenance") or {}
    capacity = raw.get("capacity")
    return Kind(
        id=raw["id"], function=raw["function"], measure=raw.get("measure"),
        unit=raw["unit"],
        capacity=None if capacity is None else float(capacity),
        name_nl=raw["nl"], name_en=raw["en"],
        synonyms=tuple(normalise(s) for s in raw["synonyms"]),
        exclude=tuple(normalise(s) for s in raw.get("exclude", ())),
        set_size=int(raw.get("set_size", 1)),
        drinkable=raw.get("drinkable", "always"),
        maintenance_days=upkeep.get("days"),
        maintenance_nl=upkeep.get("nl", ""),
        maintenance_en=upkeep.get("en", ""),
    )


def _check(kinds: dict[str, Kind], skills: dict[str, SkillKind],
           names: dict[str, tuple[str, str]], entries: int) -> None:
    """Refuse a data file that other code could not rely on."""
    problems = []
    if len(kinds) != entries:
        problems.append("two kinds share an id")
    if tuple(names) != FUNCTIONS:
        problems.append("functions differ from the essential functions")
    for kind in kinds.values():
        if kind.function not in FUNCTIONS:
            problems.append(f"{kind.id}: unknown function {kind.function}")
        if kind.measure is not None and kind.measure not in MEASURES:
            problems.append(f"{kind.id}: unknown measure {kind.measure}")
        if kind.drinkable not in ("always", "with_filter"):
            problems.append(f"{kind.id}: drinkable is always/with_filter")
    problems += [f"skill kind {s} is not in SKILL_KINDS"
                 for s in skills if s not in SKILL_KINDS]

    for vocabulary in ({k.id: k.synonyms for k in kinds.values()},
                       {s.id: s.synonyms for s in skills.values()}):
        owners: dict[str, str] = {}
        for owner, synonyms in vocabulary.items():
            for word in synonyms:
                if owners.setdefault(word, owner) != owner:
                    problems.append(f"{word!r} is a synonym of two kinds")
    if problems:
        raise ValueError("catalogue.json: " + "; ".join(problems))


def _pattern(
    synonyms: Mapping[str, tuple[str, ...]],
) -> tuple[re.Pattern[str], dict[str, str]]:
    """Build one regex of all synonyms, longest first, as whole words."""
    by_word = {word: owner for owner, words in synonyms.items()
               for word in words}
    ordered = sorted(by_word, key=lambda w: (-len(w), w))
    alternatives = "|".join(re.escape(word) for word in ordered)
    pattern = re.compile(
        rf"(?<![a-z0-9])({alternatives}){_PLURAL}(?![a-z0-9])")
    return pattern, by_word


def list_kinds() -> list[Kind]:
    """List every resource kind, in the data file's order."""
    return list(_catalogue().kinds.values())


def get_kind(kind_id: str) -> Kind | None:
    """Return a resource kind by id, or None when there is no such kind."""
    return _catalogue().kinds.get(kind_id)


def kind_function(kind_id: str) -> str:
    """Return the essential function a kind serves, or "" if unknown."""
    kind = get_kind(kind_id)
    return kind.function if kind else ""


def kinds_measuring(measure: str) -> list[Kind]:
    """List the kinds that readiness counts as `measure`."""
    return [k for k in list_kinds() if k.measure == measure]


def function_name(function_id: str, locale: str) -> str:
    """Return an essential function's name in Dutch or English."""
    dutch, english = _catalogue().function_names.get(
        function_id, (function_id, function_id))
    return english if locale == "en" else dutch


def list_skill_kinds() -> list[SkillKind]:
    """List every skill kind, in the data file's order."""
    return list(_catalogue().skills.values())


def first_aider_skills() -> tuple[str, ...]:
    """Return the skill kinds that make a resident a trained first-aider."""
    return tuple(s.id for s in list_skill_kinds() if s.first_aider)


def match_skill(text: str) -> str:
    """Return the skill kind written in `text`, or "other"."""
    catalogue = _catalogue()
    found = catalogue.skill_pattern.search(normalise(text))
    return catalogue.skill_by_word[found.group(1)] if found else "other"


def match_item(text: str) -> list[ItemMatch]:
    """Recognise the resource kinds in one item of free text.

    Words in parentheses only add detail ("noodradio (dynamo + zonnecel)"
    is a radio), unless nothing outside them names a kind. A kind named
    twice in one item counts once. Returns [] when no kind is recognised.
    """
    catalogue = _catalogue()
    words = normalise(text)
    found = [m for m in catalogue.kind_pattern.finditer(words)
             if not _excluded(catalogue.kind_by_word[m.group(1)], words)]
    outside = [m for m in found if _depth(words, m.start()) == 0]
    found = outside or found

    matches: dict[str, ItemMatch] = {}
    for index, match in enumerate(found):
        kind = catalogue.kinds[catalogue.kind_by_word[match.group(1)]]
        if kind.id in matches:
            continue
        before = words[found[index - 1].end() if index else 0:match.start()]
        after = words[match.end():(found[index + 1].start()
                                   if index + 1 < len(found) else None)]
        matches[kind.id] = ItemMatch(
            kind=kind,
            quantity=_quantity(kind, before, after),
            capacity=_capacity(kind, before, after),
            leftover=" ".join((before + " " + after).split()),
        )
    return list(matches.values())


def _excluded(kind_id: str, words: str) -> bool:
    """Tell whether the item names something that rules the kind out."""
    kind = _catalogue().kinds[kind_id]
    return any(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", words)
               for word in kind.exclude)


def _depth(words: str, position: int) -> int:
    """Return how many parentheses are open at `position`."""
    prefix = words[:position]
    return max(prefix.count("(") - prefix.count(")"), 0)


def _quantity(kind: Kind, before: str, after: str) -> int:
    """Read how many are meant; 1 when no count is written."""
    count, unit = None, ""
    found = _COUNT_BEFORE.search(before)
    if found:
        count, unit = found.group(1), found.group(2) or ""
    else:
        later = _COUNT_AFTER.search(after)
        if later:
            count = later.group(1) or later.group(2)
            unit = later.group(3) or ""
    if count is None:
        return 1

    number = _number(count)
    if unit in SET_UNITS:
        number *= kind.set_size
    return max(int(number), 1)


def _capacity(kind: Kind, before: str, after: str) -> float | None:
    """Read the litres per unit where written, else the kind's default."""
    if not kind.in_litres:
        return None
    found = _LITRES.search(after) or _LITRES.search(before)
    return _number(found.group(1)) if found else kind.capacity


def _number(text: str) -> float:
    """Read "3", "twee", "1.000" (Dutch thousands) or "1,5"."""
    if text in NUMBER_WORDS:
        return float(NUMBER_WORDS[text])
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", text):
        return float(text.replace(".", ""))
    return float(text.replace(",", "."))


def drinkable_litres(litres_by_kind: Mapping[str, float],
                     filters: int) -> float:
    """Return the litres that can be drunk, given the street's filters.

    Water from a kind marked `with_filter` (a rain barrel) counts only
    when the street has at least one water filter.
    """
    total = 0.0
    for kind_id, litres in litres_by_kind.items():
        kind = get_kind(kind_id)
        if kind is None or kind.measure != "water_store":
            continue
        if kind.drinkable == "with_filter" and filters < 1:
            continue
        total += litres
    return total
