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
Issue 15, each deactivating, never deleting, the evidence in the step itself:
    {"action": "deactivate_service_credential" | "deactivate_ssh_key" |
     "deactivate_certificate", "credential_id", "status_before", "created"?, "service"?,
     "service_user_name"?, "result", ...}   (lift: "reactivate_...")
    {"action": "deactivate_mfa_device", "serial_number", "enabled", "result", ...}
    {"action": "revoke_signin_sessions", "principal_arn", "sessions": [{"arn", "issued",
     "expires"}] (at most five: one BatchRevokeSessions call), "not_revoked"?, "result"}
    {"action": "lock_trust", "trust_before", "trust_after", "exempt", "result", ...}
                                                    (role; lift: "restore_trust")
`result`: "planned" -> "done" | "failed" | "already_done".
No step ever holds a secret: IAM returns neither secret keys nor passwords on these calls.

The modules, each importing only those above it: `options` (the step names and kinds, and
the run's ContainmentOptions), `steps` (the steps planned, pure), `summary` (the steps for
people), then the recorder's parts over `base`: `planning` (read-only), `evidence`,
`records` (the journal's intent, outcome, close and verify records), `executors` (the
writes per credential kind), and `recorder` (RevocationRecorder, all of them together).
"""

from __future__ import annotations

from revoke.ops.containment.options import (
    ALREADY_DONE,
    CONTAIN_ALL,
    DEACTIVATE_CERTIFICATE,
    DEACTIVATE_KEY,
    DEACTIVATE_MFA_DEVICE,
    DEACTIVATE_SERVICE_CREDENTIAL,
    DEACTIVATE_SSH_KEY,
    DELETE_LOGIN_PROFILE,
    DONE,
    FAILED,
    LOCK_TRUST,
    LOCK_TRUST_ACTIONS,
    LOCK_TRUST_SID,
    PLANNED,
    PUT_POLICY,
    REACTIVATE_CERTIFICATE,
    REACTIVATE_KEY,
    REACTIVATE_SERVICE_CREDENTIAL,
    REACTIVATE_SSH_KEY,
    REACTIVATIONS,
    RESTORE_TRUST,
    REVOKE_SIGNIN_SESSIONS,
    STATUS_KINDS,
    ContainmentOptions,
    StatusKind,
    containment_options,
)
from revoke.ops.containment.recorder import RevocationRecorder
from revoke.ops.containment.records import VerifiedRun
from revoke.ops.containment.steps import (
    caller_role_arns,
    key_step,
    locked_trust,
    login_profile_step,
    mfa_steps,
    plan_containment,
    signin_steps,
    status_steps,
    unlocked_trust,
)
from revoke.ops.containment.summary import (
    describe_containment,
    done_phrases,
    step_summary,
)

__all__ = [
    "ALREADY_DONE",
    "CONTAIN_ALL",
    "ContainmentOptions",
    "DEACTIVATE_CERTIFICATE",
    "DEACTIVATE_KEY",
    "DEACTIVATE_MFA_DEVICE",
    "DEACTIVATE_SERVICE_CREDENTIAL",
    "DEACTIVATE_SSH_KEY",
    "DELETE_LOGIN_PROFILE",
    "DONE",
    "FAILED",
    "LOCK_TRUST",
    "LOCK_TRUST_ACTIONS",
    "LOCK_TRUST_SID",
    "PLANNED",
    "PUT_POLICY",
    "REACTIVATE_CERTIFICATE",
    "REACTIVATE_KEY",
    "REACTIVATE_SERVICE_CREDENTIAL",
    "REACTIVATE_SSH_KEY",
    "REACTIVATIONS",
    "RESTORE_TRUST",
    "REVOKE_SIGNIN_SESSIONS",
    "RevocationRecorder",
    "STATUS_KINDS",
    "StatusKind",
    "VerifiedRun",
    "caller_role_arns",
    "containment_options",
    "describe_containment",
    "done_phrases",
    "key_step",
    "locked_trust",
    "login_profile_step",
    "mfa_steps",
    "plan_containment",
    "signin_steps",
    "status_steps",
    "step_summary",
    "unlocked_trust",
]
