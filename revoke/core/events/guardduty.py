"""GuardDuty findings (`resource.accessKeyDetails`) and the Security Hub ASFF findings
that carry a GuardDuty IAM finding type, read into one request by the same rules
(`_from_key_details`): a key, an instance's credentials used elsewhere, or the root user."""

from __future__ import annotations

import re
from typing import Any

from revoke.core.events.checks import (
    _INSTANCE_ID,
    _KEY_IN_TEXT,
    _account,
    _dict,
    _list,
    _optional,
    _shown,
    _text,
)
from revoke.core.events.request import (
    EXFILTRATION_TYPES,
    GUARDDUTY,
    INSTANCE,
    KEY,
    ROOT,
    ROOT_USAGE,
    SECURITY_HUB,
    ContainmentRequest,
    Principal,
)
from revoke.core.keyowner import parse_access_key
from revoke.errors import BadInput

# -- GuardDuty ------------------------------------------------------------------------------


def _guardduty(finding: dict[str, Any]) -> ContainmentRequest:
    finding_type = _text(finding.get("type"), "the GuardDuty finding's type")
    finding_id = _text(finding.get("id"), "the GuardDuty finding's id")
    service = finding.get("service") if isinstance(finding.get("service"), dict) else {}
    additional = service.get("additionalInfo") if isinstance(service, dict) else None
    if isinstance(additional, dict) and additional.get("sample") in (True, "true"):
        raise BadInput(
            f"GuardDuty finding {_shown(finding_id)} is a sample finding "
            "(service.additionalInfo.sample): nothing to contain"
        )
    resource = finding.get("resource")
    if not isinstance(resource, dict):
        raise BadInput("the GuardDuty finding has no resource; nothing was called")
    details = resource.get("accessKeyDetails")
    if not isinstance(details, dict):
        raise BadInput(
            f"GuardDuty finding {_shown(finding_type)} names no access key "
            "(resource.accessKeyDetails): revoke respond contains credentials",
        )
    account = _account(finding.get("accountId"))
    instance_id = _instance_id(resource, details.get("principalId"))
    return _from_key_details(
        source=GUARDDUTY,
        finding_type=finding_type,
        finding_id=f"guardduty:{finding_id}",
        key_id=details.get("accessKeyId"),
        user_type=details.get("userType"),
        user_name=details.get("userName"),
        account=account,
        region=_optional(finding.get("region")),
        instance_id=instance_id,
        partition=_optional(finding.get("partition")) or "aws",
    )


def _instance_id(resource: dict[str, Any], principal_id: Any) -> str | None:
    """The instance whose credentials left it: instanceDetails, or the role session's
    principal ID `AROA...:i-...` (an instance-profile session is named after the instance)."""
    instance = resource.get("instanceDetails")
    if isinstance(instance, dict) and _INSTANCE_ID.match(str(instance.get("instanceId", ""))):
        return str(instance["instanceId"])
    if isinstance(principal_id, str) and ":" in principal_id:
        session = principal_id.split(":", 1)[1]
        if _INSTANCE_ID.match(session):
            return session
    return None


def _from_key_details(
    *,
    source: str,
    finding_type: str,
    finding_id: str,
    key_id: Any,
    user_type: Any,
    user_name: Any,
    account: str | None,
    region: str | None,
    instance_id: str | None,
    partition: str,
) -> ContainmentRequest:
    key = parse_access_key(str(key_id)).value if key_id else None
    principal = _principal(user_type, user_name, account, partition)
    if finding_type == ROOT_USAGE or (principal is not None and principal.kind == "root"):
        return ContainmentRequest(
            source=source,
            finding_type=finding_type,
            kind=ROOT,
            finding_id=finding_id,
            reason=f"{finding_type}: the account root user's credentials were used"
            + (f" (key {key})" if key else ""),
            access_key_id=key,
            principal=principal,
            account=account,
            region=region,
        )
    if key is None:
        raise BadInput(
            f"finding {_shown(finding_type)} names no access key ID; nothing was called",
            hint="revoke user|role NAME --before now, for the principal it names",
        )
    if finding_type in EXFILTRATION_TYPES:
        if principal is None or principal.kind != "role":
            raise BadInput(
                f"{finding_type} names no role session; nothing was called",
                hint=f"revoke key {key}",
            )
        instance_arn = None
        if instance_id and account and region:
            instance_arn = f"arn:{partition}:ec2:{region}:{account}:instance/{instance_id}"
        where = f" of instance {instance_id}" if instance_id else ""
        return ContainmentRequest(
            source=source,
            finding_type=finding_type,
            kind=INSTANCE,
            finding_id=finding_id,
            reason=f"{finding_type}: the credentials{where} (role {principal.name}, key "
            f"{key}) were used from {_where(finding_type)}",
            access_key_id=key,
            principal=principal,
            account=account,
            instance_arn=instance_arn,
            region=region,
            warnings=()
            if instance_arn
            else ("the finding does not name the instance: the whole role would be denied",),
        )
    owner = f"{principal.kind} {principal.name}" if principal else "its owner"
    return ContainmentRequest(
        source=source,
        finding_type=finding_type,
        kind=KEY,
        finding_id=finding_id,
        reason=f"{finding_type}: key {key} of {owner}",
        access_key_id=key,
        principal=principal,
        account=account,
        region=region,
    )


