"""What containment an incoming event calls for (`revoke respond`). Pure: no boto3, no I/O.

One event in, one `ContainmentRequest` out, or a one-line BadInput (exit 2) before any
call. The events, bare or in their EventBridge envelope (`version`, `id`, `detail-type`,
`source`, `account`, `time`, `region`, `resources`, `detail`; EventBridge User Guide,
eb-events-structure):

- a GuardDuty finding (detail-type "GuardDuty Finding", source aws.guardduty) whose
  resource names an access key (`resource.accessKeyDetails`; GuardDuty API reference,
  Finding / Resource / AccessKeyDetails): instance-credential exfiltration
  (`UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS|.InsideAWS`),
  `CredentialAccess:IAMUser/*`, `Policy:IAMUser/RootCredentialUsage` and the other
  IAMUser findings;
- a Security Hub finding in ASFF (detail-type "Security Hub Findings - Imported") that
  carries one of those GuardDuty types (`Types`: `TTPs/<tactic>/<Purpose>:IAMUser-<Name>`)
  and the key in `Resources[].Details.AwsIamAccessKey`; other ASFF findings (CSPM control
  checks such as "keys not rotated") are not incidents and are refused;
- the AWS Health event `AWS_RISK_CREDENTIALS_EXPOSED` (source aws.health), the exposed key
  in `affectedEntities[].entityValue`;
- a CloudTrail event (detail-type "AWS API Call via CloudTrail") in which AWS attached
  AWSCompromisedKeyQuarantine, V2, V3 or V4 to a user (AWS-FACTS fact 30);
- a secret scanner's JSON line in TruffleHog's format (`DetectorName` "AWS", `Raw` the
  key ID, `RawV2` the ID and the secret, `ExtraData` the owner's ARN when verified).

Never a secret in what comes out: a TruffleHog line carries the secret access key
(`RawV2`); only access key IDs (which are not secrets, AWS-FACTS fact 7), ARNs, account
IDs and names leave this module, and no error quotes the event's text.
"""

from __future__ import annotations

import hashlib
import json
import re
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
_KEY_IN_TEXT = re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA)[A-Z2-7]{16})(?![A-Z0-9])")
_ACCOUNT = re.compile(r"^\d{12}$")
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
_PRINTABLE = re.compile(r"[^\w .:/@+=,()-]")
# A secret access key is 40 characters of base64; a session token is far longer.
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9/+=]{40,}")


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


# -- reading --------------------------------------------------------------------------------


def parse_event_text(text: str) -> ContainmentRequest:
    """One event as text (a file, stdin, a Lambda payload serialised): JSON, one object.

    A TruffleHog run prints one JSON line per result; a file of several lines is taken
    line by line only when it holds exactly one result."""
    if len(text.encode("utf-8", "replace")) > MAX_EVENT_BYTES:
        raise BadInput(
            f"the event is larger than {MAX_EVENT_BYTES // 1024} KiB: not one event",
            hint="pass one event (one finding, one TruffleHog line) a run",
        )
    stripped = text.strip()
    if not stripped:
        raise BadInput("the event is empty", hint="pass one event as JSON (a file or -)")
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as err:
        lines = [line for line in stripped.splitlines() if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):
            raise BadInput(
                f"{len(lines)} JSON lines: revoke respond takes one event a run",
                hint="feed each TruffleHog line to its own run",
            ) from None
        # The position only: the text itself may hold a secret (a scanner's line).
        raise BadInput(
            f"the event is not JSON (line {err.lineno}, column {err.colno}); nothing was called"
        ) from None
    return parse_event(value)


def parse_event(value: Any) -> ContainmentRequest:
    """The request for one event (a parsed JSON value), or a one-line BadInput."""
    if not isinstance(value, dict):
        raise BadInput(
            f"the event is a JSON {_json_type(value)}, not an object; nothing was called"
        )
    if "detail-type" in value or ("detail" in value and "source" in value):
        return _envelope(value)
    return _bare(value, envelope=None)


