"""The sandbox keeps HTTP connections open between requests, as AWS's endpoints do: a
client's connection pool is reused instead of a new TCP connection (and a new server
thread) per call (issue 8). A request whose body it cannot delimit still closes."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from revoke.sandbox import Sandbox

LIST_USERS = "Action=ListUsers&Version=2010-05-08"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def complete(body: bytes) -> bool:
    """A whole XML answer (what an unsigned request gets is not the point here)."""
    import xml.etree.ElementTree as ET  # noqa: S405 - the sandbox's own output

    try:
        ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        return False
    return True


def connect(sandbox: Sandbox) -> http.client.HTTPConnection:
    url = urlsplit(sandbox.endpoint_url)
    return http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)


def test_one_connection_serves_request_after_request(sandbox: Sandbox) -> None:
    conn = connect(sandbox)
    try:
        answers = []
        sockets = []
        for _ in range(3):
            conn.request("POST", "/", body=LIST_USERS, headers=FORM)
            response = conn.getresponse()
            answers.append((response.status, response.getheader("Connection"), response.read()))
            sockets.append(conn.sock)  # None once the server has closed it
        assert sockets[0] is not None and all(s is sockets[0] for s in sockets)
        assert all(header != "close" for _, header, _ in answers)
        assert all(complete(body) for _, _, body in answers)
    finally:
        conn.close()


def test_a_chunked_body_is_answered_and_the_connection_closed(sandbox: Sandbox) -> None:
    conn = connect(sandbox)
    try:
        conn.request(
            "POST", "/", body=iter([LIST_USERS.encode()]), headers=FORM, encode_chunked=True
        )
        response = conn.getresponse()
        assert response.getheader("Connection") == "close"
        assert complete(response.read())
    finally:
        conn.close()
