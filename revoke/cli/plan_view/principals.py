"""`revoke user|role`: each principal and what happens to it, the bulk counts, the
question's `N of M`, and the one line after every run (`summary_line`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from revoke.cli.plan_view.common import (
    FIRST_FEW,
    LIST_ALL_UP_TO,
    _first_few,
    _warning_lines,
    plural,
)
from revoke.core.output import skipped_layers
from revoke.core.plan import STATUS_APPLIED, STATUS_FAILED, STATUS_PLANNED, STATUS_UNCHANGED

if TYPE_CHECKING:
    from revoke.core.plan import TargetPlan
    from revoke.ops.revocation import RunResult


def what_happens(row: TargetPlan, name: str | None = None) -> str:
    """One principal's line of the plan: `user alice: write AWSRevokeOlderSessions`
    (`name`: how to name it, `alice in 111111111111` in a fan-out)."""
    who = f"{row.kind} {name or row.name}"
    if row.status == STATUS_FAILED:
        return f"{who}: refused: {row.error or row.error_code or 'no reason given'}"
    if row.status == STATUS_UNCHANGED:
        return f"{who}: unchanged: {row.reason or 'nothing to change'}"
    if row.document_in_force:
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


def _names(
    rows: Sequence[TargetPlan],
    *,
    why: bool = False,
    name: Callable[[TargetPlan], str] | None = None,
) -> str:
    shown = []
    for row in rows[:FIRST_FEW]:
        reason = row.error if row.status == STATUS_FAILED else row.reason
        named = name(row) if name else row.name
        shown.append(f"{named} ({reason})" if why and reason else named)
    return _first_few(shown, len(rows))


def _target_lines(
    rows: Sequence[TargetPlan],
    indent: str = "  ",
    name: Callable[[TargetPlan], str] | None = None,
) -> list[str]:
    """Each principal and what happens to it; past LIST_ALL_UP_TO, counts and the first few
    (`name` names a row: the fan-out adds its account)."""
    lines: list[str] = []
    if len(rows) <= LIST_ALL_UP_TO:
        for row in rows:
            lines.append(f"{indent}{what_happens(row, name(row) if name else None)}")
            lines.extend(f"{indent}  {step}" for step in _steps(row))
        return lines
    groups = [
        ("to write", [r for r in rows if r.status == STATUS_PLANNED], False),
        ("unchanged", [r for r in rows if r.status == STATUS_UNCHANGED], True),
        ("refused", [r for r in rows if r.status == STATUS_FAILED], True),
    ]
    lines.append(indent + ", ".join(f"{len(group)} {label}" for label, group, _ in groups if group))
    for label, group, why in groups:
        if group:
            lines.append(f"{indent}{label}: {_names(group, why=why, name=name)}")
    from revoke.ops.containment import describe_containment

    if also := describe_containment(list(rows)).removeprefix(", and "):
        lines.append(f"{indent}and: {also}")
    return lines


def plan_lines(result: RunResult, kind: str, account: str) -> list[str]:
    """The plan as the prompt shows it, warnings last (without the question)."""
    rows = result.targets
    lines = [
        f"plan: deny sessions issued before {result.cutoff} to {plural(len(rows), kind)} "
        f"in account {account}"
    ]
    lines += _target_lines(rows)
    return lines + _warning_lines(decision_warnings(result), bulk=len(rows) > LIST_ALL_UP_TO)


def decision_warnings(result: RunResult) -> list[str]:
    """Every warning the plan already holds: the run's and each target's."""
    return list(result.warnings) + [w for row in result.targets for w in row.warnings]


def question(result: RunResult, kind: str, account: str) -> str:
    """`Write the deny to 1 of 2 users in account A, and deactivate 1 access key(s)?`"""
    from revoke.ops.containment import describe_containment

    count = changing_of(len(result.changes), len(result.targets), kind)
    return f"Write the deny to {count} in account {account}{describe_containment(result.targets)}?"


def changing_of(changing: int, named: int, kind: str) -> str:
    """The question's count: `1 user`, or `1 of 2 users` when some of those named do not
    change."""
    return plural(changing, kind) if changing == named else f"{changing} of {plural(named, kind)}"


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
