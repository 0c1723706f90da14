"""`revoke residual`: what a principal (or every user of the account) can still get in with.

Read-only. Live reads (revoke.aws.credentials) feed the coverage model
(revoke.core.coverage); nothing is written, nothing journalled.

The function a containment run ends with (`revoke user|role|key`):

    report_for(ctx, session, kind, name, cutoff, *, since=None) -> ResidualReport

`ResidualReport.to_json()` is the `residual` object of that run's JSON;
`.exit_code()` is 3 while a path is open or unchecked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core import coverage as cov
from revoke.core.coverage import CoverageReport, PrincipalCredentials
from revoke.core.policy import POLICY_NAME, existing_cutoff, managed_policy_name
from revoke.errors import AwsFailure, ExitCode, RevokeError
from revoke.ops.pool import map_bounded

if TYPE_CHECKING:
    from revoke.aws.credentials import CredentialReader
    from revoke.aws.session import AwsSession
    from revoke.ops.context import RunContext

ResidualReport = CoverageReport
READ_WORKERS = 8


def _reader(session: Any) -> CredentialReader:
    """A reader over an AwsSession, or over the session of an IamGateway or a reader."""
    from revoke.aws.credentials import CredentialReader

    if isinstance(session, CredentialReader):
        return session
    inner = getattr(session, "session", None)  # an IamGateway
    return CredentialReader(inner if inner is not None else session)


def _attempt(found: PrincipalCredentials, path: str, read: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, answer), or (False, None) with the reason kept for the path's report."""
    from revoke.aws.credentials import Unavailable

    try:
        return True, read()
    except Unavailable as err:
        found.unavailable[path] = err.reason
    except RevokeError as err:
        found.unavailable[path] = err.message
    except Exception as err:  # noqa: BLE001 - a read that broke is a path not checked
        # Fail safe: the path is reported cannot-be-checked-here (never "nothing open"),
        # and a containment run that ends with this report is not failed by it.
        found.unavailable[path] = f"the read failed: {type(err).__name__}"
    return False, None


