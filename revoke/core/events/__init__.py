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
IDs and names leave this package, and no error quotes the event's text.

The modules, each importing only those above it: `request` (the request and the names of
what it calls for), `checks` (the small checks on a value from an event), one reader a
source family (`guardduty` with Security Hub's ASFF, `health`, `cloudtrail`, `scanners`),
and `envelope` (the event's text and envelope, sent to its reader). Every name is
importable from here.
"""

from __future__ import annotations

from revoke.core.events.envelope import parse_event, parse_event_text
from revoke.core.events.request import (
    CLOUDTRAIL,
    EXFILTRATION_TYPES,
    EXPOSED,
    GUARDDUTY,
    HEALTH,
    INSTANCE,
    KEY,
    KINDS,
    MAX_EVENT_BYTES,
    QUARANTINE_POLICIES,
    QUARANTINED,
    ROOT,
    ROOT_USAGE,
    SCANNER,
    SECURITY_HUB,
    ContainmentRequest,
    Principal,
    finding_key,
)

__all__ = [
    "CLOUDTRAIL",
    "ContainmentRequest",
    "EXFILTRATION_TYPES",
    "EXPOSED",
    "GUARDDUTY",
    "HEALTH",
    "INSTANCE",
    "KEY",
    "KINDS",
    "MAX_EVENT_BYTES",
    "Principal",
    "QUARANTINED",
    "QUARANTINE_POLICIES",
    "ROOT",
    "ROOT_USAGE",
    "SCANNER",
    "SECURITY_HUB",
    "finding_key",
    "parse_event",
    "parse_event_text",
]
