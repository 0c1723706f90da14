"""Issue 18 item 2: the output format from the config file, as the AWS CLI picks it:
--output, else AWS_DEFAULT_OUTPUT, else the active profile's `output` setting
(https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-output-format.html), else
revoke's own default. The config file is a temp file (tests/conftest.py points
AWS_CONFIG_FILE at it); the developer's ~/.aws is never read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from revoke.cli.global_options import choose_output
from revoke.errors import BadInput
from tests.helpers import assert_clean_failure, json_out, run_cli

OFFLINE = ["user", "alice", "--before", "2026-11-29T05:00:00Z", "--offline"]

CONFIG = """\
[default]
region = us-east-1
output = text

[profile incident]
output = table

[profile "with space"]
output = json

[profile plain]
region = eu-west-1
"""


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Path:
    path = Path(os.environ["AWS_CONFIG_FILE"])  # tmp_path/aws-config, from tests/conftest.py
    path.write_text(CONFIG)
    return path


def test_the_default_profile_output_is_used_when_nothing_else_says(config: Path) -> None:
    assert choose_output(None, query=None, isatty=True) == "text"
    assert choose_output(None, query="cutoff", isatty=False) == "text"  # beats --query's json


def test_the_profile_is_the_option_else_aws_profile_else_default(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert choose_output(None, query=None, isatty=False, profile="incident") == "table"
    assert choose_output(None, query=None, isatty=True, profile="with space") == "json"
    monkeypatch.setenv("AWS_PROFILE", "incident")
    assert choose_output(None, query=None, isatty=False) == "table"
    assert choose_output(None, query=None, isatty=True, profile="default") == "text"
    # botocore reads AWS_DEFAULT_PROFILE before AWS_PROFILE (botocore/configprovider.py)
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "default")
    assert choose_output(None, query=None, isatty=False) == "text"


def test_a_profile_without_the_setting_falls_to_revokes_default(config: Path) -> None:
    assert choose_output(None, query=None, isatty=True, profile="plain") == "table"
    assert choose_output(None, query=None, isatty=False, profile="plain") == "json"
    assert choose_output(None, query="a", isatty=True, profile="plain") == "json"
    # a profile the file does not name: the session says so later (exit 253), not this
    assert choose_output(None, query=None, isatty=False, profile="nobody") == "json"


def test_the_option_and_aws_default_output_beat_the_file(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert choose_output("json", query=None, isatty=True) == "json"
    monkeypatch.setenv("AWS_DEFAULT_OUTPUT", "table")
    assert choose_output(None, query=None, isatty=False) == "table"
    assert choose_output(None, query=None, isatty=False, profile="incident") == "table"


def test_the_later_of_two_sections_for_one_profile_wins(config: Path) -> None:
    # botocore's build_profile_map: [profile default] and [default] are one profile
    config.write_text("[default]\noutput = text\n\n[profile default]\noutput = table\n")
    assert choose_output(None, query=None, isatty=False) == "table"


def test_no_config_file_or_one_that_does_not_parse_is_revokes_default(config: Path) -> None:
    config.write_text("[default\noutput = text\n")  # the session reports it (exit 253)
    assert choose_output(None, query=None, isatty=True) == "table"
    config.unlink()
    assert choose_output(None, query=None, isatty=False) == "json"


def test_the_file_reaches_the_run(config: Path) -> None:
    result = run_cli(*OFFLINE, "--query", "cutoff")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "2026-11-29T05:00:00Z\n"  # text, from [default]


def test_yaml_in_the_file_is_json_with_a_warning_naming_it(config: Path) -> None:
    config.write_text("[profile incident]\noutput = yaml\n")
    result = run_cli("--profile", "incident", *OFFLINE)
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["action"] == "revoke"
    assert f"output = yaml (profile incident in {config}) is not supported" in result.stderr


def test_an_unknown_format_in_the_file_is_one_line_and_exit_2(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.write_text("[profile incident]\noutput = xml\n")
    monkeypatch.setenv("AWS_PROFILE", "incident")
    with pytest.raises(BadInput) as raised:
        choose_output(None, query=None, isatty=True)
    assert str(config) in raised.value.message and "profile incident" in raised.value.message
    result = run_cli(*OFFLINE)
    assert_clean_failure(result, 2)
    assert f"output = xml (profile incident in {config}) is not one of" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 2  # + hint
    # the option is the way out, as the hint says
    assert run_cli(*OFFLINE, "-o", "json").exit_code == 0
