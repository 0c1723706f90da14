"""Temporary credentials the sandbox has issued, and how they look.

moto's GetSessionToken hands everyone the same example key and remembers nothing. Here
every session gets its own key ID, secret and token, and a record binding it to who
asked, when, with or without MFA, and until when: what AWS evaluates on every later
request (facts 4, 5, 6, 9).

Key IDs look like AWS's: `ASIA` (temporary, fact 7) followed by 16 characters of the
base32 alphabet [A-Z2-7] that encode the owning account the way AWS does (so
`revoke/core`'s key-ID decoding and sts:GetAccessKeyInfo agree). The encoding: the
account ID halved plus 2**39 in five bytes, base32 (8 characters), then one character
from the first or second half of the alphabet for the account ID's parity, then random
characters. (Tal Be'ery, "A short note on AWS KEY ID", 2023; moto's
`generate_access_key_id_from_account_id` does the same.)

Credentials come from `secrets`, not the sandbox's seeded RNG: two sandboxes with the
same seed must still never hand out the same key.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
from dataclasses import dataclass
from datetime import datetime

BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ACCOUNT_OFFSET = 2**39
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
# Real session tokens are base64 of a binary blob that starts with these bytes, which is
# why so many of them begin "IQoJb3JpZ2luX2Vj".
_TOKEN_HEADER = b"\x21\x0a\x09origin_ec"


def key_id_for_account(prefix: str, account_id: str, length: int = 20) -> str:
    """A key ID (or unique ID) with `prefix` that decodes to `account_id`."""
    number = int(account_id)
    account_part = base64.b32encode((number // 2 + _ACCOUNT_OFFSET).to_bytes(5, "big"))
    half = BASE32_ALPHABET[16:] if number % 2 else BASE32_ALPHABET[:16]
    head = prefix + account_part.decode("ascii") + secrets.choice(half)
    return head + "".join(secrets.choice(BASE32_ALPHABET) for _ in range(length - len(head)))


def new_secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def new_session_token() -> str:
    return base64.b64encode(_TOKEN_HEADER + secrets.token_bytes(300)).decode("ascii")


@dataclass(frozen=True)
class SessionRecord:
    """One set of temporary credentials and everything AWS binds to it.

    kind: "user" (GetSessionToken by an IAM user), "root" (GetSessionToken by the account
    root), "role" (AssumeRole*) or "federated" (GetFederationToken; `name` is the IAM user
    who called it, whose policies govern the session). `arn` is the caller ARN
    GetCallerIdentity answers and AccessDenied messages name: the user, the root, the
    assumed-role or the federated-user session.
    """

    access_key_id: str
    secret_access_key: str
    session_token: str
    kind: str
    account_id: str
    arn: str
    user_id: str
    name: str  # user name, "root", or role name
    issued_at: datetime
    expires_at: datetime
    mfa: bool
    role_arn: str | None = None
    session_name: str | None = None
    role_id: str | None = None  # the role's unique ID (AROA...) when the session was issued
    # The session policy bound to the session (AssumeRole Policy/PolicyArns,
    # GetFederationToken's): None when the session has none. `session_policy_arns` are
    # managed policies, read when a request is evaluated.
    session_policy: str | None = None
    session_policy_arns: tuple[str, ...] = ()
    has_session_policy: bool = False

    @property
    def from_get_session_token(self) -> bool:
        return self.kind in ("user", "root")

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


class TokenStore:
    """Every session the sandbox knows, by access key ID. Shared by server threads."""

    def __init__(self) -> None:
        self._sessions: dict[str, SessionRecord] = {}
        self._lock = threading.Lock()

    def add(self, record: SessionRecord) -> None:
        with self._lock:
            self._sessions[record.access_key_id] = record

    def get(self, access_key_id: str) -> SessionRecord | None:
        with self._lock:
            return self._sessions.get(access_key_id)

    def all(self) -> list[SessionRecord]:
        with self._lock:
            return list(self._sessions.values())

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
