"""Bulk reads (revoke.aws.bulk, revoke.ops.bulkread): the same plan as per-principal reads, in
a number of IAM calls that does not grow with the number of targets."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from moto import mock_aws

from revoke.aws.iam import IamGateway
from revoke.aws.session import AwsSession
from revoke.core.names import TargetName
from revoke.core.plan import as_dict
from revoke.core.policy import MANAGED_POLICY_PATH, managed_policy_name
from revoke.errors import AwsFailure
from revoke.ops import bulkread
from revoke.ops.revocation import apply_run, plan_run

CUTOFF = "2026-11-29T05:00:01Z"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def revocation(cutoff: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}},
            },
        }
    )


class CallCounter:
    """Counts IAM API calls as botocore makes them (every attempt is one call)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_kwargs: Any) -> None:
        self.calls[model.name] += 1

    def attach(self, session: AwsSession) -> None:
        session.boto.events.register("before-call.iam", self)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        import boto3

        yield boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def gateway(iam: Any) -> IamGateway:
    return IamGateway(AwsSession(region="us-east-1"))


def seed_users(iam: Any, count: int, prefix: str = "u") -> list[str]:
    names = [f"{prefix}{i:03d}" for i in range(count)]
    for name in names:
        iam.create_user(UserName=name, Path="/staff/")
    return names


def varied_account(iam: Any) -> list[str]:
    """Users in every state the planner distinguishes."""
    names = seed_users(iam, 25)
    iam.put_user_policy(UserName="u001", PolicyName="Other", PolicyDocument=json.dumps(ALLOW_ALL))
    iam.put_user_policy(
        UserName="u002",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=revocation("2026-01-01T00:00:00Z"),
    )
    iam.put_user_policy(
        UserName="u003",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=revocation("2027-01-01T00:00:00Z"),
    )
    iam.put_user_policy(
        UserName="u004", PolicyName="AWSRevokeOlderSessions", PolicyDocument=revocation(CUTOFF)
    )
    key = iam.create_access_key(UserName="u005")["AccessKey"]["AccessKeyId"]
    iam.create_access_key(UserName="u006")
    iam.update_access_key(UserName="u005", AccessKeyId=key, Status="Inactive")
    admin = iam.create_policy(PolicyName="Admin", PolicyDocument=json.dumps(ALLOW_ALL))["Policy"][
        "Arn"
    ]
    iam.attach_user_policy(UserName="u007", PolicyArn=admin)
    fallback = iam.create_policy(
        PolicyName=managed_policy_name("user", "u008"),
        Path=MANAGED_POLICY_PATH,
        PolicyDocument=revocation("2026-02-01T00:00:00Z"),
    )["Policy"]["Arn"]
    iam.attach_user_policy(UserName="u008", PolicyArn=fallback)
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="u009")
    # Over the user's 2,048-character inline budget with our policy: the fallback path.
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": f"s3:GetObject{i}",
                "Resource": f"arn:aws:s3:::bucket-{i}/*",
            }
            for i in range(30)
        ],
    }
    iam.put_user_policy(UserName="u010", PolicyName="Big", PolicyDocument=json.dumps(big))
    return names


def per_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulkread, "BULK_THRESHOLD", 10**9)


def targets(names: list[str], kind: str = "user") -> list[TargetName]:
    return [TargetName(kind, n) for n in names]


def test_bulk_state_equals_per_principal_state(iam: Any, gateway: IamGateway) -> None:
    names = varied_account(iam)
    bulk = gateway.read_principals_bulk("user", names)
    for name in names:
        one = gateway.read_principal("user", name, with_keys=False)
        assert as_dict(bulk[name]) == as_dict(one), name


def test_bulk_role_state_equals_per_principal_state_including_max_session(
    iam: Any, gateway: IamGateway
) -> None:
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    for i in range(3):
        iam.create_role(
            RoleName=f"r{i}", AssumeRolePolicyDocument=trust, MaxSessionDuration=3600 * (i + 1)
        )
    iam.put_role_policy(
        RoleName="r1", PolicyName="AWSRevokeOlderSessions", PolicyDocument=revocation(CUTOFF)
    )
    bulk = gateway.read_principals_bulk("role", ["r0", "r1", "r2"])
    for name in ("r0", "r1", "r2"):
        assert as_dict(bulk[name]) == as_dict(gateway.read_principal("role", name)), name
    assert bulk["r2"].max_session_duration == 3 * 3600


