"""Answers the layer writes itself, shaped as AWS shapes them for each wire protocol.

An error must reach boto3 and the AWS CLI exactly as AWS's would, or the toolkit's
error translation would be tested against something AWS never sends. Shapes, as
botocore parses them (botocore/parsers.py):
- query (IAM, STS, SNS): `<ErrorResponse><Error><Type/><Code/><Message/></Error>
  <RequestId/></ErrorResponse>`, text/xml;
- ec2: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`;
- json (X-Amz-Target services: Organizations, SQS, ...): `{"__type", "message"}` plus
  the `x-amzn-ErrorType` header, and `x-amzn-query-error` for query-compatible SQS;
- S3: `<Error><Code/><Message/><RequestId/><HostId/></Error>`, no body for HEAD.

Errors are raised with their query-protocol code; `_CODES` gives the name the other
protocols use for the same condition (e.g. AccessDenied -> AccessDeniedException in
JSON, UnauthorizedOperation in EC2).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from revoke.sandbox.request import EC2, JSON, QUERY, REST_JSON, S3

XML_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
}

# Messages AWS uses for these conditions (AWS-FACTS facts 4, 5; STS and IAM API
# reference "Common Errors").
INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."
EXPIRED_TOKEN_MESSAGE = "The provided token has expired."  # fact 5
SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service "
    "documentation for details."
)

# query code -> {protocol: (code, status, message or None to keep)}
_CODES: dict[str, dict[str, tuple[str, int | None, str | None]]] = {
    "AccessDenied": {
        JSON: ("AccessDeniedException", 400, None),
        REST_JSON: ("AccessDeniedException", 403, None),
        EC2: ("UnauthorizedOperation", 403, None),
    },
    "InvalidClientTokenId": {
        JSON: ("UnrecognizedClientException", 400, None),
        REST_JSON: ("UnrecognizedClientException", 403, None),
        EC2: ("AuthFailure", 401, None),
        S3: ("InvalidToken", 400, "The provided token is malformed or otherwise invalid."),
    },
    "InvalidAccessKeyId": {
        QUERY: ("InvalidClientTokenId", 403, INVALID_TOKEN_MESSAGE),
        JSON: ("UnrecognizedClientException", 400, INVALID_TOKEN_MESSAGE),
        REST_JSON: ("UnrecognizedClientException", 403, INVALID_TOKEN_MESSAGE),
        EC2: ("AuthFailure", 401, None),
    },
    "ExpiredToken": {JSON: ("ExpiredTokenException", 400, None)},
    "SignatureDoesNotMatch": {
        JSON: ("InvalidSignatureException", 400, None),
        REST_JSON: ("InvalidSignatureException", 403, None),
        S3: (
            "SignatureDoesNotMatch",
            403,
            "The request signature we calculated does not match the signature you "
            "provided. Check your key and signing method.",
        ),
    },
    "IncompleteSignature": {S3: ("AuthorizationHeaderMalformed", 400, None)},
    "Throttling": {
        JSON: ("ThrottlingException", 400, None),
        REST_JSON: ("ThrottlingException", 429, None),
        EC2: ("RequestLimitExceeded", 503, "Request limit exceeded."),
        S3: ("SlowDown", 503, "Please reduce your request rate."),
    },
    "ValidationError": {JSON: ("ValidationException", 400, None)},
    "MissingAuthenticationToken": {
        JSON: ("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
        REST_JSON: ("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
    },
    "InternalFailure": {JSON: ("InternalFailure", 500, None)},
}


class AwsError(Exception):
    """A refusal the layer answers itself, named by its query-protocol code."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def access_denied(message: str) -> AwsError:
    return AwsError("AccessDenied", message, 403)


def invalid_token() -> AwsError:
    return AwsError("InvalidClientTokenId", INVALID_TOKEN_MESSAGE, 403)


def unknown_access_key() -> AwsError:
    """A long-term key that is not (or no longer) active."""
    return AwsError(
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        403,
    )


def expired_token() -> AwsError:
    return AwsError("ExpiredToken", EXPIRED_TOKEN_MESSAGE, 400)


def signature_mismatch() -> AwsError:
    return AwsError("SignatureDoesNotMatch", SIGNATURE_MESSAGE, 403)


def throttled() -> AwsError:
    return AwsError("Throttling", "Rate exceeded", 400)  # fact 19


