"""revoke.core.events: every sample event parses to the request it calls for; envelopes
and bare events alike; anything else is one line of BadInput that echoes no secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from revoke.core import events
from revoke.core.events import ContainmentRequest, Principal, parse_event, parse_event_text
from revoke.errors import BadInput, ExitCode

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
ALICE = Principal("user", "alice", "123456789012", "arn:aws:iam::123456789012:user/alice")
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def loaded(name: str) -> dict[str, Any]:
    return json.loads(fixture(name))  # type: ignore[no-any-return]


EXPECTED = {
    "guardduty-credential-access.json": dict(
        source="guardduty",
        kind=events.KEY,
        finding_type="CredentialAccess:IAMUser/AnomalousBehavior",
        finding_id="guardduty:16afba5c5c43e07c9e3e5e2e544e95df",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        principal=ALICE,
        account="123456789012",
        instance_arn=None,
    ),
    "securityhub-guardduty-finding.json": dict(
        source="securityhub",
        kind=events.KEY,
        finding_type="CredentialAccess:IAMUser/AnomalousBehavior",
        # The same GuardDuty finding through Security Hub is the same finding.
        finding_id="guardduty:16afba5c5c43e07c9e3e5e2e544e95df",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        principal=ALICE,
        account="123456789012",
        instance_arn=None,
    ),
    "guardduty-exfiltration-outside.json": dict(
        source="guardduty",
        kind=events.INSTANCE,
        finding_type="UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        finding_id="guardduty:7ab9d1cb6248e05a0e419a79528761cb",
        access_key_id="ASIAIOSFODNN7EXAMPLE",
        principal=Principal(
            "role", "web-server", "123456789012", "arn:aws:iam::123456789012:role/web-server"
        ),
        account="123456789012",
        instance_arn="arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0",
    ),
    "guardduty-exfiltration-inside.json": dict(
        source="guardduty",
        kind=events.INSTANCE,
        finding_type="UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS",
        finding_id="guardduty:4cb9d1cb6248e05a0e419a79528761aa",
        access_key_id="ASIAIOSFODNN7EXAMPLE",
        principal=Principal(
            "role", "batch-worker", "123456789012", "arn:aws:iam::123456789012:role/batch-worker"
        ),
        account="123456789012",
        # Named only by the session's principal ID, AROA...:i-...
        instance_arn="arn:aws:ec2:eu-west-1:123456789012:instance/i-0abcdef1234567890",
    ),
    "guardduty-root-usage.json": dict(
        source="guardduty",
        kind=events.ROOT,
        finding_type="Policy:IAMUser/RootCredentialUsage",
        finding_id="guardduty:92b9d1cb6248e05a0e419a79528761bb",
        access_key_id="ASIAIOSFODNN7EXAMPLE",
        principal=Principal("root", "root", "123456789012", "arn:aws:iam::123456789012:root"),
        account="123456789012",
        instance_arn=None,
    ),
    "health-credentials-exposed.json": dict(
        source="health",
        kind=events.KEY,
        finding_type="AWS_RISK_CREDENTIALS_EXPOSED",
        finding_id="health:arn:aws:health:global::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/"
        "AWS_RISK_CREDENTIALS_EXPOSED_EXAMPLE123:AKIAIOSFODNN7EXAMPLE",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        principal=None,
        account="123456789012",
        instance_arn=None,
    ),
    "cloudtrail-quarantine-v2.json": dict(
        source="cloudtrail",
        kind=events.QUARANTINED,
        finding_type="AttachUserPolicy:AWSCompromisedKeyQuarantineV2",
        finding_id="cloudtrail:3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        access_key_id=None,
        principal=ALICE,
        account="123456789012",
        instance_arn=None,
    ),
    "trufflehog-aws.json": dict(
        source="secret-scanner",
        kind=events.KEY,
        finding_type="TruffleHog:AWS (verified)",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        principal=ALICE,
        account="123456789012",
        instance_arn=None,
    ),
}


def test_every_fixture_has_an_expectation_and_a_citation() -> None:
    files = sorted(p.name for p in FIXTURES.glob("*.json"))
    assert files == sorted(EXPECTED)
    readme = (FIXTURES / "README.md").read_text()
    for name in files:
        row = next(line for line in readme.splitlines() if f"`{name}`" in line)
        assert "https://" in row, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_fixture_parses_to_the_expected_request(name: str) -> None:
    request = parse_event_text(fixture(name))
    for attribute, value in EXPECTED[name].items():
        assert getattr(request, attribute) == value, attribute
    assert request.reason and "\n" not in request.reason
    # It survives the journal (the pending record) unchanged.
    assert ContainmentRequest.from_json(json.loads(json.dumps(request.to_json()))) == request


@pytest.mark.parametrize(
    "name",
    [n for n in sorted(EXPECTED) if "detail-type" in loaded(n)],
)
def test_the_bare_detail_parses_like_its_envelope(name: str) -> None:
    envelope = loaded(name)
    bare = envelope["detail"]
    if "findings" in bare:
        bare = bare["findings"][0]  # an ASFF finding on its own
    wrapped, alone = parse_event(envelope), parse_event(bare)
    assert (wrapped.finding_id, wrapped.access_key_id, wrapped.principal) == (
        alone.finding_id,
        alone.access_key_id,
        alone.principal,
    )


@pytest.mark.parametrize("name", ["guardduty-exfiltration-outside.json"])
def test_a_bare_finding_wraps_into_an_envelope(name: str) -> None:
    finding = loaded(name)
    envelope = {
        "version": "0",
        "id": "x",
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": "123456789012",
        "detail": finding,
    }
    assert parse_event(envelope) == parse_event(finding)


def test_the_trufflehog_secret_never_leaves_the_parser() -> None:
    text = fixture("trufflehog-aws.json")
    assert SECRET in text
    request = parse_event_text(text)
    assert SECRET not in json.dumps(request.to_json())
    # Malformed, the secret is not quoted back either.
    broken = text.replace('"DetectorName":"AWS"', '"DetectorName":"AWS",')
    with pytest.raises(BadInput) as err:
        parse_event_text(broken)
    assert SECRET not in str(err.value) + str(err.value.hint)


def test_trufflehog_ids_are_stable_and_differ_by_location() -> None:
    line = loaded("trufflehog-aws.json")
    first = parse_event(line)
    assert parse_event(json.loads(json.dumps(line))).finding_id == first.finding_id
    line["SourceMetadata"]["Data"]["Git"]["line"] = 8
    assert parse_event(line).finding_id != first.finding_id


def _bad(value: Any) -> str:
    with pytest.raises(BadInput) as err:
        if isinstance(value, str):
            parse_event_text(value)
        else:
            parse_event(value)
    assert err.value.exit_code == ExitCode.BAD_INPUT
    message = str(err.value)
    assert message and "\n" not in message
    assert SECRET not in message + str(err.value.hint or "")
    return message


def _with(name: str, path: list[str], value: Any) -> dict[str, Any]:
    data = loaded(name)
    node = data
    for step in path[:-1]:
        node = node[step]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "empty"),
        ("not json at all " + SECRET, "not JSON"),
        ("[1, 2]", "array"),
        ('"text"', "string"),
        ("{}", "not an event revoke respond knows"),
        (
            {
                "detail-type": "EC2 Instance State-change Notification",
                "source": "aws.ec2",
                "detail": {"state": "running"},
            },
            "not an event revoke respond knows",
        ),
        (
            {"detail-type": "GuardDuty Finding", "source": "aws.guardduty", "detail": "x"},
            "no detail object",
        ),
        (
            _with(
                "guardduty-credential-access.json",
                ["detail", "resource", "accessKeyDetails"],
                _DELETE,
            ),
            "names no access key",
        ),
        (
            _with(
                "guardduty-credential-access.json",
                ["detail", "resource", "accessKeyDetails", "accessKeyId"],
                "AKIAIOSFODNN7EXAMP01",
            ),
            "no AWS ID uses",
        ),
        (_with("guardduty-credential-access.json", ["detail", "id"], _DELETE), "id is missing"),
        (
            _with(
                "guardduty-credential-access.json",
                ["detail", "service", "additionalInfo"],
                {"sample": True},
            ),
            "sample finding",
        ),
        (
            _with(
                "health-credentials-exposed.json",
                ["detail", "eventTypeCode"],
                "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
            ),
            "is not AWS_RISK_CREDENTIALS_EXPOSED",
        ),
        (
            _with("health-credentials-exposed.json", ["detail", "affectedEntities"], []),
            "names no access key",
        ),
        (
            _with("cloudtrail-quarantine-v2.json", ["detail", "eventName"], "DetachUserPolicy"),
            "did not attach an AWS quarantine policy",
        ),
        (
            _with(
                "cloudtrail-quarantine-v2.json",
                ["detail", "requestParameters", "policyArn"],
                "arn:aws:iam::123456789012:policy/AWSCompromisedKeyQuarantineV2",
            ),
            "did not attach an AWS quarantine policy",
        ),
        (
            _with("cloudtrail-quarantine-v2.json", ["detail", "errorCode"], "AccessDenied"),
            "call failed",
        ),
        (
            _with(
                "securityhub-guardduty-finding.json",
                ["detail", "findings", 0, "Types"],
                ["Software and Configuration Checks/Industry and Regulatory Standards"],
            ),
            "no GuardDuty IAM finding type",
        ),
        (
            _with("securityhub-guardduty-finding.json", ["detail", "findings"], []),
            "holds no finding",
        ),
        (_with("trufflehog-aws.json", ["DetectorName"], "Github"), "not an AWS access key"),
        (_with("trufflehog-aws.json", ["Raw"], SECRET), None),
        (
            {
                "detail-type": "Findings Imported V2",
                "source": "aws.securityhub",
                "detail": {"findings": [{}]},
            },
            "OCSF",
        ),
    ],
)
def test_unknown_or_malformed_events_are_one_line_of_bad_input(
    value: Any, says: str | None
) -> None:
    if isinstance(value, dict) and value.get("DetectorName") == "AWS" and value["Raw"] == SECRET:
        # Raw replaced by the secret, and no key ID anywhere else: refused, not echoed.
        value["Redacted"] = ""
        value["RawV2"] = SECRET
        says = "holds no access key ID"
    message = _bad(value)
    assert says in message


def test_health_names_every_other_key_it_lists() -> None:
    event = loaded("health-credentials-exposed.json")
    event["detail"]["affectedEntities"].append({"entityValue": "AKIAI44QHGDHBEXAMPLE"})
    request = parse_event(event)
    assert request.access_key_id == "AKIAIOSFODNN7EXAMPLE"
    assert any("revoke key AKIAI44QHGDHBEXAMPLE" in w for w in request.warnings)


def test_an_oversized_event_is_refused_without_parsing() -> None:
    assert "larger than" in _bad("{" + " " * (events.MAX_EVENT_BYTES + 1) + "}")


def test_several_json_lines_are_one_event_too_many() -> None:
    line = fixture("trufflehog-aws.json").strip()
    assert "one event a run" in _bad(line + "\n" + line)


def test_finding_key_is_short_and_stable() -> None:
    key = events.finding_key("guardduty:16afba5c5c43e07c9e3e5e2e544e95df")
    assert key == events.finding_key("guardduty:16afba5c5c43e07c9e3e5e2e544e95df")
    assert key.startswith("r-") and len(key) == 14
