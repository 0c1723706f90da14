"""Nothing secret reaches the journal: every record is redacted before it is written
(revoke.state.journal.records.redact), whatever the shape it comes in."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import pytest

from revoke.state.journal import Journal
from revoke.state.journal.records import REDACTED, redact

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKENVALUE0123456789"


def test_secret_named_members_are_redacted_in_every_spelling_and_depth() -> None:
    record = {
        "SecretAccessKey": "a",
        "nested": [{"secret_access_key": "b"}, ({"AWS-Session-Token": "c"},)],
        "deeper": OrderedDict(credentials=OrderedDict(SessionToken="d", AccessKeyId="AKIA")),
        "password": "e",
        "NewPassword": None,  # nothing to hide: kept as it is
        7: "a non-string key",
        "count": 3,
        "flag": True,
    }
    out = redact(record)
    assert out["SecretAccessKey"] == REDACTED
    assert out["nested"] == [{"secret_access_key": REDACTED}, [{"AWS-Session-Token": REDACTED}]]
    assert out["deeper"] == {"credentials": {"SessionToken": REDACTED, "AccessKeyId": "AKIA"}}
    assert out["password"] == REDACTED and out["NewPassword"] is None
    assert out[7] == "a non-string key" and out["count"] == 3 and out["flag"] is True
    assert record["SecretAccessKey"] == "a"  # a copy: the caller's record is untouched


def test_known_secrets_are_cut_out_of_any_string_however_deep() -> None:
    record = {"error": f"signature with {SECRET} failed", "notes": [[f"token={TOKEN};"]]}
    out = redact(record, {SECRET, TOKEN})
    text = json.dumps(out)
    assert SECRET not in text and TOKEN not in text
    assert out["error"] == f"signature with {REDACTED} failed"
    assert out["notes"] == [[f"token={REDACTED};"]]


def test_a_written_record_holds_no_secret_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append_many(
        [
            {"action": "revoke", "error": f"echoed {SECRET}", "target": {"name": "a"}},
            {"action": "revoke", "notes": [TOKEN], "Credentials": {"SessionToken": TOKEN}},
        ]
    )
    raw = path.read_text()
    assert SECRET not in raw and TOKEN not in raw
    assert len(raw.splitlines()) == 2 and journal.verify() == []
