"""Verification after apply: layers 2 and 3 against moto, the probe loop on a fake clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.aws.iam import IamGateway
from revoke.aws.policies import Simulated, SimulationUnavailable
from revoke.aws.probe import Probe
from revoke.aws.session import AwsSession
from revoke.cli.context import Globals
from revoke.core.names import TargetName
from revoke.errors import ExitCode
from revoke.ops import probing
from revoke.ops import verify as v
from revoke.ops.revocation import RunResult, apply_run, plan_run
from tests.aws.test_probe import EXPLICIT, IMPLICIT, StubS3, client_error

CUTOFF = "2026-11-01T05:00:00Z"
ALICE = "arn:aws:iam::123456789012:user/alice"


class FakeTime:
    """A clock that moves only when the code under test sleeps: no real waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def timing(self, jitter: float = 0.5) -> probing.Timing:
        return probing.Timing(clock=self.clock, sleep=self.sleep, rng=lambda: jitter)


def probe_of(*answers: BaseException | None, arn: str | None = ALICE) -> Probe:
    probe = Probe(client=StubS3(*answers))
    probe.arn = arn
    return probe


# -- the probe loop -------------------------------------------------------------------------


def test_confirmed_once_the_deny_propagates_with_time_and_attempts() -> None:
    clock = FakeTime()
    probe = probe_of(None, None, client_error("AccessDenied", EXPLICIT))
    found = probing.poll_probe(probe, deadline=300, timing=clock.timing())
    assert found["status"] == "confirmed"
    assert found["attempts"] == 3
    assert found["seconds"] == pytest.approx(sum(clock.sleeps))
    assert found["action"] == "s3:ListAllMyBuckets"
    assert EXPLICIT in found["message"]


def test_deadline_passes_unconfirmed_with_a_last_attempt_at_the_deadline() -> None:
    clock = FakeTime()
    probe = probe_of(None)
    found = probing.poll_probe(probe, deadline=60, timing=clock.timing())
    assert found["status"] == "unconfirmed"
    assert found["seconds"] == pytest.approx(60)
    assert "still allowed" in found["reason"]
    assert found["attempts"] == probe.client.calls == len(clock.sleeps) + 1
    assert all(s <= probing.BACKOFF_CAP for s in clock.sleeps)
    assert all(s >= probing.BACKOFF_BASE for s in clock.sleeps[:-1])  # the last one is clipped


def test_implicit_deny_keeps_polling_and_is_reported_as_such() -> None:
    clock = FakeTime()
    probe = probe_of(client_error("AccessDenied", IMPLICIT))
    found = probing.poll_probe(probe, deadline=30, timing=clock.timing())
    assert found["status"] == "implicit-deny"
    assert found["attempts"] > 1
    assert "no identity-based policy allows" in found["message"]


def test_implicit_deny_turning_explicit_is_confirmed() -> None:
    clock = FakeTime()
    probe = probe_of(client_error("AccessDenied", IMPLICIT), client_error("AccessDenied", EXPLICIT))
    assert probing.poll_probe(probe, deadline=30, timing=clock.timing())["status"] == "confirmed"


def test_expired_probe_token_stops_at_once() -> None:
    clock = FakeTime()
    probe = probe_of(client_error("ExpiredToken", "The provided token has expired."))
    found = probing.poll_probe(probe, deadline=300, timing=clock.timing())
    assert (found["status"], found["attempts"], clock.sleeps) == ("error", 1, [])
    assert "ExpiredToken" in found["reason"]


def test_zero_deadline_tries_once() -> None:
    clock = FakeTime()
    found = probing.poll_probe(probe_of(None), deadline=0, timing=clock.timing())
    assert (found["status"], found["attempts"], clock.sleeps) == ("unconfirmed", 1, [])


def test_backoff_grows_from_one_second_and_caps_at_fifteen() -> None:
    low = [probing.backoff_pause(n, lambda: 0.0) for n in range(1, 8)]
    high = [probing.backoff_pause(n, lambda: 1.0) for n in range(1, 8)]
    assert high == [1, 2, 4, 8, 15, 15, 15]
    assert low == [1, 1, 2, 4, 7.5, 7.5, 7.5]


