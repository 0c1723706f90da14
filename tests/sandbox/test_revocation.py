"""The point of the sandbox: the DateLessThan aws:TokenIssueTime deny really bites
(facts 6, 8, 9, 10, 14, 16), for user sessions and role sessions alike."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox
from revoke.sandbox.authorize import iso_time
from tests.sandbox.helpers import ALLOW_ALL, error_of, make_user, revocation_deny

ALICE = "arn:aws:iam::123456789012:user/alice"


def _cutoff_after_now(sandbox: Sandbox) -> str:
    """A "now" cutoff, rounded up to the next whole second (fact 10)."""
    now = sandbox.clock.now()
    return iso_time(now.replace(microsecond=0) + timedelta(seconds=1))


def test_old_token_denied_new_token_and_long_term_key_work(sandbox: Sandbox) -> None:
    user = make_user(sandbox)
    sts = sandbox.client("sts", **user)
    old = sts.get_session_token()["Credentials"]
    sandbox.client("s3", **old).list_buckets()  # works before the revocation

    cutoff = _cutoff_after_now(sandbox)
    sandbox.client("iam").put_user_policy(
        UserName="alice",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(revocation_deny(cutoff)),
    )

    with pytest.raises(ClientError) as denied:
        sandbox.client("s3", **old).list_buckets()
    assert error_of(denied) == (
        "AccessDenied",
        f"User: {ALICE} is not authorized to perform: s3:ListAllMyBuckets with an explicit "
        "deny in an identity-based policy",
        403,
    )

    sandbox.clock.advance(2)  # past the cutoff
    new = sts.get_session_token()["Credentials"]
    assert sandbox.client("s3", **new).list_buckets()["Buckets"] == []
    # No aws:TokenIssueTime in a long-term key's request: the deny never matches (fact 9).
    assert sandbox.client("s3", **user).list_buckets()["Buckets"] == []
    # GetCallerIdentity is never denied, not even for the revoked token (fact 13).
    assert sandbox.client("sts", **old).get_caller_identity()["Arn"] == ALICE


def test_token_issued_within_the_cutoff_second_survives(sandbox: Sandbox) -> None:
    """DateLessThan is strict (fact 10): a cutoff at the issue second does not deny it."""
    sts = sandbox.client("sts", **make_user(sandbox))
    creds = sts.get_session_token()["Credentials"]
    issued = sandbox.tokens.get(creds["AccessKeyId"]).issued_at  # type: ignore[union-attr]
    iam = sandbox.client("iam")

    def deny_before(cutoff: str) -> None:
        iam.put_user_policy(
            UserName="alice",
            PolicyName="AWSRevokeOlderSessions",
            PolicyDocument=json.dumps(revocation_deny(cutoff)),
        )

    # The cutoff *at* the issue instant (as the request context carries it) leaves it alone...
    deny_before(iso_time(issued, millis=True))
    sandbox.client("s3", **creds).list_buckets()
    # ...and one millisecond later denies it: strict less-than, not less-or-equal.
    deny_before(iso_time(issued + timedelta(milliseconds=1), millis=True))
    with pytest.raises(ClientError) as denied:
        sandbox.client("s3", **creds).list_buckets()
    assert "explicit deny" in error_of(denied)[1]


def test_missing_allow_has_its_own_message(sandbox: Sandbox) -> None:
    only_iam = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
    }
    user = make_user(sandbox, policy=only_iam)
    with pytest.raises(ClientError) as denied:
        sandbox.client("s3", **user).list_buckets()
    assert error_of(denied) == (
        "AccessDenied",
        f"User: {ALICE} is not authorized to perform: s3:ListAllMyBuckets because no "
        "identity-based policy allows the s3:ListAllMyBuckets action",
        403,
    )
    with pytest.raises(ClientError) as on_bucket:
        sandbox.client("s3", **user).create_bucket(Bucket="evidence")
    assert 'on resource: "arn:aws:s3:::evidence"' in error_of(on_bucket)[1]


def test_policies_are_read_at_request_time(sandbox: Sandbox) -> None:
    """Fact 6: a grant added after the token was issued applies to it at once."""
    user = make_user(sandbox, policy=None)
    creds = sandbox.client("sts", **user).get_session_token()["Credentials"]
    s3 = sandbox.client("s3", **creds)
    with pytest.raises(ClientError):
        s3.list_buckets()
    iam = sandbox.client("iam")
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    arn = iam.create_policy(PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    assert s3.list_buckets()["Buckets"] == []


def test_role_session_revoked_by_a_deny_on_the_role(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(RoleName="responder", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    iam.put_role_policy(
        RoleName="responder", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL)
    )
    user = make_user(sandbox)
    assumed = sandbox.client("sts", **user).assume_role(
        RoleArn=role_arn, RoleSessionName="attacker"
    )
    creds = assumed["Credentials"]
    session_arn = "arn:aws:sts::123456789012:assumed-role/responder/attacker"
    assert assumed["AssumedRoleUser"]["Arn"] == session_arn
    expected_expiry = sandbox.clock.now() + timedelta(seconds=3600)
    assert abs((creds["Expiration"] - expected_expiry).total_seconds()) < 5
    s3 = sandbox.client("s3", **creds)
    s3.list_buckets()

    # A deny on the user does not reach the role's sessions (fact 16) ...
    iam.put_user_policy(
        UserName="alice",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(revocation_deny(_cutoff_after_now(sandbox))),
    )
    s3.list_buckets()
    # ... the same deny on the role does.
    iam.put_role_policy(
        RoleName="responder",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(revocation_deny(_cutoff_after_now(sandbox))),
    )
    with pytest.raises(ClientError) as denied:
        s3.list_buckets()
    assert error_of(denied) == (
        "AccessDenied",
        f"User: {session_arn} is not authorized to perform: s3:ListAllMyBuckets with an "
        "explicit deny in an identity-based policy",
        403,
    )
    assert sandbox.client("sts", **creds).get_caller_identity()["Arn"] == session_arn


def test_role_session_expires_on_the_sandbox_clock(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    role_arn = iam.create_role(RoleName="ops", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    iam.put_role_policy(RoleName="ops", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    creds = sandbox.client("sts", **sandbox.admin_credentials()).assume_role(
        RoleArn=role_arn, RoleSessionName="probe", DurationSeconds=900
    )["Credentials"]
    sandbox.clock.advance(901)
    with pytest.raises(ClientError) as expired:
        sandbox.client("s3", **creds).list_buckets()
    assert error_of(expired)[0] == "ExpiredToken"


def test_assume_role_duration_limited_by_the_role(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    role_arn = iam.create_role(RoleName="ops", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    with pytest.raises(ClientError) as refused:
        sandbox.client("sts", **sandbox.admin_credentials()).assume_role(
            RoleArn=role_arn, RoleSessionName="probe", DurationSeconds=7200
        )
    assert error_of(refused) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )


def test_assume_role_needs_permission(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    role_arn = iam.create_role(RoleName="ops", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    only_s3 = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    user = make_user(sandbox, policy=only_s3)
    with pytest.raises(ClientError) as denied:
        sandbox.client("sts", **user).assume_role(RoleArn=role_arn, RoleSessionName="probe")
    assert error_of(denied)[1] == (
        f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {role_arn} "
        "because no identity-based policy allows the sts:AssumeRole action"
    )
