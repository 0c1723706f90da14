"""The demo's scenario: the incident as steps, what they share (`Scene`), what each expects.

A user with an access key; a session token issued with the key and used; `revoke user`
with all three verification layers (the pre-cutoff token is the enforcement probe); the old
token refused with an explicit deny, a token issued after the cutoff and the long-term key
still working (with the warning about the key); then the journal entry; then the rest of
the user contained (`--contain-all`) and `revoke residual` showing nothing open.

The steps are data (`STEPS`): a plain-words title and a function that does the step and
checks its own expectation, raising `Unexpected(expected, found)` when the product did not
behave. Each returns one line saying what happened, and notes in the scene the commands it
ran and what they said on stderr; telling all that to a person is the CLI's business.

The responder's steps are the real commands, run in this process through the command
line's entry point, with the same options a person would type; the demo reads their JSON
output as any script would. That entry point is given by the caller (`Scene.cli`: the CLI
passes its own `main`), so the sandbox never imports the command line or the workflows
behind it. The attacker's side (using a token) is plain boto3 through the sandbox's client.
No secret (secret key, session token) is ever noted: only access key IDs.

The shared pieces (`Scene`, `Invocation`, `Step`, `Unexpected`, `expect`, `Cli`,
`REGION`) are in revoke.sandbox.demo.scene, and stay importable from here.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from revoke.core.policy import POLICY_NAME
from revoke.core.timeparse import cutoff_datetime
from revoke.sandbox.demo.scene import REGION, Cli, Invocation, Scene, Step, Unexpected, expect

__all__ = [
    "ALLOW_ALL",
    "EXPLICIT_DENY_WORDING",
    "KEY_PROFILE",
    "PROBE_DEADLINE",
    "REGION",
    "STEPS",
    "TOKEN_PROFILE",
    "USER",
    "Cli",
    "Invocation",
    "Scene",
    "Step",
    "Unexpected",
    "expect",
]

USER = "alice"
KEY_PROFILE = "alice"  # alice's long-term key, in the demo's own credentials file
TOKEN_PROFILE = "alice-session"  # the session token issued with it: the probe
# The sandbox enforces a policy change on the next request (AWS takes up to minutes,
# fact 18), so a few seconds are plenty and a broken enforcement fails fast.
PROBE_DEADLINE = "5"
EXPLICIT_DENY_WORDING = "explicit deny in an identity-based policy"  # fact 14

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


# -- the steps ----------------------------------------------------------------------------


def start_sandbox(scene: Scene) -> str:
    from revoke.sandbox import Sandbox

    scene.sandbox = Sandbox()
    endpoint = scene.sandbox.start()
    # From here on the responder acts as the sandbox's account root, as after pasting the
    # export lines of `revoke sandbox serve`.
    creds = scene.sandbox.root_credentials
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["AWS_ACCESS_KEY_ID"] = creds["aws_access_key_id"]
    os.environ["AWS_SECRET_ACCESS_KEY"] = creds["aws_secret_access_key"]
    return f"listening on {endpoint}, account {scene.sandbox.account_id}, acting as its root"


def create_user(scene: Scene) -> str:
    iam = scene.client("iam", {})  # the account root
    iam.create_user(UserName=USER)
    iam.put_user_policy(
        UserName=USER, PolicyName="everything", PolicyDocument=json.dumps(ALLOW_ALL)
    )
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    scene.key = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    from revoke.state.credfile import write_profile

    write_profile(scene.credentials_file, KEY_PROFILE, scene.key)
    key_id = key["AccessKeyId"]
    expect(key_id.startswith("AKIA"), "a long-term key (AKIA...)", key_id)
    return f"user {USER} may do anything; her access key is {key_id} (profile {KEY_PROFILE})"


def issue_token(scene: Scene) -> str:
    run = scene.revoke("--profile", KEY_PROFILE, "token", "issue", "--write-profile", TOKEN_PROFILE)
    expect(run.code == 0, "revoke token issue to exit 0", f"exit {run.code}")
    from revoke.state.credfile import read_profile

    values = read_profile(scene.credentials_file, TOKEN_PROFILE) or {}
    key_id = values.get("aws_access_key_id", "")
    expect(key_id.startswith("ASIA"), "a session key (ASIA...)", key_id or "no key")
    scene.old_key_id = key_id
    scene.old_token = {
        "aws_access_key_id": key_id,
        "aws_secret_access_key": values.get("aws_secret_access_key", ""),
        "aws_session_token": values.get("aws_session_token", ""),
    }
    record = scene.sandbox.tokens.get(key_id)
    issued = record.issued_at.strftime("%H:%M:%S.%f")[:-3] if record else "?"
    return f"session {key_id} issued at {issued} UTC (profile {TOKEN_PROFILE})"


def token_works(scene: Scene) -> str:
    from revoke.aws.probe import ALLOWED

    outcome = scene.try_call("s3", scene.old_token)
    expect(outcome.kind == ALLOWED, "ListBuckets to succeed", _outcome(outcome))
    return f"ListBuckets with {scene.old_key_id}: allowed"


def revoke_user(scene: Scene) -> str:
    plumbing = ["--output", "json", "--journal", str(scene.journal_path), "--yes"]
    options = ["--before", "now", "--probe-profile", TOKEN_PROFILE, "--deadline", PROBE_DEADLINE]
    run = scene.revoke(*plumbing, "user", USER, *options)
    scene.revoke_run = run
    scene.revoked = run.json()
    targets = scene.revoked.get("targets") or []
    expect(len(targets) == 1, f"one target, user {USER}", f"{len(targets)} (exit {run.code})")
    target = targets[0]
    expect(
        target.get("status") == "applied",
        f"the deny written to user {USER} (status applied)",
        f"status {target.get('status')}: {target.get('error') or 'no error given'}",
    )
    scene.cutoff = str(scene.revoked.get("cutoff"))
    issued = scene.sandbox.tokens.get(scene.old_key_id)
    expect(
        issued is not None and issued.issued_at < cutoff_datetime(scene.cutoff),
        "a cutoff after the token of step 3 was issued",
        f"cutoff {scene.cutoff}",
    )
    return (
        f"inline policy {target.get('policy_name')} on user {USER} denies every session "
        f"issued before {scene.cutoff} (rounded up to the second)"
    )


def _verification(scene: Scene) -> dict[str, Any]:
    targets = scene.revoked.get("targets") or [{}]
    return dict(targets[0].get("verification") or {})


def check_read_back(scene: Scene) -> str:
    read_back = _verification(scene).get("read_back") or {}
    expect(
        read_back.get("status") == "ok",
        "IAM to return the document written (read-back ok)",
        f"read-back {read_back.get('status')}",
    )
    return f"GetUserPolicy returns {POLICY_NAME} as written"


def check_logic(scene: Scene) -> str:
    logic = _verification(scene).get("logic") or {}
    failing = [
        f"{c.get('case')}: {c.get('decision')}, denied by the revocation: "
        f"{c.get('denied_by_revocation')}"
        for c in logic.get("cases") or []
        if not c.get("holds")
    ]
    expect(
        logic.get("status") == "ok",
        "the evaluator to deny a session issued 1 s before the cutoff, and neither one "
        "issued 1 s after nor a long-term key's request (logic ok)",
        f"logic {logic.get('status')}"
        + (f": {'; '.join(failing)}" if failing else "")
        + (f" ({logic['error']})" if logic.get("error") else ""),
    )
    simulation = (logic.get("simulation") or {}).get("status", "skipped")
    return f"evaluator: 3 of 3 cases hold; iam:SimulatePrincipalPolicy agrees ({simulation})"


def check_enforcement(scene: Scene) -> str:
    verification = _verification(scene)
    enforcement = verification.get("enforcement") or {}
    expect(
        enforcement.get("status") == "confirmed"
        and EXPLICIT_DENY_WORDING in str(enforcement.get("message")),
        f"the probe with the token of step 3 answered AccessDenied ... {EXPLICIT_DENY_WORDING}",
        f"enforcement {enforcement.get('status')}: "
        f"{enforcement.get('reason') or enforcement.get('message')}",
    )
    run = scene.revoke_run
    code = run.code if run else None
    expect(
        verification.get("status") == "verified" and code == 0,
        "revoke user to report the revocation verified and exit 0",
        f"verification {verification.get('status')}, exit {code}",
    )
    return (
        f"{enforcement.get('action')} with {scene.old_key_id} refused after "
        f"{enforcement.get('seconds')} s ({enforcement.get('attempts')} attempt(s))"
    )


def old_token_refused(scene: Scene) -> str:
    from revoke.aws.probe import EXPLICIT_DENY

    outcome = scene.try_call("s3", scene.old_token)
    expect(
        outcome.kind == EXPLICIT_DENY,
        f"AccessDenied ... {EXPLICIT_DENY_WORDING}",
        _outcome(outcome),
    )
    return f"{outcome.code}: {outcome.message}"


def fresh_token_works(scene: Scene) -> str:
    from revoke.aws.probe import ALLOWED

    clock = scene.sandbox.clock
    cutoff = cutoff_datetime(scene.cutoff)
    # No sleeping: move the sandbox's clock one second past the cutoff (fact 10: the
    # cutoff second itself is not denied, so "after" means strictly later).
    jump = max(0.0, (cutoff - clock.now()).total_seconds()) + 1.0
    clock.advance(jump)
    credentials = scene.client("sts", scene.key).get_session_token()["Credentials"]
    fresh = {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }
    record = scene.sandbox.tokens.get(credentials["AccessKeyId"])
    issued: datetime | None = record.issued_at if record else None
    expect(
        issued is not None and issued > cutoff,
        f"a token issued after the cutoff {scene.cutoff}",
        f"issued at {issued}",
    )
    outcome = scene.try_call("s3", fresh)
    expect(outcome.kind == ALLOWED, "ListBuckets to succeed", _outcome(outcome))
    assert issued is not None
    return (
        f"the sandbox clock moved {jump:.1f} s instead of waiting; session "
        f"{credentials['AccessKeyId']} issued at {issued.strftime('%H:%M:%S')} UTC: allowed"
    )


def key_still_works(scene: Scene) -> str:
    from revoke.aws.probe import ALLOWED

    outcome = scene.try_call("s3", scene.key)
    expect(
        outcome.kind == ALLOWED, "ListBuckets with the long-term key to succeed", _outcome(outcome)
    )
    key_id = scene.key["aws_access_key_id"]
    warnings = [str(w) for w in scene.revoked.get("warnings") or []]
    about_key = [w for w in warnings if key_id in w and "--deactivate-keys" in w]
    run = scene.revoke_run
    shown = bool(about_key) and run is not None and f"warning: {about_key[0]}" in run.stderr
    expect(
        shown,
        f"revoke user to warn on stderr that {key_id} is still active (add --deactivate-keys)",
        f"warnings {warnings}",
    )
    return (
        "a long-term key's requests carry no aws:TokenIssueTime, so the deny never matches; "
        f"whoever holds {key_id} can mint new tokens, hence the warning"
    )


def journal_entry(scene: Scene) -> str:
    journal = str(scene.journal_path)
    shown = scene.revoke(
        "--output", "json", "--journal", journal, "journal", "show", "--target", f"user/{USER}"
    )
    expect(shown.code == 0, "revoke journal show to exit 0", f"exit {shown.code}")
    records = [r for r in shown.json().get("records") or [] if r.get("cutoff") == scene.cutoff]
    changes = [r for r in records if r.get("action") == "revoke"]
    expect(
        bool(changes) and changes[-1].get("status") == "applied",
        f"a 'revoke' record for user {USER}, cutoff {scene.cutoff}, status applied",
        f"{len(records)} record(s) with that cutoff: "
        + ", ".join(f"{r.get('action')} {r.get('status')}" for r in records),
    )
    entry = changes[-1]
    scene.journal_entry = entry
    verified = scene.revoke("--journal", journal, "--output", "json", "journal", "verify")
    expect(
        verified.code == 0, "revoke journal verify: the hash chain intact", f"exit {verified.code}"
    )
    after = entry.get("after") or {}
    statement = after.get("Statement") if isinstance(after, dict) else None
    follow = [
        r for r in records if r.get("action") == "verify" and r.get("ref") == entry.get("hash")
    ]
    scene.note(
        f"record {entry.get('seq')} at {entry.get('time')}: {entry.get('action')} "
        f"user/{USER} by {entry.get('actor')}, {entry.get('status')}"
    )
    scene.note(f"  cutoff {entry.get('cutoff')}; policy {(entry.get('policy') or {}).get('name')}")
    scene.note(f"  before: {json.dumps(entry.get('before'))}")
    scene.note(f"  after:  {json.dumps(statement if statement is not None else after)}")
    evidence = entry.get("evidence") or {}
    keys = [k.get("access_key_id") for k in evidence.get("access_keys") or []]
    scene.note(f"  evidence captured first: access keys {keys}, policies, groups, MFA devices")
    scene.note(f"  hash {entry.get('hash')}")
    if follow:
        status = (follow[-1].get("verification") or {}).get("status")
        scene.note(f"record {follow[-1].get('seq')}: verification {status} (refers to that hash)")
    where = journal if scene.journal_kept else "a temporary journal (--journal PATH keeps one)"
    return f"{len(records)} record(s) in {where}; chain intact"


def contain_the_rest(scene: Scene) -> str:
    plumbing = ["--output", "json", "--journal", str(scene.journal_path), "--yes"]
    run = scene.revoke(*plumbing, "user", USER, "--before", scene.cutoff, "--contain-all")
    targets = run.json().get("targets") or [{}]
    done = [s.get("action") for s in targets[0].get("containment") or [] if s.get("result")]
    expect(
        run.code == 0 and "deactivate_key" in done,
        f"revoke user {USER} --contain-all to deactivate the key (exit 0)",
        f"exit {run.code}, steps {done}",
    )
    from revoke.aws.probe import ALLOWED

    outcome = scene.try_call("s3", scene.key)
    expect(outcome.kind != ALLOWED, "the long-term key refused now", _outcome(outcome))
    return (
        f"the key is deactivated (not deleted: revoke lift user {USER} gives it back), and so "
        "is every other credential the user holds; the cutoff stays the same"
    )


def nothing_open(scene: Scene) -> str:
    run = scene.revoke("--output", "json", "residual", "user", USER)
    report = run.json()
    still = [p.get("path") for p in report.get("paths") or [] if p.get("state") == "open"]
    expect(
        run.code == 0 and not still,
        f"revoke residual user {USER}: nothing open (exit 0)",
        f"exit {run.code}, open: {still}",
    )
    return (
        f"every credential path of {USER} is contained or absent: nothing the attacker held works"
    )


STEPS: tuple[Step, ...] = (
    Step(
        "Start a local AWS in this process (the sandbox: nothing leaves this machine)",
        start_sandbox,
    ),
    Step(f"Create IAM user {USER}, allowed everything, with an access key", create_user),
    Step(f"Anyone holding {USER}'s key can get a session token: issue one", issue_token),
    Step("The token works: it lists the S3 buckets", token_works),
    Step(f"The responder revokes {USER}'s sessions: revoke user {USER} --before now", revoke_user),
    Step("Check 1 of 3, read-back: IAM holds the policy exactly as written", check_read_back),
    Step(
        "Check 2 of 3, logic: the policy denies a session issued before the cutoff, "
        "not one issued after it, not the long-term key",
        check_logic,
    ),
    Step(
        "Check 3 of 3, enforcement: the token from step 3 is now refused with an explicit deny",
        check_enforcement,
    ),
    Step("Used directly, the old token is refused too", old_token_refused),
    Step("A token issued after the cutoff works", fresh_token_works),
    Step(f"{USER}'s long-term key still works, and revoke user warned about it", key_still_works),
    Step("The journal holds the change, and its hash chain is intact", journal_entry),
    Step(f"The responder contains the rest: revoke user {USER} --contain-all", contain_the_rest),
    Step(f"revoke residual user {USER}: nothing is still open", nothing_open),
)


def _outcome(outcome: Any) -> str:
    if outcome.code:
        return f"{outcome.kind}: {outcome.code}: {outcome.message}"
    return str(outcome.kind)
