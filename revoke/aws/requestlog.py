"""--debug's request log: one line per attempt of every AWS request, never a secret.

Split out of revoke.aws.session (which registers `note_request` and `log_response` on every
client it makes and re-exports `log_requests`): method, URL, operation, status, request ID
and attempt, from botocore's events, never botocore's own debug log, which prints
signatures and tokens. One setting for the whole run, as the deadline is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from revoke.core import scrub

# --debug: where each attempt of each request is logged (None: nowhere). One setting for
# every session of the run (assumed, probe and inspect sessions too), as the deadline is.
_request_log: Callable[[str], None] | None = None
# Query parameters a URL may carry a secret in (presigned URLs); never logged.
_SECRET_QUERY = {"x-amz-signature", "x-amz-security-token", "x-amz-credential", "signature"}


def log_requests(writer: Callable[[str], None] | None) -> None:
    """From now on, `writer` gets one line per attempt of every AWS request (None: off)."""
    global _request_log
    _request_log = writer


def logging_requests() -> bool:
    """Whether --debug's request log is on: a client made while it is off gets no logging
    hooks (two fewer handlers on every attempt of a bulk run; issue 13, no slower)."""
    return _request_log is not None


def _redacted_url(url: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (k, scrub.REDACTED if k.lower() in _SECRET_QUERY else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]")))


def _note_request(request: Any = None, **_: Any) -> None:
    """botocore `request-created` (each attempt, before signing): the method and URL,
    kept in the request's context for the line `response-received` writes."""
    context = getattr(request, "context", None)
    if _request_log is not None and isinstance(context, dict):
        context["revoke.request"] = (request.method, request.url)


def _log_response(
    event_name: str = "",
    context: Any = None,
    response_dict: Any = None,
    parsed_response: Any = None,
    exception: Any = None,
    **_: Any,
) -> None:
    """botocore `response-received` (each attempt): one line for --debug, no header, no
    body, every secret this process holds or anything shaped like one taken out."""
    writer = _request_log
    if writer is None:
        return
    parts = event_name.split(".")  # response-received.<service-id>.<Operation>
    operation = f"{parts[1]}:{parts[2]}" if len(parts) >= 3 else "an AWS call"
    context = context if isinstance(context, dict) else {}
    method, url = context.get("revoke.request", ("?", "?"))
    attempt = (context.get("retries") or {}).get("attempt", 1)
    if exception is not None:
        outcome = type(exception).__name__
    else:
        status = (response_dict or {}).get("status_code", "?")
        parsed = parsed_response if isinstance(parsed_response, dict) else {}
        code = (parsed.get("Error") or {}).get("Code")
        request_id = (parsed.get("ResponseMetadata") or {}).get("RequestId")
        outcome = f"{status}{f' {code}' if code else ''}"
        outcome += f", request ID {request_id}" if request_id else ""
    line = f"debug: {operation} {method} {_redacted_url(str(url))} -> {outcome} (attempt {attempt})"
    writer(scrub.scrub(line))
