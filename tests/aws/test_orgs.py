"""OrgsGateway against moto's Organizations: what `revoke org` reads and writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.aws.orgs import OrgsGateway, assume_account_role
from revoke.aws.session import AwsSession
from revoke.core.scp import SCP_POLICY_NAME, OrgTarget
from revoke.errors import AwsFailure

MANAGEMENT = "123456789012"  # moto's default account: the caller creates the organization
DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-11-29T05:00:00Z"}},
    },
}


@pytest.fixture
def org() -> Iterator[dict[str, Any]]:
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        ou = client.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]
        inner = client.create_organizational_unit(ParentId=ou["Id"], Name="inner")[
            "OrganizationalUnit"
        ]
        ids = []
        for name in ("a", "b", "c"):
            status = client.create_account(AccountName=name, Email=f"{name}@example.com")
            ids.append(status["CreateAccountStatus"]["AccountId"])
        client.move_account(AccountId=ids[0], SourceParentId=root, DestinationParentId=ou["Id"])
        client.move_account(AccountId=ids[1], SourceParentId=root, DestinationParentId=inner["Id"])
        yield {"client": client, "root": root, "ou": ou["Id"], "accounts": ids}


@pytest.fixture
def gw() -> OrgsGateway:
    return OrgsGateway(AwsSession(region="eu-west-1"))  # any region: Organizations is global


def test_describe_and_root(org: dict[str, Any], gw: OrgsGateway) -> None:
    found = gw.describe_organization()
    assert (found["management_account"], found["feature_set"]) == (MANAGEMENT, "ALL")
    assert gw.root()["Id"] == org["root"]


def test_enabling_scps_on_the_root_once(org: dict[str, Any], gw: OrgsGateway) -> None:
    assert not gw.scp_enabled(gw.root())
    assert gw.enable_scp(org["root"]) is True
    assert gw.scp_enabled(gw.root())
    # A second responder (or a re-run) finds them enabled: not an error.
    assert gw.enable_scp(org["root"]) is False


def test_create_find_attach_update_detach_delete(org: dict[str, Any], gw: OrgsGateway) -> None:
    gw.enable_scp(org["root"])
    assert gw.find_policy() is None
    policy_id = gw.create_policy(DOCUMENT)
    gw.attach_policy(policy_id, org["root"])
    gw.attach_policy(policy_id, org["root"])  # idempotent
    found = gw.find_policy()
    assert found is not None
    assert (found.id, found.document, found.targets) == (policy_id, DOCUMENT, [org["root"]])
    names = [p["Name"] for p in gw.policies_for_target(org["root"])]
    assert sorted(names) == ["FullAWSAccess", SCP_POLICY_NAME]

    later = {**DOCUMENT, "Statement": {**DOCUMENT["Statement"], "Sid": "x"}}
    gw.update_policy(policy_id, later)
    assert gw.policy(policy_id).document == later

    gw.detach_policy(policy_id, org["root"])
    gw.detach_policy(policy_id, org["root"])  # idempotent
    assert gw.policy(policy_id).targets == []
    gw.delete_policy(policy_id)
    assert gw.find_policy() is None


def test_description_and_type_of_the_created_policy(org: dict[str, Any], gw: OrgsGateway) -> None:
    policy_id = gw.create_policy(DOCUMENT)
    summary = org["client"].describe_policy(PolicyId=policy_id)["Policy"]["PolicySummary"]
    assert (summary["Name"], summary["Type"]) == (SCP_POLICY_NAME, "SERVICE_CONTROL_POLICY")
    # The content is sent compact: the size the 5,120 limit counts is what we computed.
    content = org["client"].describe_policy(PolicyId=policy_id)["Policy"]["Content"]
    assert " " not in content and "\n" not in content


def test_accounts_under_each_kind_of_target(org: dict[str, Any], gw: OrgsGateway) -> None:
    a, b, c = org["accounts"]
    under_root = {x["id"] for x in gw.accounts_under(OrgTarget("root", org["root"]))}
    assert under_root == {MANAGEMENT, a, b, c}
    under_ou = {x["id"] for x in gw.accounts_under(OrgTarget("ou", org["ou"]))}
    assert under_ou == {a, b}  # the nested OU's account included
    assert [x["id"] for x in gw.accounts_under(OrgTarget("account", c))] == [c]


def test_closed_accounts_are_reported_suspended(org: dict[str, Any], gw: OrgsGateway) -> None:
    closed = org["accounts"][2]
    org["client"].close_account(AccountId=closed)
    states = {x["id"]: x["state"] for x in gw.list_accounts()}
    assert states[closed] == "SUSPENDED"
    assert states[org["accounts"][0]] == "ACTIVE"


def test_read_state_for_the_default_target(org: dict[str, Any], gw: OrgsGateway) -> None:
    caller = {"account": MANAGEMENT, "arn": f"arn:aws:iam::{MANAGEMENT}:user/responder"}
    state = gw.read_state(None, caller)
    assert state.target == OrgTarget("root", org["root"])
    assert state.management_account == MANAGEMENT
    assert not state.scp_enabled
    assert state.policy is None
    # The management account is never covered (fact 15).
    assert sorted(a["id"] for a in state.covered_accounts) == sorted(org["accounts"])
    # SCPs are off: nothing counts against the limit of 5 yet.
    assert state.target_scps == []
    gw.enable_scp(org["root"])
    assert [p["Name"] for p in gw.read_state(None, caller).target_scps] == ["FullAWSAccess"]


def test_not_in_an_organization_is_a_clear_aws_failure(gw: OrgsGateway) -> None:
    with mock_aws():
        with pytest.raises(AwsFailure, match="AWSOrganizationsNotInUseException"):
            gw.describe_organization()


def test_assumed_session_acts_in_the_member_account(org: dict[str, Any]) -> None:
    # moto maps the temporary key AssumeRole returns to the account in the role ARN
    # (moto/sts/models.py `_create_access_key`, moto/iam/models.py `get_account_id_from`),
    # so IAM calls with it land in that account's backend, as on AWS.
    member = org["accounts"][0]
    session = assume_account_role(AwsSession(), member, "OrganizationAccountAccessRole")
    identity = session.client("sts").get_caller_identity()
    assert identity["Account"] == member
    assert identity["Arn"].endswith(":assumed-role/OrganizationAccountAccessRole/revoke-fanout")
    iam = session.client("iam")
    iam.create_user(UserName="alice")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]
    # ...and not in the management account's.
    assert boto3.client("iam", region_name="us-east-1").list_users()["Users"] == []
    # The role Organizations creates in each account is there to be assumed.
    assert iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]["Arn"].startswith(
        f"arn:aws:iam::{member}:role/"
    )


class _FakeOrgs:
    """Organizations where enabling SCPs takes a few ListRoots to finish, as on AWS."""

    def __init__(self, statuses: list[str | None], error: str | None = None) -> None:
        self.statuses = statuses
        self.error = error
        self.enabled = 0

    def enable_policy_type(self, **_: Any) -> None:
        self.enabled += 1
        if self.error:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": self.error, "Message": "x"}}, "EnablePolicyType")

    def list_roots(self) -> dict[str, Any]:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        types = [{"Type": "SERVICE_CONTROL_POLICY", "Status": status}] if status else []
        return {"Roots": [{"Id": "r-ab12", "PolicyTypes": types}]}


class _FakeSession:
    def __init__(self, fake: _FakeOrgs) -> None:
        self.fake = fake

    def client(self, *_: Any, **__: Any) -> _FakeOrgs:
        return self.fake


def _gateway(fake: _FakeOrgs) -> OrgsGateway:
    return OrgsGateway(_FakeSession(fake))  # type: ignore[arg-type]


def test_enable_waits_until_the_policy_type_is_enabled() -> None:
    # EnablePolicyType is asynchronous: attaching before ENABLED would fail.
    fake = _FakeOrgs([None, "PENDING_ENABLE", "PENDING_ENABLE", "ENABLED"])
    sleeps: list[float] = []
    assert _gateway(fake).enable_scp("r-ab12", sleep=sleeps.append) is True
    assert fake.enabled == 1 and len(sleeps) == 3


def test_enable_gives_up_after_the_deadline_with_a_clear_error() -> None:
    fake = _FakeOrgs(["PENDING_ENABLE"])
    ticks = iter(range(0, 1000, 30))
    with pytest.raises(AwsFailure, match="still PENDING_ENABLE after 60s"):
        _gateway(fake).enable_scp("r-ab12", clock=lambda: next(ticks), sleep=lambda _: None)


def test_enable_already_in_progress_elsewhere_waits_too() -> None:
    fake = _FakeOrgs(["PENDING_ENABLE", "ENABLED"], error="ConcurrentModificationException")
    assert _gateway(fake).enable_scp("r-ab12", sleep=lambda _: None) is False


def test_enable_when_being_disabled_is_refused() -> None:
    fake = _FakeOrgs(["PENDING_DISABLE"], error="PolicyTypeAlreadyEnabledException")
    with pytest.raises(AwsFailure, match="PENDING_DISABLE"):
        _gateway(fake).enable_scp("r-ab12", sleep=lambda _: None)
