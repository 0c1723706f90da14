"""The probe call and how AWS's answers are read (fact 14), with a stubbed client."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest

from revoke.aws import probe as p
from revoke.errors import BadInput

ALICE = "arn:aws:iam::123456789012:user/alice"
EXPLICIT = (
    f"User: {ALICE} is not authorized to perform: s3:ListAllMyBuckets with an explicit deny "
    "in an identity-based policy"
)
IMPLICIT = (
    f"User: {ALICE} is not authorized to perform: s3:ListAllMyBuckets because no "
    "identity-based policy allows the s3:ListAllMyBuckets action"
)
SCP = (
    f"User: {ALICE} is not authorized to perform: s3:ListAllMyBuckets with an explicit deny "
    "in a service control policy"
)


def client_error(
    code: str, message: str, op: str = "ListBuckets"
) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, op)


class StubS3:
    """Answers list_buckets from a script of outcomes (an exception, or None for success)."""

    def __init__(self, *answers: BaseException | None) -> None:
        self.answers = list(answers)
        self.calls = 0

    def list_buckets(self) -> dict[str, Any]:
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer is not None:
            raise answer
        return {"Buckets": []}


def attempt(*answers: BaseException | None) -> p.ProbeOutcome:
    return p.Probe(client=StubS3(*answers)).attempt()


def test_explicit_deny_in_an_identity_policy_is_recognised() -> None:
    outcome = attempt(client_error("AccessDenied", EXPLICIT))
    assert outcome.kind == p.EXPLICIT_DENY
    assert outcome.message == EXPLICIT


def test_missing_allow_is_an_implicit_deny_not_a_confirmation() -> None:
    assert attempt(client_error("AccessDenied", IMPLICIT)).kind == p.IMPLICIT_DENY


def test_explicit_deny_from_a_service_control_policy_is_not_ours() -> None:
    assert attempt(client_error("AccessDenied", SCP)).kind == p.OTHER_DENY


def test_success_means_still_allowed() -> None:
    assert attempt(None).kind == p.ALLOWED


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidToken", "InvalidAccessKeyId"])
def test_unusable_probe_credentials(code: str) -> None:
    assert attempt(client_error(code, "The provided token has expired.")).kind == p.CREDENTIALS


def test_throttling_is_a_transient_error() -> None:
    outcome = attempt(client_error("SlowDown", "Please reduce your request rate."))
    assert (outcome.kind, outcome.code) == (p.ERROR, "SlowDown")


def test_network_failure_is_a_transient_error() -> None:
    err = botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    assert attempt(err).kind == p.ERROR


def test_a_bug_in_our_code_is_not_swallowed_as_a_probe_answer() -> None:
    with pytest.raises(KeyError):
        attempt(KeyError("x"))


def test_get_caller_identity_and_iam_are_never_probes() -> None:
    # Fact 13: GetCallerIdentity is never denied; fact 4: IAM refuses session tokens anyway.
    for action in ("sts:GetCallerIdentity", "iam:ListUsers"):
        with pytest.raises(BadInput):
            p.Probe(client=StubS3(None), action=action)


@pytest.mark.parametrize(
    ("arn", "kind", "name", "account", "expected"),
    [
        (ALICE, "user", "alice", "123456789012", True),
        (ALICE, "user", "ALICE", None, True),  # IAM names are case-insensitive
        ("arn:aws:iam::123456789012:user/ops/alice", "user", "alice", None, True),
        (ALICE, "user", "alice", "999999999999", False),
        (ALICE, "user", "bob", None, False),
        (ALICE, "role", "alice", None, False),
        ("arn:aws:sts::123456789012:assumed-role/Deploy/ci-42", "role", "Deploy", None, True),
        ("arn:aws:sts::123456789012:assumed-role/Deploy/ci-42", "user", "Deploy", None, False),
        ("arn:aws:iam::123456789012:root", "user", "root", None, False),
    ],
)
def test_identity_matches(
    arn: str, kind: str, name: str, account: str | None, expected: bool
) -> None:
    assert p.identity_matches(arn, kind, name, account) is expected
