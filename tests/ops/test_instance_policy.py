"""Issue 19 item 3: the instance deny, rendered and validated like the revocation policy,
denies the instance's sessions issued before the cutoff and nothing else (the evaluator)."""

from __future__ import annotations

from revoke.ops.templates import deny_instance_sessions

USERID = "AROADBQP57FF2AEXAMPLE:i-1234567890abcdef0"
ARN = "arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0"
CUTOFF = "2026-11-29T05:00:01Z"


def test_rendered_and_validated() -> None:
    document = deny_instance_sessions().render(userids=[USERID], instance_arns=[ARN], cutoff=CUTOFF)
    first, second = document["Statement"]
    assert first["Condition"] == {
        "StringEquals": {"aws:userid": [USERID]},
        "DateLessThan": {"aws:TokenIssueTime": CUTOFF},
    }
    assert second["Condition"]["ArnEquals"] == {"ec2:SourceInstanceARN": [ARN]}
    assert "IfExists" not in str(document)


def test_values_cannot_break_out_of_the_json() -> None:
    evil = 'i-1"}},{"Effect":"Allow'
    document = deny_instance_sessions().render(userids=[evil], instance_arns=[], cutoff=CUTOFF)
    assert document["Statement"][0]["Condition"]["StringEquals"]["aws:userid"] == [evil]
    assert all(s["Effect"] == "Deny" for s in document["Statement"])
