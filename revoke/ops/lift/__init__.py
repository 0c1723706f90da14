"""Undo a revocation from the journal (`revoke lift`).

The journal holds, for every change, the document before and after and the
containment steps. For one principal, the *episode* to undo is every change record since
the last lift. Its policy chain is the run of records where each one's `before` is the
previous one's `after`; the document to restore is the `before` of the chain's first
record (what existed before this tool started: nothing, or e.g. the console's own older
deny), so a lift after a refresh to a later cutoff undoes both, not just the refresh. The
live document must be the chain's last `after`: if someone changed it since, lift refuses
(nothing changed) unless --force. Keys the episode deactivated are reactivated; a console
password cannot be restored (IAM never returns one), so lift says how to set a new one.
Issue 15: service-specific credentials, SSH keys and signing certificates it deactivated
are reactivated; a locked trust policy loses revoke's statement (only that one: whatever
else is in the live document stays, and nothing of the journal's copy is installed); an
MFA device cannot be re-enabled without two codes from it, and a revoked sign-in session
cannot be restored: lift says so for each, with what to do.

Where a revocation lives, and how it is read and written, is shared with the clean-up
(gc.py): revoke.ops.revocation_policy.

The modules, each importing only those above it: `model` (the episode, the policy chain,
LiftPlan), `undo` (the containment steps undone), `planning` (plan_lift, pure) and `apply`
(lift_target: read, plan, carry out, journal).
"""

from __future__ import annotations

from revoke.ops.lift.apply import lift_target
from revoke.ops.lift.model import LiftPlan, episode, policy_chain
from revoke.ops.lift.planning import _reenabled_sessions as _reenabled_sessions
from revoke.ops.lift.planning import plan_lift
from revoke.ops.revocation_policy import ROLE_TOKEN_LIFE, USER_TOKEN_LIFE

__all__ = [
    "ROLE_TOKEN_LIFE",
    "USER_TOKEN_LIFE",
    "LiftPlan",
    "episode",
    "lift_target",
    "plan_lift",
    "policy_chain",
]
