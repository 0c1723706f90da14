"""The logic layer of verification, without AWS: three cases over a principal's policies."""

from __future__ import annotations

from typing import Any

from revoke.core.proof import (
    CASE_AFTER,
    CASE_BEFORE,
    CASE_NO_ISSUE_TIME,
    cases_for,
    is_revocation_statement,
    prove,
)
from revoke.ops.revocation import render_for

CUTOFF = "2026-11-01T05:00:00Z"
OURS = "inline:AWSRevokeOlderSessions"
ALLOW_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def by_case(proof: Any) -> dict[str, Any]:
    return {c.case.name: c for c in proof.cases}


def deny_with(operator: str, cutoff: str = CUTOFF) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {operator: {"aws:TokenIssueTime": cutoff}},
        },
    }


def test_cases_are_one_second_either_side_and_one_without_issue_time() -> None:
    cases = {c.name: c for c in cases_for(CUTOFF)}
    assert cases[CASE_BEFORE].token_issue_time == "2026-11-01T04:59:59Z"
    assert cases[CASE_BEFORE].expect_deny is True
    assert cases[CASE_AFTER].token_issue_time == "2026-11-01T05:00:01Z"
    assert cases[CASE_AFTER].expect_deny is False
    assert cases[CASE_NO_ISSUE_TIME].context() == {}
    assert cases[CASE_AFTER].context() == {"aws:TokenIssueTime": "2026-11-01T05:00:01Z"}


def test_rendered_revocation_holds_all_three_cases() -> None:
    proof = prove([(OURS, render_for(CUTOFF)), ("managed:arn:s3", ALLOW_S3)], {OURS}, CUTOFF)
    assert proof.status == "ok", proof.to_json()
    cases = by_case(proof)
    assert cases[CASE_BEFORE].decision == "explicit_deny"
    assert cases[CASE_BEFORE].revocation_denies
    assert cases[CASE_AFTER].decision == "allow"
    assert cases[CASE_NO_ISSUE_TIME].decision == "allow"
    assert proof.to_json()["policies_evaluated"] == 2


def test_if_exists_variant_is_caught_because_it_denies_long_term_keys() -> None:
    # Fact 9: DateLessThanIfExists also denies requests without aws:TokenIssueTime.
    proof = prove([(OURS, deny_with("DateLessThanIfExists"))], {OURS}, CUTOFF)
    assert proof.status == "failed"
    cases = by_case(proof)
    assert cases[CASE_NO_ISSUE_TIME].revocation_denies and not cases[CASE_NO_ISSUE_TIME].holds
    assert cases[CASE_BEFORE].holds and cases[CASE_AFTER].holds
    assert CASE_NO_ISSUE_TIME in (proof.error or "")


def test_a_cutoff_that_is_not_the_one_in_the_policy_fails_the_before_case() -> None:
    # The document says 04:00; claiming 05:00 is in force must not pass.
    proof = prove([(OURS, render_for("2026-11-01T04:00:00Z"))], {OURS}, CUTOFF)
    assert proof.status == "failed"
    assert not by_case(proof)[CASE_BEFORE].holds


def test_a_later_cutoff_than_claimed_fails_the_after_case() -> None:
    proof = prove([(OURS, render_for("2026-11-01T06:00:00Z"))], {OURS}, CUTOFF)
    assert proof.status == "failed"
    assert not by_case(proof)[CASE_AFTER].holds


def test_wrong_operator_denying_later_sessions_fails() -> None:
    proof = prove([(OURS, deny_with("DateGreaterThan"))], {OURS}, CUTOFF)
    assert proof.status == "failed"
    assert not by_case(proof)[CASE_BEFORE].holds


def test_no_revocation_statement_in_our_policy_fails() -> None:
    proof = prove([(OURS, ALLOW_S3)], {OURS}, CUTOFF)
    assert proof.status == "failed"
    assert "no" in (proof.error or "") and proof.cases == []


def test_someone_elses_deny_is_reported_but_not_counted_as_ours() -> None:
    deny_all = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"},
    }
    proof = prove([(OURS, render_for(CUTOFF)), ("inline:Quarantine", deny_all)], {OURS}, CUTOFF)
    assert proof.status == "ok"
    after = by_case(proof)[CASE_AFTER]
    assert after.decision == "explicit_deny" and not after.revocation_denies
    assert after.other_denies == ["inline:Quarantine statement 0"]
    assert any("another policy also denies" in n for n in proof.notes)


def test_other_statements_merged_into_our_policy_are_not_ours() -> None:
    merged = render_for(CUTOFF)
    merged = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Theirs", "Effect": "Deny", "Action": "s3:*", "Resource": "*"},
            merged["Statement"],
        ],
    }
    proof = prove([(OURS, merged)], {OURS}, CUTOFF)
    assert proof.status == "ok", proof.to_json()
    assert by_case(proof)[CASE_AFTER].other_denies == [f"{OURS} statement 0 (Theirs)"]


def test_revocation_in_another_policy_with_later_cutoff_is_not_ours() -> None:
    later = render_for("2026-11-01T06:00:00Z")
    proof = prove([(OURS, render_for(CUTOFF)), ("inline:Old", later)], {OURS}, CUTOFF)
    assert proof.status == "ok"
    assert by_case(proof)[CASE_AFTER].other_denies


def test_no_allow_warns_that_the_probe_will_see_an_implicit_deny() -> None:
    proof = prove([(OURS, render_for(CUTOFF))], {OURS}, CUTOFF)
    assert proof.status == "ok"
    assert by_case(proof)[CASE_AFTER].decision == "implicit_deny"
    assert any("implicit deny" in n for n in proof.notes)


def test_an_unevaluable_policy_elsewhere_falls_back_to_our_statements() -> None:
    odd = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NoSuchOperator": {"aws:SourceIp": "10.0.0.0/8"}},
        },
    }
    proof = prove([(OURS, render_for(CUTOFF)), ("inline:Odd", odd)], {OURS}, CUTOFF)
    assert proof.status == "ok"
    assert all(c.decision is None for c in proof.cases)
    assert by_case(proof)[CASE_BEFORE].revocation_denies
    assert any("inline:Odd" in n for n in proof.notes)


def test_revocation_statement_shapes() -> None:
    assert is_revocation_statement(render_for(CUTOFF)["Statement"])
    assert is_revocation_statement(deny_with("DateLessThanIfExists")["Statement"])
    assert not is_revocation_statement(ALLOW_S3["Statement"][0])
    allow_time = dict(deny_with("DateLessThan")["Statement"], Effect="Allow")
    assert not is_revocation_statement(allow_time)
