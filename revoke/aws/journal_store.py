"""The remote journal stores (revoke.state.backends): S3 objects and DynamoDB items.

One record is one object (item), written once at its sequence number and never updated:
S3 PutObject with `If-None-Match: *` (412 PreconditionFailed or 409
ConditionalRequestConflict when the key is taken; Amazon S3 User Guide,
conditional-writes.html), DynamoDB PutItem with `attribute_not_exists(seq)`
(ConditionalCheckFailedException). The journal (revoke.state.journal) chains the records;
these classes only store and list them. A record is immutable once stored, so what was
read is kept for the life of the store (one run, one Lambda invocation).

The calls, and so the IAM actions deploy/template.yaml grants: s3:ListBucket (HeadBucket,
ListObjectsV2), s3:GetObject, s3:PutObject; dynamodb:DescribeTable, dynamodb:Query,
dynamodb:PutItem.
"""

from __future__ import annotations

from typing import Any

from revoke.aws.errors import aws_errors, error_code
from revoke.aws.session import WRITE_ATTEMPTS, AwsSession

# The key of record `seq` under the prefix: zero-padded so S3 lists them in order.
SEQ_DIGITS = 12
S3_TAKEN = {"PreconditionFailed", "ConditionalRequestConflict"}
DYNAMODB_TAKEN = "ConditionalCheckFailedException"


def s3_key(prefix: str, seq: int) -> str:
    return f"{prefix}/{seq:0{SEQ_DIGITS}d}.json"


class S3RecordStore:
    def __init__(self, session: AwsSession, bucket: str, prefix: str) -> None:
        self.session = session
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._read: dict[str, bytes] = {}  # key -> record (immutable once stored)

    def _client(self) -> Any:
        return self.session.client("s3", attempts=WRITE_ATTEMPTS)

    def check_usable(self) -> None:
        with aws_errors(f"s3://{self.bucket}"):
            self._client().head_bucket(Bucket=self.bucket)

    def _keys(self, start_after: str | None = None) -> list[str]:
        keys: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix + "/"}
        if start_after:
            kwargs["StartAfter"] = start_after
        with aws_errors(f"s3://{self.bucket}/{self.prefix}"):
            for page in self._client().get_paginator("list_objects_v2").paginate(**kwargs):
                keys.extend(
                    str(item["Key"])
                    for item in page.get("Contents") or ()
                    if str(item["Key"]).endswith(".json")
                )
        return sorted(keys)

    def _get(self, key: str) -> bytes:
        found = self._read.get(key)
        if found is None:
            with aws_errors(f"s3://{self.bucket}/{key}"):
                found = self._client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
            assert isinstance(found, bytes)
            self._read[key] = found
        return found

    def read_all(self) -> list[bytes]:
        return [self._get(key) for key in self._keys()]

    def last(self) -> bytes | None:
        known = max(self._read) if self._read else None
        keys = self._keys(start_after=known)
        if keys:
            return self._get(keys[-1])
        return self._read[known] if known else None

    def put_new(self, seq: int, data: bytes) -> bool:
        key = s3_key(self.prefix, seq)
        try:
            with aws_errors(f"s3://{self.bucket}/{key}"):
                self._client().put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=data,
                    ContentType="application/json",
                    IfNoneMatch="*",
                )
        except Exception as err:
            if _code(err) in S3_TAKEN:
                return False
            raise
        self._read[key] = data
        return True


class DynamoDBRecordStore:
    def __init__(self, session: AwsSession, table: str, name: str) -> None:
        self.session = session
        self.table = table
        self.name = name

    def _client(self) -> Any:
        return self.session.client("dynamodb", attempts=WRITE_ATTEMPTS)

    def check_usable(self) -> None:
        with aws_errors(f"dynamodb://{self.table}"):
            self._client().describe_table(TableName=self.table)

    def _query(self, **extra: Any) -> list[bytes]:
        found: list[bytes] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#j = :j",
            "ExpressionAttributeNames": {"#j": "journal"},
            "ExpressionAttributeValues": {":j": {"S": self.name}},
            "ConsistentRead": True,
            **extra,
        }
        with aws_errors(f"dynamodb://{self.table}/{self.name}"):
            while True:
                page = self._client().query(**kwargs)
                found.extend(str(item["record"]["S"]).encode("utf-8") for item in page["Items"])
                if "Limit" in kwargs or not page.get("LastEvaluatedKey"):
                    return found
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def read_all(self) -> list[bytes]:
        return self._query(ScanIndexForward=True)

    def last(self) -> bytes | None:
        found = self._query(ScanIndexForward=False, Limit=1)
        return found[0] if found else None

    def put_new(self, seq: int, data: bytes) -> bool:
        try:
            with aws_errors(f"dynamodb://{self.table}/{self.name}"):
                self._client().put_item(
                    TableName=self.table,
                    Item={
                        "journal": {"S": self.name},
                        "seq": {"N": str(seq)},
                        "record": {"S": data.decode("utf-8")},
                    },
                    ConditionExpression="attribute_not_exists(seq)",
                )
        except Exception as err:
            if _code(err) == DYNAMODB_TAKEN:
                return False
            raise
        return True


def _code(err: BaseException) -> str | None:
    return getattr(err, "code", None) or error_code(err)


def opener(session: AwsSession) -> Any:
    """The revoke.state.backends opener for journals reached with `session`."""

    def open_location(location: Any) -> S3RecordStore | DynamoDBRecordStore:
        if location.scheme == "s3":
            return S3RecordStore(session, location.container, location.name)
        return DynamoDBRecordStore(session, location.container, location.name)

    return open_location
