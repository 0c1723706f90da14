"""`revoke lift user|role`: the deny removed or the document put back (in full), each
credential reactivated or why not, the trust policy restored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from revoke.cli.plan_view.common import _warning_lines, plural

if TYPE_CHECKING:
    from revoke.ops.lift import LiftPlan


def _deny_text(document: Mapping[str, Any] | None) -> str:
    from revoke.core.policy import existing_cutoff
    from revoke.core.sessiondeny import session_cutoff

    if document is None:
        return "no policy"
    if cutoff := existing_cutoff(document):
        return f"a deny with cutoff {cutoff}"
    if cutoff := session_cutoff(document):
        return f"a deny of the sessions found, cutoff {cutoff}"
    return "a document without a revocation"


def lift_plan_lines(plan: LiftPlan) -> list[str]:
    """`revoke lift user|role`'s plan: the deny removed or narrowed (the document restored,
    in full) and what stays, each credential reactivated (or why not), the trust policy
    restored; the notes (what cannot be restored, sessions that work again) as warnings."""
    import json

    from revoke.ops.containment import PLANNED, step_summary

    who = f"{plan.kind} {plan.name}"
    where = "customer-managed policy" if plan.mechanism == "managed" else "inline policy"
    now = _deny_text(plan.current_document)
    lines = [f"plan: lift the revocation of {who} in account {plan.account}"]
    if plan.policy_action == "remove":
        lines.append(f"  remove {where} {plan.policy_name} ({now}): nothing of revoke's stays")
    elif plan.policy_action == "restore":
        lines.append(
            f"  restore {where} {plan.policy_name} as it was before revoke "
            f"({_deny_text(plan.restored_document)}), replacing {now}"
        )
    else:
        lines.append(f"  {where} {plan.policy_name} stays as it is ({now})")
    for step in plan.containment:
        result = str(step.get("result"))
        text = step_summary(step).removesuffix(f": {result}")
        if result == PLANNED:
            lines.append(f"  {text}")
        elif result == "already_done":
            lines.append(f"  {text}: already done, nothing to do")
        else:
            lines.append(f"  {text}: {result}" + (f": {step['note']}" if step.get("note") else ""))
    if plan.policy_action == "restore":
        lines.append(f"  document to install as {plan.policy_name} on {who}:")
        lines += [
            f"    {line}" for line in json.dumps(plan.restored_document, indent=2).splitlines()
        ]
    for step in plan.containment:
        if step.get("action") == "restore_trust" and step.get("result") == PLANNED:
            lines.append(f"  trust policy to install on role {plan.name}:")
            lines += [f"    {line}" for line in json.dumps(step["document"], indent=2).splitlines()]
    return lines + _warning_lines(plan.notes, bulk=False)


def lift_question(plan: LiftPlan) -> str:
    from revoke.ops.containment import PLANNED

    planned = [s for s in plan.containment if s.get("result") == PLANNED]
    trust = any(s.get("action") == "restore_trust" for s in planned)
    parts = [f"{plan.policy_action} the policy"] if plan.policy_action != "none" else []
    if len(planned) - trust:
        parts.append(f"reactivate {plural(len(planned) - trust, 'credential')}")
    if trust:
        parts.append("restore the trust policy")
    return (
        f"Lift the revocation of {plan.kind} {plan.name} ({', '.join(parts)})? Sessions it "
        "denied work again."
    )
