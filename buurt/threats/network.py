"""Lay out the network around the hubs for a small SVG drawn by a template.

The hubs sit on an inner ring, the threats they link to (either way) on an
outer ring, each placed near the hub it is linked to first, which keeps
most lines short. Only links between drawn threats are drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from buurt.threats.service import RankedThreat
from buurt.threats.summary import Summary, Threat

WIDTH = 720
HEIGHT = 440
INNER_RADIUS = 95
OUTER_RADIUS = 175
# Colour-blind-safe palette (Okabe-Ito), one colour per category in order.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00",
           "#56b4e9", "#f0e442", "#000000")


@dataclass(frozen=True)
class Node:
    """A threat drawn as a circle; hubs carry their rank on the page."""

    threat: Threat
    x: float
    y: float
    radius: float
    colour: str
    rank: int | None
    # Where the label goes: "start" right of the circle, "end" left of it.
    anchor: str


@dataclass(frozen=True)
class Link:
    """A causal link drawn as a line, thicker for a heavier weight."""

    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    crosses_categories: bool


@dataclass(frozen=True)
class Network:
    """Everything the template needs to draw the picture."""

    width: int
    height: int
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    legend: tuple[tuple[str, str], ...]


def layout(summary: Summary, hubs: list[RankedThreat]) -> Network:
    """Place the hubs and their neighbours; return what to draw."""
    colours = {category.id: PALETTE[index % len(PALETTE)]
               for index, category in enumerate(summary.categories)}
    hub_ids = [hub.threat.id for hub in hubs]
    neighbours = _neighbours(summary, hub_ids)
    centre_x, centre_y = WIDTH / 2, HEIGHT / 2

    positions: dict[str, tuple[float, float]] = {}
    nodes = []
    for index, threat_id in enumerate(hub_ids):
        angle = _angle(index, len(hub_ids))
        x, y = _point(centre_x, centre_y, INNER_RADIUS, angle)
        positions[threat_id] = (x, y)
        nodes.append(_node(summary.threat(threat_id), x, y, 16, colours,
                           index + 1))

    for index, threat_id in enumerate(neighbours):
        angle = _angle(index, len(neighbours), offset=0.5)
        x, y = _point(centre_x, centre_y, OUTER_RADIUS, angle)
        positions[threat_id] = (x, y)
        nodes.append(_node(summary.threat(threat_id), x, y, 7, colours,
                           None))

    links = []
    for edge in summary.edges:
        if edge.source in positions and edge.target in positions:
            (x1, y1), (x2, y2) = positions[edge.source], positions[
                edge.target]
            crosses = (summary.threat(edge.source).category
                       != summary.threat(edge.target).category)
            links.append(Link(x1=x1, y1=y1, x2=x2, y2=y2,
                              width=round(0.8 + edge.weight * 0.9, 1),
                              crosses_categories=crosses))

    drawn = {node.threat.category for node in nodes}
    legend = tuple((category.id, colours[category.id])
                   for category in summary.categories
                   if category.id in drawn)
    return Network(width=WIDTH, height=HEIGHT, nodes=tuple(nodes),
                   links=tuple(links), legend=legend)


def _neighbours(summary: Summary, hub_ids: list[str]) -> list[str]:
    """Return the threats linked to a hub, grouped by the hub they touch."""
    found: list[str] = []
    for hub_id in hub_ids:
        for edge in summary.edges:
            other = (edge.target if edge.source == hub_id else
                     edge.source if edge.target == hub_id else None)
            if other and other not in hub_ids and other not in found:
                found.append(other)
    return found


def _angle(index: int, count: int, offset: float = 0.0) -> float:
    """Return the angle of place `index` of `count` around a ring."""
    return 2 * math.pi * (index + offset) / max(count, 1) - math.pi / 2


def _point(cx: float, cy: float, radius: float,
           angle: float) -> tuple[float, float]:
    """Return the point at `angle` on a circle, rounded for small SVG."""
    return (round(cx + radius * math.cos(angle), 1),
            round(cy + radius * math.sin(angle), 1))


def _node(threat: Threat, x: float, y: float, radius: float,
          colours: dict[str, str], rank: int | None) -> Node:
    """Make a node, with its label on the side away from the centre."""
    return Node(threat=threat, x=x, y=y, radius=radius,
                colour=colours[threat.category], rank=rank,
                anchor="start" if x >= WIDTH / 2 else "end")
