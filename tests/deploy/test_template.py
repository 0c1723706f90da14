"""deploy/template.yaml: parsed, its journal bucket, table and role created in moto, its
EventBridge rules matched against the fixtures, and its IAM granting only what revoke
calls (each action is a call in revoke/aws/), which tests/test_respond_handler.py checks
from the other side (every call the handler made is granted)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "template.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "events"
ACCOUNT = "123456789012"
# Operations whose IAM action has another name (Service Authorization Reference).
ACTION_FOR = {"s3:HeadBucket": "s3:ListBucket", "s3:ListObjectsV2": "s3:ListBucket"}
# Calls that need no permission: "No permissions are required to perform this operation"
# (STS API reference, GetCallerIdentity).
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}
# Actions granted for a call of another name: ReplaceIamInstanceProfileAssociation passes
# the instance's role (EC2 User Guide, iam-roles-for-amazon-ec2, "Permissions required").
GRANTED_FOR = {"iam:PassRole": "replace_iam_instance_profile_association"}


class _Tag:
    def __init__(self, tag: str, value: Any) -> None:
        self.tag, self.value = tag, value

    def __repr__(self) -> str:
        return f"!{self.tag} {self.value!r}"


class _Loader(yaml.SafeLoader):
    pass


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Tag:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return _Tag(suffix, value)


_Loader.add_multi_constructor("!", _construct)


def load() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def resolve(value: Any, conditions: dict[str, bool], names: dict[str, str]) -> Any:
    """The template's intrinsics, for one choice of conditions, in account ACCOUNT."""
    if isinstance(value, _Tag):
        if value.tag == "Ref":
            return {"AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}.get(
                value.value, names.get(value.value, value.value)
            )
        if value.tag == "GetAtt":
            resource = str(value.value).split(".")[0]
            return names.get(f"{resource}.Arn", f"arn:aws:test:::{resource}")
        if value.tag == "Sub":
            text = str(value.value)

            def sub(match: re.Match[str]) -> str:
                key = match.group(1)
                if key.endswith(".Arn"):
                    return names[key]
                return str(resolve(_Tag("Ref", key), conditions, names))

            return re.sub(r"\$\{([^}]+)\}", sub, text)
        if value.tag == "If":
            name, yes, no = value.value
            return resolve(yes if conditions[name] else no, conditions, names)
        raise AssertionError(f"unexpected intrinsic {value!r}")
    if isinstance(value, dict):
        return {k: resolve(v, conditions, names) for k, v in value.items()}
    if isinstance(value, list):
        out = [resolve(v, conditions, names) for v in value]
        return [v for v in out if v != "AWS::NoValue"]
    return value


NAMES = {
    "JournalBucket": "revoke-journal-bucket",
    "JournalBucket.Arn": "arn:aws:s3:::revoke-journal-bucket",
    "JournalTable": "revoke-journal",
    "JournalTable.Arn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/revoke-journal",
    "FunctionLogGroup.Arn": (
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/revoke-respond"
    ),
}
ALL_ON = {"UseS3": True, "UseDynamoDB": True, "ReplaceAssociation": True}


def policies(conditions: dict[str, bool] = ALL_ON) -> dict[str, dict[str, Any]]:
    """The function's policies by name, resolved."""
    resources = load()["Resources"]
    found = {
        p["PolicyName"]: resolve(p["PolicyDocument"], conditions, NAMES)
        for p in resources["FunctionRole"]["Properties"]["Policies"]
    }
    extra = resources["InstanceProfilePolicy"]["Properties"]
    if conditions["ReplaceAssociation"]:
        found[extra["PolicyName"]] = resolve(extra["PolicyDocument"], conditions, NAMES)
    return found


def revoke_actions() -> set[str]:
    """Every action the function's policies grant for revoke's calls (not the runtime's logs)."""
    actions: set[str] = set()
    for name, document in policies().items():
        if name == "FunctionLogs":
            continue
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def granted_actions() -> set[str]:
    """Every call (service:Operation) the function may make."""
    granted = set(revoke_actions()) | NEEDS_NO_PERMISSION
    granted |= {operation for operation, action in ACTION_FOR.items() if action in granted}
    return granted


def _snake(name: str) -> str:
    from botocore import xform_name

    return str(xform_name(name))


def test_parameters_mode_defaults_to_plan() -> None:
    parameters = load()["Parameters"]
    assert parameters["Mode"]["Default"] == "plan"
    assert parameters["Mode"]["AllowedValues"] == ["plan", "approve", "auto"]
    variables = load()["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
    assert variables["REVOKE_MODE"].tag == "Ref" and variables["REVOKE_MODE"].value == "Mode"
    assert load()["Resources"]["Function"]["Properties"]["Handler"] == "revoke.respond.handler"


def test_every_granted_action_is_a_call_revoke_makes() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "revoke" / "aws").glob("*.py"))
    # Method calls, and operation names as strings (paginators, one call for users and
    # roles: "list_attached_role_policies", f"list_{kind}_policies").
    called = set(re.findall(r"\.([a-z][a-z0-9_]+)\(", source))
    called |= set(re.findall(r"\"([a-z][a-z0-9_]+)\"", source))
    for template in re.findall(r"f\"([a-z_]*\{kind\}[a-z_]*)\"", source):
        called |= {template.replace("{kind}", kind) for kind in ("user", "role")}
    for action in sorted(revoke_actions()):
        assert "*" not in action, action
        operations = [op for op, mapped in ACTION_FOR.items() if mapped == action]
        names = [_snake(op.split(":")[1]) for op in operations] or [_snake(action.split(":")[1])]
        if action in GRANTED_FOR:
            names = [GRANTED_FOR[action]]
        assert any(name in called for name in names), f"{action}: revoke/aws/ never calls it"


