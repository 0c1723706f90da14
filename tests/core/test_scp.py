"""The organization-wide SCP: render, exemptions, limits, never-earlier, logic (pure)."""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest

from revoke.core.evaluate import evaluate
from revoke.core.policy import PolicyError, PolicyTemplate, compact
from revoke.core.scp import (
    SCP_SIZE_LIMIT,
    SCPS_PER_TARGET,
    OrgState,
    OrgTarget,
    ScpPolicy,
    parse_exemption,
    parse_org_target,
    plan_scp,
    principal_of_caller,
    render_scp,
    scp_cutoff,
    scp_exemptions,
    scp_size,
)
from revoke.core.scp_proof import verify_logic
from revoke.errors import BadInput
from revoke.ops.templates import deny_older_sessions_scp

CUTOFF = "2026-11-29T05:00:00Z"
LATER = "2026-11-29T06:00:00Z"
EARLIER = "2026-11-29T04:00:00Z"
BREAK_GLASS = "arn:aws:iam::*:role/BreakGlass"
MANAGEMENT = "111111111111"
MEMBER = "222222222222"
ROOT = "r-ab12"


def state(**overrides: Any) -> OrgState:
    values: dict[str, Any] = {
        "organization_id": "o-abcdefghij",
        "management_account": MANAGEMENT,
        "feature_set": "ALL",
        "root_id": ROOT,
        "scp_enabled": True,
        "target": OrgTarget("root", ROOT),
        "target_scps": [{"Id": "p-FullAWSAccess", "Name": "FullAWSAccess"}],
        "covered_accounts": [{"id": MEMBER, "name": "prod", "state": "ACTIVE"}],
    }
    values.update(overrides)
    return OrgState(**values)


def plan(st: OrgState | None = None, cutoff: str = CUTOFF, exempt: tuple[str, ...] = (), **kw: Any):  # type: ignore[no-untyped-def]
    return plan_scp(st or state(), cutoff, deny_older_sessions_scp(), list(exempt), **kw)


# -- rendering -------------------------------------------------------------------------------


def test_golden_render_with_an_exemption() -> None:
    assert render_scp(deny_older_sessions_scp(), CUTOFF, [BREAK_GLASS]) == {
        "Version": "2012-10-17",
        "Statement": {
            "Sid": "RevokeOlderSessions",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "DateLessThan": {"aws:TokenIssueTime": CUTOFF},
                # Plain ArnNotLike: aws:PrincipalArn is in every signed request's context.
                "ArnNotLike": {"aws:PrincipalArn": [BREAK_GLASS]},
            },
        },
    }


def test_without_exemptions_the_scp_is_the_fact_8_deny() -> None:
    document = render_scp(deny_older_sessions_scp(), CUTOFF, [])
    assert document["Statement"]["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": CUTOFF}}


def test_exemption_values_are_json_escaped() -> None:
    # A quote in an ARN must stay inside its string, not open a new key.
    tricky = 'arn:aws:iam::*:role/a",{"x":"y'
    document = render_scp(deny_older_sessions_scp(), CUTOFF, [tricky])
    assert scp_exemptions(document) == [tricky]


def test_a_template_rendering_ifexists_is_refused() -> None:
    # Fact 9: an IfExists operator would also deny requests signed with long-term keys.
    bad = PolicyTemplate(
        "bad.json.j2",
        deny_older_sessions_scp().source.replace('"DateLessThan"', '"DateLessThanIfExists"'),
    )
    with pytest.raises(PolicyError, match="IfExists"):
        render_scp(bad, CUTOFF, [])


def test_parliament_finds_nothing_wrong() -> None:
    document = render_scp(deny_older_sessions_scp(), CUTOFF, [BREAK_GLASS])
    findings = parliament.analyze_policy_string(compact(document)).findings
    assert [(f.issue, f.detail) for f in findings] == []


# -- input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("r-ab12", "root"), ("ou-ab12-abcdefgh", "ou"), ("123456789012", "account")],
)
def test_targets(raw: str, kind: str) -> None:
    assert parse_org_target(f" {raw} ") == OrgTarget(kind, raw)


@pytest.mark.parametrize("raw", ["root", "ou-x", "12345", "arn:aws:organizations::1:root/o/r"])
def test_bad_targets_are_refused(raw: str) -> None:
    with pytest.raises(BadInput, match="not an organization root, OU or account"):
        parse_org_target(raw)