def _where(finding_type: str) -> str:
    if finding_type.endswith("InsideAWS"):
        return "another AWS account"
    return "outside AWS"


def _principal(
    user_type: Any, user_name: Any, account: str | None, partition: str
) -> Principal | None:
    kind = {"IAMUser": "user", "AssumedRole": "role", "Role": "role", "Root": "root"}.get(
        str(user_type or "")
    )
    if kind == "root":
        return Principal("root", "root", account, f"arn:{partition}:iam::{account}:root")
    if kind is None or not isinstance(user_name, str) or not user_name.strip():
        return None  # a federated user, a service: the key names its owner instead
    from revoke.core.names import parse_target

    name = parse_target(kind, user_name).name
    arn = f"arn:{partition}:iam::{account}:{kind}/{name}" if account else None
    return Principal(kind, name, account, arn)


# -- Security Hub (ASFF) --------------------------------------------------------------------


def _asff_list(findings: Any) -> ContainmentRequest:
    if not isinstance(findings, list) or not findings:
        raise BadInput("the Security Hub event holds no finding; nothing was called")
    if len(findings) > 1:
        raise BadInput(
            f"the Security Hub event holds {len(findings)} findings: revoke respond takes "
            "one a run (EventBridge sends one an event)"
        )
    if not isinstance(findings[0], dict):
        raise BadInput("the Security Hub finding is not an object; nothing was called")
    return _asff(findings[0])


def _asff(finding: dict[str, Any]) -> ContainmentRequest:
    finding_id = _text(finding.get("Id"), "the ASFF finding's Id")
    types = _list(finding.get("Types"))
    finding_type = next((t for t in map(_guardduty_type, types) if t), None)
    if finding_type is None:
        raise BadInput(
            "the Security Hub finding carries no GuardDuty IAM finding type (Types); "
            "revoke respond contains credentials named by an incident, not a posture check",
        )
    account = _account(finding.get("AwsAccountId"))
    region = _optional(finding.get("Region"))
    key_details: dict[str, Any] = {}
    instance_id = None
    partition = "aws"
    for resource in finding.get("Resources") or []:
        if not isinstance(resource, dict):
            continue
        partition = _optional(resource.get("Partition")) or partition
        details = _dict(resource.get("Details"))
        if resource.get("Type") == "AwsIamAccessKey":
            key_details = _dict(details.get("AwsIamAccessKey"))
            if not key_details.get("AccessKeyId"):
                found = _KEY_IN_TEXT.search(str(resource.get("Id", "")))
                key_details = {**key_details, "AccessKeyId": found.group(1) if found else None}
        elif resource.get("Type") == "AwsEc2Instance":
            candidate = str(resource.get("Id", "")).rsplit("/", 1)[-1]
            instance_id = candidate if _INSTANCE_ID.match(candidate) else None
    if not key_details:
        raise BadInput(
            f"Security Hub finding {_shown(finding_type)} has no AwsIamAccessKey resource; "
            "nothing was called"
        )
    if instance_id is None:
        principal_id = key_details.get("PrincipalId")
        instance_id = _instance_id({}, principal_id)
    # GuardDuty's finding, through Security Hub: the same ID, so one incident is one finding.
    gd = re.search(r":guardduty:[^/]*/[^/]+/finding/([^/]+)$", finding_id)
    return _from_key_details(
        source=SECURITY_HUB,
        finding_type=finding_type,
        finding_id=f"guardduty:{gd.group(1)}" if gd else f"securityhub:{finding_id}",
        key_id=key_details.get("AccessKeyId"),
        user_type=key_details.get("PrincipalType"),
        user_name=key_details.get("PrincipalName") or key_details.get("UserName"),
        account=_account(key_details.get("AccountId")) or account,
        region=region,
        instance_id=instance_id,
        partition=partition,
    )


def _guardduty_type(entry: Any) -> str | None:
    """`TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS`
    -> `UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS` (ASFF keeps
    the GuardDuty type as the last segment, its `/` written `-`)."""
    if not isinstance(entry, str):
        return None
    last = entry.rsplit("/", 1)[-1]
    match = re.match(r"^([A-Za-z]+):IAMUser-(.+)$", last)
    if match is None:
        return None
    return f"{match.group(1)}:IAMUser/{match.group(2)}"
