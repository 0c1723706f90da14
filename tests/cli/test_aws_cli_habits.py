"""Issue 18 item 2: the AWS CLI's habits (revoke/cli/app.py, revoke/cli/query.py,
revoke/cli/completion_cmd.py, the request log of revoke/aws/session.py): global options
after the command, --query, AWS_DEFAULT_OUTPUT, shell completion, --debug without a secret."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.cli import app as app_module
from tests.helpers import assert_clean_failure, json_out, run_cli

ROOT = Path(__file__).resolve().parents[2]
OFFLINE = ["user", "alice", "--before", "2026-11-29T05:00:00Z", "--offline"]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The global options each run's context was built from."""
    seen: list[dict[str, Any]] = []
    original = app_module.cli_context

    def spy(**options: Any) -> Any:
        seen.append(options)
        return original(**options)

    monkeypatch.setattr(app_module, "cli_context", spy)
    return seen


GLOBAL_OPTIONS = [
    (["--profile", "incident"], "profile", "incident"),
    (["--region", "eu-west-1"], "region", "eu-west-1"),
    (["--endpoint-url", "http://127.0.0.1:9"], "endpoint_url", "http://127.0.0.1:9"),
    (["--output", "text"], "output", "text"),
    (["-o", "text"], "output", "text"),
    (["--output=text"], "output", "text"),
    (["--query", "targets[0].name"], "query", "targets[0].name"),
    (["--journal", "/tmp/j.jsonl"], "journal_path", Path("/tmp/j.jsonl")),
    (["--yes"], "yes", True),
    (["-y"], "yes", True),
    (["--timeout", "30"], "timeout", 30.0),
    (["--debug"], "debug", True),
]


@pytest.mark.parametrize(("option", "field", "value"), GLOBAL_OPTIONS, ids=lambda v: str(v))
@pytest.mark.parametrize("position", ["before", "after"])
def test_every_global_option_works_before_and_after_the_command(
    captured: list[dict[str, Any]], option: list[str], field: str, value: Any, position: str
) -> None:
    args = [*option, *OFFLINE] if position == "before" else [*OFFLINE, *option]
    result = run_cli(*args)
    assert result.exit_code == 0, (args, result.stderr)
    assert captured[-1][field] == value


def test_nested_commands_take_global_options_after_them_too(
    captured: list[dict[str, Any]],
) -> None:
    result = run_cli("journal", "show", "--output", "json", "--journal", "/nonexistent/j")
    assert captured and captured[-1]["output"] == "json", result.stderr
    assert captured[-1]["journal_path"] == Path("/nonexistent/j")


def test_option_values_and_the_rest_after_a_double_dash_stay_where_they_are() -> None:
    from typer.main import get_command

    group = get_command(app_module.app)
    ctx = group.make_context("revoke", ["--help"], resilient_parsing=True)
    hoist = app_module.hoist_global_options
    # A value that looks like a global option is the value of the option before it.
    assert hoist(group, ctx, ["user", "--from-file", "--debug", "--before", "now"]) == [
        "user", "--from-file", "--debug", "--before", "now",
    ]  # fmt: skip
    assert hoist(group, ctx, ["user", "a", "--query", "--yes", "--before", "now"]) == [
        "--query", "--yes", "user", "a", "--before", "now",
    ]  # fmt: skip
    # After `--` everything is an argument.
    assert hoist(group, ctx, ["user", "--", "--profile", "x"]) == ["user", "--", "--profile", "x"]
    # The command's own option of the same name is the command's.
    assert hoist(group, ctx, ["token", "inspect", "--profile", "p", "--region", "r"]) == [
        "--region", "r", "token", "inspect", "--profile", "p",
    ]  # fmt: skip
    # Later wins, as when both are given before the command.
    assert hoist(group, ctx, ["-o", "json", "user", "a", "-o", "text"]) == [
        "-o", "json", "-o", "text", "user", "a",
    ]  # fmt: skip