def read_credentials(reader: CredentialReader, kind: str, name: str) -> PrincipalCredentials:
    """Everything the model needs about one principal, the reads in parallel. The principal
    must exist (AwsFailure NoSuchEntity, exit 254, if not); any other read that fails
    leaves its path cannot-be-checked-here rather than failing the report."""
    entity = reader.principal(kind, name)
    if entity is None:
        raise AwsFailure(
            f"{kind} {name} does not exist",
            code="NoSuchEntity",
            hint=f"check the name: aws iam list-{kind}s",
        )
    found = PrincipalCredentials(kind=kind, name=name, arn=entity["arn"], account=entity["account"])
    found.trust_policy = entity.get("trust_policy") if kind == "role" else None

    def policies() -> None:
        ok, attached = _attempt(
            found, cov.SESSIONS, lambda: reader.attached_policy_arns(kind, name)
        )
        found.attached_policy_arns = attached or []
        if ok:
            ok, cutoff = _attempt(
                found, cov.SESSIONS, lambda: reader.revocation_cutoff(kind, name, attached)
            )
            found.revocation_cutoff = cutoff
            if not ok:
                found.revocation_cutoff = None

    def login() -> None:
        ok, profile = _attempt(found, cov.CONSOLE_PASSWORD, lambda: reader.login_profile(name))
        found.login_profile_checked, found.login_profile = ok, profile

    def into(attr: str, path: str, read: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            setattr(found, attr, _attempt(found, path, read)[1])

        return run

    assert found.arn is not None
    reads: list[Callable[[], None]] = [
        policies,
        into(
            "signin_sessions", cov.SIGNIN_SESSIONS, lambda: reader.signin_sessions(found.arn or "")
        ),
    ]
    if kind == "user":
        reads += [
            login,
            into("access_keys", cov.ACCESS_KEYS, lambda: reader.access_keys(name)),
            into(
                "service_credentials",
                cov.SERVICE_CREDENTIALS,
                lambda: reader.service_credentials(name),
            ),
            into("ssh_keys", cov.SSH_KEYS, lambda: reader.ssh_keys(name)),
            into("certificates", cov.SIGNING_CERTIFICATES, lambda: reader.certificates(name)),
            into("mfa_devices", cov.MFA_DEVICES, lambda: reader.mfa_devices(name)),
        ]
    else:
        reads.append(
            into("instance_profiles", cov.INSTANCE_PROFILES, lambda: reader.instance_profiles(name))
        )
    map_bounded(lambda read: read(), reads, READ_WORKERS)
    if kind == "role" and found.trust_policy is None:
        found.unavailable.setdefault(cov.TRUST_POLICY, "GetRole returned no trust policy")
    return found


def report_for(
    ctx: RunContext,
    session: AwsSession | Any,
    kind: str,
    name: str,
    cutoff: str | None = None,
    *,
    since: str | None = None,
) -> ResidualReport:
    """The residual report of one principal from live reads.

    `session`: the run's AwsSession (`ctx.aws()`), or an IamGateway (its session is used).
    `cutoff`: the run's cutoff (`YYYY-MM-DDTHH:MM:SSZ`), which the sessions must be denied
    up to; None accepts any deny in force. `since`: the incident's start, for MFA devices
    (default: the cutoff).
    """
    reader = _reader(session)
    found = read_credentials(reader, kind, name)
    return cov.coverage(found, cutoff=cutoff, since=since, now=ctx.now())


# -- the whole account --------------------------------------------------------------------

# Paths the account-wide reads do not hold: no bulk source lists SSH public keys, and the
# credential report says whether a user has MFA, not when each device was enabled.
NOT_COVERED_BY_ALL = [
    {
        "path": cov.SSH_KEYS,
        "reason": "no account-wide listing of SSH public keys exists",
        "check": "revoke residual user NAME",
    },
    {
        "path": cov.MFA_DEVICES,
        "reason": "the credential report gives mfa_active, not when each device was enabled",
        "check": "revoke residual user NAME --since WHEN",
    },
]


@dataclass
class AccountResidual:
    account: str | None
    reports: list[CoverageReport]
    not_covered: list[dict[str, str]] = field(default_factory=lambda: list(NOT_COVERED_BY_ALL))
    skipped: list[str] = field(default_factory=list)  # the root user's row, and why

    @property
    def open(self) -> int:
        return sum(len(r.open) for r in self.reports)

    @property
    def unchecked(self) -> int:
        return sum(len(r.unchecked) for r in self.reports)

    def exit_code(self) -> ExitCode:
        return ExitCode.UNVERIFIED if self.open or self.unchecked else ExitCode.OK

    def warnings(self) -> list[str]:
        said = [w for r in self.reports for w in r.warnings()]
        said += [
            f"--all does not check {n['path']} ({n['reason']}): {n['check']}"
            for n in self.not_covered
        ]
        return said + self.skipped

    def to_json(self) -> dict[str, Any]:
        return {
            "action": "residual",
            "scope": "account",
            "account": self.account,
            "principals": [r.to_json() for r in self.reports],
            "open": self.open,
            "unchecked": self.unchecked,
            "users_with_open_paths": sum(1 for r in self.reports if r.open),
            "not_covered": list(self.not_covered),
            "warnings": self.warnings(),
        }

    def rows(self) -> list[dict[str, Any]]:
        return [row for r in self.reports for row in r.rows()]


def _flag(row: dict[str, str], column: str) -> bool:
    return str(row.get(column, "")).lower() == "true"


def _policy_cutoffs(details: list[dict[str, Any]]) -> dict[str, str | None]:
    """User name -> the latest issue-time deny in force (inline or our managed fallback),
    from GetAccountAuthorizationDetails."""
    from revoke.aws.wire import document as decode_document
    from revoke.core.timeparse import cutoff_datetime

    managed: dict[str, dict[str, Any]] = {}
    for detail in details:
        if "PolicyVersionList" in detail:  # a customer-managed policy
            for version in detail.get("PolicyVersionList") or []:
                if version.get("IsDefaultVersion"):
                    managed[detail["Arn"]] = decode_document(version["Document"])
    cutoffs: dict[str, str | None] = {}
    for detail in details:
        name = detail.get("UserName")
        if not name:
            continue
        found = []
        for policy in detail.get("UserPolicyList") or []:
            if policy["PolicyName"] == POLICY_NAME:
                found.append(existing_cutoff(decode_document(policy["PolicyDocument"])))
        fallback = managed_policy_name("user", name)
        for attached in detail.get("AttachedManagedPolicies") or []:
            if attached["PolicyName"] == fallback:
                found.append(existing_cutoff(managed.get(attached["PolicyArn"])))
        present = [c for c in found if c]
        cutoffs[name] = max(present, key=cutoff_datetime) if present else None
    return cutoffs


def account_report(
    ctx: RunContext,
    session: AwsSession | Any,
    *,
    cutoff: str | None = None,
    since: str | None = None,
) -> AccountResidual:
    """Every IAM user of the account from a handful of paged reads, not ten per user:
    the credential report (passwords, access keys, signing certificates), service-specific
    credentials with AllUsers, GetAccountAuthorizationDetails (the deny in force,
    quarantine policies) and the account's AWS Sign-In sessions."""
    from revoke.aws.credentials import Unavailable

    reader = _reader(session)
    rows = reader.credential_report()
    account = next((r["arn"].split(":")[4] for r in rows if r.get("arn", "").count(":") >= 5), None)

    service_creds: dict[str, list[dict[str, Any]]] | None = {}
    ssc_reason = None
    try:
        for c in reader.service_credentials(all_users=True):
            service_creds.setdefault(str(c.get("user")), []).append(c)  # type: ignore[union-attr]
    except (Unavailable, RevokeError) as err:
        service_creds, ssc_reason = None, getattr(err, "reason", None) or str(err)

    details_reason = None
    try:
        details = list(reader.account_details())
    except RevokeError as err:
        details, details_reason = [], err.message
    cutoffs = _policy_cutoffs(details)
    attached = {
        d["UserName"]: [p["PolicyArn"] for p in d.get("AttachedManagedPolicies") or []]
        for d in details
        if d.get("UserName")
    }

    sessions: dict[str, list[dict[str, Any]]] | None = {}
    signin_reason = None
    if account:
        try:
            for s in reader.signin_sessions(f"arn:aws:iam::{account}:*"):
                sessions.setdefault(str(s.get("principal_arn")), []).append(s)  # type: ignore[union-attr]
        except (Unavailable, RevokeError) as err:
            sessions, signin_reason = None, getattr(err, "reason", None) or str(err)

    reports = []
    skipped = []
    for row in rows:
        name = row.get("user", "")
        if name == "<root_account>":
            skipped.append(
                "the account root user is not an IAM user: IAM policies cannot restrict it "
                "(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html)"
            )
            continue
        arn = row.get("arn")
        found = PrincipalCredentials(kind="user", name=name, arn=arn, account=account)
        # The credential report holds each user's first two access keys and signing
        # certificates (IAM allows two of each) as active flags, without their IDs.
        found.access_keys = [
            {
                "id": f"access key {n}",
                "status": "Active" if _flag(row, f"access_key_{n}_active") else "Inactive",
            }
            for n in (1, 2)
            if _flag(row, f"access_key_{n}_active")
            or row.get(f"access_key_{n}_last_rotated", "N/A") != "N/A"
        ]
        found.certificates = [
            {
                "id": f"certificate {n}",
                "status": "Active" if _flag(row, f"cert_{n}_active") else "Inactive",
            }
            for n in (1, 2)
            if _flag(row, f"cert_{n}_active") or row.get(f"cert_{n}_last_rotated", "N/A") != "N/A"
        ]
        found.login_profile_checked = True
        found.login_profile = {"created": None} if _flag(row, "password_enabled") else None
        if service_creds is None:
            found.unavailable[cov.SERVICE_CREDENTIALS] = ssc_reason or "not read"
        else:
            found.service_credentials = service_creds.get(name, [])
        if sessions is None:
            found.unavailable[cov.SIGNIN_SESSIONS] = signin_reason or "not read"
        else:
            found.signin_sessions = sessions.get(str(arn), [])
        if details_reason:
            found.unavailable[cov.SESSIONS] = details_reason
        found.revocation_cutoff = cutoffs.get(name)
        found.attached_policy_arns = attached.get(name, [])
        report = cov.coverage(found, cutoff=cutoff, since=since, now=ctx.now())
        report.paths = [
            _bulk_closes(p, name)
            for p in report.paths
            if p.path not in (cov.SSH_KEYS, cov.MFA_DEVICES)
        ]
        reports.append(report)
    return AccountResidual(account=account, reports=reports, skipped=skipped)


def _bulk_closes(path: cov.CredentialPath, user: str) -> cov.CredentialPath:
    """The credential report names no certificate IDs: point at the listing first."""
    if (
        path.path == cov.SIGNING_CERTIFICATES
        and path.state == cov.OPEN
        and not cov.REVOKE_FLAGS.get(path.path)
    ):
        path.closes = [
            f"aws iam list-signing-certificates --user-name {user}, then for each active "
            f"one: aws iam update-signing-certificate --user-name {user} --certificate-id "
            "ID --status Inactive"
        ]
    return path


def per_user_account_report(
    ctx: RunContext,
    session: AwsSession | Any,
    *,
    cutoff: str | None = None,
    since: str | None = None,
    workers: int = READ_WORKERS,
) -> list[CoverageReport]:
    """The same question the slow way, one principal at a time (the benchmark's baseline,
    benchmarks/bench_residual.py): ListUsers, then every read of report_for per user."""
    from revoke.aws.iam import IamGateway

    reader = _reader(session)
    names = IamGateway(reader.session).list_names("user")
    return map_bounded(
        lambda n: cov.coverage(
            read_credentials(reader, "user", n), cutoff=cutoff, since=since, now=ctx.now()
        ),
        names,
        workers,
    )
