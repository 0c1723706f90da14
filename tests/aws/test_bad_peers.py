"""Bad peers (issue 14, item 7): an endpoint that never answers, answers that are not AWS
responses, a credential_process that hangs or talks too much, an endpoint URL that is not
one. Each is one line on stderr and its exit code (DESIGN.md: 2 bad input, 253 credentials,
254 AWS failed), never a traceback, never a secret.

The peers are local sockets. The silent one accepts and then waits on an event the test
sets when it is done: nothing here sleeps, and no assertion depends on how long it took.
"""

from __future__ import annotations

import http.server
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assert_clean_failure, run_cli

# What the conftest puts in the environment: the secret key of the credentials in use.
SECRET_IN_USE = "testing-secret-not-real"
# A session token that is not shaped like one (dashes), so only the exact-secret net finds it.
TOKEN_IN_USE = "session-token-of-the-responder-0123456789-abcdef"
STRANGER_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {
    "truncated XML": (
        200,
        {"Content-Type": "text/xml"},
        f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult><Arn>ar'.encode(),
    ),
    "an HTML 200": (
        200,
        {"Content-Type": "text/html"},
        b"<html><body>Sign in to the hotel wifi</body></html>",
    ),
    "an XML 200 of another shape": (200, {"Content-Type": "text/xml"}, b"<html><p>hi</p></html>"),
    "a JSON error body": (
        400,
        {"Content-Type": "application/json"},
        b'{"__type":"AccessDenied","message":"nope"}',
    ),
    "a JSON 200": (200, {"Content-Type": "application/json"}, b'{"ok": true}'),
    "an empty 200": (200, {"Content-Type": "text/xml"}, b""),
    "a redirect": (302, {"Location": "https://login.example.com/"}, b""),
}


class _Peer(http.server.BaseHTTPRequestHandler):
    answer: tuple[int, dict[str, str], bytes] = (500, {}, b"")

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def peer() -> Iterator[Any]:
    """An HTTP endpoint whose every answer the test chooses: `peer.answer = (...)`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """Accepts every connection and never answers, until the test is over."""
    listener = socket.create_server(("127.0.0.1", 0))
    over = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        listener.settimeout(0.1)
        while not over.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    over.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def one_line_error(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("revoke: error: "), result.stderr
    assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("  hint: ")), lines
    assert "internal error" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("kind", list(ANSWERS))
@pytest.mark.parametrize(
    "command",
    [["token", "inspect"], ["user", "alice", "--before", "now", "--dry-run"]],
    ids=["token-inspect", "user-dry-run"],
)
def test_an_answer_that_is_not_an_aws_response_is_254_in_one_line(
    peer: Any, kind: str, command: list[str]
) -> None:
    peer.answer = ANSWERS[kind]
    result = run_cli("--endpoint-url", peer.url, "--output", "json", *command)
    assert_clean_failure(result, 254)
    line = one_line_error(result)
    assert "not" in line and "AWS response" in line, line


def test_a_silent_endpoint_ends_at_the_timeout_with_254(silent_endpoint: str) -> None:
    result = run_cli(
        "--timeout", "1", "--endpoint-url", silent_endpoint, "--output", "json",
        "user", "alice", "--before", "now", "--dry-run",
    )  # fmt: skip
    assert_clean_failure(result, 254)
    assert "--timeout" in result.stderr
    one_line_error(result)


def test_a_silent_endpoint_ends_token_inspect_too(silent_endpoint: str) -> None:
    result = run_cli("--timeout", "1", "--endpoint-url", silent_endpoint, "token", "inspect")
    assert result.exit_code in (253, 254), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def _profile_with_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    helper = tmp_path / "helper.py"
    helper.write_text(script)
    config = Path(str(tmp_path / "aws-config"))
    config.write_text(f"[profile vault]\ncredential_process = {sys.executable} {helper}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var, raising=False)


def test_a_hanging_credential_process_is_stopped_by_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It waits on an event nobody sets: it would wait for ever.
    _profile_with_process(tmp_path, monkeypatch, "import threading\nthreading.Event().wait()\n")
    result = run_cli(
        "--timeout", "1", "--profile", "vault", "--endpoint-url", "http://127.0.0.1:9",
        "--output", "json", "user", "alice", "--before", "now", "--dry-run",
    )  # fmt: skip
    assert_clean_failure(result, 253)
    line = one_line_error(result)
    assert "credential_process" in line and "--timeout of 1 s" in line


def test_a_credential_process_stderr_is_scrubbed_and_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _profile_with_process(
        tmp_path,
        monkeypatch,
        "import sys\n"
        f"sys.stderr.write('vault: fetched {STRANGER_SECRET}\\nbut the lease is over\\n')\n"
        "sys.exit(1)\n",
    )
    result = run_cli(
        "--profile", "vault", "--endpoint-url", "http://127.0.0.1:9", "--output", "json",
        "user", "alice", "--before", "now", "--dry-run",
    )  # fmt: skip
    assert_clean_failure(result, 253)
    line = one_line_error(result)
    assert STRANGER_SECRET not in result.stderr
    assert "[redacted]" in line and "the lease is over" in line


def test_an_access_denied_message_never_echoes_the_secrets_in_use(
    peer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN_IN_USE)
    message = (
        f"User arn:aws:iam::123456789012:user/alice is not authorized; debug: "
        f"secret={SECRET_IN_USE} token={TOKEN_IN_USE}"
    )
    peer.answer = (
        403,
        {"Content-Type": "text/xml"},
        (
            f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type>'
            f"<Code>AccessDenied</Code><Message>{message}</Message></Error>"
            "<RequestId>1</RequestId></ErrorResponse>"
        ).encode(),
    )
    for command in (["token", "inspect"], ["user", "alice", "--before", "now", "--dry-run"]):
        result = run_cli("--endpoint-url", peer.url, "--output", "json", *command)
        assert result.exit_code in (253, 254), result.stderr
        for secret in (SECRET_IN_USE, TOKEN_IN_USE):
            assert secret not in result.stderr + result.stdout, command
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com", "http://", "http://h:99999"])
def test_an_endpoint_url_that_is_not_one_is_bad_input(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_cli("--endpoint-url", url, "user", "alice", "--before", "now")
    assert_clean_failure(result, 2)
    assert "is not a URL" in one_line_error(result)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    from_env = run_cli("token", "inspect")
    assert_clean_failure(from_env, 2)


@pytest.mark.parametrize("value", ["0", "-5", "nan", "1e9"])
def test_a_timeout_that_is_not_a_deadline_is_bad_input(value: str) -> None:
    result = run_cli("--timeout", value, "user", "alice", "--before", "now", "--offline")
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr


def test_secrets_in_answers_are_remembered_for_scrubbing() -> None:
    from revoke.aws.session import remember_secrets
    from revoke.core import scrub

    scrub.forget_all()
    remember_secrets(
        {"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s3cr3t-from-sts-xyz"}}
    )
    assert scrub.scrub("echo s3cr3t-from-sts-xyz") == "echo [redacted]"
