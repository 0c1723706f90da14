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


def target_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Flatten a revoke result's targets for text and table output."""
    rows = []
    for target in result.get("targets", []):
        verification = target.get("verification") or {}
        rows.append(
            {
                "kind": target.get("kind"),
                "name": target.get("name"),
                "account": target.get("account"),
                "status": target.get("status"),
                "cutoff": result.get("cutoff"),
                "previous_cutoff": target.get("previous_cutoff"),
                "verification": verification.get("status"),
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
