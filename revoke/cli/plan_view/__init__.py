"""What the responder reads before saying yes, and the one line after every run.

The plan before the question: each principal and what happens to it (written, unchanged
and why, refused and why), the credentials taken away, every warning that bears on the
decision; then the question, whose count is the principals that change ("1 of 2"). A bulk
run gets the counts and the first few of each instead of 2,000 lines. The same for every
prompt: `revoke org` (the SCP, its cutoff, where it is attached, who is exempt, the accounts
it reaches and covers already), `revoke lift org` and `revoke lift user|role` (what goes,
what stays, the document put back in full), and the fan-out (per account). Only a person
is shown the plan (`show`): with `--yes` or off a terminal nothing of the prompt is said.

The summary after the run: `revoked 1998 of 2000 users in 12.3 s: 1998 verified, 2 failed
(see above)`, on stderr, whatever the output format.

One module per prompt (issue 13: none over about 400 lines): `common` (what they share),
`principals` (`revoke user|role` and the summary line), `fanout`, `org` (`revoke org` and
`revoke lift org`), `lift` (`revoke lift user|role`). Every name is imported from here.
"""

from __future__ import annotations

from revoke.cli.plan_view.common import (
    FIRST_FEW,
    LIST_ALL_UP_TO,
    WARNINGS_SHOWN,
    person_asked,
    plural,
    show,
    unsaid,
)
from revoke.cli.plan_view.fanout import fanout_plan_lines, fanout_question, fanout_warnings
from revoke.cli.plan_view.lift import lift_plan_lines, lift_question
from revoke.cli.plan_view.org import (
    org_lift_lines,
    org_lift_question,
    org_plan_lines,
    org_question,
    org_warnings,
)
from revoke.cli.plan_view.principals import (
    changing_of,
    decision_warnings,
    plan_lines,
    question,
    summary_line,
    what_happens,
)

__all__ = [
    "FIRST_FEW",
    "LIST_ALL_UP_TO",
    "WARNINGS_SHOWN",
    "changing_of",
    "decision_warnings",
    "fanout_plan_lines",
    "fanout_question",
    "fanout_warnings",
    "lift_plan_lines",
    "lift_question",
    "org_lift_lines",
    "org_lift_question",
    "org_plan_lines",
    "org_question",
    "org_warnings",
    "person_asked",
    "plan_lines",
    "plural",
    "question",
    "show",
    "summary_line",
    "unsaid",
    "what_happens",
]
