"""An exact evaluator of AWS IAM policy logic for the policies that govern a principal's
request: identity-based policies, permissions boundaries, session policies, SCPs and RCPs, each
read with the grammar AWS accepts for its type (`grammar`).

Every claim that a token is revoked rests on this package: the verification step asks it
whether the deny matches an issue time one second before the cutoff and not one after, the
sandbox authorises every request with it, the org planner checks SCPs with it. So it follows
AWS's documented rules literally, raises `PolicyEvaluationError` only on what AWS refuses too
(the policy grammar, Access Analyzer's errors), resolves what AWS accepts but documents no
result for so that no deny is claimed that AWS might not apply (`operators`, reported in
`EvaluationResult.undetermined`), and is pure: stdlib only, no I/O.

Sources (docs.aws.amazon.com/IAM/latest/UserGuide/...), cited where each rule is applied:
- reference_policies_evaluation-logic.html: explicit deny > allow > implicit deny.
- reference_policies_elements_action.html / _notaction / _resource / _notresource.
- reference_policies_elements_condition_operators.html ("condition operators" below).
- reference_policies_condition-logic-multiple-context-keys-or-values.html ("multi-value").
- reference_policies_condition-single-vs-multi-valued-context-keys.html ("set operators").
- reference_policies_variables.html ("policy variables").

The modules, each importing only those above it: `errors` (the one error), `dates` (Date
values as exact instants), `matching` (wildcards, policy variables, Action and Resource
matchers), `families` (each condition operator family: how it reads and compares values),
`operators` (operator names with their qualifiers, and conditions), `policytypes` (what each
policy type may hold: identity, boundary, session, SCP, RCP), `grammar` (documents and
statements validated and compiled, cached by content and type), `decision` (the evaluation logic and
the entry points), `request` (one request over every policy type of an account: RCPs and
SCPs by level, identity policies, permissions boundary, session policy, in AWS's order).
Readings of our own, where AWS documents no answer, are listed in the
docstring of the module that applies them (`dates`, `operators`).
"""

from __future__ import annotations

from revoke.core.evaluate.dates import parse_policy_date
from revoke.core.evaluate.decision import (
    ContextValue,
    Decision,
    EvaluationResult,
    StatementRef,
    evaluate,
    statement_matches,
)
from revoke.core.evaluate.errors import PolicyEvaluationError
from revoke.core.evaluate.grammar import POLICY_TYPES, PolicyType

# A test patches the compiled condition through this name (tests/cli/test_demo_cmd.py).
from revoke.core.evaluate.operators import _Condition as _Condition
from revoke.core.evaluate.request import PolicyLevel, RequestDecision, evaluate_request

__all__ = [
    "ContextValue",
    "Decision",
    "EvaluationResult",
    "PolicyEvaluationError",
    "POLICY_TYPES",
    "PolicyLevel",
    "PolicyType",
    "RequestDecision",
    "StatementRef",
    "evaluate",
    "evaluate_request",
    "parse_policy_date",
    "statement_matches",
]
