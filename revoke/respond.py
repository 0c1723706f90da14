"""The Lambda handler `revoke.respond:handler`: `revoke respond` for EventBridge.

deploy/template.yaml routes GuardDuty findings, Security Hub (ASFF) findings, the AWS
Health event AWS_RISK_CREDENTIALS_EXPOSED and CloudTrail's AttachUserPolicy of
AWSCompromisedKeyQuarantine* here; each invocation is one event, read by
revoke.core.events and run by revoke.ops.respond exactly as `revoke respond` runs it.

Configuration (the function's environment; the template sets it):

    REVOKE_MODE       plan (default) | approve | auto
    REVOKE_JOURNAL    s3://BUCKET/PREFIX or dynamodb://TABLE/NAME (revoke.state.backends);
                      a Lambda's disk is gone after the invocation, so a local path is
                      refused unless REVOKE_ALLOW_LOCAL_JOURNAL=1 (tests, rehearsal)
    REVOKE_REPLACE_INSTANCE_PROFILE_ASSOCIATION
                      1: for instance-credential exfiltration, also give the instance a new
                      instance-profile association (fresh credentials); default 0
    XDG_STATE_HOME    where the token ledger is looked for (/tmp/state in the template)

The answer is the JSON `revoke respond --output json` prints, plus `exit_code`; the same
line goes to the function's log (CloudWatch), never a secret (revoke.core.events keeps
secrets out of the request; the journal redacts). An event revoke does not know, or one
it refuses (exit 2), is answered, not raised: a retry could not change it. Any other
failure is raised, so Lambda's own retries (MaximumRetryAttempts in the template) and its
failure destination apply; respond's idempotency makes a retry after success a no-op and
caps retries after failures (revoke.ops.respond.MAX_ATTEMPTS).

This module sits at the top of the layers beside revoke.cli (pyproject.toml,
[tool.importlinter]) and never imports it. Nothing costly at import: a cold start pays
for boto3 only when the event calls for AWS.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

MODE = "REVOKE_MODE"
JOURNAL = "REVOKE_JOURNAL"
ALLOW_LOCAL = "REVOKE_ALLOW_LOCAL_JOURNAL"
REPLACE_ASSOCIATION = "REVOKE_REPLACE_INSTANCE_PROFILE_ASSOCIATION"
_TRUE = ("1", "true", "yes", "on")


class ResponseFailed(Exception):
    """Raised to Lambda so that it retries the event (a one-line, scrubbed message)."""


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    from revoke.errors import BadInput, ExitCode, RevokeError

    try:
        payload = _respond(event)
    except RevokeError as err:
        payload = {
            "action": "respond",
            "status": "error",
            "exit_code": int(err.exit_code),
            "error": err.message,
            "hint": err.hint,
        }
        _log(payload)
        if isinstance(err, BadInput) or err.exit_code == ExitCode.BAD_INPUT:
            return payload
        raise ResponseFailed(err.message) from None
    _log(payload)
    return payload


def _respond(event: Any) -> dict[str, Any]:
    from revoke.core.events import parse_event, parse_event_text
    from revoke.errors import BadInput
    from revoke.ops.context import RunContext
    from revoke.ops.respond import MODES, respond

    mode = (os.environ.get(MODE) or "plan").strip().lower()
    if mode not in MODES:
        raise BadInput(f"{MODE}={mode!r} is not one of {', '.join(MODES)}; nothing was called")
    journal = _journal_location()
    if isinstance(event, bytes):
        event = event.decode("utf-8", "replace")
    request = parse_event_text(event) if isinstance(event, str) else parse_event(event)
    ctx = RunContext(
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        output="json",
        journal_path=journal,
        yes=True,  # nobody is at a terminal: the mode is the approval
        stdin_isatty=False,
        tell=_narrate,
    )
    result = respond(
        ctx,
        request,
        mode=mode,
        replace_association=_flag(REPLACE_ASSOCIATION),
    )
    payload = result.to_json()
    payload["exit_code"] = int(result.exit_code())
    return payload


def _journal_location() -> Path:
    from revoke.errors import BadInput
    from revoke.state.backends import parse_location

    text = (os.environ.get(JOURNAL) or "").strip()
    if text and parse_location(text) is not None:
        return Path(text)
    if _flag(ALLOW_LOCAL):
        from revoke.state.paths import default_journal_path

        return Path(text) if text else default_journal_path()
    raise BadInput(
        f"{JOURNAL} is {text or 'not set'}: a Lambda function's disk does not outlive the "
        "invocation, so its journal must be s3://BUCKET/PREFIX or dynamodb://TABLE/NAME; "
        "nothing was called",
        hint="deploy/template.yaml sets it to the journal bucket",
    )


def _flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in _TRUE


def _narrate(message: str) -> None:
    sys.stderr.write(message + "\n")


def _log(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, default=str, sort_keys=True) + "\n")
    sys.stdout.flush()
