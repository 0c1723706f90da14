"""Journal what AWS shows for writes whose outcome never reached the journal.

Every write of a run has its `intent` record on disk first (revoke.ops.containment). An
intent that no later record closes is dangling: the run died between the write and its
outcome (a crash, SIGKILL, a full disk). Reconciling reads the principal as it is now
(the revocation policy, the keys' status, the login profile; and for issue 15's steps the
status of each service-specific credential, SSH key and signing certificate, whether an MFA
device is still listed, each sign-in session's status, whether the trust policy holds
revoke's lock) and journals what it finds:

- something of it in force: a "revoke" change record, status "reconciled", with the
  intent's `before` and the document found as `after` and the containment steps found
  done, so `lift`, `gc` and `journal show` read it like any other change;
- nothing in force (the write never happened, or failed): a "close" record.

Each record names the intent in `intent`, so it is reconciled once. An intent whose
process is still running on this machine is left alone (its write may be in flight), and
so is one for another account than the credentials'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.policy import compact
from revoke.errors import RevokeError
from revoke.ops.containment import (
    ALREADY_DONE,
    DEACTIVATE_KEY,
    DEACTIVATE_MFA_DEVICE,
    DELETE_LOGIN_PROFILE,
    DONE,
    LOCK_TRUST,
    PUT_POLICY,
    REVOKE_SIGNIN_SESSIONS,
    STATUS_KINDS,
    done_phrases,
)
from revoke.state.journal import CLOSE, RECONCILED, Journal, intent_owner_alive

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway

NOT_DONE = "not_done"


@dataclass
class Reconciled:
    """What a reconcile did: one line per intent, and the records written."""

    lines: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    left: int = 0  # dangling intents not reconciled (alive, other account, unreadable)


def reconcile(gateway: IamGateway, journal: Journal, actor: dict[str, str]) -> Reconciled:
    """Reconcile every dangling intent of `actor`'s account against AWS."""
    done = Reconciled()
    if not journal.exists():
        return done
    for intent in journal.dangling_intents():
        target = intent.get("target") or {}
        label = f"{target.get('kind')} {target.get('name')} (journal seq {intent.get('seq')})"
        if intent_owner_alive(intent):
            done.left += 1
            done.lines.append(f"{label}: still being written by process {intent.get('pid')}")
            continue
        account = intent.get("account")
        if account and actor.get("account") and account != actor.get("account"):
            done.left += 1
            done.lines.append(
                f"{label}: in account {account}; reconcile it with credentials for that account"
            )
            continue
        try:
            record = _found(gateway, intent, actor)
        except Exception as err:  # noqa: BLE001 - one intent's failure is that intent's line
            from revoke.aws.errors import translate_exception

            known = err if isinstance(err, RevokeError) else translate_exception(err)
            why = known.message if known is not None else type(err).__name__
            done.left += 1
            done.lines.append(f"{label}: not reconciled, AWS could not be read: {why}")
            continue
        written = journal.append(record)
        done.records.append(written)
        done.lines.append(f"{label}: {_summary(written)}")
    return done


def _found(gateway: IamGateway, intent: dict[str, Any], actor: dict[str, str]) -> dict[str, Any]:
    """The record for one dangling intent, from what AWS shows now."""
    target = intent.get("target") or {}
    kind, name = str(target.get("kind")), str(target.get("name"))
    policy = dict(intent.get("policy") or {})
    writes = intent.get("writes") or []
    before, intended = intent.get("before"), intent.get("after")
    after = before
    policy_written = False
    if any(w.get("action") == PUT_POLICY for w in writes):
        after = _current_document(gateway, kind, name, policy)
        policy_written = _text(after) != _text(before)
    steps = []
    keys = None
    live = _Live(gateway, name)
    for write in writes:
        if write.get("action") == DEACTIVATE_KEY:
            if keys is None:
                keys = {k.access_key_id: k.status for k in gateway.access_keys(name)}
            status = keys.get(write.get("access_key_id", ""))
            steps.append({**write, "result": DONE if status == "Inactive" else NOT_DONE})
        elif write.get("action") == DELETE_LOGIN_PROFILE:
            gone = gateway.login_profile(name) is None
            steps.append({**write, "result": DONE if gone else NOT_DONE})
        elif write.get("action") in _MORE:
            steps.append({**write, "result": DONE if live.done(write) else NOT_DONE})
    base = {
        "actor": actor.get("arn"),
        "account": intent.get("account") or actor.get("account"),
        "target": target,
        "cutoff": intent.get("cutoff"),
        "intent": intent["hash"],
        "reconciled": True,
    }
    if not policy_written and not any(s["result"] == DONE for s in steps):
        return {**base, "action": CLOSE, "status": "not_applied", "found": "nothing in force"}
    notes = []
    if policy_written and _text(after) != _text(intended):
        notes.append("the document found is not the one the intent announced: someone else wrote")
    return {
        **base,
        "action": "revoke",
        "status": RECONCILED,
        "previous_cutoff": intent.get("previous_cutoff"),
        "policy": policy,
        "before": before,
        "after": after,
        "containment": [s for s in steps if s["result"] in (DONE, ALREADY_DONE)],
        "evidence": {},
        "verification": {"status": "skipped", "reason": "reconciled after an interruption"},
        "error": None,
        "warnings": [],
        "notes": notes,
    }


