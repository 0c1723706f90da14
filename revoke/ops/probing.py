"""Verification layer 3, enforcement: the probe.

With probe credentials (a session of the revoked principal issued before the cutoff), a
harmless call is polled until AWS answers with an explicit deny, within a deadline (IAM
changes propagate in seconds to minutes, fact 18). The probe is checked before anything
changes: a long-term key or a session issued after the cutoff cannot show the revocation.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from revoke.core.timeparse import human_duration
from revoke.errors import BadInput

if TYPE_CHECKING:
    from revoke.aws.probe import Probe
    from revoke.core.names import TargetName
    from revoke.ops.context import RunContext

DEFAULT_DEADLINE = 300.0
BACKOFF_BASE = 1.0
BACKOFF_CAP = 15.0
CONFIRMED, INCONCLUSIVE = "confirmed", "inconclusive"


@dataclass
class Timing:
    """Clock, sleep and jitter of the probe loop: injected by tests, real otherwise."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random


def backoff_pause(attempt: int, rng: Callable[[], float]) -> float:
    """Pause after the `attempt`-th probe: exponential from 1 s, capped at 15 s, with jitter
    in the upper half so that many responders' probes do not fall into step."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return max(BACKOFF_BASE, ceiling * (0.5 + rng() / 2))


def poll_probe(
    probe: Probe,
    *,
    deadline: float,
    timing: Timing,
    say: Callable[[str], None] = lambda _message: None,
    who: str = "",
) -> dict[str, Any]:
    """Repeat the probe until it meets an explicit deny or `deadline` seconds pass.

    An implicit deny keeps the loop going: once our deny propagates, AWS reports the
    explicit deny instead (it is evaluated first), so an implicit deny now says only that
    the probe principal lacks the permission and the revocation is not visible yet.
    """
    from revoke.aws.probe import ALLOWED, CREDENTIALS, EXPLICIT_DENY, IMPLICIT_DENY

    start = timing.clock()
    attempts = 0
    last = None
    while True:
        attempts += 1
        outcome = probe.attempt()
        elapsed = timing.clock() - start
        report: dict[str, Any] = {
            "action": probe.action,
            "seconds": round(elapsed, 3),
            "attempts": attempts,
        }
        if outcome.kind == EXPLICIT_DENY:
            say(f"probe {probe.action}{who}: explicit deny after {human_duration(elapsed)}")
            return {"status": CONFIRMED, **report, "message": outcome.message}
        if outcome.kind == CREDENTIALS:
            return {
                "status": "error",
                **report,
                "reason": f"probe credentials refused: {outcome.code}: {outcome.message}",
            }
        if last is None or outcome.kind != last.kind:
            detail = "still allowed" if outcome.kind == ALLOWED else outcome.kind
            if outcome.kind == IMPLICIT_DENY:
                detail = "AccessDenied without an explicit deny (no policy allows it); waiting"
            say(f"probe {probe.action}{who}: {detail} (attempt {attempts})")
        last = outcome
        remaining = deadline - elapsed
        if remaining <= 0:
            break
        timing.sleep(min(remaining, backoff_pause(attempts, timing.rng)))

    report = {"action": probe.action, "seconds": round(elapsed, 3), "attempts": attempts}
    if last.kind == IMPLICIT_DENY:
        return {
            "status": "implicit-deny",
            **report,
            "reason": "AccessDenied without an explicit deny until the deadline: the probe "
            "principal lacks the permission and the revocation was not seen",
            "message": last.message,
        }
    reason = {
        ALLOWED: "the probe call was still allowed at the deadline",
    }.get(last.kind, f"last answer: {last.kind} {last.code or ''}".strip())
    return {"status": "unconfirmed", **report, "reason": reason, "message": last.message}


def parse_deadline(text: str) -> float:
    """`--deadline`: seconds (300) or a duration (5m), at most a day."""
    from revoke.core.timeparse import parse_duration

    seconds = parse_duration(text)
    if seconds > 86400:
        raise BadInput(f"--deadline {text} is longer than a day", hint="IAM propagates in minutes")
    return float(seconds)


def open_probe(
    g: RunContext,
    profile: str,
    targets: Sequence[TargetName] | None = None,
    cutoff: str | None = None,
) -> Probe:
    """The probe, checked before anything changes: its profile must hold credentials of a
    session (ASIA, fact 7; a long-term key is never touched by the deny, fact 9), when the
    targets are known act as one of them, and when the token ledger knows its issue time,
    have been issued before the cutoff (check_probe_issue_time)."""
    from revoke.aws.probe import Probe, identity_matches
    from revoke.state.ledger import Ledger

    probe = Probe.from_profile(profile, region=g.region, endpoint_url=g.endpoint_url)
    if probe.key_kind() == "long-term":
        raise BadInput(
            f"--probe-profile {profile} holds a long-term access key (AKIA...): the deny never "
            "applies to it (no aws:TokenIssueTime), so it cannot prove anything",
            hint="issue a session before the cutoff: revoke token issue --write-profile NAME",
        )
    arn = probe.arn = probe.identity()
    if arn and targets:
        if not any(identity_matches(arn, t.kind, t.name, t.account) for t in targets):
            names = ", ".join(f"{t.kind} {t.name}" for t in targets[:3])
            raise BadInput(
                f"--probe-profile {profile} acts as {arn}, not as {names}",
                hint="the probe must be a session of the principal being revoked",
            )
    record = Ledger.in_state_dir(g.state_dir).find(probe.access_key_id or "")
    # A sandbox reset can hand out a key ID again: trust the line only for the same principal.
    if record is not None and (not arn or record.principal_arn == arn):
        probe.issued_at = record.issued_at
    if cutoff is not None:
        check_probe_issue_time(probe, cutoff, profile)
    return probe


def check_probe_issue_time(probe: Probe, cutoff: str, profile: str | None = None) -> None:
    """Refuse (exit 2) a probe session issued at or after the cutoff: the deny never reaches
    it (DateLessThan, fact 10; fact 22), so any deny it meets is some other policy's.

    The ledger's issue time is truncated to the second and cutoffs are whole seconds, so
    `issued >= cutoff` here is exactly "not before the cutoff"."""
    from revoke.core.timeparse import cutoff_datetime

    if probe.issued_at is None:
        return
    if cutoff_datetime(probe.issued_at) < cutoff_datetime(cutoff):
        return
    which = f"--probe-profile {profile}" if profile else "the probe"
    raise BadInput(
        f"{which}: the probe token was issued at {probe.issued_at}, not before the cutoff "
        f"{cutoff}: it cannot show the revocation. Nothing was changed",
        hint="probe with a session issued before the cutoff, or leave out --probe-profile "
        "(enforcement is then skipped)",
    )
