"""`lift_target`: read the journal and the live state, plan, and unless a dry run, carry the
lift out (only if nothing changed since the plan) and journal it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from revoke.core.policy import existing_cutoff, validate_document
from revoke.errors import BadInput, RevokeError
from revoke.ops.containment import DEACTIVATE_KEY, DONE
from revoke.ops.lift.model import LiftPlan, episode, policy_chain
from revoke.ops.lift.planning import plan_lift
from revoke.ops.lift.undo import _read_more, _step_label, _undo_step
from revoke.ops.revocation_policy import read_recorded
from revoke.state.journal import CHANGE_ACTIONS, Journal, utc_timestamp

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway


# -- lift: reading and applying -------------------------------------------------------------


def lift_target(
    gateway: IamGateway,
    journal: Journal,
    kind: str,
    name: str,
    *,
    actor: dict[str, str],
    dry_run: bool,
    force: bool = False,
    confirm: Callable[[LiftPlan], bool] = lambda plan: True,
) -> LiftPlan:
    """Plan (and unless dry_run, carry out and journal) the lift of one principal."""
    scan = journal.scan()
    if scan.problems:
        raise BadInput(
            f"the journal {journal.path} fails verification ({len(scan.problems)} problem(s)): "
            "lift will not restore documents from a journal that may have been edited; "
            "nothing was changed",
            hint="revoke journal verify",
        )
    account = actor.get("account")
    records = journal.for_target(
        kind, name, account=account, actions=CHANGE_ACTIONS, records=scan.records
    )
    if not records:
        raise BadInput(
            f"the journal {journal.path} has no revocation of {kind} {name} in account "
            f"{account}: nothing to lift",
            hint="lift undoes what revoke journalled; pass --journal PATH for another journal",
        )
    undo = episode(records)
    chain = policy_chain(undo)
    current = None
    key_status: dict[str, str] = {}
    if chain:
        current = read_recorded(gateway, kind, name, chain[-1])
        if kind == "user" and any(
            s.get("action") == DEACTIVATE_KEY for r in undo for s in r.get("containment") or []
        ):
            key_status = {k.access_key_id: k.status for k in gateway.access_keys(name)}
    credential_status, trust = _read_more(gateway, kind, name, undo)
    plan = plan_lift(
        kind,
        name,
        account,
        records,
        current=current,
        key_status=key_status,
        force=force,
        now=datetime.now(timezone.utc),
        credential_status=credential_status,
        trust=trust,
    )
    if plan.refused is not None:
        raise BadInput(
            f"{plan.refused}. Nothing was changed",
            hint=f"revoke journal verify --live; revoke journal show --target {kind}/{name}: "
            "restore a document by hand only if you trust where it came from",
        )
    if plan.conflict is not None:
        raise BadInput(
            f"{plan.conflict}. Nothing was changed",
            hint=f"compare with: revoke journal show --target {kind}/{name}; then edit it by "
            "hand, or pass --force to restore the journal's previous document anyway",
        )
    if plan.restored_document is not None and plan.policy_action == "restore":
        validate_document(plan.restored_document, source="the journal's previous document")
    if dry_run or plan.status == "unchanged" or not confirm(plan):
        return plan
    _apply_lift(gateway, journal, plan, actor=actor)
    return plan


def _apply_lift(
    gateway: IamGateway, journal: Journal, plan: LiftPlan, *, actor: dict[str, str]
) -> None:
    changed = False
    try:
        conflict = plan.changed_since_plan(gateway, plan.current_document)
    except RevokeError as err:
        plan.status, plan.error = "failed", err.message
        return
    if conflict is not None:
        # Nothing of the plan is carried out: keys reactivated under a fresh deny would
        # hand a leaked key back to whoever refreshed it.
        plan.status = "skipped"
        plan.reason = conflict
        plan.notes.append(f"{plan.kind} {plan.name}: {conflict}; nothing changed")
        return
    try:
        document = plan.restored_document if plan.policy_action == "restore" else None
        if plan.policy_action == "remove" or document is not None:
            plan.write(gateway, document)
            changed = True
        plan.status = "applied"
    except RevokeError as err:
        plan.status = "failed"
        plan.error = err.message
    for step in plan.containment:
        if step.get("result") != "planned" or plan.status == "failed":
            continue
        try:
            _undo_step(gateway, plan, step)
            step["result"] = DONE
            changed = True
        except RevokeError as err:
            step["result"] = "failed"
            step["error"] = err.message
            plan.status = "failed"
            plan.error = f"could not undo {step['action']} of {_step_label(step)}: {err.message}"
        step["at"] = utc_timestamp()
    if not changed:
        return
    after = plan.restored_document if plan.policy_action != "none" else plan.current_document
    if plan.status == "failed" and plan.policy_action != "none" and plan.error:
        after = plan.read(gateway)
    journal.append(
        plan.journal_record(
            "lift",
            actor=actor,
            status=plan.status,
            cutoff=existing_cutoff(plan.current_document),
            before=plan.current_document,
            after=after,
            containment=plan.containment,
            notes=plan.notes,
            ref=plan.undoes,
            error=plan.error,
        )
    )
