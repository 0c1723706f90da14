"""The credentials-file writer: mode 0600, atomic replace, everything else kept byte for byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from revoke.errors import BadInput
from revoke.state import credfile

TOKEN = {
    "aws_access_key_id": "ASIAY34FZKBOKMUTVV7A",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "aws_session_token": "IQoJb3JpZ2luX2VjEXAMPLE+token==",
    "x_security_token_expires": "2026-11-29T17:00:00Z",
}

EXISTING = """\
# my AWS keys - do not commit
[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

; the incident profile, refreshed by revoke
[incident]
region = eu-west-1
aws_access_key_id = ASIAOLDOLDOLDOLDOLD2
aws_secret_access_key = oldsecret
aws_security_token = oldtoken-legacy-name
# keep this comment
aws_session_token = oldtoken

[other]
aws_access_key_id=AKIAOTHEROTHEROTHER2
aws_secret_access_key=othersecret
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_and_folder_are_created_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / ".aws" / "credentials"
    old_umask = os.umask(0o022)  # the usual umask would leave a new file world-readable
    try:
        result = credfile.write_profile(path, "incident", TOKEN)
    finally:
        os.umask(old_umask)
    assert result.created_file and not result.replaced
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert credfile.read_profile(path, "incident") == TOKEN


def test_other_profiles_and_comments_are_kept_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(EXISTING)
    result = credfile.write_profile(path, "incident", TOKEN)
    assert result.replaced
    text = path.read_text()
    assert text == EXISTING.replace(
        "aws_access_key_id = ASIAOLDOLDOLDOLDOLD2\n"
        "aws_secret_access_key = oldsecret\n"
        "aws_security_token = oldtoken-legacy-name\n"
        "# keep this comment\n"
        "aws_session_token = oldtoken\n",
        "aws_access_key_id = ASIAY34FZKBOKMUTVV7A\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        "# keep this comment\n"
        "aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE+token==\n"
        "x_security_token_expires = 2026-11-29T17:00:00Z\n",
    )
    assert "oldtoken" not in text  # the legacy aws_security_token went too


def test_a_new_profile_is_appended_after_the_others(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(EXISTING.rstrip("\n"))  # no final newline
    credfile.write_profile(path, "fresh", TOKEN)
    text = path.read_text()
    assert text.startswith(EXISTING.rstrip("\n") + "\n\n[fresh]\n")
    assert credfile.read_profile(path, "fresh") == TOKEN
    assert credfile.read_profile(path, "other") == {
        "aws_access_key_id": "AKIAOTHEROTHEROTHER2",
        "aws_secret_access_key": "othersecret",
    }


def test_botocore_reads_what_was_written(tmp_path: Path, monkeypatch) -> None:
    import boto3

    path = tmp_path / "credentials"
    path.write_text(EXISTING)
    credfile.write_profile(path, "incident", TOKEN)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
    frozen = boto3.Session(profile_name="incident").get_credentials().get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        TOKEN["aws_access_key_id"],
        TOKEN["aws_secret_access_key"],
        TOKEN["aws_session_token"],
    )


def test_long_term_keys_are_not_overwritten_without_force(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(EXISTING)
    with pytest.raises(BadInput, match="holds long-term keys") as err:
        credfile.write_profile(path, "default", TOKEN)
    assert "--force" in (err.value.hint or "")
    assert "wJalrXUtnFEMI" not in err.value.message  # names the key ID, never the secret
    assert path.read_text() == EXISTING
    credfile.write_profile(path, "default", TOKEN, force=True)
    assert credfile.read_profile(path, "default") == TOKEN


def test_crlf_files_stay_crlf(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(EXISTING.replace("\n", "\r\n").encode())
    credfile.write_profile(path, "incident", TOKEN)
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_a_looser_existing_file_becomes_0600(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(EXISTING)
    path.chmod(0o644)
    credfile.write_profile(path, "incident", TOKEN)
    assert mode(path) == 0o600


def test_the_new_text_goes_through_a_private_fsynced_temp_file_then_os_replace(
    tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "credentials"
    path.write_text(EXISTING)
    seen: dict[str, object] = {}
    synced: list[int] = []
    real_replace, real_fsync = os.replace, os.fsync

    def spy_replace(src, dst):  # type: ignore[no-untyped-def]
        seen.update(src=Path(src), dst=Path(dst), mode=mode(Path(src)), synced=len(synced))
        seen["old_text_at_replace"] = Path(dst).read_text()
        return real_replace(src, dst)

    def spy_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "replace", spy_replace)
    monkeypatch.setattr(os, "fsync", spy_fsync)
    credfile.write_profile(path, "incident", TOKEN)
    assert seen["dst"] == path and seen["src"].parent == path.parent  # type: ignore[union-attr]
    assert seen["mode"] == 0o600
    assert seen["synced"] >= 1  # the data was fsynced before the rename
    assert seen["old_text_at_replace"] == EXISTING  # the original untouched until then
    assert len(synced) >= 2  # and the folder after it


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "credentials"
    path.write_text(EXISTING)

    def disk_full(src, dst):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(BadInput, match="No space left on device"):
        credfile.write_profile(path, "incident", TOKEN)
    assert path.read_text() == EXISTING
    # No temp file left; the (empty) lock file stays, as every writer must lock one inode.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credentials", "credentials.lock"]


def test_a_symlinked_credentials_file_keeps_its_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "aws-credentials"
    real.parent.mkdir()
    real.write_text(EXISTING)
    link = tmp_path / "credentials"
    link.symlink_to(real)
    credfile.write_profile(link, "incident", TOKEN)
    assert link.is_symlink()
    assert credfile.read_profile(real, "incident") == {"region": "eu-west-1", **TOKEN}


@pytest.mark.parametrize("name", ["", "a b", "x]y", "[x", "a\nb", "#x"])
def test_profile_names_that_would_corrupt_the_file_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(BadInput, match="cannot be a profile name"):
        credfile.write_profile(tmp_path / "credentials", name, TOKEN)
    assert not (tmp_path / "credentials").exists()


def test_a_value_with_a_line_break_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="line break"):
        credfile.write_profile(tmp_path / "credentials", "x", {"aws_access_key_id": "A\n[default]"})


def test_config_profiles_that_win_over_the_credentials_file_are_named(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile incident]\nrole_arn = arn:aws:iam::1:role/x\nregion = x\n")
    warning = credfile.precedence_warning(config, "incident")
    assert warning and "role_arn" in warning
    assert credfile.precedence_warning(config, "other") is None
    assert credfile.precedence_warning(tmp_path / "missing", "incident") is None


WRITERS = 12


def _write_after(start: object, path: str, profile: str) -> None:
    start.wait()  # type: ignore[attr-defined]
    credfile.write_profile(Path(path), profile, TOKEN)


def _profiles(path: Path) -> list[str]:
    text = path.read_text()
    return sorted(
        name
        for name in (f"writer-{n}" for n in range(WRITERS))
        if credfile.read_profile_text(text, name) == TOKEN
    )


def test_twelve_concurrent_threads_lose_no_profile(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "credentials"
    path.write_text(EXISTING)
    start = threading.Event()
    threads = [
        threading.Thread(target=_write_after, args=(start, str(path), f"writer-{n}"))
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    start.set()  # all released at once
    for thread in threads:
        thread.join()
    assert _profiles(path) == sorted(f"writer-{n}" for n in range(WRITERS))
    assert path.read_text().startswith(EXISTING)  # the others' lines kept as they were
    assert mode(path) == 0o600


def test_twelve_concurrent_processes_lose_no_profile(tmp_path: Path) -> None:
    # As twelve `revoke token issue --write-profile` do: separate processes, one event.
    import multiprocessing

    context = multiprocessing.get_context("fork")
    path = tmp_path / "credentials"
    path.write_text(EXISTING)
    start = context.Event()
    writers = [
        context.Process(target=_write_after, args=(start, str(path), f"writer-{n}"))
        for n in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join()
    assert [writer.exitcode for writer in writers] == [0] * WRITERS
    assert _profiles(path) == sorted(f"writer-{n}" for n in range(WRITERS))
    assert not list(tmp_path.glob(".credentials.*.tmp"))


def test_the_lock_file_is_private_and_beside_the_real_file(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "credentials"
    real.parent.mkdir()
    real.write_text(EXISTING)
    link = tmp_path / "credentials"
    link.symlink_to(real)
    credfile.write_profile(link, "incident", TOKEN)
    guard = real.with_name("credentials.lock")
    assert guard.exists() and mode(guard) == 0o600
    assert link.is_symlink()