# -- layers 2 and 3 after apply, against moto ------------------------------------------------


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        yield client


def revoke_and_verify(
    names: list[str],
    *,
    probe: Probe | None = None,
    deadline: float = 300,
    clock: FakeTime | None = None,
) -> RunResult:
    gateway = IamGateway(AwsSession())
    targets = [TargetName("user", n) for n in names]
    result = apply_run(gateway, plan_run(gateway, "user", targets, CUTOFF))
    timing = (clock or FakeTime()).timing()
    return v.verify_run(Globals(), gateway, result, probe=probe, deadline=deadline, timing=timing)


def test_without_probe_all_three_layers_are_reported(iam: Any) -> None:
    result = revoke_and_verify(["alice"])
    (row,) = result.targets
    ver = row.verification
    assert ver["status"] == "verified"
    assert ver["read_back"]["status"] == "ok"
    assert ver["logic"]["status"] == "ok"
    assert [c["holds"] for c in ver["logic"]["cases"]] == [True, True, True]
    assert ver["logic"]["simulation"]["status"] == "not available"  # moto has no simulator
    assert ver["enforcement"] == {"status": "skipped", "reason": "no probe credentials"}
    assert result.exit_code() == ExitCode.OK


def test_probe_confirms_enforcement(iam: Any) -> None:
    probe = probe_of(None, client_error("AccessDenied", EXPLICIT))
    (row,) = revoke_and_verify(["alice"], probe=probe).targets
    assert row.verification["enforcement"]["status"] == "confirmed"
    assert row.verification["enforcement"]["attempts"] == 2
    assert row.verification["status"] == "verified"


def test_probe_never_denied_is_unverified_and_exits_3(iam: Any) -> None:
    result = revoke_and_verify(["alice"], probe=probe_of(None), deadline=20)
    (row,) = result.targets
    assert row.verification["enforcement"]["status"] == "unconfirmed"
    assert row.verification["status"] == "unverified"
    assert result.exit_code() == ExitCode.UNVERIFIED


def test_probe_of_another_principal_is_an_error_not_a_confirmation(iam: Any) -> None:
    probe = probe_of(
        client_error("AccessDenied", EXPLICIT), arn="arn:aws:iam::123456789012:user/bob"
    )
    result = revoke_and_verify(["alice"], probe=probe)
    (row,) = result.targets
    assert row.verification["enforcement"]["status"] == "error"
    assert "user/bob" in row.verification["enforcement"]["reason"]
    assert probe.client.calls == 0
    assert result.exit_code() == ExitCode.UNVERIFIED


def test_probe_is_used_for_its_own_principal_only(iam: Any) -> None:
    iam.create_user(UserName="bob")
    probe = probe_of(client_error("AccessDenied", EXPLICIT))
    alice, bob = revoke_and_verify(["alice", "bob"], probe=probe).targets
    assert alice.verification["enforcement"]["status"] == "confirmed"
    assert bob.verification["enforcement"]["status"] == "skipped"
    assert bob.verification["status"] == "verified"


IP_GUARDRAIL = {  # "only from the office": denies every request from elsewhere, any session
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    },
}


def test_probe_deny_is_inconclusive_when_another_policy_denies_after_the_cutoff(
    iam: Any,
) -> None:
    # The review's repro: the probe meets the guardrail's explicit deny, which AWS words
    # exactly like ours (fact 14). Sessions after the cutoff are denied too, so the deny
    # cannot be attributed to the revocation: not "confirmed", not "verified", exit 3.
    iam.put_user_policy(
        UserName="alice", PolicyName="Office", PolicyDocument=json.dumps(IP_GUARDRAIL)
    )
    probe = probe_of(client_error("AccessDenied", EXPLICIT))
    result = revoke_and_verify(["alice"], probe=probe)
    (row,) = result.targets
    after = row.verification["logic"]["cases"][1]
    assert after["other_denies"] == ["inline:Office statement 0"]
    enforcement = row.verification["enforcement"]
    assert enforcement["status"] == "inconclusive"
    assert "cannot be attributed to the revocation" in enforcement["reason"]
    assert "Office" in enforcement["reason"]
    assert enforcement["message"] == EXPLICIT  # what AWS answered is still reported
    assert row.verification["status"] == "unverified"
    assert result.exit_code() == ExitCode.UNVERIFIED


