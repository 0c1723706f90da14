"""What the responder reads before saying yes, and the one line after every run.

The plan before the question: each principal and what happens to it (written, unchanged
and why, refused and why), the credentials taken away, every warning that bears on the
decision; then the question, whose count is the principals that change ("1 of 2"). A bulk
run gets the counts and the first few of each instead of 2,000 lines. The same for every
prompt: `revoke org` (the SCP, its cutoff, where it is attached, who is exempt, the accounts
it reaches and covers already), `revoke lift org` and `revoke lift user|role` (what goes,
what stays, the document put back in full), and the fan-out (per account). Only a person
is shown the plan (`show`): with `--yes` or off a terminal nothing of the prompt is said.

The summary after the run: `revoked 1998 of 2000 users in 12.3 s: 1998 verified, 2 failed
(see above)`, on stderr, whatever the output format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from revoke.core.output import skipped_layers
from revoke.core.plan import STATUS_APPLIED, STATUS_FAILED, STATUS_PLANNED, STATUS_UNCHANGED

if TYPE_CHECKING:
    from revoke.core.plan import TargetPlan
    from revoke.core.scp import ScpPlan
    from revoke.ops.context import RunContext
    from revoke.ops.fanout import FanOutResult
    from revoke.ops.lift import LiftPlan
    from revoke.ops.revocation import RunResult

# Up to this many targets the plan names every one; past it, counts and the first few.
LIST_ALL_UP_TO = 20
FIRST_FEW = 5
# Warnings shown before the question in a bulk run (all of them go with the output).
WARNINGS_SHOWN = 5


def plural(count: int, kind: str) -> str:
    return f"{count} {kind}{'' if count == 1 else 's'}"


def person_asked(g: RunContext) -> bool:
    """Whether a person will be asked: only then does the plan come before the question.
    `--yes`, or a stdin that is not a terminal, asks nobody and shows nothing of the prompt
    (stdout stays the result alone; the plan is in the output)."""
    return not g.yes and g.stdin_isatty


def show(g: RunContext, lines: Sequence[str]) -> list[str]:
    """Say the plan's lines (stderr) when a person will be asked; the warnings among them,
    which the output then does not say twice."""
    if not person_asked(g):
        return []
    for line in lines:
        g.say(line)
    return [line.removeprefix("warning: ") for line in lines if line.startswith("warning: ")]


def unsaid(warnings: Sequence[str], shown: Sequence[str]) -> list[str]:
    said = set(shown)
    return [w for w in warnings if w not in said]


def _in_force(row: TargetPlan) -> bool:
    from revoke.core.policy import compact

    return (
        row.previous_document is not None
        and row.policy_document is not None
        and compact(row.previous_document) == compact(row.policy_document)
    )


def what_happens(row: TargetPlan, name: str | None = None) -> str:
    """One principal's line of the plan: `user alice: write AWSRevokeOlderSessions`
    (`name`: how to name it, `alice in 111111111111` in a fan-out)."""
    who = f"{row.kind} {name or row.name}"
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


def _first_few(shown: Sequence[str], total: int) -> str:
    """`a, b, c and 7 more`: the first few of a longer list (at most FIRST_FEW)."""
    named = list(shown[:FIRST_FEW])
    more = total - len(named)
    return ", ".join(named) + (f" and {more} more" if more else "")


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


def _warning_lines(warnings: Sequence[str], *, bulk: bool) -> list[str]:
    if bulk and len(warnings) > WARNINGS_SHOWN:
        return [f"warning: {w}" for w in warnings[:WARNINGS_SHOWN]] + [
            f"  ... and {len(warnings) - WARNINGS_SHOWN} more warning(s), all in the output"
        ]
    return [f"warning: {w}" for w in warnings]


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


# -- the fan-out: per account, the principals and what happens to them -----------------------


def _account_label(account: str, name: str | None) -> str:
    return f"{account} ({name})" if name else account


def _accounts_text(labels: Sequence[str]) -> str:
    """Every account up to LIST_ALL_UP_TO, else the first few and how many more."""
    return ", ".join(labels) if len(labels) <= LIST_ALL_UP_TO else _first_few(labels, len(labels))


def fanout_warnings(run: FanOutResult) -> list[str]:
    """Every warning the fan-out's plan holds, as its output says them (`ACCOUNT: ...`)."""
    return list(run.warnings) + [
        f"{o.account}: {w}" for o in run.accounts if o.result for w in decision_warnings(o.result)
    ]


