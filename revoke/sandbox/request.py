"""One incoming request, read once and described the way AWS's front door sees it.

The WSGI body stream can be read only once; this reads it, puts an identical stream
back for moto, and works out what the authorisation layer needs: the SigV4 claims, the
service, the wire protocol (which decides the shape of an error), and the operation.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from revoke.sandbox.sigv4 import MalformedAuthorization, SigV4Credentials, parse_credentials

# Wire protocols, as botocore names them; "s3" is S3's flavour of rest-xml.
QUERY, EC2, JSON, S3, REST_JSON = "query", "ec2", "json", "s3", "rest-json"

# Unsigned STS operations (the caller proves itself with a token, not a signature).
_UNSIGNED_STS = {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}


@dataclass
class SandboxRequest:
    environ: dict[str, Any]
    method: str
    raw_path: str  # percent-encoded, as sent
    raw_query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    query: list[tuple[str, str]]
    params: dict[str, str] = field(default_factory=dict)  # query string + form body
    creds: SigV4Credentials | None = None
    service: str | None = None  # SigV4 signing name, lower case
    region: str = "us-east-1"
    protocol: str = QUERY
    operation: str | None = None
    auth_problem: str | None = None  # a malformed AWS4-HMAC-SHA256 authorization

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> SandboxRequest:
        body = _read_body(environ)
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw_uri:
            raw_path, _, raw_query = str(raw_uri).partition("?")
        else:
            path_info = str(environ.get("PATH_INFO", "/")).encode("latin-1").decode("utf-8")
            raw_path, raw_query = quote(path_info), str(environ.get("QUERY_STRING", ""))
        headers = _headers(environ)
        query = parse_qsl(raw_query, keep_blank_values=True)
        req = cls(
            environ=environ,
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            raw_path=raw_path or "/",
            raw_query=raw_query,
            headers=headers,
            body=body,
            query=query,
        )
        req.params = dict(query)
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            req.params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            req.creds = parse_credentials(headers, query)
        except MalformedAuthorization as err:
            req.auth_problem = str(err)
        req._classify()
        return req

    def _classify(self) -> None:
        if self.creds is not None:
            self.service = self.creds.service.lower()
            self.region = self.creds.region
        elif self.params.get("Action") in _UNSIGNED_STS:
            self.service = "sts"
        target = self.headers.get("x-amz-target")
        if self.service == "s3":
            self.protocol = S3
        elif target:
            self.protocol = JSON
            self.operation = target.rsplit(".", 1)[-1]
        elif self.service == "ec2":
            self.protocol = EC2
            self.operation = self.params.get("Action")
        elif "Action" in self.params:
            self.protocol = QUERY
            self.operation = self.params["Action"]
        else:
            self.protocol = REST_JSON

    @property
    def path(self) -> str:
        from urllib.parse import unquote

        return unquote(self.raw_path)

    @property
    def access_key_id(self) -> str | None:
        return self.creds.access_key_id if self.creds else None

    @property
    def source_ip(self) -> str:
        return str(self.environ.get("REMOTE_ADDR") or "127.0.0.1")

    def add_form_param(self, name: str, value: str) -> None:
        """Append a parameter to a form body (after the signature was checked)."""
        extra = f"{'&' if self.body else ''}{quote(name)}={quote(value, safe='')}".encode()
        self.body += extra
        self.environ["wsgi.input"] = io.BytesIO(self.body)
        self.environ["CONTENT_LENGTH"] = str(len(self.body))
        self.params[name] = value

    def set_header(self, name: str, value: str) -> None:
        """Add a header for moto to see (e.g. x-moto-account-id)."""
        self.environ["HTTP_" + name.upper().replace("-", "_")] = value


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            body = stream.read(int(length))
        except ValueError:
            body = b""
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = str(value)
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = str(environ["CONTENT_LENGTH"])
    return headers
