"""`revoke demo --scenario pivot` (issue 16 item 4): a leaked key pivots, and is followed.

The attacker holds alice's access key. With it they assume an admin role; that session
creates an access key for another user (bob) and assumes a second role (a role chain). The
admin role also has a legitimate session, from before. The responder runs
`revoke key KEY --follow --before now`: the trace (from the sandbox's CloudTrail) finds all
of it, one run contains it (the attacker's sessions of both roles, alice's and bob's keys,
the users' sessions), the legitimate session keeps working, and `revoke residual` shows
nothing open. As in the basic scenario, the responder's steps are the real commands and the
attacker's are plain boto3; no secret is ever noted.
"""

from __future__ import annotations

import json

from revoke.core.sessiondeny import SESSION_POLICY_NAME
from revoke.sandbox.demo.scenario import (
    ALLOW_ALL,
    KEY_PROFILE,
    USER,
    Scene,
    Step,
    create_user,
    expect,
    start_sandbox,
)

ADMIN, CHAIN, OTHER_USER = "Admin", "Ops", "bob"


def _allowed(scene: Scene, credentials: dict[str, str]) -> bool:
    from revoke.aws.probe import ALLOWED

    return bool(scene.try_call("s3", credentials).kind == ALLOWED)


def create_roles(scene: Scene) -> str:
    iam = scene.client("iam", {})
    account = scene.sandbox.account_id
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    for role in (ADMIN, CHAIN):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        iam.put_role_policy(RoleName=role, PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    iam.create_user(UserName=OTHER_USER)
    iam.put_user_policy(
        UserName=OTHER_USER, PolicyName="everything", PolicyDocument=json.dumps(ALLOW_ALL)
    )
    # The pipeline's session, assumed as the sandbox's IAM admin: AWS refuses AssumeRole
    # by the account root (revoke.sandbox.sts.assume), as whom the demo acts otherwise.
    pipeline = scene.sandbox.admin_credentials()
    legit = scene.client("sts", pipeline).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ADMIN}", RoleSessionName="ci"
    )["Credentials"]
    scene.pivot["legit"] = scene.sandbox.credentials(**legit)
    return (
        f"roles {ADMIN} and {CHAIN} may do anything; user {OTHER_USER} too; {ADMIN} has a "
        "legitimate session 'ci' (the pipeline's)"
    )


def attacker_pivots(scene: Scene) -> str:
    account = scene.sandbox.account_id
    sts = scene.client("sts", scene.key)
    admin = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ADMIN}", RoleSessionName="pivot"
    )["Credentials"]
    admin_creds = scene.sandbox.credentials(**admin)
    made = scene.client("iam", admin_creds).create_access_key(UserName=OTHER_USER)["AccessKey"]
    chained = scene.client("sts", admin_creds).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{CHAIN}", RoleSessionName="chain"
    )["Credentials"]
    scene.pivot["attacker"] = {
        f"{ADMIN} session 'pivot'": admin_creds,
        f"{CHAIN} session 'chain'": scene.sandbox.credentials(**chained),
        f"{OTHER_USER}'s new key {made['AccessKeyId']}": scene.sandbox.credentials(**made),
        f"{USER}'s leaked key": dict(scene.key),
    }
    working = [name for name, creds in scene.pivot["attacker"].items() if _allowed(scene, creds)]
    expect(
        len(working) == len(scene.pivot["attacker"]),
        "every credential of the attacker to work before the response",
        f"working: {working}",
    )
    return (
        f"with {scene.key['aws_access_key_id']}: AssumeRole {ADMIN} (pivot); that session "
        f"created {made['AccessKeyId']} for {OTHER_USER} and assumed {CHAIN} (chain)"
    )


