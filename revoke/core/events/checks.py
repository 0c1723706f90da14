"""The small checks every reader uses on a value taken from an event: required text, an
account ID, a dict or list or nothing, and `_shown`, which renders a name for a message but
never anything shaped like a secret."""

from __future__ import annotations

import re
from typing import Any

from revoke.errors import BadInput

_KEY_IN_TEXT = re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA)[A-Z2-7]{16})(?![A-Z0-9])")
_ACCOUNT = re.compile(r"^\d{12}$")
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
_PRINTABLE = re.compile(r"[^\w .:/@+=,()-]")
# A secret access key is 40 characters of base64; a session token is far longer.
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9/+=]{40,}")

# -- small checks ---------------------------------------------------------------------------


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"{what} is missing; nothing was called")
    if len(value) > 2048:
        raise BadInput(f"{what} is longer than 2,048 characters; nothing was called")
    return value.strip()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _optional(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _account(value: Any) -> str | None:
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    return text if _ACCOUNT.match(text) else None


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _shown(value: Any, *, quote: bool = True) -> str:
    """A short, printable rendering of a name taken from the event, never more than that:
    anything shaped like a secret (a long run of base64) is not shown at all."""
    if not isinstance(value, str) or not value:
        return "(none)"
    for run in _SECRET_SHAPE.findall(value):
        if any(c.islower() for c in run) and any(c.isupper() for c in run):
            return "(not shown)"  # mixed case: a secret key or token, not a hex digest
    text = _PRINTABLE.sub("?", value)
    if len(text) > 80:
        text = text[:77] + "..."
    return repr(text) if quote else text
