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
"""

from __future__ import annotations

import functools
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
    from revoke.aws.containment_calls import ContainmentCalls
    from revoke.aws.iam import IamGateway


class VerifiedRun(Protocol):
    """What record_verification reads of a run (revoke.ops.revocation.RunResult)."""

    targets: list[TargetPlan]
    warnings: list[str]


DEACTIVATE_KEY = "deactivate_key"
DELETE_LOGIN_PROFILE = "delete_login_profile"
REACTIVATE_KEY = "reactivate_key"
DEACTIVATE_SERVICE_CREDENTIAL = "deactivate_service_credential"
DEACTIVATE_SSH_KEY = "deactivate_ssh_key"
DEACTIVATE_CERTIFICATE = "deactivate_certificate"
REACTIVATE_SERVICE_CREDENTIAL = "reactivate_service_credential"
REACTIVATE_SSH_KEY = "reactivate_ssh_key"
REACTIVATE_CERTIFICATE = "reactivate_certificate"
DEACTIVATE_MFA_DEVICE = "deactivate_mfa_device"
REVOKE_SIGNIN_SESSIONS = "revoke_signin_sessions"
LOCK_TRUST = "lock_trust"
RESTORE_TRUST = "restore_trust"


@dataclass(frozen=True)
class StatusKind:
    """A long-term credential with an Active/Inactive status: deactivated by revoke,
    reactivated by lift (AWS-FACTS 24)."""

    what: str  # for people
    listing: str  # the evidence key, and the ContainmentCalls read
    setter: str  # the ContainmentCalls write
    reactivate: str  # lift's action


STATUS_KINDS: dict[str, StatusKind] = {
    DEACTIVATE_SERVICE_CREDENTIAL: StatusKind(
        "service-specific credential",
        "service_credentials",
        "set_service_credential_status",
        REACTIVATE_SERVICE_CREDENTIAL,
    ),
    DEACTIVATE_SSH_KEY: StatusKind(
        "SSH public key", "ssh_keys", "set_ssh_key_status", REACTIVATE_SSH_KEY
    ),
    DEACTIVATE_CERTIFICATE: StatusKind(
        "signing certificate", "certificates", "set_certificate_status", REACTIVATE_CERTIFICATE
    ),
}
REACTIVATIONS = {k.reactivate: action for action, k in STATUS_KINDS.items()}
# The Sid of the statement `--lock-trust` adds; lift removes exactly that statement.
LOCK_TRUST_SID = "RevokeLockTrust"
# Every way into a role's sessions through its trust policy (IAM User Guide,
# id_roles_update-role-trust-policy; sts:TagSession and sts:SetSourceIdentity are asked
# for in the same request as the assume).
LOCK_TRUST_ACTIONS = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
]

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
    # Issue 15: the other long-term credentials and footholds of a user.
    deactivate_service_credentials: bool = False
    deactivate_ssh_keys: bool = False
    deactivate_certificates: bool = False
    revoke_signin_sessions: bool = False
    # MFA devices enabled at or after this (normalised UTC cutoff text); None: none.
    deactivate_mfa_since: str | None = None
    # Roles: a Deny in the trust policy for every principal but these ARNs.
    lock_trust: bool = False
    exempt_principals: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return self.any_user or self.lock_trust

    @property
    def any_user(self) -> bool:
        return (
            self.deactivate_keys
            or self.disable_console
            or self.deactivate_service_credentials
            or self.deactivate_ssh_keys
            or self.deactivate_certificates
            or self.revoke_signin_sessions
            or self.deactivate_mfa_since is not None
        )

    def deactivates(self, action: str) -> bool:
        return {
            DEACTIVATE_SERVICE_CREDENTIAL: self.deactivate_service_credentials,
            DEACTIVATE_SSH_KEY: self.deactivate_ssh_keys,
            DEACTIVATE_CERTIFICATE: self.deactivate_certificates,
        }[action]

    def selects(self, key: AccessKey) -> bool:
        """Whether this run deactivates `key` (when it is active)."""
        return self.deactivate_keys and (self.key_ids is None or key.access_key_id in self.key_ids)


# The flags `--contain-all` turns on (beside --deactivate-keys --disable-console, and the
# MFA window: a week before the cutoff unless --deactivate-mfa-since says otherwise,
# revoke.core.coverage.model.incident_start).
CONTAIN_ALL = (
    "deactivate_service_credentials",
    "deactivate_ssh_keys",
    "deactivate_certificates",
    "revoke_signin_sessions",
)


def containment_options(
    flags: dict[str, Any],
    *,
    deactivate_keys: bool,
    disable_console: bool,
    key_ids: frozenset[str] | None,
    cutoff: str,
    now: datetime,
) -> ContainmentOptions:
    """The options of a `revoke user|role` run from its flags (issue 15): `flags` holds
    the new ones as the command line spells them (contain_all, deactivate_mfa_since WHEN
    text, lock_trust, exempt_principals, and the four of CONTAIN_ALL)."""
    from revoke.core.coverage.model import incident_start
    from revoke.core.timeparse import parse_cutoff

    every = bool(flags.get("contain_all"))
    since = flags.get("deactivate_mfa_since")
    return ContainmentOptions(
        deactivate_keys or every,
        disable_console or every,
        key_ids,
        **{name: every or bool(flags.get(name)) for name in CONTAIN_ALL},
        deactivate_mfa_since=(
            parse_cutoff(since, now=now) if since else incident_start(cutoff) if every else None
        ),
        lock_trust=bool(flags.get("lock_trust")),
        exempt_principals=tuple(flags.get("exempt_principals") or ()),
    )


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


def status_steps(action: str, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One step per active credential of a kind (service-specific, SSH, certificate)."""
    steps = []
    for c in listed:
        if c.get("status") != "Active":
            continue
        step: dict[str, Any] = {
            "action": action,
            "credential_id": c["id"],
            "status_before": c.get("status"),
        }
        for field_name in ("service", "service_user_name", "created", "uploaded", "expires"):
            if c.get(field_name) is not None:
                step[field_name] = c[field_name]
        step["result"] = PLANNED
        steps.append(step)
    return steps


