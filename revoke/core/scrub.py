"""Take secrets out of text that came from outside before it is printed.

An AccessDenied message, a proxy's error page or a `credential_process` that prints what it
fetched on stderr can carry a secret access key or a session token; revoke echoes such text
in its one-line errors, warnings and per-target `error` fields. Every one of them passes
through `scrub` first.

Two nets: the exact secrets this process holds (the credentials in use, and those it
obtained: GetSessionToken, AssumeRole, credential_process output) are `remember`ed by the
AWS seam; and anything shaped like a secret access key (40 characters of base64 with both
cases) or a session token (base64 of 100 characters or more) is taken out even if revoke
never held it. Access key IDs (AKIA.../ASIA...) are not secrets and stay, since they are
how a responder names a key.
Pure: no I/O.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

REDACTED = "[redacted]"
# Shorter strings could be ordinary words; every AWS secret is far longer.
MIN_SECRET_LENGTH = 12

_B64 = r"A-Za-z0-9/+"
# A secret access key: exactly 40 base64 characters with upper and lower case letters
# (so a 40-digit hex SHA-1 is left alone).
_SECRET_KEY_SHAPE = re.compile(
    rf"(?<![{_B64}=])(?=[{_B64}]{{0,39}}[a-z])(?=[{_B64}]{{0,39}}[A-Z])[{_B64}]{{40}}(?![{_B64}=])"
)
# A session token: a long run of base64, optionally padded.
_TOKEN_SHAPE = re.compile(rf"[{_B64}]{{100,}}=*")

_known: set[str] = set()
_lock = threading.Lock()


def remember(*secrets: str | None) -> None:
    """Secrets this process holds from now on (None and short strings are ignored)."""
    found = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH}
    if found:
        with _lock:
            _known.update(found)


def forget_all() -> None:
    """For tests: start from no remembered secret."""
    with _lock:
        _known.clear()


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """`text` with every remembered secret (and `extra`) and every secret-shaped run replaced."""
    if not text:
        return text
    with _lock:
        secrets = set(_known)
    secrets.update(s for s in extra if s and len(s) >= MIN_SECRET_LENGTH)
    for secret in sorted(secrets, key=len, reverse=True):  # a token may contain a key
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _TOKEN_SHAPE.sub(REDACTED, text)
    return _SECRET_KEY_SHAPE.sub(REDACTED, text)
