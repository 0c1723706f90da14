"""How IAM's answers arrive on the wire: timestamps and policy documents, decoded once.

Shared by the per-principal reads (`iam.py`) and the bulk reads (`bulk.py`), so neither
imports the other for a helper.
"""

from __future__ import annotations

import json
from typing import Any

from revoke.aws.errors import aws_errors
from revoke.core.plan import AccessKey


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        from datetime import timezone

        return str(value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return str(value)


def document(value: Any) -> dict[str, Any]:
    # botocore decodes IAM policy documents to dicts; some endpoints return the text.
    if isinstance(value, str):
        from urllib.parse import unquote

        return json.loads(unquote(value))  # type: ignore[no-any-return]
    return dict(value)


def list_access_keys(client: Any, user: str) -> list[AccessKey]:
    """One user's access keys (ListAccessKeys, every page) through `client`."""
    keys = []
    with aws_errors(f"iam:ListAccessKeys {user}"):
        for page in client.get_paginator("list_access_keys").paginate(UserName=user):
            for meta in page["AccessKeyMetadata"]:
                keys.append(
                    AccessKey(
                        access_key_id=meta["AccessKeyId"],
                        status=meta["Status"],
                        created=iso(meta.get("CreateDate")),
                    )
                )
    return keys
