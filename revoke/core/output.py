"""Machine output: JSON (one object on stdout) and tab-separated text for shells. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The top-level warning of a run whose confirmation prompt was declined: its JSON says
# `"dry_run": false` (a change was asked for) with every change still `planned`.
DECLINED = "declined at the prompt: nothing changed"


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False, default=str)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value).replace("\t", " ").replace("\n", " ")


def rows_text(rows: list[Mapping[str, Any]], columns: list[str]) -> str:
    """Tab-separated, one row a line, no header: for `cut`, `awk` and `while read`."""
    return "\n".join("\t".join(_cell(row.get(c)) for c in columns) for row in rows)


def _residual_by_target(result: Mapping[str, Any]) -> dict[tuple[Any, str], Mapping[str, Any]]:
    found = {}
    for report in result.get("residual") or []:
        principal = report.get("principal") or {}
        found[(principal.get("kind"), str(principal.get("name", "")).lower())] = report
    return found


def residual_note(report: Mapping[str, Any] | None) -> str | None:
    """`2 paths open`, `1 path open, 2 unchecked`: what the verification cell must say
    beside "verified" while a credential path of the target is still open (or unknown)."""
    if not report:
        return None
    opened, unchecked = int(report.get("open") or 0), int(report.get("unchecked") or 0)
    said = []
    if opened:
        said.append(f"{opened} path{'s' if opened != 1 else ''} open")
    if unchecked:
        said.append(f"{unchecked} unchecked")
    return ", ".join(said) or None


def residual_lines(result: Mapping[str, Any]) -> list[str]:
    """One line per open path of a run's residual report, with the command that closes it
    (for people: the table; JSON holds the whole report)."""
    lines = []
    for report in result.get("residual") or []:
        principal = report.get("principal") or {}
        who = f"{principal.get('kind')} {principal.get('name')}"
        for path in report.get("paths") or []:
            if path.get("state") == "open":
                closes = "; ".join(path.get("closes") or []) or "-"
                lines.append(
                    f"{who}: {path.get('path')} open: {path.get('detail')}; close: {closes}"
                )
    return lines


def skipped_layers(verification: Mapping[str, Any]) -> str | None:
    """`enforcement skipped`: what "verified" did not include (no probe credentials, the
    policy simulator left out of a bulk run is part of the logic layer and not named)."""
    skipped = [
        layer
        for layer in ("read_back", "logic", "enforcement")
        if (verification.get(layer) or {}).get("status", "skipped") == "skipped"
    ]
    return f"{', '.join(s.replace('_', '-') for s in skipped)} skipped" if skipped else None


def target_rows(result: Mapping[str, Any], *, layers: bool = False) -> list[dict[str, Any]]:
    """Flatten a revoke result's targets for text and table output. The verification cell
    says how many credential paths the residual report found open beside the status
    (`verified (2 paths open)`): "verified" is about the sessions, not the other paths; and
    with `layers` (tables, for people), which layer it did not include (`verified
    (enforcement skipped)`); text output keeps the word scripts match."""
    rows = []
    residual = _residual_by_target(result)
    for target in result.get("targets", []):
        verification = target.get("verification") or {}
        status = verification.get("status")
        notes = [skipped_layers(verification)] if layers and status == "verified" else []
        notes.append(
            residual_note(residual.get((target.get("kind"), str(target.get("name", "")).lower())))
        )
        note = ", ".join(n for n in notes if n)
        rows.append(
            {
                "kind": target.get("kind"),
                "name": target.get("name"),
                "account": target.get("account"),
                "status": target.get("status"),
                "cutoff": result.get("cutoff"),
                "previous_cutoff": target.get("previous_cutoff"),
                "verification": f"{status} ({note})" if status and note else status,
                "detail": target.get("error") or target.get("reason"),
            }
        )
    return rows


TARGET_COLUMNS = [
    "kind",
    "name",
    "account",
    "status",
    "cutoff",
    "previous_cutoff",
    "verification",
    "detail",
]


# -- tables that fit the terminal ---------------------------------------------------------

# Which columns a table keeps when it cannot show them all, most needed first: what was done
# to whom before where and when (the title says the cutoff). A column not named here sits in
# the middle. JSON and text output always carry every column.
COLUMN_PRIORITY = {
    "name": 0,
    "target": 0,
    "problem": 0,
    "status": 1,
    "kind": 2,
    "verification": 3,
    "detail": 4,
    "action": 5,
    "account": 6,
    "keys": 7,
    "step": 7,
    "steps": 7,
    "user": 8,
    "role": 8,
    "time": 9,
    "policy_name": 12,
    "cutoff": 14,
    "previous_cutoff": 15,
    "mechanism": 16,
}
MIDDLE_PRIORITY = 10
# A column of sentences wraps at spaces, but never narrower than this (or its longest word).
PROSE_MIN_WIDTH = 16


def table_overhead(columns: int) -> int:
    """Characters a boxed table spends besides its cells: one space of padding each side of
    every cell and a rule between and around the columns (rich's default box)."""
    return 3 * columns + 1


@dataclass
class ColumnFit:
    name: str
    width: int
    wraps: bool  # a column of sentences (wrapped at spaces); others hold one token a cell


@dataclass
class TableFit:
    columns: list[ColumnFit]
    dropped: list[str]


def fit_columns(
    header: Mapping[str, str],
    cells: Mapping[str, Sequence[str]],
    width: int,
    priority: Mapping[str, int] | None = None,
) -> TableFit:
    """Widths for a table of `width` characters in which no ID, ARN or time is split: a
    cell without spaces is one token and its column is as wide as the widest; a column of
    sentences wraps at spaces, never below its longest word. Columns that do not fit are
    dropped, least needed first (`priority`, else COLUMN_PRIORITY); the first column is
    always kept."""
    rank = {**COLUMN_PRIORITY, **(priority or {})}
    order = list(header)
    for name in order:  # the same value in every row is said once, under the table
        values = cells.get(name, [])
        if len(values) > 1 and len(set(values)) == 1:
            rank[name] = rank.get(name, MIDDLE_PRIORITY) + 20
    natural, least, wraps = {}, {}, {}
    for name in order:
        texts = [header[name], *cells.get(name, [])]
        words = [w for t in texts for w in t.split()] or [""]
        natural[name] = max(len(t) for t in texts)
        wraps[name] = any(" " in t.strip() for t in cells.get(name, []))
        longest = max(len(w) for w in words)
        prose = max(longest, min(natural[name], PROSE_MIN_WIDTH))
        least[name] = prose if wraps[name] else natural[name]
    kept = list(order)
    dropped: list[str] = []
    while len(kept) > 1 and sum(least[c] for c in kept) + table_overhead(len(kept)) > width:
        worst = max(kept[1:], key=lambda c: (rank.get(c, MIDDLE_PRIORITY), kept.index(c)))
        kept.remove(worst)
        dropped.append(worst)
    widths = {c: least[c] for c in kept}
    spare = width - sum(widths.values()) - table_overhead(len(kept))
    while spare > 0:  # the room left goes to the columns that wrap, narrowest need first
        growing = sorted((c for c in kept if widths[c] < natural[c]), key=lambda c: natural[c])
        if not growing:
            break
        share = max(1, spare // len(growing))
        for column in growing:
            more = min(share, natural[column] - widths[column], spare)
            widths[column] += more
            spare -= more
    return TableFit([ColumnFit(c, widths[c], wraps[c]) for c in kept], dropped)
