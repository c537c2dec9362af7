"""Figures 2, 3 and 4: throughput against the floor, memory, start-up.

The node (`buurt serve`, waitress) and the floor (a bare Flask route on
waitress with the same threads, serving the node's own compressed bytes
for each page) run side by side in this run; wrk drives one at a time
from its own process over loopback. The floor goes first for one page
and second for the next, so a drift in the machine's load hits both.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench import floor as floor_app
from bench import load, pages, report, serve
from bench.context import LOAD_SIZE, Bench, progress

RATIO_BUDGET = 0.5
MEMORY_BUDGET = 120 * 1024 * 1024
STARTS = 3
# Headers the floor repeats so that both answers are the same on the wire.
KEPT_HEADERS = ("Content-Type", "Content-Encoding", "Vary")


def run(bench: Bench) -> dict[str, Any]:
    """Measure both servers under load; return the figures."""
    if load.wrk_path() is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    street = bench.street(LOAD_SIZE)
    logs = bench.workdir / "logs"

    node = serve.start_node(street.instance, logs)
    started_rss = node.rss()
    floor = None
    try:
        cookies = {role: serve.login(node.port, username, street.pin)
                   for role, username in (("resident", street.resident),
                                          ("coordinator",
                                           street.coordinator))}
        targets = _targets(bench, node, cookies)
        floor = serve.start_floor(
            floor_app.write_bodies(bench.workdir / "bodies", {
                path: (body, headers)
                for path, (_, body, headers) in targets.items()}), logs)
        rows = _drive(bench, node, floor, targets, cookies)
        memory = {"node": node.peak_rss(), "floor": floor.peak_rss(),
                  "node_at_start": started_rss}
    finally:
        node.stop()
        if floor is not None:
            floor.stop()

    return {"households": LOAD_SIZE, "clients": bench.clients,
            "duration_s": bench.duration, "threads": serve.THREADS,
            "pages": rows, "ratio_budget": RATIO_BUDGET,
            "peak_rss_bytes": memory, "memory_budget_bytes": MEMORY_BUDGET,
            "memory_ok": memory["node"] < MEMORY_BUDGET}


def _drive(bench: Bench, node: serve.Server, floor: serve.Server,
           targets: dict[str, tuple[pages.Page, bytes, dict[str, str]]],
           cookies: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Load each page on both servers, taking turns at going first."""
    progress(f"load: {len(targets)} pages, {bench.duration:.0f} s "
             f"each on node and floor, {bench.clients} clients")
    rows = {}
    for number, (path, (page, body, _)) in enumerate(targets.items()):
        order = (floor, node) if number % 2 == 0 else (node, floor)
        measured = {}
        for server in order:
            headers = {"Cookie": cookies[page.role]} if server is node else {}
            measured[server.name] = load.run_load(
                f"http://127.0.0.1:{server.port}{path}", bench.duration,
                headers, bench.clients).as_dict()

        ratio = (measured["node"]["requests_per_second"]
                 / measured["floor"]["requests_per_second"])
        rows[page.label] = {"path": path, "bytes": len(body), **measured,
                            "ratio": round(ratio, 2),
                            "ok": ratio >= RATIO_BUDGET,
                            "node_peak_rss_bytes": node.peak_rss()}
        progress(f"  {page.label}: ratio {ratio:.2f}")
    return rows


def _targets(bench: Bench, node: serve.Server, cookies: dict[str, str]
             ) -> dict[str, tuple[pages.Page, bytes, dict[str, str]]]:
    """Fetch each loaded page once; keep the bytes the floor will serve."""
    app = bench.app(LOAD_SIZE)
    found = {}
    for page, path in pages.available(app, bench.street(LOAD_SIZE).ids):
        if not page.load or path in found:
            continue
        status, headers, body = node.get(path, {
            "Accept-Encoding": "gzip", "Cookie": cookies[page.role],
            "User-Agent": load.USER_AGENT})
        if status != 200:
            raise serve.ServerError(f"{path} answered {status} as "
                                    f"{page.role}")
        kept = {name: value for name, value in headers.items()
                if name in KEPT_HEADERS}
        found[path] = (page, body, kept)
    return found


def run_startup(bench: Bench) -> dict[str, Any]:
    """Time `buurt serve` and the floor from launch to a 200 on /healthz."""
    street = bench.street(LOAD_SIZE)
    logs = bench.workdir / "logs"
    bodies = floor_app.write_bodies(bench.workdir / "empty-bodies", {})
    progress(f"start-up: {STARTS} starts of each server")

    times: dict[str, list[float]] = {"node": [], "floor": []}
    for _ in range(STARTS):
        for name in times:
            server = (serve.start_node(street.instance, logs)
                      if name == "node" else serve.start_floor(bodies, logs))
            server.stop()
            times[name].append(round(server.started_in, 3))

    medians = {name: round(statistics.median(values), 3)
               for name, values in times.items()}
    return {"runs": times, "median_s": medians,
            "ratio": round(medians["node"] / medians["floor"], 2)}


def render(result: dict[str, Any]) -> str:
    """Return the throughput and memory tables."""
    if "skipped" in result:
        return f"2./3. Throughput and memory: skipped, {result['skipped']}"
    rows = [
        [label, row["bytes"],
         row["floor"]["requests_per_second"], row["floor"]["p50_ms"],
         row["floor"]["p95_ms"], row["node"]["requests_per_second"],
         row["node"]["p50_ms"], row["node"]["p95_ms"],
         row["node"]["errors"] + row["floor"]["errors"], row["ratio"],
         report.verdict(row["ok"])]
        for label, row in result["pages"].items()
    ]
    text = report.table(
        f"2. Throughput, {result['clients']} clients x "
        f"{result['duration_s']:.0f} s, {result['households']:,} households, "
        f"waitress {result['threads']} threads (budget: node/floor >= "
        f"{result['ratio_budget']})",
        ["page", "bytes", "floor req/s", "p50 ms", "p95 ms", "node req/s",
         "p50 ms", "p95 ms", "errors", "ratio", "budget"], rows)
    memory = result["peak_rss_bytes"]
    text += "\n\n" + report.table(
        "3. Peak resident memory under that load (budget: node < 120 MB)",
        ["server", "peak RSS MB", "budget"],
        [["node (buurt serve)", _mb(memory["node"]),
          report.verdict(result["memory_ok"])],
         ["node right after start-up", _mb(memory["node_at_start"]), "-"],
         *[[f"node, peak after {label}", _mb(row["node_peak_rss_bytes"]),
            "-"] for label, row in result["pages"].items()],
         ["floor (bare Flask)", _mb(memory["floor"]), "-"]])
    return text


def render_startup(result: dict[str, Any]) -> str:
    """Return the start-up table."""
    median = result["median_s"]
    return report.table(
        f"4. Start-up to the first 200 from /healthz, median of {STARTS}",
        ["server", "seconds", "runs"],
        [["node (buurt serve)", median["node"],
          " ".join(str(t) for t in result["runs"]["node"])],
         ["floor (bare Flask)", median["floor"],
          " ".join(str(t) for t in result["runs"]["floor"])],
         ["node / floor", result["ratio"], ""]])


def _mb(value: int) -> float:
    """Return bytes as MB."""
    return round(value / (1024 * 1024), 1)


