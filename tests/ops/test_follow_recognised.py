"""The session-scoped deny is understood by gc (removable once its sessions expired, other
statements kept) and lift (says which sessions a lift lets work again)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from revoke.core.sessiondeny import SESSION_POLICY_NAME, render_session_deny
from revoke.ops.gc import GcItem, decide_gc, strip_revocation
from revoke.ops.lift import _reenabled_sessions
from revoke.ops.templates import deny_sessions

CUTOFF = "2026-11-29T05:00:01Z"
USERID = "AROAEXAMPLEROLEID1:pivot"
MOMENT = datetime(2026, 11, 29, 5, 0, 1, tzinfo=timezone.utc)


def doc() -> dict:
    return render_session_deny(deny_sessions(), CUTOFF, [USERID])


def item() -> GcItem:
    found = GcItem("role", "admin", "123456789012", SESSION_POLICY_NAME, "inline", None, doc())
    found.token_life_seconds = 43_200
    return found


def test_gc_keeps_it_while_sessions_may_live_and_removes_it_after() -> None:
    assert decide_gc(item(), now=MOMENT + timedelta(hours=1), margin=3600).status == "kept"
    done = decide_gc(item(), now=MOMENT + timedelta(hours=14), margin=3600)
    assert (done.status, done.cutoff, done.remaining_document) == ("planned", CUTOFF, None)


def test_gc_strips_only_the_session_statements() -> None:
    other = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    mixed = {**doc(), "Statement": [other, *doc()["Statement"]]}
    assert strip_revocation(mixed) == {**doc(), "Statement": [other]}


def test_lift_says_the_sessions_it_lets_work_again() -> None:
    line = _reenabled_sessions("role", doc(), None, MOMENT + timedelta(hours=1))
    assert line is not None and CUTOFF in line
    assert _reenabled_sessions("role", doc(), None, MOMENT + timedelta(hours=13)) is None