def _envelope(event: dict[str, Any]) -> ContainmentRequest:
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise BadInput("the EventBridge event has no detail object; nothing was called")
    source = event.get("source")
    detail_type = event.get("detail-type")
    if detail_type == "GuardDuty Finding":
        return _guardduty(detail)
    if detail_type == "Security Hub Findings - Imported":
        findings = detail.get("findings")
        return _asff_list(findings)
    if detail_type == "Findings Imported V2":
        raise BadInput(
            "a Security Hub OCSF finding (Findings Imported V2): revoke respond reads the "
            "ASFF event (Security Hub Findings - Imported)",
        )
    if detail_type == "AWS Health Event" or source == "aws.health":
        return _health(detail, envelope=event)
    if detail_type == "AWS API Call via CloudTrail":
        return _cloudtrail(detail)
    # A custom source (a scanner's results put on a bus) carries the finding itself.
    return _bare(detail, envelope=event)


def _bare(value: dict[str, Any], *, envelope: dict[str, Any] | None) -> ContainmentRequest:
    if "DetectorName" in value or "DetectorType" in value or "SourceMetadata" in value:
        return _trufflehog(value)
    if "Findings" in value or "findings" in value:  # get-findings output, or a detail
        return _asff_list(value.get("Findings", value.get("findings")))
    if "SchemaVersion" in value and "ProductArn" in value:
        return _asff(value)
    if "schemaVersion" in value and "resource" in value and "type" in value:
        return _guardduty(value)
    if "eventTypeCode" in value:
        return _health(value, envelope=envelope)
    if "eventSource" in value and "eventName" in value:
        return _cloudtrail(value)
    described = ""
    if envelope is not None:
        described = (
            f" (source {_shown(envelope.get('source'))}, "
            f"detail-type {_shown(envelope.get('detail-type'))})"
        )
    raise BadInput(
        f"not an event revoke respond knows{described}; nothing was called",
        hint="it reads GuardDuty and Security Hub (ASFF) findings, the AWS Health event "
        f"{EXPOSED}, CloudTrail events attaching AWSCompromisedKeyQuarantine*, and "
        "TruffleHog JSON lines",
    )


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


# -- AWS Health -----------------------------------------------------------------------------


def _health(detail: dict[str, Any], *, envelope: dict[str, Any] | None) -> ContainmentRequest:
    code = detail.get("eventTypeCode")
    if code != EXPOSED:
        raise BadInput(
            f"AWS Health event {_shown(code)} is not {EXPOSED}: nothing to contain",
        )
    event_arn = _text(detail.get("eventArn"), "the Health event's eventArn")
    keys: list[str] = []
    for entity in detail.get("affectedEntities") or []:
        if isinstance(entity, dict):
            found = _KEY_IN_TEXT.search(str(entity.get("entityValue", "")))
            if found and found.group(1) not in keys:
                keys.append(found.group(1))
    if not keys:
        raise BadInput(f"the {EXPOSED} event names no access key ID; nothing was called")
    key = parse_access_key(keys[0]).value
    account = _account(detail.get("affectedAccount")) or _account((envelope or {}).get("account"))
    warnings = tuple(
        f"the event also names key {other}: run revoke key {other}" for other in keys[1:]
    )
    return ContainmentRequest(
        source=HEALTH,
        finding_type=EXPOSED,
        kind=KEY,
        finding_id=f"health:{event_arn}:{key}",
        reason=f"{EXPOSED}: AWS found access key {key} exposed publicly",
        access_key_id=key,
        account=account,
        region=_optional((envelope or {}).get("region")),
        warnings=warnings,
    )


# -- CloudTrail (AWS quarantined a user) ----------------------------------------------------


