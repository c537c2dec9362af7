"""Print the figures as plain-text tables."""

from __future__ import annotations

from typing import Any, Sequence


def table(title: str, headers: Sequence[str],
          rows: Sequence[Sequence[Any]]) -> str:
    """Return an aligned table with a title line."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row]
                                           for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [title, "-" * len(title)]
    for number, row in enumerate(cells):
        lines.append("  ".join(
            value.ljust(width) if index == 0 else value.rjust(width)
            for index, (value, width) in enumerate(zip(row, widths))
        ).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    """Format one value: thousands apart, floats short, None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def verdict(ok: bool | None) -> str:
    """Return the word a table uses for a budget met or missed."""
    if ok is None:
        return "-"
    return "ok" if ok else "OVER"
