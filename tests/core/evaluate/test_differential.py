"""The evaluator against itself under every equivalent rewriting AWS allows (issue 17, item 5).

Generated with a fixed seed: a policy and a request, then the same policy and request
rewritten; both must get the same decision, the same matched statements and the same
undetermined ones. The rewritings and where AWS allows each (IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/<page>):
- Date values as W3C ISO 8601 with `Z`, with an offset, or as epoch seconds (number or
  string); date-only at midnight (reference_policies_elements_condition_operators.html,
  Date: "W3C implementations of the ISO 8601 date formats or in epoch (UNIX) time").
- Case of condition key names ("Condition key names are not case-sensitive",
  reference_policies_elements_condition.html), of request context keys likewise, and of
  action names ("The prefix and the action name are case insensitive",
  reference_policies_elements_action.html).
- A single value or a one-element list for condition values, Action and Resource, and a
  Statement object or a one-element list ("If an element uses an array ... but only one value
  is included, the brackets are optional", reference_policies_grammar.html).
- A Bool or Numeric value as a JSON string or a JSON boolean/number ("Quotation marks are
  optional for numeric and Boolean values", reference_policies_grammar.html).

Operator names are not rewritten in case: AWS refuses them ("MalformedPolicyDocument: Invalid
Condition type : stringEquals" from IAM CreateRole), so the test checks instead that the
evaluator refuses every case-changed operator name too.
"""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta, timezone
from typing import Any

from revoke.core.evaluate import EvaluationResult, PolicyEvaluationError, evaluate

SEED = 20261129
CASES = 10_000
UTC = timezone.utc
CUTOFF = 1795946400  # 2026-11-29T10:00:00Z
ACCOUNT = "111122223333"

ACTIONS = ["s3:GetObject", "s3:ListAllMyBuckets", "ec2:DescribeInstances", "iam:GetUser"]
ACTION_PATTERNS = ["*", "s3:*", "s3:Get*", "ec2:Describe*", "iam:GetUser", "s3:?etObject"]
RESOURCES = ["*", "arn:aws:s3:::bucket/key", f"arn:aws:iam::{ACCOUNT}:user/alice"]
RESOURCE_PATTERNS = ["*", "arn:aws:s3:::bucket/*", f"arn:aws:iam::{ACCOUNT}:user/*"]
PRINCIPALS = [f"arn:aws:iam::{ACCOUNT}:role/Dev", f"arn:aws:iam::{ACCOUNT}:role/BreakGlass"]

# (operator, key, value generator kind)
OPERATORS: list[tuple[str, str, str]] = [
    ("DateLessThan", "aws:TokenIssueTime", "date"),
    ("DateLessThanEquals", "aws:TokenIssueTime", "date"),
    ("DateGreaterThan", "aws:TokenIssueTime", "date"),
    ("DateNotEquals", "aws:CurrentTime", "date"),
    ("DateLessThanIfExists", "aws:TokenIssueTime", "date"),
    ("DateEquals", "aws:TokenIssueTime", "date"),
    ("StringEquals", "aws:username", "user"),
    ("StringNotEquals", "aws:username", "user"),
    ("StringLike", "aws:PrincipalTag/team", "team"),
    ("StringEqualsIgnoreCase", "aws:PrincipalTag/team", "team"),
    ("ArnLike", "aws:PrincipalArn", "arn"),
    ("ArnNotLike", "aws:PrincipalArn", "arn"),
    ("ArnEquals", "aws:PrincipalArn", "arn"),
    ("Bool", "aws:SecureTransport", "bool"),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "bool"),
    ("NumericLessThan", "s3:max-keys", "number"),
    ("NumericGreaterThanEquals", "aws:MultiFactorAuthAge", "number"),
    ("IpAddress", "aws:SourceIp", "ip"),
    ("NotIpAddress", "aws:SourceIp", "ip"),
    ("Null", "aws:TokenIssueTime", "bool"),
    ("ForAllValues:StringLike", "aws:TagKeys", "tag"),
    ("ForAnyValue:StringEquals", "aws:TagKeys", "tag"),
    ("ForAllValues:Null", "aws:TagKeys", "bool"),
    ("StringEquals", "aws:TagKeys", "tag"),  # plain on a multivalued key: undetermined
]


def _date_instant(rng: random.Random) -> int | float:
    offset = rng.choice([-86400, -3600, -1, 0, 1, 3600, 86400, -CUTOFF % 86400])
    instant: int | float = CUTOFF + offset
    if rng.random() < 0.2:
        instant += 0.5
    return instant


