"""What the responder reads before saying yes, and the one line after every run.

The plan before the question: each principal and what happens to it (written, unchanged
and why, refused and why), the credentials taken away, every warning that bears on the
decision; then the question, whose count is the principals that change ("1 of 2"). A bulk
run gets the counts and the first few of each instead of 2,000 lines.

The summary after the run: `revoked 1998 of 2000 users in 12.3 s: 1998 verified, 2 failed
(see above)`, on stderr, whatever the output format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from revoke.core.output import skipped_layers
from revoke.core.plan import STATUS_APPLIED, STATUS_FAILED, STATUS_PLANNED, STATUS_UNCHANGED

if TYPE_CHECKING:
    from revoke.core.plan import TargetPlan
    from revoke.ops.revocation import RunResult

# Up to this many targets the plan names every one; past it, counts and the first few.
LIST_ALL_UP_TO = 20
FIRST_FEW = 5
# Warnings shown before the question in a bulk run (all of them go with the output).
WARNINGS_SHOWN = 5


def plural(count: int, kind: str) -> str:
    return f"{count} {kind}{'' if count == 1 else 's'}"


def _in_force(row: TargetPlan) -> bool:
    from revoke.core.policy import compact

    return (
        row.previous_document is not None
        and row.policy_document is not None
        and compact(row.previous_document) == compact(row.policy_document)
    )


def what_happens(row: TargetPlan) -> str:
    """One principal's line of the plan: `user alice: write AWSRevokeOlderSessions`."""
    who = f"{row.kind} {row.name}"
    if row.status == STATUS_FAILED:
        return f"{who}: refused: {row.error or row.error_code or 'no reason given'}"
    if row.status == STATUS_UNCHANGED:
        return f"{who}: unchanged: {row.reason or 'nothing to change'}"
    if _in_force(row):
        return f"{who}: deny already in force; containment only"
    where = (
        f"customer-managed policy {row.policy_name}"
        if row.mechanism == "managed"
        else f"inline policy {row.policy_name}"
    )
    moved = f", replacing cutoff {row.previous_cutoff}" if row.previous_cutoff else ""
    return f"{who}: write the deny ({where}{moved})"


def _steps(row: TargetPlan) -> list[str]:
    from revoke.ops.containment import PLANNED, step_summary

    return [
        step_summary(step).removesuffix(f": {PLANNED}")
        for step in row.containment
        if step.get("result") == PLANNED
    ]


def _names(rows: Sequence[TargetPlan], *, why: bool = False) -> str:
    shown = []
    for row in rows[:FIRST_FEW]:
        reason = row.error if row.status == STATUS_FAILED else row.reason
        shown.append(f"{row.name} ({reason})" if why and reason else row.name)
    more = len(rows) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def plan_lines(result: RunResult, kind: str, account: str) -> list[str]:
    """The plan as the prompt shows it, warnings last (without the question)."""
    rows = result.targets
    lines = [
        f"plan: deny sessions issued before {result.cutoff} to {plural(len(rows), kind)} "
        f"in account {account}"
    ]
    if len(rows) <= LIST_ALL_UP_TO:
        for row in rows:
            lines.append(f"  {what_happens(row)}")
            lines.extend(f"    {step}" for step in _steps(row))
    else:
        groups = [
            ("to write", [r for r in rows if r.status == STATUS_PLANNED], False),
            ("unchanged", [r for r in rows if r.status == STATUS_UNCHANGED], True),
            ("refused", [r for r in rows if r.status == STATUS_FAILED], True),
        ]
        lines.append(
            "  " + ", ".join(f"{len(group)} {label}" for label, group, _ in groups if group)
        )
        for label, group, why in groups:
            if group:
                lines.append(f"  {label}: {_names(group, why=why)}")
        from revoke.ops.containment import describe_containment

        if also := describe_containment(rows).removeprefix(", and "):
            lines.append(f"  and: {also}")
    warnings = decision_warnings(result)
    if len(rows) > LIST_ALL_UP_TO and len(warnings) > WARNINGS_SHOWN:
        lines.extend(f"warning: {w}" for w in warnings[:WARNINGS_SHOWN])
        lines.append(
            f"  ... and {len(warnings) - WARNINGS_SHOWN} more warning(s), all in the output"
        )
    else:
        lines.extend(f"warning: {w}" for w in warnings)
    return lines


def decision_warnings(result: RunResult) -> list[str]:
    """Every warning the plan already holds: the run's and each target's."""
    return list(result.warnings) + [w for row in result.targets for w in row.warnings]


def question(result: RunResult, kind: str, account: str) -> str:
    """`Write the deny to 1 of 2 users in account A, and deactivate 1 access key(s)?`"""
    from revoke.ops.containment import describe_containment

    changing, named = len(result.changes), len(result.targets)
    count = plural(changing, kind) if changing == named else f"{changing} of {plural(named, kind)}"
    return f"Write the deny to {count} in account {account}{describe_containment(result.targets)}?"


def summary_line(result: RunResult, kind: str, seconds: float) -> str:
    """The last line of every run, for people."""
    rows = result.targets
    named = plural(len(rows), kind)
    took = f"in {seconds:.1f} s"
    unchanged = sum(r.status == STATUS_UNCHANGED for r in rows)
    failed = sum(r.status == STATUS_FAILED for r in rows)
    if result.dry_run:
        offline = not result.actor
        changes = len(result.changes)
        verb = "rendered the deny for" if offline else "planned"
        planned_counts = [f"{changes} to write"] if not offline else []
        planned_counts += [f"{unchanged} unchanged"] if unchanged else []
        planned_counts += [f"{failed} refused"] if failed else []
        said = f": {', '.join(planned_counts)}" if planned_counts else ""
        return f"dry run: {verb} {named} {took}{said}; nothing was changed"
    applied = [r for r in rows if r.status == STATUS_APPLIED]
    planned = [r for r in rows if r.status == STATUS_PLANNED]
    if not applied and planned and not result.stopped:
        return f"nothing was changed: declined at the prompt ({len(planned)} of {named} planned)"
    counts: list[str] = []
    by_verification: dict[str, int] = {}
    for row in applied:
        status = (row.verification or {}).get("status") or "skipped"
        by_verification[status] = by_verification.get(status, 0) + 1
    words = {
        "verified": "verified",
        "unverified": "unverified",
        "failed": "failed verification",
        "skipped": "not verified (--no-verify)",
    }
    verified = [r for r in applied if (r.verification or {}).get("status") == "verified"]
    layers = {skipped_layers(r.verification) for r in verified}
    if len(layers) == 1 and (layer := layers.pop()):  # the same layer left out of every one
        words["verified"] = f"verified ({layer})"
    for status in ("verified", "unverified", "failed", "skipped"):
        if by_verification.get(status):
            counts.append(f"{by_verification[status]} {words[status]}")
    if unchanged:
        counts.append(f"{unchanged} unchanged")
    if failed:
        counts.append(f"{failed} failed")
    if planned:
        counts.append(f"{len(planned)} not started")
    attention = failed or by_verification.get("unverified") or by_verification.get("failed")
    said = ", ".join(counts) + (" (see above)" if attention else "")
    verb = "revoked" if applied or not unchanged else "nothing to change:"
    return f"{verb} {len(applied)} of {named} {took}: {said}"