@pytest.mark.parametrize(
    "arn",
    [
        BREAK_GLASS,
        "arn:aws:iam::123456789012:role/ops/BreakGlass",
        "arn:aws:iam::123456789012:user/responder",
        "arn:aws:iam::123456789012:root",
        "arn:aws-us-gov:iam::*:role/BreakGlass*",
    ],
)
def test_exemptions_accepted(arn: str) -> None:
    assert parse_exemption(arn) == arn


def test_a_role_session_arn_is_refused_with_the_role_arn_to_use() -> None:
    # aws:PrincipalArn of a role session is the role's ARN, not the session's.
    with pytest.raises(BadInput, match="role session") as caught:
        parse_exemption("arn:aws:sts::123456789012:assumed-role/BreakGlass/alice")
    assert "arn:aws:iam::123456789012:role/BreakGlass" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "arn", ["arn:aws:iam::*:role/*", "arn:aws:iam::*:user/?*", "BreakGlass", "arn:aws:s3:::b"]
)
def test_exemptions_that_are_not_a_principal_or_exempt_everyone_are_refused(arn: str) -> None:
    with pytest.raises(BadInput):
        parse_exemption(arn)


def test_caller_principal_of_a_role_session_is_the_role() -> None:
    assert (
        principal_of_caller("arn:aws:sts::123456789012:assumed-role/Responder/alice")
        == "arn:aws:iam::123456789012:role/Responder"
    )
    assert principal_of_caller("arn:aws:iam::1:user/x") == "arn:aws:iam::1:user/x"


# -- planning --------------------------------------------------------------------------------


def test_fresh_org_plans_enable_create_attach() -> None:
    result = plan(state(scp_enabled=False), exempt=(BREAK_GLASS,))
    assert result.status == "planned"
    assert [s["action"] for s in result.steps] == [
        "organizations:EnablePolicyType",
        "organizations:CreatePolicy",
        "organizations:AttachPolicy",
    ]
    assert scp_cutoff(result.policy_document) == CUTOFF
    assert result.exemptions == [BREAK_GLASS]


def test_warns_about_the_management_account_and_lists_covered_accounts() -> None:
    # Fact 15: no SCP affects the management account.
    result = plan(exempt=(BREAK_GLASS,))
    text = "\n".join(result.warnings)
    assert f"no SCP affects the management account {MANAGEMENT}" in text
    assert MEMBER in text
    assert result.to_json()["covered_accounts"] == [
        {"id": MEMBER, "name": "prod", "state": "ACTIVE"}
    ]


def test_warns_that_workload_sessions_pause_too() -> None:
    assert any("workloads' too" in w for w in plan(exempt=(BREAK_GLASS,)).warnings)


def test_an_unexempt_fan_out_role_is_warned_about() -> None:
    # `revoke user --all-accounts` right after `revoke org --before now` assumes this role in
    # each member account within the cutoff's second: the SCP would deny it there.
    fanout = "arn:aws:iam::*:role/OrganizationAccountAccessRole"
    warned = "OrganizationAccountAccessRole is not exempt"
    assert any(warned in w for w in plan(exempt=(BREAK_GLASS,)).warnings)
    assert not any(warned in w for w in plan(exempt=(BREAK_GLASS, fanout)).warnings)


def test_no_exemption_warns_that_responders_are_denied_too() -> None:
    assert any("no principal is exempt" in w for w in plan().warnings)


def test_the_management_account_as_target_is_refused() -> None:
    result = plan(state(target=OrgTarget("account", MANAGEMENT)))
    assert (result.status, result.error_code) == ("failed", "BadInput")
    assert "management account" in (result.error or "")


def test_consolidated_billing_org_is_refused() -> None:
    result = plan(state(feature_set="CONSOLIDATED_BILLING"))
    assert result.status == "failed" and "all features" in (result.error or "")


def _existing(cutoff: str, exempt: list[str], targets: list[str] | None = None) -> ScpPolicy:
    document = render_scp(deny_older_sessions_scp(), cutoff, exempt)
    return ScpPolicy(id="p-ours", arn=None, document=document, targets=targets or [ROOT])


def test_later_cutoff_updates_the_policy_in_place() -> None:
    st = state(
        policy=_existing(CUTOFF, []),
        target_scps=[{"Id": "p-FullAWSAccess", "Name": "FullAWSAccess"}, {"Id": "p-ours"}],
    )
    result = plan(st, cutoff=LATER)
    assert [s["action"] for s in result.steps] == ["organizations:UpdatePolicy"]
    assert (result.previous_cutoff, scp_cutoff(result.policy_document)) == (CUTOFF, LATER)