def fanout_plan_lines(run: FanOutResult, kind: str, role_name: str) -> list[str]:
    """The fan-out's plan: per account each principal and what happens to it; past
    LIST_ALL_UP_TO accounts or principals, the accounts by what happens there and the
    principals' counts, the first few of each."""
    from revoke.ops.accounts import ACCOUNT_FAILED, ACCOUNT_SKIPPED

    outcomes = run.accounts
    rows = [t for o in outcomes if o.result for t in o.result.targets]
    lines = [
        f"plan: deny sessions issued before {run.cutoff} in {plural(len(outcomes), 'account')} "
        f"(as role {role_name} there, as you in your own): {plural(len(rows), kind)} found"
    ]
    none_there = f"no {kind} named there"
    if len(outcomes) <= LIST_ALL_UP_TO and len(rows) <= LIST_ALL_UP_TO:
        for o in outcomes:
            where = f"  account {_account_label(o.account, o.name)}"
            if o.status == ACCOUNT_FAILED:
                lines.append(f"{where}: not reached (the warning below says why)")
            elif o.status == ACCOUNT_SKIPPED:
                lines.append(f"{where}: {o.error or 'skipped'}")
            elif o.result is None or not o.result.targets:
                lines.append(f"{where}: {none_there}")
            else:
                lines.append(f"{where}{'' if o.role_arn else ', your own'}:")
                lines += _target_lines(o.result.targets, indent="    ")
        return lines + _warning_lines(fanout_warnings(run), bulk=False)
    groups: dict[str, list[str]] = {
        label: [] for label in ("to change", "nothing to change", none_there, "not reached")
    }
    groups["skipped"] = []
    for o in outcomes:
        label = _account_label(o.account, o.name)
        if o.status == ACCOUNT_FAILED:
            groups["not reached"].append(label)
        elif o.status == ACCOUNT_SKIPPED:
            groups["skipped"].append(label)
        elif o.result is None or not o.result.targets:
            groups[none_there].append(label)
        elif o.result.changes:
            count = changing_of(len(o.result.changes), len(o.result.targets), kind)
            groups["to change"].append(f"{label} ({count})")
        else:
            groups["nothing to change"].append(label)
    shown = {label: names for label, names in groups.items() if names}
    lines.append("  accounts: " + ", ".join(f"{len(n)} {label}" for label, n in shown.items()))
    lines += [f"  {label}: {_accounts_text(names)}" for label, names in shown.items()]
    account_of = {id(t): o.account for o in outcomes if o.result for t in o.result.targets}
    lines.append(f"  {plural(len(rows), kind)}:")
    lines += _target_lines(
        rows, indent="    ", name=lambda row: f"{row.name} in {account_of.get(id(row), '?')}"
    )
    return lines + _warning_lines(fanout_warnings(run), bulk=True)


def fanout_question(run: FanOutResult, kind: str) -> str:
    """`Write the deny to 2 of 3 users in 2 accounts, and deactivate 1 access key(s)?`"""
    from revoke.ops.containment import describe_containment

    rows = [t for r in run.results for t in r.targets]
    changing = sum(len(r.changes) for r in run.results)
    count = changing_of(changing, len(rows), kind)
    accounts = plural(sum(1 for r in run.results if r.changes), "account")
    return f"Write the deny to {count} in {accounts}{describe_containment(rows)}?"


# -- revoke org: one service control policy ------------------------------------------------------


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


# -- revoke lift user|role ----------------------------------------------------------------------


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
