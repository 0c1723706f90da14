"""Export formats: the AWS CLI's names, exact text, and a round trip through each shell."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from revoke.core.exportfmt import FORMATS, ExportCredentials, get_format, render
from revoke.errors import BadInput

CREDS = ExportCredentials(
    access_key_id="ASIAY34FZKBOKMUTVV7A",
    secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    session_token="IQoJb3JpZ2luX2VjEXAMPLE+token/with=padding==",
    expiration="2026-11-29T17:00:00Z",
)
LONG_TERM = ExportCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
# Values no AWS credential holds, but that break naive quoting: every shell must still set
# them verbatim and run nothing.
NASTY = ExportCredentials(
    access_key_id="AKIA'quote\"dq",
    secret_access_key="$(touch pwned) `touch pwned2` ; touch pwned3 \\ back$HOME",
    session_token="it's a 'token' with \\' and {braces} *glob* ~tilde # hash",
    expiration="2026-11-29T17:00:00Z",
)
ENV = {
    "AWS_ACCESS_KEY_ID": CREDS.access_key_id,
    "AWS_SECRET_ACCESS_KEY": CREDS.secret_access_key,
    "AWS_SESSION_TOKEN": CREDS.session_token,
    "AWS_CREDENTIAL_EXPIRATION": CREDS.expiration,
}


def test_the_format_names_are_the_aws_clis_plus_json() -> None:
    # awscli/customizations/configure/exportcreds.py SUPPORTED_FORMATS, and json.
    assert set(FORMATS) == {
        "json",
        "env",
        "env-no-export",
        "fish",
        "powershell",
        "windows-cmd",
        "process",
    }


def test_json_is_get_session_tokens_credentials_object() -> None:
    assert json.loads(render("json", CREDS)) == {
        "AccessKeyId": CREDS.access_key_id,
        "SecretAccessKey": CREDS.secret_access_key,
        "SessionToken": CREDS.session_token,
        "Expiration": "2026-11-29T17:00:00Z",
    }


def test_process_is_credential_process_version_1() -> None:
    assert json.loads(render("process", CREDS)) == {
        "Version": 1,
        "AccessKeyId": CREDS.access_key_id,
        "SecretAccessKey": CREDS.secret_access_key,
        "SessionToken": CREDS.session_token,
        "Expiration": "2026-11-29T17:00:00Z",
    }


EXACT = {
    "env": (
        "export AWS_ACCESS_KEY_ID='AKIAIOSFODNN7EXAMPLE'\n"
        "export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n"
    ),
    "env-no-export": (
        "AWS_ACCESS_KEY_ID='AKIAIOSFODNN7EXAMPLE'\n"
        "AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n"
    ),
    "fish": (
        "set -gx AWS_ACCESS_KEY_ID 'AKIAIOSFODNN7EXAMPLE'\n"
        "set -gx AWS_SECRET_ACCESS_KEY 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n"
    ),
    "powershell": (
        "$Env:AWS_ACCESS_KEY_ID='AKIAIOSFODNN7EXAMPLE'\n"
        "$Env:AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n"
    ),
    "windows-cmd": (
        'set "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"\n'
        'set "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'
    ),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_long_term_keys_export_two_variables_and_no_token(name: str) -> None:
    assert render(name, LONG_TERM) == EXACT[name]


@pytest.mark.parametrize("name", ["env", "env-no-export", "fish", "powershell", "windows-cmd"])
def test_shell_formats_set_all_four_variables_in_the_clis_order(name: str) -> None:
    lines = render(name, CREDS).splitlines()
    names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
    names.append("AWS_CREDENTIAL_EXPIRATION")
    assert len(lines) == 4
    for line, var in zip(lines, names, strict=True):
        assert var in line
    assert "\r" not in render(name, CREDS)  # LF only, like the AWS CLI's _FORCE_LF


def test_unknown_format_is_bad_input_listing_the_known_ones() -> None:
    with pytest.raises(BadInput, match="unknown --format 'yaml'") as err:
        get_format("yaml")
    assert "windows-cmd" in (err.value.hint or "")


@pytest.mark.parametrize("name", ["env", "fish", "powershell", "windows-cmd"])
def test_a_line_break_in_a_value_is_refused_not_exported(name: str) -> None:
    broken = ExportCredentials("AKIAIOSFODNN7EXAMPLE", "secret\nexport EVIL=1")
    with pytest.raises(BadInput, match="control character"):
        render(name, broken)


def test_cmd_refuses_what_it_cannot_quote() -> None:
    with pytest.raises(BadInput, match="cmd cannot quote"):
        render("windows-cmd", ExportCredentials("AKIAIOSFODNN7EXAMPLE", "100%secret"))


def test_repr_never_shows_the_secret() -> None:
    assert CREDS.secret_access_key not in repr(CREDS)
    assert CREDS.session_token not in repr(CREDS)  # type: ignore[operator]


# -- round trips through real shells ---------------------------------------------------------

PRINT_ENV = "import json, os; print(json.dumps({k: os.environ.get(k) for k in %r}))"


def _expected(creds: ExportCredentials) -> dict[str, str | None]:
    return dict(creds.variables())


def _run(argv: list[str], script: str, tmp_path: Path) -> dict[str, str | None]:
    proc = subprocess.run(
        argv,
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert not list(tmp_path.glob("pwned*")), "a value ran as a command"
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("creds", [CREDS, NASTY], ids=["aws", "nasty"])
@pytest.mark.parametrize("shell", ["bash", "sh", "dash", "zsh", "ksh"])
def test_env_round_trips_through_posix_shells(
    shell: str, creds: ExportCredentials, tmp_path: Path
) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    names = list(_expected(creds))
    script = (
        f"eval \"$(cat <<'REVOKE_EOF'\n{render('env', creds)}REVOKE_EOF\n)\"\n"
        f"{sys.executable} -c {_posix(PRINT_ENV % names)}\n"
    )
    assert _run([shell], script, tmp_path) == _expected(creds)


@pytest.mark.parametrize("creds", [CREDS, NASTY], ids=["aws", "nasty"])
def test_env_no_export_sets_shell_variables_but_not_the_environment(
    creds: ExportCredentials, tmp_path: Path
) -> None:
    names = list(_expected(creds))
    shell_view = "; ".join(f'printf "%s\\0" "${n}"' for n in names)
    script = (
        f"{render('env-no-export', creds)}"
        f"{sys.executable} -c {_posix(PRINT_ENV % names)}\n"
        f"{{ {shell_view}; }} | {sys.executable} -c "
        + _posix("import sys, json; print(json.dumps(sys.stdin.read().split(chr(0))[:-1]))")
        + "\n"
    )
    proc = subprocess.run(
        ["bash"],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    exported, shell_values = (json.loads(line) for line in proc.stdout.strip().splitlines())
    assert exported == dict.fromkeys(names)  # not in a child's environment
    assert shell_values == [value for _, value in creds.variables()]  # but set in the shell


@pytest.mark.parametrize("creds", [CREDS, NASTY], ids=["aws", "nasty"])
def test_fish_round_trip(creds: ExportCredentials, tmp_path: Path) -> None:
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")
    names = list(_expected(creds))
    script = f"{render('fish', creds)}{sys.executable} -c {_posix(PRINT_ENV % names)}\n"
    assert _run(["fish"], script, tmp_path) == _expected(creds)


@pytest.mark.parametrize("creds", [CREDS, NASTY], ids=["aws", "nasty"])
def test_powershell_round_trip(creds: ExportCredentials, tmp_path: Path) -> None:
    pwsh = shutil.which("pwsh") or shutil.which("powershell")
    if pwsh is None:
        pytest.skip("PowerShell is not installed")
    names = list(_expected(creds))
    script = (
        f"{render('powershell', creds)}"
        f"& '{sys.executable}' -c '{(PRINT_ENV % names).replace(chr(39), chr(39) * 2)}'\n"
    )
    assert _run([pwsh, "-NoProfile", "-Command", "-"], script, tmp_path) == _expected(creds)


def test_process_output_is_accepted_by_botocore(tmp_path: Path, monkeypatch) -> None:
    # The SDK's own credential_process provider reads what `--format process` prints.
    import boto3

    out = tmp_path / "process.json"
    out.write_text(render("process", CREDS))
    config = tmp_path / "config"
    config.write_text(
        f"[profile fromprocess]\ncredential_process = {sys.executable} -c "
        f"\"import sys; sys.stdout.write(open(r'{out}').read())\"\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var, raising=False)
    _freeze_botocore_clock(monkeypatch, datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc))
    creds = boto3.Session(profile_name="fromprocess").get_credentials()
    frozen = creds.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        CREDS.access_key_id,
        CREDS.secret_access_key,
        CREDS.session_token,
    )
    assert creds.method == "custom-process"


def _freeze_botocore_clock(monkeypatch, now: datetime) -> None:
    """botocore refreshes credentials whose Expiration is past (and a credential_process that
    keeps printing expired ones is an error), so the round trip runs at a fixed time before
    CREDS expire, never at today's date. Its clock is a default argument of
    RefreshableCredentials, bound at import, hence the wrapper rather than a patched global."""
    import botocore.credentials

    original = botocore.credentials.RefreshableCredentials.__init__

    def at_fixed_time(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["time_fetcher"] = lambda: now
        original(self, *args, **kwargs)

    monkeypatch.setattr(botocore.credentials.RefreshableCredentials, "__init__", at_fixed_time)


def _posix(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
