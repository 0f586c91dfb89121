"""The result table: figure, target, measured (p50/p95 or value), baseline, ratio."""

from __future__ import annotations

from bench.common import Row

COLUMNS = ("figure", "target", "measured", "baseline", "ratio")


def render(rows: list[Row]) -> str:
    cells = [COLUMNS] + [tuple(getattr(row, column) or "" for column in COLUMNS) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    rule = "+".join("-" * (w + 2) for w in widths)
    out = []
    for index, line in enumerate(cells):
        out.append("|".join(f" {value:<{widths[i]}} " for i, value in enumerate(line)).rstrip())
        if index == 0:
            out.append(rule)
    return "\n".join(out)


def verdicts(rows: list[Row]) -> str:
    missed = [row for row in rows if row.met is False]
    met = [row for row in rows if row.met is True]
    lines = [f"Targets met: {len(met)}, missed: {len(missed)} (of {len(met) + len(missed)} with a target)."]
    for row in missed:
        lines.append(f"  MISSED  {row.figure}: {row.measured} (target {row.target})")
    return "\n".join(lines)
