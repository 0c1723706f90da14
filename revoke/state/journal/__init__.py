"""The audit journal: what was changed, by whom, with what evidence, and how to put it back.

One file of JSON lines, append-only. Every change the toolkit makes to a principal (a
revocation written or refreshed, keys deactivated, a console password removed, a lift, a
clean-up) is one record, written right after the change and fsynced before the next target
is reported, so an interrupted run still leaves an accurate trail. `revoke lift` reads it
back to undo a revocation; `revoke journal verify` proves nobody edited it.

Record schema (version 1). Every record has:

    v             1
    seq           1-based position in the chain
    time          UTC, ISO 8601 with milliseconds and Z, when the record was written
    tool_version  revoke's version
    actor         the ARN that made the change (sts:GetCallerIdentity)
    account       the 12-digit account of the target
    action        "revoke" | "lift" | "gc" change records; "verify" records a later
                  verification result of the change whose hash is in `ref`
    target        {"kind": "user"|"role", "name": ..., "arn": ...}
    prev          SHA-256 (hex) of the previous record, 64 zeros for the first
    hash          SHA-256 (hex) of this record: its canonical JSON (sorted keys, no white
                  space, UTF-8) without the `hash` member

Change records ("revoke", "lift", "gc") also have:

    status        "applied" | "failed" | "interrupted" (failed/interrupted records exist
                  only when part of the change happened, e.g. keys were deactivated and the
                  policy write then failed)
    cutoff, previous_cutoff
    policy        {"name": ..., "mechanism": "inline"|"managed", "managed_policy_arn": ...}
    before, after the revocation policy document before and after (null: none)
    containment   steps: {"action": "deactivate_key"|"delete_login_profile"|
                  "reactivate_key", "access_key_id"?, ..., "result": "done"|"failed"|...}
    evidence      the principal as found before any change: inline and attached policies,
                  access keys (ID, status, created, last used), login profile, MFA devices,
                  groups (users); max session duration and trust policy (roles)
    verification  the verification result known when the record was written
    error, warnings, notes, ref (hashes of the records a lift undoes)
    intent        the hash of the "intent" record this outcome closes (write-ahead)

Write-ahead (issue 14): before the first AWS write for a target, an "intent" record says
what is about to be written (`writes`: the policy document and the containment steps,
`before`, `after`, `policy`, `cutoff`) and who is writing it (`pid`, `host`). It is on
disk, fsynced, before the write; the change record that follows names it in `intent`.
An intent that no later record names is dangling: the run died between the two (a crash,
SIGKILL, a full disk). revoke.ops.reconcile reads AWS for it and journals what it finds
as an ordinary "revoke" change record with status "reconciled" (so `lift`, `gc` and
`journal show` read it like any other change). A "close" record (not a change) closes an
intent of which nothing was done: the write failed, or reconcile found nothing in force.

Never a secret: secret access keys, session tokens and passwords are not read by the
toolkit, and `append` redacts any member with such a name, and any value equal to the
secret key or session token of the credentials in the environment, before writing.

Concurrency: appends take an exclusive `flock` on the file around read-last-hash, write
and fsync, so two responders sharing one journal (or the threads of one bulk run) never
interleave a line or fork the chain.

Files (revoke.state.files): a regular file only (a device, FIFO or folder is refused), and
an existing file must already be a journal; a file we create is 0600 and its new parent
folders 0700 whatever the umask; a file that was there keeps its mode. A torn last line
(a write cut short) is reported with its byte offset; `Journal.repair` removes it and keeps
a backup next to the journal.

Where (revoke.state.backends): the file is the default; `--journal s3://BUCKET/PREFIX` or
`dynamodb://TABLE/NAME` keeps the same records, chain and write-ahead order in S3 (one
object a record, written with `If-None-Match: *`) or DynamoDB (one item a record,
`attribute_not_exists`), for the Lambda handler (revoke.respond). The file rules below
(flock, file hygiene, repair) are the file's; the remote stores need none of them.

The chain detects an edited, inserted, reordered or removed record, except the removal of
the newest records: `journal verify` prints the head hash; noting it in the incident
ticket, and checking it later with `--expect-head`, closes that gap.
"""

from __future__ import annotations

# The package's modules, each one seam: records (the format, hashing, redaction), fileio
# (the file's lock, writes, scan and torn tail), intents (write-ahead bookkeeping), commit
# (the group commit) and chain (the Journal). Every public name is importable from here.
from revoke.state.backends import JournalError
from revoke.state.journal.chain import Journal
from revoke.state.journal.fileio import Repair, Scan
from revoke.state.journal.intents import (
    OutcomeNotJournalled,
    intent_owner_alive,
    is_bookkeeping,
    writer_identity,
)
from revoke.state.journal.records import (
    CHANGE_ACTIONS,
    CLOSE,
    GENESIS,
    INTENT,
    RECONCILED,
    REDACTED,
    SCHEMA_VERSION,
    canonical,
    matches_target,
    record_hash,
    redact,
    target_key,
    utc_timestamp,
)

__all__ = [
    "CHANGE_ACTIONS",
    "CLOSE",
    "GENESIS",
    "INTENT",
    "RECONCILED",
    "REDACTED",
    "SCHEMA_VERSION",
    "Journal",
    "JournalError",
    "OutcomeNotJournalled",
    "Repair",
    "Scan",
    "canonical",
    "intent_owner_alive",
    "is_bookkeeping",
    "matches_target",
    "record_hash",
    "redact",
    "target_key",
    "utc_timestamp",
    "writer_identity",
]
