"""The threat summary format, schema version 1, as pydantic models.

A summary is what the national publisher signs: the threats, their
categories, the causal links between them, and an advisory level on the
report's three-step intervention ladder. Fields this version does not know
are ignored, so a publisher can add information without breaking older
nodes; a change that older nodes must not misread gets a new
`schema_version`, which they refuse.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import (AwareDatetime, BaseModel, ConfigDict, Field,
                      field_validator, model_validator)

SCHEMA_VERSION = 1
# The largest number an INTEGER column holds on PostgreSQL as on SQLite.
MAX_SEQUENCE = 2**31 - 1
# Times outside these years are mistakes, and the far ones cannot even be
# shown in the neighbourhood's zone.
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
VITAL_FUNCTIONS = ("power", "drinking_water", "telecom", "payments",
                   "healthcare", "food", "transport")
ADVISORY_LEVELS = (1, 2, 3)

VitalFunction = Literal["power", "drinking_water", "telecom", "payments",
                        "healthcare", "food", "transport"]
ThreatId = str


class _Part(BaseModel):
    """A part of a summary: frozen, and tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="ignore",
                              populate_by_name=True)


class Category(_Part):
    """A category of threats, such as geopolitical or ecological."""

    id: str = Field(min_length=1, max_length=60)
    nl: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class Threat(_Part):
    """One threat of the national network."""

    id: ThreatId = Field(min_length=1, max_length=80)
    category: str = Field(min_length=1, max_length=60)
    hub: bool = False
    nl: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)
    affects: tuple[VitalFunction, ...] = Field(default=(), max_length=7)


class Edge(_Part):
    """A causal link: `source` makes `target` more likely or worse."""

    source: ThreatId = Field(alias="from", min_length=1, max_length=80)
    target: ThreatId = Field(alias="to", min_length=1, max_length=80)
    weight: float = Field(gt=0, le=100)


class Reason(_Part):
    """Why the publisher chose the advisory level, in both languages."""

    nl: str = Field(min_length=1, max_length=1000)
    en: str = Field(min_length=1, max_length=1000)


class Advisory(_Part):
    """Where the country stands on the intervention ladder, and why."""

    level: Literal[1, 2, 3]
    reason: Reason


class Summary(_Part):
    """A whole threat summary, as signed by its publisher."""

    schema_version: Literal[1]
    sequence: int = Field(ge=0, le=MAX_SEQUENCE)
    issued_at: AwareDatetime
    expires_at: AwareDatetime
    publisher: str = Field(default="", max_length=200)
    categories: tuple[Category, ...] = Field(min_length=1, max_length=50)
    threats: tuple[Threat, ...] = Field(min_length=1, max_length=1000)
    edges: tuple[Edge, ...] = Field(default=(), max_length=10_000)
    advisory: Advisory

    @field_validator("issued_at", "expires_at")
    @classmethod
    def check_year(cls, value: datetime) -> datetime:
        """Refuse a time outside the years 2000 to 2199."""
        try:
            utc: datetime | None = value.astimezone(timezone.utc)
        except OverflowError:
            utc = None
        if utc is None or not EARLIEST <= utc < LATEST:
            raise ValueError("must lie between the years 2000 and 2199")
        return value

    @model_validator(mode="after")
    def check_references(self) -> Summary:
        """Refuse duplicate ids and links to threats that are not listed."""
        category_ids = [category.id for category in self.categories]
        threat_ids = [threat.id for threat in self.threats]
        if len(set(category_ids)) != len(category_ids):
            raise ValueError("category ids must be unique")
        if len(set(threat_ids)) != len(threat_ids):
            raise ValueError("threat ids must be unique")

        for threat in self.threats:
            if threat.category not in category_ids:
                raise ValueError(f"threat {threat.id} has an unknown "
                                 f"category {threat.category}")
        known = set(threat_ids)
        links = [(edge.source, edge.target) for edge in self.edges]
        for source, target in links:
            if source not in known or target not in known:
                raise ValueError(f"edge {source} -> {target} names an "
                                 "unknown threat")
        if len(set(links)) != len(links):
            raise ValueError("each link between two threats may appear "
                             "only once")

        if self.expires_at <= self.issued_at:
            raise ValueError("expires_at must come after issued_at")
        return self

    def threat(self, threat_id: str) -> Threat:
        """Return the threat with this id; raises KeyError when unknown."""
        for threat in self.threats:
            if threat.id == threat_id:
                return threat
        raise KeyError(threat_id)

    def category(self, category_id: str) -> Category:
        """Return the category with this id; raises KeyError when unknown."""
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)
