"""The session-scoped deny (issue 16 item 2): rendered through tojson and validated,
recognised, merged never earlier (a newer session list keeps the older one), stripped, and
proven by the evaluator: the session seen is denied, another session of the role is not."""

from __future__ import annotations

from revoke.core.plan import PrincipalState, Quotas
from revoke.core.proof import CASE_OTHER_SESSION, prove, session_cases_for
from revoke.core.sessiondeny import (
    SESSION_POLICY_NAME,
    denied_sessions,
    is_session_deny,
    merge_session_deny,
    plan_session_target,
    render_session_deny,
    session_cutoff,
    strip_sessions,
)
from revoke.ops.templates import deny_older_sessions, deny_sessions

EARLY, LATE = "2026-11-29T05:00:01Z", "2026-11-29T06:00:00Z"
A, B = "AROAEXAMPLEROLEID1:attacker", "AROAEXAMPLEROLEID1:attacker-2"
ALLOW = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def render(cutoff: str, *userids: str) -> dict:
    return render_session_deny(deny_sessions(), cutoff, list(userids))


def test_rendered_recognised_and_not_the_role_wide_deny() -> None:
    doc = render(EARLY, A)
    (statement,) = doc["Statement"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:userid": [A]},
        "DateLessThan": {"aws:TokenIssueTime": EARLY},
    }
    assert is_session_deny(doc) and session_cutoff(doc) == EARLY
    assert not is_session_deny(deny_older_sessions().render(cutoff=EARLY))


def test_a_value_cannot_break_out_of_the_json() -> None:
    evil = 'AROA:x"}},{"Effect":"Allow'
    assert denied_sessions(render(EARLY, evil))["userids"] == {evil: EARLY}


def test_merge_keeps_both_lists_and_never_moves_a_session_earlier() -> None:
    merged = merge_session_deny(render(LATE, A), render(EARLY, A, B))
    assert denied_sessions(merged)["userids"] == {A: LATE, B: EARLY}
    sids = [s["Sid"] for s in merged["Statement"]]
    assert len(sids) == len(set(sids))
    again = merge_session_deny(merged, render(LATE, B))
    assert denied_sessions(again)["userids"] == {A: LATE, B: LATE}


def test_other_statements_are_kept_and_strip_leaves_them() -> None:
    existing = {
        "Version": "2012-10-17",
        "Statement": [ALLOW["Statement"][0], *render(EARLY, A)["Statement"]],
    }
    merged = merge_session_deny(existing, render(LATE, B))
    assert merged["Statement"][0] == ALLOW["Statement"][0]
    assert strip_sessions(merged) == {"Version": "2012-10-17", "Statement": [ALLOW["Statement"][0]]}
    assert strip_sessions(render(EARLY, A)) is None


def test_plan_is_unchanged_when_every_session_is_denied_as_late() -> None:
    state = PrincipalState(
        "role", "admin", inline_policies={SESSION_POLICY_NAME: render(LATE, A, B)}
    )
    row = plan_session_target(state, EARLY, render(EARLY, A), quotas=Quotas())
    assert row.status == "unchanged"
    row = plan_session_target(state, LATE, render(LATE, "AROAEXAMPLEROLEID1:new"), quotas=Quotas())
    assert row.status == "planned" and row.previous_cutoff == LATE
    assert set(denied_sessions(row.policy_document)["userids"]) == {A, B, "AROAEXAMPLEROLEID1:new"}


def test_plan_refuses_a_user_and_a_service_linked_role() -> None:
    user = PrincipalState("user", "alice")
    assert plan_session_target(user, EARLY, render(EARLY, A), quotas=Quotas()).status == "failed"
    linked = PrincipalState("role", "AWSServiceRoleForX", path="/aws-service-role/x/")
    assert plan_session_target(linked, EARLY, render(EARLY, A), quotas=Quotas()).status == "failed"


def test_the_evaluator_denies_the_session_seen_and_not_another() -> None:
    doc = render(EARLY, A)
    proof = prove(
        [("inline:grant", ALLOW), (f"inline:{SESSION_POLICY_NAME}", doc)],
        {f"inline:{SESSION_POLICY_NAME}"},
        EARLY,
        cases=session_cases_for(EARLY, A),
    )
    assert proof.status == "ok", proof.to_json()
    other = next(c for c in proof.cases if c.case.name == CASE_OTHER_SESSION)
    assert other.decision == "allow" and not other.revocation_denies


def test_the_role_wide_cases_fail_a_session_deny() -> None:
    """Proving a session deny on the role-wide cases would wrongly pass nothing: the
    verifier must pick the session cases (revoke.ops.verify.session_cases)."""
    doc = render(EARLY, A)
    proof = prove(
        [(f"inline:{SESSION_POLICY_NAME}", doc)], {f"inline:{SESSION_POLICY_NAME}"}, EARLY
    )
    assert proof.status == "failed"
