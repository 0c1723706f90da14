"""Answer checks of the boto3 seam: refuse what is not an AWS response, remember secrets.

Split out of revoke.aws.session (which registers these on every client it makes and
re-exports them): `check_answer` is botocore's `before-parse` hook that refuses a redirect,
an HTML page or an answer that is not the operation's XML before botocore parses it into
an empty result; `remember_secrets` keeps every secret access key and session token an
answer carries (GetSessionToken, AssumeRole, credential_process output) for
revoke.core.scrub, so no message echoes them.
"""

from __future__ import annotations

from typing import Any

from revoke.core import scrub
from revoke.errors import AwsFailure


class MalformedResponse(AwsFailure):
    """The endpoint answered, but not with an AWS response (a proxy, a portal, a redirect)."""


def _malformed(what: str, why: str) -> MalformedResponse:
    return MalformedResponse(
        f"{what}: the endpoint's answer is not an AWS response ({why})",
        code="MalformedResponse",
        hint="check --endpoint-url / AWS_ENDPOINT_URL and any proxy in between "
        "(HTTPS_PROXY); nothing was read from that answer",
    )


def check_answer(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """botocore `before-parse`: refuse answers botocore would parse into nothing.

    botocore never follows redirects and parses a 200 of the wrong shape into an empty
    result (an HTML page becomes `{}`), which callers then read as "no such key": so a
    redirect, an HTML page or a query-protocol answer without the operation's root element
    stops here. Error answers (4xx, 5xx) are botocore's to parse.
    """
    status = int(response_dict.get("status_code") or 0)
    service = operation_model.service_model
    protocol = getattr(service, "resolved_protocol", None) or service.protocol
    if protocol not in ("query", "json"):
        # REST protocols (S3: its region redirects are botocore's to follow) answer in
        # shapes of their own; IAM, STS, Organizations, CloudTrail, DynamoDB are checked.
        return None
    what = f"{service.endpoint_prefix}:{operation_model.name}"
    headers = response_dict.get("headers") or {}
    if 300 <= status < 400:
        location = str(headers.get("location") or headers.get("Location") or "nowhere")
        return _raise(_malformed(what, f"HTTP {status}, a redirect to {location[:200]}"))
    if not 200 <= status < 300:
        return None
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray):
        return None  # a streaming body: not one of ours
    content_type = str(headers.get("content-type") or headers.get("Content-Type") or "")
    if "html" in content_type.lower():
        return _raise(_malformed(what, f"HTTP {status}, an HTML page"))
    if protocol == "query":
        root = f"<{operation_model.name}Response".encode()
        if root not in bytes(body[:2048]):
            shape = "an empty body" if not body.strip() else "not the operation's XML"
            return _raise(_malformed(what, f"HTTP {status}, {shape}"))
    elif protocol == "json" and body.strip() and not body.lstrip().startswith(b"{"):
        return _raise(_malformed(what, f"HTTP {status}, not a JSON object"))
    return None


def _raise(err: Exception) -> None:
    raise err


_SECRET_FIELDS = ("SecretAccessKey", "SessionToken")


def remember_secrets(parsed: Any, depth: int = 0) -> None:
    """Every secret access key and session token an answer carries, for revoke.core.scrub."""
    if depth > 4:
        return
    if isinstance(parsed, dict):
        for key, value in parsed.items():
            if key == "ResponseMetadata":  # botocore's: request ID, HTTP headers, retries
                continue
            if key in _SECRET_FIELDS and isinstance(value, str):
                scrub.remember(value)
            elif isinstance(value, dict | list):
                remember_secrets(value, depth + 1)
    elif isinstance(parsed, list):
        for item in parsed[:1000]:
            remember_secrets(item, depth + 1)


def _remember_answer(parsed: Any = None, **_: Any) -> None:
    remember_secrets(parsed)
