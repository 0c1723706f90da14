"""Credentials as text a shell or an SDK can load: one small formatter per format.

The names are the AWS CLI's own (`aws configure export-credentials --format ...`,
awscli/customizations/configure/exportcreds.py): env, env-no-export, fish, powershell,
windows-cmd, process; plus json, GetSessionToken's `Credentials` object as the STS API and
`aws sts get-session-token` print it.

One deliberate difference from the AWS CLI: it writes values bare (`export K=V`, `set -gx
K "V"`, `$Env:K="V"`), which works only because AWS's values happen to be base64. Here
every value is quoted for its shell so that whatever a value holds, `eval` sets exactly
that value and runs nothing (a `$` in a PowerShell double-quoted string would be expanded;
a `;` in a bare POSIX word would start a command).

Like the AWS CLI, POSIX and fish formats end lines with LF only. Pure: text in, text out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from revoke.errors import BadInput


@dataclass(frozen=True)
class ExportCredentials:
    """What is exported. `expiration` is ISO 8601 UTC (`...Z`) or None for long-term keys."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: str | None = None

    def variables(self) -> list[tuple[str, str]]:
        """The environment variables botocore and the AWS CLI read, in the CLI's order."""
        pairs = [
            ("AWS_ACCESS_KEY_ID", self.access_key_id),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key),
        ]
        if self.session_token is not None:
            pairs.append(("AWS_SESSION_TOKEN", self.session_token))
        if self.expiration is not None:
            pairs.append(("AWS_CREDENTIAL_EXPIRATION", self.expiration))
        return pairs

    def __repr__(self) -> str:  # never let a secret reach a log line or a traceback
        return f"ExportCredentials(access_key_id={self.access_key_id!r}, ...)"


def _reject_control(value: str) -> str:
    # A newline or NUL inside a value cannot be expressed safely in every shell's quoting
    # (cmd has none); AWS never issues one, so refuse rather than guess.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise BadInput("a credential value holds a control character; refusing to export it")
    return value


def quote_posix(value: str) -> str:
    """Single quotes: nothing inside is special except the quote itself ('\\'')."""
    return "'" + _reject_control(value).replace("'", "'\\''") + "'"


def quote_fish(value: str) -> str:
    """fish single quotes: only \\\\ and \\' are escapes inside them."""
    escaped = _reject_control(value).replace("\\", "\\\\").replace("'", "\\'")
    return "'" + escaped + "'"


def quote_powershell(value: str) -> str:
    """PowerShell single-quoted (verbatim) string: a quote is doubled, `$` is not expanded."""
    return "'" + _reject_control(value).replace("'", "''") + "'"


def quote_cmd(name: str, value: str) -> str:
    """`set "NAME=value"`: cmd's quoting for set; the quotes keep & | < > ^ literal.

    `%` and `"` have no escape inside a quoted set, so they are refused (AWS never issues them).
    """
    value = _reject_control(value)
    if "%" in value or '"' in value or "!" in value:
        raise BadInput(
            'a credential value holds % " or !, which cmd cannot quote; use another --format'
        )
    return f'set "{name}={value}"'


def _lines(template: Callable[[str, str], str]) -> Callable[[ExportCredentials], str]:
    def render(creds: ExportCredentials) -> str:
        return "".join(template(name, value) + "\n" for name, value in creds.variables())

    return render


def _credentials(creds: ExportCredentials) -> dict[str, object]:
    """The fields of GetSessionToken's `Credentials` object that the credentials hold."""
    out: dict[str, object] = {
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
    }
    if creds.session_token is not None:
        out["SessionToken"] = creds.session_token
    if creds.expiration is not None:
        out["Expiration"] = creds.expiration
    return out


def _process(creds: ExportCredentials) -> str:
    """credential_process output, Version 1 (the AWS CLI's `process` format)."""
    return json.dumps({"Version": 1, **_credentials(creds)}, indent=2) + "\n"


def _json(creds: ExportCredentials) -> str:
    """GetSessionToken's `Credentials` object."""
    return json.dumps(_credentials(creds), indent=2) + "\n"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    description: str
    render: Callable[[ExportCredentials], str]
    shell: str | None  # the shell whose syntax it is, for round-trip tests and hints


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("json", "GetSessionToken's Credentials object", _json, None),
        ExportFormat(
            "env",
            "POSIX shell exports: export AWS_ACCESS_KEY_ID='...'",
            _lines(lambda k, v: f"export {k}={quote_posix(v)}"),
            "bash",
        ),
        ExportFormat(
            "env-no-export",
            "POSIX shell variables, not exported: AWS_ACCESS_KEY_ID='...'",
            _lines(lambda k, v: f"{k}={quote_posix(v)}"),
            "bash",
        ),
        ExportFormat(
            "fish",
            "fish: set -gx AWS_ACCESS_KEY_ID '...'",
            _lines(lambda k, v: f"set -gx {k} {quote_fish(v)}"),
            "fish",
        ),
        ExportFormat(
            "powershell",
            "PowerShell: $Env:AWS_ACCESS_KEY_ID='...'",
            _lines(lambda k, v: f"$Env:{k}={quote_powershell(v)}"),
            "pwsh",
        ),
        ExportFormat(
            "windows-cmd",
            'Windows cmd: set "AWS_ACCESS_KEY_ID=..."',
            _lines(quote_cmd),
            "cmd",
        ),
        ExportFormat(
            "process",
            "credential_process JSON (Version 1)",
            _process,
            None,
        ),
    )
}

# How a person loads each format in its shell (said on stderr after issuing).
LOAD_HINTS = {
    "env": 'eval "$(revoke token issue --format env ...)"',
    "env-no-export": 'eval "$(revoke token issue --format env-no-export ...)"',
    "fish": "revoke token issue --format fish ... | source",
    "powershell": "revoke token issue --format powershell ... | Invoke-Expression",
    "windows-cmd": "for /f \"delims=\" %L in ('revoke token issue --format windows-cmd ...') do %L",
}


def get_format(name: str) -> ExportFormat:
    found = FORMATS.get((name or "").strip().lower())
    if found is None:
        raise BadInput(
            f"unknown --format {name!r}",
            hint=f"one of: {', '.join(FORMATS)}",
        )
    return found


def render(name: str, creds: ExportCredentials) -> str:
    return get_format(name).render(creds)
