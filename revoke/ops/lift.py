"""Undo a revocation from the journal (`revoke lift`).

The journal holds, for every change, the document before and after and the
containment steps. For one principal, the *episode* to undo is every change record since
the last lift. Its policy chain is the run of records where each one's `before` is the
previous one's `after`; the document to restore is the `before` of the chain's first
record (what existed before this tool started: nothing, or e.g. the console's own older
deny), so a lift after a refresh to a later cutoff undoes both, not just the refresh. The
live document must be the chain's last `after`: if someone changed it since, lift refuses
(nothing changed) unless --force. Keys the episode deactivated are reactivated; a console
password cannot be restored (IAM never returns one), so lift says how to set a new one.
Issue 15: service-specific credentials, SSH keys and signing certificates it deactivated
are reactivated; a locked trust policy loses revoke's statement (only that one: whatever
else is in the live document stays, and nothing of the journal's copy is installed); an
MFA device cannot be re-enabled without two codes from it, and a revoked sign-in session
cannot be restored: lift says so for each, with what to do.

Where a revocation lives, and how it is read and written, is shared with the clean-up
(gc.py): revoke.ops.revocation_policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from revoke.core.anchor import allows_anything, check_origin
from revoke.core.policy import POLICY_NAME, existing_cutoff, validate_document
from revoke.core.sessiondeny import session_cutoff
from revoke.core.timeparse import cutoff_datetime, format_cutoff
from revoke.errors import BadInput, RevokeError
from revoke.ops.containment import (
    DEACTIVATE_KEY,
    DEACTIVATE_MFA_DEVICE,
    DELETE_LOGIN_PROFILE,
    DONE,
    LOCK_TRUST,
    REACTIVATE_KEY,
    REACTIVATIONS,
    RESTORE_TRUST,
    REVOKE_SIGNIN_SESSIONS,
    STATUS_KINDS,
    unlocked_trust,
)
from revoke.ops.revocation_policy import (
    ROLE_TOKEN_LIFE,
    USER_TOKEN_LIFE,
    RevocationPolicy,
    describe_document,
    document_text,
    read_document,
)
from revoke.state.journal import CHANGE_ACTIONS, Journal, utc_timestamp

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway

# -- lift: pure planning -----------------------------------------------------------------


def episode(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Change records since the last lift (the changes a lift would undo), oldest first."""
    found: list[dict[str, Any]] = []
    for record in reversed(records):
        if record.get("action") == "lift":
            break
        if record.get("action") in CHANGE_ACTIONS:
            found.append(record)
    return list(reversed(found))


def _policy_of(record: dict[str, Any]) -> tuple[Any, Any]:
    policy = record.get("policy") or {}
    return policy.get("name"), policy.get("mechanism")