def _policy_value(kind: str, rng: random.Random) -> Any:
    if kind == "date":
        return ("date", _date_instant(rng))
    if kind == "user":
        return rng.choice(["alice", "bob", "Alice"])
    if kind == "team":
        return rng.choice(["red", "Red", "r*", "blue", "b?ue"])
    if kind == "arn":
        return rng.choice(
            [
                "arn:aws:iam::*:role/BreakGlass",
                f"arn:aws:iam::{ACCOUNT}:role/*",
                "arn:aws:iam::*:role/Dev",
                "*",  # not a six-part ARN: undetermined
            ]
        )
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "number":
        return rng.choice([0, 5, 100, 3600])
    if kind == "ip":
        return rng.choice(["203.0.113.0/24", "10.0.0.0/8", "198.51.100.7"])
    if kind == "tag":
        return rng.choice(["team", "env", "t*", "cost-center"])
    raise AssertionError(kind)


def _context(rng: random.Random) -> dict[str, Any]:
    context: dict[str, Any] = {"aws:PrincipalArn": rng.choice(PRINCIPALS)}
    if rng.random() < 0.8:
        context["aws:TokenIssueTime"] = ("date", _date_instant(rng))
    context["aws:CurrentTime"] = ("date", CUTOFF + rng.choice([-1, 0, 1]))
    if rng.random() < 0.7:
        context["aws:username"] = rng.choice(["alice", "bob"])
    if rng.random() < 0.7:
        context["aws:PrincipalTag/team"] = rng.choice(["red", "blue", "RED"])
    context["aws:SecureTransport"] = rng.choice([True, False])
    if rng.random() < 0.5:
        context["aws:MultiFactorAuthPresent"] = rng.choice([True, False])
        context["aws:MultiFactorAuthAge"] = rng.choice([0, 100, 7200])
    if rng.random() < 0.5:
        context["s3:max-keys"] = rng.choice([1, 5, 1000])
    context["aws:SourceIp"] = rng.choice(["203.0.113.9", "10.1.2.3", "198.51.100.7"])
    if rng.random() < 0.7:
        context["aws:TagKeys"] = rng.sample(["team", "env", "tx", "cost-center"], rng.randint(0, 3))
    return context


def _statement(index: int, rng: random.Random) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": f"S{index}",
        "Effect": rng.choice(["Allow", "Deny"]),
        "Action": rng.sample(ACTION_PATTERNS, rng.randint(1, 2)),
        "Resource": rng.sample(RESOURCE_PATTERNS, rng.randint(1, 2)),
    }
    if rng.random() < 0.15:
        statement["NotAction"] = statement.pop("Action")
    condition: dict[str, dict[str, Any]] = {}
    for operator, key, kind in rng.sample(OPERATORS, rng.randint(0, 3)):
        values = [_policy_value(kind, rng) for _ in range(rng.randint(1, 2))]
        condition.setdefault(operator, {})[key] = values
    if condition:
        statement["Condition"] = condition
    return statement


# -- rewritings -------------------------------------------------------------------------------


def _iso(instant: int | float, offset_minutes: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=instant)
    zone = timezone(timedelta(minutes=offset_minutes))
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}".rstrip("0")
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return text + (f"{sign}{hours:02d}:{minutes:02d}" if minutes else f"{sign}{hours:02d}:00")


def _date_form(instant: int | float, rng: random.Random | None, *, context: bool) -> Any:
    """The canonical form (rng None) or one of the equivalent forms of an instant."""
    if rng is None:
        return _iso(instant, 0)
    forms = ["iso-z", "offset", "epoch-string", "epoch-number"]
    if context:
        forms.append("datetime")
    if isinstance(instant, int) and instant % 86400 == 0:
        forms.append("date-only")
    form = rng.choice(forms)
    if form == "iso-z":
        return _iso(instant, 0)
    if form == "offset":
        return _iso(instant, rng.choice([540, -300, 330, -720, 60]))
    if form == "epoch-string":
        return str(instant)
    if form == "epoch-number":
        return instant
    if form == "datetime":
        zone = timezone(timedelta(minutes=rng.choice([0, 540, -300])))
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=instant)).astimezone(zone)
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=instant)).strftime("%Y-%m-%d")


def _scalar(value: Any, rng: random.Random | None, *, context: bool = False) -> Any:
    if isinstance(value, tuple) and value[0] == "date":
        return _date_form(value[1], rng, context=context)
    if isinstance(value, bool):
        if rng is None:
            return "true" if value else "false"
        return rng.choice([value, "true" if value else "false"])
    if isinstance(value, int):
        return str(value) if rng is None else rng.choice([value, str(value)])
    return value