def mfa_steps(devices: list[dict[str, Any]], since: str) -> list[dict[str, Any]]:
    """Devices enabled at or after `since`: added during the incident, a foothold."""
    start = cutoff_datetime(since)
    return [
        {
            "action": DEACTIVATE_MFA_DEVICE,
            "serial_number": d["serial_number"],
            "enabled": d.get("enabled"),
            "result": PLANNED,
        }
        for d in devices
        if d.get("enabled") is None or cutoff_datetime(d["enabled"][:19] + "Z") >= start
    ]


def signin_steps(
    principal_arn: str, sessions: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Active, unexpired sign-in sessions, five to a step (one BatchRevokeSessions call)."""
    from revoke.core.coverage import SIGNIN_REVOKE_BATCH

    moment = now.timestamp()
    live = [
        {"arn": s["arn"], "issued": s.get("issued_at"), "expires": s.get("expires_at")}
        for s in sessions
        if s.get("status") == "ACTIVE"
        and (s.get("expires_at") is None or float(s["expires_at"]) > moment)
    ]
    return [
        {
            "action": REVOKE_SIGNIN_SESSIONS,
            "principal_arn": principal_arn,
            "sessions": live[i : i + SIGNIN_REVOKE_BATCH],
            "result": PLANNED,
        }
        for i in range(0, len(live), SIGNIN_REVOKE_BATCH)
    ]


def caller_role_arns(actor_arn: str | None) -> list[str]:
    """The role behind the caller's session (arn:aws:sts::A:assumed-role/R/s), as
    aws:PrincipalArn names it: the role ARN, with or without a path."""
    if not actor_arn or ":assumed-role/" not in actor_arn:
        return []
    account = actor_arn.split(":")[4]
    role = actor_arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
    return [f"arn:aws:iam::{account}:role/{role}", f"arn:aws:iam::{account}:role/*/{role}"]


def locked_trust(document: dict[str, Any], exempt: list[str]) -> dict[str, Any]:
    """The trust document with one Deny added for every principal but `exempt`.

    A Deny in a trust policy trumps its Allow ("If policies that apply to a request include
    an Allow statement and a Deny statement, the Deny statement trumps the Allow
    statement", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html);
    the trust policy is what decides who may assume the role
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-trust-policy.html).
    `ArnNotLike` on aws:PrincipalArn: a negated operator matches when the key is absent
    (service and federated principals have no aws:PrincipalArn), so they are locked too.
    Other statements are kept as they are."""
    statements = document.get("Statement")
    kept = list(statements) if isinstance(statements, list) else [statements] if statements else []
    deny: dict[str, Any] = {
        "Sid": LOCK_TRUST_SID,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": list(LOCK_TRUST_ACTIONS),
    }
    if exempt:
        deny["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": sorted(set(exempt))}}
    return {
        **document,
        "Version": document.get("Version", "2012-10-17"),
        "Statement": [*kept, deny],
    }


def unlocked_trust(document: dict[str, Any]) -> dict[str, Any] | None:
    """The trust document without revoke's lock statement; None when it holds none."""
    statements = document.get("Statement")
    listed = list(statements) if isinstance(statements, list) else [statements]
    kept = [s for s in listed if not (isinstance(s, dict) and s.get("Sid") == LOCK_TRUST_SID)]
    if len(kept) == len(listed):
        return None
    return {**document, "Statement": kept}


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
    elif step["action"] in STATUS_KINDS or step["action"] in REACTIVATIONS:
        deactivating = step["action"] in STATUS_KINDS
        kind = STATUS_KINDS[step["action"] if deactivating else REACTIVATIONS[step["action"]]]
        service = f" ({step['service']})" if step.get("service") else ""
        verb = "deactivate" if deactivating else "reactivate"
        text = f"{verb} {kind.what} {step['credential_id']}{service}"
    elif step["action"] == DEACTIVATE_MFA_DEVICE:
        text = (
            f"deactivate MFA device {step['serial_number']} (enabled {step.get('enabled') or '?'})"
        )
    elif step["action"] == REVOKE_SIGNIN_SESSIONS:
        text = f"revoke {len(step.get('sessions') or [])} AWS Sign-In session(s)"
    elif step["action"] == LOCK_TRUST:
        exempt = ", ".join(step.get("exempt") or []) or "none"
        text = f"lock the trust policy: deny every principal but the exempt ({exempt})"
    elif step["action"] == RESTORE_TRUST:
        text = "restore the trust policy (remove revoke's lock statement)"
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
    for action, kind in STATUS_KINDS.items():
        if n := sum(s["action"] == action for s in steps):
            parts.append(f"deactivate {n} {kind.what}(s)")
    if n := sum(s["action"] == DEACTIVATE_MFA_DEVICE for s in steps):
        parts.append(f"deactivate {n} MFA device(s)")
    if n := sum(
        len(s.get("sessions") or []) for s in steps if s["action"] == REVOKE_SIGNIN_SESSIONS
    ):
        parts.append(f"revoke {n} AWS Sign-In session(s) (cannot be undone)")
    if n := sum(s["action"] == LOCK_TRUST for s in steps):
        parts.append(f"lock {n} trust polic(ies)")
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
        calls: ContainmentCalls | None = None,
    ) -> None:
        self.gateway = gateway
        self._calls = calls
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
        self._listed: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def calls(self) -> ContainmentCalls:
        """The issue-15 reads and writes, on the gateway's session (made when first used)."""
        if self._calls is None:
            from revoke.aws.containment_calls import ContainmentCalls

            self._calls = ContainmentCalls(self.gateway.session)
        return self._calls

    @staticmethod
    def _key(kind: str, name: str) -> tuple[str, str]:
        return (kind, name.lower())

    # -- planning (read-only) -------------------------------------------------------------

    def extend(self, state: PrincipalState, row: TargetPlan) -> TargetPlan:
        key = self._key(state.kind, state.name)
        with self._lock:
            self._states[key] = state
        if row.status not in (STATUS_PLANNED, STATUS_UNCHANGED):
            return row  # failed: nothing at all changes for this target
        if state.kind == "role" and self.options.lock_trust:
            row.containment = self._plan_lock_trust(state, row)
            return self._containment_only(row)
        if state.kind != "user" or not self.options.any_user:
            return row
        for access_key in state.active_keys:
            if self.options.selects(access_key):
                self._read_last_used(access_key)
        profile = None
        if self.options.disable_console:
            profile = self.gateway.login_profile(state.name)
            with self._lock:
                self._profiles[key] = profile
        row.containment = plan_containment(state, self.options, profile)
        row.containment += self._plan_more(state, row)
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
        return self._containment_only(row)

    @staticmethod
    def _containment_only(row: TargetPlan) -> TargetPlan:
        if row.containment and row.status == STATUS_UNCHANGED:
            row.status = STATUS_PLANNED
            row.reason = f"{row.reason}; containment only" if row.reason else "containment only"
        return row

    def _listing(
        self, state: PrincipalState, row: TargetPlan, what: str, read: Callable[[], Any]
    ) -> Any:
        """One read for the plan, kept as evidence; a read that fails is a warning (that
        path stays open, and `revoke residual` reports it) and no step."""
        from revoke.aws.credentials import Unavailable

        try:
            found = read()
        except (Unavailable, RevokeError) as err:
            why = err.reason if isinstance(err, Unavailable) else err.message
            row.warnings.append(
                f"{state.kind} {state.name}: the {what} could not be read ({why}): not contained"
            )
            with self._lock:
                self._listed.setdefault(self._key(state.kind, state.name), {})[what] = {
                    "error": why
                }
            return None
        with self._lock:
            self._listed.setdefault(self._key(state.kind, state.name), {})[what] = found
        return found

    def _plan_more(self, state: PrincipalState, row: TargetPlan) -> list[dict[str, Any]]:
        """Issue 15: service-specific credentials, SSH keys, signing certificates, MFA
        devices enabled during the incident, AWS Sign-In sessions (read-only)."""
        o, name = self.options, state.name
        steps: list[dict[str, Any]] = []
        for action, kind in STATUS_KINDS.items():
            if o.deactivates(action):
                read = functools.partial(getattr(self.calls, kind.listing), name)
                listed = self._listing(state, row, kind.listing, read)
                steps += status_steps(action, listed or [])
        if o.deactivate_mfa_since is not None:
            devices = self._listing(
                state, row, "mfa_devices", lambda: self.gateway.mfa_devices(name)
            )
            chosen = mfa_steps(devices or [], o.deactivate_mfa_since)
            steps += chosen
            spared = len(devices or []) - len(chosen)
            if spared:
                row.warnings.append(
                    f"user {name}: {spared} MFA device(s) enabled before "
                    f"{o.deactivate_mfa_since} stay active; if one was added during the "
                    "incident, pass --deactivate-mfa-since WHEN (the incident's start)"
                )
        if o.revoke_signin_sessions and state.arn:
            sessions = self._listing(
                state, row, "signin_sessions", lambda: self.calls.signin_sessions(str(state.arn))
            )
            steps += signin_steps(str(state.arn), sessions or [], self.clock())
        return steps

    def _plan_lock_trust(self, state: PrincipalState, row: TargetPlan) -> list[dict[str, Any]]:
        from revoke.core.coverage import trust_locked

        trust = self._listing(
            state, row, "trust_policy_now", lambda: self.calls.trust_document(state.name)
        )
        if trust is None:
            return []
        if trust_locked(trust):
            return []  # locked already (by us or by hand): nothing to add
        exempt = list(self.options.exempt_principals)
        mine = caller_role_arns(self.actor.get("arn"))
        if mine and not any(m in exempt for m in mine):
            exempt += mine
            row.warnings.append(
                f"role {state.name}: your own role ({mine[0]}) is exempt from the trust "
                "lock, so this session can still assume roles it trusts; pass it as "
                "--exempt-principal to say so explicitly"
            )
        return [
            {
                "action": LOCK_TRUST,
                "trust_before": trust,
                "trust_after": locked_trust(trust, exempt),
                "exempt": sorted(set(exempt)),
                "result": PLANNED,
            }
        ]

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
        listed = self._listed.pop(key, {})
        if state.kind == "role":
            evidence["max_session_duration"] = state.max_session_duration
            evidence["trust_policy"] = listed.get("trust_policy_now") or _attempt(
                lambda: self.gateway.trust_policy(row.name)
            )
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
        evidence["mfa_devices"] = listed.get("mfa_devices") or _attempt(
            lambda: self.gateway.mfa_devices(row.name)
        )
        for what in ("service_credentials", "ssh_keys", "certificates", "signin_sessions"):
            if what in listed:  # read for this run's steps: what each was before the change
                evidence[what] = listed[what]
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
    parts += done_phrases(steps_done)
    return (
        f"{row.kind} {row.name}: {' and '.join(parts)} in force in AWS but not fully "
        f"journalled (only its intent record is): {why}"
    )


def done_phrases(steps: list[dict[str, Any]]) -> list[str]:
    """The issue-15 steps done, for one line (journal failures, reconcile)."""
    parts = []
    for action, kind in STATUS_KINDS.items():
        ids = [s["credential_id"] for s in steps if s["action"] == action]
        if ids:
            parts.append(f"{kind.what}(s) {', '.join(ids)} deactivated")
    serials = [s["serial_number"] for s in steps if s["action"] == DEACTIVATE_MFA_DEVICE]
    if serials:
        parts.append(f"MFA device(s) {', '.join(serials)} deactivated")
    revoked = sum(
        len(s.get("sessions") or []) for s in steps if s["action"] == REVOKE_SIGNIN_SESSIONS
    )
    if revoked:
        parts.append(f"{revoked} sign-in session(s) revoked")
    if any(s["action"] == LOCK_TRUST for s in steps):
        parts.append("the trust policy locked")
    return parts


def _attempt(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except RevokeError as err:
        return {"error": err.message}