def test_options_after_the_command_through_the_console_script(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOKE_")}
    done = subprocess.run(
        [sys.executable, "-m", "revoke", *OFFLINE, "--output", "text", "--query", "cutoff"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2026-11-29T05:00:00Z\n"


# --query


def test_query_selects_from_the_json_result() -> None:
    whole = json_out(run_cli("-o", "json", *OFFLINE))
    result = run_cli(*OFFLINE, "--query", "targets[0].policy_document")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == whole["targets"][0]["policy_document"]
    result = run_cli(*OFFLINE, "--query", "targets[].name")
    assert json.loads(result.stdout) == ["alice"]


def test_query_with_text_output_is_tab_separated_as_aws_prints_it() -> None:
    result = run_cli(*OFFLINE, "--query", "targets[].[kind, name, status]", "--output", "text")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "user\talice\tplanned\n"


def test_query_on_a_multi_target_result() -> None:
    result = run_cli(
        "user", "alice", "bob", "--before", "2026-11-29T05:00:00Z", "--offline",
        "--query", "targets[].{who: name, kind: kind}", "--output", "text",
    )  # fmt: skip
    assert result.stdout == "user\talice\nuser\tbob\n"  # keys in sorted order, as aws


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": "x", "nested": {"k": [1, 2]}, "list": [{"x": 1}, {"y": 2}]},
        [{"a": 1, "b": {"c": 2}}, {"a": 3}],
        [[1, 2], [3, 4], 5],
        ["a", "b"],
        "scalar",
        None,
        [],
        {"Statement": [{"Effect": "Deny", "Condition": {"DateLessThan": {"t": "z"}}}]},
    ],
)
def test_text_format_matches_the_aws_cli_byte_for_byte(value: Any) -> None:
    awscli_text = pytest.importorskip("awscli.text")
    from revoke.cli.query import format_text

    ours, theirs = io.StringIO(), io.StringIO()
    format_text(value, ours)
    awscli_text.format_text(value, theirs)
    assert ours.getvalue() == theirs.getvalue()


def test_query_with_table_output_prints_the_result_as_a_table() -> None:
    result = run_cli(*OFFLINE, "--query", "targets[].{name: name, status: status}", "-o", "table")
    assert result.exit_code == 0, result.stderr
    assert "alice" in result.stdout and "planned" in result.stdout
    assert "policy_document" not in result.stdout


def test_a_bad_query_is_exit_2_before_any_call() -> None:
    result = run_cli("--endpoint-url", "http://127.0.0.1:9", "user", "alice", "--before", "now",
                     "--query", "targets[")  # fmt: skip
    assert_clean_failure(result, 2)
    assert "JMESPath" in result.stderr


def test_query_implies_json_and_aws_default_output_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    choose = app_module.choose_output
    assert choose(None, query=None, isatty=True) == "table"
    assert choose(None, query="a", isatty=True) == "json"
    assert choose("text", query="a", isatty=True) == "text"
    monkeypatch.setenv("AWS_DEFAULT_OUTPUT", "text")
    assert choose(None, query=None, isatty=True) == "text"
    assert choose(None, query="a", isatty=False) == "text"
    assert choose("json", query=None, isatty=True) == "json"  # the option beats it


def test_aws_default_output_reaches_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_OUTPUT", "text")
    result = run_cli(*OFFLINE, "--query", "cutoff")
    assert result.stdout == "2026-11-29T05:00:00Z\n"


def test_aws_default_output_yaml_is_json_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_OUTPUT", "yaml")
    result = run_cli(*OFFLINE)
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["action"] == "revoke"
    assert "AWS_DEFAULT_OUTPUT=yaml is not supported" in result.stderr


def test_aws_default_output_that_is_no_format_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_OUTPUT", "xml")
    assert_clean_failure(run_cli(*OFFLINE), 2)


# Shell completion


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_that_names_revoke(shell: str) -> None:
    result = run_cli("completion", shell)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() and "revoke" in result.stdout
    assert "_REVOKE_COMPLETE" in result.stdout


def test_completion_of_an_unknown_shell_is_exit_2() -> None:
    assert_clean_failure(run_cli("completion", "tcsh"), 2)


def test_the_bash_script_gets_completions_from_revoke() -> None:
    env = dict(os.environ, _REVOKE_COMPLETE="complete_bash", COMP_WORDS="revoke us", COMP_CWORD="1")
    done = subprocess.run(
        [sys.executable, "-m", "revoke"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["user"]


# --debug


@pytest.fixture
def alice_session_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="alice")
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        token = "FwoGZXIvYXdzEJr" + "T" * 300  # shaped as a session token
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        yield {"secret": key["SecretAccessKey"], "token": token}


def test_debug_logs_each_request_and_no_secret(alice_session_env: dict[str, str]) -> None:
    result = run_cli("user", "alice", "--before", "now", "--dry-run", "--debug", "-o", "json")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("debug: ")]
    assert lines, result.stderr
    first = lines[0]
    assert first.startswith("debug: sts:GetCallerIdentity POST https://sts.")
    assert "-> 200, request ID " in first and first.endswith("(attempt 1)")
    assert any(line.startswith("debug: iam:") for line in lines)
    everything = result.stderr + result.stdout
    assert alice_session_env["secret"] not in everything
    assert "Signature=" not in everything and "Authorization" not in everything


def test_debug_logs_every_attempt_of_a_retried_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.retries.standard

    monkeypatch.setattr(
        botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0
    )
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    result = run_cli("--debug", "--endpoint-url", "http://127.0.0.1:9", "user", "alice",
                     "--before", "now", "--dry-run")  # fmt: skip
    lines = [line for line in result.stderr.splitlines() if line.startswith("debug: ")]
    assert [line.rsplit("(", 1)[1] for line in lines] == ["attempt 1)", "attempt 2)"]
    assert all("http://127.0.0.1:9/ -> EndpointConnectionError" in line for line in lines)


def test_without_debug_no_request_is_logged(alice_session_env: dict[str, str]) -> None:
    result = run_cli("user", "alice", "--before", "now", "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert "debug: " not in result.stderr


def test_a_presigned_url_is_logged_without_its_secrets() -> None:
    from revoke.aws.session import _redacted_url

    url = _redacted_url(
        "https://s3.amazonaws.com/b/k?X-Amz-Credential=AKIA%2F20261129&X-Amz-Signature=abc"
        "&X-Amz-Security-Token=tok&versionId=3"
    )
    assert "abc" not in url and "tok" not in url and "AKIA" not in url and "versionId=3" in url


# The acting-as line of a fan-out: first, after its input was checked.

from tests.ops.test_fanout import CUTOFF, org  # noqa: E402, F401 - the organization fixture


def test_a_fan_out_says_who_it_acts_as_first(org: dict[str, Any]) -> None:  # noqa: F811
    result = run_cli(
        "user", "alice", "--before", CUTOFF, "--all-accounts", "--dry-run", "-o", "json"
    )
    assert result.exit_code in (0, 4), result.stderr  # the fixture has an account out of reach
    first = result.stderr.splitlines()[0]
    assert first == "acting as arn:aws:iam::123456789012:user/responder (account 123456789012)"
    assert first.startswith("acting as arn:aws:") and "(account " in first
    assert result.stderr.count("acting as ") == 1
