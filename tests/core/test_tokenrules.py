"""GetSessionToken's rules before any request (facts 1-3), and what a cutoff covers (8-10, 15)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from revoke.core.tokenrules import (
    caller_kind,
    check_mfa,
    choose_duration,
    coverage,
    refuse_session_credentials,
)
from revoke.errors import BadInput, NoCredentials

# -- fact 1: duration limits per caller type ----------------------------------------------


@pytest.mark.parametrize(
    ("kind", "requested", "seconds"),
    [
        ("user", None, 43_200),
        ("user", "900", 900),
        ("user", "15m", 900),
        ("user", "12h", 43_200),
        ("user", "36h", 129_600),
        ("user", "129600", 129_600),
        ("root", None, 3_600),
        ("root", "900", 900),
        ("root", "1h", 3_600),
    ],
)
def test_durations_aws_accepts_are_sent_as_asked(kind: str, requested: str, seconds: int) -> None:
    choice = choose_duration(requested, kind)
    assert (choice.seconds, choice.note) == (seconds, None)


@pytest.mark.parametrize("requested", ["899", "14m", "0"])
@pytest.mark.parametrize("kind", ["user", "root"])
def test_under_15_minutes_is_refused_for_everyone(kind: str, requested: str) -> None:
    with pytest.raises(BadInput, match="at least 900 s"):
        choose_duration(requested, kind)


def test_over_36_hours_is_refused_for_a_user_with_the_limit() -> None:
    with pytest.raises(BadInput, match=r"at most 129600 s \(36h\)") as err:
        choose_duration("129601", "user")
    assert err.value.hint == "use --duration 36h or less"


def test_root_asking_for_more_than_an_hour_gets_an_hour_and_is_told() -> None:
    # Fact 1: "a root request for more than 3,600 s gets 3,600 s" - no error from AWS, so
    # none here either, but the responder learns the token lives 1h, not 12h.
    choice = choose_duration("12h", "root")
    assert choice.seconds == 3_600
    assert choice.note and "at most 1h" in choice.note and "12h" in choice.note


def test_root_over_36_hours_is_refused_naming_the_root_limit() -> None:
    with pytest.raises(BadInput, match=r"the account root gets at most 3600 s"):
        choose_duration("37h", "root")


@pytest.mark.parametrize("requested", ["12 hours", "1.5h", "-1h", "h"])
def test_unreadable_durations_are_bad_input(requested: str) -> None:
    with pytest.raises(BadInput, match="cannot read"):
        choose_duration(requested, "user")


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        ("arn:aws:iam::123456789012:root", "root"),
        ("arn:aws:iam::123456789012:user/alice", "user"),
        ("arn:aws:iam::123456789012:user/path/to/alice", "user"),
        ("arn:aws:sts::123456789012:assumed-role/Deploy/session", "assumed-role"),
        ("arn:aws:sts::123456789012:federated-user/bob", "federated-user"),
        ("arn:aws-us-gov:iam::123456789012:root", "root"),
        ("not an arn", "unknown"),
    ],
)
def test_caller_kind_from_the_caller_arn(arn: str, kind: str) -> None:
    assert caller_kind(arn) == kind


# -- fact 2: MFA values -------------------------------------------------------------------

SERIAL = "arn:aws:iam::123456789012:mfa/alice"


@pytest.mark.parametrize(
    ("serial", "code"), [(None, None), (SERIAL, "123456"), ("GAHT12345678", "000000")]
)
def test_well_formed_mfa_passes(serial: str | None, code: str | None) -> None:
    check_mfa(serial, code)


@pytest.mark.parametrize(
    ("serial", "code", "says"),
    [
        (SERIAL, None, "--token-code is missing"),
        (None, "123456", "--serial-number is missing"),
        (SERIAL, "12345", "exactly 6 digits"),
        (SERIAL, "1234567", "exactly 6 digits"),
        (SERIAL, "12345a", "exactly 6 digits"),
        (SERIAL, "１２３４５６", "exactly 6 digits"),  # full-width digits are not [0-9]
        ("GAHT1234", "123456", "9-256 characters"),
        ("arn:aws:iam::1:mfa/al ice", "123456", "9-256 characters"),
        ("x" * 257, "123456", "9-256 characters"),
    ],
)
def test_malformed_mfa_is_refused_before_any_call(
    serial: str | None, code: str | None, says: str
) -> None:
    with pytest.raises(BadInput, match=says):
        check_mfa(serial, code)


# -- fact 3: session credentials ----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "token"),
    [("ASIAY34FZKBOKMUTVV7A", None), ("AKIAIOSFODNN7EXAMPLE", "IQoJb3JpZ2luX2Vj")],
)
def test_session_credentials_are_refused_quoting_aws(key: str, token: str | None) -> None:
    with pytest.raises(NoCredentials) as err:
        refuse_session_credentials(key, token)
    assert "Cannot call GetSessionToken with session credentials" in err.value.message
    assert token is None or token not in err.value.message


def test_long_term_credentials_pass() -> None:
    refuse_session_credentials("AKIAIOSFODNN7EXAMPLE", None)
    refuse_session_credentials("AKIAIOSFODNN7EXAMPLE", "")


# -- what a cutoff covers -----------------------------------------------------------------

CUTOFF = datetime(2026, 11, 29, 10, 0, 0, tzinfo=timezone.utc)


def test_a_token_issued_before_the_cutoff_is_revoked() -> None:
    verdict = coverage(
        key_kind="temporary",
        principal_kind="user",
        issued_at=datetime(2026, 11, 29, 9, 12, 3, tzinfo=timezone.utc),
        cutoff=CUTOFF,
    )
    assert verdict.status == "revoked"
    assert verdict.reason == "revoked (issued 09:12:03Z, cutoff 10:00:00Z)"


def test_date_less_than_is_strict() -> None:
    # Fact 10: issued exactly at the cutoff is not denied; 1 ms earlier is.
    at = coverage(key_kind="temporary", principal_kind="user", issued_at=CUTOFF, cutoff=CUTOFF)
    before = coverage(
        key_kind="temporary",
        principal_kind="user",
        issued_at=CUTOFF - timedelta(milliseconds=1),
        cutoff=CUTOFF,
    )
    assert (at.status, before.status) == ("not revoked", "revoked")


def test_long_term_keys_are_never_covered_by_a_cutoff() -> None:
    # Fact 9: no aws:TokenIssueTime in requests signed with a long-term key.
    verdict = coverage(key_kind="long-term", principal_kind="user", issued_at=None, cutoff=CUTOFF)
    assert verdict.status == "not revoked" and "aws:TokenIssueTime" in verdict.reason
    assert "fact" not in verdict.reason  # the user has the AWS docs, not AWS-FACTS


def test_root_tokens_cannot_be_revoked_by_iam_policy() -> None:
    verdict = coverage(key_kind="temporary", principal_kind="root", issued_at=None, cutoff=None)
    assert verdict.status == "not applicable" and "IAM policies" in verdict.reason


def test_unknown_issue_time_with_a_cutoff_is_unknown_and_says_why() -> None:
    verdict = coverage(key_kind="temporary", principal_kind="user", issued_at=None, cutoff=CUTOFF)
    assert verdict.status == "unknown" and "issue time is not known" in verdict.reason
    assert verdict.cutoff == "2026-11-29T10:00:00Z"


def test_no_cutoff_means_not_revoked() -> None:
    verdict = coverage(key_kind="temporary", principal_kind="user", issued_at=CUTOFF, cutoff=None)
    assert verdict.status == "not revoked"


def test_dates_are_shown_in_full_when_the_days_differ() -> None:
    verdict = coverage(
        key_kind="temporary",
        principal_kind="user",
        issued_at=datetime(2026, 11, 28, 23, 59, 59, tzinfo=timezone.utc),
        cutoff=CUTOFF,
    )
    assert "issued 2026-11-28T23:59:59Z, cutoff 2026-11-29T10:00:00Z" in verdict.reason
