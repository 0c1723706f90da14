"""Issue 4's end-to-end scenario with the real AWS CLI as the client, against a sandbox
served by `revoke sandbox serve` in its own process, and `revoke` as a subprocess: what a
responder rehearsing at a terminal sees, message for message.

The served sandbox runs on real time (its clock cannot be moved from outside its process),
so "a token issued after the cutoff" waits for the cutoff second to pass: at most a second.
The moved-clock version of the story is tests/e2e/test_boto3_scenario.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from revoke.core.timeparse import cutoff_datetime, parse_iso

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
TRUST_ACCOUNT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
# AWS CLI v1 exits 254 for an error the service returned (255 in older releases).
SERVICE_ERROR = (254, 255)
EXPLICIT_DENY = "with an explicit deny in an identity-based policy"  # fact 14

Creds = dict[str, str]


@dataclass
class Served:
    """A `revoke sandbox serve` process and the environment its banner printed."""

    process: subprocess.Popen[str]
    banner: dict[str, str]

    @property
    def endpoint(self) -> str:
        return self.banner["AWS_ENDPOINT_URL"]

    @property
    def root(self) -> Creds:
        return {
            "AccessKeyId": self.banner["AWS_ACCESS_KEY_ID"],
            "SecretAccessKey": self.banner["AWS_SECRET_ACCESS_KEY"],
        }

    def env(self, creds: Creds | None = None) -> dict[str, str]:
        """The test's isolated environment (tests/conftest.py), pointed at the sandbox."""
        creds = creds or self.root
        env = dict(os.environ)
        env.pop("AWS_PROFILE", None)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_DEFAULT_REGION=self.banner["AWS_DEFAULT_REGION"],
            AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
        )
        env.pop("AWS_SESSION_TOKEN", None)
        if creds.get("SessionToken"):
            env["AWS_SESSION_TOKEN"] = creds["SessionToken"]
        return env

    def aws(self, creds: Creds | None, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "aws"), *args, "--output", "json"],
            env=self.env(creds),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, creds: Creds | None, *args: str) -> Any:
        """`aws ARGS` must succeed; its JSON answer (None when it printed nothing)."""
        proc = self.aws(creds, *args)
        assert proc.returncode == 0, (args, proc.stderr)
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    def fails(self, creds: Creds | None, *args: str) -> str:
        """`aws ARGS` must fail with an error the service returned; its message."""
        proc = self.aws(creds, *args)
        assert proc.returncode in SERVICE_ERROR, (args, proc.returncode, proc.stderr)
        return proc.stderr.strip()

    def revoke(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`revoke ARGS` as the responder: the sandbox's root, the test's files."""
        return subprocess.run(
            [str(BIN / "revoke"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with no_proxy.open(request, timeout=10) as answer:
            assert answer.status == 200


@pytest.fixture(scope="module")
def _served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("served")
    # Module scope runs before the per-test guard: give the server a bare environment.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    process = subprocess.Popen(
        [str(BIN / "revoke"), "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    banner: dict[str, str] = {}
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("export "):
                name, value = line.removeprefix("export ").rstrip("\n").split("=", 1)
                banner[name] = shlex.split(value)[0]
            if line.startswith("unset "):
                break
        assert banner.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:"), banner
        yield Served(process, banner)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


@pytest.fixture
def served(_served: Served) -> Served:
    _served.reset()
    return _served


def create_user(served: Served, name: str) -> Creds:
    """A user allowed everything, and its access key (as an STS-style credentials dict)."""
    served.ok(None, "iam", "create-user", "--user-name", name)
    served.ok(
        None,
        "iam",
        "put-user-policy",
        "--user-name",
        name,
        "--policy-name",
        "everything",
        "--policy-document",
        ALLOW_ALL,
    )
    key = served.ok(None, "iam", "create-access-key", "--user-name", name)["AccessKey"]
    return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def write_profile(name: str, creds: Creds) -> None:
    """A named profile in the test's credentials file (the --probe-profile)."""
    path = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    with path.open("a") as out:
        out.write(
            f"[{name}]\naws_access_key_id = {creds['AccessKeyId']}\n"
            f"aws_secret_access_key = {creds['SecretAccessKey']}\n"
            f"aws_session_token = {creds['SessionToken']}\n"
        )


def wait_past(cutoff: str) -> None:
    """Real time, for the served sandbox: until the cutoff second is over (fact 10)."""
    remaining = (cutoff_datetime(cutoff) - datetime.now(timezone.utc)).total_seconds()
    time.sleep(max(0.0, remaining) + 0.05)


def lifetime(creds: Creds) -> float:
    return (parse_iso(creds["Expiration"]) - datetime.now(timezone.utc)).total_seconds()


def denied_message(who: str, operation: str, action: str) -> str:
    return (
        f"An error occurred (AccessDenied) when calling the {operation} operation: User: "
        f"{who} is not authorized to perform: {action} {EXPLICIT_DENY}"
    )


def test_user_session_revoked_new_token_and_key_still_work(served: Served) -> None:
    key = create_user(served, "alice")
    old = served.ok(key, "sts", "get-session-token")["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", old["AccessKeyId"])
    assert served.ok(old, "s3api", "list-buckets")["Buckets"] == []

    write_profile("stolen", old)
    proc = served.revoke(
        "--output", "json", "user", "alice", "--before", "now", "--probe-profile", "stolen"
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    (target,) = out["targets"]
    assert (target["status"], target["verification"]["status"]) == ("applied", "verified")
    assert target["verification"]["enforcement"]["status"] == "confirmed"
    assert f"warning: user alice still has active access keys ({key['AccessKeyId']})" in proc.stderr
    for secret in (old["SecretAccessKey"], old["SessionToken"], served.root["SecretAccessKey"]):
        assert secret not in proc.stdout + proc.stderr

    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert served.fails(old, "s3api", "list-buckets") == denied_message(
        alice, "ListBuckets", "s3:ListAllMyBuckets"
    )
    # GetCallerIdentity is never denied (fact 13): the revoked token still says who it is.
    assert served.ok(old, "sts", "get-caller-identity")["Arn"] == alice

    wait_past(out["cutoff"])
    new = served.ok(key, "sts", "get-session-token")["Credentials"]
    assert served.ok(new, "s3api", "list-buckets")["Buckets"] == []
    # The long-term key carries no aws:TokenIssueTime: the deny never matches it (fact 9).
    assert served.ok(key, "s3api", "list-buckets")["Buckets"] == []

    # A session token without MFA cannot call IAM, nor mint another token (facts 3, 4).
    assert served.fails(new, "iam", "list-users") == (
        "An error occurred (InvalidClientTokenId) when calling the ListUsers operation: "
        "The security token included in the request is invalid."
    )
    assert served.fails(new, "sts", "get-session-token") == (
        "An error occurred (AccessDenied) when calling the GetSessionToken operation: "
        "Cannot call GetSessionToken with session credentials"
    )


def test_session_duration_limits_for_a_user_and_the_root(served: Served) -> None:
    """Fact 1: a user gets 900 s to 36 h (12 h by default); the root 900 s to 1 h, and a
    root asking for more gets the hour."""
    key = create_user(served, "bob")
    user_default = served.ok(key, "sts", "get-session-token")["Credentials"]
    assert lifetime(user_default) == pytest.approx(43_200, abs=30)
    for seconds in (900, 129_600):
        creds = served.ok(key, "sts", "get-session-token", "--duration-seconds", str(seconds))
        assert lifetime(creds["Credentials"]) == pytest.approx(seconds, abs=30)
    assert served.fails(key, "sts", "get-session-token", "--duration-seconds", "129601") == (
        "An error occurred (ValidationError) when calling the GetSessionToken operation: "
        "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value less than or equal to 129600"
    )
    too_short = served.aws(key, "sts", "get-session-token", "--duration-seconds", "899")
    assert too_short.returncode != 0 and "900" in too_short.stderr

    root_default = served.ok(None, "sts", "get-session-token")["Credentials"]
    assert lifetime(root_default) == pytest.approx(3_600, abs=30)
    capped = served.ok(None, "sts", "get-session-token", "--duration-seconds", "7200")
    assert lifetime(capped["Credentials"]) == pytest.approx(3_600, abs=30)


def test_role_session_from_assume_role_rejected_after_revoke_role(served: Served) -> None:
    role_arn = served.ok(
        None,
        "iam",
        "create-role",
        "--role-name",
        "deploy",
        "--assume-role-policy-document",
        TRUST_ACCOUNT,
    )["Role"]["Arn"]
    served.ok(
        None,
        "iam",
        "put-role-policy",
        "--role-name",
        "deploy",
        "--policy-name",
        "everything",
        "--policy-document",
        ALLOW_ALL,
    )
    key = create_user(served, "carol")
    assumed = served.ok(
        key, "sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "attacker"
    )
    session = assumed["Credentials"]
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/attacker"
    assert assumed["AssumedRoleUser"]["Arn"] == session_arn
    assert served.ok(session, "s3api", "list-buckets")["Buckets"] == []

    write_profile("deploy-session", session)
    proc = served.revoke(
        "--output",
        "json",
        "role",
        "deploy",
        "--before",
        "now",
        "--probe-profile",
        "deploy-session",
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["targets"][0]["verification"]["enforcement"]["status"] == "confirmed"

    assert served.fails(session, "s3api", "list-buckets") == denied_message(
        session_arn, "ListBuckets", "s3:ListAllMyBuckets"
    )
    wait_past(out["cutoff"])
    fresh = served.ok(
        key, "sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "after"
    )["Credentials"]
    assert served.ok(fresh, "s3api", "list-buckets")["Buckets"] == []


def _readme_rehearsal() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Rehearse in the sandbox", 1)[1].split("\n## ", 1)[0]
    return section.split("```bash\n", 1)[1].split("```", 1)[0]


def test_readme_rehearsal_runs_as_written(served: Served, tmp_path: Path) -> None:
    """The README's rehearsal block, pasted into a shell that holds the banner's exports."""
    env = served.env()
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        ["bash", "-e", "-c", _readme_rehearsal()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert EXPLICIT_DENY in proc.stdout + proc.stderr
    journal = [json.loads(line) for line in (tmp_path / "rehearsal-journal.jsonl").open()]
    # Write-ahead (issue 14): each change's intent is on disk before it; the changes follow.
    journal = [r for r in journal if r["action"] not in ("intent", "close")]
    assert [(r["action"], r["target"]["name"]) for r in journal][:1] == [("revoke", "alice")]
    assert [s["action"] for s in journal[0]["containment"]] == ["deactivate_key"]
