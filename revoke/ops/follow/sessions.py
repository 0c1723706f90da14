"""The session pipeline: one account's session-scoped role denies, through the one pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from revoke.core.names import TargetName
from revoke.core.plan import STATUS_PLANNED, TargetPlan, failed
from revoke.core.sessiondeny import SessionScope, plan_session_target, render_session_deny
from revoke.errors import RevokeError
from revoke.ops.pipeline import Pipeline, Request

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession
    from revoke.ops.context import RunContext
    from revoke.ops.revocation import RunResult


class SessionPipeline(Pipeline):
    """One account's session-scoped role denies: the one pipeline, planned with
    revoke.core.sessiondeny instead of the role-wide deny. Apply, locks, journal,
    verification and residual are the pipeline's own."""

    def __init__(
        self,
        ctx: RunContext,
        session: AwsSession,
        request: Request,
        scopes: dict[str, SessionScope],
    ) -> None:
        self.scopes = {name.lower(): scope for name, scope in scopes.items()}
        super().__init__(ctx, session, request)

    def _rendered(self, name: str) -> dict[str, Any]:
        from revoke.ops.templates import deny_sessions

        scope = self.scopes[name.lower()]
        return render_session_deny(
            deny_sessions(), self.request.cutoff, scope.userids, scope.instance_arns
        )

    def _plan_row(self, name: str, quotas: Any) -> TargetPlan:
        state = self.gateway.read_principal("role", name)
        row = plan_session_target(state, self.request.cutoff, self._rendered(name), quotas=quotas)
        return self.recorder.extend(state, row)

    def plan(self, *, on_done: Callable[[Any], None] | None = None) -> RunResult:
        from revoke.ops.pool import map_bounded
        from revoke.ops.revocation import RunResult

        if self._quotas is None:
            self._quotas = self.gateway.account_quotas()
        quotas = self._quotas

        def one(target: TargetName) -> TargetPlan:
            try:
                return self._plan_row(target.name, quotas)
            except RevokeError as err:
                return failed(
                    "role", target.name, target.account, err.message, getattr(err, "code", None)
                )

        rows = map_bounded(one, list(self.targets), self.request.max_workers, on_done)
        result = RunResult(action="revoke", dry_run=True, cutoff=self.request.cutoff, targets=rows)
        result.actor = self.actor
        result.details.update(self.request.details)
        for row in rows:
            if row.status == STATUS_PLANNED:
                key = self._lock_key(row)
                self._seen[key] = self.locks.generation(*key)
        return result

    def _replan(self, row: TargetPlan) -> TargetPlan:
        if self._quotas is None:
            self._quotas = self.gateway.account_quotas()
        fresh = self._plan_row(row.name, self._quotas)
        fresh.warnings.append(
            f"another revoke run wrote role {row.name}'s session deny while this one waited: "
            "planned again from what is in force now (every session kept, never earlier)"
        )
        return fresh
