"""`revoke verify`, `revoke status`, and verification as `revoke user` reports it (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.aws.probe import Probe
from revoke.core.policy import POLICY_NAME
from revoke.ops import probing
from revoke.ops import verify as v
from tests.aws.test_probe import EXPLICIT, IMPLICIT, StubS3, client_error
from tests.helpers import assert_clean_failure, json_out, run_cli
from tests.ops.test_verify import FakeTime

CUTOFF = "2026-11-01T05:00:00Z"
ALICE = "arn:aws:iam::123456789012:user/alice"


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        yield client


def cli(*args: str) -> Any:
    return run_cli("--output", "json", *args)


def stub_probe(monkeypatch: pytest.MonkeyPatch, *answers: BaseException | None) -> Probe:
    """Replace --probe-profile's credentials by a stubbed S3 client, and the clock by a
    fake one (the deadline passes without real waiting)."""
    probe = Probe(client=StubS3(*answers))
    probe.arn = ALICE
    monkeypatch.setattr(probing, "open_probe", lambda g, profile, targets=None, cutoff=None: probe)
    timing = FakeTime().timing()
    monkeypatch.setattr(v, "Timing", lambda: timing)
    return probe


# -- automatic verification after apply ---------------------------------------------------


def test_revoke_reports_all_three_layers(iam: Any) -> None:
    result = cli("user", "alice", "--before", "now")
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    ver = target["verification"]
    assert ver["status"] == "verified"
    assert ver["read_back"]["status"] == "ok"
    assert ver["logic"]["status"] == "ok"
    assert {c["case"] for c in ver["logic"]["cases"]} == {
        "issued_before_cutoff",
        "issued_after_cutoff",
        "no_token_issue_time",
    }
    assert ver["logic"]["simulation"]["status"] == "not available"
    assert ver["enforcement"] == {"status": "skipped", "reason": "no probe credentials"}
    # People read the layers on stderr, whatever the output format.
    assert "enforcement skipped: no probe credentials" in result.stderr


def test_no_verify_skips_the_layers(iam: Any) -> None:
    result = cli("user", "alice", "--before", CUTOFF, "--no-verify")
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    # Layer 1 ran and is reported; only verify_run may say "verified".
    assert target["verification"]["status"] == "skipped"
    assert target["verification"]["read_back"]["status"] == "ok"
    assert "logic" not in target["verification"]
    assert "enforcement" not in target["verification"]


def test_revoke_with_probe_confirms(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stub_probe(monkeypatch, None, client_error("AccessDenied", EXPLICIT))
    result = cli("user", "alice", "--before", CUTOFF, "--probe-profile", "probe")
    assert result.exit_code == 0, result.stderr
    enforcement = json_out(result)["targets"][0]["verification"]["enforcement"]
    assert enforcement["status"] == "confirmed"
    assert enforcement["attempts"] == 2
    assert enforcement["seconds"] >= 1


def test_revoke_probe_deadline_passing_exits_3(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stub_probe(monkeypatch, None)
    result = cli("user", "alice", "--before", CUTOFF, "--probe-profile", "p", "--deadline", "1m")
    assert result.exit_code == 3, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["status"] == "applied"  # the deny is written; it is only not confirmed
    assert target["verification"]["status"] == "unverified"
    assert target["verification"]["enforcement"]["status"] == "unconfirmed"
    assert target["verification"]["enforcement"]["seconds"] == pytest.approx(60)


def write_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, key: str) -> None:
    path = tmp_path / "probe-credentials"
    path.write_text(
        f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = probe-secret-not-real\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))


def test_long_term_probe_key_is_refused_before_anything_changes(
    iam: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fact 9: the deny never applies to a long-term key, so it cannot prove anything.
    write_profile(tmp_path, monkeypatch, "longterm", "AKIAPROBEEXAMPLE0001")
    result = cli("user", "alice", "--before", CUTOFF, "--probe-profile", "longterm")
    assert_clean_failure(result, 2)
    assert "long-term" in result.stderr
    assert "probe-secret-not-real" not in result.stderr
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


def test_missing_probe_profile_exits_253_and_changes_nothing(iam: Any) -> None:
    result = cli("user", "alice", "--before", CUTOFF, "--probe-profile", "nosuchprofile")
    assert_clean_failure(result, 253)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


@pytest.mark.parametrize("deadline", ["soon", "-5", "2d"])
def test_bad_deadline_exits_2_and_changes_nothing(iam: Any, deadline: str) -> None:
    result = cli("user", "alice", "--before", CUTOFF, "--deadline", deadline)
    assert_clean_failure(result, 2)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


# -- a probe the token ledger knows was issued at or after the cutoff ----------------------

PROBE_KEY = "ASIAPROBEEXAMPLE0001"


def ledger_probe(
    monkeypatch: pytest.MonkeyPatch, issued_at: str, *answers: BaseException | None
) -> Probe:
    """--probe-profile's credentials: a session `revoke token issue` recorded in the ledger
    as issued at `issued_at`, answering the probe call from a script."""
    from datetime import timedelta

    from revoke.cli.context import default_state_dir
    from revoke.core.timeparse import cutoff_datetime
    from revoke.state.ledger import Ledger, new_record

    issued = cutoff_datetime(issued_at)
    Ledger.in_state_dir(default_state_dir()).append(
        new_record(
            access_key_id=PROBE_KEY,
            principal_arn=ALICE,
            account="123456789012",
            expiration=issued + timedelta(hours=12),
            duration_seconds=43200,
            mfa_serial=None,
            source_access_key_id=None,
            profile_written="probe",
            now=issued,
        )
    )
    probe = Probe(client=StubS3(*answers))
    probe.access_key_id = PROBE_KEY
    monkeypatch.setattr(Probe, "from_profile", classmethod(lambda cls, profile, **_: probe))
    timing = FakeTime().timing()
    monkeypatch.setattr(v, "Timing", lambda: timing)
    return probe


@pytest.mark.parametrize("issued_at", [CUTOFF, "2026-11-01T06:00:00Z"])
def test_probe_issued_at_or_after_the_cutoff_is_refused_before_anything_changes(
    iam: Any, monkeypatch: pytest.MonkeyPatch, issued_at: str
) -> None:
    # DateLessThan never reaches it (fact 10): any deny it met would be another policy's.
    probe = ledger_probe(monkeypatch, issued_at, client_error("AccessDenied", EXPLICIT))
    result = cli("user", "alice", "--before", CUTOFF, "--probe-profile", "probe")
    assert_clean_failure(result, 2)
    assert (
        f"the probe token was issued at {issued_at}, not before the cutoff {CUTOFF}: it "
        "cannot show the revocation" in result.stderr
    )
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []
    assert probe.client.calls == 0


def test_probe_issued_before_the_cutoff_is_used(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = ledger_probe(
        monkeypatch, "2026-11-01T04:59:59Z", client_error("AccessDenied", EXPLICIT)
    )
    result = cli("user", "alice", "--before", CUTOFF, "--probe-profile", "probe")
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["targets"][0]["verification"]["enforcement"]["status"] == "confirmed"
    assert probe.client.calls == 1


def test_verify_refuses_a_probe_issued_after_the_cutoff_in_force(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("user", "alice", "--before", CUTOFF).exit_code == 0
    probe = ledger_probe(
        monkeypatch, "2026-11-01T05:00:01Z", client_error("AccessDenied", EXPLICIT)
    )
    result = cli("verify", "user", "alice", "--probe-profile", "probe")
    assert_clean_failure(result, 2)
    assert "not before the cutoff 2026-11-01T05:00:00Z" in result.stderr
    assert probe.client.calls == 0


# -- revoke verify ---------------------------------------------------------------------------


def test_verify_on_its_own(iam: Any) -> None:
    assert cli("user", "alice", "--before", CUTOFF).exit_code == 0
    result = cli("verify", "user", "alice")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert (out["action"], out["cutoff"]) == ("verify", CUTOFF)
    (target,) = out["targets"]
    assert target["verification"]["status"] == "verified"
    assert target["verification"]["read_back"] == {"status": "ok", "cutoff": CUTOFF}
    assert target["verification"]["logic"]["status"] == "ok"
    assert target["verification"]["enforcement"]["reason"] == "no probe credentials"


def test_verify_reads_the_console_policy_too(iam: Any) -> None:
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument="{}")
    console = {  # the console writes lists, we write scalars: both are revocations
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": CUTOFF}},
            }
        ],
    }
    iam.put_role_policy(
        RoleName="Deploy", PolicyName=POLICY_NAME, PolicyDocument=json.dumps(console)
    )
    result = cli("verify", "role", "Deploy")
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["targets"][0]["verification"]["status"] == "verified"


def test_verify_with_implicit_deny_probe_exits_3(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("user", "alice", "--before", CUTOFF).exit_code == 0
    stub_probe(monkeypatch, client_error("AccessDenied", IMPLICIT))
    result = cli("verify", "user", "alice", "--probe-profile", "p", "--deadline", "30")
    assert result.exit_code == 3, result.stderr
    enforcement = json_out(result)["targets"][0]["verification"]["enforcement"]
    assert enforcement["status"] == "implicit-deny"
    assert "no identity-based policy allows" in enforcement["message"]


def test_verify_with_explicit_deny_probe_confirms(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("user", "alice", "--before", CUTOFF).exit_code == 0
    stub_probe(monkeypatch, client_error("AccessDenied", EXPLICIT))
    result = cli("verify", "user", "alice", "--probe-profile", "p")
    assert result.exit_code == 0, result.stderr
    enforcement = json_out(result)["targets"][0]["verification"]["enforcement"]
    assert (enforcement["status"], enforcement["attempts"]) == ("confirmed", 1)


def test_verify_without_revocation_exits_254(iam: Any) -> None:
    result = cli("verify", "user", "alice")
    assert_clean_failure(result, 254)
    assert "no revocation policy" in result.stderr
    assert "revoke user alice --before now" in result.stderr


def test_verify_unknown_principal_exits_254(iam: Any) -> None:
    assert_clean_failure(cli("verify", "user", "nobody"), 254)


@pytest.mark.parametrize(
    "args",
    [("verify", "group", "devs"), ("verify", "user", "bad name!"), ("verify", "user", "root")],
)
def test_verify_bad_input_exits_2(iam: Any, args: tuple[str, ...]) -> None:
    assert_clean_failure(cli(*args), 2)


def test_verify_text_output_is_one_line(iam: Any) -> None:
    assert cli("user", "alice", "--before", CUTOFF).exit_code == 0
    result = run_cli("--output", "text", "verify", "user", "alice")
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.strip().splitlines()
    assert line.split("\t")[:2] == ["user", "alice"]
    assert "verified" in line.split("\t")


# -- revoke status ---------------------------------------------------------------------------


def test_status_lists_every_revocation_in_the_account(iam: Any) -> None:
    iam.create_user(UserName="bob")
    iam.create_user(UserName="carol")
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument="{}")
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 1900}
        ],
    }
    iam.put_user_policy(UserName="bob", PolicyName="Theirs", PolicyDocument=json.dumps(big))
    assert cli("user", "alice", "bob", "--before", CUTOFF).exit_code == 0
    assert cli("role", "Deploy", "--before", "2026-11-01T06:00:00Z").exit_code == 0

    result = cli("status")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["action"] == "status"
    rows = {(t["kind"], t["name"]): t for t in out["targets"]}
    assert set(rows) == {("user", "alice"), ("user", "bob"), ("role", "Deploy")}  # not carol
    assert {
        k: rows["user", "alice"][k] for k in ("account", "policy_name", "cutoff", "mechanism")
    } == {
        "account": "123456789012",
        "policy_name": POLICY_NAME,
        "cutoff": CUTOFF,
        "mechanism": "inline",
    }
    assert rows["user", "bob"]["mechanism"] == "managed"
    assert rows["user", "bob"]["policy_name"] == "AWSRevokeOlderSessions-user-bob"
    assert rows["user", "bob"]["cutoff"] == CUTOFF
    assert rows["role", "Deploy"]["cutoff"] == "2026-11-01T06:00:00Z"


def test_status_of_one_principal(iam: Any) -> None:
    assert cli("user", "alice", "--before", CUTOFF).exit_code == 0
    result = cli("status", "user", "alice")
    assert result.exit_code == 0, result.stderr
    (row,) = json_out(result)["targets"]
    assert (row["name"], row["cutoff"], row["mechanism"]) == ("alice", CUTOFF, "inline")


def test_status_without_revocations_is_empty_and_says_so(iam: Any) -> None:
    result = cli("status", "user", "alice")
    assert result.exit_code == 0, result.stderr
    assert json_out(result) == {"action": "status", "targets": []}
    assert "no revocation in force" in result.stderr
    everything = cli("status")
    assert json_out(everything)["targets"] == []


def test_status_errors(iam: Any) -> None:
    assert_clean_failure(cli("status", "user"), 2)
    assert_clean_failure(cli("status", "group", "devs"), 2)
    assert_clean_failure(cli("status", "user", "nobody"), 254)
