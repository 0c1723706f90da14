"""What a credential did that matters for containment, from its CloudTrail records. Pure.

`revoke trace` (issue 16, item 1) reads CloudTrail management events (revoke.aws.
trail_sources) and hands the records here; this module parses them, decides which
further lookups the walk needs (follow_ups), and builds the tree (build_trace):

- sessions the credential minted (AssumeRole, AssumeRoleWithSAML,
  AssumeRoleWithWebIdentity, GetFederationToken, GetSessionToken), and recursively what
  those sessions minted;
- credentials and principals it created or changed (FOOTHOLDS);
- every node with its evidence: event ID, time, region, account.

The record fields, as AWS documents them:

- `userIdentity.accessKeyId`, `.arn`, `.userName`, `.sessionContext.sessionIssuer.arn`:
  who made the request and with which key
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html);
- `eventID`, `eventTime` (UTC), `awsRegion`, `recipientAccountId` (the account that
  received the event), `sharedEventID` ("the same AWS action delivered to different AWS
  accounts"), `errorCode`, `requestParameters`, `responseElements`
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html);
- STS events carry the issued key in `responseElements.credentials.accessKeyId`, the role
  in `requestParameters.roleArn`, the session name in `requestParameters.roleSessionName`,
  the session in `responseElements.assumedRoleUser` (`assumedRoleId` is
  `ROLEID:RoleSessionName`, the session's aws:userid); a cross-account AssumeRole is
  logged in the caller's account and in the role's account
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html, "Example
  AWS STS API events in CloudTrail log"). Both copies share one sharedEventID: one node.

Role chain juggling (A assumes B assumes A ...; aws-samples IRP-STSTokenAbuse, AWS-FACTS
fact 26) mints a fresh key at every step, so the keys form a chain, never a cycle; the
cycle is in the roles. Sessions of roles that reach each other (a strongly connected part
of the role graph) collapse into one `loop` node listing every session it cycled through.
Every walk here is iterative over sets of seen keys and events: it ends on any input,
however long, forged or self-referential.

Nothing here prints or keeps a secret: records may hold a session token (older STS
examples log `responseElements.credentials.sessionToken`); only key IDs (not secret,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html) and
names leave this module.

The modules, each importing only those above it: `records` (a CloudTrail record or query
row as an `Event`, cross-account copies merged), `meaning` (the session an event minted,
the foothold it made), `lookups` (the start, the walk's lookups and follow-ups), `queries`
(the Lake and Athena SQL), `nodes` (the tree's nodes), `summary` (the finished `Trace` and
what containment needs from it), `loops` (role cycles collapsed), `tree` (`build_trace`),
`drawing` (the tree and rows for a terminal). Every name is importable from here.
"""

from __future__ import annotations

from revoke.core.trace.drawing import NODE_COLUMNS, node_rows, tree_lines
from revoke.core.trace.lookups import (
    MAX_LOOKUPS,
    Lookup,
    Start,
    check_lookup_value,
    first_lookups,
    follow_ups,
    parse_start,
)
from revoke.core.trace.meaning import (
    FOOTHOLDS,
    MINTING,
    ROLE_MINTING,
    Minted,
    foothold_target,
    is_foothold,
    minted,
)
from revoke.core.trace.nodes import Node
from revoke.core.trace.queries import athena_sql, lake_sql
from revoke.core.trace.records import (
    KEY_ID,
    LOOKUP_EVENTS_URL,
    QUERY_COLUMNS,
    RECORD_CONTENTS_URL,
    STS_EVENTS_URL,
    USER_IDENTITY_URL,
    Event,
    Evidence,
    merge_copies,
    parse_loose,
    parse_record,
    record_from_columns,
)
from revoke.core.trace.summary import Trace
from revoke.core.trace.tree import build_trace

__all__ = [
    "Event",
    "Evidence",
    "FOOTHOLDS",
    "KEY_ID",
    "LOOKUP_EVENTS_URL",
    "Lookup",
    "MAX_LOOKUPS",
    "MINTING",
    "Minted",
    "NODE_COLUMNS",
    "Node",
    "QUERY_COLUMNS",
    "RECORD_CONTENTS_URL",
    "ROLE_MINTING",
    "STS_EVENTS_URL",
    "Start",
    "Trace",
    "USER_IDENTITY_URL",
    "athena_sql",
    "build_trace",
    "check_lookup_value",
    "first_lookups",
    "follow_ups",
    "foothold_target",
    "is_foothold",
    "lake_sql",
    "merge_copies",
    "minted",
    "node_rows",
    "parse_loose",
    "parse_record",
    "parse_start",
    "record_from_columns",
    "tree_lines",
]
