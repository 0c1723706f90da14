"""What every plan before the question shares: how many are named in full, the warnings
(capped in a bulk run), and `show`, which says the plan only to a person at a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from revoke.ops.context import RunContext

# Up to this many targets the plan names every one; past it, counts and the first few.
LIST_ALL_UP_TO = 20
FIRST_FEW = 5
# Warnings shown before the question in a bulk run; the others are printed after the run
# (`show` returns only those it said), and all of them go with the output.
WARNINGS_SHOWN = 5


def plural(count: int, kind: str) -> str:
    return f"{count} {kind}{'' if count == 1 else 's'}"


def person_asked(g: RunContext) -> bool:
    """Whether a person will be asked: only then does the plan come before the question.
    `--yes`, or a stdin that is not a terminal, asks nobody and shows nothing of the prompt
    (stdout stays the result alone; the plan is in the output)."""
    return not g.yes and g.stdin_isatty


def show(g: RunContext, lines: Sequence[str]) -> list[str]:
    """Say the plan's lines (stderr) when a person will be asked; the warnings among them,
    which the output then does not say twice."""
    if not person_asked(g):
        return []
    for line in lines:
        g.say(line)
    return [line.removeprefix("warning: ") for line in lines if line.startswith("warning: ")]


def unsaid(warnings: Sequence[str], shown: Sequence[str]) -> list[str]:
    said = set(shown)
    return [w for w in warnings if w not in said]


def _first_few(shown: Sequence[str], total: int) -> str:
    """`a, b, c and 7 more`: the first few of a longer list (at most FIRST_FEW)."""
    named = list(shown[:FIRST_FEW])
    more = total - len(named)
    return ", ".join(named) + (f" and {more} more" if more else "")


def _warning_lines(warnings: Sequence[str], *, bulk: bool) -> list[str]:
    if bulk and len(warnings) > WARNINGS_SHOWN:
        return [f"warning: {w}" for w in warnings[:WARNINGS_SHOWN]] + [
            f"  ... and {plural(len(warnings) - WARNINGS_SHOWN, 'more warning')} "
            "(printed after the run)"
        ]
    return [f"warning: {w}" for w in warnings]


def _account_label(account: str, name: str | None) -> str:
    return f"{account} ({name})" if name else account


def _accounts_text(labels: Sequence[str]) -> str:
    """Every account up to LIST_ALL_UP_TO, else the first few and how many more."""
    return ", ".join(labels) if len(labels) <= LIST_ALL_UP_TO else _first_few(labels, len(labels))
