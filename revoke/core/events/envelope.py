"""Reading one event: its text (`parse_event_text`), the EventBridge envelope or the bare
finding, and which source's reader it goes to (`parse_event`)."""

from __future__ import annotations

import json
from typing import Any

from revoke.core.events.checks import _json_type, _shown
from revoke.core.events.cloudtrail import _cloudtrail
from revoke.core.events.guardduty import _asff, _asff_list, _guardduty
from revoke.core.events.health import _health
from revoke.core.events.request import EXPOSED, MAX_EVENT_BYTES, ContainmentRequest
from revoke.core.events.scanners import _trufflehog
from revoke.errors import BadInput

# -- reading --------------------------------------------------------------------------------


def parse_event_text(text: str) -> ContainmentRequest:
    """One event as text (a file, stdin, a Lambda payload serialised): JSON, one object.

    A TruffleHog run prints one JSON line per result; a file of several lines is taken
    line by line only when it holds exactly one result."""
    if len(text.encode("utf-8", "replace")) > MAX_EVENT_BYTES:
        raise BadInput(
            f"the event is larger than {MAX_EVENT_BYTES // 1024} KiB: not one event",
            hint="pass one event (one finding, one TruffleHog line) a run",
        )
    stripped = text.strip()
    if not stripped:
        raise BadInput("the event is empty", hint="pass one event as JSON (a file or -)")
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as err:
        lines = [line for line in stripped.splitlines() if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):
            raise BadInput(
                f"{len(lines)} JSON lines: revoke respond takes one event a run",
                hint="feed each TruffleHog line to its own run",
            ) from None
        # The position only: the text itself may hold a secret (a scanner's line).
        raise BadInput(
            f"the event is not JSON (line {err.lineno}, column {err.colno}); nothing was called"
        ) from None
    return parse_event(value)


def parse_event(value: Any) -> ContainmentRequest:
    """The request for one event (a parsed JSON value), or a one-line BadInput."""
    if not isinstance(value, dict):
        raise BadInput(
            f"the event is a JSON {_json_type(value)}, not an object; nothing was called"
        )
    if "detail-type" in value or ("detail" in value and "source" in value):
        return _envelope(value)
    return _bare(value, envelope=None)


def _envelope(event: dict[str, Any]) -> ContainmentRequest:
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise BadInput("the EventBridge event has no detail object; nothing was called")
    source = event.get("source")
    detail_type = event.get("detail-type")
    if detail_type == "GuardDuty Finding":
        return _guardduty(detail)
    if detail_type == "Security Hub Findings - Imported":
        findings = detail.get("findings")
        return _asff_list(findings)
    if detail_type == "Findings Imported V2":
        raise BadInput(
            "a Security Hub OCSF finding (Findings Imported V2): revoke respond reads the "
            "ASFF event (Security Hub Findings - Imported)",
        )
    if detail_type == "AWS Health Event" or source == "aws.health":
        return _health(detail, envelope=event)
    if detail_type == "AWS API Call via CloudTrail":
        return _cloudtrail(detail)
    # A custom source (a scanner's results put on a bus) carries the finding itself.
    return _bare(detail, envelope=event)


def _bare(value: dict[str, Any], *, envelope: dict[str, Any] | None) -> ContainmentRequest:
    if "DetectorName" in value or "DetectorType" in value or "SourceMetadata" in value:
        return _trufflehog(value)
    if "Findings" in value or "findings" in value:  # get-findings output, or a detail
        return _asff_list(value.get("Findings", value.get("findings")))
    if "SchemaVersion" in value and "ProductArn" in value:
        return _asff(value)
    if "schemaVersion" in value and "resource" in value and "type" in value:
        return _guardduty(value)
    if "eventTypeCode" in value:
        return _health(value, envelope=envelope)
    if "eventSource" in value and "eventName" in value:
        return _cloudtrail(value)
    described = ""
    if envelope is not None:
        described = (
            f" (source {_shown(envelope.get('source'))}, "
            f"detail-type {_shown(envelope.get('detail-type'))})"
        )
    raise BadInput(
        f"not an event revoke respond knows{described}; nothing was called",
        hint="it reads GuardDuty and Security Hub (ASFF) findings, the AWS Health event "
        f"{EXPOSED}, CloudTrail events attaching AWSCompromisedKeyQuarantine*, and "
        "TruffleHog JSON lines",
    )