def test_probe_still_allowed_under_another_deny_stays_unconfirmed(iam: Any) -> None:
    # Only a confirmation is in doubt: a probe still allowed at the deadline is reported as is.
    iam.put_user_policy(
        UserName="alice", PolicyName="Office", PolicyDocument=json.dumps(IP_GUARDRAIL)
    )
    (row,) = revoke_and_verify(["alice"], probe=probe_of(None), deadline=5).targets
    assert row.verification["enforcement"]["status"] == "unconfirmed"


def test_other_deny_after_the_cutoff_is_read_from_the_simulator_too() -> None:
    verification = {
        "logic": {
            "status": "ok",
            "cases": [{"case": "issued_after_cutoff", "decision": None, "holds": True}],
            "simulation": {
                "status": "ok",
                "cases": [
                    {"case": "issued_after_cutoff", "decision": "explicitDeny", "holds": True}
                ],
            },
        }
    }
    assert v.other_deny_after_cutoff(verification) is not None
    verification["logic"]["simulation"]["cases"][0]["decision"] = "allowed"  # type: ignore[index]
    assert v.other_deny_after_cutoff(verification) is None


def test_logic_reads_group_policies(iam: Any) -> None:
    quarantine = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"},
    }
    allow = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    }
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.put_group_policy(GroupName="devs", PolicyName="Q", PolicyDocument=json.dumps(quarantine))
    arn = iam.create_policy(PolicyName="S3", PolicyDocument=json.dumps(allow))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="devs", PolicyArn=arn)
    (row,) = revoke_and_verify(["alice"]).targets
    logic = row.verification["logic"]
    assert logic["status"] == "ok"
    assert logic["policies_evaluated"] == 3
    after = logic["cases"][1]
    assert after["decision"] == "explicit_deny" and after["denied_by_revocation"] is False
    assert after["other_denies"] == ["group:devs:inline:Q statement 0"]


def test_managed_fallback_is_recognised_as_ours(iam: Any) -> None:
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 1900}
        ],
    }
    iam.put_user_policy(UserName="alice", PolicyName="Theirs", PolicyDocument=json.dumps(big))
    (row,) = revoke_and_verify(["alice"]).targets
    assert row.mechanism == "managed"
    assert row.verification["logic"]["status"] == "ok", row.verification
    assert row.verification["status"] == "verified"


