"""The recorder's planning part (read-only): the containment steps of each target.

`extend(state, row)` reads what the steps need (last use of the keys, the login profile,
the issue-15 listings, the trust policy), keeps each read as evidence, and adds the steps
to the row, so `--dry-run` shows them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from revoke.core.plan import STATUS_PLANNED, STATUS_UNCHANGED, PrincipalState, TargetPlan
from revoke.errors import RevokeError
from revoke.ops.containment.base import RecorderBase
from revoke.ops.containment.options import LOCK_TRUST, PLANNED, STATUS_KINDS
from revoke.ops.containment.steps import (
    caller_role_arns,
    locked_trust,
    mfa_steps,
    plan_containment,
    signin_steps,
    status_steps,
)


class RecorderPlanning(RecorderBase):
    """Planning (read-only): the steps of each target, from reads kept as evidence."""

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
