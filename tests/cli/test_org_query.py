"""`revoke org --dry-run --query X --output table` prints the query's result alone: the
service control policy the dry-run table shows under its table does not follow it (as
`revoke user|role` since 4a8d684). Against moto's Organizations, and offline."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from tests.helpers import run_cli

CUTOFF = "2026-11-01T05:00:00Z"
SCP_HEADING = "service control policy to be written"
QUERY_TABLE = (  # a list of scalars is one column, as aws --output table draws it
    "--------------------------\n"
    "|    targets[].cutoff    |\n"
    "+------------------------+\n"
    f"|  {CUTOFF}  |\n"
    "+------------------------+\n"
)


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


@pytest.fixture
def organization() -> Iterator[None]:
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        client.create_account(AccountName="prod", Email="prod@example.com")
        yield


@pytest.mark.parametrize("mode", ["--dry-run", "--offline"])
def test_a_query_on_a_dry_run_prints_its_result_alone(organization: None, mode: str) -> None:
    args = ["--output", "table", "org", "--before", CUTOFF, mode]
    result = run_cli("--query", "targets[].cutoff", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == QUERY_TABLE
    plain = run_cli(*args)  # without --query the table still shows the policy under it
    assert plain.exit_code == 0, plain.stderr
    assert SCP_HEADING in plain.stdout and CUTOFF in plain.stdout.split(SCP_HEADING)[1]
