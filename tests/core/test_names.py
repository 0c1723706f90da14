"""Target names are checked before any call (IAM name syntax; AWS-FACTS facts 15, 16)."""

from __future__ import annotations

import pytest

from revoke.core.names import parse_target, read_names_file
from revoke.errors import BadInput


@pytest.mark.parametrize("name", ["alice", "a", "svc+ci=prod,eu.team@corp_x-1", "x" * 64])
def test_valid_names(name: str) -> None:
    assert parse_target("user", name).name == name


@pytest.mark.parametrize("name", ["", "bad name", "x" * 65, "alice/bob", "élodie", "a;b"])
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(BadInput):
        parse_target("user", name)


def test_arn_gives_name_and_account() -> None:
    target = parse_target("role", "arn:aws:iam::111122223333:role/team/Deploy")
    assert (target.name, target.account) == ("Deploy", "111122223333")


def test_wrong_kind_of_arn_is_refused() -> None:
    with pytest.raises(BadInput, match="not a user ARN"):
        parse_target("user", "arn:aws:iam::111122223333:role/Deploy")


@pytest.mark.parametrize("text", ["root", "ROOT", "arn:aws:iam::111122223333:root"])
def test_root_user_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(BadInput, match="root user cannot be restricted") as info:
        parse_target("user", text)
    assert "revoke org" in (info.value.hint or "")


def test_iam_user_named_root_is_reachable_by_arn() -> None:
    assert parse_target("user", "arn:aws:iam::111122223333:user/root").name == "root"


def test_service_linked_role_refused_by_name() -> None:
    with pytest.raises(BadInput, match="service-linked"):
        parse_target("role", "AWSServiceRoleForSupport")


def test_names_file_skips_comments_and_blanks() -> None:
    text = "alice\n# on-call list\n\n  bob  # contractor\n"
    assert read_names_file(text) == ["alice", "bob"]
