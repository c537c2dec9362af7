"""Start the node and the floor as real servers, and talk to them.

Both are served by waitress with the same number of threads, on
127.0.0.1 only, each in its own process, so that start-up time and memory
are those of a real `buurt serve`.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.load import USER_AGENT
from bench.queries import csrf_token

REPO = Path(__file__).resolve().parent.parent
THREADS = 4
START_TIMEOUT = 60.0
POLL_INTERVAL = 0.005


class ServerError(RuntimeError):
    """A server did not start or did not answer as expected."""


@dataclass
class Server:
    """A running server process and what its start-up cost."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started_in: float

    def get(self, path: str, headers: dict[str, str] | None = None
            ) -> tuple[int, dict[str, str], bytes]:
        """Fetch a path; return status, headers and the raw body bytes.

        http.client does not decompress, so the body is what travelled.
        """
        return fetch(self.port, path, headers)

    def peak_rss(self) -> int:
        """Return the process's peak resident memory (VmHWM) in bytes."""
        return _status_kb(self.process.pid, "VmHWM") * 1024

    def rss(self) -> int:
        """Return the process's resident memory now (VmRSS) in bytes."""
        return _status_kb(self.process.pid, "VmRSS") * 1024

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def buurt_executable() -> str:
    """Return the `buurt` command installed beside this Python."""
    path = Path(sys.executable).parent / "buurt"
    if not path.exists():
        raise ServerError(f"no `buurt` command beside {sys.executable}: "
                          "install buurt into this environment first")
    return str(path)


def start_node(instance: Path, logs: Path, threads: int = THREADS) -> Server:
    """Run `buurt serve` on a free loopback port, scheduler off."""
    port = free_port()
    command = [buurt_executable(), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--threads", str(threads)]
    environ = {**os.environ, "BUURT_INSTANCE": str(instance),
               "BUURT_SCHEDULER": "off"}
    return _start("node", command, environ, port, logs)


def start_floor(bodies: Path, logs: Path, threads: int = THREADS) -> Server:
    """Run the bare Flask app on a free loopback port."""
    port = free_port()
    command = [sys.executable, "-m", "bench.floor", "--port", str(port),
               "--threads", str(threads), "--bodies", str(bodies)]
    return _start("floor", command, dict(os.environ), port, logs)


def _start(name: str, command: list[str], environ: dict[str, str],
           port: int, logs: Path) -> Server:
    """Start a server; return once /healthz has answered 200."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}-{port}.log"
    with open(log, "wb") as output:
        began = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env=environ,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = Server(name, process, port, log, 0.0)

    deadline = began + START_TIMEOUT
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise ServerError(f"{name} stopped at start-up; see {log}:\n"
                              + _tail(log))
        try:
            status, _, _ = fetch(port, "/healthz", timeout=1.0)
        except OSError:
            status = 0
        if status == 200:
            server.started_in = time.perf_counter() - began
            return server
        time.sleep(POLL_INTERVAL)

    server.stop()
    raise ServerError(f"{name} did not answer /healthz within "
                      f"{START_TIMEOUT:.0f} s; see {log}:\n" + _tail(log))


def fetch(port: int, path: str, headers: dict[str, str] | None = None,
          timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    """GET a path from 127.0.0.1:port without decoding the body."""
    connection = http.client.HTTPConnection("127.0.0.1", port,
                                            timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body
    finally:
        connection.close()


def login(port: int, username: str, pin: str) -> str:
    """Log in through the real form; return the Cookie header to send."""
    base = f"http://127.0.0.1:{port}"
    with requests.Session() as browser:
        browser.headers["User-Agent"] = USER_AGENT
        token = csrf_token(browser.get(f"{base}/login", timeout=30).text)
        answer = browser.post(f"{base}/login", timeout=30,
                              allow_redirects=False,
                              data={"username": username, "pin": pin,
                                    "csrf_token": token})
        if answer.status_code != 302:
            raise ServerError(f"login as {username} answered "
                              f"{answer.status_code}, not 302")
        return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def _status_kb(pid: int, field: str) -> int:
    """Return one field of /proc/<pid>/status in kB (0 when unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tail(log: Path, lines: int = 20) -> str:
    """Return the last lines of a server's log."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""

