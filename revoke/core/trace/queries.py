"""The SQL of the query sources: one CloudTrail Lake or Athena query for every lookup of
a level of the walk, its columns named as QUERY_COLUMNS (revoke.core.trace.records)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from revoke.core.trace.lookups import Lookup, check_lookup_value
from revoke.core.trace.records import QUERY_COLUMNS
from revoke.errors import BadInput


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def lake_sql(event_data_store: str, lookups: Sequence[Lookup], since: str) -> str:
    """One CloudTrail Lake query for every lookup of a level of the walk.

    Lake's SQL (StartQuery's QueryStatement) selects FROM the event data store ID and names
    nested fields with dots
    (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StartQuery.html).
    """
    if not re.match(r"^[\w-]{1,256}$", event_data_store, re.ASCII):
        raise BadInput(f"{event_data_store!r} is not an event data store ID")
    return _query_sql(
        f"FROM {event_data_store}",
        lookups,
        since,
        columns=(
            "eventID",
            "eventTime",
            "eventName",
            "eventSource",
            "awsRegion",
            "recipientAccountId",
            "sharedEventID",
            "errorCode",
            "userIdentity.type",
            "userIdentity.arn",
            "userIdentity.accessKeyId",
            "userIdentity.userName",
            "userIdentity.sessionContext.sessionIssuer.arn",
            "requestParameters",
            "responseElements",
        ),
        role_arn="element_at(requestParameters, 'roleArn')",
    )


def athena_sql(database: str, table: str, lookups: Sequence[Lookup], since: str) -> str:
    """One Athena query over the organization trail's table, with the column names of
    AWS's CloudTrail table DDL (lower case; requestparameters and responseelements are
    JSON text; https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table.html)."""
    for part in (database, table):
        if not re.match(r"^[A-Za-z0-9_]{1,255}$", part):
            raise BadInput(
                f"{part!r} is not an Athena database or table name",
                hint="--events athena:DATABASE.TABLE (letters, digits, underscores)",
            )
    return _query_sql(
        f'FROM "{database}"."{table}"',
        lookups,
        since,
        columns=(
            "eventid",
            "eventtime",
            "eventname",
            "eventsource",
            "awsregion",
            "recipientaccountid",
            "sharedeventid",
            "errorcode",
            "useridentity.type",
            "useridentity.arn",
            "useridentity.accesskeyid",
            "useridentity.username",
            "useridentity.sessioncontext.sessionissuer.arn",
            "requestparameters",
            "responseelements",
        ),
        role_arn="json_extract_scalar(requestparameters, '$.roleArn')",
    )


def _query_sql(
    source: str, lookups: Sequence[Lookup], since: str, *, columns: Sequence[str], role_arn: str
) -> str:
    keys = [check_lookup_value(x) for x in lookups if x.attribute == "AccessKeyId"]
    users = [check_lookup_value(x) for x in lookups if x.attribute == "Username"]
    roles = [check_lookup_value(x) for x in lookups if x.attribute == "ResourceName"]
    if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", since):
        raise BadInput(f"{since!r} is not a UTC time")
    key_col, user_col = columns[10], columns[11]
    where: list[str] = []
    if keys:
        where.append(f"{key_col} IN ({_quoted(keys)})")
    if users:
        where.append(f"{user_col} IN ({_quoted(users)})")
    if roles:
        where.append(f"{role_arn} IN ({_quoted(roles)})")
    if not where:
        raise BadInput("nothing to look up")
    selected = ", ".join(f"{c} AS {alias}" for c, alias in zip(columns, QUERY_COLUMNS, strict=True))
    return (
        f"SELECT {selected} {source} WHERE {columns[1]} >= '{since}' "
        f"AND ({' OR '.join(where)}) ORDER BY {columns[1]}"
    )