def test_bulk_plan_equals_per_principal_plan(
    iam: Any, gateway: IamGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = varied_account(iam)
    wanted = targets(names + ["nobody"])  # one that does not exist
    assert bulkread.use_bulk(len(wanted))
    bulk = plan_run(gateway, "user", wanted, CUTOFF)
    per_principal(monkeypatch)
    single = plan_run(gateway, "user", wanted, CUTOFF)
    assert [t.to_json() for t in bulk.targets] == [t.to_json() for t in single.targets]
    statuses = Counter(t.status for t in bulk.targets)
    # The fixture really covers the planner's cases: unchanged (later cutoff, same cutoff),
    # failed (missing user), planned (the rest, one of them via the managed fallback).
    assert statuses["unchanged"] == 2 and statuses["failed"] == 1
    assert {t.mechanism for t in bulk.targets} == {"inline", "managed"}
    assert any("u006" in w for w in bulk.to_json()["warnings"])  # active key (fact 3)
    assert not any("u005" in w for w in bulk.to_json()["warnings"])  # inactive key


def calls_for(iam: Any, count: int, kind: str) -> Counter[str]:
    if kind == "user":
        names = seed_users(iam, count, prefix=f"n{count}-")
    else:
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        names = [f"n{count}-{i}" for i in range(count)]
        for name in names:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    session = AwsSession(region="us-east-1")
    counter = CallCounter()
    counter.attach(session)
    gateway = IamGateway(session)
    result = plan_run(gateway, kind, targets(names, kind), CUTOFF)
    assert {t.status for t in result.targets} == {"planned"}
    apply_run(gateway, result)
    assert {t.verification["read_back"]["status"] for t in result.targets} == {"ok"}
    # Layer 1 alone: only verify_run may say verified.
    assert {t.verification["status"] for t in result.targets} == {"unverified"}
    return counter.calls


def test_role_run_makes_the_same_number_of_calls_for_30_or_90_targets(iam: Any) -> None:
    small = calls_for(iam, 30, "role")
    large = calls_for(iam, 90, "role")
    # Writes are one per target; every read is a bulk call whose count does not grow.
    assert small["PutRolePolicy"] == 30 and large["PutRolePolicy"] == 90
    reads_small = small.total() - small["PutRolePolicy"]
    reads_large = large.total() - large["PutRolePolicy"]
    assert reads_small == reads_large <= 6
    assert large["GetRole"] == large["GetRolePolicy"] == large["ListRolePolicies"] == 0


def test_user_run_reads_only_access_keys_per_user(iam: Any) -> None:
    calls = calls_for(iam, 40, "user")
    assert calls["ListAccessKeys"] == 40  # the one per-user read (fact 3 warning)
    assert calls["PutUserPolicy"] == 40
    assert calls["GetAccountAuthorizationDetails"] == 2  # plan, then read-back
    per_user = {"GetUser", "ListUserPolicies", "GetUserPolicy", "ListAttachedUserPolicies"}
    assert not per_user & set(calls)


def test_few_targets_are_read_per_principal(iam: Any) -> None:
    calls = calls_for(iam, 3, "user")
    assert calls["GetAccountAuthorizationDetails"] == 0
    assert calls["GetUser"] == 3


class FakePaginator:
    def __init__(self, pages: list[dict[str, Any]], seen: list[dict[str, Any]]) -> None:
        self.pages = pages
        self.seen = seen

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.seen.append(kwargs)
        yield from self.pages


class FakeClient:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages
        self.seen: list[dict[str, Any]] = []

    def get_paginator(self, operation: str) -> FakePaginator:
        assert operation == "get_account_authorization_details"
        return FakePaginator(self.pages, self.seen)


class FakeGateway:
    def __init__(self, client: FakeClient) -> None:
        self.bulk_reader = client


def detail(name: str) -> dict[str, Any]:
    return {
        "UserName": name,
        "Arn": f"arn:aws:iam::123456789012:user/{name}",
        "Path": "/",
        "UserPolicyList": [{"PolicyName": "P", "PolicyDocument": ALLOW_ALL}],
        "AttachedManagedPolicies": [],
    }


def test_pages_are_followed_and_only_the_targets_kept() -> None:
    from revoke.aws.bulk import PAGE_SIZE, read_states

    pages = [{"UserDetailList": [detail(f"a{p}{i}") for i in range(3)]} for p in range(4)]
    client = FakeClient(pages)
    states = read_states(FakeGateway(client), "user", ["a01", "A32", "zz"])  # type: ignore[arg-type]
    assert sorted(states) == ["a01", "a32"]  # case-insensitive, missing ones absent
    assert states["a32"].name == "a32"  # IAM's spelling
    assert states["a01"].inline_policies == {"P": ALLOW_ALL}
    assert client.seen == [{"Filter": ["User"], "PaginationConfig": {"PageSize": PAGE_SIZE}}]


def test_stale_bulk_read_back_gets_a_second_look_per_row(
    iam: Any, gateway: IamGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revoke.aws import bulk

    names = seed_users(iam, 25)
    result = plan_run(gateway, "user", targets(names), CUTOFF)
    real = bulk.scan_inline
    calls: list[str] = []

    def stale(gateway: Any, kind: str, wanted: Any, visit: Any) -> None:
        def not_yet(name: str, document: Any) -> None:
            visit(name, None if name == "u003" else document)  # not propagated yet

        real(gateway, kind, wanted, not_yet)

    original_get_inline = gateway.get_inline

    def get_inline(kind: str, name: str, policy_name: str) -> Any:
        calls.append(name)
        return original_get_inline(kind, name, policy_name)

    monkeypatch.setattr(bulk, "scan_inline", stale)
    monkeypatch.setattr(gateway, "get_inline", get_inline)
    apply_run(gateway, result)
    assert calls == ["u003"]
    assert {t.verification["read_back"]["status"] for t in result.targets} == {"ok"}
    assert {t.verification["status"] for t in result.targets} == {"unverified"}


def test_refused_bulk_read_falls_back_to_per_principal_with_a_warning(
    iam: Any, gateway: IamGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = seed_users(iam, 22)

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise AwsFailure("iam:GetAccountAuthorizationDetails: AccessDenied", code="AccessDenied")

    monkeypatch.setattr(gateway, "read_principals_bulk", refused)
    result = plan_run(gateway, "user", targets(names), CUTOFF)
    assert {t.status for t in result.targets} == {"planned"}
    assert any(
        "GetAccountAuthorizationDetails was refused" in w for w in result.to_json()["warnings"]
    )


def test_other_bulk_failures_are_not_hidden(
    iam: Any, gateway: IamGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = seed_users(iam, 22)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise AwsFailure("cannot reach the AWS endpoint", code="EndpointUnreachable")

    monkeypatch.setattr(gateway, "read_principals_bulk", broken)
    with pytest.raises(AwsFailure):
        plan_run(gateway, "user", targets(names), CUTOFF)


# -- the credential report: per-user reads only for users that have keys, password, MFA ----


def fresh_reports(gateway: IamGateway) -> None:
    """moto dates every credential report 2015-02-02 (so, stale); date it now, as AWS
    dates one it has just generated."""
    from datetime import datetime, timezone

    def now(parsed: dict[str, Any], **_kwargs: Any) -> None:
        if "GeneratedTime" in parsed:
            parsed["GeneratedTime"] = datetime.now(timezone.utc)

    gateway.session.boto.events.register("after-call.iam.GetCredentialReport", now)


def people(iam: Any) -> list[str]:
    """25 users: one with an access key, one with a console password, one with MFA."""
    names = seed_users(iam, 25)
    iam.create_access_key(UserName="u001")
    iam.create_login_profile(UserName="u002", Password="Correct-Horse-9")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="u003")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName="u003",
        SerialNumber=serial,
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="u004")
    return names


def evidence(gateway: IamGateway, names: list[str]) -> dict[str, Any]:
    return {
        name: (
            gateway.login_profile(name),
            gateway.mfa_devices(name),
            gateway.groups_for_user(name),
        )
        for name in names
    }


def test_fresh_report_spares_the_reads_of_users_without_keys_password_or_mfa(iam: Any) -> None:
    names = people(iam)
    session = AwsSession(region="us-east-1")
    counter = CallCounter()
    counter.attach(session)
    gateway = IamGateway(session)
    fresh_reports(gateway)
    result = plan_run(gateway, "user", targets(names), CUTOFF)
    assert counter.calls["ListAccessKeys"] == 1  # u001 only
    assert [w for w in result.to_json()["warnings"] if "access keys" in w][0].startswith(
        "user u001"
    )
    before = counter.calls.copy()
    found = evidence(gateway, names)
    made = counter.calls - before
    assert made == Counter({"GetLoginProfile": 1, "ListMFADevices": 1})  # u002, u003
    # The same answers as asking IAM about every user.
    assert found == evidence(IamGateway(AwsSession(region="us-east-1")), names)
    # Each prefetched answer is used once: asking again asks IAM.
    gateway.groups_for_user("u004")
    assert counter.calls["ListGroupsForUser"] == 1


def test_stale_report_means_per_user_reads_for_everyone(iam: Any) -> None:
    names = people(iam)  # moto's report is dated 2015: not fresh
    session = AwsSession(region="us-east-1")
    counter = CallCounter()
    counter.attach(session)
    gateway = IamGateway(session)
    plan_run(gateway, "user", targets(names), CUTOFF)
    assert counter.calls["GetCredentialReport"] == 1
    assert counter.calls["ListAccessKeys"] == 25
    before = counter.calls.copy()
    evidence(gateway, names)
    made = counter.calls - before
    assert made["GetLoginProfile"] == made["ListMFADevices"] == 25
    assert made["ListGroupsForUser"] == 0  # groups come with the bulk read either way


class ReportClient:
    """generate/get_credential_report answering from a script of outcomes."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.gets = 0

    def generate_credential_report(self) -> dict[str, str]:
        return {"State": "STARTED"}

    def get_credential_report(self) -> dict[str, Any]:
        self.gets += 1
        answer = self.answers.pop(0)
        if isinstance(answer, str):
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": answer, "Message": answer}}, "GetCredentialReport")
        return answer  # type: ignore[no-any-return]


REPORT = (
    b"user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    b"password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    b"access_key_2_active,access_key_2_last_rotated\n"
    b"<root_account>,arn:aws:iam::1:root,x,not_supported,x,x,x,true,false,N/A,false,N/A\n"
    b"Alice,arn:aws:iam::1:user/Alice,x,false,x,x,x,false,false,2026-01-01T00:00:00+00:00,false,N/A\n"
    b"bob,arn:aws:iam::1:user/bob,x,true,x,x,x,true,false,N/A,false,N/A\n"
)


def report_at(seconds: float) -> dict[str, Any]:
    from datetime import datetime, timezone

    return {"Content": REPORT, "GeneratedTime": datetime.fromtimestamp(seconds, timezone.utc)}


def read_report(client: ReportClient, clock: list[float]) -> Any:
    from revoke.aws.bulk import credential_report

    gateway = SimpleNamespace(bulk_reader=client)
    return credential_report(
        gateway,  # type: ignore[arg-type]
        clock=lambda: clock[0],
        sleep=lambda seconds: clock.__setitem__(0, clock[0] + seconds),
    )


def test_report_being_generated_is_waited_for_and_parsed() -> None:
    clock = [1_000_000.0]
    client = ReportClient("ReportInProgress", "ReportInProgress", report_at(1_000_000.5))
    report = read_report(client, clock)
    assert client.gets == 3
    assert set(report) == {"alice", "bob"}  # the root account's line is not a user
    # An inactive key is still a key: its user gets ListAccessKeys (evidence, parity).
    assert report["alice"].has_keys and not report["alice"].password_enabled
    assert (
        not report["bob"].has_keys and report["bob"].password_enabled and report["bob"].mfa_active
    )


def test_old_slow_or_refused_reports_are_not_used() -> None:
    from revoke.aws.bulk import REPORT_MAX_AGE, REPORT_WAIT

    now = 1_000_000.0
    assert read_report(ReportClient(report_at(now - REPORT_MAX_AGE - 1)), [now]) is None
    slow = ReportClient(*["ReportInProgress"] * 100)
    clock = [now]
    assert read_report(slow, clock) is None
    assert clock[0] - now <= REPORT_WAIT
    assert read_report(ReportClient("AccessDenied"), [now]) is None


# -- verification layer 2 over many targets: policies from the bulk read ---------------------


def test_prefetched_identity_policies_equal_per_principal_reads(iam: Any) -> None:
    from revoke.aws.policies import PolicyReader

    names = varied_account(iam)
    iam.put_group_policy(
        GroupName="ops", PolicyName="OpsInline", PolicyDocument=json.dumps(ALLOW_ALL)
    )
    admin = next(
        p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == "Admin"
    )
    iam.attach_group_policy(GroupName="ops", PolicyArn=admin)
    session = AwsSession(region="us-east-1")
    counter = CallCounter()
    counter.attach(session)
    gateway = IamGateway(session)
    bulk = PolicyReader(gateway)
    bulk.prefetch("user", names)
    before = counter.calls.copy()
    found = {name: sorted(bulk.identity_policies("user", name), key=str) for name in names}
    made = counter.calls - before
    per_user = {
        "ListUserPolicies",
        "GetUserPolicy",
        "ListAttachedUserPolicies",
        "ListGroupsForUser",
    }
    assert not per_user & set(made)
    assert made["GetPolicyVersion"] <= 2  # each managed document once: Admin, u008's fallback
    single = PolicyReader(IamGateway(AwsSession(region="us-east-1")))
    assert found == {
        name: sorted(single.identity_policies("user", name), key=str) for name in names
    }
    assert any(label.startswith("group:ops:inline:") for label, _ in found["u009"])


def test_many_managed_fallbacks_come_from_one_more_bulk_pass(iam: Any) -> None:
    from revoke.aws.bulk import FALLBACK_BULK_THRESHOLD

    names = seed_users(iam, FALLBACK_BULK_THRESHOLD + 5)
    for i, name in enumerate(names):
        arn = iam.create_policy(
            PolicyName=managed_policy_name("user", name),
            Path=MANAGED_POLICY_PATH,
            PolicyDocument=revocation(f"2026-03-{i + 1:02d}T00:00:00Z"),
        )["Policy"]["Arn"]
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    session = AwsSession(region="us-east-1")
    counter = CallCounter()
    counter.attach(session)
    states = IamGateway(session).read_principals_bulk("user", names)
    assert counter.calls["GetPolicyVersion"] == 0
    assert counter.calls["GetAccountAuthorizationDetails"] == 2  # users, then local policies
    for i, name in enumerate(names):
        document = states[name].managed_fallback_document
        assert document is not None
        assert json.dumps(document, separators=(",", ":")) == revocation(
            f"2026-03-{i + 1:02d}T00:00:00Z"
        ).replace(" ", "")


def test_a_failed_bulk_read_leaves_no_thread_that_would_hold_the_exit(
    iam: Any, gateway: IamGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credential report is read beside the bulk call, on a daemon thread: Python joins
    every non-daemon thread (and every executor worker) at exit, so a report still being
    retried when the bulk call fails would hold the exit of the failed run."""
    import threading
    import time
    from concurrent.futures import thread as executor_threads

    from revoke.aws import bulk

    def held() -> set[threading.Thread]:
        workers = set(executor_threads._threads_queues)  # noqa: SLF001 - what exit joins
        return {t for t in threading.enumerate() if not t.daemon} | workers

    def slow_report(_gateway: Any) -> None:
        time.sleep(2)  # an endpoint that is being retried

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise AwsFailure("cannot reach the AWS endpoint", code="EndpointUnreachable")

    names = seed_users(iam, 22)
    monkeypatch.setattr(bulk, "credential_report", slow_report)
    monkeypatch.setattr(gateway, "read_principals_bulk", broken)
    before = held()
    with pytest.raises(AwsFailure):
        plan_run(gateway, "user", targets(names), CUTOFF)
    assert [t for t in held() - before if t.is_alive()] == []