def _current_document(
    gateway: IamGateway, kind: str, name: str, policy: dict[str, Any]
) -> dict[str, Any] | None:
    if policy.get("mechanism") == "managed":
        arn = policy.get("managed_policy_arn")
        if not arn:
            arn = next(
                (a for k, n, a in gateway.managed_fallbacks() if k == kind and n == name), None
            )
            policy["managed_policy_arn"] = arn
        return gateway.managed_document(arn) if arn else None
    return gateway.get_inline(kind, name, str(policy.get("name")))


def _summary(record: dict[str, Any]) -> str:
    if record.get("action") == CLOSE:
        return "nothing of it is in force in AWS; closed"
    parts = []
    if _text(record.get("after")) != _text(record.get("before")):
        parts.append("the deny is in force")
    keys = [s["access_key_id"] for s in record["containment"] if s["action"] == DEACTIVATE_KEY]
    if keys:
        parts.append(f"access key(s) {', '.join(keys)} inactive")
    if any(s["action"] == DELETE_LOGIN_PROFILE for s in record["containment"]):
        parts.append("console password removed")
    parts += done_phrases(record["containment"])
    return f"{' and '.join(parts)}: journalled (seq {record.get('seq')})"


_MORE = {*STATUS_KINDS, DEACTIVATE_MFA_DEVICE, REVOKE_SIGNIN_SESSIONS, LOCK_TRUST}


class _Live:
    """What AWS shows now for issue 15's steps, each listing read once per intent."""

    def __init__(self, gateway: IamGateway, name: str) -> None:
        from revoke.aws.containment_calls import ContainmentCalls

        self.calls = ContainmentCalls(gateway.session)
        self.name = name
        self._read: dict[str, Any] = {}

    def _once(self, what: str, read: Any) -> Any:
        if what not in self._read:
            self._read[what] = read()
        return self._read[what]

    def done(self, write: dict[str, Any]) -> bool:
        action = write.get("action")
        if action in STATUS_KINDS:
            listing = STATUS_KINDS[str(action)].listing
            found = self._once(listing, lambda: getattr(self.calls, listing)(self.name))
            status = {c["id"]: c.get("status") for c in found}.get(write.get("credential_id"))
            return status in ("Inactive", "Expired")
        if action == DEACTIVATE_MFA_DEVICE:
            devices = self._once("mfa", lambda: self.calls.gateway.mfa_devices(self.name))
            return write.get("serial_number") not in {d["serial_number"] for d in devices}
        if action == REVOKE_SIGNIN_SESSIONS:
            principal = str(write.get("principal_arn"))
            found = self._once("signin", lambda: self.calls.signin_sessions(principal))
            status = {s["arn"]: s.get("status") for s in found}
            # A session no longer listed has expired or gone: it cannot be refreshed.
            return all(status.get(s["arn"], "REVOKED") != "ACTIVE" for s in write["sessions"])
        if action == LOCK_TRUST:
            trust = self._once("trust", lambda: self.calls.trust_document(self.name))
            return trust is not None and _text(trust) == _text(write.get("trust_after"))
        return False


def _text(document: dict[str, Any] | None) -> str | None:
    return compact(document) if document is not None else None
