"""Contain a compromised identity beyond its sessions, evidence first, every change journalled.

A deny on older sessions does not contain a leaked access key: whoever holds it can mint
fresh tokens after the cutoff (AWS-FACTS fact 3). The playbook (fact 21) adds: deactivate
the user's access keys (never delete them: they are evidence, and reversible), remove the
console password, and collect the evidence before changing anything.

`RevocationRecorder` plugs into the revocation run (revoke.ops.revocation.plan_run/apply_run):
- `extend(state, row)` (planning, read-only): the containment steps, each key listed with
  its last use, so `--dry-run` shows them;
- `before_apply(row)`: evidence capture (policies, keys with last use, login profile, MFA
  devices, groups), then the `intent` record (write-ahead: on disk, fsynced, before the
  first AWS write for the target; a JournalError stops it before any write), then the
  containment steps;
- `after_apply(row)`: one journal record for the target, if anything changed, naming the
  intent it closes (a "close" record when nothing changed); when that record cannot be
  written it raises OutcomeNotJournalled, whose message is the line the responder needs:
  what is in force in AWS but not in the journal;
- `record_verification(result)`: a "verify" record when verification ran after the change.

A containment step is a dict:
    {"action": "deactivate_key", "access_key_id", "status_before", "created",
     "last_used", "last_used_service", "last_used_region", "result", "at"?, "error"?}
    {"action": "delete_login_profile", "login_profile_created",
     "password_reset_required", "result", "at"?, "error"?}
    {"action": "reactivate_key", "access_key_id", "result", ...}        (lift)
`result`: "planned" -> "done" | "failed" | "already_done".
No step ever holds a secret: IAM returns neither secret keys nor passwords on these calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from revoke.core.plan import (
    STATUS_APPLIED,
    STATUS_FAILED,
    STATUS_PLANNED,
    STATUS_UNCHANGED,
    AccessKey,
    PrincipalState,
    TargetPlan,
)
from revoke.core.policy import compact
from revoke.core.timeparse import cutoff_datetime
from revoke.errors import RevokeError
from revoke.state.journal import (
    CLOSE,
    INTENT,
    Journal,
    JournalError,
    OutcomeNotJournalled,
    utc_timestamp,
    writer_identity,
)

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway


class VerifiedRun(Protocol):
    """What record_verification reads of a run (revoke.ops.revocation.RunResult)."""

    targets: list[TargetPlan]
    warnings: list[str]


DEACTIVATE_KEY = "deactivate_key"
DELETE_LOGIN_PROFILE = "delete_login_profile"
REACTIVATE_KEY = "reactivate_key"

PLANNED = "planned"
DONE = "done"
FAILED = "failed"
ALREADY_DONE = "already_done"


@dataclass(frozen=True)
class ContainmentOptions:
    deactivate_keys: bool = False
    disable_console: bool = False
    # Deactivate only these keys (`revoke key KEY_ID`: the leaked one); None: every
    # active key of the user (`--deactivate-keys`, `revoke key --all-keys`).
    key_ids: frozenset[str] | None = None

    @property
    def any(self) -> bool:
        return self.deactivate_keys or self.disable_console

    def selects(self, key: AccessKey) -> bool:
        """Whether this run deactivates `key` (when it is active)."""
        return self.deactivate_keys and (self.key_ids is None or key.access_key_id in self.key_ids)


def key_step(key: AccessKey) -> dict[str, Any]:
    return {
        "action": DEACTIVATE_KEY,
        "access_key_id": key.access_key_id,
        "status_before": key.status,
        "created": key.created,
        "last_used": key.last_used,
        "last_used_service": key.last_used_service,
        "last_used_region": key.last_used_region,
        "result": PLANNED,
    }


def login_profile_step(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": DELETE_LOGIN_PROFILE,
        "login_profile_created": profile.get("created"),
        "password_reset_required": profile.get("password_reset_required"),
        "result": PLANNED,
    }


def plan_containment(
    state: PrincipalState,
    options: ContainmentOptions,
    login_profile: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The steps for one user: active keys to deactivate, a console password to remove.

    Pure: `state.access_keys` already carry their last use, `login_profile` was read.
    Inactive keys and an absent password are no step at all, so a re-run after a
    complete containment plans nothing (and journals nothing).
    """
    if state.kind != "user":
        return []
    steps = []
    steps += [key_step(key) for key in state.active_keys if options.selects(key)]
    if options.disable_console and login_profile is not None:
        steps.append(login_profile_step(login_profile))
    return steps


