"""CloudTrail for the sandbox: a management event for every request served, and LookupEvents.

moto records nothing and has no LookupEvents; `revoke trace` (issue 16) follows a leaked
key through exactly these records, so they are shaped as AWS shapes them:

- the record (CloudTrail User Guide, "CloudTrail record contents",
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
  eventVersion, userIdentity, eventTime (UTC, completed), eventSource
  (`<service>.amazonaws.com`), eventName, awsRegion, sourceIPAddress, userAgent,
  requestParameters, responseElements, errorCode/errorMessage (refused requests),
  requestID, eventID, readOnly, resources, eventType `AwsApiCall`, managementEvent,
  recipientAccountId, sharedEventID, eventCategory `Management`;
- userIdentity ("CloudTrail userIdentity element",
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html):
  type (IAMUser, AssumedRole, Root, AWSAccount, WebIdentityUser, SAMLUser), principalId,
  arn, accountId, accessKeyId, userName; for temporary credentials sessionContext with
  attributes.creationDate and attributes.mfaAuthenticated ("true"/"false"), and for role
  sessions sessionIssuer (type Role, principalId, arn, accountId, userName);
- STS (IAM User Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html; fact 27):
  the key issued is in responseElements.credentials.accessKeyId (the secret key and the
  session token are never recorded here, whatever AWS writes); AssumeRole into another
  account is logged in both accounts with one sharedEventID ("a GUID ... to uniquely
  identify CloudTrail events from the same AWS action that is sent to different AWS
  accounts"), the role's account seeing the caller as type AWSAccount; IAM, a global
  service, logs in us-east-1; STS logs in the region whose endpoint was called.

LookupEvents (CloudTrail API Reference, API_LookupEvents,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html, and
botocore's cloudtrail model): management events of the last 90 days of one account and
one region (the region the request was signed for), newest first; at most one lookup
attribute of EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
EventSource, AccessKeyId (InvalidLookupAttributesException otherwise); StartTime and
EndTime inclusive (InvalidTimeRangeException when reversed); MaxResults 1-50, default 50
(InvalidMaxResultsException); an opaque NextToken that must come back with the same
parameters (InvalidNextTokenException). Tokens name the last event returned, so events
recorded between two pages (LookupEvents itself is one) never shift a page.

The limit of two lookups a second per account and region is enforced only when asked
(`Trail.limit_lookups`, or `Sandbox(lookup_rate=2)`), answered with ThrottlingException:
enforced always, every test that pages would depend on the wall clock or sleep, and the
sandbox's `throttle_rate` fault injection already answers any request, LookupEvents
included, with ThrottlingException. The limiter reads an injectable clock.

Not modelled: data events (S3 object operations are not recorded, as AWS records them
only for trails that ask), Insights events (EventCategory=insight returns none),
tlsDetails, additionalEventData, and AWS's delivery delay (an event can be looked up as
soon as its request is answered). Events live in memory, bounded (`MAX_EVENTS`, oldest
dropped first), and are forgotten by `Sandbox.reset()`.
"""

from __future__ import annotations

# The package's modules: records (what a record says), lookup (a stored event, the
# LookupEvents checks and paging tokens) and trail (the Trail that records and answers).
from revoke.sandbox.cloudtrail.lookup import LOOKUP_KEYS, RETENTION, TrailEvent
from revoke.sandbox.cloudtrail.trail import MAX_EVENTS, Trail

__all__ = ["LOOKUP_KEYS", "MAX_EVENTS", "RETENTION", "Trail", "TrailEvent"]
