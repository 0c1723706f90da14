"""The journal's record format: the schema's constants, the canonical JSON and its SHA-256
hash that chain the records, the timestamp, and the redaction of secrets before a record is
written; plus the `--target` filter that reads a record's target. No I/O."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

SCHEMA_VERSION = 1
GENESIS = "0" * 64
CHANGE_ACTIONS = ("revoke", "lift", "gc")
INTENT = "intent"
CLOSE = "close"  # closes an intent of which nothing was done (or found in force)
RECONCILED = "reconciled"  # status of a change record written by reconcile
REDACTED = "[redacted]"
# Member names that would hold a secret, compared without case, '_' or '-'.
_SECRET_NAMES = {
    "secretaccesskey",
    "awssecretaccesskey",
    "sessiontoken",
    "awssessiontoken",
    "securitytoken",
    "password",
    "newpassword",
    "oldpassword",
}


def utc_timestamp(moment: datetime | None = None) -> str:
    moment = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the record's canonical form, without its own `hash` member."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def target_key(kind: str, name: str) -> str:
    return f"{kind}/{name}"


def _normalised(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _env_secrets() -> set[str]:
    found = set()
    for var in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        value = os.environ.get(var)
        if value and len(value) >= 8:
            found.add(value)
    return found


# Member names already looked at: a bulk run's records repeat the same few dozen keys, so
# each is normalised once (bounded: a record with many distinct names fills it no further).
_SECRET_NAME_SEEN: dict[str, bool] = {}


def _secret_name(key: str) -> bool:
    found = _SECRET_NAME_SEEN.get(key)
    if found is None:
        found = _normalised(key) in _SECRET_NAMES
        if len(_SECRET_NAME_SEEN) < 4096:
            _SECRET_NAME_SEEN[key] = found
    return found


def redact(value: Any, secrets: frozenset[str] | set[str] = frozenset()) -> Any:
    """A copy of `value` with every secret-named member and every known secret replaced.

    Every record of a bulk run goes through here (two per target), so the common types are
    tested by `type(...) is` before the abstract-class checks (issue 13: no slower)."""
    kind = type(value)
    if kind is str:
        if secrets:
            for secret in secrets:
                if secret in value:
                    value = value.replace(secret, REDACTED)
        return value
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        out = {}
        seen = _SECRET_NAME_SEEN
        for key, item in value.items():
            named = seen.get(key)  # the common case: a key already looked at
            if named is None:
                named = isinstance(key, str) and _secret_name(key)
            if named and item is not None:
                out[key] = REDACTED
            elif item is None or type(item) in _SCALARS:
                out[key] = item
            else:
                out[key] = redact(item, secrets)
        return out
    if kind is list or kind is tuple:
        return [redact(item, secrets) for item in value]
    if isinstance(value, str):  # a str subclass
        return redact(str(value), secrets)
    return value


# Values redact passes through untouched (no secret can hide in them).
_SCALARS = frozenset({int, float, bool})


def matches_target(record: Mapping[str, Any], wanted: str) -> bool:
    """`--target` filter: a name, kind/name, or an ARN (case-insensitive names)."""
    target = record.get("target") or {}
    name = str(target.get("name", ""))
    kind = str(target.get("kind", ""))
    text = wanted.strip()
    if text.startswith("arn:"):
        arn = str(target.get("arn") or "")
        if arn:
            return arn.lower() == text.lower()
        text = text.rsplit(":", 1)[-1]
        text = f"{text.split('/', 1)[0]}/{text.rsplit('/', 1)[-1]}"
    if "/" in text:
        want_kind, want_name = text.split("/", 1)
        return kind == want_kind.lower() and name.lower() == want_name.lower()
    return name.lower() == text.lower()
