"""The service control policies that govern a request, read from moto's Organizations state.

AWS Organizations User Guide, "Service control policies (SCPs)"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html):
SCPs restrict the IAM users and roles of member accounts, the member account's root user
included (fact 15); "SCPs don't affect users or roles in the management account. They
affect only the member accounts in your organization." An SCP grants nothing: every level
on the path from the organization root through each OU to the account must allow an action
(orgs_manage_policies_scps_evaluation.html), which `revoke.core.evaluate.evaluate_request`
decides level by level. SCPs apply only while the SERVICE_CONTROL_POLICY type is enabled on
the root ("When you disable a policy type, all policies of the specified type are
automatically detached", disable-policy-type.html).

Not modelled: resource control policies (they govern access to resources, and the sandbox
models no resource-based policies either), and service-linked roles' exemption from SCPs.
RCPs in moto's state (RCPFullAWSAccess, and any RCP with its `"Principal": "*"`) are left out
here by their type, so none is ever read as an SCP, whose grammar refuses a Principal
(tests/sandbox/test_rcps.py). To enforce them, read them by type too and pass them to
evaluate_request's `rcps`, which compiles each as an RCP.
"""

from __future__ import annotations

import json
from typing import Any

from revoke.core.evaluate import PolicyLevel

SCP_TYPE = "SERVICE_CONTROL_POLICY"


def _organization_of(account_id: str) -> Any | None:
    """moto's OrganizationsBackend of the organization `account_id` is a member of (None:
    in none, or the management account itself)."""
    from moto.organizations.models import organizations_backends

    owner = organizations_backends.master_accounts.get(account_id)
    if owner is None:
        return None
    management, partition = owner
    if management == account_id:
        return None
    accounts = dict.get(organizations_backends, management)
    backend = dict.get(accounts, partition) if accounts is not None else None
    if backend is None or backend.org is None or backend.org.master_account_id == account_id:
        return None
    return backend


def _document(policy: Any) -> dict[str, Any]:
    content = policy.content
    parsed = json.loads(content) if isinstance(content, str) else content
    if not isinstance(parsed, dict):
        raise ValueError(f"SCP {policy.id} is not a JSON object")
    return parsed


def _level(kind: str, node: Any) -> PolicyLevel:
    policies = {
        f"scp:{p.name or p.id}": _document(p)
        for p in list(node.attached_policies)
        if p.type == SCP_TYPE
    }
    return PolicyLevel(f"{kind} {node.id}", policies)


def scp_levels(account_id: str) -> list[PolicyLevel]:
    """The SCPs attached at each level from the root down to `account_id`; [] when no SCP
    applies (not a member account, or SCPs not enabled on the root)."""
    backend = _organization_of(account_id)
    if backend is None:
        return []
    account = next((a for a in list(backend.accounts) if a.id == account_id), None)
    if account is None:
        return []
    units = {unit.id: unit for unit in list(backend.ou)}
    root = units.get(backend.org.root_id)
    if root is None or not any(
        t.get("Type") == SCP_TYPE and t.get("Status") == "ENABLED" for t in root.policy_types
    ):
        return []
    path: list[Any] = []
    parent_id = account.parent_id
    while parent_id in units and len(path) <= len(units):
        unit = units[parent_id]
        path.append(unit)
        if unit.id == root.id:
            break
        parent_id = unit.parent_id
    levels = [_level("root" if unit.id == root.id else "ou", unit) for unit in reversed(path)]
    levels.append(_level("account", account))
    return levels
