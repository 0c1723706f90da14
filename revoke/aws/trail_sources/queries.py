"""The query sources: one CloudTrail Lake query (`LakeSource`) or one Athena query over the
organization trail's table (`AthenaSource`) a level of the walk, polled until it finishes
(or QUERY_MAX_WAIT_SECONDS), its rows read back as CloudTrail records."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from revoke.aws.trail_sources.status import UNAVAILABLE, SourceStatus, TrailAnswer, _failure
from revoke.core.trace import Lookup, athena_sql, lake_sql, record_from_columns
from revoke.errors import RevokeError

QUERY_POLL_SECONDS = 1.0
QUERY_MAX_WAIT_SECONDS = 600.0


# -- CloudTrail Lake and Athena -----------------------------------------------------------------


class _QuerySource:
    name = "query"

    def __init__(
        self,
        session: Any,
        *,
        since: str,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = QUERY_POLL_SECONDS,
        max_wait: float = QUERY_MAX_WAIT_SECONDS,
    ) -> None:
        self.session = session
        self.since = since
        self._sleep = sleep
        self.poll_seconds = poll_seconds
        self.max_polls = max(1, int(max_wait / poll_seconds)) if poll_seconds > 0 else 1000
        self.warnings: list[str] = []

    def query(self, lookups: Sequence[Lookup]) -> TrailAnswer:
        answer = TrailAnswer()
        status = SourceStatus(self.name, None, None)
        answer.statuses.append(status)
        if not lookups:
            return answer
        try:
            answer.records = self._run(lookups, status)
        except Exception as err:  # noqa: BLE001 - a query that fails is this source's status
            if isinstance(err, RevokeError) and err.exit_code == 2:
                raise
            _failure(status, err)
        status.events = len(answer.records)
        return answer

    def _run(self, lookups: Sequence[Lookup], status: SourceStatus) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _give_up(self, status: SourceStatus, what: str) -> list[dict[str, Any]]:
        status.status = UNAVAILABLE
        status.error_code = "Timeout"
        status.error = (
            f"{what} did not finish within {self.max_polls * self.poll_seconds:g} s; "
            "nothing was read from it"
        )
        return []


class LakeSource(_QuerySource):
    name = "lake"

    def __init__(self, session: Any, event_data_store: str, **kwargs: Any) -> None:
        super().__init__(session, **kwargs)
        self.event_data_store = event_data_store

    def _run(self, lookups: Sequence[Lookup], status: SourceStatus) -> list[dict[str, Any]]:
        sql = lake_sql(self.event_data_store, lookups, self.since)
        client = self.session.client("cloudtrail")
        status.calls += 1
        query_id = client.start_query(QueryStatement=sql)["QueryId"]
        records: list[dict[str, Any]] = []
        token: str | None = None
        polls = 0
        while True:
            status.calls += 1
            page = client.get_query_results(
                QueryId=query_id, **({"NextToken": token} if token else {})
            )
            state = page.get("QueryStatus")
            if state in ("QUEUED", "RUNNING"):
                polls += 1
                if polls > self.max_polls:
                    return self._give_up(status, f"CloudTrail Lake query {query_id}")
                self._sleep(self.poll_seconds)
                continue
            if state != "FINISHED":
                status.status = UNAVAILABLE
                status.error_code = f"Query{(state or 'Unknown').title().replace('_', '')}"
                status.error = f"CloudTrail Lake query {state}: {page.get('ErrorMessage') or ''}"
                return []
            for row in page.get("QueryResultRows") or []:
                flat: dict[str, Any] = {}
                for cell in row or []:
                    if isinstance(cell, dict):
                        flat.update(cell)
                records.append(record_from_columns(flat))
            token = page.get("NextToken")
            if not token:
                return records


class AthenaSource(_QuerySource):
    name = "athena"

    def __init__(
        self,
        session: Any,
        database: str,
        table: str,
        *,
        workgroup: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(session, **kwargs)
        self.database = database
        self.table = table
        self.workgroup = workgroup

    def _run(self, lookups: Sequence[Lookup], status: SourceStatus) -> list[dict[str, Any]]:
        sql = athena_sql(self.database, self.table, lookups, self.since)
        client = self.session.client("athena")
        start: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self.database},
        }
        if self.workgroup:
            start["WorkGroup"] = self.workgroup
        status.calls += 1
        query_id = client.start_query_execution(**start)["QueryExecutionId"]
        polls = 0
        while True:
            status.calls += 1
            execution = client.get_query_execution(QueryExecutionId=query_id)
            state_info = (execution.get("QueryExecution") or {}).get("Status") or {}
            state = state_info.get("State")
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                status.status = UNAVAILABLE
                status.error_code = f"Query{state.title()}"
                status.error = f"Athena query {state}: {state_info.get('StateChangeReason') or ''}"
                return []
            polls += 1
            if polls > self.max_polls:
                return self._give_up(status, f"Athena query {query_id}")
            self._sleep(self.poll_seconds)
        records: list[dict[str, Any]] = []
        token: str | None = None
        first = True
        while True:
            status.calls += 1
            page = client.get_query_results(
                QueryExecutionId=query_id, **({"NextToken": token} if token else {})
            )
            result = page.get("ResultSet") or {}
            columns = [
                c.get("Name") or c.get("Label")
                for c in (result.get("ResultSetMetadata") or {}).get("ColumnInfo") or []
            ]
            rows = result.get("Rows") or []
            for index, row in enumerate(rows):
                values = [cell.get("VarCharValue") for cell in row.get("Data") or []]
                if first and index == 0 and values == columns:
                    continue  # the first page starts with the column names
                records.append(record_from_columns(dict(zip(columns, values, strict=False))))
            first = False
            token = page.get("NextToken")
            if not token:
                return records
