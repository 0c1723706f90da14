"""The fan-out (`revoke user|role --all-accounts`): per account, the principals and what
happens to them; past LIST_ALL_UP_TO, the accounts by what happens there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from revoke.cli.plan_view.common import (
    LIST_ALL_UP_TO,
    _account_label,
    _accounts_text,
    _warning_lines,
    plural,
)
from revoke.cli.plan_view.principals import _target_lines, changing_of, decision_warnings

if TYPE_CHECKING:
    from revoke.ops.fanout import FanOutResult


def fanout_warnings(run: FanOutResult) -> list[str]:
    """Every warning the fan-out's plan holds, as its output says them (`ACCOUNT: ...`)."""
    return list(run.warnings) + [
        f"{o.account}: {w}" for o in run.accounts if o.result for w in decision_warnings(o.result)
    ]


def fanout_plan_lines(run: FanOutResult, kind: str, role_name: str) -> list[str]:
    """The fan-out's plan: per account each principal and what happens to it; past
    LIST_ALL_UP_TO accounts or principals, the accounts by what happens there and the
    principals' counts, the first few of each."""
    from revoke.ops.accounts import ACCOUNT_FAILED, ACCOUNT_SKIPPED

    outcomes = run.accounts
    rows = [t for o in outcomes if o.result for t in o.result.targets]
    lines = [
        f"plan: deny sessions issued before {run.cutoff} in {plural(len(outcomes), 'account')} "
        f"(as role {role_name} there, as you in your own): {plural(len(rows), kind)} found"
    ]
    none_there = f"no {kind} named there"
    if len(outcomes) <= LIST_ALL_UP_TO and len(rows) <= LIST_ALL_UP_TO:
        for o in outcomes:
            where = f"  account {_account_label(o.account, o.name)}"
            if o.status == ACCOUNT_FAILED:
                lines.append(f"{where}: not reached (the warning below says why)")
            elif o.status == ACCOUNT_SKIPPED:
                lines.append(f"{where}: {o.error or 'skipped'}")
            elif o.result is None or not o.result.targets:
                lines.append(f"{where}: {none_there}")
            else:
                lines.append(f"{where}{'' if o.role_arn else ', your own'}:")
                lines += _target_lines(o.result.targets, indent="    ")
        return lines + _warning_lines(fanout_warnings(run), bulk=False)
    groups: dict[str, list[str]] = {
        label: [] for label in ("to change", "nothing to change", none_there, "not reached")
    }
    groups["skipped"] = []
    for o in outcomes:
        label = _account_label(o.account, o.name)
        if o.status == ACCOUNT_FAILED:
            groups["not reached"].append(label)
        elif o.status == ACCOUNT_SKIPPED:
            groups["skipped"].append(label)
        elif o.result is None or not o.result.targets:
            groups[none_there].append(label)
        elif o.result.changes:
            count = changing_of(len(o.result.changes), len(o.result.targets), kind)
            groups["to change"].append(f"{label} ({count})")
        else:
            groups["nothing to change"].append(label)
    shown = {label: names for label, names in groups.items() if names}
    lines.append("  accounts: " + ", ".join(f"{len(n)} {label}" for label, n in shown.items()))
    lines += [f"  {label}: {_accounts_text(names)}" for label, names in shown.items()]
    account_of = {id(t): o.account for o in outcomes if o.result for t in o.result.targets}
    lines.append(f"  {plural(len(rows), kind)}:")
    lines += _target_lines(
        rows, indent="    ", name=lambda row: f"{row.name} in {account_of.get(id(row), '?')}"
    )
    return lines + _warning_lines(fanout_warnings(run), bulk=True)


def fanout_question(run: FanOutResult, kind: str) -> str:
    """`Write the deny to 2 of 3 users in 2 accounts, and deactivate 1 access key(s)?`"""
    from revoke.ops.containment import describe_containment

    rows = [t for r in run.results for t in r.targets]
    changing = sum(len(r.changes) for r in run.results)
    count = changing_of(changing, len(rows), kind)
    accounts = plural(sum(1 for r in run.results if r.changes), "account")
    return f"Write the deny to {count} in {accounts}{describe_containment(rows)}?"