def test_simulator_is_tried_once_when_missing_and_skipped_for_bulk_runs(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revoke.aws.policies import PolicyReader

    calls: list[str] = []
    real = PolicyReader.simulate

    def counting(self: PolicyReader, *args: Any) -> Simulated:
        calls.append(args[0])
        return real(self, *args)

    monkeypatch.setattr(PolicyReader, "simulate", counting)
    for name in ("bob", "carol"):
        iam.create_user(UserName=name)
    rows = revoke_and_verify(["alice", "bob", "carol"]).targets
    assert len(calls) == 1
    assert {r.verification["logic"]["simulation"]["status"] for r in rows} == {"not available"}

    calls.clear()
    names = [f"u{i}" for i in range(v.SIMULATION_MAX_TARGETS + 1)]
    for name in names:
        iam.create_user(UserName=name)
    rows = revoke_and_verify(names).targets
    assert calls == []
    assert all(r.verification["logic"]["simulation"]["status"] == "skipped" for r in rows)
    assert "request rate" in rows[0].verification["logic"]["simulation"]["reason"]


class FakeReader:
    """A simulator answering a fixed decision per case."""

    def __init__(
        self, decisions: list[str], matched: tuple[str, ...] = ("AWSRevokeOlderSessions",)
    ) -> None:
        self.decisions = list(decisions)
        self.matched = matched

    def principal_arn(self, kind: str, name: str) -> str:
        return ALICE

    def simulate(self, arn: str, action: str, issue_time: str | None) -> Simulated:
        return Simulated(self.decisions.pop(0), self.matched)


def row_for_simulation() -> Any:
    from revoke.core.plan import TargetPlan

    return TargetPlan("user", "alice", "123456789012", "AWSRevokeOlderSessions", None, "applied")


def test_simulation_agreeing_is_ok() -> None:
    reader = FakeReader(["explicitDeny", "allowed", "implicitDeny"])
    found = v.simulation_layer(reader, row_for_simulation(), CUTOFF)  # type: ignore[arg-type]
    assert found["status"] == "ok"


def test_simulation_disagreeing_is_a_mismatch_and_unverified() -> None:
    reader = FakeReader(["allowed", "allowed", "allowed"])
    found = v.simulation_layer(reader, row_for_simulation(), CUTOFF)  # type: ignore[arg-type]
    assert found["status"] == "mismatch"
    assert "eventual-consistency" in found["reason"]
    verification = {
        "read_back": {"status": "ok"},
        "logic": {"status": "ok", "simulation": found},
        "enforcement": {"status": "skipped"},
    }
    assert v.overall(verification) == "unverified"


def test_simulation_explicit_deny_after_cutoff_from_another_policy_still_holds() -> None:
    reader = FakeReader(["explicitDeny"] * 3, matched=("Quarantine",))
    found = v.simulation_layer(reader, row_for_simulation(), CUTOFF)  # type: ignore[arg-type]
    assert [c["holds"] for c in found["cases"]] == [True, True, True]


def test_simulation_refused_is_not_available() -> None:
    class Refusing(FakeReader):
        def simulate(self, arn: str, action: str, issue_time: str | None) -> Simulated:
            raise SimulationUnavailable("the credentials in use may not call it")

    found = v.simulation_layer(Refusing([]), row_for_simulation(), CUTOFF)  # type: ignore[arg-type]
    assert found == {"status": "not available", "reason": "the credentials in use may not call it"}


@pytest.mark.parametrize(
    ("read_back", "logic", "enforcement", "expected"),
    [
        ("ok", "ok", "skipped", "verified"),
        ("ok", "ok", "confirmed", "verified"),
        ("ok", "ok", "unconfirmed", "unverified"),
        ("ok", "ok", "implicit-deny", "unverified"),
        ("ok", "ok", "error", "unverified"),
        ("mismatch", "ok", "skipped", "failed"),
        ("missing", "ok", "confirmed", "failed"),
        ("error", "ok", "skipped", "unverified"),
        ("ok", "failed", "confirmed", "failed"),
        ("ok", "error", "skipped", "unverified"),
    ],
)
def test_overall_status(read_back: str, logic: str, enforcement: str, expected: str) -> None:
    verification = {
        "read_back": {"status": read_back},
        "logic": {"status": logic},
        "enforcement": {"status": enforcement},
    }
    assert v.overall(verification) == expected


def test_failed_verification_exits_3() -> None:
    from revoke.core.plan import TargetPlan

    row = TargetPlan("user", "alice", None, "AWSRevokeOlderSessions", None, "applied")
    row.verification = {"status": "failed"}
    assert RunResult("revoke", False, CUTOFF, [row]).exit_code() == ExitCode.UNVERIFIED


def test_shared_group_policies_are_read_once_per_run(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fact 19: every IAM read counts against the account's rate; a bulk run over a team
    # must not re-read the team's group policies once per member.
    import botocore.client

    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        calls.append(operation)
        return real(self, operation, params)

    iam.create_group(GroupName="devs")
    iam.put_group_policy(
        GroupName="devs",
        PolicyName="S3",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            }
        ),
    )
    names = ["alice", "bob", "carol"]
    for name in names:
        if name != "alice":
            iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="devs", UserName=name)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    rows = revoke_and_verify(names).targets
    assert all(r.verification["logic"]["policies_evaluated"] == 2 for r in rows)
    assert calls.count("ListGroupPolicies") == 1
    assert calls.count("GetGroupPolicy") == 1
