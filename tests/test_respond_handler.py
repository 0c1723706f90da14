"""The Lambda handler `revoke.respond:handler` in the sandbox, the journal in S3 (the
issue's "done when"): fed a GuardDuty finding about a user's key in its EventBridge
envelope, in auto mode it contains the key and the sessions it minted; fed the same
finding again it changes nothing. Every AWS call it made is one deploy/template.yaml
grants. Importing it costs nothing: no boto3."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.client
import botocore.exceptions
import pytest

from revoke.respond import handler
from revoke.sandbox import Sandbox
from revoke.state import backends
from revoke.state.journal import Journal
from tests.deploy.test_template import granted_actions

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "events"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
BUCKET = "revoke-journal-test"
JOURNAL = f"s3://{BUCKET}/incidents"


@pytest.fixture(scope="module")
def _server() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox
        sandbox.reset()


@pytest.fixture
def sandbox(_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    _server.reset()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", _server.root_credentials["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", _server.root_credentials["aws_secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", _server.endpoint_url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("REVOKE_JOURNAL", JOURNAL)
    yield _server
    for scheme in backends.SCHEMES:
        backends.unregister_opener(scheme)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS operation made in-process, as an IAM action (service:Operation)."""
    made: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation: str, params: Any) -> Any:
        made.append(f"{self.meta.service_model.signing_name}:{operation}")
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return made


def creds(raw: dict[str, Any]) -> dict[str, str]:
    found = {
        "aws_access_key_id": raw["AccessKeyId"],
        "aws_secret_access_key": raw["SecretAccessKey"],
    }
    if raw.get("SessionToken"):
        found["aws_session_token"] = raw["SessionToken"]
    return found


def refused(call: Any) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call()
    return str(err.value)


def test_import_costs_no_sdk() -> None:
    code = (
        "import sys, revoke.respond; print(sorted(m for m in "
        "('boto3', 'botocore', 'moto', 'revoke.cli', 'typer') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_handler_contains_the_key_and_its_sessions_and_a_redelivery_changes_nothing(
    sandbox: Sandbox, calls: list[str], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    iam = sandbox.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    leaked = iam.create_access_key(UserName="alice")["AccessKey"]
    attacker = sandbox.client("sts", **creds(leaked)).get_session_token()["Credentials"]
    sandbox.client("s3", **creds(attacker)).list_buckets()  # works before
    sandbox.client("s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    account = sandbox.client("sts").get_caller_identity()["Account"]
    text = (FIXTURES / "guardduty-credential-access.json").read_text()
    event = json.loads(text.replace("AKIAIOSFODNN7EXAMPLE", leaked["AccessKeyId"]))
    assert event["detail-type"] == "GuardDuty Finding"  # the EventBridge envelope
    event["detail"]["accountId"] = account
    event["account"] = account

    monkeypatch.setenv("REVOKE_MODE", "auto")
    calls.clear()
    answer = handler(json.loads(json.dumps(event)), None)
    assert answer["status"] == "applied" and answer["exit_code"] == 0, answer
    made = set(calls)
    assert "explicit deny in an identity-based policy" in refused(
        lambda: sandbox.client("s3", **creds(attacker)).list_buckets()
    )
    assert "InvalidClientTokenId" in refused(
        lambda: sandbox.client("sts", **creds(leaked)).get_session_token()
    )
    # The journal is in S3: one object a record, chained, the secret nowhere.
    s3 = sandbox.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys and all(k.startswith("incidents/") for k in keys)
    journal = Journal(JOURNAL)
    scan = journal.scan()
    assert scan.problems == []
    actions = [r["action"] for r in scan.records]
    assert "intent" in actions and actions.index("intent") < actions.index("revoke")
    assert actions.count("respond-done") == 1
    stored = b"".join(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys)
    assert leaked["SecretAccessKey"].encode() not in stored
    logged = capsys.readouterr()
    assert leaked["SecretAccessKey"] not in logged.out + logged.err
    assert json.loads(logged.out.strip().splitlines()[-1])["status"] == "applied"

    calls.clear()
    again = handler(json.loads(json.dumps(event)), None)
    assert again["status"] == "duplicate" and again["exit_code"] == 0
    assert Journal(JOURNAL).scan().records == scan.records
    assert all(call.startswith("s3:") for call in calls), calls  # read the journal, no more

    # Least privilege: everything the handler called, the template's role may call.
    missing = {c for c in made | set(calls) if c not in granted_actions()}
    assert not missing, f"the template does not grant {sorted(missing)}"


def test_plan_is_the_default_and_an_unknown_event_is_answered(
    sandbox: Sandbox, calls: list[str]
) -> None:
    answer = handler({"version": "0", "detail-type": "Something Else", "source": "x", "detail": {}})
    assert answer["status"] == "error" and answer["exit_code"] == 2
    assert calls == []


def test_a_local_journal_is_refused_in_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVOKE_JOURNAL", "/tmp/journal.jsonl")
    answer = handler(json.loads((FIXTURES / "guardduty-credential-access.json").read_text()))
    assert answer["exit_code"] == 2 and "s3://BUCKET/PREFIX" in answer["error"]
