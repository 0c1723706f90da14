"""Machine output: JSON (one object on stdout) and tab-separated text for shells. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
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


def target_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Flatten a revoke result's targets for text and table output. The verification cell
    says how many credential paths the residual report found open beside the status
    (`verified (2 paths open)`): "verified" is about the sessions, not the other paths."""
    rows = []
    residual = _residual_by_target(result)
    for target in result.get("targets", []):
        verification = target.get("verification") or {}
        status = verification.get("status")
        note = residual_note(
            residual.get((target.get("kind"), str(target.get("name", "")).lower()))
        )
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