def _recase(text: str, rng: random.Random | None) -> str:
    if rng is None:
        return text
    return "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in text)


def _maybe_unlist(items: list[Any], rng: random.Random | None) -> Any:
    if rng is not None and len(items) == 1 and rng.random() < 0.5:
        return items[0]
    return items


def _render(policy: list[dict[str, Any]], rng: random.Random | None) -> dict[str, Any]:
    """The policy in its canonical form (rng None) or rewritten."""
    statements = []
    for raw in policy:
        statement = {k: v for k, v in raw.items() if k != "Condition"}
        action_key = "Action" if "Action" in raw else "NotAction"
        statement[action_key] = _maybe_unlist(
            [_recase(a, rng) if a != "*" else a for a in raw[action_key]], rng
        )
        statement["Resource"] = _maybe_unlist(list(raw["Resource"]), rng)
        if "Condition" in raw:
            statement["Condition"] = {
                operator: {
                    _recase(key, rng): _maybe_unlist([_scalar(v, rng) for v in values], rng)
                    for key, values in keys.items()
                }
                for operator, keys in raw["Condition"].items()
            }
        statements.append(statement)
    body: Any = statements
    if rng is not None and len(statements) == 1 and rng.random() < 0.5:
        body = statements[0]
    return {"Version": "2012-10-17", "Statement": body}


def _render_context(context: dict[str, Any], rng: random.Random | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in context.items():
        if isinstance(value, list):
            rendered: Any = list(value)
            if rng is not None and len(value) == 1 and rng.random() < 0.5:
                rendered = value[0]
        else:
            rendered = _scalar(value, rng, context=True)
        out[_recase(key, rng)] = rendered
    return out


def _outcome(result: EvaluationResult | str) -> Any:
    if isinstance(result, str):
        return result
    return (
        result.decision,
        sorted((r.policy, r.sid) for r in result.matched_denies),
        sorted((r.policy, r.sid) for r in result.matched_allows),
        sorted((r.policy, r.sid) for r in result.undetermined),
    )


def _run(policies: dict[str, Any], action: str, resource: str, context: dict[str, Any]) -> Any:
    try:
        return _outcome(evaluate(policies, action, resource, context))
    except PolicyEvaluationError as exc:
        return f"error: {exc}"


def generate(seed: int = SEED, cases: int = CASES) -> list[tuple[Any, Any, str, str, str]]:
    """(canonical outcome, rewritten outcome, action, resource, description) per case."""
    rng = random.Random(seed)
    out = []
    for case in range(cases):
        policy = [_statement(i, rng) for i in range(rng.randint(1, 3))]
        context = _context(rng)
        action = rng.choice(ACTIONS)
        resource = rng.choice(RESOURCES)
        canonical = _run(
            {"p": _render(policy, None)}, action, resource, _render_context(context, None)
        )
        rewritten_policy = _render(copy.deepcopy(policy), rng)
        rewritten_context = _render_context(context, rng)
        rewritten = _run({"p": rewritten_policy}, _recase(action, rng), resource, rewritten_context)
        out.append(
            (
                canonical,
                rewritten,
                action,
                resource,
                f"case {case}: {rewritten_policy!r} {rewritten_context!r}",
            )
        )
    return out


def test_equivalent_rewritings_agree() -> None:
    results = generate()
    assert len(results) >= 10_000
    disagreements = [r for r in results if r[0] != r[1]]
    assert not disagreements, "\n".join(
        f"{d[4]}\n  canonical {d[0]}\n  rewritten {d[1]}" for d in disagreements[:5]
    )
    # The corpus reaches every kind of answer, so agreement is not agreement on nothing.
    kinds = {r[0][0] if isinstance(r[0], tuple) else "error" for r in results}
    assert kinds == {"allow", "explicit_deny", "implicit_deny"}
    assert sum(1 for r in results if isinstance(r[0], tuple) and r[0][3]) > 100  # undetermined


def test_a_case_changed_operator_name_is_refused_like_aws() -> None:
    rng = random.Random(SEED)
    names = sorted({operator for operator, _, _ in OPERATORS})
    for name in names:
        for _ in range(5):
            changed = _recase(name, rng)
            if changed == name:
                continue
            document = {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {changed: {"aws:username": "alice"}},
                },
            }
            assert _run({"p": document}, "s3:GetObject", "*", {}).startswith("error:"), changed
