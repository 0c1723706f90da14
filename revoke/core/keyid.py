"""What an access key ID says about itself, offline: its type and, often, its account.

Responders find key IDs in repositories, logs and tickets; before calling anything they
want to know "temporary or long-term? whose?". Pure: no I/O, no boto3.

- The 4-character prefix names the kind of identifier (AWS-FACTS fact 7: `ASIA` temporary,
  `AKIA` long-term; the full table is the IAM User Guide's "Understanding unique ID
  prefixes", reference_identifiers.html#identifiers-prefixes).
- The rest is base32 (alphabet A-Z and 2-7). In keys of the current generation, bits 1-40
  of the base32-decoded remainder hold the account ID: decode the 10 characters after the
  prefix to 6 bytes, read them as a 48-bit big-endian integer, account = (n &
  0x7fffffffff80) >> 7 (Tal Be'ery, "A short note on AWS KEY ID", 2023, building on Aidan
  Steele's "AWS Access Key ID formats", 2020).
- The first bit after the prefix tells the generation: 1 for current keys (the 5th
  character is one of Q-Z, 2-7), 0 for keys made before about 2019 (AKIAI..., AKIAJ...).
  Nobody has found the account in an old-generation ID, so `account` is None for those
  (WithSecure Labs, "A bitwise analysis of AWS access key identifiers", 2023: "Bit 20 ...
  indicates the generation"; "bits 21-60 are the ... AWS account number in new generation
  access key IDs only").

The decoded account is a hint until sts:GetAccessKeyInfo confirms it (fact 7): it is how
AWS encodes IDs today, not a documented contract.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from revoke.errors import BadInput

BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

# IAM User Guide, reference_identifiers: "Understanding unique ID prefixes".
PREFIXES: dict[str, tuple[str, str]] = {
    # prefix: (kind, what it identifies)
    "AKIA": ("long-term", "access key"),
    "ASIA": ("temporary", "temporary (AWS STS) access key"),
    "ABIA": ("bearer-token", "AWS STS service bearer token"),
    "ACCA": ("context-specific", "context-specific credential"),
    "AGPA": ("group", "IAM group"),
    "AIDA": ("user", "IAM user"),
    "AIPA": ("instance-profile", "Amazon EC2 instance profile"),
    "ANPA": ("managed-policy", "managed policy"),
    "ANVA": ("managed-policy-version", "version in a managed policy"),
    "APKA": ("public-key", "public key"),
    "AROA": ("role", "IAM role"),
    "ASCA": ("certificate", "certificate"),
}
# Prefixes of credentials a request can be signed with: their IDs are 20 characters.
ACCESS_KEY_PREFIXES = frozenset({"AKIA", "ASIA", "ABIA", "ACCA"})
ACCESS_KEY_LENGTH = 20
# Unique IDs of IAM entities (AIDA..., AROA...) are 21 characters.
UNIQUE_ID_LENGTH = 21

_SHAPE = re.compile(rf"^[{BASE32_ALPHABET}]+$")
_ACCOUNT_MASK = 0x7FFFFFFFFF80


@dataclass(frozen=True)
class KeyId:
    """A parsed access key ID or IAM unique ID."""

    value: str
    prefix: str
    kind: str  # 'temporary', 'long-term', 'user', 'role', ... (PREFIXES)
    description: str
    account: str | None  # decoded offline; None for old-generation IDs
    generation: str  # 'current' or 'legacy'

    @property
    def is_access_key(self) -> bool:
        return self.prefix in ACCESS_KEY_PREFIXES

    @property
    def temporary(self) -> bool:
        return self.kind == "temporary"

    @property
    def long_term(self) -> bool:
        return self.kind == "long-term"


def looks_temporary(access_key_id: str | None) -> bool:
    """An `ASIA` key ID (fact 7), without raising on anything else."""
    return bool(access_key_id) and str(access_key_id).strip().upper().startswith("ASIA")


def decode_account(value: str) -> str | None:
    """The 12-digit account encoded in a current-generation ID, or None (see module doc)."""
    body = value[4:14]
    if len(body) < 10 or not _SHAPE.match(body):
        return None
    if BASE32_ALPHABET.index(body[0]) < 16:  # generation bit 0: no account in the ID
        return None
    number = int.from_bytes(base64.b32decode(body + "======")[:6], "big")
    return f"{(number & _ACCOUNT_MASK) >> 7:012d}"


def parse_key_id(text: str) -> KeyId:
    """Validate and describe a key ID. Raises BadInput with the reason and the fix.

    Never echoes more than the key ID itself: a secret access key pasted by mistake is
    recognised by its shape and not repeated.
    """
    raw = (text or "").strip()
    if not raw:
        raise BadInput("no access key ID given", hint="for example ASIAY34FZKBOKMUTVV7A")
    if len(raw) == 40 and not _SHAPE.match(raw):
        # 40 characters of mixed case and +/: that is a secret access key, not its ID.
        raise BadInput(
            "that looks like a secret access key, not an access key ID; it was not echoed",
            hint="pass the 20-character ID that starts AKIA or ASIA; rotate the secret if it "
            "was pasted somewhere shared",
        )
    value = raw
    prefix = value[:4]
    if prefix not in PREFIXES:
        raise BadInput(
            f"{_shown(value)} does not start with a known prefix",
            hint="access key IDs start AKIA (long-term) or ASIA (temporary)",
        )
    expected = ACCESS_KEY_LENGTH if prefix in ACCESS_KEY_PREFIXES else UNIQUE_ID_LENGTH
    if len(value) != expected:
        raise BadInput(
            f"{_shown(value)} is {len(value)} characters; {prefix} IDs have {expected}",
        )
    if not _SHAPE.match(value):
        bad = sorted({ch for ch in value if ch not in BASE32_ALPHABET})
        raise BadInput(
            f"{_shown(value)} has characters no AWS ID uses: {' '.join(bad)}",
            hint="AWS IDs use only A-Z and 2-7 (no 0, 1, 8, 9, no lower case)",
        )
    kind, description = PREFIXES[prefix]
    account = decode_account(value)
    return KeyId(
        value=value,
        prefix=prefix,
        kind=kind,
        description=description,
        account=account,
        generation="current" if account is not None else "legacy",
    )


def _shown(value: str) -> str:
    # A key ID is not a secret, but whatever was pasted might be (a session token, a
    # secret key): echo only short alphanumeric input, never a piece of something longer.
    if len(value) <= 24 and value.isalnum():
        return repr(value)
    return "the value given (not echoed)"
