"""Where the journal's records are kept: a local file (the default) or a remote store.

`--journal PATH` (or REVOKE_JOURNAL) names the journal. A path is the local JSON-lines
file of revoke.state.journal, unchanged. Two URLs name a remote store instead:

    s3://BUCKET/PREFIX        one S3 object per record, PREFIX/000000000001.json, ...
    dynamodb://TABLE/NAME     one item per record: partition key `journal` = NAME,
                              sort key `seq` (a number); NAME defaults to "revoke"

(The command line hands the URL over as a path, which folds `//` to `/`; both spellings
are read the same. A local file whose path starts with `s3:/` or `dynamodb:/` is written
`./s3:/...`.)

Neither store has an append, so a record is written where its sequence number says and
only if nothing is there yet: S3's conditional write `If-None-Match: *` (the PutObject is
refused with 412 Precondition Failed when the key exists, 409 ConditionalRequestConflict
when two writers race for it; https://docs.aws.amazon.com/AmazonS3/latest/userguide/
conditional-writes.html), DynamoDB's PutItem with `attribute_not_exists(seq)`. A writer
that loses the race reads the new head and chains its record after it, so the hash chain
never forks and an intent record is stored before the AWS write it announces, exactly as
in the file (write-ahead). S3 Object Lock (deploy/template.yaml) keeps the records from
being overwritten or deleted during the retention period, which the chain alone cannot.

The stores themselves call AWS, so they live in revoke.aws.journal_store (the one boto3
seam); this package only knows their shape (`RecordStore`) and who opens them: whoever
holds the run's AWS session registers an opener (revoke.ops.respond does, for
`revoke respond|approve` and the Lambda handler). Nothing here imports boto3.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from revoke.errors import BadInput

S3 = "s3"
DYNAMODB = "dynamodb"
SCHEMES = (S3, DYNAMODB)
DEFAULT_S3_PREFIX = "revoke/journal"
DEFAULT_DYNAMODB_NAME = "revoke"
_URL = re.compile(r"^(s3|dynamodb):/+(.*)$", re.IGNORECASE)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


class JournalError(BadInput):
    """The journal cannot be read or written (exit 2: nothing was changed)."""


@dataclass(frozen=True)
class Location:
    """A remote journal: the store, its bucket or table, and the prefix or journal name."""

    scheme: str
    container: str  # the S3 bucket or the DynamoDB table
    name: str  # the S3 key prefix, or the DynamoDB partition key value

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.container}/{self.name}"

    def __str__(self) -> str:
        return self.url


def parse_location(path: Path | str) -> Location | None:
    """The remote journal `path` names, or None for a local file."""
    text = str(path)
    if text.startswith("./"):
        return None
    match = _URL.match(text)
    if match is None:
        return None
    scheme = match.group(1).lower()
    container, _, name = match.group(2).partition("/")
    name = name.strip("/")
    if scheme == S3:
        if not _BUCKET.match(container):
            raise JournalError(
                f"--journal {scheme}://{container}/...: {container!r} is not an S3 bucket name",
                hint="s3://BUCKET/PREFIX, for example s3://incident-journal/revoke",
            )
        return Location(S3, container, name or DEFAULT_S3_PREFIX)
    if not _TABLE.match(container) or "/" in name:
        raise JournalError(
            f"--journal {scheme}://{container}/{name}: not a DynamoDB table and journal name",
            hint="dynamodb://TABLE/NAME, for example dynamodb://revoke-journal/prod",
        )
    return Location(DYNAMODB, container, name or DEFAULT_DYNAMODB_NAME)


class RecordStore(Protocol):
    """One remote journal: records by sequence number, each written once.

    Records are bytes (one canonical JSON line, as the file holds them). Errors are
    revoke errors (revoke.aws raises AwsFailure); the journal turns them into
    JournalError with the location in the message."""

    def check_usable(self) -> None:
        """The store exists and this caller may read it (no write: a locked bucket keeps
        whatever is put in it)."""

    def read_all(self) -> list[bytes]:
        """Every record, in sequence order."""

    def last(self) -> bytes | None:
        """The newest record (None: the journal is empty)."""

    def put_new(self, seq: int, data: bytes) -> bool:
        """Store `data` as record `seq` unless one is there: False when another writer
        took `seq` first (nothing was written)."""


Opener = Callable[[Location], RecordStore]
_openers: dict[str, Opener] = {}
_lock = threading.Lock()


def register_opener(scheme: str, opener: Opener) -> None:
    """Who opens `scheme` journals in this process (the holder of the AWS session)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown journal scheme {scheme!r}")
    with _lock:
        _openers[scheme] = opener


def unregister_opener(scheme: str) -> None:
    with _lock:
        _openers.pop(scheme, None)


def open_store(location: Location) -> RecordStore:
    with _lock:
        opener = _openers.get(location.scheme)
    if opener is None:
        raise JournalError(
            f"the journal {location.url} is in {location.scheme}, which this command does "
            "not write; nothing was changed",
            hint="revoke respond, revoke approve and the Lambda handler keep their journal in "
            "S3 or DynamoDB; the other commands take a local --journal PATH",
        )
    return opener(location)
