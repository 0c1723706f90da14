"""Verification layer 1, read-back: IAM returns exactly the document each row wrote.

One row at a time after a small run's write; for many rows, one bulk read per kind
(GetAccountAuthorizationDetails) and a second look only at the rows it did not confirm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revoke.core.plan import TargetPlan
from revoke.core.policy import compact
from revoke.errors import RevokeError
from revoke.ops.pool import map_bounded

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway


def read_back_status(found: dict[str, Any], verify: bool) -> str:
    """A written row's verification status after layer 1 alone (see apply_run)."""
    if found.get("status") in ("missing", "mismatch"):
        return "failed"
    return "unverified" if verify else "skipped"


def read_back(gateway: IamGateway, row: TargetPlan) -> dict[str, Any]:
    """Layer 1: IAM returns exactly the document we wrote."""
    found: dict[str, Any] | None
    try:
        if row.mechanism == "managed" and row.managed_policy_arn:
            found = gateway.managed_document(row.managed_policy_arn)
        else:
            found = gateway.get_inline(row.kind, row.name, row.policy_name)
    except RevokeError as err:
        return {"status": "error", "error": err.message}
    return compare(found, row)


def compare(found: dict[str, Any] | None, row: TargetPlan) -> dict[str, Any]:
    """What IAM holds against what the row wrote: ok, missing, or mismatch (with it)."""
    if found is None:
        return {"status": "missing"}
    if row.policy_document is not None and compact(found) == compact(row.policy_document):
        return {"status": "ok"}
    return {"status": "mismatch", "found": found}


def _confirmed_inline(gateway: IamGateway, kind: str, group: list[TargetPlan]) -> set[str]:
    """Lower-cased names of the inline rows whose document IAM returns exactly as written,
    from one bulk read; empty when that read fails (each row is then read on its own)."""
    from revoke.aws.bulk import scan_inline

    inline = {r.name.lower(): r for r in group if r.mechanism == "inline"}
    confirmed: set[str] = set()

    def visit(name: str, document: dict[str, Any] | None) -> None:
        if compare(document, inline[name])["status"] == "ok":
            confirmed.add(name)

    try:
        scan_inline(gateway, kind, {n: r.policy_name for n, r in inline.items()}, visit)
    except RevokeError:
        return set()
    return confirmed


def read_back_many(gateway: IamGateway, rows: list[TargetPlan], max_workers: int) -> None:
    """Layer 1 for many written rows: one bulk read per kind for the inline documents, then
    a second look, target by target, at any row that did not match (IAM is eventually
    consistent, fact 18) and at the few written as managed fallbacks."""

    def second_look(row: TargetPlan) -> None:
        row.verification["read_back"] = read_back(gateway, row)  # status: apply_run's

    for kind in sorted({row.kind for row in rows}):
        group = [r for r in rows if r.kind == kind]
        confirmed = _confirmed_inline(gateway, kind, group)
        others = []
        for row in group:
            if row.mechanism == "inline" and row.name.lower() in confirmed:
                row.verification["read_back"] = {"status": "ok"}
            else:
                others.append(row)
        map_bounded(second_look, others, max_workers)
