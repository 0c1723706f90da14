"""Write one profile into the shared credentials file and leave everything else as it was.

Like the AWS CLI's writer (awscli/customizations/configure/writer.py) this edits lines,
not a configparser round trip, so comments, blank lines, key order and every other profile
survive byte for byte. Unlike it, the file is never rewritten in place: the new text goes
to a temporary file in the same folder, created with mode 0600, fsynced, then
`os.replace`d over the old one (STYLE.md practice 4), so a crash or a full disk leaves the
old file or the new one, never half of each, and the secret is never readable by others,
not even for a moment.

Concurrent writers (a dozen `revoke token issue --write-profile` at once, or revoke and
`aws configure`) each read, change and replace the whole file, so the last replace would
win and the others' profiles vanish while each said "written". Every write therefore holds
an exclusive `fcntl` lock on a lock file beside the credentials file (`credentials.lock`,
mode 0600) from its read to its replace. The lock file is never replaced, so every writer
locks the same inode; tools that do not take the lock are not serialised.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from revoke.errors import BadInput

# The keys a credential profile is made of; the ones we replace or remove when we write.
# `aws_security_token` is the older name botocore still reads for the session token, and
# `x_security_token_expires` is the expiry tools such as saml2aws and gimme-aws-creds keep
# next to it (botocore ignores it; `revoke token inspect` reads it).
CREDENTIAL_KEYS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "x_security_token_expires",
)
EXPIRY_KEY = "x_security_token_expires"

_PROFILE_NAME = re.compile(r"^[\w.@+=,:/-]{1,128}$", re.ASCII)
_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]*)\]")
_OPTION = re.compile(r"^(?P<key>[^\s=:#;\[][^=:]*?)\s*[=:]\s*(?P<value>.*?)\s*$")


def credentials_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials").expanduser()


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()


def check_profile_name(name: str) -> str:
    if not _PROFILE_NAME.match(name or ""):
        raise BadInput(
            f"{name!r} cannot be a profile name here",
            hint="use letters, digits and _.@+=,:/- (for example incident-alice)",
        )
    return name


def check_writable(path: Path) -> None:
    """Refuse early (before a token is issued) a credentials file that cannot be written:
    the temp file goes next to it, so its folder (or the nearest existing ancestor that
    would hold the new folders) must be a writable folder."""
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        raise BadInput(f"cannot write {path}: it is not a regular file")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise BadInput(f"cannot write {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadInput(f"cannot write {path}: {folder} is not writable")


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(("#", ";"))


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """(name, header index, end index exclusive) of every section, in file order."""
    found: list[tuple[str, int]] = []
    for index, line in enumerate(lines):
        if _is_comment(line):
            continue
        match = _SECTION.match(line)
        if match:
            found.append((match.group("name").strip(), index))
    bounds = []
    for position, (name, start) in enumerate(found):
        end = found[position + 1][1] if position + 1 < len(found) else len(lines)
        bounds.append((name, start, end))
    return bounds


def _options(lines: list[str], start: int, end: int) -> list[tuple[int, str, str]]:
    """(index, key, value) of the option lines of a section; continuation lines skipped."""
    out = []
    for index in range(start + 1, end):
        line = lines[index]
        if not line.strip() or _is_comment(line) or line[:1].isspace():
            continue
        match = _OPTION.match(line.rstrip("\r\n"))
        if match:
            out.append((index, match.group("key").strip().lower(), match.group("value")))
    return out


def read_profile_text(text: str, section: str) -> dict[str, str] | None:
    """The options of section `[section]` (the first one of that name), or None."""
    lines = text.splitlines(keepends=True)
    for name, start, end in _sections(lines):
        if name == section:
            return {key: value for _, key, value in _options(lines, start, end)}
    return None


def read_profile(path: Path, section: str) -> dict[str, str] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"cannot read {path}: {err}") from None
    return read_profile_text(text, section)


def _read_exact(path: Path) -> str:
    # newline="": keep CRLF as CRLF (read_text would turn it into LF and rewrite the file)
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def holds_long_term_keys(values: Mapping[str, str] | None) -> bool:
    """A profile whose access key is used without a session token: long-term keys."""
    if not values or not values.get("aws_access_key_id"):
        return False
    return not (values.get("aws_session_token") or values.get("aws_security_token"))


def update_profile_text(text: str, section: str, values: Mapping[str, str]) -> str:
    """`text` with `[section]`'s credential keys set to `values`; every other line kept.

    Credential keys of the section that `values` does not set are removed (an old
    session token must not survive next to a new key). Pure: text in, text out.
    """
    for key, value in values.items():
        if "\n" in value or "\r" in value or "\n" in key:
            raise BadInput(f"value for {key} holds a line break; refusing to write it")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    pending = dict(values)
    target = next((s for s in _sections(lines) if s[0] == section), None)
    if target is None:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        if lines and lines[-1].strip():
            lines.append(newline)
        lines.append(f"[{section}]{newline}")
        lines.extend(f"{key} = {value}{newline}" for key, value in pending.items())
        return "".join(lines)

    _, start, end = target
    drop: set[int] = set()
    for index, key, _ in _options(lines, start, end):
        if key not in CREDENTIAL_KEYS:
            continue
        if key in pending:
            lines[index] = f"{key} = {pending.pop(key)}{newline}"
        else:
            drop.add(index)
        # an indented continuation of a replaced or removed value goes with it
        follow = index + 1
        while follow < end and lines[follow][:1] in (" ", "\t") and lines[follow].strip():
            drop.add(follow)
            follow += 1
    if pending:
        # after the section's last setting, before any comments that lead the next section
        last = max(
            (i for i in range(start, end) if lines[i].strip() and not _is_comment(lines[i])),
            default=start,
        )
        if not lines[last].endswith(("\n", "\r")):
            lines[last] += newline
        lines[last + 1 : last + 1] = [f"{key} = {value}{newline}" for key, value in pending.items()]
    return "".join(line for i, line in enumerate(lines) if i not in drop)


@dataclass(frozen=True)
class ProfileWrite:
    path: Path
    profile: str
    created_file: bool
    replaced: bool  # the profile existed before


def atomic_write(path: Path, text: str, *, mode: int = 0o600) -> None:
    """Temp file in the same folder (mode 0600 from birth), fsync, os.replace, fsync dir.

    A symlinked credentials file (dotfile repositories) is followed: the link stays and
    its target is replaced.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, mode)  # mkstemp already makes 0600; say so for any other mode
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def lock_path(path: Path) -> Path:
    """The lock file of a credentials file: beside the file it guards (its real path)."""
    target = Path(os.path.realpath(path))
    return target.with_name(target.name + ".lock")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the exclusive write lock of the credentials file at `path` (blocking)."""
    guard = lock_path(path)
    guard.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(guard, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_profile(
    path: Path, profile: str, values: Mapping[str, str], *, force: bool = False
) -> ProfileWrite:
    """Set `[profile]` in the credentials file at `path`. Refuses to overwrite long-term keys
    unless `force`: losing a user's only copy of its access key is not undoable."""
    check_profile_name(profile)
    try:
        with locked(path):
            return _write_profile_locked(path, profile, values, force=force)
    except OSError as err:  # the lock file itself could not be made or locked
        raise BadInput(f"cannot write {path}: {err.strerror or err}") from None


