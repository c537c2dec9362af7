"""Figure 5: what a resident's phone downloads per page, compressed.

The weight is the compressed body plus the response headers as the app
sends them (waitress adds about 80 bytes of its own). "First visit" adds
the stylesheets, scripts and images the page references. A page must not
load anything from another host: the node serves a street without
internet. Plain links to other sites are counted apart; they cost nothing
until a resident follows one.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from bench import pages, queries, report
from bench.context import QUERY_SIZES, Bench, progress

BUDGET_BYTES = 60 * 1024
# What a browser fetches by itself when it shows the page.
_LOADS = re.compile(
    r"""\bsrc\s*=\s*["']([^"']+)["']"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']"""
    r"""|url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']""",
    re.IGNORECASE)
# What takes the resident elsewhere only when they choose to.
_LINKS = re.compile(
    r"""<a\b[^>]*\bhref\s*=\s*["']([^"']+)["']"""
    r"""|\baction\s*=\s*["']([^"']+)["']""",
    re.IGNORECASE)
_ASSET = re.compile(
    r"""<(?:link\b[^>]*\brel=["'](?:stylesheet|icon|manifest)["'][^>]*"""
    r"""|script\b[^>]*|img\b[^>]*)\s(?:href|src)=["']([^"']+)["']""",
    re.IGNORECASE)


def run(bench: Bench) -> dict[str, Any]:
    """Weigh every resident page at each size and look for outside links."""
    rows: dict[str, dict[str, Any]] = {}
    for size in QUERY_SIZES:
        progress(f"page weight at {size:,} households")
        app = bench.app(size)
        client = bench.clients_for(app, size)["resident"]
        own_host = urlsplit(app.config["BUURT"].base_url).netloc
        for page, path in pages.resident_pages(app, bench.street(size).ids):
            answer = queries.measure(app, client, path)
            html = client.get(path).get_data(as_text=True)
            assets = _asset_bytes(client, html)
            row = rows.setdefault(page.label, {
                "path": page.path, "bytes": {}, "first_visit_bytes": {},
                "external_loads": set(), "external_links": set(),
                "status": set()})
            row["status"].add(answer.status)
            row["bytes"][str(size)] = len(answer.body) + answer.header_bytes
            row["first_visit_bytes"][str(size)] = (
                row["bytes"][str(size)] + assets)
            row["external_loads"].update(
                external(_LOADS, html, own_host))
            row["external_links"].update(external(_LINKS, html, own_host))

    for row in rows.values():
        row["external_loads"] = sorted(row["external_loads"])
        row["external_links"] = sorted(row["external_links"])
        row["status"] = sorted(row["status"])
        row["ok"] = (None if row["status"] != [200] else
                     not row["external_loads"] and max(
                         row["first_visit_bytes"].values()) < BUDGET_BYTES)
    return {"sizes": list(QUERY_SIZES), "pages": rows,
            "budget_bytes": BUDGET_BYTES}


def _asset_bytes(client: FlaskClient, html: str) -> int:
    """Return the compressed bytes of the local assets a page loads."""
    total = 0
    for link in sorted(set(_ASSET.findall(html))):
        if urlsplit(link).netloc or link.startswith("data:"):
            continue
        response = client.get(link, headers={"Accept-Encoding": "gzip"})
        total += len(response.data)
    return total


def external(pattern: re.Pattern[str], html: str, own_host: str
             ) -> list[str]:
    """Return the addresses `pattern` finds that point at another host."""
    found = []
    for groups in pattern.findall(html):
        link = next(g for g in groups if g)
        host = urlsplit(link).netloc
        if host and host != own_host:
            found.append(link)
    return sorted(set(found))


def render(result: dict[str, Any]) -> str:
    """Return the page-weight table."""
    sizes = [str(size) for size in result["sizes"]]
    rows = [
        [label, *[_kb(row["bytes"].get(s)) for s in sizes],
         *[_kb(row["first_visit_bytes"].get(s)) for s in sizes],
         ", ".join(row["external_loads"]) or "none",
         len(row["external_links"]),
         "/".join(str(s) for s in row["status"]), report.verdict(row["ok"])]
        for label, row in result["pages"].items()
    ]
    return report.table(
        "5. Resident page weight, gzip as served, KB (budget: < 60 KB "
        "with assets, nothing external)",
        ["page", *[f"{int(s):,} hh" for s in sizes],
         *[f"+assets {int(s):,}" for s in sizes], "loads from outside",
         "outside links", "status", "budget"],
        rows)


def _kb(value: int | None) -> float | None:
    """Return bytes as KB."""
    return None if value is None else round(value / 1024, 1)
