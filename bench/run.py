"""Run the benchmarks, print the table and write the figures as JSON.

    python -m bench                      # everything, 30 s per load run
    python -m bench --duration 5         # a quick look
    python -m bench --only queries scaling

The figures land in bench/results/latest.json (git-ignored) with the
machine they were measured on. Every server binds 127.0.0.1 only, and
every load run is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from bench import (durability, machine, page_weight, query_counts, scaling,
                   throughput)
from bench.context import Bench, progress

logger = logging.getLogger(__name__)

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
Section = tuple[Callable[[Bench], dict[str, Any]],
                Callable[[dict[str, Any]], str]]
# In the order of the table. The municipality hub adds its own section
# here when it exists.
SECTIONS: dict[str, Section] = {
    "queries": (query_counts.run, query_counts.render),
    "load": (throughput.run, throughput.render),
    "startup": (throughput.run_startup, throughput.render_startup),
    "weight": (page_weight.run, page_weight.render),
    "scaling": (scaling.run, scaling.render),
    "durability": (durability.run, durability.render),
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure buurt against its performance budgets.")
    parser.add_argument("--duration", type=float, default=30.0,
                        help="seconds of load per page and server "
                             "(default 30)")
    parser.add_argument("--clients", type=int, default=20,
                        help="concurrent clients (default 20)")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS),
                        help="run only these sections")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help=f"JSON file to write (default {RESULTS})")
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated instances and server logs")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600 or not 1 <= args.clients <= 200:
        parser.error("--duration must be 1-600 s and --clients 1-200")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the chosen sections, print the table and write the JSON."""
    args = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    bench = Bench(workdir, args.duration, args.clients)
    described = machine.describe(workdir)
    results: dict[str, Any] = {"machine": described, "options": {
        "duration_s": args.duration, "clients": args.clients}}

    args.output.parent.mkdir(parents=True, exist_ok=True)
    log = args.output.with_suffix(".log")
    logging.basicConfig(filename=log, filemode="w", level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: "
                               "%(message)s", force=True)
    began = time.perf_counter()
    try:
        for name in args.only or SECTIONS:
            results[name] = run_section(name, bench)
    finally:
        if args.keep:
            progress(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["seconds"] = round(time.perf_counter() - began, 1)

    args.output.write_text(json.dumps(results, indent=2, default=list),
                           "utf-8")
    print(render(results))
    print(f"\nFigures written to {args.output}, errors logged to {log}")


def run_section(name: str, bench: Bench) -> dict[str, Any]:
    """Run one section; a failure is recorded, and the others still run."""
    try:
        return SECTIONS[name][0](bench)
    except Exception as error:
        logger.exception("section %s failed", name)
        progress(f"section {name} failed: {error}")
        return {"failed": f"{type(error).__name__}: {error}"}


def render(results: dict[str, Any]) -> str:
    """Return every section's table under one machine line."""
    parts = ["buurt benchmarks on " + machine.summary(results["machine"])]
    for name, (_, draw) in SECTIONS.items():
        if name not in results:
            continue
        if "failed" in results[name]:
            parts.append(f"{name}: FAILED, {results[name]['failed']}")
        else:
            parts.append(draw(results[name]))
    parts.append(f"Took {results['seconds']:.0f} s.")
    return "\n\n".join(parts)


if __name__ == "__main__":
    main(sys.argv[1:])
