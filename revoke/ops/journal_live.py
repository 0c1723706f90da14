"""`revoke journal verify --live`: the journal against what IAM holds now.

The hash chain proves the file is the one that was written only as far as nobody could
rewrite it whole. The part an editor of the file cannot reach is in IAM: for every
principal whose latest journalled change is still in force, the document the journal says
revoke wrote must be the one in force (else somebody changed it since: said, not a proof of
tampering), and the document the journal says existed before must match the digest IAM's
own document carries (revoke.core.anchor: a mismatch is a journal that was edited).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.anchor import check_origin
from revoke.core.policy import compact
from revoke.errors import RevokeError

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway
    from revoke.state.journal import Journal


@dataclass
class LiveCheck:
    checked: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the journal does not match AWS
    drift: list[str] = field(default_factory=list)  # changed in IAM since revoke wrote it


def check_live(gateway: IamGateway, journal: Journal, account: str | None) -> LiveCheck:
    from revoke.ops.lift import episode, policy_chain
    from revoke.ops.revocation_policy import read_recorded
    from revoke.state.journal import CHANGE_ACTIONS

    found = LiveCheck()
    principals: dict[tuple[str, str], None] = {}
    records = journal.records()
    for record in records:
        target = record.get("target") or {}
        if record.get("action") in CHANGE_ACTIONS and record.get("account") in (None, account):
            if target.get("kind") and target.get("name"):
                principals[(target["kind"], str(target["name"]).lower())] = None
    for kind, name in principals:
        changes = journal.for_target(
            kind, name, account=account, actions=CHANGE_ACTIONS, records=records
        )
        chain = policy_chain(episode(changes))
        if not chain or chain[-1].get("action") != "revoke":
            continue  # lifted or removed by gc: nothing of ours is in force to compare
        last = chain[-1]
        shown = (last.get("target") or {}).get("name") or name
        try:
            live = read_recorded(gateway, kind, shown, last)
        except RevokeError as err:
            found.problems.append(f"{kind} {shown}: could not read it ({err.message})")
            continue
        entry = {"kind": kind, "name": shown, "seq": last.get("seq"), "status": "ok"}
        if _text(live) != _text(last.get("after")):
            entry["status"] = "changed"
            found.drift.append(
                f"{kind} {shown}: the policy in force is not the one the journal says revoke "
                f"wrote (journal seq {last.get('seq')}); somebody changed it since"
            )
        mismatch = check_origin(live, chain[0].get("before"))
        if mismatch is not None:
            entry["status"] = "mismatch"
            found.problems.append(f"{kind} {shown}: the journal does not match AWS: {mismatch}")
        found.checked.append(entry)
    return found


def _text(document: dict[str, Any] | None) -> str | None:
    return compact(document) if document is not None else None
