"""GetAccountAuthorizationDetails pages in the sandbox as in AWS (moto answers everything
at once): MaxItems, IsTruncated and Marker, users before roles."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox

TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


def account(sandbox: Sandbox) -> Any:
    iam = sandbox.client("iam")
    for i in range(25):
        iam.create_user(UserName=f"user{i:02d}")
    for i in range(3):
        iam.create_role(RoleName=f"role{i}", AssumeRolePolicyDocument=TRUST)
    return iam


def test_pages_of_max_items_cover_every_user_once(sandbox: Sandbox) -> None:
    iam = account(sandbox)
    first = iam.get_account_authorization_details(Filter=["User"], MaxItems=10)
    assert len(first["UserDetailList"]) == 10
    assert first["IsTruncated"] is True and first["Marker"]
    seen = []
    for page in iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User"], PaginationConfig={"PageSize": 7}
    ):
        assert len(page["UserDetailList"]) <= 7
        seen += [u["UserName"] for u in page["UserDetailList"]]
    assert sorted(seen) == [f"user{i:02d}" for i in range(25)]


def test_users_come_before_roles_across_pages(sandbox: Sandbox) -> None:
    iam = account(sandbox)
    pages = list(
        iam.get_paginator("get_account_authorization_details").paginate(
            Filter=["User", "Role"], PaginationConfig={"PageSize": 20}
        )
    )
    assert [len(p["UserDetailList"]) for p in pages] == [20, 5]
    assert [len(p["RoleDetailList"]) for p in pages] == [0, 3]


def test_default_page_is_one_hundred_and_not_truncated_below(sandbox: Sandbox) -> None:
    iam = account(sandbox)
    found = iam.get_account_authorization_details(Filter=["User"])
    assert len(found["UserDetailList"]) == 25
    assert found["IsTruncated"] is False and "Marker" not in found


def test_max_items_over_a_thousand_is_refused(sandbox: Sandbox) -> None:
    iam = account(sandbox)
    with pytest.raises(ClientError) as raised:
        iam.get_account_authorization_details(Filter=["User"], MaxItems=1001)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
