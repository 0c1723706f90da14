"""MFA one-time codes as AWS checks them for GetSessionToken (and AssumeRole's
SerialNumber/TokenCode): the device must belong to the caller, and a virtual device's code
must be the TOTP of its seed now.

A virtual MFA device is an RFC 6238 TOTP authenticator: HMAC-SHA1 over the number of
30-second steps since the Unix epoch, keyed with the Base32 seed that
CreateVirtualMFADevice returns (`Base32StringSeed`), truncated to 6 digits (RFC 4226
section 5.3). "Now" is the sandbox clock, so tests never depend on the wall clock.

Refusals (STS API reference, GetSessionToken; the messages AWS answers with):
- a serial that is not an MFA device enabled for the calling user: AccessDenied
  "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA
  serial number is valid and associated with this user.";
- a code that is not the device's current one, or one already used: AccessDenied
  "MultiFactorAuthentication failed with invalid MFA one time pass code. ". AWS does not
  let a code be used twice; which neighbouring time steps it accepts it does not document:
  the sandbox's reading is the current step and one either side (RFC 6238 section 5.2
  recommends at most one step of network delay), and a step once used, or any earlier one,
  is refused.
A hardware device's secret moto never holds (EnableMFADevice takes two codes, not the
seed), so for one enabled for the user any six digits pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from datetime import datetime
from typing import Any

from revoke.sandbox.principals import Principal, find_user, iam_backend
from revoke.sandbox.responses import access_denied

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps either side of now
SERIAL_REFUSED = (
    "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your "
    "MFA serial number is valid and associated with this user."
)
CODE_REFUSED = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
_USED = "_revoke_sandbox_last_step"  # kept on moto's device: forgotten with moto's state


def totp(seed: str, at: datetime, *, step_offset: int = 0) -> str:
    """The RFC 6238 code of a Base32 seed at `at` (a timezone-aware moment)."""
    key = base64.b32decode(seed.upper() + "=" * (-len(seed) % 8))
    counter = int(at.timestamp()) // STEP_SECONDS + step_offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def _device_for(caller: Principal, serial: str) -> tuple[bool, Any | None]:
    """(the serial belongs to the caller, moto's virtual device or None for hardware)."""
    backend = iam_backend(caller.account_id)
    virtual = backend.virtual_mfa_devices.get(serial)
    if caller.kind == "user":
        user = find_user(caller.account_id, caller.name)
        if user is None or serial not in user.mfa_devices:
            return False, None
        return True, virtual
    # The root user's virtual device: one no IAM user holds (moto cannot enable a
    # device for the root, so an unassigned one stands for it).
    if virtual is None or getattr(virtual, "user", None) is not None:
        return False, None
    return True, virtual


def check_code(caller: Principal, serial: str, code: str, now: datetime) -> None:
    """Raise AccessDenied unless `code` is a fresh one-time code of the caller's `serial`."""
    owned, virtual = _device_for(caller, serial)
    if not owned:
        raise access_denied(SERIAL_REFUSED)
    if virtual is None:
        return  # hardware: moto holds no secret to check against
    current = int(now.timestamp()) // STEP_SECONDS
    matched = next(
        (
            current + offset
            for offset in range(-WINDOW, WINDOW + 1)
            if hmac.compare_digest(totp(virtual.base32_string_seed, now, step_offset=offset), code)
        ),
        None,
    )
    last = getattr(virtual, _USED, None)
    if matched is None or (last is not None and matched <= last):
        raise access_denied(CODE_REFUSED)
    setattr(virtual, _USED, matched)
