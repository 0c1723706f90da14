"""The rows of `revoke token inspect`'s table: the payload's fields in order, with their
labels, then the revocation verdict, its cutoff, reason and the probe."""

from __future__ import annotations

from typing import Any

INSPECT_ROWS = [
    ("access_key_id", "access key ID"),
    ("key_type", "key type"),
    ("key_account", "account (from key ID)"),
    ("key_account_note", "account (from key ID)"),
    ("access_key_info_account", "account (GetAccessKeyInfo)"),
    ("access_key_info_error", "account not confirmed"),
    ("status", "status"),
    ("error", "error"),
    ("arn", "principal"),
    ("principal_type", "principal type"),
    ("issued_at", "issued"),
    ("expires_at", "expires"),
    ("time_left", "time left"),
    ("mfa", "MFA"),
]


def inspect_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    def shown(value: Any) -> Any:
        return ("yes" if value else "no") if isinstance(value, bool) else value

    rows = [
        {"field": label, "value": shown(payload.get(key))}
        for key, label in INSPECT_ROWS
        if payload.get(key) is not None
    ]
    revocation = payload["revocation"]
    rows.append({"field": "revocation", "value": revocation["status"]})
    if revocation.get("cutoff"):
        rows.append({"field": "cutoff", "value": revocation["cutoff"]})
    rows.append({"field": "why", "value": revocation["reason"]})
    if revocation.get("decided_by"):
        rows.append({"field": "decided by", "value": revocation["decided_by"]})
    probe = revocation.get("probe")
    if probe:
        rows.append({"field": "probe", "value": f"{probe['call']} ({probe['action']})"})
        rows.append({"field": "probe outcome", "value": probe["outcome"]})
        if probe.get("compared_with"):
            rows.append({"field": "compared with", "value": probe["compared_with"]})
    return rows