def _cloudtrail(detail: dict[str, Any]) -> ContainmentRequest:
    name = detail.get("eventName")
    params = detail.get("requestParameters")
    policy_arn = str((params or {}).get("policyArn", "")) if isinstance(params, dict) else ""
    policy = policy_arn.rsplit("/", 1)[-1]
    if (
        detail.get("eventSource") != "iam.amazonaws.com"
        or name != "AttachUserPolicy"
        or policy not in QUARANTINE_POLICIES
        or ":iam::aws:policy/" not in policy_arn
    ):
        raise BadInput(
            f"CloudTrail event {_shown(name)} did not attach an AWS quarantine policy "
            "(AWSCompromisedKeyQuarantine*): nothing to contain",
        )
    if detail.get("errorCode"):
        raise BadInput(
            f"the AttachUserPolicy call failed ({_shown(detail.get('errorCode'))}): "
            "nothing was quarantined, nothing was called"
        )
    assert isinstance(params, dict)
    event_id = _text(detail.get("eventID"), "the CloudTrail event's eventID")
    account = _account(detail.get("recipientAccountId")) or _account(
        (detail.get("userIdentity") or {}).get("accountId")
        if isinstance(detail.get("userIdentity"), dict)
        else None
    )
    from revoke.core.names import parse_target

    user = parse_target("user", _text(params.get("userName"), "requestParameters.userName"))
    partition = policy_arn.split(":", 2)[1] if policy_arn.count(":") >= 2 else "aws"
    arn = f"arn:{partition}:iam::{account}:user/{user.name}" if account else None
    return ContainmentRequest(
        source=CLOUDTRAIL,
        finding_type=f"AttachUserPolicy:{policy}",
        kind=QUARANTINED,
        finding_id=f"cloudtrail:{event_id}",
        reason=f"AWS attached {policy} to user {user.name}: one of its access keys is "
        "exposed (the event does not say which)",
        principal=Principal("user", user.name, account, arn),
        account=account,
        region=_optional(detail.get("awsRegion")),
        warnings=(
            f"AWS asks never to remove {policy}: revoke leaves it in place",
            "the event does not name the key: every active key of the user is deactivated; "
            f"the {EXPOSED} Health event names it",
        ),
    )


# -- a secret scanner (TruffleHog) ----------------------------------------------------------


def _trufflehog(line: dict[str, Any]) -> ContainmentRequest:
    detector = line.get("DetectorName")
    if detector is None and line.get("DetectorType") == 2:  # detectorspb.DetectorType_AWS
        detector = "AWS"
    if str(detector or "").upper() != "AWS":
        raise BadInput(
            f"the scanner found a {_shown(detector)} secret, not an AWS access key: "
            "nothing to contain"
        )
    key = None
    # Raw is the key ID for TruffleHog's AWS detector; RawV2 is the ID and the secret.
    # Only the ID is looked for, and nothing of either is quoted back.
    for candidate in (line.get("Redacted"), line.get("Raw"), line.get("RawV2")):
        found = _KEY_IN_TEXT.search(str(candidate or ""))
        if found:
            key = found.group(1)
            break
    if key is None:
        raise BadInput(
            "the scanner's AWS result holds no access key ID (AKIA.../ASIA...); "
            "nothing was called (its secret was not echoed)"
        )
    key = parse_access_key(key).value
    extra = _dict(line.get("ExtraData"))
    account = _account(extra.get("account"))
    principal = None
    arn = extra.get("arn")
    if isinstance(arn, str):
        match = re.match(r"^arn:([\w-]+):iam::(\d{12}):user/(?:.*/)?([\w+=,.@-]{1,64})$", arn)
        if match:
            account = account or match.group(2)
            principal = Principal("user", match.group(3), match.group(2), arn)
    where = _scan_location(line.get("SourceMetadata"))
    fingerprint = hashlib.sha256(
        json.dumps(line.get("SourceMetadata"), sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()[:16]
    verified = line.get("Verified") is True
    return ContainmentRequest(
        source=SCANNER,
        finding_type="TruffleHog:AWS" + (" (verified)" if verified else " (unverified)"),
        kind=KEY,
        finding_id=f"trufflehog:{key}:{fingerprint}",
        reason=f"a secret scanner found access key {key} with its secret"
        + (f" in {where}" if where else "")
        + ("" if verified else " (not verified live)"),
        access_key_id=key,
        principal=principal,
        account=account,
    )


def _scan_location(metadata: Any) -> str | None:
    data = metadata.get("Data") if isinstance(metadata, dict) else None
    if not isinstance(data, dict) or not data:
        return None
    place = next(iter(data.values()))
    if not isinstance(place, dict):
        return None
    parts = [place.get("repository"), place.get("file"), place.get("commit")]
    shown = [_shown(p, quote=False) for p in parts if isinstance(p, str) and p]
    return " ".join(shown) or None


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