def step_summary(step: dict[str, Any]) -> str:
    """One line for people: what the step does, and the evidence that matters."""
    result = step.get("result", PLANNED)
    if step["action"] in (DEACTIVATE_KEY, REACTIVATE_KEY):
        verb = "deactivate" if step["action"] == DEACTIVATE_KEY else "reactivate"
        used = step.get("last_used")
        where = ", ".join(
            v for v in (step.get("last_used_service"), step.get("last_used_region")) if v
        )
        seen = f"last used {used}" + (f" ({where})" if where else "") if used else "never used"
        extra = f"; {seen}" if step["action"] == DEACTIVATE_KEY else ""
        text = f"{verb} access key {step['access_key_id']}{extra}"
    else:
        text = f"remove the console password (created {step.get('login_profile_created') or '?'})"
    if step.get("error"):
        return f"{text}: {result}: {step['error']}"
    return f"{text}: {result}"


def describe_containment(rows: list[TargetPlan]) -> str:
    """For the confirmation prompt: what else the run will change (keys break workloads)."""
    steps = [s for row in rows for s in row.containment if s.get("result") == PLANNED]
    keys = sum(s["action"] == DEACTIVATE_KEY for s in steps)
    consoles = sum(s["action"] == DELETE_LOGIN_PROFILE for s in steps)
    parts = []
    if keys:
        parts.append(f"deactivate {keys} access key(s)")
    if consoles:
        parts.append(f"remove {consoles} console password(s)")
    return ", and " + " and ".join(parts) if parts else ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


PUT_POLICY = "put_policy"


