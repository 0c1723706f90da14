"""AWS Sign-In sessions in the sandbox: a console sign-in makes one, ListSessions and
BatchRevokeSessions answer as botocore's `signin` model says, and a revoked session cannot
refresh."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox, SigninRefused
from tests.sandbox.helpers import ALLOW_ALL, error_of, make_user, revocation_deny

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"


def _console_user(sandbox: Sandbox, name: str = "alice") -> dict[str, str]:
    creds = make_user(sandbox, name)
    sandbox.client("iam").create_login_profile(UserName=name, Password="Correct-Horse-1")
    return creds


def _sessions(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("list_sessions").paginate(**kwargs)
    return [s for page in pages for s in page["items"]]


def test_console_sign_in_is_listed_and_refreshes_with_a_fresh_issue_time(sandbox: Sandbox) -> None:
    _console_user(sandbox)
    session = sandbox.console_sign_in("alice")
    signin = sandbox.client("signin")
    (listed,) = _sessions(signin, principalArn=ALICE)
    assert listed["sessionArn"] == session.session_arn
    assert listed["principalArn"] == ALICE and listed["status"] == "ACTIVE"
    assert listed["expiresAt"] - listed["issuedAt"] == 12 * 3600
    details = signin.get_session(sessionArn=session.session_arn, principalArn=ALICE)
    assert details["issuedInRegion"] == "us-east-1"

    creds = sandbox.refresh_signin(session.session_arn)
    s3 = sandbox.client("s3", **sandbox.credentials(**creds))
    s3.list_buckets()
    # the issue-time deny stops what was issued before it, not a refresh after it
    sandbox.clock.advance(2)
    cutoff = sandbox.clock.now()
    sandbox.client("iam").put_user_policy(
        UserName="alice",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(revocation_deny(cutoff.strftime("%Y-%m-%dT%H:%M:%SZ"))),
    )
    with pytest.raises(ClientError):
        s3.list_buckets()
    fresh = sandbox.refresh_signin(session.session_arn)
    sandbox.client("s3", **sandbox.credentials(**fresh)).list_buckets()


def test_a_revoked_session_cannot_refresh(sandbox: Sandbox) -> None:
    _console_user(sandbox)
    first = sandbox.console_sign_in("alice")
    second = sandbox.console_sign_in("alice", client_type="CLI")
    signin = sandbox.client("signin")
    answer = signin.batch_revoke_sessions(
        principalArn=ALICE, sessionArns=[first.session_arn], reason="incident 42"
    )
    assert answer["revokedSessions"] == [{"sessionArn": first.session_arn}]
    assert answer["errors"] == []
    with pytest.raises(SigninRefused, match="revoked"):
        sandbox.refresh_signin(first.session_arn)
    sandbox.refresh_signin(second.session_arn)  # the other session still refreshes
    again = signin.batch_revoke_sessions(principalArn=ALICE, sessionArns=[first.session_arn])
    assert again["revokedSessions"] == [{"sessionArn": first.session_arn}]  # idempotent
    assert [s["sessionArn"] for s in _sessions(signin, principalArn=ALICE, status="REVOKED")] == [
        first.session_arn
    ]
    (cli,) = _sessions(signin, principalArn=ALICE, status="ACTIVE")
    assert cli["clientType"] == "CLI"


def test_list_filters_paging_and_the_whole_account(sandbox: Sandbox) -> None:
    _console_user(sandbox, "alice")
    _console_user(sandbox, "bob")
    early = sandbox.console_sign_in("alice")
    sandbox.clock.advance(600)
    middle = int(sandbox.clock.now().timestamp())
    late = sandbox.console_sign_in("alice")
    sandbox.console_sign_in("bob")
    signin = sandbox.client("signin")
    assert [s["sessionArn"] for s in _sessions(signin, principalArn=ALICE, issuedAfter=middle)] == [
        late.session_arn
    ]
    assert [
        s["sessionArn"] for s in _sessions(signin, principalArn=ALICE, issuedBefore=middle)
    ] == [early.session_arn]
    page = signin.list_sessions(principalArn=f"arn:aws:iam::{ACCOUNT}:*", maxResults=2)
    assert len(page["items"]) == 2 and page["nextToken"]
    everyone = _sessions(
        signin, principalArn=f"arn:aws:iam::{ACCOUNT}:*", PaginationConfig={"PageSize": 1}
    )
    assert sorted(s["principalArn"].rsplit("/", 1)[1] for s in everyone) == [
        "alice",
        "alice",
        "bob",
    ]


def test_the_callers_own_sessions_and_aws_refusals(sandbox: Sandbox) -> None:
    alice = _console_user(sandbox)
    mine = sandbox.console_sign_in("alice")
    own = sandbox.client("signin", **alice)
    assert [s["sessionArn"] for s in own.list_sessions()["items"]] == [mine.session_arn]

    signin = sandbox.client("signin")
    with pytest.raises(ClientError) as excinfo:
        signin.batch_revoke_sessions(principalArn=ALICE, sessionArns=["arn:x"] * 6)
    assert error_of(excinfo)[0] == "ValidationException" and error_of(excinfo)[2] == 400
    with pytest.raises(ClientError) as excinfo:
        signin.list_sessions(principalArn="arn:aws:iam::123456789012:group/admins")
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        signin.get_session(
            sessionArn=mine.session_arn, principalArn=f"arn:aws:iam::{ACCOUNT}:user/bob"
        )
    assert error_of(excinfo)[0] == "ResourceNotFoundException" and error_of(excinfo)[2] == 404
    partial = signin.batch_revoke_sessions(
        principalArn=f"arn:aws:iam::{ACCOUNT}:user/bob", sessionArns=[mine.session_arn]
    )
    assert partial["revokedSessions"] == []
    assert partial["errors"][0]["sessionArn"] == mine.session_arn
    sandbox.refresh_signin(mine.session_arn)  # not bob's to revoke: still refreshes


def test_policies_govern_the_signin_api(sandbox: Sandbox) -> None:
    creds = make_user(sandbox, "analyst", policy=None)
    with pytest.raises(ClientError) as excinfo:
        sandbox.client("signin", **creds).list_sessions(principalArn=ALICE)
    code, message, status = error_of(excinfo)
    assert code == "AccessDeniedException" and status == 403
    assert "signin:ListSessions" in message
    sandbox.client("iam").put_user_policy(
        UserName="analyst", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL)
    )
    assert sandbox.client("signin", **creds).list_sessions(principalArn=ALICE)["items"] == []


def test_sign_in_needs_a_password_and_expires(sandbox: Sandbox) -> None:
    make_user(sandbox)
    with pytest.raises(ValueError, match="login profile"):
        sandbox.console_sign_in("alice")
    sandbox.client("iam").create_login_profile(UserName="alice", Password="Correct-Horse-1")
    session = sandbox.console_sign_in("alice")
    sandbox.clock.advance(12 * 3600)
    with pytest.raises(SigninRefused, match="expired"):
        sandbox.refresh_signin(session.session_arn)


def test_revocation_is_in_cloudtrail(sandbox: Sandbox) -> None:
    _console_user(sandbox)
    session = sandbox.console_sign_in("alice")
    sandbox.client("signin").batch_revoke_sessions(
        principalArn=ALICE, sessionArns=[session.session_arn]
    )
    (record,) = [r for r in sandbox.trail.events() if r["eventSource"] == "signin.amazonaws.com"]
    assert record["eventName"] == "BatchRevokeSessions" and record["readOnly"] is False
    assert record["requestParameters"]["sessionArns"] == [session.session_arn]