def policy_chain(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest run of records that each started from the previous one's document.

    A break means somebody else wrote the policy between two of our changes: what they
    wrote is then the document to restore, not anything older.
    """
    if not records:
        return []
    chain = [records[-1]]
    for record in reversed(records[:-1]):
        newer = chain[0]
        if _policy_of(record) != _policy_of(newer):
            break
        if document_text(record.get("after")) != document_text(newer.get("before")):
            break
        chain.insert(0, record)
    return chain


@dataclass
class LiftPlan(RevocationPolicy):
    policy_action: str = "none"  # "restore" | "remove" | "none"
    current_document: dict[str, Any] | None = None
    expected_document: dict[str, Any] | None = None
    restored_document: dict[str, Any] | None = None
    containment: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    undoes: list[str] = field(default_factory=list)
    status: str = "planned"  # planned | applied | unchanged | skipped | failed
    error: str | None = None
    reason: str | None = None
    conflict: str | None = None
    # Tamper evidence failed (revoke.core.anchor): --force does not override it.
    refused: str | None = None

    @property
    def changes(self) -> bool:
        return self.policy_action != "none" or any(
            s.get("result") == "planned" for s in self.containment
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **self.where_json(),
            "status": self.status,
            "policy_action": self.policy_action,
            "current_document": self.current_document,
            "restored_document": self.restored_document,
            "containment": self.containment,
            "notes": self.notes,
            "undoes": self.undoes,
            "error": self.error,
        }
        self.arn_json(data)
        if self.reason:
            data["reason"] = self.reason
        return data


def plan_lift(
    kind: str,
    name: str,
    account: str | None,
    records: list[dict[str, Any]],
    *,
    current: dict[str, Any] | None,
    key_status: dict[str, str],
    force: bool = False,
    now: datetime | None = None,
    credential_status: dict[str, dict[str, str]] | None = None,
    trust: dict[str, Any] | None = None,
) -> LiftPlan:
    """What a lift does for one principal. Pure: journal records and live state in.

    `records`: this principal's change records, oldest first; `current`: the live document
    where the chain says ours is; `key_status`: access key ID -> Active/Inactive (live);
    `credential_status`: deactivating action -> {credential ID: status} (live);
    `trust`: the role's live trust document, when the episode locked it.
    """
    plan = LiftPlan(kind=kind, name=name, account=account)
    undo = episode(records)
    if not undo:
        plan.status = "unchanged"
        plan.reason = (
            f"already lifted at {records[-1].get('time')} (journal seq {records[-1].get('seq')})"
            if records
            else "nothing journalled"
        )
        return plan
    plan.undoes = [r["hash"] for r in undo]
    chain = policy_chain(undo)
    last = chain[-1]
    policy = last.get("policy") or {}
    plan.policy_name = policy.get("name") or POLICY_NAME
    plan.mechanism = policy.get("mechanism") or "inline"
    plan.managed_policy_arn = policy.get("managed_policy_arn")
    plan.current_document = current
    plan.expected_document = last.get("after")

    if last.get("action") == "gc":
        plan.notes.append(f"the revocation was already removed by revoke gc at {last.get('time')}")
    elif document_text(current) != document_text(plan.expected_document):
        plan.conflict = (
            f"{kind} {name}: {plan.policy_name} is not the document the journal says revoke "
            f"wrote (journal seq {last.get('seq')}, {last.get('time')}): it holds "
            f"{describe_document(current)}, the journal "
            f"{describe_document(plan.expected_document)}; someone changed it since"
        )
    if last.get("action") != "gc":
        plan.refused = _refusal(kind, name, plan.policy_name, current, chain[0].get("before"))
    if plan.refused is None and (plan.conflict is None or force):
        restore = chain[0].get("before") if last.get("action") != "gc" else current
        if document_text(restore) != document_text(current):
            plan.policy_action = "remove" if restore is None else "restore"
            plan.restored_document = restore
        else:
            plan.restored_document = current
        if plan.conflict is not None:
            plan.notes.append(f"--force: {plan.conflict}; restoring the journal's document")
            plan.conflict = None

    if plan.policy_action != "none" and now is not None:
        warning = _reenabled_sessions(kind, current, plan.restored_document, now)
        if warning:
            plan.notes.append(warning)

    deactivated: dict[str, None] = {}
    console_removed = False
    for record in undo:
        for done in record.get("containment") or []:
            if done.get("result") != DONE:
                continue
            if done.get("action") == DEACTIVATE_KEY and done.get("access_key_id"):
                deactivated[done["access_key_id"]] = None
            elif done.get("action") == DELETE_LOGIN_PROFILE:
                console_removed = True
    for key_id in deactivated:
        live = key_status.get(key_id)
        step: dict[str, Any] = {"action": REACTIVATE_KEY, "access_key_id": key_id}
        if live is None:
            step["result"] = "skipped"
            step["note"] = "the key no longer exists (deleted since)"
        elif live == "Active":
            step["result"] = "already_done"
        else:
            step["result"] = "planned"
        plan.containment.append(step)
    _plan_more(plan, name, undo, credential_status or {}, trust)
    if console_removed:
        plan.notes.append(
            f"the console password of user {name} was removed and cannot be restored: IAM "
            "never returns a password. Set a new one: aws iam create-login-profile "
            f"--user-name {name} --password-reset-required --password '...'"
        )
    if not plan.changes and plan.conflict is None:
        plan.status = "unchanged"
        plan.reason = plan.reason or "nothing to undo: the journal's changes are already undone"
    return plan


def _plan_more(
    plan: LiftPlan,
    name: str,
    undo: list[dict[str, Any]],
    credential_status: dict[str, dict[str, str]],
    trust: dict[str, Any] | None,
) -> None:
    """Issue 15's steps: reactivate, restore the trust, or say why it cannot be undone."""
    done = [s for r in undo for s in r.get("containment") or [] if s.get("result") == DONE]
    seen: set[tuple[str, str]] = set()
    for step in done:
        action = step.get("action")
        if action not in STATUS_KINDS or (action, step["credential_id"]) in seen:
            continue
        seen.add((str(action), step["credential_id"]))
        live = credential_status.get(str(action), {}).get(step["credential_id"])
        undo_step: dict[str, Any] = {
            "action": STATUS_KINDS[str(action)].reactivate,
            "credential_id": step["credential_id"],
        }
        if step.get("service"):
            undo_step["service"] = step["service"]
        if live is None:
            undo_step["result"] = "skipped"
            undo_step["note"] = "it no longer exists (deleted since)"
        elif live == "Active":
            undo_step["result"] = "already_done"
        elif live == "Expired":
            undo_step["result"] = "skipped"
            undo_step["note"] = "it has expired since: reset or recreate it"
        else:
            undo_step["result"] = "planned"
        plan.containment.append(undo_step)
    if any(s.get("action") == LOCK_TRUST for s in done):
        step = {"action": RESTORE_TRUST}
        restored = unlocked_trust(trust) if trust is not None else None
        if trust is None:
            step.update(result="skipped", note="the trust policy could not be read")
        elif restored is None:
            step["result"] = "already_done"  # revoke's lock statement is gone already
        else:
            step.update(result="planned", document=restored)
            first = next(s for s in done if s.get("action") == LOCK_TRUST)
            if document_text(restored) != document_text(first.get("trust_before")):
                plan.notes.append(
                    f"role {name}: the trust policy changed since revoke locked it; lift "
                    "removes only revoke's lock statement and keeps the rest as it is now"
                )
        plan.containment.append(step)
    serials = list(
        dict.fromkeys(s["serial_number"] for s in done if s.get("action") == DEACTIVATE_MFA_DEVICE)
    )
    for serial in serials:
        plan.notes.append(
            f"MFA device {serial} of user {name} was deactivated and cannot be re-enabled by "
            "revoke: enabling it needs two consecutive codes from the device. If it is the "
            f"user's own, they enable it again: aws iam enable-mfa-device --user-name {name} "
            f"--serial-number {serial} --authentication-code1 CODE1 --authentication-code2 "
            "CODE2; if it was the attacker's, delete it (aws iam delete-virtual-mfa-device "
            f"--serial-number {serial})"
        )
    sessions = sum(
        len(s.get("sessions") or []) for s in done if s.get("action") == REVOKE_SIGNIN_SESSIONS
    )
    if sessions:
        plan.notes.append(
            f"{sessions} AWS Sign-In session(s) of user {name} were revoked and cannot be "
            "restored: a revoked session can no longer be refreshed. The user signs in again "
            "(https://docs.aws.amazon.com/IAM/latest/UserGuide/list_awssignin.html)"
        )


def _refusal(
    kind: str,
    name: str,
    policy_name: str,
    live: dict[str, Any] | None,
    origin: dict[str, Any] | None,
) -> str | None:
    """Why the journal's document must not be installed, or None. A journal is a local file
    that an attacker on the responder's machine can rewrite, hash chain included: what it
    says existed before must match the digest IAM's own document carries, and it must not
    allow anything (a revocation policy only denies)."""
    mismatch = check_origin(live, origin)
    if mismatch is not None:
        return (
            f"{kind} {name}: the journal does not match AWS: {mismatch}. The journal may have "
            "been edited; lift restores nothing from it"
        )
    if origin is not None and allows_anything(origin):
        return (
            f"{kind} {name}: the journal's previous document of {policy_name} holds a statement "
            f"that is not a Deny; lift never installs a document that allows anything under "
            f"{policy_name}"
        )
    return None


def _reenabled_sessions(
    kind: str, removed: dict[str, Any] | None, restored: dict[str, Any] | None, now: datetime
) -> str | None:
    """Say so when lifting lets sessions that may still be alive work again (fact 12)."""
    # A session-scoped deny (revoke.core.sessiondeny) re-enables its sessions the same way.
    cutoff = existing_cutoff(removed) or session_cutoff(removed)
    if cutoff is None:
        return None
    kept = existing_cutoff(restored) or session_cutoff(restored)
    if kept is not None and cutoff_datetime(kept) >= cutoff_datetime(cutoff):
        return None
    life = USER_TOKEN_LIFE if kind == "user" else ROLE_TOKEN_LIFE
    alive_until = cutoff_datetime(cutoff) + timedelta(seconds=life)
    if alive_until <= now:
        return None
    return (
        f"sessions issued before {cutoff}"
        + (f" (and after {kept})" if kept else "")
        + f" may live until {format_cutoff(alive_until)}: lifting lets them work again. "
        "After a real compromise, wait until revoke gc removes the deny instead"
    )


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
        policy = chain[-1].get("policy") or {}
        current = read_document(
            gateway,
            kind,
            name,
            policy.get("name") or POLICY_NAME,
            policy.get("mechanism") or "inline",
            policy.get("managed_policy_arn"),
        )
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


def _read_more(
    gateway: IamGateway, kind: str, name: str, undo: list[dict[str, Any]]
) -> tuple[dict[str, dict[str, str]], dict[str, Any] | None]:
    """The live state issue 15's undo needs: only the listings the episode touched."""
    actions = {s.get("action") for r in undo for s in r.get("containment") or []}
    wanted = [a for a in STATUS_KINDS if a in actions]
    if not wanted and LOCK_TRUST not in actions:
        return {}, None
    from revoke.aws.containment_calls import ContainmentCalls

    calls = ContainmentCalls(gateway.session)
    status = {
        a: {c["id"]: str(c.get("status")) for c in getattr(calls, STATUS_KINDS[a].listing)(name)}
        for a in wanted
    }
    trust = calls.trust_document(name) if kind == "role" and LOCK_TRUST in actions else None
    return status, trust


def _undo_step(gateway: IamGateway, plan: LiftPlan, step: dict[str, Any]) -> None:
    action = step["action"]
    if action == REACTIVATE_KEY:
        gateway.set_access_key_status(plan.name, step["access_key_id"], "Active")
        return
    from revoke.aws.containment_calls import ContainmentCalls

    calls = ContainmentCalls(gateway.session)
    if action in REACTIVATIONS:
        setter = getattr(calls, STATUS_KINDS[REACTIVATIONS[action]].setter)
        setter(plan.name, step["credential_id"], "Active")
    elif action == RESTORE_TRUST:
        calls.put_trust_document(plan.name, step["document"])


def _step_label(step: dict[str, Any]) -> str:
    return str(step.get("access_key_id") or step.get("credential_id") or "the trust policy")


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
