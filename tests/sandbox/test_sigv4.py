"""The server-side SigV4 check agrees with botocore's signer, and rejects tampering."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from revoke.sandbox import sigv4

CREDS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "token+/=")


def _server_view(request: AWSRequest) -> tuple[dict[str, str], str, str]:
    headers = {name.lower(): str(value) for name, value in request.headers.items()}
    headers.setdefault("host", urlsplit(request.url).netloc)
    parts = urlsplit(request.url)
    return headers, parts.path, parts.query


def _check(request: AWSRequest, body: bytes = b"", secret: str = CREDS.secret_key) -> bool:
    headers, path, query = _server_view(request)
    from urllib.parse import parse_qsl

    claims = sigv4.parse_credentials(headers, parse_qsl(query, keep_blank_values=True))
    assert claims is not None
    return sigv4.verify(
        secret,
        claims,
        method=request.method,
        raw_path=path,
        raw_query=query,
        headers=headers,
        body=body,
    )


def _prepared(
    signer: SigV4Auth, method: str, url: str, body: bytes = b"", **headers: str
) -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    signer.add_auth(request)
    return request


def test_query_protocol_post() -> None:
    body = b"Action=ListUsers&Version=2010-05-08&Marker=a%20b%2Bc"
    request = _prepared(
        SigV4Auth(CREDS, "iam", "us-east-1"),
        "POST",
        "http://127.0.0.1:5000/",
        body,
        **{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert _check(request, body)
    assert not _check(request, body + b"&MaxItems=1")  # body tampered
    assert not _check(request, body, secret="another secret")


def test_s3_path_with_unicode_and_spaces() -> None:
    url = "http://127.0.0.1:5000/evidence/logs/%C3%BCber%201.txt?tagging="
    request = _prepared(S3SigV4Auth(CREDS, "s3", "us-east-1"), "GET", url)
    assert _check(request)


def test_s3_presigned_url() -> None:
    url = "http://127.0.0.1:5000/evidence/a%20b.txt"
    request = AWSRequest(method="GET", url=url)
    S3SigV4QueryAuth(CREDS, "s3", "us-east-1", expires=60).add_auth(request)
    headers, path, query = _server_view(request)
    from urllib.parse import parse_qsl

    claims = sigv4.parse_credentials({"host": headers["host"]}, parse_qsl(query))
    assert claims is not None and claims.presigned and claims.security_token == "token+/="
    assert sigv4.verify(
        CREDS.secret_key,
        claims,
        method="GET",
        raw_path=path,
        raw_query=query,
        headers={"host": headers["host"]},
        body=b"",
    )


def test_malformed_authorization() -> None:
    with pytest.raises(sigv4.MalformedAuthorization):
        sigv4.parse_credentials(
            {"authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam"}, []
        )
    assert sigv4.parse_credentials({"authorization": "AWS AKID:signature"}, []) is None
