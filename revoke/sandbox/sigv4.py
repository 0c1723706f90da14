"""Signature Version 4, checked on the server side.

AWS recomputes the signature of every request from the secret it holds for the access
key and refuses a mismatch (`SignatureDoesNotMatch`). moto does not check signatures at
all, so without this anyone holding only an access key ID and session token could use
a session. The sandbox checks requests signed with keys whose secret it knows: its own
session keys, role-session keys, IAM users' access keys.

The canonical request is built as AWS specifies it ("Create a canonical request for
Signature Version 4", AWS General Reference / IAM User Guide
reference_sigv-create-signed-request), mirroring botocore's signer (`botocore.auth`)
for the details clients depend on: the path is URI-encoded once more except for S3,
dot segments and repeated slashes are removed except for S3, the query string is sorted
by encoded name then value, the payload hash is `X-Amz-Content-SHA256` when the client
sent it, and presigned S3 URLs sign `UNSIGNED-PAYLOAD`.

Not checked, on purpose: request-time skew (clients sign with their wall clock while
the sandbox clock may have been advanced by hours) and that an S3 body matches its
declared hash.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_TIMESTAMP = "%Y%m%dT%H%M%SZ"


class MalformedAuthorization(Exception):
    """An AWS4-HMAC-SHA256 Authorization that cannot be parsed (AWS: IncompleteSignature)."""


@dataclass(frozen=True)
class SigV4Credentials:
    """What the client claims: from the Authorization header or a presigned URL's query."""

    access_key_id: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str  # signing name, as in the scope ("s3", "iam", "monitoring", ...)
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str  # X-Amz-Date, YYYYMMDDTHHMMSSZ
    security_token: str | None
    presigned: bool = False
    expires_seconds: int | None = None

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"

    def presign_expired(self, now: datetime) -> bool:
        """True when a presigned URL has outlived its X-Amz-Expires (real time)."""
        if not self.presigned or self.expires_seconds is None:
            return False
        signed_at = datetime.strptime(self.timestamp, _TIMESTAMP).replace(tzinfo=timezone.utc)
        return now > signed_at + timedelta(seconds=self.expires_seconds)


def parse_credentials(
    headers: Mapping[str, str], query: Sequence[tuple[str, str]]
) -> SigV4Credentials | None:
    """The SigV4 claims of a request, or None when it is not SigV4-signed.

    `headers` are lower-cased names; `query` the decoded query pairs.
    """
    auth = headers.get("authorization", "")
    if auth.startswith(ALGORITHM):
        return _from_header(auth, headers)
    params = dict(query)
    if params.get("X-Amz-Algorithm") == ALGORITHM:
        return _from_query(params)
    return None


def _split_scope(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise MalformedAuthorization(
            "Credential should be scoped to a valid region, not the given one, and end "
            "with aws4_request."
        )
    return parts[0], parts[1], parts[2], parts[3]


def _from_header(auth: str, headers: Mapping[str, str]) -> SigV4Credentials:
    fields: dict[str, str] = {}
    for part in auth[len(ALGORITHM) :].split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name] = value
    for required in ("Credential", "SignedHeaders", "Signature"):
        if required not in fields:
            raise MalformedAuthorization(
                f"Authorization header requires '{required}' parameter. Authorization "
                f"header requires 'Credential' parameter. Authorization header requires "
                f"'Signature' parameter. Authorization header requires 'SignedHeaders' "
                f"parameter. Authorization={auth.split(' ')[0]}"
            )
    key, date, region, service = _split_scope(fields["Credential"])
    timestamp = headers.get("x-amz-date") or _timestamp_from_date_header(headers.get("date"))
    if not timestamp:
        raise MalformedAuthorization(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    return SigV4Credentials(
        access_key_id=key,
        date=date,
        region=region,
        service=service,
        signed_headers=tuple(fields["SignedHeaders"].split(";")),
        signature=fields["Signature"],
        timestamp=timestamp,
        security_token=headers.get("x-amz-security-token"),
    )


def _from_query(params: Mapping[str, str]) -> SigV4Credentials:
    for required in ("X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date"):
        if required not in params:
            raise MalformedAuthorization(
                f"Query-string authentication requires the {required} parameter"
            )
    key, date, region, service = _split_scope(params["X-Amz-Credential"])
    expires = params.get("X-Amz-Expires")
    return SigV4Credentials(
        access_key_id=key,
        date=date,
        region=region,
        service=service,
        signed_headers=tuple(params["X-Amz-SignedHeaders"].split(";")),
        signature=params["X-Amz-Signature"],
        timestamp=params["X-Amz-Date"],
        security_token=params.get("X-Amz-Security-Token"),
        presigned=True,
        expires_seconds=int(expires) if expires and expires.isdigit() else None,
    )


def _timestamp_from_date_header(value: str | None) -> str | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).astimezone(timezone.utc).strftime(_TIMESTAMP)
    except (TypeError, ValueError):
        return None


def canonical_uri(raw_path: str, service: str) -> str:
    """The path as the client's signer saw it: S3 verbatim, others normalised and re-encoded."""
    if service == "s3":
        return raw_path or "/"
    from botocore.utils import normalize_url_path

    return quote(normalize_url_path(raw_path), safe="/~")


def canonical_query(raw_query: str, *, presigned: bool) -> str:
    pairs = []
    for item in raw_query.split("&") if raw_query else []:
        if not item:
            continue
        name, _, value = item.partition("=")
        name, value = unquote(name), unquote(value)
        if presigned and name == "X-Amz-Signature":
            continue
        pairs.append((quote(name, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def payload_hash(creds: SigV4Credentials, headers: Mapping[str, str], body: bytes) -> str:
    declared = headers.get("x-amz-content-sha256")
    if declared:
        return declared
    if creds.presigned and creds.service == "s3":
        return UNSIGNED_PAYLOAD
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    creds: SigV4Credentials,
) -> str:
    header_lines = [
        f"{name}:{' '.join(headers.get(name, '').split())}" for name in creds.signed_headers
    ]
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path, creds.service),
            canonical_query(raw_query, presigned=creds.presigned),
            "\n".join(header_lines) + "\n",
            ";".join(creds.signed_headers),
            payload_hash(creds, headers, body),
        ]
    )


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signature(secret_access_key: str, creds: SigV4Credentials, canonical: str) -> str:
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            creds.timestamp,
            creds.scope,
            hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        ]
    )
    key = _hmac(f"AWS4{secret_access_key}".encode(), creds.date)
    for part in (creds.region, creds.service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(
    secret_access_key: str,
    creds: SigV4Credentials,
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> bool:
    """True when the request's signature is the one its secret produces."""
    canonical = canonical_request(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        body=body,
        creds=creds,
    )
    expected = signature(secret_access_key, creds, canonical)
    return hmac.compare_digest(expected, creds.signature)
