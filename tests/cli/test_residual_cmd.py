"""`revoke residual`: exit codes and JSON keys through the real error boundary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core import coverage as cov
from tests.helpers import assert_clean_failure, json_out, run_cli
from tests.ops.test_residual import Fakes, compromised_user, contain, now_cutoff


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        yield boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    found = Fakes()
    found.install(monkeypatch)
    return found


def test_open_user_exits_3_with_every_path_and_its_command(iam: Any, fakes: Fakes) -> None:
    compromised_user(iam, fakes)
    result = run_cli("--output", "json", "residual", "user", "alice", "--since", "-1h")
    assert result.exit_code == 3, result.stderr
    payload = json_out(result)
    assert set(payload) >= {"action", "principal", "paths", "open"}
    assert payload["action"] == "residual"
    assert payload["principal"]["name"] == "alice"
    assert payload["open"] == len(cov.USER_PATHS)
    for path in payload["paths"]:
        assert path["state"] == "open"
        assert path["closes"], path
    assert "Traceback" not in result.stderr


def test_contained_user_exits_0(iam: Any, fakes: Fakes) -> None:
    made = compromised_user(iam, fakes)
    cutoff = now_cutoff()
    contain(iam, fakes, "alice", made, cutoff)
    result = run_cli("--output", "json", "residual", "user", "alice", "--before", cutoff)
    assert result.exit_code == 0, result.stdout + result.stderr
    payload = json_out(result)
    assert payload["open"] == 0 and payload["unchecked"] == 0
    assert payload["cutoff"] == cutoff


def test_table_and_text_output(iam: Any, fakes: Fakes) -> None:
    compromised_user(iam, fakes)
    text = run_cli("--output", "text", "residual", "user", "alice")
    assert text.exit_code == 3
    lines = text.stdout.strip().splitlines()
    assert len(lines) == len(cov.USER_PATHS)
    assert lines[0].split("\t")[:4] == ["user", "alice", cov.ACCESS_KEYS, "open"]
    table = run_cli("--output", "table", "residual", "user", "alice")
    assert table.exit_code == 3
    assert "access-keys" in table.stdout


def test_role(iam: Any, fakes: Fakes) -> None:
    iam.create_role(
        RoleName="app",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}',
    )
    result = run_cli("--output", "json", "residual", "role", "app")
    assert result.exit_code == 3
    paths = {p["path"]: p for p in json_out(result)["paths"]}
    assert paths[cov.TRUST_POLICY]["closes"] == ["revoke role app --before now --lock-trust"]


def test_all(iam: Any, fakes: Fakes) -> None:
    compromised_user(iam, fakes, "carol")
    result = run_cli("--output", "json", "residual", "--all")
    assert result.exit_code == 3, result.stderr
    payload = json_out(result)
    assert payload["action"] == "residual" and payload["scope"] == "account"
    assert payload["open"] > 0
    assert [p["principal"]["name"] for p in payload["principals"]] == ["carol"]
    assert "--all does not check ssh-public-keys" in result.stderr


def test_unknown_user_exits_254(iam: Any, fakes: Fakes) -> None:
    assert_clean_failure(run_cli("--output", "json", "residual", "user", "nobody"), 254)


@pytest.mark.parametrize(
    "args",
    [
        ["residual"],
        ["residual", "group", "x"],
        ["residual", "user"],
        ["residual", "user", "alice", "--all"],
        ["residual", "user", "alice", "--before", "2026-01-01T00:00:00"],
    ],
)
def test_bad_input_exits_2(args: list[str]) -> None:
    assert_clean_failure(run_cli("--output", "json", *args), 2)
