"""revoke.core.keyowner: which IDs `revoke key` takes, whose a session is, which cutoff
covers it. Pure: no AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from revoke.core.evaluate import evaluate
from revoke.core.keyowner import (
    cutoff_for_session,
    earliest_covering_cutoff,
    first_identity,
    identity_from_event,
    parse_access_key,
    parse_trail_time,
    target_from_arn,
)
from revoke.core.names import TargetName
from revoke.errors import BadInput
from revoke.ops.revocation import render_for

ACCOUNT = "123456789012"


def test_access_key_ids_are_taken_and_described() -> None:
    assert parse_access_key("AKIAIOSFODNN7EXAMPLE").long_term
    assert parse_access_key(" ASIAY34FZKBOKMUTVV7A ").temporary


@pytest.mark.parametrize(
    ("text", "says", "hint"),
    [
        ("AIDAJQABLZS4A3QDU576Q", "IAM user's unique ID", "revoke user NAME"),
        ("AROAJQABLZS4A3QDU576Q", "IAM role's unique ID", "revoke role NAME"),
        ("ABIAY34FZKBOKMUTVV7A", "bearer token", "principal that requested it"),
    ],
)
def test_other_ids_say_what_they_are_and_what_to_run(text: str, says: str, hint: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_access_key(text)
    assert "not an access key ID" in err.value.message
    assert says in (err.value.hint or "")
    assert hint in (err.value.hint or "")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("AKIA1234", "8 characters"),
        ("AKIAIOSFODNN7EXAMPL0", "characters no AWS ID uses: 0"),
        ("akiaiosfodnn7example", "does not start with a known prefix"),
        ("", "no access key ID"),
    ],
)
def test_malformed_ids_are_refused_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_access_key(text)
    assert why in err.value.message


def test_a_pasted_secret_key_is_not_echoed() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    with pytest.raises(BadInput) as err:
        parse_access_key(secret)
    assert secret not in err.value.message + (err.value.hint or "")


@pytest.mark.parametrize(
    ("arn", "target"),
    [
        (f"arn:aws:iam::{ACCOUNT}:user/alice", TargetName("user", "alice", ACCOUNT)),
        (f"arn:aws:iam::{ACCOUNT}:user/ops/alice", TargetName("user", "alice", ACCOUNT)),
        (f"arn:aws:iam::{ACCOUNT}:user/root", TargetName("user", "root", ACCOUNT)),
        (f"arn:aws:iam::{ACCOUNT}:role/ci/Deploy", TargetName("role", "Deploy", ACCOUNT)),
        (
            f"arn:aws:sts::{ACCOUNT}:assumed-role/Deploy/build-42",
            TargetName("role", "Deploy", ACCOUNT),
        ),
        (
            f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/Deploy/x",
            TargetName("role", "Deploy", ACCOUNT),
        ),
    ],
)
def test_the_principal_whose_policies_govern_a_caller_arn(arn: str, target: TargetName) -> None:
    assert target_from_arn(arn) == target


def test_root_sessions_are_refused_with_fact_15() -> None:
    with pytest.raises(BadInput) as err:
        target_from_arn(f"arn:aws:iam::{ACCOUNT}:root")
    assert "root user cannot be restricted" in err.value.message


@pytest.mark.parametrize(
    "arn",
    [f"arn:aws:sts::{ACCOUNT}:federated-user/bob", f"arn:aws:iam::{ACCOUNT}:group/ops", "x"],
)
def test_arns_that_name_no_user_or_role_are_refused(arn: str) -> None:
    with pytest.raises(BadInput):
        target_from_arn(arn)


@pytest.mark.parametrize(
    "text", ["20131102T010628Z", "2013-11-02T01:06:28Z", "2013-11-02T10:06:28+09:00"]
)
def test_cloudtrail_times_in_either_format(text: str) -> None:
    assert parse_trail_time(text) == datetime(2013, 11, 2, 1, 6, 28, tzinfo=timezone.utc)


def test_unreadable_cloudtrail_times_are_absent() -> None:
    assert parse_trail_time(None) is None
    assert parse_trail_time("yesterday") is None


def _event(identity: dict[str, Any], name: str = "ListBuckets") -> dict[str, Any]:
    return {"eventName": name, "eventTime": "2026-11-29T05:10:00Z", "userIdentity": identity}


def test_an_iam_user_session_names_the_user_and_its_issue_time() -> None:
    # CloudTrail User Guide, userIdentity: GetSessionToken sessions are type IAMUser.
    found = identity_from_event(
        _event(
            {
                "type": "IAMUser",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                "accountId": ACCOUNT,
                "accessKeyId": "ASIAY34FZKBOKMUTVV7A",
                "userName": "alice",
                "sessionContext": {
                    "attributes": {"creationDate": "2026-11-29T05:00:00Z", "mfaAuthenticated": "1"}
                },
            }
        )
    )
    assert found is not None
    assert (found.kind, found.name, found.account) == ("user", "alice", ACCOUNT)
    assert found.issued_at == datetime(2026, 11, 29, 5, tzinfo=timezone.utc)
    assert found.event_name == "ListBuckets"


def test_an_assumed_role_session_names_the_role_with_its_path() -> None:
    found = identity_from_event(
        _event(
            {
                "type": "AssumedRole",
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Deploy/ci",
                "accountId": ACCOUNT,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "arn": f"arn:aws:iam::{ACCOUNT}:role/ci/Deploy",
                        "userName": "Deploy",
                    },
                    "attributes": {"creationDate": "20261129T050000Z"},
                },
            }
        )
    )
    assert found is not None
    assert (found.kind, found.name, found.arn) == (
        "role",
        "Deploy",
        f"arn:aws:iam::{ACCOUNT}:role/ci/Deploy",
    )
    assert target_from_arn(str(found.arn)) == TargetName("role", "Deploy", ACCOUNT)


def test_a_federated_user_is_the_iam_user_that_issued_it() -> None:
    found = identity_from_event(
        _event(
            {
                "type": "FederatedUser",
                "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/bob",
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "IAMUser",
                        "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                        "userName": "alice",
                    }
                },
            }
        )
    )
    assert found is not None and (found.kind, found.name) == ("user", "alice")
    assert found.issued_at is None


def test_root_and_service_identities_name_no_user_or_role() -> None:
    root = identity_from_event(_event({"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root"}))
    service = identity_from_event(_event({"type": "AWSService", "invokedBy": "s3.amazonaws.com"}))
    assert root is not None and root.kind == "root"
    assert service is not None and service.kind == "awsservice"
    assert identity_from_event({"eventName": "x"}) is None


def test_first_identity_prefers_an_event_that_carries_the_issue_time() -> None:
    plain = _event({"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/a", "userName": "a"})
    timed = _event(
        {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/a",
            "userName": "a",
            "sessionContext": {"attributes": {"creationDate": "2026-11-29T05:00:00Z"}},
        }
    )
    found = first_identity([plain, timed])
    assert found is not None and found.issued_at is not None
    assert first_identity([]) is None


ISSUED = datetime(2026, 11, 29, 10, 0, 0, 400_000, tzinfo=timezone.utc)


def _denied(cutoff: str, issued: datetime) -> bool:
    result = evaluate(
        {"deny": render_for(cutoff)}, "s3:ListAllMyBuckets", context={"aws:TokenIssueTime": issued}
    )
    return result.explicit_deny


def test_the_earliest_covering_cutoff_denies_the_session_and_no_earlier_one_would() -> None:
    # Facts 10 and 22: DateLessThan is strict, so a session issued at 10:00:00.400 needs a
    # cutoff after it; the ledger and CloudTrail report it as 10:00:00.
    reported = ISSUED.replace(microsecond=0)
    cutoff = earliest_covering_cutoff(reported)
    assert cutoff == "2026-11-29T10:00:01Z"
    assert _denied(cutoff, ISSUED)
    assert _denied(cutoff, reported + timedelta(microseconds=999_999))
    assert not _denied("2026-11-29T10:00:00Z", ISSUED)  # the reported second itself: too early


def test_a_cutoff_after_the_issue_time_is_kept() -> None:
    choice = cutoff_for_session("2026-11-29T11:00:00Z", ISSUED, "token ledger")
    assert (choice.cutoff, choice.moved) == ("2026-11-29T11:00:00Z", False)
    assert "issued at 2026-11-29T10:00:00Z (token ledger)" in choice.reason
    assert _denied(choice.cutoff, ISSUED)


def test_an_earlier_cutoff_is_moved_just_after_the_issue_time() -> None:
    choice = cutoff_for_session("2026-11-29T09:00:00Z", ISSUED, "token ledger")
    assert (choice.cutoff, choice.moved) == ("2026-11-29T10:00:01Z", True)
    assert "moved to 2026-11-29T10:00:01Z" in choice.reason and "left it working" in choice.reason
    assert _denied(choice.cutoff, ISSUED)
    assert not _denied(choice.requested, ISSUED)


def test_an_unknown_issue_time_keeps_the_cutoff_and_says_what_that_means() -> None:
    choice = cutoff_for_session("2026-11-29T09:00:00Z", None, "cloudtrail")
    assert (choice.cutoff, choice.moved) == ("2026-11-29T09:00:00Z", False)
    assert "issue time is unknown" in choice.reason and "--before now" in choice.reason
