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

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from revoke.core.names import TargetName
from revoke.core.plan import PrincipalState, TargetPlan
from revoke.core.policy import compact
from revoke.errors import AwsFailure, RevokeError

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway

BULK_THRESHOLD = 20
# Codes that mean "this caller may not make the bulk call": fall back to per-target reads
# (a least-privilege responder role may allow iam:GetUser but not the account-wide read).
_FALLBACK_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}


def use_bulk(count: int) -> bool:
    return count > BULK_THRESHOLD


class Background:
    """`fn(*args)` on a daemon thread; `result()` waits for it and returns or raises.

    Not a ThreadPoolExecutor: Python joins every executor thread at exit, so a read left
    behind by a run that stops (an unreachable endpoint retried ten times) would hold the
    exit for half a minute."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(fn, *args), daemon=True).start()

    def _run(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self._value = fn(*args)
        except BaseException as err:  # noqa: BLE001 - re-raised by result()
            self._error = err
        finally:
            self._done.set()

    def result(self) -> Any:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


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


def _result(found: dict[str, Any] | None, row: TargetPlan) -> dict[str, Any]:
    if found is None:
        return {"status": "missing"}
    if row.policy_document is not None and compact(found) == compact(row.policy_document):
        return {"status": "ok"}
    return {"status": "mismatch", "found": found}


def _confirmed_inline(gateway: IamGateway, kind: str, group: list[TargetPlan]) -> set[str]:
    """Lower-cased names of the inline rows whose document IAM returns exactly as written,
    from one bulk read; empty when that read fails (each row is then read on its own)."""
    from revoke.aws.bulk import scan_inline

    inline = {r.name.lower(): r for r in group if r.mechanism == "inline"}
    confirmed: set[str] = set()

    def visit(name: str, document: dict[str, Any] | None) -> None:
        if _result(document, inline[name])["status"] == "ok":
            confirmed.add(name)

    try:
        scan_inline(gateway, kind, {n: r.policy_name for n, r in inline.items()}, visit)
    except RevokeError:
        return set()
    return confirmed


def read_back_many(gateway: IamGateway, rows: list[TargetPlan], max_workers: int) -> None:
    """Layer 1 for many written rows: one bulk read per kind for the inline documents, then
    a second look, target by target, at any row that did not match (IAM is eventually
    consistent, fact 18) and at the few written as managed fallbacks."""
    from revoke.ops.revocation import map_bounded, read_back

    def second_look(row: TargetPlan) -> None:
        row.verification["read_back"] = read_back(gateway, row)  # status: apply_run's

    for kind in sorted({row.kind for row in rows}):
        group = [r for r in rows if r.kind == kind]
        confirmed = _confirmed_inline(gateway, kind, group)
        others = []
        for row in group:
            if row.mechanism == "inline" and row.name.lower() in confirmed:
                row.verification["read_back"] = {"status": "ok"}
            else:
                others.append(row)
        map_bounded(second_look, others, max_workers)
