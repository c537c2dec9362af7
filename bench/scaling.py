"""Figure 6: how the heavy pages grow with the street.

Each is timed in process (the best of a few runs) at 50, 500 and 5,000
households. Growing linearly means a factor of 10 per tenfold street;
fixed costs (templates, the request itself) make small streets relatively
dear, so a factor below 10 is normal. A factor well above 10 means work per
household grows with the street: a query in a loop or a nested scan. The
garbage collector is tuned as `buurt serve` tunes it.
"""

from __future__ import annotations

from typing import Any, Callable

from flask import Flask
from flask.testing import FlaskClient

from buurt import db, settle_for_serving

from bench import pages, report
from bench.context import SCALING_SIZES, Bench, best_time, progress

# A tenfold street may cost this much more before we call it worse than
# linear; the margin absorbs timing noise on a busy machine.
LINEAR_FACTOR = 12.0
SCALED_PAGES = (
    pages.Page("/readiness", "coordinator"),
    pages.Page("/drills/{drill}/board", "coordinator"),
    pages.Page("/threats", "resident"),
)
# Printed matter is timed for streets of 10 and 100 households that keep
# one item each (plus the street's own tank and generator).
ITEM_COUNTS = (10, 100)
PRINTS = (
    pages.Page("/labels/sheet.pdf", "coordinator"),
    pages.Page("/plan/street.pdf", "resident"),
    pages.Page("/plan/coordinator.pdf", "coordinator"),
)


def run(bench: Bench) -> dict[str, Any]:
    """Time readiness, the heavy pages and the printed matter."""
    rows: dict[str, dict[str, Any]] = {}
    for size in SCALING_SIZES:
        progress(f"scaling at {size:,} households")
        app = bench.app(size)
        clients = bench.clients_for(app, size)
        settle_for_serving()
        actions = _actions(app, clients, bench.street(size).ids,
                           SCALED_PAGES)
        service = _readiness_service()
        if service is not None:
            actions["compute_readiness()"] = _computer(app, service)
        _time_all(rows, actions, size)

    prints: dict[str, dict[str, Any]] = {}
    items = {}
    for count in ITEM_COUNTS:
        progress(f"printing for {count} items")
        street = bench.street(count, count)
        app = bench.app(count, count)
        clients = bench.clients_for(app, count, count)
        _time_all(prints, _actions(app, clients, street.ids, PRINTS), count)
        items[str(count)] = street.ids["items"]

    for row in [*rows.values(), *prints.values()]:
        sizes = SCALING_SIZES if row in rows.values() else ITEM_COUNTS
        row["growth"] = growth(row["seconds"], sizes)
        row["ok"] = (None if not row["growth"] or row["errors"] else
                     all(f <= LINEAR_FACTOR for f in row["growth"]))
    return {"sizes": list(SCALING_SIZES), "rows": rows,
            "item_counts": list(ITEM_COUNTS), "items": items,
            "prints": prints, "linear_factor_limit": LINEAR_FACTOR}


def _time_all(rows: dict[str, dict[str, Any]],
              actions: dict[str, Callable[[], Any]], size: int) -> None:
    """Time each action at one size into its row."""
    for label, action in actions.items():
        row = rows.setdefault(label, {"seconds": {}, "errors": {}})
        try:
            row["seconds"][str(size)] = round(best_time(action), 4)
        except RuntimeError as error:
            row["errors"][str(size)] = str(error)


def _actions(app: Flask, clients: dict[str, FlaskClient],
             ids: dict[str, int], candidates: tuple[pages.Page, ...]
             ) -> dict[str, Callable[[], Any]]:
    """Return a timed GET for each candidate page the app has."""
    actions: dict[str, Callable[[], Any]] = {}
    for page in candidates:
        path = page.resolve(ids)
        if path is not None and pages.exists(app, path):
            actions[page.label] = _getter(clients[page.role], path)
    return actions


def _computer(app: Flask, service: Callable[..., Any]
              ) -> Callable[[], Any]:
    """Return an action that computes readiness in its own session."""
    def compute() -> Any:
        with db.session_scope(db.get_engine(app)) as session:
            return service(session, app.config["BUURT"])
    return compute


def _getter(client: FlaskClient, path: str) -> Callable[[], Any]:
    """Return an action that fetches a page and insists on a 200."""
    def get() -> Any:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        return response
    return get


def _readiness_service() -> Callable[..., Any] | None:
    """Return compute_readiness, or None before readiness exists."""
    try:
        from buurt.readiness.service import compute_readiness
    except ImportError:
        return None
    return compute_readiness


def growth(seconds: dict[str, float], sizes: tuple[int, ...]
           ) -> list[float]:
    """Return the factor from each size to the next one measured."""
    found = [seconds[str(s)] for s in sizes if str(s) in seconds]
    return [round(later / earlier, 1) if earlier else 0.0
            for earlier, later in zip(found, found[1:])]


def render(result: dict[str, Any]) -> str:
    """Return the scaling tables."""
    limit = f"{result['linear_factor_limit']:.0f}x"
    text = _render_rows(
        "6. Scaling, ms (best of 5), growth per tenfold street (budget: "
        f"linear or better, <= {limit})",
        result["rows"], [str(s) for s in result["sizes"]], "hh")
    counts = [str(c) for c in result["item_counts"]]
    shown = ", ".join(f"{result['items'][c]} items for {c} households"
                      for c in counts if c in result["items"])
    return text + "\n\n" + _render_rows(
        f"6b. Printed matter, ms (best of 5) ({shown}; budget <= {limit})",
        result["prints"], counts, "items")


def _render_rows(title: str, found: dict[str, dict[str, Any]],
                 sizes: list[str], unit: str) -> str:
    """Return one table of timings with their growth factors."""
    rows = [
        [label, *[_ms(row["seconds"].get(s)) for s in sizes],
         " / ".join(f"{f}x" for f in row["growth"]) or "-",
         report.verdict(row["ok"])]
        for label, row in found.items()
    ]
    errors = [f"{label} at {size}: {error}"
              for label, row in found.items()
              for size, error in row["errors"].items()]
    return report.table(
        title, ["what", *[f"{int(s):,} {unit}" for s in sizes], "growth",
                "budget"], rows) + "".join(f"\n{e}" for e in errors)


def _ms(value: float | None) -> float | None:
    """Return seconds as milliseconds."""
    return None if value is None else round(value * 1000, 1)
