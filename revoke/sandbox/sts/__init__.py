"""STS as the toolkit meets it: GetSessionToken, GetCallerIdentity, AssumeRole bookkeeping.

- GetSessionToken is answered here, not by moto: a fresh ASIA key bound to the caller,
  issue time, MFA flag and expiry, with the duration rules of fact 1 and the parameter
  constraints of fact 2 (STS API reference, GetSessionToken; botocore
  data/sts/2011-06-15/service-2.json shapes durationSecondsType, tokenCodeType,
  serialNumberType).
  MFA (mfa.py): the SerialNumber must be a device enabled for the calling user, and for a
  virtual device the TokenCode the TOTP of its seed at the sandbox clock, not used before;
  a hardware device's secret moto does not hold, so any six digits pass for it.
- GetFederationToken is answered here too (moto hands out one fixed example key): a
  session of kind "federated" bound to the calling user and to the session policy passed
  (none passed: the session may do nothing, STS API reference, GetFederationToken).
- GetCallerIdentity for sessions and root keys is answered here (moto does not know
  those keys); it is never denied (fact 13).
- AssumeRole* is left to moto (it handles roles in any account) once the layer has
  validated the duration and found the role: moto would assume any ARN, AWS refuses a
  role that does not exist (see `check_assume_role`), and refuses the account root
  ("Roles may not be assumed by root accounts."). The layer then records the
  returned key with its role (ARN and unique ID), session name, session policy (`Policy`,
  `PolicyArns`), issue time (sandbox clock), expiry and secret, and rewrites the
  Expiration to the sandbox clock.
"""

from __future__ import annotations

# The package's modules: rules (durations, constraints, session policy), sessions
# (GetSessionToken, GetFederationToken, GetCallerIdentity, GetAccessKeyInfo) and assume
# (AssumeRole* before and after moto).
from revoke.sandbox.sts.assume import (
    ROOT_ASSUME_ROLE_MESSAGE,
    check_assume_role,
    record_assumed_role,
)
from revoke.sandbox.sts.rules import (
    LONG_TERM_ONLY,
    SESSION_STS_ALLOWED,
    session_policy_of,
    validation_error,
)
from revoke.sandbox.sts.sessions import (
    federated_limits,
    get_access_key_info,
    get_caller_identity,
    get_federation_token,
    get_session_token,
)

__all__ = [
    "LONG_TERM_ONLY",
    "ROOT_ASSUME_ROLE_MESSAGE",
    "SESSION_STS_ALLOWED",
    "check_assume_role",
    "federated_limits",
    "get_access_key_info",
    "get_caller_identity",
    "get_federation_token",
    "get_session_token",
    "record_assumed_role",
    "session_policy_of",
    "validation_error",
]
