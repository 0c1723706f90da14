"""The credential chain of the boto3 seam: the AWS CLI's role cache, a bounded credential_process.

Split out of revoke.aws.session (which calls `customise_credential_resolver` on every boto3
session it makes and re-exports these names): botocore's own chain, with the AWS CLI's
assumed-role cache (~/.aws/cli/cache, so an MFA code is asked once for both tools) and a
credential_process that ends at the run's deadline (revoke.aws.deadline) or after
CREDENTIAL_PROCESS_SECONDS, and whose printed secrets are remembered (revoke.core.scrub).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from typing import Any

import boto3
import botocore.utils

from revoke.aws.answers import remember_secrets
from revoke.aws.deadline import Deadline
from revoke.errors import NoCredentials

# Where the AWS CLI caches assumed-role sessions (awscli/customizations/assumerole.py):
# the same folder, so a session one tool obtained with an MFA code serves the other.
CLI_CACHE_DIR = ("~", ".aws", "cli", "cache")
# Without --timeout, a credential_process still gets an end: long enough for a person to
# answer an MFA prompt it shows (aws-vault, granted), short of hanging a run for ever.
CREDENTIAL_PROCESS_SECONDS = 300.0
CREDENTIAL_PROCESS_URL = (
    "https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html"
)


class BoundedProcess:
    """What botocore's credential_process provider runs instead of subprocess.Popen: the
    same process, whose `communicate()` ends at the run's deadline (or after
    CREDENTIAL_PROCESS_SECONDS), kills a process that has not finished, and remembers the
    secrets it printed."""

    def __init__(
        self,
        args: Any,
        *,
        profile: str | None,
        deadline: Callable[[], Deadline | None],
        **popen: Any,
    ) -> None:
        self._deadline = deadline()
        self._profile = profile
        if self._deadline is not None:
            self._deadline.check(f"credential_process of profile {profile}")
        self._proc = subprocess.Popen(args, **popen)  # noqa: S603 - the user's own setting

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    def communicate(self, input: bytes | None = None) -> tuple[bytes, bytes]:  # noqa: A002
        bound = self._deadline
        seconds = bound.left() if bound is not None else CREDENTIAL_PROCESS_SECONDS
        try:
            out, err = self._proc.communicate(input, timeout=seconds)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            try:
                self._proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # a child of it still holds the pipes
                pass
            limit = (
                f"the run's --timeout of {bound.seconds:g} s"
                if bound
                else (f"{CREDENTIAL_PROCESS_SECONDS:g} s")
            )
            raise NoCredentials(
                f"the credential_process of profile {self._profile} did not finish within "
                f"{limit}; stopped it",
                hint=f"run that command by hand to see where it waits ({CREDENTIAL_PROCESS_URL})",
            ) from None
        try:
            remember_secrets(json.loads(out))
        except ValueError:
            pass
        return out, err


def cli_cache_dir() -> str:
    """~/.aws/cli/cache, read when credentials are first needed (a test moves HOME)."""
    return os.path.expanduser(os.path.join(*CLI_CACHE_DIR))


def _customise_credential_resolver(
    boto_session: boto3.session.Session, deadline: Callable[[], Deadline | None]
) -> None:
    """botocore's own credential chain, with two things the AWS CLI or revoke adds.

    The AWS CLI's assumed-role cache: the assume-role and web-identity providers keep their
    sessions in ~/.aws/cli/cache (botocore's JSONFileCache, the CLI's folder and key), so
    a profile with `mfa_serial` asks for a code once, not on every run, and a session one
    tool obtained serves the other.

    BoundedProcess for subprocess.Popen in the credential_process provider: botocore runs
    credential_process with `Popen(...).communicate()` and no timeout
    (botocore/credentials.py, ProcessProvider), but takes the Popen to use as an argument.
    The resolver is made when credentials are first needed, so ours wraps that moment,
    keeping botocore's own factory (and the region it reads then).
    """
    core: Any = boto_session._session  # private: botocore has no hook for this
    original = core._create_credential_resolver

    def resolver() -> Any:
        made = original()
        for name in ("assume-role", "assume-role-with-web-identity"):
            try:
                made.get_provider(name).cache = botocore.utils.JSONFileCache(cli_cache_dir())
            except Exception:  # noqa: BLE001, S112 - not in this chain: nothing to cache
                continue
        try:
            provider = made.get_provider("custom-process")
        except Exception:  # noqa: BLE001 - no process provider: nothing to bound
            return made
        profile = getattr(provider, "_profile_name", None)

        def popen(args: Any, **kwargs: Any) -> BoundedProcess:
            return BoundedProcess(args, profile=profile, deadline=deadline, **kwargs)

        provider._popen = popen
        return made

    core._components.lazy_register_component("credential_provider", resolver)
