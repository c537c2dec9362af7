"""Drive a server with wrk: concurrent clients over loopback, bounded.

wrk runs in its own process and uses little CPU per request, so the server
under test gets most of the machine. Its Lua hook prints the figures as
one JSON line, including the 95th percentile that `--latency` omits.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from typing import Any

CLIENTS = 20
WRK_THREADS = 2
MARKER = "BENCH "
# The login and every loaded request name the same browser, as a phone
# does: Flask-Login marks a session from another browser as not fresh and
# rewrites its cookie on every answer, which no real phone would cost.
USER_AGENT = "buurt-bench"

_SCRIPT = """
wrk.headers["Accept-Encoding"] = "gzip"
wrk.headers["User-Agent"] = "%(user_agent)s"
%(headers)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests": %%.0f, "duration_us": %%.0f, "bytes": %%.0f, ' ..
    '"socket_errors": %%.0f, "non_2xx_3xx": %%.0f, "p50_us": %%.0f, ' ..
    '"p95_us": %%.0f, "p99_us": %%.0f, "max_us": %%.0f}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    bytes_per_response: int

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain data."""
        return asdict(self)


def wrk_path() -> str | None:
    """Return the wrk executable, or None when it is not installed."""
    return shutil.which("wrk")


def run_load(url: str, duration: float, headers: dict[str, str],
             clients: int = CLIENTS) -> LoadResult:
    """Load `url` with `clients` keep-alive connections for `duration` s.

    Raises RuntimeError when wrk is missing or prints no figures.
    """
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    lines = "\n".join(f"wrk.headers[{_lua(name)}] = {_lua(value)}"
                      for name, value in headers.items())

    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_SCRIPT % {"headers": lines, "marker": MARKER,
                                "user_agent": USER_AGENT})
        script.flush()
        seconds = max(1, round(duration))
        answer = subprocess.run(
            [wrk, f"-t{min(WRK_THREADS, clients)}", f"-c{clients}",
             f"-d{seconds}s", "--timeout", "10s", "-s", script.name, url],
            capture_output=True, text=True, timeout=seconds + 60)

    found = [line for line in answer.stdout.splitlines()
             if line.startswith(MARKER)]
    if not found:
        raise RuntimeError(f"wrk printed no figures: {answer.stdout}"
                           f"{answer.stderr}")
    raw = json.loads(found[-1][len(MARKER):])
    return _result(raw)


def _result(raw: dict[str, float]) -> LoadResult:
    """Turn wrk's counters (microseconds) into the figures we report."""
    requests = int(raw["requests"])
    seconds = raw["duration_us"] / 1e6
    return LoadResult(
        requests=requests,
        seconds=round(seconds, 2),
        requests_per_second=round(requests / seconds, 1) if seconds else 0.0,
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p95_ms=round(raw["p95_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        errors=int(raw["socket_errors"] + raw["non_2xx_3xx"]),
        bytes_per_response=int(raw["bytes"] / requests) if requests else 0,
    )


def _lua(text: str) -> str:
    """Quote a string for a Lua source file."""
    return json.dumps(text)

