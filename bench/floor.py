"""The framework floor: a bare Flask app that returns stored bytes.

It serves, for each page the benchmark loads, the exact bytes the node
sent for it (already compressed, with the same content headers), so that
both servers put the same bytes on the wire and the difference is only
buurt's own work. Run as `python -m bench.floor --port P --bodies DIR`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import waitress
from flask import Flask, Response

MANIFEST = "manifest.json"


def create_floor(bodies: Path) -> Flask:
    """Build the bare app from a folder of stored bodies and a manifest."""
    manifest = json.loads((bodies / MANIFEST).read_text("utf-8"))
    pages = {
        path: ((bodies / entry["file"]).read_bytes(), entry["headers"])
        for path, entry in manifest.items()
    }
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz() -> Response:
        """Answer like the node's health check, without a database."""
        return Response(b'{"status": "ok"}', mimetype="application/json")

    @app.get("/")
    @app.get("/<path:path>")
    def page(path: str = "") -> Response:
        """Return the stored bytes of a page."""
        content, headers = pages["/" + path]
        return Response(content, headers=headers)

    return app


def write_bodies(folder: Path, pages: dict[str, tuple[bytes, dict[str, str]]]
                 ) -> Path:
    """Store the node's answers for the floor to serve; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for number, (path, (body, headers)) in enumerate(sorted(pages.items())):
        name = f"body-{number}"
        (folder / name).write_bytes(body)
        manifest[path] = {"file": name, "headers": headers}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), "utf-8")
    return folder


def main() -> None:
    """Serve the bare app with waitress on the loopback interface."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--bodies", type=Path, required=True)
    args = parser.parse_args()

    waitress.serve(create_floor(args.bodies), host="127.0.0.1",
                   port=args.port, threads=args.threads, ident="floor")


if __name__ == "__main__":
    main()
