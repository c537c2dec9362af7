"""Figure 1: SQL statements per request at three street sizes."""

from __future__ import annotations

from typing import Any

from bench import pages, queries, report
from bench.context import QUERY_SIZES, Bench, progress


def run(bench: Bench) -> dict[str, Any]:
    """Count the statements of every main page at each size."""
    rows: dict[str, dict[str, Any]] = {}
    for size in QUERY_SIZES:
        progress(f"query counts at {size:,} households")
        app = bench.app(size)
        clients = bench.clients_for(app, size)
        for page, path in pages.available(app, bench.street(size).ids):
            answer = queries.measure(app, clients[page.role], path)
            row = rows.setdefault(page.label, {
                "path": page.path, "role": page.role, "queries": {},
                "status": {}})
            row["queries"][str(size)] = answer.queries
            row["status"][str(size)] = answer.status

    for row in rows.values():
        counts = [row["queries"].get(str(size)) for size in QUERY_SIZES]
        answered = set(row["status"].values()) == {200}
        row["fixed"] = (None if not answered else
                        None not in counts and len(set(counts)) == 1)
    absent = sorted({page.label for page in pages.PAGES} - set(rows))
    return {"sizes": list(QUERY_SIZES), "pages": rows, "absent": absent,
            "budget": "the same count at every size"}


def render(result: dict[str, Any]) -> str:
    """Return the query-count table."""
    sizes = [str(size) for size in result["sizes"]]
    rows = []
    for label, row in result["pages"].items():
        statuses = sorted(set(row["status"].values()))
        rows.append([label, *[row["queries"].get(size) for size in sizes],
                     "/".join(str(s) for s in statuses),
                     report.verdict(row["fixed"])])
    text = report.table(
        "1. SQL statements per request (budget: the same at every size)",
        ["page", *[f"{int(s):,} hh" for s in sizes], "status", "budget"],
        rows)
    if result["absent"]:
        text += "\nnot in the app yet: " + ", ".join(result["absent"])
    return text
