"""The recorder's evidence capture: the principal as found, before any change (fact 21)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from revoke.core.plan import TargetPlan
from revoke.errors import RevokeError
from revoke.ops.containment.base import RecorderBase
from revoke.state.journal import utc_timestamp


class EvidenceCapture(RecorderBase):
    """Evidence first: what the principal was before the run changed it."""

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


def _attempt(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except RevokeError as err:
        return {"error": err.message}