class RevocationRecorder:
    """Evidence, containment and journal records for one `revoke user|role` run."""

    def __init__(
        self,
        gateway: IamGateway,
        journal: Journal,
        *,
        actor: dict[str, str],
        cutoff: str,
        options: ContainmentOptions | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.gateway = gateway
        self.journal = journal
        self.actor = actor
        self.cutoff = cutoff
        self.options = options or ContainmentOptions()
        self.clock = clock
        self.written: dict[tuple[str, str], dict[str, Any]] = {}
        self._states: dict[tuple[str, str], PrincipalState] = {}
        self._profiles: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._last_used_read: set[str] = set()
        self._evidence: dict[tuple[str, str], dict[str, Any]] = {}
        self._intents: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(kind: str, name: str) -> tuple[str, str]:
        return (kind, name.lower())

    # -- planning (read-only) -------------------------------------------------------------

    def extend(self, state: PrincipalState, row: TargetPlan) -> TargetPlan:
        key = self._key(state.kind, state.name)
        with self._lock:
            self._states[key] = state
        if state.kind != "user" or not self.options.any:
            return row
        if row.status not in (STATUS_PLANNED, STATUS_UNCHANGED):
            return row  # failed: nothing at all changes for this target
        for access_key in state.active_keys:
            if self.options.selects(access_key):
                self._read_last_used(access_key)
        profile = None
        if self.options.disable_console:
            profile = self.gateway.login_profile(state.name)
            with self._lock:
                self._profiles[key] = profile
        row.containment = plan_containment(state, self.options, profile)
        if self.options.deactivate_keys:
            # The planner's "still has active access keys" advice is what this run does.
            row.warnings = [w for w in row.warnings if "--deactivate-keys" not in w]
            spared = [k.access_key_id for k in state.active_keys if not self.options.selects(k)]
            if spared:
                # Fact 3: any of them mints fresh tokens, after any cutoff.
                row.warnings.append(
                    f"user {state.name} keeps other active access keys ({', '.join(spared)}): "
                    "whoever holds one can still mint new session tokens after the cutoff; "
                    f"if they may have leaked too, deactivate them as well (revoke key {spared[0]} "
                    f"--all-keys, or revoke user {state.name} --before now --deactivate-keys)"
                )
        if row.containment and row.status == STATUS_UNCHANGED:
            row.status = STATUS_PLANNED
            row.reason = f"{row.reason}; containment only" if row.reason else "containment only"
        return row

    def _read_last_used(self, access_key: AccessKey) -> None:
        self.gateway.key_last_used(access_key)
        with self._lock:
            self._last_used_read.add(access_key.access_key_id)

    # -- applying ---------------------------------------------------------------------------

    def before_apply(self, row: TargetPlan) -> None:
        """Evidence first, then the containment steps (before the deny: stop new tokens)."""
        key = self._key(row.kind, row.name)
        evidence = self.capture_evidence(row)
        with self._lock:
            self._evidence[key] = evidence
        self._write_intent(row)  # JournalError: no write without its intent on disk
        for step in row.containment:
            if step.get("result") != PLANNED:
                continue
            try:
                if step["action"] == DEACTIVATE_KEY:
                    self.gateway.set_access_key_status(row.name, step["access_key_id"], "Inactive")
                elif step["action"] == DELETE_LOGIN_PROFILE:
                    self.gateway.delete_login_profile(row.name)
                step["result"] = DONE
            except RevokeError as err:
                if getattr(err, "code", None) == "NoSuchEntity" and (
                    step["action"] == DELETE_LOGIN_PROFILE
                ):
                    step["result"] = ALREADY_DONE  # removed by someone else since the plan
                else:
                    step["result"] = FAILED
                    step["error"] = err.message
            step["at"] = utc_timestamp(self.clock())

    def _target(self, row: TargetPlan) -> dict[str, Any]:
        state = self._states.get(self._key(row.kind, row.name))
        return {"kind": row.kind, "name": row.name, "arn": state.arn if state else None}

    def _policy(self, row: TargetPlan) -> dict[str, Any]:
        return {
            "name": row.policy_name,
            "mechanism": row.mechanism,
            "managed_policy_arn": row.managed_policy_arn,
        }

    def _write_intent(self, row: TargetPlan) -> None:
        """What is about to be written for this target, on disk before the first write."""
        writes: list[dict[str, Any]] = []
        if not _same(row.previous_document, row.policy_document):
            writes.append({"action": PUT_POLICY, **self._policy(row)})
        writes += [dict(s) for s in row.containment if s.get("result") == PLANNED]
        record = {
            "action": INTENT,
            "actor": self.actor.get("arn"),
            "account": row.account or self.actor.get("account"),
            "target": self._target(row),
            "cutoff": self.cutoff,
            "previous_cutoff": row.previous_cutoff,
            "policy": self._policy(row),
            "before": row.previous_document,
            "after": row.policy_document,
            "writes": writes,
            **writer_identity(),
        }
        written = self.journal.append(record)
        with self._lock:
            self._intents[self._key(row.kind, row.name)] = written["hash"]

    def capture_evidence(self, row: TargetPlan) -> dict[str, Any]:
        """The principal as found before any change (fact 21: collect evidence first).

        Policies and keys come from the plan's read moments ago; the rest is read now. A
        part that cannot be read is recorded with its error rather than stopping the
        containment of a compromised identity.
        """
        key = self._key(row.kind, row.name)
        state = self._states.get(key)
        evidence: dict[str, Any] = {"captured_at": utc_timestamp(self.clock())}
        if state is None:
            return evidence
        evidence.update(
            arn=state.arn,
            path=state.path,
            inline_policies=state.inline_policies,
            attached_policies=state.attached_policies,
        )
        if state.kind == "role":
            evidence["max_session_duration"] = state.max_session_duration
            evidence["trust_policy"] = _attempt(lambda: self.gateway.trust_policy(row.name))
            return evidence
        keys = []
        for access_key in state.access_keys:
            if access_key.access_key_id not in self._last_used_read:
                try:
                    self._read_last_used(access_key)
                except RevokeError as err:
                    keys.append({**asdict(access_key), "last_used_error": err.message})
                    continue
            keys.append(asdict(access_key))
        evidence["access_keys"] = keys
        if key in self._profiles:
            evidence["login_profile"] = self._profiles[key]
        else:
            evidence["login_profile"] = _attempt(lambda: self.gateway.login_profile(row.name))
        evidence["mfa_devices"] = _attempt(lambda: self.gateway.mfa_devices(row.name))
        evidence["groups"] = _attempt(lambda: self.gateway.groups_for_user(row.name))
        return evidence

    def after_apply(self, row: TargetPlan) -> None:
        """One record if this target changed at all; nothing for a target left as it was."""
        policy_written = self._policy_written(row)
        steps_done = [s for s in row.containment if s.get("result") == DONE]
        steps_failed = [s for s in row.containment if s.get("result") == FAILED]
        if steps_failed and row.status == STATUS_APPLIED:
            row.status = STATUS_FAILED
            row.error_code = "ContainmentFailed"
            row.error = "; ".join(step_summary(s) for s in steps_failed)
        self._warn_token_gap(row, steps_done)
        after: dict[str, Any] | None
        if policy_written is None:  # interrupted mid-write: ask IAM what is there now
            after = self._read_current(row)
            policy_written = _text(after) != _text(row.previous_document)
        else:
            after = row.policy_document if policy_written else row.previous_document
        with self._lock:
            intent = self._intents.pop(self._key(row.kind, row.name), None)
        if not policy_written and not steps_done:
            if intent is not None:
                self._close(row, intent)
            return
        if row.status == STATUS_APPLIED:
            status = "applied"
        elif row.status == STATUS_FAILED:
            status = "failed"
        else:
            status = "interrupted"
        # Popped, like the evidence below: a bulk run keeps no per-target state it no
        # longer needs (its memory stays flat in the number of targets, issue 8).
        state = self._states.pop(self._key(row.kind, row.name), None)
        record = {
            "action": "revoke",
            "actor": self.actor.get("arn"),
            "account": row.account or self.actor.get("account"),
            "target": {"kind": row.kind, "name": row.name, "arn": state.arn if state else None},
            "status": status,
            "cutoff": self.cutoff,
            "previous_cutoff": row.previous_cutoff,
            "policy": {
                "name": row.policy_name,
                "mechanism": row.mechanism,
                "managed_policy_arn": row.managed_policy_arn,
            },
            "before": row.previous_document,
            "after": after,
            "containment": [dict(s) for s in row.containment],
            "evidence": self._evidence.pop(self._key(row.kind, row.name), {}),
            "verification": row.verification,
            "error": row.error,
            "warnings": list(row.warnings),
            "intent": intent,
        }
        try:
            written = self.journal.append(record)
        except JournalError as err:
            raise OutcomeNotJournalled(
                _not_journalled(row, policy_written, steps_done, err.message),
                hint="once the journal can be written: revoke journal reconcile",
            ) from None
        kept = {k: written.get(k) for k in ("account", "target", "hash", "verification")}
        with self._lock:
            self.written[self._key(row.kind, row.name)] = kept  # what record_verification needs

    def _close(self, row: TargetPlan, intent: str) -> None:
        """Nothing was done for the target: its intent is closed, not left dangling."""
        try:
            self.journal.append(
                {
                    "action": CLOSE,
                    "actor": self.actor.get("arn"),
                    "account": row.account or self.actor.get("account"),
                    "target": self._target(row),
                    "cutoff": self.cutoff,
                    "intent": intent,
                    "status": "not_applied",
                    "error": row.error,
                }
            )
        except JournalError:
            pass  # nothing is in force: a dangling intent is reconciled to the same

    def _policy_written(self, row: TargetPlan) -> bool | None:
        """True: our document went in; False: it did not; None: unknown (interrupted)."""
        in_force = row.previous_document is not None and compact(row.previous_document) == (
            compact(row.policy_document) if row.policy_document is not None else None
        )
        if row.status == STATUS_APPLIED:
            return not in_force
        if row.status == STATUS_FAILED:
            return False
        return None if not in_force else False

    def _read_current(self, row: TargetPlan) -> dict[str, Any] | None:
        try:
            if row.mechanism == "managed" and row.managed_policy_arn:
                return self.gateway.managed_document(row.managed_policy_arn)
            return self.gateway.get_inline(row.kind, row.name, row.policy_name)
        except Exception:  # noqa: BLE001 - best effort while an interruption propagates
            return None

    def _warn_token_gap(self, row: TargetPlan, steps_done: list[dict[str, Any]]) -> None:
        # Deactivating a key does not revoke tokens already minted with it (fact 3), and
        # DateLessThan spares tokens issued after the cutoff (fact 22): a token minted
        # between the cutoff and the deactivation survives until a later cutoff covers it.
        times = [s["at"] for s in steps_done if s["action"] == DEACTIVATE_KEY and s.get("at")]
        if not times:
            return
        latest = max(times)
        if cutoff_datetime(latest[:19] + "Z") >= cutoff_datetime(self.cutoff):
            row.warnings.append(
                f"user {row.name}: a session minted with its keys between the cutoff "
                f"{self.cutoff} and their deactivation at {latest} is not denied; now that "
                f"the keys are inactive, close that gap: revoke user {row.name} --before now"
            )

    def record_verification(self, result: VerifiedRun) -> None:
        """A "verify" record for each journalled change whose verification ran since.

        A journal that fails here loses no change (those are journalled): a warning says
        which verification results are only in the output."""
        for row in result.targets:
            written = self.written.get(self._key(row.kind, row.name))
            if written is None or row.verification == written.get("verification"):
                continue
            try:
                self._append_verification(row, written)
            except JournalError as err:
                result.warnings.append(
                    f"verification results are not in the journal ({err.message}); the "
                    "changes themselves are"
                )
                return

    def _append_verification(self, row: TargetPlan, written: dict[str, Any]) -> None:
        self.journal.append(
            {
                "action": "verify",
                "actor": self.actor.get("arn"),
                "account": written.get("account"),
                "target": written.get("target"),
                "cutoff": self.cutoff,
                "ref": written["hash"],
                "verification": row.verification,
            }
        )


def _text(document: dict[str, Any] | None) -> str | None:
    return compact(document) if document is not None else None


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    return _text(a) == _text(b)


def _not_journalled(
    row: TargetPlan, policy_written: bool, steps_done: list[dict[str, Any]], why: str
) -> str:
    """One line: what of this target is in force in AWS but not fully journalled."""
    parts = []
    if policy_written:
        parts.append(f"the deny {row.policy_name} ({row.mechanism})")
    keys = [s["access_key_id"] for s in steps_done if s["action"] == DEACTIVATE_KEY]
    if keys:
        parts.append(f"access key(s) {', '.join(keys)} deactivated")
    if any(s["action"] == DELETE_LOGIN_PROFILE for s in steps_done):
        parts.append("console password removed")
    return (
        f"{row.kind} {row.name}: {' and '.join(parts)} in force in AWS but not fully "
        f"journalled (only its intent record is): {why}"
    )


def _attempt(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except RevokeError as err:
        return {"error": err.message}
