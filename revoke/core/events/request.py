"""The request one event calls for (`ContainmentRequest`, its `Principal`), the names of
what it calls for (KEY, INSTANCE, QUARANTINED, ROOT) and of the sources, the event names
the readers look for, and `finding_key`, the short ID `revoke approve` takes."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from revoke.core.keyowner import parse_access_key
from revoke.errors import BadInput

# What the finding calls for.
KEY = "access-key"  # a leaked or misused key: the key, and the sessions it minted
INSTANCE = "instance-credentials"  # an EC2 instance's role session used elsewhere
QUARANTINED = "quarantined-user"  # AWS quarantined a user: one of its keys is exposed
ROOT = "root-credentials"  # the root user: no IAM policy restricts it (fact 15)
KINDS = (KEY, INSTANCE, QUARANTINED, ROOT)

GUARDDUTY = "guardduty"
SECURITY_HUB = "securityhub"
HEALTH = "health"
CLOUDTRAIL = "cloudtrail"
SCANNER = "secret-scanner"

EXPOSED = "AWS_RISK_CREDENTIALS_EXPOSED"
QUARANTINE_POLICIES = frozenset(f"AWSCompromisedKeyQuarantine{v}" for v in ("", "V2", "V3", "V4"))
EXFILTRATION_TYPES = frozenset(
    f"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.{where}"
    for where in ("OutsideAWS", "InsideAWS")
)
ROOT_USAGE = "Policy:IAMUser/RootCredentialUsage"

# An event is a small JSON document; anything larger is not one of ours.
MAX_EVENT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Principal:
    """The IAM user or role whose policies govern the key (as the event names it)."""

    kind: str  # "user" | "role" | "root"
    name: str
    account: str | None = None
    arn: str | None = None


@dataclass(frozen=True)
class ContainmentRequest:
    """What one event calls for, before anything is read or changed."""

    source: str  # GUARDDUTY, SECURITY_HUB, HEALTH, CLOUDTRAIL, SCANNER
    finding_type: str  # the finding's own name for what happened
    kind: str  # KEY, INSTANCE, QUARANTINED, ROOT
    finding_id: str  # idempotency: the same finding delivered twice has the same ID
    reason: str  # one line for the responder
    access_key_id: str | None = None
    principal: Principal | None = None
    account: str | None = None
    instance_arn: str | None = None
    region: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainmentRequest:
        """The request as journalled (a pending record), checked again."""
        try:
            principal = data.get("principal")
            request = cls(
                source=str(data["source"]),
                finding_type=str(data["finding_type"]),
                kind=str(data["kind"]),
                finding_id=str(data["finding_id"]),
                reason=str(data["reason"]),
                access_key_id=data.get("access_key_id"),
                principal=Principal(**principal) if principal else None,
                account=data.get("account"),
                instance_arn=data.get("instance_arn"),
                region=data.get("region"),
                warnings=tuple(data.get("warnings") or ()),
            )
        except (KeyError, TypeError) as err:
            raise BadInput(f"the journalled finding is incomplete ({err})") from None
        if request.kind not in KINDS:
            raise BadInput(f"the journalled finding has an unknown kind {request.kind!r}")
        if request.access_key_id:
            parse_access_key(request.access_key_id)
        return request


def finding_key(finding_id: str) -> str:
    """A short, stable ID for a finding (what `revoke approve ID` takes)."""
    return "r-" + hashlib.sha256(finding_id.encode("utf-8")).hexdigest()[:12]
