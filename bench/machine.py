"""Describe the machine a figure was measured on."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def describe(workdir: Path) -> dict[str, Any]:
    """Return CPU, cores, memory, Python, disk and load of this machine."""
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_mb": _meminfo_kb("MemTotal") // 1024,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "filesystem": _filesystem(workdir),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "commit": _commit(),
    }


def summary(machine: dict[str, Any]) -> str:
    """Return the machine in one line, for the top of the table."""
    return (f"{machine['cpu']}, {machine['cores']} cores, "
            f"{machine['ram_mb']} MB RAM, Python {machine['python']}, "
            f"{machine['filesystem']}, load {machine['load_average'][0]} "
            f"at start, {machine['date']}, commit {machine['commit']}")


def _cpu_model() -> str:
    """Return the CPU model name, or the platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Hardware", "Model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _meminfo_kb(field: str) -> int:
    """Return one field of /proc/meminfo in kB (0 where there is none)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _filesystem(path: Path) -> str:
    """Return the file system type the databases are written to.

    fsync on tmpfs costs nothing, which would void the durability figure.
    """
    best, kind = "", "unknown"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    target = path.resolve()
    for line in mounts:
        parts = line.split()
        if len(parts) < 3 or len(parts[1]) <= len(best):
            continue
        if target == Path(parts[1]) or Path(parts[1]) in target.parents:
            best, kind = parts[1], parts[2]
    return kind


def _commit() -> str:
    """Return the short git commit of the tree, marked when it has changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
            capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, text=True,
            capture_output=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}{'+changes' if dirty else ''}" or "unknown"
