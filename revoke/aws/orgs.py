"""AWS Organizations calls for `revoke org` and the account list for fan-out.

Reads produce `OrgState` (the SCP planner's input); writes take the planner's steps.
Organizations is a global service homed in us-east-1; every call here goes there unless
an endpoint (the sandbox) is set. Every method translates botocore errors.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from revoke.aws.errors import aws_errors, error_code
from revoke.aws.session import WRITE_ATTEMPTS, AwsSession
from revoke.core.policy import compact
from revoke.core.scp import (
    SCP_DESCRIPTION,
    SCP_POLICY_NAME,
    SCP_TYPE,
    OrgState,
    OrgTarget,
    ScpPolicy,
    parse_org_target,
)
from revoke.errors import AwsFailure

ORGANIZATIONS_REGION = "us-east-1"
ENABLE_DEADLINE = 60.0
ENABLE_POLL = 2.0
# Another enable or disable of a policy type is under way: wait for it like for ours.
_IN_PROGRESS = ("ConcurrentModificationException", "PolicyChangesInProgressException")


def _document(content: Any) -> dict[str, Any] | None:
    if content is None:
        return None
    if isinstance(content, str):
        try:
            return json.loads(content)  # type: ignore[no-any-return]
        except json.JSONDecodeError:
            return None
    return dict(content)


def _account(entry: dict[str, Any]) -> dict[str, str]:
    # `State` replaced the deprecated `Status` (ACTIVE | SUSPENDED | PENDING_CLOSURE);
    # endpoints may return either.
    return {
        "id": str(entry["Id"]),
        "name": str(entry.get("Name") or ""),
        "state": str(entry.get("State") or entry.get("Status") or "ACTIVE"),
    }


class OrgsGateway:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    @property
    def orgs(self) -> Any:
        return self.session.client("organizations", region=ORGANIZATIONS_REGION)

    @property
    def writer(self) -> Any:
        return self.session.client(
            "organizations", attempts=WRITE_ATTEMPTS, region=ORGANIZATIONS_REGION
        )

    # -- reading -------------------------------------------------------------------------

    def describe_organization(self) -> dict[str, str]:
        with aws_errors("organizations:DescribeOrganization"):
            org = self.orgs.describe_organization()["Organization"]
        return {
            "id": org["Id"],
            "management_account": org["MasterAccountId"],
            "feature_set": org.get("FeatureSet", "ALL"),
        }

    def root(self) -> dict[str, Any]:
        with aws_errors("organizations:ListRoots"):
            roots = self.orgs.list_roots()["Roots"]
        return dict(roots[0])

    @staticmethod
    def scp_status(root: dict[str, Any]) -> str | None:
        """ENABLED | PENDING_ENABLE | PENDING_DISABLE, or None when SCPs are off."""
        for policy_type in root.get("PolicyTypes", []):
            if policy_type.get("Type") == SCP_TYPE:
                return str(policy_type.get("Status"))
        return None

    @classmethod
    def scp_enabled(cls, root: dict[str, Any]) -> bool:
        return cls.scp_status(root) == "ENABLED"

    def find_policy(self, name: str = SCP_POLICY_NAME) -> ScpPolicy | None:
        """Our SCP by name, with its content and attachments; None if it does not exist."""
        with aws_errors("organizations:ListPolicies"):
            for page in self.orgs.get_paginator("list_policies").paginate(Filter=SCP_TYPE):
                for summary in page["Policies"]:
                    if summary["Name"] == name:
                        return self.policy(summary["Id"])
        return None

    def policy(self, policy_id: str) -> ScpPolicy:
        with aws_errors(f"organizations:DescribePolicy {policy_id}"):
            found = self.orgs.describe_policy(PolicyId=policy_id)["Policy"]
        return ScpPolicy(
            id=policy_id,
            arn=found["PolicySummary"].get("Arn"),
            document=_document(found.get("Content")),
            targets=self.targets_for_policy(policy_id),
        )

    def targets_for_policy(self, policy_id: str) -> list[str]:
        with aws_errors(f"organizations:ListTargetsForPolicy {policy_id}"):
            pages = self.orgs.get_paginator("list_targets_for_policy").paginate(PolicyId=policy_id)
            return [t["TargetId"] for page in pages for t in page["Targets"]]

    def policies_for_target(self, target_id: str) -> list[dict[str, str]]:
        with aws_errors(f"organizations:ListPoliciesForTarget {target_id}"):
            pages = self.orgs.get_paginator("list_policies_for_target").paginate(
                TargetId=target_id, Filter=SCP_TYPE
            )
            return [
                {"Id": p["Id"], "Name": p.get("Name", "")}
                for page in pages
                for p in page["Policies"]
            ]

    def list_accounts(self) -> list[dict[str, str]]:
        with aws_errors("organizations:ListAccounts"):
            pages = self.orgs.get_paginator("list_accounts").paginate()
            return [_account(a) for page in pages for a in page["Accounts"]]

    def accounts_under(self, target: OrgTarget) -> list[dict[str, str]]:
        """Every account the target contains (an OU's nested OUs included)."""
        if target.kind == "account":
            with aws_errors(f"organizations:DescribeAccount {target.id}"):
                return [_account(self.orgs.describe_account(AccountId=target.id)["Account"])]
        if target.kind == "root":
            return self.list_accounts()
        found: list[dict[str, str]] = []
        parents = [target.id]
        with aws_errors(f"organizations: accounts under {target.id}"):
            while parents:
                parent = parents.pop()
                pages = self.orgs.get_paginator("list_accounts_for_parent").paginate(
                    ParentId=parent
                )
                found.extend(_account(a) for page in pages for a in page["Accounts"])
                pages = self.orgs.get_paginator("list_organizational_units_for_parent").paginate(
                    ParentId=parent
                )
                parents.extend(ou["Id"] for page in pages for ou in page["OrganizationalUnits"])
        return found

    def account_ids_under(self, target_ids: Iterable[str]) -> set[str]:
        """The IDs of every account under any of these targets (root, OU or account IDs, as
        ListTargetsForPolicy gives them): where an SCP attached to them applies."""
        return {a["id"] for t in target_ids for a in self.accounts_under(parse_org_target(t))}

    def target_name(self, target: OrgTarget) -> str | None:
        import botocore.exceptions

        try:
            if target.kind == "ou":
                found = self.orgs.describe_organizational_unit(OrganizationalUnitId=target.id)
                return str(found["OrganizationalUnit"]["Name"])
            if target.kind == "account":
                return str(self.orgs.describe_account(AccountId=target.id)["Account"]["Name"])
        except botocore.exceptions.ClientError as err:
            with aws_errors(f"organizations: {target.id}"):
                if error_code(err) in ("AccessDeniedException", "AccessDenied"):
                    return None
                raise
        return "Root"

    def read_state(self, target: OrgTarget | None, caller: dict[str, str]) -> OrgState:
        """Everything the SCP planner needs; read-only calls."""
        from revoke.core.scp import principal_of_caller

        org = self.describe_organization()
        root = self.root()
        target = target or OrgTarget("root", root["Id"])
        name = self.target_name(target)
        policy = self.find_policy()
        covered = [a for a in self.accounts_under(target) if a["id"] != org["management_account"]]
        return OrgState(
            organization_id=org["id"],
            management_account=org["management_account"],
            feature_set=org["feature_set"],
            root_id=root["Id"],
            scp_enabled=self.scp_enabled(root),
            target=target,
            target_name=name,
            # With SCPs off nothing is attached yet; enabling them attaches FullAWSAccess
            # everywhere, which the limit of 5 leaves room for.
            target_scps=self.policies_for_target(target.id) if self.scp_status(root) else [],
            policy=policy,
            covered_accounts=covered,
            caller_account=caller.get("account"),
            caller_principal_arn=principal_of_caller(caller["arn"]) if caller.get("arn") else None,
        )

    # -- writing ---------------------------------------------------------------------------

    def enable_scp(
        self,
        root_id: str,
        *,
        deadline: float = ENABLE_DEADLINE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> bool:
        """Enable SCPs on the root and wait until they are: EnablePolicyType is
        asynchronous, and a policy can be attached only once its type is ENABLED on the
        root (Organizations API reference, EnablePolicyType and PolicyTypeSummary: ENABLED
        | PENDING_ENABLE | PENDING_DISABLE). False if they already were enabled (a
        concurrent responder)."""
        import botocore.exceptions

        enabled_here = True
        try:
            self.writer.enable_policy_type(RootId=root_id, PolicyType=SCP_TYPE)
        except botocore.exceptions.ClientError as err:
            if error_code(err) not in ("PolicyTypeAlreadyEnabledException", *_IN_PROGRESS):
                with aws_errors(f"organizations:EnablePolicyType {root_id}"):
                    raise
            enabled_here = False
        start = clock()
        while True:
            status = self.scp_status(self.root())
            if status == "ENABLED":
                return enabled_here
            if status != "PENDING_ENABLE" and not (status is None and enabled_here):
                raise AwsFailure(
                    f"SCPs on {root_id} are {status or 'not enabled'}, not ENABLED",
                    code="PolicyTypeNotEnabledException",
                    hint="check the root's policy types: aws organizations list-roots",
                )
            if clock() - start >= deadline:
                raise AwsFailure(
                    f"SCPs on {root_id} were still {status} after {deadline:.0f}s; nothing "
                    "was attached",
                    code="PolicyTypeNotEnabledException",
                    hint="run revoke org again in a minute: it will find them enabled",
                )
            sleep(ENABLE_POLL)

    def create_policy(self, document: dict[str, Any]) -> str:
        with aws_errors("organizations:CreatePolicy"):
            found = self.writer.create_policy(
                Name=SCP_POLICY_NAME,
                Description=SCP_DESCRIPTION,
                Type=SCP_TYPE,
                Content=compact(document),
            )
        return str(found["Policy"]["PolicySummary"]["Id"])

    def update_policy(self, policy_id: str, document: dict[str, Any]) -> None:
        with aws_errors(f"organizations:UpdatePolicy {policy_id}"):
            self.writer.update_policy(PolicyId=policy_id, Content=compact(document))

    def attach_policy(self, policy_id: str, target_id: str) -> None:
        import botocore.exceptions

        try:
            self.writer.attach_policy(PolicyId=policy_id, TargetId=target_id)
        except botocore.exceptions.ClientError as err:
            if error_code(err) == "DuplicatePolicyAttachmentException":
                return
            with aws_errors(f"organizations:AttachPolicy {target_id}"):
                raise

    def detach_policy(self, policy_id: str, target_id: str) -> None:
        import botocore.exceptions

        try:
            self.writer.detach_policy(PolicyId=policy_id, TargetId=target_id)
        except botocore.exceptions.ClientError as err:
            if error_code(err) == "PolicyNotAttachedException":
                return
            with aws_errors(f"organizations:DetachPolicy {target_id}"):
                raise

    def delete_policy(self, policy_id: str) -> None:
        with aws_errors(f"organizations:DeletePolicy {policy_id}"):
            self.writer.delete_policy(PolicyId=policy_id)


def assume_account_role(
    session: AwsSession,
    account: str,
    role_name: str,
    *,
    partition: str = "aws",
    session_name: str = "revoke-fanout",
) -> AwsSession:
    """A session in `account` through its cross-account role (fan-out).

    One hour: the most a chained role session may last, and enough for a plan, the
    writes and a verification deadline. The credentials live only in the returned
    session object; they are never printed, logged or journalled.
    """
    role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
    with aws_errors(f"sts:AssumeRole {role_arn}"):
        found = session.client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=3600
        )["Credentials"]
    return session.assume(
        {
            "aws_access_key_id": found["AccessKeyId"],
            "aws_secret_access_key": found["SecretAccessKey"],
            "aws_session_token": found["SessionToken"],
        }
    )
