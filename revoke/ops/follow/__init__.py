"""`revoke key KEY_ID --follow` (and `revoke user|role NAME --follow`): contain the whole tree.

A leaked key is rarely used alone (issue 16): it assumes roles (in other accounts too),
mints federation tokens, creates access keys, users and login profiles, changes trust
policies. Revoking its owner leaves every one of those working. This workflow traces the
credential (revoke.ops.trace, read-only), then contains everything the trace reached in
one run, through the one pipeline (revoke.ops.pipeline: plan, one confirmation,
write-ahead journal, per-principal locks, verification, residual report, lift):

- each role reached gets a deny of the attacker's sessions only: `aws:userid` of each
  session seen, issued before the cutoff (revoke.core.sessiondeny, the policy
  AWSRevokeAttackerSessions), so the role's other sessions keep working; `--scope role`
  denies all of its sessions instead (the AWSRevokeOlderSessions deny of `revoke role`);
- the key's owner, and every user the attacker gave a key, gets the deny on its sessions
  (GetFederationToken and GetSessionToken sessions are covered by the deny on the user
  that made them, AWS-FACTS fact 26) and those keys deactivated, as `revoke key` does;
  users the attacker created are contained as `revoke user --deactivate-keys
  --disable-console` does; login profiles it made or changed are removed; service
  credentials and SSH keys it made are deactivated;
- trust policies and policies it changed are reported with the document before the change
  (the requestParameters of the earlier event that set it) and the command that restores
  it; `--restore-changes` restores them (journalled, action "restore-change").

Writes of one run go out together: every account's plan first (read-only), one
confirmation, then the organization SCP where `--org-scp` is given (so the deny is in
every member account before the attacker can react), then every pipeline at once.
Other accounts are reached through the fan-out role (revoke.ops.accounts.account_opener).

The modules, each importing only those above it: `options` (FollowOptions, the scopes),
`changes` (the attacker's changes reported, the document before, the restore command),
`targets` (from the trace to the pipelines per account), `sessions` (SessionPipeline),
`plan` (trace and plan: FollowRun) and `apply` (carrying it out, and run_follow).
"""

from __future__ import annotations

from revoke.ops.follow.apply import apply_follow, run_follow
from revoke.ops.follow.changes import RESTORE_CHANGE, change_entry, find_before, restore_command
from revoke.ops.follow.options import SCOPE_ROLE, SCOPE_SESSION, SCOPES, FollowOptions, check_scope
from revoke.ops.follow.plan import FollowRun, plan_follow
from revoke.ops.follow.sessions import SessionPipeline
from revoke.ops.follow.targets import Reached, UserNeeds, Work, reached_from, works_for

__all__ = [
    "RESTORE_CHANGE",
    "SCOPES",
    "SCOPE_ROLE",
    "SCOPE_SESSION",
    "FollowOptions",
    "FollowRun",
    "Reached",
    "SessionPipeline",
    "UserNeeds",
    "Work",
    "apply_follow",
    "change_entry",
    "check_scope",
    "find_before",
    "plan_follow",
    "reached_from",
    "restore_command",
    "run_follow",
    "works_for",
]