def test_earlier_cutoff_keeps_the_later_one_unless_forced() -> None:
    # Fact 12: moving the cutoff earlier un-revokes the sessions issued in between.
    st = state(policy=_existing(LATER, []), target_scps=[{"Id": "p-ours"}])
    kept = plan(st, cutoff=EARLIER)
    assert kept.status == "unchanged"
    assert scp_cutoff(kept.policy_document) == LATER
    assert "un-revoke" in (kept.reason or "")
    forced = plan(st, cutoff=EARLIER, force=True)
    assert forced.status == "planned"
    assert scp_cutoff(forced.policy_document) == EARLIER


def test_earlier_cutoff_with_a_new_exemption_keeps_the_cutoff_and_adds_it() -> None:
    st = state(policy=_existing(LATER, [BREAK_GLASS]), target_scps=[{"Id": "p-ours"}])
    extra = "arn:aws:iam::*:role/IncidentResponder"
    result = plan(st, cutoff=EARLIER, exempt=(extra,))
    assert result.status == "planned"
    assert scp_cutoff(result.policy_document) == LATER
    assert result.exemptions == [BREAK_GLASS, extra]  # existing ones kept, never dropped


def test_same_cutoff_and_exemptions_already_attached_is_unchanged() -> None:
    st = state(policy=_existing(CUTOFF, [BREAK_GLASS]), target_scps=[{"Id": "p-ours"}])
    result = plan(st, exempt=(BREAK_GLASS,))
    assert (result.status, result.steps) == ("unchanged", [])


def test_existing_policy_attached_elsewhere_gets_attached_to_this_target() -> None:
    st = state(
        target=OrgTarget("ou", "ou-ab12-abcdefgh"),
        policy=_existing(CUTOFF, [], targets=[ROOT]),
        target_scps=[{"Id": "p-FullAWSAccess", "Name": "FullAWSAccess"}],
    )
    assert [s["action"] for s in plan(st).steps] == ["organizations:AttachPolicy"]


def test_five_scps_on_the_target_is_refused_before_any_change() -> None:
    full = [{"Id": f"p-{i}", "Name": f"Guardrail{i}"} for i in range(SCPS_PER_TARGET)]
    result = plan(state(target_scps=full))
    assert (result.status, result.error_code, result.steps) == ("failed", "ScpLimit", [])
    assert "limit is 5" in (result.error or "")
    # Four others: room for ours.
    assert plan(state(target_scps=full[:-1])).status == "planned"


def test_five_scps_including_ours_is_fine() -> None:
    full = [{"Id": f"p-{i}", "Name": f"G{i}"} for i in range(SCPS_PER_TARGET - 1)]
    st = state(policy=_existing(CUTOFF, []), target_scps=[*full, {"Id": "p-ours"}])
    assert plan(st, cutoff=LATER).status == "planned"


def _exemptions_totalling(size: int) -> list[str]:
    """Exemption ARNs that make the rendered SCP exactly `size` characters long."""
    base = scp_size(render_scp(deny_older_sessions_scp(), CUTOFF, ["arn:aws:iam::*:role/x"]))
    name = "x" * (1 + size - base)
    return [f"arn:aws:iam::*:role/{name}"]


def test_size_limit_counts_the_text_as_sent() -> None:
    at_limit = _exemptions_totalling(SCP_SIZE_LIMIT)
    document = render_scp(deny_older_sessions_scp(), CUTOFF, at_limit)
    assert scp_size(document) == SCP_SIZE_LIMIT == len(compact(document))
    assert plan(exempt=tuple(at_limit)).status == "planned"
    over = plan(exempt=tuple(_exemptions_totalling(SCP_SIZE_LIMIT + 1)))
    assert (over.status, over.error_code, over.steps) == ("failed", "SizeBudget", [])
    assert "5121 characters, over the 5120" in (over.error or "")


def test_the_plan_json_has_the_documented_shape() -> None:
    data = plan(exempt=(BREAK_GLASS,)).to_json()
    assert {
        "kind",
        "name",
        "account",
        "policy_name",
        "policy_document",
        "status",
        "previous_cutoff",
        "error",
        "verification",
    } <= set(data)
    assert (data["kind"], data["name"], data["policy_name"]) == (
        "root",
        ROOT,
        "RevokeOlderSessions",
    )
    json.dumps(data)


