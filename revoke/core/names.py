"""Target names: IAM syntax and the principals AWS will not let a policy restrict.

Checked before any call, so a typo costs nothing and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from revoke.errors import BadInput

# IAM user and role names: 1-64 of [\\w+=,.@-] (IAM API reference, CreateUser/CreateRole).
_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)
_ARN = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):iam::(?P<account>\d{12}):(?P<rest>.+)$",
)
SERVICE_LINKED_PATH = "/aws-service-role/"
IDENTITY_CENTER_PATH_PREFIX = "/aws-reserved/sso.amazonaws.com/"


@dataclass(frozen=True)
class TargetName:
    kind: str  # "user" | "role"
    name: str
    account: str | None = None  # when given as an ARN


def parse_target(kind: str, raw: str) -> TargetName:
    """A user or role name (or ARN) as typed by the responder."""
    text = raw.strip()
    if not text:
        raise BadInput(f"empty {kind} name")
    account = None
    if text.startswith("arn:"):
        match = _ARN.match(text)
        if not match:
            raise BadInput(f"{text!r} is not an IAM ARN")
        account, rest = match.group("account"), match.group("rest")
        if rest == "root":
            raise root_refused(text)
        prefix = f"{kind}/"
        if not rest.startswith(prefix):
            raise BadInput(
                f"{text!r} is not a {kind} ARN",
                hint=f"revoke {rest.split('/', 1)[0]} ... for that principal"
                if "/" in rest
                else None,
            )
        text = rest.rsplit("/", 1)[-1]  # path segments precede the name
    elif kind == "user" and text.lower() == "root":
        raise root_refused(text)
    if not _NAME.match(text):
        raise BadInput(
            f"{text!r} is not a valid IAM {kind} name",
            hint="1-64 characters: letters, digits and + = , . @ _ -",
        )
    if kind == "role" and text.startswith("AWSServiceRoleFor"):
        raise service_linked_refused(text)
    return TargetName(kind=kind, name=text, account=account)


def root_refused(text: str) -> BadInput:
    # Fact 15: IAM policies cannot restrict the root user nor its GetSessionToken tokens.
    return BadInput(
        f"{text}: the account root user cannot be restricted by IAM policies",
        hint="for a member account use an SCP (revoke org --target ACCOUNT_ID); "
        "otherwise rotate the root password, delete root access keys and check MFA. "
        "An IAM user literally named root: pass arn:aws:iam::ACCOUNT:user/root",
    )


def service_linked_refused(name: str) -> BadInput:
    # Fact 15: service-linked roles cannot be given the deny.
    return BadInput(
        f"role {name} is a service-linked role: AWS does not allow policies to be attached to it",
        hint="contain the service that uses it, or the principals that can pass it",
    )


def identity_center_refused(name: str) -> BadInput:
    # Fact 16: Identity Center permission-set roles cannot be edited in IAM.
    return BadInput(
        f"role {name} is managed by IAM Identity Center and cannot be edited in IAM",
        hint="add the deny to the permission set's inline policy in IAM Identity Center",
    )


def read_names_file(text: str) -> list[str]:
    """One name a line; blank lines and `#` comments ignored."""
    names = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            names.append(entry)
    return names
