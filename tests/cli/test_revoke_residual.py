"""Every containment run ends with the residual report (issue 15 item 2): `revoke user`,
`revoke role` and `revoke key` against moto, in JSON (`residual`) and in the table.

moto has no ListServiceSpecificCredentials and no AWS Sign-In: the fixtures of
tests/ops/test_residual.py stand in for those two reads, so every path is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core import coverage as cov
from revoke.ops.pipeline import RESIDUAL_TARGET_LIMIT
from tests.helpers import json_out, run_cli
from tests.ops.test_residual import Fakes

CUTOFF = "2026-11-01T05:00:00Z"


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        yield client


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    found = Fakes()
    found.install(monkeypatch)
    return found


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # a rich table folds long cells in 80 columns


def paths_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["path"]: p for p in report["paths"]}


def test_an_active_key_left_active_is_reported_open_with_its_command(
    iam: Any, fakes: Fakes
) -> None:
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    result = run_cli("--output", "json", "user", "alice", "--before", CUTOFF)
    # The deny did what it says: the run's exit code is today's, not residual's 3.
    assert result.exit_code == 0, result.stderr
    payload = json_out(result)
    (target,) = payload["targets"]
    assert target["verification"]["status"] == "verified"
    (report,) = payload["residual"]
    assert report["principal"]["name"] == "alice" and report["cutoff"] == CUTOFF
    assert report["open"] == 1 and report["unchecked"] == 0
    keys = paths_of(report)[cov.ACCESS_KEYS]
    assert keys["state"] == cov.OPEN and key in keys["detail"]
    assert keys["closes"] == ["revoke user alice --before now --deactivate-keys"]
    assert paths_of(report)[cov.SESSIONS]["state"] == cov.CONTAINED
    warning = next(w for w in payload["warnings"] if "still open" in w)
    assert "access-keys" in warning and "`revoke residual user alice`" in warning
    assert "revoke residual user alice" in result.stderr


def test_the_table_never_says_verified_alone_while_a_path_is_open(
    iam: Any, fakes: Fakes, wide: None
) -> None:
    iam.create_access_key(UserName="alice")
    result = run_cli("--output", "table", "user", "alice", "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "alice" in line and "applied" in line)
    # No probe credentials: the table says enforcement was not part of "verified".
    assert "verified (enforcement skipped, 1 path open)" in row
    (line,) = [line for line in result.stdout.splitlines() if "access-keys open" in line]
    assert line.startswith("user alice: access-keys open:")
    assert "revoke user alice --before now --deactivate-keys" in line
    assert "revoke residual user alice" in result.stderr


def test_text_output_stays_one_line_a_target_and_says_it_too(iam: Any, fakes: Fakes) -> None:
    iam.create_access_key(UserName="alice")
    result = run_cli("--output", "text", "user", "alice", "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.strip().splitlines()
    assert "verified (1 path open)" in line.split("\t")


def test_keys_deactivated_and_console_disabled_leave_those_paths_closed(
    iam: Any, fakes: Fakes, wide: None
) -> None:
    iam.create_access_key(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9!")
    args = ("user", "alice", "--before", CUTOFF, "--deactivate-keys", "--disable-console")
    result = run_cli("--output", "json", *args)
    assert result.exit_code == 0, result.stderr
    (report,) = json_out(result)["residual"]
    paths = paths_of(report)
    assert paths[cov.ACCESS_KEYS]["state"] == cov.CONTAINED
    assert paths[cov.CONSOLE_PASSWORD]["state"] == cov.ABSENT
    assert report["open"] == 0 and report["unchecked"] == 0
    assert not [w for w in json_out(result)["warnings"] if "still open" in w]
    # Nothing open: the table's cell is the plain status (a rerun: nothing left to write).
    again = run_cli("--output", "table", *args)
    assert again.exit_code == 0, again.stderr
    row = next(
        line for line in again.stdout.splitlines() if "alice" in line and "unchanged" in line
    )
    assert "path" not in row and "open" not in again.stdout


def test_a_rerun_with_nothing_to_write_still_reports(iam: Any, fakes: Fakes) -> None:
    assert run_cli("--output", "json", "user", "alice", "--before", CUTOFF).exit_code == 0
    iam.create_access_key(UserName="alice")
    result = run_cli("--output", "json", "user", "alice", "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    payload = json_out(result)
    assert payload["targets"][0]["status"] == "unchanged"
    assert paths_of(payload["residual"][0])[cov.ACCESS_KEYS]["state"] == cov.OPEN


@pytest.mark.parametrize("flag", ["--dry-run", "--offline"])
def test_dry_run_and_offline_have_residual_null(iam: Any, fakes: Fakes, flag: str) -> None:
    iam.create_access_key(UserName="alice")
    result = run_cli("--output", "json", "user", "alice", "--before", CUTOFF, flag)
    assert result.exit_code == 0, result.stderr
    payload = json_out(result)
    assert "residual" in payload and payload["residual"] is None
    assert fakes.calls == []  # no residual read at all


def test_a_failed_target_gets_no_report(iam: Any, fakes: Fakes) -> None:
    result = run_cli("--output", "json", "user", "alice", "nobody", "--before", CUTOFF)
    assert result.exit_code == 4, result.stderr  # partial, as before
    payload = json_out(result)
    assert [t["status"] for t in payload["targets"]] == ["applied", "failed"]
    assert [r["principal"]["name"] for r in payload["residual"]] == ["alice"]


def test_a_role_reports_its_trust_policy(iam: Any, fakes: Fakes) -> None:
    iam.create_role(
        RoleName="app",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}',
    )
    result = run_cli("--output", "json", "role", "app", "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    (report,) = json_out(result)["residual"]
    assert paths_of(report)[cov.TRUST_POLICY]["closes"] == [
        "revoke role app --before now --lock-trust"
    ]


def test_revoke_key_goes_through_the_same_report(iam: Any, fakes: Fakes) -> None:
    leaked = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    other = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    result = run_cli("--output", "json", "key", leaked)
    assert result.exit_code == 0, result.stderr
    (report,) = json_out(result)["residual"]
    keys = paths_of(report)[cov.ACCESS_KEYS]
    # The leaked key is deactivated; the user's other key is still a way in.
    assert keys["state"] == cov.OPEN and other in keys["detail"] and leaked not in keys["detail"]


def test_a_bulk_run_skips_the_per_target_reads_and_says_which_command(
    iam: Any, fakes: Fakes
) -> None:
    names = [f"u{n}" for n in range(RESIDUAL_TARGET_LIMIT)]
    for name in names:
        iam.create_user(UserName=name)
    result = run_cli("--output", "json", "user", "alice", *names, "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    payload = json_out(result)
    assert payload["residual"] is None
    assert fakes.calls == []
    (warning,) = [w for w in payload["warnings"] if "residual report skipped" in w]
    assert "`revoke residual --all`" in warning and "`revoke residual user NAME`" in warning
