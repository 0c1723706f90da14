"""The planner's safety rules (DESIGN.md "Safety rules"; AWS-FACTS facts 3, 12, 15, 17)."""

from __future__ import annotations

import pytest

from revoke.core.plan import AccessKey, PrincipalState, Quotas, plan_target
from revoke.core.policy import POLICY_NAME, existing_cutoff, policy_size, render_revocation
from revoke.ops.templates import deny_older_sessions

CUTOFF = "2026-11-29T05:00:00Z"
LATER = "2026-11-29T06:00:00Z"
EARLIER = "2026-11-29T04:00:00Z"


def doc(cutoff: str) -> dict:
    return render_revocation(deny_older_sessions(), cutoff)


def state(**kw) -> PrincipalState:
    base = {"kind": "user", "name": "alice", "account": "123456789012"}
    base.update(kw)
    return PrincipalState(**base)


def test_new_revocation_is_planned() -> None:
    plan = plan_target(state(), CUTOFF, doc(CUTOFF), quotas=Quotas())
    assert plan.status == "planned"
    assert plan.policy_document == doc(CUTOFF)
    assert plan.previous_cutoff is None


def test_later_cutoff_refreshes_the_same_policy() -> None:
    current = state(inline_policies={POLICY_NAME: doc(CUTOFF)})
    plan = plan_target(current, LATER, doc(LATER), quotas=Quotas())
    assert (plan.status, plan.previous_cutoff) == ("planned", CUTOFF)
    assert existing_cutoff(plan.policy_document) == LATER


def test_earlier_cutoff_is_refused_without_force() -> None:
    # Fact 12: moving the cutoff earlier un-revokes sessions issued in between.
    current = state(inline_policies={POLICY_NAME: doc(CUTOFF)})
    plan = plan_target(current, EARLIER, doc(EARLIER), quotas=Quotas())
    assert plan.status == "unchanged"
    assert CUTOFF in (plan.reason or "") and EARLIER in (plan.reason or "")
    assert existing_cutoff(plan.policy_document) == CUTOFF
    forced = plan_target(current, EARLIER, doc(EARLIER), quotas=Quotas(), force=True)
    assert forced.status == "planned"
    assert existing_cutoff(forced.policy_document) == EARLIER


def test_same_cutoff_is_unchanged() -> None:
    current = state(inline_policies={POLICY_NAME: doc(CUTOFF)})
    assert plan_target(current, CUTOFF, doc(CUTOFF), quotas=Quotas()).status == "unchanged"


def test_missing_principal_fails_that_row() -> None:
    plan = plan_target(state(exists=False), CUTOFF, doc(CUTOFF), quotas=Quotas())
    assert (plan.status, plan.error_code) == ("failed", "NoSuchEntity")


def test_service_linked_and_identity_center_roles_are_refused() -> None:
    for path, words in (
        ("/aws-service-role/support.amazonaws.com/", "service-linked"),
        ("/aws-reserved/sso.amazonaws.com/", "Identity Center"),
    ):
        role = state(kind="role", name="Thing", path=path)
        plan = plan_target(role, CUTOFF, doc(CUTOFF), quotas=Quotas())
        assert plan.status == "failed" and words in (plan.error or "")


def test_active_keys_are_warned_about() -> None:
    # Fact 3: the holder of a long-term key can mint fresh tokens after the cutoff.
    keys = [
        AccessKey("AKIAEXAMPLEKEY000001", "Active"),
        AccessKey("AKIAEXAMPLEKEY000002", "Inactive"),
    ]
    plan = plan_target(state(access_keys=keys), CUTOFF, doc(CUTOFF), quotas=Quotas())
    assert len(plan.warnings) == 1
    assert "AKIAEXAMPLEKEY000001" in plan.warnings[0] and "--deactivate-keys" in plan.warnings[0]
    assert "AKIAEXAMPLEKEY000002" not in plan.warnings[0]


def _filler(size: int) -> dict:
    padding = "x" * (
        size
        - policy_size(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ""}],
            }
        )
    )
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": padding}],
    }


def test_full_inline_budget_falls_back_to_a_managed_policy() -> None:
    # Fact 17: user inline policies share 2,048 non-whitespace characters.
    crowded = state(inline_policies={"Theirs": _filler(2000)})
    plan = plan_target(crowded, CUTOFF, doc(CUTOFF), quotas=Quotas())
    assert plan.status == "planned"
    assert plan.mechanism == "managed"
    assert plan.policy_name == "AWSRevokeOlderSessions-user-alice"
    assert plan.policy_document == doc(CUTOFF)


def test_budget_fits_exactly() -> None:
    room = 2048 - policy_size(doc(CUTOFF))
    snug = state(inline_policies={"Theirs": _filler(room)})
    assert plan_target(snug, CUTOFF, doc(CUTOFF), quotas=Quotas()).mechanism == "inline"
    over = state(inline_policies={"Theirs": _filler(room + 1)})
    assert plan_target(over, CUTOFF, doc(CUTOFF), quotas=Quotas()).mechanism == "managed"


def test_full_budget_and_no_managed_slot_stops_with_the_reason() -> None:
    attached = [
        {"PolicyName": f"p{i}", "PolicyArn": f"arn:aws:iam::aws:policy/p{i}"} for i in range(10)
    ]
    crowded = state(inline_policies={"Theirs": _filler(2000)}, attached_policies=attached)
    plan = plan_target(crowded, CUTOFF, doc(CUTOFF), quotas=Quotas())
    assert (plan.status, plan.error_code) == ("failed", "SizeBudget")
    assert "nothing was changed" in (plan.error or "")


def test_role_budget_is_larger() -> None:
    crowded = state(kind="role", name="Deploy", inline_policies={"Theirs": _filler(2000)})
    assert plan_target(crowded, CUTOFF, doc(CUTOFF), quotas=Quotas()).mechanism == "inline"


def test_quotas_come_from_the_account_summary() -> None:
    quotas = Quotas.from_summary({"UserPolicySizeQuota": 4096})
    assert quotas.user_inline == 4096 and quotas.role_inline == 10240
    crowded = state(inline_policies={"Theirs": _filler(2000)})
    assert plan_target(crowded, CUTOFF, doc(CUTOFF), quotas=quotas).mechanism == "inline"


def _two_denies(first: str, second: str | int) -> dict:
    statements = [
        doc(first)["Statement"],
        doc(first)["Statement"] | {"Condition": {"DateLessThan": {"aws:TokenIssueTime": second}}},
    ]
    return {"Version": "2012-10-17", "Statement": statements}


@pytest.mark.parametrize("later", ["1900000000", 1900000000, "2030-03-17"])
def test_a_later_deny_in_another_date_form_is_never_dropped(later: str | int) -> None:
    # Fact 12 with fact 11: an epoch or date-only cutoff later than ours is still later.
    current = state(inline_policies={POLICY_NAME: _two_denies(CUTOFF, later)})
    plan = plan_target(current, LATER, doc(LATER), quotas=Quotas())
    assert plan.status == "unchanged"
    assert str(later) in (plan.reason or "")


def test_unreadable_existing_cutoff_fails_closed() -> None:
    current = state(inline_policies={POLICY_NAME: _two_denies(CUTOFF, "yesterday")})
    plan = plan_target(current, LATER, doc(LATER), quotas=Quotas())
    assert (plan.status, plan.error_code) == ("failed", "UnreadableCutoff")
    assert "nothing changed" in (plan.error or "")
    forced = plan_target(current, LATER, doc(LATER), quotas=Quotas(), force=True)
    assert forced.status == "planned"
    assert existing_cutoff(forced.policy_document) == LATER
