"""Rendering the revocation deny (AWS-FACTS facts 8, 9, 11, 17) and merging it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import parliament
import pytest

from revoke.core.policy import (
    PolicyError,
    PolicyTemplate,
    compact,
    existing_cutoff,
    merge_revocation,
    parse_document,
    policy_size,
    render_revocation,
)
from revoke.core.timeparse import parse_cutoff
from revoke.ops.templates import deny_older_sessions, templates_dir

NOW = datetime(2026, 11, 29, 5, 0, 0, 400000, tzinfo=timezone.utc)

# Fact 8, to the letter: the golden document.
GOLDEN = {
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-11-29T05:00:00Z"}},
    },
}


def test_golden_render_from_offset_input() -> None:
    cutoff = parse_cutoff("2026-11-29T14:00:00+09:00", now=NOW)
    assert render_revocation(deny_older_sessions(), cutoff) == GOLDEN


def test_golden_render_rounds_now_up() -> None:
    cutoff = parse_cutoff("now", now=NOW)
    document = render_revocation(deny_older_sessions(), cutoff)
    assert document["Statement"]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] == (
        "2026-11-29T05:00:01Z"
    )


def test_compact_text_is_the_exact_documented_policy() -> None:
    document = render_revocation(deny_older_sessions(), "2026-11-29T05:00:00Z")
    assert compact(document) == (
        '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*",'
        '"Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-11-29T05:00:00Z"}}}}'
    )


def test_template_values_are_json_escaped() -> None:
    hostile = 'x", "Effect": "Allow'
    document = deny_older_sessions().render(cutoff=hostile)
    assert document["Statement"]["Effect"] == "Deny"
    assert document["Statement"]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] == hostile


def test_template_never_renders_ifexists() -> None:
    # Fact 9: DateLessThanIfExists would deny long-term keys too.
    for path in templates_dir().glob("*.j2"):
        assert "IfExists" not in path.read_text(), path.name
    sneaky = PolicyTemplate(
        name="sneaky.json.j2",
        source=json.dumps(GOLDEN).replace("DateLessThan", "DateLessThanIfExists"),
    )
    with pytest.raises(PolicyError, match="IfExists"):
        render_revocation(sneaky, "2026-11-29T05:00:00Z")


def test_rendered_text_is_validated() -> None:
    with pytest.raises(PolicyError, match="not valid JSON"):
        PolicyTemplate(name="bad", source="{").render()
    with pytest.raises(PolicyError, match="U\\+2603"):
        parse_document(json.dumps(GOLDEN, ensure_ascii=False).replace("Deny", "Deny\u2603"))
    with pytest.raises(PolicyError, match="Version"):
        parse_document('{"Version":"2008-10-17","Statement":[]}')


@pytest.mark.parametrize("when", ["now", "-2h", "2026-11-29T14:00:00+09:00", "@1764392400"])
def test_parliament_finds_nothing_wrong(when: str) -> None:
    document = render_revocation(deny_older_sessions(), parse_cutoff(when, now=NOW))
    findings = parliament.analyze_policy_string(compact(document)).findings
    assert [(f.issue, f.detail) for f in findings] == []


def test_parliament_would_notice_a_broken_policy() -> None:
    # The check above is only worth something if parliament reads these documents.
    broken = json.loads(json.dumps(GOLDEN))
    broken["Statement"]["Condition"] = {"DateLessThan": {"aws:TokenIssueTime": "yesterday"}}
    assert parliament.analyze_policy_string(compact(broken)).findings


def test_size_ignores_whitespace() -> None:
    # Fact 17: IAM does not count white space.
    pretty = json.dumps(GOLDEN, indent=4)
    assert policy_size(pretty) == policy_size(GOLDEN) == len(compact(GOLDEN))


def test_existing_cutoff_reads_ours_and_the_consoles() -> None:
    console = {  # the console writes lists (IAM User Guide, id_roles_use_revoke-sessions)
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-11-01T00:00:00Z"}},
            }
        ],
    }
    assert existing_cutoff(console) == "2026-11-01T00:00:00Z"
    assert existing_cutoff(GOLDEN) == "2026-11-29T05:00:00Z"
    assert existing_cutoff(None) is None


def test_merge_keeps_other_statements_verbatim() -> None:
    other = {"Sid": "Theirs", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
    existing = {
        "Version": "2012-10-17",
        "Statement": [other, GOLDEN["Statement"]],
    }
    fresh = render_revocation(deny_older_sessions(), "2026-11-29T06:00:00Z")
    merged = merge_revocation(existing, fresh)
    assert merged["Statement"][0] == other
    assert existing_cutoff(merged) == "2026-11-29T06:00:00Z"
    assert len(merged["Statement"]) == 2


def test_merge_of_a_pure_revocation_is_the_fresh_render() -> None:
    fresh = render_revocation(deny_older_sessions(), "2026-11-29T06:00:00Z")
    assert merge_revocation(GOLDEN, fresh) == fresh
    assert merge_revocation(None, fresh) == fresh
