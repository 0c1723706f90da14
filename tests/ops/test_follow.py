"""revoke.ops.follow's pure parts: the command that restores each kind of change."""

from __future__ import annotations

import pytest

from revoke.errors import BadInput
from revoke.ops.follow import check_scope, restore_command


def change(action: str, before: object = None, **target: str) -> dict:
    return {
        "action": action,
        "account": "123456789012",
        "target": target,
        "document_before": before,
    }


def test_each_change_has_the_command_that_undoes_it() -> None:
    trust = {"Version": "2012-10-17", "Statement": []}
    assert restore_command(change("UpdateAssumeRolePolicy", trust, roleName="Admin")) == (
        "aws iam update-assume-role-policy --role-name Admin --policy-document "
        '\'{"Version":"2012-10-17","Statement":[]}\''
    )
    assert restore_command(change("UpdateAssumeRolePolicy", None, roleName="Admin")) is None
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert restore_command(change("AttachUserPolicy", userName="bob", policyArn=arn)) == (
        f"aws iam detach-user-policy --user-name bob --policy-arn {arn}"
    )
    assert restore_command(change("PutRolePolicy", roleName="Admin", policyName="x")) == (
        "aws iam delete-role-policy --role-name Admin --policy-name x"
    )


def test_scope_is_session_or_role() -> None:
    assert check_scope("role") == "role"
    with pytest.raises(BadInput):
        check_scope("account")
