"""`revoke org` and `revoke lift org`: the one service control policy, where it is
attached, the member accounts it reaches, and what a lift detaches, restores or deletes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from revoke.cli.plan_view.common import (
    LIST_ALL_UP_TO,
    _account_label,
    _accounts_text,
    _warning_lines,
    plural,
)

if TYPE_CHECKING:
    from revoke.core.scp import ScpPlan


def _org_targets(ids: Sequence[str]) -> str:
    """`root r-ab12, account 111111111111`: the kind says how much an attachment covers."""
    from revoke.core.scp import parse_org_target
    from revoke.errors import BadInput

    labels = []
    for target_id in ids:
        try:
            labels.append(f"{parse_org_target(target_id).kind} {target_id}")
        except BadInput:  # not an ID this version knows: as AWS said it
            labels.append(target_id)
    return ", ".join(labels)


def _covered_labels(accounts: Sequence[Mapping[str, str]]) -> list[str]:
    return [_account_label(a["id"], a.get("name")) for a in accounts]


def org_plan_lines(plan: ScpPlan, already_covered: Sequence[str] | None) -> list[str]:
    """`revoke org`'s plan: the policy and its cutoff, the targets it is (or will be)
    attached to, the exempt break-glass principals, the member accounts it reaches and
    which of them it covers already (`already_covered`; None: could not be read); then the
    warnings. An SCP attached to the root or an OU applies to every account below it
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html)."""
    from revoke.core.scp import SCP_POLICY_NAME, SCP_SIZE_LIMIT

    target = f"{plan.target.kind} {plan.target.id}"
    actions = {s["action"].removeprefix("organizations:"): s["target"] for s in plan.steps}
    lines = [
        f"plan: deny sessions issued before {plan.cutoff} under {target} of organization "
        f"{plan.organization_id}, with the service control policy {SCP_POLICY_NAME}"
    ]
    if plan.reason and plan.changes:
        lines.append(f"  cutoff: {plan.reason}")
    if "EnablePolicyType" in actions:
        lines.append(
            f"  first enable service control policies on root {actions['EnablePolicyType']}"
        )
    size = f"{plan.size:,} of {SCP_SIZE_LIMIT:,} characters" if plan.size else "size unknown"
    if "CreatePolicy" in actions:
        lines.append(f"  create the policy ({size})")
    elif "UpdatePolicy" in actions:
        moved = (
            f"replacing cutoff {plan.previous_cutoff}" if plan.previous_cutoff else "new content"
        )
        lines.append(f"  update policy {plan.policy_id} ({moved}; {size})")
    else:
        lines.append(f"  policy {plan.policy_id}: its document stays as it is")
    lines.append(
        f"  attach it to {target}"
        if "AttachPolicy" in actions
        else f"  already attached to {target}"
    )
    others = [t for t in plan.previous_targets if t != plan.target.id]
    if others:
        also = ": the new document applies there too" if "UpdatePolicy" in actions else ""
        lines.append(f"  also attached to {_org_targets(others)}{also}")
    lines.append("  exempt (break-glass): " + (", ".join(plan.exemptions) or "nobody"))
    labels = _covered_labels(plan.covered_accounts)
    lines.append(
        f"  reaches {plural(len(labels), 'member account')}"
        + (f": {_accounts_text(labels)}" if labels else "")
    )
    if already_covered is None:
        lines.append("  which of them it covers already: could not be read")
    elif labels:
        names = {a["id"]: a.get("name") for a in plan.covered_accounts}
        covered = [_account_label(a, names.get(a)) for a in already_covered]
        previous = f" (cutoff {plan.previous_cutoff})" if plan.previous_cutoff else ""
        lines.append(
            f"  already covered by it{previous}: "
            + (f"{len(covered)} of them: {_accounts_text(covered)}" if covered else "none of them")
        )
    return lines + _warning_lines(org_warnings(plan), bulk=len(labels) > LIST_ALL_UP_TO)


def org_warnings(plan: ScpPlan) -> list[str]:
    """The plan's warnings but the list of the accounts reached, which the plan says itself
    (in the first few, for a large organization); the output still says it."""
    ids = ", ".join(a["id"] for a in plan.covered_accounts)
    listing = f"the SCP reaches {len(plan.covered_accounts)} account(s) under {plan.target.id}: "
    return [w for w in plan.warnings if w != listing + ids]


def org_question(plan: ScpPlan) -> str:
    accounts = plural(len(plan.covered_accounts), "member account")
    return f"Deny sessions issued before {plan.cutoff} in {accounts} under {plan.target.id}?"


def org_lift_lines(lift: Mapping[str, Any], reach: Mapping[str, list[str]] | None) -> list[str]:
    """`revoke lift org`'s plan: what is done to the one SCP (detached from this target,
    its earlier content restored, or deleted), the member accounts whose older sessions
    work again, and the attachments that stay with what they keep (`reach`, from
    revoke.ops.organization_lift.lift_reach; None: could not be read)."""
    from revoke.core.scp import SCP_POLICY_NAME, scp_cutoff
    from revoke.ops.organization_lift import _describe

    target = f"{lift['kind']} {lift['name']}"
    live = lift.get("document_before")
    lines = [
        f"plan: lift the organization revocation on {target} of organization "
        f"{lift.get('organization_id')}: policy {SCP_POLICY_NAME} ({lift.get('policy_id')}) "
        f"holds {_describe(live)}"
    ]
    actions = [s["action"].removeprefix("organizations:") for s in lift["steps"]]
    restore = lift.get("restore_document")
    for action in actions:
        if action == "UpdatePolicy":
            lines.append(f"  restore the content it held before revoke ({_describe(restore)})")
        elif action == "DetachPolicy":
            lines.append(f"  detach it from {target}")
        elif action == "DeletePolicy":
            lines.append("  delete it (revoke created it)")
    cutoff = scp_cutoff(live)
    older = f"sessions issued before {cutoff}" if cutoff else "the sessions it denied"
    if reach is None:
        lines.append("  the member accounts it covers: could not be read")
    else:
        restored = "UpdatePolicy" in actions
        kept = set(reach["still_covered"]) if not restored else set()
        again = [a for a in reach["accounts"] if a not in kept]
        lines.append(
            f"  {older} work again in {plural(len(again), 'member account')} under "
            f"{lift['name']}" + (f": {_accounts_text(again)}" if again else "")
        )
        if reach["stays_attached"]:
            content = (
                f"its earlier content ({_describe(restore)})"
                if restored
                else f"its document as it is ({_describe(live)})"
            )
            lines.append(
                f"  stays attached to {_org_targets(reach['stays_attached'])} with {content}"
            )
        if kept:
            lines.append(
                f"  still denied there, through those attachments: {_accounts_text(sorted(kept))}"
            )
    warnings = list(lift["warnings"])
    bulk = reach is not None and len(reach["accounts"]) > LIST_ALL_UP_TO
    return lines + _warning_lines(warnings, bulk=bulk)


def org_lift_question(lift: Mapping[str, Any]) -> str:
    where = (
        "in every account it covered"
        if lift.get("last_attachment")
        else "where no other attachment of the SCP covers them"
    )
    return (
        f"Lift the organization revocation on {lift['name']}? Sessions issued before its "
        f"cutoff work again {where}."
    )
