"""`revoke token issue`: the work behind the command (`revoke token inspect`: token_inspect).

issue: every check that can be made locally comes first (MFA shape, duration syntax,
profile name, a long-term profile in the way, session credentials), then GetCallerIdentity
to learn root or IAM user (fact 1 limits differ), then GetSessionToken. Only the
credential reaches stdout.
Nothing here prints a secret: only the access key ID ever leaves a credential object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from revoke.core.exportfmt import ExportCredentials, ExportFormat
from revoke.core.timeparse import human_duration, parse_duration
from revoke.core.tokenrules import (
    caller_kind,
    check_mfa,
    choose_duration,
    refuse_session_credentials,
)
from revoke.errors import BadInput, RevokeError
from revoke.state import credfile
from revoke.state.ledger import Ledger, new_record

if TYPE_CHECKING:
    from revoke.ops.context import RunContext

_TIME = "%Y-%m-%dT%H:%M:%SZ"


def utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).strftime(_TIME)


# -- issue ----------------------------------------------------------------------------------


@dataclass
class Issued:
    output: str  # what goes to stdout (may be empty)
    access_key_id: str
    principal_arn: str
    expires_at: datetime
    duration_seconds: int
    mfa: bool
    profile_path: Path | None = None
    notes: list[str] = field(default_factory=list)  # for stderr
    warnings: list[str] = field(default_factory=list)


def issue_token(
    g: RunContext,
    *,
    duration: str | None,
    serial_number: str | None,
    token_code: str | None,
    export: ExportFormat | None,
    write_profile: str | None,
    force: bool,
) -> Issued:
    # 1. Everything that needs no AWS call.
    check_mfa(serial_number, token_code)
    if duration is not None:
        parse_duration(duration)  # syntax now; limits once the caller type is known
    cred_path = credfile.credentials_path()
    if write_profile is not None:
        credfile.check_profile_name(write_profile)
        credfile.check_writable(cred_path)
        existing = credfile.read_profile(cred_path, write_profile)
        if credfile.holds_long_term_keys(existing) and not force:
            assert existing is not None
            raise BadInput(
                f"profile {write_profile!r} in {cred_path} holds long-term keys "
                f"({existing.get('aws_access_key_id')}); not overwriting them",
                hint="pick another --write-profile name, or pass --force to replace them",
            )
    session = g.aws()
    frozen = session.frozen_credentials()
    refuse_session_credentials(frozen.access_key, frozen.token)  # fact 3, before any call

    # 2. Who is asking: the account root and IAM users have different limits (fact 1).
    from revoke.aws.sts import StsGateway

    sts = StsGateway(session)
    identity = sts.caller_identity()
    kind = caller_kind(identity["arn"])
    if kind in ("assumed-role", "federated-user"):
        refuse_session_credentials(frozen.access_key, "session")
    choice = choose_duration(duration, kind)
    warnings = [choice.note] if choice.note else []

    # 3. The one call that issues the token.
    token = sts.session_token(choice.seconds, serial_number=serial_number, token_code=token_code)
    issued = Issued(
        output="",
        access_key_id=token.access_key_id,
        principal_arn=identity["arn"],
        expires_at=token.expiration,
        duration_seconds=choice.seconds,
        mfa=serial_number is not None,
        warnings=warnings,
    )
    record = new_record(
        access_key_id=token.access_key_id,
        principal_arn=identity["arn"],
        account=identity["account"],
        expiration=token.expiration,
        duration_seconds=choice.seconds,
        mfa_serial=serial_number,
        source_access_key_id=frozen.access_key,
        profile_written=write_profile,
        now=g.now(),
    )
    try:
        Ledger.in_state_dir(g.state_dir).append(record)
    except RevokeError as err:  # the token exists now: losing it over the ledger is worse
        issued.warnings.append(f"{err.message} (the token was issued all the same)")

    creds = ExportCredentials(
        access_key_id=token.access_key_id,
        secret_access_key=token.secret_access_key,
        session_token=token.session_token,
        expiration=utc(token.expiration),
    )
    if write_profile is not None:
        values = {
            "aws_access_key_id": creds.access_key_id,
            "aws_secret_access_key": creds.secret_access_key,
            "aws_session_token": token.session_token,
            credfile.EXPIRY_KEY: creds.expiration or "",
        }
        written = credfile.write_profile(cred_path, write_profile, values, force=force)
        issued.profile_path = written.path
        issued.notes.append(
            f"profile {write_profile!r} {'updated' if written.replaced else 'written'} in "
            f"{written.path} (mode 0600); use it with --profile {write_profile}"
        )
        clash = credfile.precedence_warning(credfile.config_path(), write_profile)
        if clash:
            issued.warnings.append(clash)
    if export is not None:
        issued.output = export.render(creds)
    return issued


def describe_issue(issued: Issued, now: datetime) -> str:
    left = human_duration(max(0.0, (issued.expires_at - now).total_seconds()))
    mfa = "with MFA" if issued.mfa else "without MFA"
    return (
        f"issued {issued.access_key_id} for {issued.principal_arn} {mfa}, "
        f"{issued.duration_seconds} s: expires {utc(issued.expires_at)} (in {left})"
    )
