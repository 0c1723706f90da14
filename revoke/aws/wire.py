"""How IAM's answers arrive on the wire: timestamps and policy documents, decoded once.

Shared by the per-principal reads (`iam.py`), the bulk reads (`bulk.py`) and the credential
reads of the coverage model (`credentials.py`), so none imports another for a helper and each
IAM answer is decoded in one place.
"""

from __future__ import annotations

import json
from typing import Any

from revoke.aws.errors import aws_errors, error_code
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


def get_principal(client: Any, kind: str, name: str) -> dict[str, Any] | None:
    """GetUser / GetRole: the entity as IAM returns it; None when there is no such principal
    (NoSuchEntity)."""
    import botocore.exceptions

    with aws_errors(f"iam:Get{kind.title()} {name}"):
        try:
            if kind == "user":
                return dict(client.get_user(UserName=name)["User"])
            return dict(client.get_role(RoleName=name)["Role"])
        except botocore.exceptions.ClientError as err:
            if error_code(err) == "NoSuchEntity":
                return None
            raise


def list_attached_policies(client: Any, kind: str, name: str) -> list[dict[str, str]]:
    """ListAttachedUserPolicies / ListAttachedRolePolicies, every page:
    {"PolicyName", "PolicyArn"} each. Errors are the caller's to translate: a principal's
    read reports them under its GetUser/GetRole, the coverage read under its own name."""
    op = "list_attached_user_policies" if kind == "user" else "list_attached_role_policies"
    arg = {"UserName": name} if kind == "user" else {"RoleName": name}
    pages = client.get_paginator(op).paginate(**arg)
    return [dict(p) for page in pages for p in page["AttachedPolicies"]]


def get_login_profile(client: Any, user: str) -> dict[str, Any] | None:
    """GetLoginProfile: the console password's metadata (never the password: IAM does not
    return it); None when the user has none."""
    import botocore.exceptions

    with aws_errors(f"iam:GetLoginProfile {user}"):
        try:
            found = client.get_login_profile(UserName=user)["LoginProfile"]
        except botocore.exceptions.ClientError as err:
            if error_code(err) == "NoSuchEntity":
                return None
            raise
    return {
        "created": iso(found.get("CreateDate")),
        "password_reset_required": bool(found.get("PasswordResetRequired", False)),
    }


def list_mfa_devices(client: Any, user: str) -> list[dict[str, Any]]:
    """ListMFADevices, every page: {"serial_number", "enabled"} each."""
    with aws_errors(f"iam:ListMFADevices {user}"):
        pages = client.get_paginator("list_mfa_devices").paginate(UserName=user)
        return [
            {"serial_number": d["SerialNumber"], "enabled": iso(d.get("EnableDate"))}
            for page in pages
            for d in page["MFADevices"]
        ]