def test_caller_in_a_covered_account_and_not_exempt_is_warned() -> None:
    st = state(caller_account=MEMBER, caller_principal_arn=f"arn:aws:iam::{MEMBER}:role/Admin")
    assert any("your own principal" in w for w in plan(st, exempt=(BREAK_GLASS,)).warnings)
    exempt = f"arn:aws:iam::{MEMBER}:role/Admin"
    assert not any("your own principal" in w for w in plan(st, exempt=(exempt,)).warnings)


# -- the evaluator over the SCP ---------------------------------------------------------------


def test_logic_checks_pass_for_the_rendered_scp() -> None:
    document = render_scp(deny_older_sessions_scp(), CUTOFF, [BREAK_GLASS])
    result = verify_logic(document, CUTOFF, [BREAK_GLASS], MEMBER)
    assert result["status"] == "ok"
    decisions = {c["case"]: c["decision"] for c in result["checks"]}
    assert decisions["session issued 1s before the cutoff"] == "explicit_deny"
    assert decisions["session issued 1s after the cutoff"] == "allow"
    assert decisions["long-term access key (no aws:TokenIssueTime)"] == "allow"
    assert decisions[f"exempt {BREAK_GLASS}: session issued 1s before"] == "allow"


def test_logic_checks_catch_a_scp_that_does_not_exempt() -> None:
    # The same checks must fail when the exemption is missing from the document.
    document = render_scp(deny_older_sessions_scp(), CUTOFF, [])
    result = verify_logic(document, CUTOFF, [BREAK_GLASS], MEMBER)
    assert result["status"] == "failed"
    failing = [c["case"] for c in result["checks"] if not c["ok"]]
    assert failing == [f"exempt {BREAK_GLASS}: session issued 1s before"]


def test_logic_checks_catch_a_scp_with_ifexists() -> None:
    document = render_scp(deny_older_sessions_scp(), CUTOFF, [])
    condition = document["Statement"]["Condition"]
    condition["DateLessThanIfExists"] = condition.pop("DateLessThan")
    result = verify_logic(document, CUTOFF, [], MEMBER)
    failing = [c["case"] for c in result["checks"] if not c["ok"]]
    assert failing == ["long-term access key (no aws:TokenIssueTime)"]


def test_exemption_for_a_role_does_not_reach_its_sessions_in_other_names() -> None:
    document = render_scp(deny_older_sessions_scp(), CUTOFF, [BREAK_GLASS])
    context = {
        "aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/BreakGlassNot",
        "aws:TokenIssueTime": "2026-11-29T04:59:59Z",
    }
    assert evaluate({"scp": document}, "s3:ListBucket", "*", context).explicit_deny


def test_the_logic_check_goes_through_the_whole_request_entry_point() -> None:
    # Issue 17 item 2: the SCP is one level of the request AWS decides (evaluate_request), so
    # the decision names the SCP as what decided, and a member principal's own policies count.
    from revoke.core.scp_proof import evaluate_scp, logic_context

    document = render_scp(deny_older_sessions_scp(), CUTOFF, [BREAK_GLASS])
    probe = f"arn:aws:iam::{MEMBER}:role/Dev"
    before = evaluate_scp(document, logic_context(CUTOFF, probe, before=True))
    assert (before.decision, before.decided_by) == ("explicit_deny", "scp")
    assert [d.policy for d in before.matched_denies] == ["RevokeOlderSessions"]
    after = evaluate_scp(document, logic_context(CUTOFF, probe, before=False))
    assert (after.decision, after.decided_by) == ("allow", "identity")
    ec2_only = {
        "managed:EC2": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}],
        }
    }
    no_allow = evaluate_scp(document, logic_context(CUTOFF, probe, before=False), identity=ec2_only)
    assert (no_allow.decision, no_allow.decided_by) == ("implicit_deny", "identity")


def test_an_exemption_pattern_aws_accepts_but_cannot_read_never_claims_the_deny() -> None:
    # "*" is not a six-part ARN: AWS takes it (Access Analyzer general warning) but documents
    # no result, so the exempt-or-not question is undetermined and no deny is claimed.
    document = render_scp(deny_older_sessions_scp(), CUTOFF, ["*"])
    result = verify_logic(document, CUTOFF, [], MEMBER)
    decisions = {c["case"]: c["decision"] for c in result["checks"]}
    assert decisions["session issued 1s before the cutoff"] == "allow"
    assert result["status"] == "failed"
