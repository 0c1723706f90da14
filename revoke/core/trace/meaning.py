"""What an event means for containment: a session it minted (`minted`), or a credential
or principal it created or changed (`is_foothold`, `foothold_target`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from revoke.core.trace.records import _ARN, Event, _dict, _text

MINTING = frozenset(
    {
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "GetFederationToken",
        "GetSessionToken",
    }
)
ROLE_MINTING = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})

# Credentials and principals created or changed: what each one is, in a responder's words.
FOOTHOLDS: dict[str, str] = {
    "CreateAccessKey": "access key",
    "CreateUser": "user",
    "CreateLoginProfile": "console password",
    "UpdateLoginProfile": "console password",
    "CreateServiceSpecificCredential": "service-specific credential",
    "UploadSSHPublicKey": "SSH public key",
    "EnableMFADevice": "MFA device",
    "UpdateAssumeRolePolicy": "trust policy",
    "CreateRole": "role",
    "CreateOpenIDConnectProvider": "OIDC provider",
    "CreateSAMLProvider": "SAML provider",
    "CreateTrustAnchor": "Roles Anywhere trust anchor",
    "CreateProfile": "Roles Anywhere profile",
}
_POLICY_CHANGE = re.compile(r"^(Put|Attach)(User|Role|Group)Policy$")
_ROLES_ANYWHERE = frozenset({"CreateTrustAnchor", "CreateProfile"})


# -- what an event means -----------------------------------------------------------------------


@dataclass(frozen=True)
class Minted:
    """A session an event issued."""

    access_key_id: str | None
    how: str
    role_arn: str | None
    session_name: str | None
    principal_arn: str | None
    userid: str | None  # aws:userid of a role session: ROLEID:RoleSessionName
    account: str | None


def _account_of(arn: str | None) -> str | None:
    match = _ARN.match(arn or "")
    return match.group(3) if match else None


def minted(event: Event) -> Minted | None:
    if event.name not in MINTING or event.failed:
        return None
    creds = _dict(event.response.get("credentials"))
    key = _text(creds.get("accessKeyId"))
    request = event.request
    if event.name in ROLE_MINTING:
        user = _dict(event.response.get("assumedRoleUser"))
        role = _text(request.get("roleArn"))
        return Minted(
            key,
            event.name,
            role,
            _text(request.get("roleSessionName")),
            _text(user.get("arn")),
            _text(user.get("assumedRoleId")),
            _account_of(role) or event.account,
        )
    if event.name == "GetFederationToken":
        user = _dict(event.response.get("federatedUser"))
        return Minted(
            key,
            event.name,
            None,
            _text(request.get("name")),
            _text(user.get("arn")),
            _text(user.get("federatedUserId")),
            event.account,
        )
    return Minted(key, event.name, None, None, event.actor_arn, None, event.account)


def is_foothold(event: Event) -> bool:
    if event.failed:
        return False
    if event.name in _ROLES_ANYWHERE:
        return event.source == "rolesanywhere.amazonaws.com"
    return event.name in FOOTHOLDS or bool(_POLICY_CHANGE.match(event.name))


def foothold_target(event: Event) -> dict[str, Any]:
    """What was created or changed, by name, never by secret."""
    req, resp = event.request, event.response
    what = FOOTHOLDS.get(event.name) or (
        "inline policy" if event.name.startswith("Put") else "attached policy"
    )
    target: dict[str, Any] = {"what": what}
    for key in ("userName", "roleName", "groupName", "policyName", "policyArn", "serviceName"):
        if _text(req.get(key)):
            target[key] = req[key]
    if event.name == "CreateAccessKey":
        made = _dict(resp.get("accessKey"))
        target["accessKeyId"] = _text(made.get("accessKeyId"))
        target.setdefault("userName", _text(made.get("userName")) or event.actor_user)
    elif event.name == "CreateUser":
        target["arn"] = _text(_dict(resp.get("user")).get("arn"))
    elif event.name == "CreateRole":
        target["arn"] = _text(_dict(resp.get("role")).get("arn"))
    elif event.name == "CreateServiceSpecificCredential":
        made = _dict(resp.get("serviceSpecificCredential"))
        target["serviceSpecificCredentialId"] = _text(made.get("serviceSpecificCredentialId"))
    elif event.name == "EnableMFADevice":
        target["serialNumber"] = _text(req.get("serialNumber"))
    elif event.name == "UpdateAssumeRolePolicy":
        target["policyDocument"] = req.get("policyDocument")
    elif event.name == "CreateOpenIDConnectProvider":
        target["url"] = _text(req.get("url"))
        target["arn"] = _text(resp.get("openIDConnectProviderArn"))
    elif event.name == "CreateSAMLProvider":
        target["name"] = _text(req.get("name"))
        target["arn"] = _text(resp.get("sAMLProviderArn"))
    elif event.name in _ROLES_ANYWHERE:
        target["name"] = _text(req.get("name"))
        inner = _dict(resp.get("trustAnchor") or resp.get("profile"))
        target["arn"] = _text(inner.get("trustAnchorArn") or inner.get("profileArn"))
    if event.name.startswith("Create") or event.name.startswith("Upload"):
        target.setdefault("userName", None)
    return {k: v for k, v in target.items() if v is not None}


def _created_user_arn(event: Event) -> str | None:
    if event.name != "CreateUser" or event.failed:
        return None
    return _text(_dict(event.response.get("user")).get("arn"))