def _write_profile_locked(
    path: Path, profile: str, values: Mapping[str, str], *, force: bool
) -> ProfileWrite:
    """Read, change, replace: the caller holds the lock, so nobody replaces it meanwhile."""
    created = not path.exists()
    try:
        text = "" if created else _read_exact(path)
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"cannot read {path}: {err}") from None
    existing = read_profile_text(text, profile)
    if holds_long_term_keys(existing) and not force:
        assert existing is not None
        raise BadInput(
            f"profile {profile!r} in {path} holds long-term keys "
            f"({existing.get('aws_access_key_id')}); not overwriting them",
            hint="pick another --write-profile name, or pass --force to replace them",
        )
    try:
        atomic_write(path, update_profile_text(text, profile, values))
    except OSError as err:
        raise BadInput(f"cannot write {path}: {err.strerror or err}") from None
    return ProfileWrite(
        path=path, profile=profile, created_file=created, replaced=existing is not None
    )


def precedence_warning(config: Path, profile: str) -> str | None:
    """Why keys written for `profile` might be ignored: botocore resolves role_arn, web
    identity and SSO settings of the config file before it reads the credentials file."""
    section = "default" if profile == "default" else f"profile {profile}"
    try:
        values = read_profile(config, section)
    except BadInput:
        return None
    if not values:
        return None
    winners = [
        k
        for k in ("role_arn", "web_identity_token_file", "sso_session", "sso_start_url")
        if k in values
    ]
    if not winners:
        return None
    return (
        f"[{section}] in {config} sets {', '.join(winners)}, which the AWS SDKs use before the "
        f"credentials file: --profile {profile} will not use the token written"
    )
