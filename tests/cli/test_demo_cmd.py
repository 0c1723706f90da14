"""`revoke demo`: every step behaves on a working install, and a product that misbehaves
makes it say which step, what was expected, what happened, and exit 3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from revoke.sandbox import Sandbox
from revoke.sandbox.demo import STEPS
from revoke.state.journal import Journal
from tests.helpers import json_out, run_cli

pytestmark = pytest.mark.slow  # each run starts a sandbox (about a second)


@pytest.fixture
def sandboxes(monkeypatch: pytest.MonkeyPatch) -> list[Sandbox]:
    """The sandboxes the demo starts, to look at their secrets afterwards."""
    started: list[Sandbox] = []
    real_start = Sandbox.start

    def start(self: Sandbox) -> str:
        started.append(self)
        return real_start(self)

    monkeypatch.setattr(Sandbox, "start", start)
    return started


def _secrets(sandbox: Sandbox) -> list[str]:
    from moto.iam.models import iam_backends

    secrets = [sandbox.root_credentials["aws_secret_access_key"]]
    for record in sandbox.tokens.all():
        secrets += [record.secret_access_key, record.session_token]
    for backend in iam_backends[sandbox.account_id].values():
        for user in backend.users.values():
            secrets += [key.secret_access_key for key in user.access_keys]
    return secrets


def test_demo_passes_and_narrates_every_step(sandboxes: list[Sandbox]) -> None:
    environ = dict(os.environ)
    result = run_cli("--output", "json", "demo")

    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["ok"] is True
    assert [(s["step"], s["status"]) for s in out["steps"]] == [
        (n, "ok") for n in range(1, len(STEPS) + 1)
    ]
    assert out["seconds"] < 30  # "finishes in seconds": about 1.5 s on a laptop
    for n, step in enumerate(STEPS, 1):
        assert f"✓ {n:>2}. {step.title}" in result.stderr
    # What the issue asks the demo to show, in the product's own words:
    assert "$ revoke --profile alice token issue --write-profile alice-session" in result.stderr
    assert "user alice --before now --probe-profile alice-session" in result.stderr
    assert "enforcement confirmed" in result.stderr
    assert "with an explicit deny in an identity-based policy" in result.stderr
    assert "| warning: user alice still has active access keys" in result.stderr
    assert "add --deactivate-keys" in result.stderr
    entry = out["journal_entry"]
    assert (entry["action"], entry["target"]["name"], entry["status"]) == (
        "revoke",
        "alice",
        "applied",
    )
    assert entry["cutoff"] == out["cutoff"]
    assert f"hash {entry['hash']}" in result.stderr
    assert f"all {len(STEPS)} steps behaved" in result.stderr
    # No secret of any credential the demo made or used reaches any output.
    (sandbox,) = sandboxes
    secrets = _secrets(sandbox)
    assert len(secrets) >= 5  # root, alice's key, two session tokens
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
    assert dict(os.environ) == environ  # the environment is put back as it was


def test_demo_leaves_the_responders_config_and_journal_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "aws-config"
    credentials = tmp_path / "aws-credentials"
    # Were the demo to read these, botocore would fail: no such profile, unparsable file.
    config.write_text("[profile prod\nregion = eu-west-1\n")
    credentials.write_text("[prod]\naws_access_key_id = AKIAREALREALREAL\n")
    monkeypatch.setenv("AWS_PROFILE", "incident-prod")
    real_journal = tmp_path / "real" / "journal.jsonl"
    monkeypatch.setenv("REVOKE_JOURNAL", str(real_journal))
    before = (config.read_bytes(), credentials.read_bytes())

    result = run_cli("--output", "json", "demo")

    assert result.exit_code == 0, result.stderr
    assert (config.read_bytes(), credentials.read_bytes()) == before
    assert not real_journal.exists()  # REVOKE_JOURNAL is the real journal: not for demos
    assert json_out(result)["journal"] is None
    assert not (tmp_path / "state").exists()  # nor the default journal or token ledger
    assert os.environ["AWS_PROFILE"] == "incident-prod"


def test_journal_option_keeps_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "demo-journal.jsonl"
    result = run_cli("--output", "json", "--journal", str(path), "demo")

    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["journal"] == str(path)
    journal = Journal(path)
    assert journal.verify() == []
    records = journal.for_target("user", "alice")
    # The revocation and its verification, then the containment of the rest (--contain-all:
    # the key deactivated, same cutoff) and its verification.
    assert [r["action"] for r in records] == ["revoke", "verify", "revoke", "verify"]
    assert records[0]["hash"] == out["journal_entry"]["hash"]
    assert records[1]["verification"]["status"] == "verified"
    assert [s["action"] for s in records[2]["containment"]] == ["deactivate_key"]


def test_a_revocation_that_is_not_written_fails_the_read_back_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from revoke.aws.iam import IamGateway

    monkeypatch.setattr(IamGateway, "put_inline", lambda self, *args, **kwargs: None)
    result = run_cli("--output", "json", "demo")

    _assert_failed_at(result, 6, "read-back missing")
    assert "✗  6. Check 1 of 3, read-back" in result.stderr


def test_an_evaluator_that_ignores_conditions_fails_the_logic_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from revoke.core import evaluate

    # The bug that would un-revoke nothing and revoke everything: DateLessThan ignored.
    monkeypatch.setattr(evaluate._Condition, "holds", lambda self, ctx: True)
    result = run_cli("--output", "json", "demo")

    _assert_failed_at(result, 7, "issued_after_cutoff")
    assert "✗  7. Check 2 of 3, logic" in result.stderr


def _assert_failed_at(result: Any, number: int, found: str) -> None:
    assert result.exit_code == 3, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    out = json_out(result)
    assert out["ok"] is False
    statuses = [s["status"] for s in out["steps"]]
    assert statuses == ["ok"] * (number - 1) + ["failed"] + ["not run"] * (len(STEPS) - number)
    failed = out["steps"][number - 1]
    assert failed["expected"] and found in failed["found"]
    assert f"found:    {failed['found']}" in result.stderr
    assert f"expected: {failed['expected']}" in result.stderr
    assert f"revoke: error: demo step {number} did not behave" in result.stderr


def test_help_imports_neither_moto_nor_the_demo() -> None:
    code = (
        "import sys\n"
        "from revoke.cli.app import main\n"
        "for argv in (['--help'], ['demo', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('moto', 'boto3', 'revoke.sandbox', 'revoke.sandbox.demo') "
        "if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "demo" in proc.stdout  # the command is listed
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_console_script_on_an_ascii_terminal_falls_back_to_ascii_marks(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("revoke")), "--output", "json", "demo"],
        capture_output=True,
        text=True,
        encoding="ascii",
        env=env,
        cwd=tmp_path,  # templates and moto come from the installed package, not the cwd
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ok  1. Start a local AWS" in proc.stderr
    assert "ok 12. The journal holds the change" in proc.stderr
    assert '"ok": true' in proc.stdout