def test_writes_are_scoped_to_the_account_and_the_journal() -> None:
    for name, document in policies().items():
        for statement in document["Statement"]:
            listed = statement["Action"]
            actions = [listed] if isinstance(listed, str) else listed
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            if any(
                a.startswith(("iam:Put", "iam:Update", "iam:Create", "iam:Attach")) for a in actions
            ):
                assert all(f"::{ACCOUNT}:" in r for r in resources), (name, statement)
            if any(a.startswith(("s3:", "dynamodb:")) for a in actions):
                assert all("revoke-journal" in r for r in resources), (name, statement)


def _matches(pattern: Any, value: Any) -> bool:
    """EventBridge content matching, for the operators the template uses."""
    if isinstance(pattern, dict):
        if not isinstance(value, (dict, list)):
            return False
        if isinstance(value, list):
            return any(_matches(pattern, item) for item in value)
        return all(key in value and _matches(sub, value[key]) for key, sub in pattern.items())
    assert isinstance(pattern, list)
    values = value if isinstance(value, list) else [value]
    for item in values:
        for wanted in pattern:
            if isinstance(wanted, dict) and "prefix" in wanted:
                if isinstance(item, str) and item.startswith(wanted["prefix"]):
                    return True
            elif item == wanted:
                return True
    return False


@pytest.mark.parametrize(
    ("fixture", "rule"),
    [
        ("guardduty-credential-access.json", "GuardDutyRule"),
        ("guardduty-exfiltration-outside.json", "GuardDutyRule"),
        ("guardduty-exfiltration-inside.json", "GuardDutyRule"),
        ("securityhub-guardduty-finding.json", "SecurityHubRule"),
        ("health-credentials-exposed.json", "HealthRule"),
        ("cloudtrail-quarantine-v2.json", "QuarantineRule"),
    ],
)
def test_each_source_has_its_rule(fixture: str, rule: str) -> None:
    event = json.loads((FIXTURES / fixture).read_text())
    if "detail-type" not in event:  # a bare finding: put it in the envelope EventBridge sends
        event = {"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "detail": event}
    resources = load()["Resources"]
    rules = {n: r for n, r in resources.items() if r["Type"] == "AWS::Events::Rule"}
    matched = [n for n, r in rules.items() if _matches(r["Properties"]["EventPattern"], event)]
    assert matched == [rule]
    target = rules[rule]["Properties"]["Targets"][0]["Arn"]
    assert target.tag == "GetAtt" and target.value == "Function.Arn"
    permissions = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["SourceArn"].value == f"{rule}.Arn"
    ]
    assert len(permissions) == 1


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_the_resources_in_moto(aws: None) -> None:
    import boto3

    from revoke.aws.journal_store import DynamoDBRecordStore, S3RecordStore
    from revoke.aws.session import AwsSession

    resources = load()["Resources"]
    bucket = resolve(resources["JournalBucket"]["Properties"], ALL_ON, NAMES)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(
        Bucket=NAMES["JournalBucket"], ObjectLockEnabledForBucket=bucket["ObjectLockEnabled"]
    )
    rule = bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    s3.put_object_lock_configuration(
        Bucket=NAMES["JournalBucket"],
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": rule["Mode"], "Days": 365}},
        },
    )
    lock = s3.get_object_lock_configuration(Bucket=NAMES["JournalBucket"])
    assert lock["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"

    table = resolve(resources["JournalTable"]["Properties"], ALL_ON, NAMES)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName=NAMES["JournalTable"],
        AttributeDefinitions=table["AttributeDefinitions"],
        KeySchema=table["KeySchema"],
        BillingMode=table["BillingMode"],
    )

    role = resources["FunctionRole"]["Properties"]
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(
        RoleName="revoke-respond",
        AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"]),
    )
    for name, document in policies().items():
        iam.put_role_policy(
            RoleName="revoke-respond", PolicyName=name, PolicyDocument=json.dumps(document)
        )
    assert sorted(iam.list_role_policies(RoleName="revoke-respond")["PolicyNames"]) == sorted(
        policies()
    )

    # The journal prefix the function is given is the one its policy lets it write.
    variables = resources["Function"]["Properties"]["Environment"]["Variables"]
    url = resolve(variables["REVOKE_JOURNAL"], {**ALL_ON, "UseS3": True}, NAMES)
    assert url == f"s3://{NAMES['JournalBucket']}/journal"
    granted = policies()["RevokeJournal"]["Statement"][1]["Resource"]
    assert granted == f"{NAMES['JournalBucket.Arn']}/journal/*"
    session = AwsSession(region="us-east-1")
    store = S3RecordStore(session, NAMES["JournalBucket"], "journal")
    assert store.put_new(1, b'{"seq":1}') and not store.put_new(1, b'{"seq":1,"x":2}')
    assert store.read_all() == [b'{"seq":1}']
    items = DynamoDBRecordStore(session, NAMES["JournalTable"], "revoke")
    assert items.put_new(1, b'{"seq":1}') and not items.put_new(1, b"{}")
    assert items.last() == b'{"seq":1}'
