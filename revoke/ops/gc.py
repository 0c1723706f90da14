"""Clean up dead revocations (`revoke gc`): remove the ones that can no longer deny anything.

A revocation stops mattering once every token it can deny has expired (fact 23): a cutoff
older than the longest life of a covered token, plus a margin for propagation (fact 18)
and clocks. Users: 36 h (fact 1, GetSessionToken and GetFederationToken). Roles: 12 h, the
ceiling of MaxSessionDuration, by default, because a role's MaxSessionDuration does not
bound every session of it: "IAM role credentials provided by Amazon EC2 instances assigned
to the role are not subject to the specified maximum session duration", nor does it apply
to console sign-in URLs (IAM API Reference, UpdateRole, MaxSessionDuration).
`--use-max-session-duration` opts in to the role's own setting, taking the larger of its
current value and the one the journal recorded at revocation (lowering it afterwards must
not shorten the wait).

Like a lift, a removal reads the policy again just before writing
(`RevocationPolicy.changed_since_plan`, shared with lift.py): a deny refreshed while the
prompt waited is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from revoke.core.policy import POLICY_NAME, existing_cutoff, revocation_cutoff_of, statements_of
from revoke.core.sessiondeny import SESSION_POLICY_NAME, session_cutoff
from revoke.core.timeparse import cutoff_datetime, format_cutoff, human_duration
from revoke.errors import RevokeError
from revoke.ops.revocation_policy import ROLE_TOKEN_LIFE, USER_TOKEN_LIFE, RevocationPolicy
from revoke.state.journal import CHANGE_ACTIONS, Journal

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway

DEFAULT_MARGIN = 3_600  # fact 18 propagation ("a few minutes") and clock skew, generously


def strip_revocation(document: dict[str, Any]) -> dict[str, Any] | None:
    """The document without its revocation statement(s); None when nothing else is left."""
    from revoke.core.sessiondeny import session_statement_of

    others = [
        s
        for s in statements_of(document)
        if revocation_cutoff_of(s) is None and session_statement_of(s) is None
    ]
    if not others:
        return None
    kept = dict(document)
    kept["Statement"] = others
    return kept


def token_life(
    kind: str,
    *,
    max_session_duration: int | None = None,
    recorded: list[int] | None = None,
    use_max_session_duration: bool = False,
) -> tuple[int, str]:
    """The longest a token the deny covers can live, and where that number comes from."""
    if kind == "user":
        return USER_TOKEN_LIFE, (
            "36 h: the longest IAM user session "
            "(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html)"
        )
    if not use_max_session_duration:
        return ROLE_TOKEN_LIFE, (
            "12 h: the longest role session; MaxSessionDuration does not bound EC2 instance "
            "credentials or console sign-in sessions"
        )
    values = [v for v in [max_session_duration, *(recorded or [])] if v]
    if not values:
        return ROLE_TOKEN_LIFE, "12 h: the role's MaxSessionDuration is unknown"
    life = max(values)
    source = "the role's MaxSessionDuration"
    if recorded and max(recorded) > (max_session_duration or 0):
        source += " when it was revoked (the journal's evidence; it was lowered since)"
    return life, f"{human_duration(life)}: {source}"


@dataclass
class GcItem(RevocationPolicy):
    document: dict[str, Any] | None = None  # as found: what a removal starts from
    cutoff: str | None = None
    token_life_seconds: int | None = None
    token_life_source: str | None = None
    removable_after: str | None = None
    status: str = "kept"  # kept | planned | removed | skipped | failed
    reason: str | None = None
    error: str | None = None
    remaining_document: dict[str, Any] | None = None
    journalled: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **self.where_json(),
            "cutoff": self.cutoff,
            "token_life_seconds": self.token_life_seconds,
            "token_life_source": self.token_life_source,
            "removable_after": self.removable_after,
            "status": self.status,
            "reason": self.reason,
            "error": self.error,
            "in_journal": self.journalled,
        }
        self.arn_json(data)
        if self.status in ("planned", "removed") and self.remaining_document is not None:
            data["remaining_document"] = self.remaining_document
        return data


def decide_gc(item: GcItem, *, now: datetime, margin: int) -> GcItem:
    """Pure: keep or remove, given the cutoff, the token life and the margin."""
    if item.document is None:
        item.reason = "no document"
        return item
    # A session-scoped deny (revoke --follow, revoke respond) is gone the same way: every
    # session it names was issued before its cutoff (revoke.core.sessiondeny).
    item.cutoff = existing_cutoff(item.document) or session_cutoff(item.document)
    if item.cutoff is None:
        item.reason = "holds no revocation statement: not ours to remove"
        return item
    assert item.token_life_seconds is not None
    until = cutoff_datetime(item.cutoff) + timedelta(seconds=item.token_life_seconds + margin)
    item.removable_after = format_cutoff(until)
    if now < until:
        item.reason = f"still in force: tokens it denies may live until {item.removable_after}"
        return item
    item.status = "planned"
    item.remaining_document = strip_revocation(item.document)
    item.reason = "every token issued before the cutoff has expired" + (
        "; the other statements are kept" if item.remaining_document else ""
    )
    return item


def plan_gc(
    gateway: IamGateway,
    journal: Journal,
    *,
    account: str | None,
    now: datetime | None = None,
    margin: int = DEFAULT_MARGIN,
    use_max_session_duration: bool = False,
    max_workers: int = 8,
    on_done: Callable[[Any], None] | None = None,
) -> list[GcItem]:
    """Find every revocation policy in the account (inline by name, our managed fallback
    by path) and decide, per policy, whether it can still matter."""
    from revoke.ops.pool import map_bounded

    now = now or datetime.now(timezone.utc)
    records = journal.records() if journal.exists() else []
    journalled = {
        (r["target"]["kind"], str(r["target"]["name"]).lower())
        for r in records
        if r.get("action") in CHANGE_ACTIONS and isinstance(r.get("target"), dict)
    }
    recorded_durations: dict[str, list[int]] = {}
    for r in records:
        duration = (r.get("evidence") or {}).get("max_session_duration")
        if duration and (r.get("target") or {}).get("kind") == "role":
            recorded_durations.setdefault(str(r["target"]["name"]).lower(), []).append(
                int(duration)
            )

    candidates: list[tuple[str, str]] = []

    def scan(principal: tuple[str, str]) -> tuple[str, str] | None:
        kind, name = principal
        listed = gateway.inline_policy_names(kind, name)
        return principal if POLICY_NAME in listed or SESSION_POLICY_NAME in listed else None

    principals = [(k, n) for k in ("user", "role") for n in gateway.list_names(k)]
    candidates = [c for c in map_bounded(scan, principals, max_workers, on_done) if c]
    managed = gateway.managed_fallbacks()
    candidates += [(k, n) for k, n, _ in managed if (k, n) not in candidates]

    def inspect(principal: tuple[str, str]) -> list[GcItem]:
        kind, name = principal
        items = []
        try:
            state = gateway.read_principal(kind, name, with_keys=False)
        except RevokeError as err:
            item = GcItem(kind, name, account, POLICY_NAME, "inline", None, None)
            item.status, item.error = "failed", err.message
            return [item]
        life, source = token_life(
            kind,
            max_session_duration=state.max_session_duration,
            recorded=recorded_durations.get(name.lower()),
            use_max_session_duration=use_max_session_duration,
        )
        found: list[tuple[str, str, str | None, dict[str, Any] | None]] = []
        for inline in (POLICY_NAME, SESSION_POLICY_NAME):
            if inline in state.inline_policies:
                found.append((inline, "inline", None, state.inline_policies[inline]))
        if state.managed_fallback_arn:
            found.append(
                (
                    state.managed_fallback_arn.rsplit("/", 1)[-1],
                    "managed",
                    state.managed_fallback_arn,
                    state.managed_fallback_document,
                )
            )
        for policy_name, mechanism, arn, document in found:
            item = GcItem(
                kind, name, state.account or account, policy_name, mechanism, arn, document
            )
            item.token_life_seconds, item.token_life_source = life, source
            item.journalled = (kind, name.lower()) in journalled
            items.append(decide_gc(item, now=now, margin=margin))
        return items

    nested = map_bounded(inspect, candidates, max_workers)
    return [item for group in nested for item in group]


def apply_gc(
    gateway: IamGateway,
    journal: Journal,
    items: list[GcItem],
    *,
    actor: dict[str, str],
    margin: int,
) -> None:
    """Remove every planned revocation (or just its statement) and journal each removal.

    Each policy is read again just before its write: one that changed since the plan
    (a refreshed deny) is `skipped`, its reason and a warning (gc_warnings) say why."""
    for item in items:
        if item.status != "planned":
            continue
        try:
            conflict = item.changed_since_plan(gateway, item.document)
            if conflict is not None:
                item.status, item.reason = "skipped", conflict
                continue
            item.write(gateway, item.remaining_document)  # None: nothing else left, remove it
            item.status = "removed"
        except RevokeError as err:
            item.status, item.error = "failed", err.message
            continue
        journal.append(
            item.journal_record(
                "gc",
                actor=actor,
                status="applied",
                cutoff=item.cutoff,
                before=item.document,
                after=item.remaining_document,
                containment=[],
                notes=[
                    f"token life {item.token_life_seconds} s ({item.token_life_source}), "
                    f"margin {margin} s: removable after {item.removable_after}"
                ],
            )
        )


def gc_warnings(items: list[GcItem]) -> list[str]:
    """One warning for each policy left alone because it changed since the plan."""
    return [f"{item.kind} {item.name}: {item.reason}" for item in items if item.status == "skipped"]
