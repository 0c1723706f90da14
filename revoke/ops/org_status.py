"""`revoke status --all-accounts`: the revocations in force in every account of the
organization, and the organization's SCP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revoke.errors import RevokeError
from revoke.ops.accounts import (
    DEFAULT_ACCOUNT_WORKERS,
    DEFAULT_ROLE_NAME,
    AccountOutcome,
    account_opener,
    choose_accounts,
    failed_outcome,
)

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession


def org_status(
    session: AwsSession,
    caller: dict[str, str],
    *,
    role_name: str = DEFAULT_ROLE_NAME,
    account_workers: int = DEFAULT_ACCOUNT_WORKERS,
) -> dict[str, Any]:
    """`revoke status --all-accounts`: every revocation in force in every active account,
    and the organization's RevokeOlderSessions SCP with where it is attached."""
    from revoke.aws.iam import IamGateway
    from revoke.aws.orgs import OrgsGateway
    from revoke.aws.policies import account_revocations
    from revoke.core.scp import SCP_POLICY_NAME, scp_cutoff, scp_exemptions
    from revoke.ops.pool import map_bounded

    accounts, skipped_accounts, names = choose_accounts(session, all_accounts=True)
    open_account, role_arn = account_opener(session, caller, role_name)

    def one(account: str) -> tuple[AccountOutcome, list[dict[str, Any]]]:
        outcome = AccountOutcome(account=account, name=names.get(account))
        outcome.role_arn = role_arn(account)
        try:
            found = account_revocations(IamGateway(open_account(account)))
        except RevokeError as err:
            return failed_outcome(outcome, err), []
        for entry in found:
            entry["account"] = entry.get("account") or account
        return outcome, found

    results = map_bounded(one, accounts, account_workers)
    targets = [entry for _, found in results for entry in found]
    outcomes = [outcome for outcome, _ in results] + skipped_accounts
    in_force = {outcome.account: len(found) for outcome, found in results}

    scp: dict[str, Any] | None = None
    policy = OrgsGateway(session).find_policy()
    if policy is not None and policy.document is not None:
        scp = {
            "kind": "scp",
            "name": ",".join(policy.targets) or "(not attached)",
            "account": caller.get("account"),
            "policy_name": SCP_POLICY_NAME,
            "policy_id": policy.id,
            "cutoff": scp_cutoff(policy.document),
            "mechanism": "scp",
            "exempt_principals": scp_exemptions(policy.document),
            "attached_to": list(policy.targets),
        }
        targets.insert(0, scp)
    return {
        "action": "status",
        "targets": targets,
        "accounts": [{**o.to_json(), "in_force": in_force.get(o.account, 0)} for o in outcomes],
        "organization_scp": scp,
    }
