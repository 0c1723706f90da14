"""The bulk side of a revocation run: states for the planner and read-back, for many targets.

Above `BULK_THRESHOLD` targets, a run reads every target's state from
iam:GetAccountAuthorizationDetails (revoke.aws.bulk: one paginated call for the account)
instead of four or five calls per target, and reads its writes back the same way. For
users, a fresh credential report says who has access keys, a console password or MFA
devices; only those users get the per-user reads (ListAccessKeys for the fact 3 warning;
GetLoginProfile and ListMFADevices for the evidence captured before any change, fact 21).
The others' answers are known already and handed to the gateway (IamGateway.prefetch).
IAM throttles per account (fact 19): fewer calls is the first remedy.

Below the threshold the per-target reads win: a handful of targets in a large account
would otherwise page through every principal of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from revoke.core.names import TargetName
from revoke.core.plan import PrincipalState
from revoke.errors import AwsFailure

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway

BULK_THRESHOLD = 20
# Codes that mean "this caller may not make the bulk call": fall back to per-target reads
# (a least-privilege responder role may allow iam:GetUser but not the account-wide read).
_FALLBACK_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}


def use_bulk(count: int) -> bool:
    return count > BULK_THRESHOLD


def state_reader(
    gateway: IamGateway, kind: str, targets: Sequence[TargetName], warnings: list[str]
) -> Callable[[TargetName], PrincipalState]:
    """How the planner reads one target: from one bulk read made now, or per target."""

    def per_target(target: TargetName) -> PrincipalState:
        return gateway.read_principal(kind, target.name)

    if not use_bulk(len(targets)):
        return per_target
    from revoke.aws.bulk import access_keys, credential_report

    # The credential report (users) is read while the bulk call runs; None (stale,
    # refused, slow) means every user gets the per-user reads.
    from revoke.ops.pool import Background

    report_read = Background(credential_report, gateway) if kind == "user" else None
    try:
        states = gateway.read_principals_bulk(kind, [t.name for t in targets], prefetch=True)
    except AwsFailure as err:
        if err.code not in _FALLBACK_CODES:
            raise
        warnings.append(
            f"iam:GetAccountAuthorizationDetails was refused ({err.code}): reading each "
            f"{kind} separately, {len(targets)} targets, several calls each"
        )
        return per_target
    report = report_read.result() if report_read is not None else None

    def from_bulk(target: TargetName) -> PrincipalState:
        state = states.get(target.name.lower())
        if state is None:
            return PrincipalState(kind=kind, name=target.name, exists=False)
        if kind == "user":
            summary = report.get(state.name.lower()) if report is not None else None
            if summary is None or summary.has_keys:
                state.access_keys = access_keys(gateway, state.name)
            if summary is not None and not summary.password_enabled:
                gateway.prefetch("login_profile", state.name, None)
            if summary is not None and not summary.mfa_active:
                gateway.prefetch("mfa_devices", state.name, [])
        return state

    return from_bulk