@dataclass
class Reply:
    """An HTTP answer: the layer's own, or moto's as captured."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    status_text: str | None = None  # moto's status line, kept verbatim

    @property
    def status_line(self) -> str:
        if self.status_text:
            return self.status_text
        from http import HTTPStatus

        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Unknown"
        return f"{self.status} {phrase}"

    def replace_body(self, body: bytes) -> None:
        self.body = body
        self.headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]

    def body_for(self, start_response: Any) -> bytes:
        """Start the WSGI response and return the body to send."""
        headers = list(self.headers)
        if not any(name.lower() == "content-length" for name, _ in headers):
            # Not for moto's HEAD answers: they carry the object's length, and no body.
            headers.append(("Content-Length", str(len(self.body))))
        start_response(self.status_line, headers)
        return self.body


def new_request_id() -> str:
    return str(uuid.uuid4())


def error_reply(
    err: AwsError, *, protocol: str, service: str | None, method: str = "POST"
) -> Reply:
    code, status, message = err.code, err.status, err.message
    override = _CODES.get(err.code, {}).get(protocol)
    if override is not None:
        code = override[0]
        status = override[1] or status
        message = override[2] or message
    request_id = new_request_id()
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == S3:
        headers = [("x-amz-request-id", request_id), ("Content-Type", "application/xml")]
        if method == "HEAD":
            return Reply(status, b"", headers)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
        return Reply(status, body.encode(), headers)
    if protocol in (JSON, REST_JSON):
        headers.append(("Content-Type", "application/x-amz-json-1.1"))
        headers.append(("x-amzn-ErrorType", f"{code}:"))
        if service == "sqs":  # awsQueryCompatible: botocore takes the code from here
            headers.append(("x-amzn-query-error", f"{err.code};Sender"))
        payload = {"__type": code, "message": message}
        return Reply(status, json.dumps(payload).encode(), headers)
    headers.append(("Content-Type", "text/xml"))
    if protocol == EC2:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return Reply(status, body.encode(), headers)
    xmlns = XML_NAMESPACES.get(service or "", XML_NAMESPACES["iam"])
    kind = "Receiver" if status >= 500 else "Sender"
    body = (
        f'<ErrorResponse xmlns="{xmlns}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return Reply(status, body.encode(), headers)


def query_reply(service: str, operation: str, result_xml: str) -> Reply:
    """A query-protocol success: `<OpResponse><OpResult>...</OpResult>...`."""
    request_id = new_request_id()
    xmlns = XML_NAMESPACES[service]
    body = (
        f'<{operation}Response xmlns="{xmlns}">'
        f"<{operation}Result>{result_xml}</{operation}Result>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{operation}Response>"
    )
    return Reply(
        200, body.encode(), [("x-amzn-RequestId", request_id), ("Content-Type", "text/xml")]
    )


def xml_elements(values: dict[str, str]) -> str:
    """`<Name>value</Name>...` with values escaped."""
    return "".join(f"<{name}>{escape(value)}</{name}>" for name, value in values.items())


def aws_content_type(reply: Reply, protocol: str) -> None:
    """moto answers JSON-protocol operations (Organizations, ...) as `text/html`; AWS sends
    `application/x-amz-json-1.1` (botocore's JSON protocol), and a client that checks the
    type (revoke.aws.session.check_answer) would take moto's for an HTML page."""
    if protocol != JSON or reply.status == 204:
        return
    for index, (name, value) in enumerate(reply.headers):
        if name.lower() == "content-type" and value.lower().startswith("text/html"):
            reply.headers[index] = (name, "application/x-amz-json-1.1")


# Operations AWS serves unsigned: the caller proves itself with the token it passes.
UNSIGNED_OPERATIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


def check_signed(protocol: str, operation: str | None) -> None:
    """Refuse an unsigned request as AWS does: `MissingAuthenticationToken: Request is
    missing Authentication Token` (HTTP 403; AWS API references, "Common Errors":
    "The request must contain either a valid (registered) AWS access key ID or X.509
    certificate"). Not for the STS operations AWS serves unsigned, nor for S3 and other
    REST requests, which the sandbox cannot tell apart from S3's anonymous access (AWS
    answers those by the bucket's policy): those still go to moto."""
    if protocol in (S3, REST_JSON) or operation in UNSIGNED_OPERATIONS:
        return
    raise AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