def follow_the_key(scene: Scene) -> str:
    key = scene.key["aws_access_key_id"]
    plumbing = ["--output", "json", "--journal", str(scene.journal_path), "--yes"]
    run = scene.revoke(*plumbing, "key", key, "--follow", "--before", "now")
    scene.revoke_run = run
    scene.revoked = run.json()
    targets = scene.revoked.get("targets") or []
    found = sorted(f"{t.get('kind')} {t.get('name')}" for t in targets)
    wanted = sorted([f"role {ADMIN}", f"role {CHAIN}", f"user {USER}", f"user {OTHER_USER}"])
    expect(found == wanted, f"the run to contain {wanted}", f"{found} (exit {run.code})")
    failed = [f"{t['name']}: {t.get('error')}" for t in targets if t.get("status") != "applied"]
    expect(
        run.code == 0 and not failed, "every target applied, exit 0", f"{failed}, exit {run.code}"
    )
    scene.cutoff = str(scene.revoked.get("cutoff"))
    roles = [t for t in targets if t.get("kind") == "role"]
    expect(
        all(t.get("policy_name") == SESSION_POLICY_NAME for t in roles),
        f"the roles to get {SESSION_POLICY_NAME}, the attacker's sessions only",
        str([t.get("policy_name") for t in roles]),
    )
    return (
        f"traced {key} through CloudTrail and contained {len(targets)} principals in one run, "
        f"cutoff {scene.cutoff}"
    )


def attacker_refused(scene: Scene) -> str:
    still = [name for name, creds in scene.pivot["attacker"].items() if _allowed(scene, creds)]
    expect(not still, "none of the attacker's sessions or keys to work", f"still working: {still}")
    return f"refused: {', '.join(scene.pivot['attacker'])}"


def legit_works(scene: Scene) -> str:
    expect(
        _allowed(scene, scene.pivot["legit"]),
        f"{ADMIN}'s session 'ci' to keep working (the deny names the attacker's sessions)",
        "refused",
    )
    return f"{ADMIN} session 'ci': allowed"


def nothing_open(scene: Scene) -> str:
    journal = str(scene.journal_path)
    said, unchecked = [], []
    # The users' credentials. A role's residual report calls its sessions open: the
    # session-scoped deny keeps the role's other (legitimate) sessions working by design.
    for kind, name in (("user", USER), ("user", OTHER_USER)):
        run = scene.revoke("--output", "json", "--journal", journal, "residual", kind, name)
        report = run.json()
        paths = report.get("paths") or []
        opened = [p.get("path") for p in paths if p.get("state") == "open"]
        expect(
            not opened and run.code in (0, 3),
            f"revoke residual {kind} {name}: no credential path open",
            f"exit {run.code}, open: {opened}",
        )
        unchecked += [
            f"{kind} {name}: {p.get('path')}" for p in paths if p.get("state") == "unchecked"
        ]
        said.append(f"{kind} {name}")
    line = (
        f"revoke residual: nothing open for {', '.join(said)}; roles {ADMIN} and {CHAIN} keep "
        "their other sessions on purpose"
    )
    return line + (f" ({len(unchecked)} path(s) not checkable here)" if unchecked else "")


def journal_holds_it(scene: Scene) -> str:
    journal = str(scene.journal_path)
    shown = scene.revoke("--output", "json", "--journal", journal, "journal", "show")
    records = [r for r in shown.json().get("records") or [] if r.get("action") == "revoke"]
    names = sorted({f"{r['target']['kind']} {r['target']['name']}" for r in records})
    expect(len(names) == 4, "one 'revoke' record for each of the four principals", str(names))
    verified = scene.revoke("--output", "json", "--journal", journal, "journal", "verify")
    expect(verified.code == 0, "the journal's hash chain intact", f"exit {verified.code}")
    scene.journal_entry = records[-1] if records else None
    return (
        f"{len(records)} change record(s): {', '.join(names)}; chain intact "
        "(revoke lift undoes each)"
    )


PIVOT_STEPS: tuple[Step, ...] = (
    Step(
        "Start a local AWS in this process (the sandbox: nothing leaves this machine)",
        start_sandbox,
    ),
    Step(f"Create IAM user {USER}, allowed everything, with an access key", create_user),
    Step(
        f"Create roles {ADMIN} and {CHAIN}, user {OTHER_USER}, and a legitimate session",
        create_roles,
    ),
    Step(
        f"The attacker uses {USER}'s key: assumes {ADMIN}, gives {OTHER_USER} a key, "
        f"chains into {CHAIN}",
        attacker_pivots,
    ),
    Step(
        "The responder follows the key: revoke key KEY --follow --before now",
        follow_the_key,
    ),
    Step("None of the attacker's sessions or keys works any more", attacker_refused),
    Step(f"{ADMIN}'s legitimate session keeps working", legit_works),
    Step("revoke residual shows nothing open", nothing_open),
    Step("The journal holds every change, and its hash chain is intact", journal_holds_it),
)

__all__ = ["KEY_PROFILE", "PIVOT_STEPS"]
