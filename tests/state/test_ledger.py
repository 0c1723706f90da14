"""The token ledger: what was issued, whose, when; mode 0600; never a secret."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timezone
from pathlib import Path

from revoke.state.ledger import Ledger, new_record

EXPIRES = datetime(2026, 11, 29, 17, 0, 0, tzinfo=timezone.utc)


def record(key: str = "ASIAY34FZKBOKMUTVV7A", **over):  # type: ignore[no-untyped-def]
    values = dict(
        access_key_id=key,
        principal_arn="arn:aws:iam::123456789012:user/alice",
        account="123456789012",
        expiration=EXPIRES,
        duration_seconds=43_200,
        mfa_serial="arn:aws:iam::123456789012:mfa/alice",
        source_access_key_id="AKIARZPUZDIKJEUOMBGI",
        profile_written="incident",
        now=datetime(2026, 11, 29, 5, 0, 3, tzinfo=timezone.utc),
    )
    values.update(over)
    return new_record(**values)


def test_issue_time_is_expiry_minus_duration_on_awss_clock() -> None:
    # The local clock (05:00:03 here) is not what AWS compares with a cutoff.
    rec = record()
    assert (rec.issued_at, rec.expires_at) == ("2026-11-29T05:00:00Z", "2026-11-29T17:00:00Z")
    assert rec.recorded_at == "2026-11-29T05:00:03Z"
    assert rec.mfa is True


def test_ledger_is_private_json_lines_next_to_the_journal(tmp_path: Path) -> None:
    ledger = Ledger.in_state_dir(tmp_path / "state" / "revoke")
    ledger.append(record())
    ledger.append(record("ASIAQAAAAAAAUNN2I42H", mfa_serial=None))
    assert ledger.path == tmp_path / "state" / "revoke" / "tokens.jsonl"
    assert stat.S_IMODE(ledger.path.stat().st_mode) == 0o600
    lines = [json.loads(line) for line in ledger.path.read_text().splitlines()]
    assert [line["access_key_id"] for line in lines] == [
        "ASIAY34FZKBOKMUTVV7A",
        "ASIAQAAAAAAAUNN2I42H",
    ]
    assert set(lines[0]) == {
        "access_key_id",
        "principal_arn",
        "account",
        "issued_at",
        "expires_at",
        "duration_seconds",
        "mfa",
        "mfa_serial",
        "source_access_key_id",
        "profile_written",
        "recorded_at",
    }
    assert lines[1]["mfa"] is False


def test_an_existing_ledger_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "tokens.jsonl")
    ledger.path.write_text("")
    ledger.path.chmod(0o640)  # not ours: never chmod a file we did not create
    ledger.append(record())
    assert stat.S_IMODE(ledger.path.stat().st_mode) == 0o640


def test_find_returns_the_latest_record_of_a_key_and_skips_damage(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "tokens.jsonl")
    ledger.append(record(duration_seconds=3600))
    with ledger.path.open("a") as handle:
        handle.write("{not json\n\n[]\n")
    ledger.append(record(duration_seconds=7200))
    found = ledger.find("ASIAY34FZKBOKMUTVV7A")
    assert found is not None and found.duration_seconds == 7200
    assert found.issued() == datetime(2026, 11, 29, 15, 0, 0, tzinfo=timezone.utc)
    assert ledger.find("ASIANOTTHERE") is None
    assert Ledger(tmp_path / "missing.jsonl").find("x") is None
