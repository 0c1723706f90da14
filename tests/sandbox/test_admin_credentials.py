"""`Sandbox.admin_credentials()`: the IAM admin that assumes roles where the account root,
the sandbox's default credentials, may not."""

from __future__ import annotations

from revoke.sandbox import Sandbox

ADMIN_ARN = "arn:aws:iam::123456789012:user/sandbox-admin"


def make_role(sandbox: Sandbox) -> str:
    iam = sandbox.client("iam")
    return str(iam.create_role(RoleName="ops", AssumeRolePolicyDocument="{}")["Role"]["Arn"])


def test_the_admin_is_an_iam_user_with_administrator_access_made_when_asked_for(
    sandbox: Sandbox,
) -> None:
    iam = sandbox.client("iam")
    assert iam.list_users()["Users"] == []  # nobody asked: the account holds no extra user
    admin = sandbox.admin_credentials()
    assert sandbox.admin_credentials() == admin  # the same key every time
    identity = sandbox.client("sts", **admin).get_caller_identity()
    assert identity["Arn"] == ADMIN_ARN
    attached = iam.list_attached_user_policies(UserName="sandbox-admin")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    session = sandbox.client("sts", **admin).assume_role(
        RoleArn=make_role(sandbox), RoleSessionName="ops"
    )
    assert session["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/ops/ops"


def test_the_admin_is_made_again_after_a_reset(sandbox: Sandbox) -> None:
    before = sandbox.admin_credentials()
    sandbox.reset()  # forgets every principal, the admin's key too
    after = sandbox.admin_credentials()
    assert after != before
    assert sandbox.client("sts", **after).get_caller_identity()["Arn"] == ADMIN_ARN
    sandbox.client("sts", **after).assume_role(RoleArn=make_role(sandbox), RoleSessionName="ops")
