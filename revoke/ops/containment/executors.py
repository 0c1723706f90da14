"""The recorder's step executors, per credential kind: evidence, intent, then the writes.

`before_apply(row)` captures the evidence, writes the intent (no write without it on
disk), then carries out each planned step: keys and the console password through the IAM
gateway, the issue-15 kinds (service-specific credentials, SSH keys, certificates, MFA
devices, sign-in sessions, the trust lock) through ContainmentCalls.
"""

from __future__ import annotations

from typing import Any

from revoke.core.plan import TargetPlan
from revoke.errors import RevokeError
from revoke.ops.containment.evidence import EvidenceCapture
from revoke.ops.containment.options import (
    ALREADY_DONE,
    DEACTIVATE_KEY,
    DEACTIVATE_MFA_DEVICE,
    DELETE_LOGIN_PROFILE,
    DONE,
    FAILED,
    LOCK_TRUST,
    PLANNED,
    REVOKE_SIGNIN_SESSIONS,
    STATUS_KINDS,
)
from revoke.ops.containment.records import JournalRecords
from revoke.state.journal import utc_timestamp


class StepExecutors(EvidenceCapture, JournalRecords):
    """Applying: evidence, intent, then the containment steps of each target."""

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
                else:
                    self._apply_more(row, step)
                if step.get("result") == PLANNED:
                    step["result"] = DONE
            except RevokeError as err:
                if getattr(err, "code", None) == "NoSuchEntity" and (
                    step["action"] in (DELETE_LOGIN_PROFILE, DEACTIVATE_MFA_DEVICE)
                ):
                    step["result"] = ALREADY_DONE  # removed by someone else since the plan
                else:
                    step["result"] = FAILED
                    step["error"] = err.message
            step["at"] = utc_timestamp(self.clock())

    def _apply_more(self, row: TargetPlan, step: dict[str, Any]) -> None:
        action = step["action"]
        if action in STATUS_KINDS:
            setter = getattr(self.calls, STATUS_KINDS[action].setter)
            setter(row.name, step["credential_id"], "Inactive")
        elif action == DEACTIVATE_MFA_DEVICE:
            self.calls.deactivate_mfa_device(row.name, step["serial_number"])
        elif action == REVOKE_SIGNIN_SESSIONS:
            failed = self.calls.revoke_signin_sessions(
                step["principal_arn"],
                [str(s["arn"]) for s in step["sessions"]],
                f"revoke: incident containment, cutoff {self.cutoff}",
            )
            if failed:
                step["not_revoked"] = failed
                step["result"] = FAILED
                step["error"] = "; ".join(f"{arn}: {why}" for arn, why in failed.items())
        elif action == LOCK_TRUST:
            self.calls.put_trust_document(row.name, step["trust_after"])
