"""Files the command line names (`--from-file`, `--accounts-file`; `-` for stdin).

Read before any AWS call, so a file that cannot be read changes nothing. Read with a
bound, in bytes and in lines: `--from-file /dev/zero` (or a log file named by mistake)
must be a one-line refusal, not gigabytes read into memory. The bounds are what a real
run needs, with room to spare: an account holds at most 5,000 IAM users and 5,000 roles
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), and an
organization at most a few thousand accounts
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
"""

from __future__ import annotations

import sys
from typing import BinaryIO

from revoke.errors import BadInput

MAX_LINES = 20_000
# 20,000 lines of 200 characters: an ARN with a path and a comment fits in 200.
MAX_BYTES = 4 * 1024 * 1024
QUOTAS_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"


def _read_bounded(handle: BinaryIO, limit: int) -> bytes:
    """At most `limit + 1` bytes: one more than allowed says the file is too large."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = handle.read(min(left, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_text_argument(
    path: str, shape: str, *, max_bytes: int = MAX_BYTES, max_lines: int = MAX_LINES
) -> str:
    """The file's text, or a one-line BadInput naming the problem and the expected `shape`."""
    try:
        if path == "-":
            data = _read_bounded(sys.stdin.buffer, max_bytes)
        else:
            with open(path, "rb") as handle:
                data = _read_bounded(handle, max_bytes)
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror or err}") from None
    where = "standard input" if path == "-" else path
    if len(data) > max_bytes:
        raise BadInput(
            f"{where} is larger than {max_bytes // (1024 * 1024)} MiB; expected {shape}, "
            f"at most {max_lines:,} lines",
            hint=f"split it into several runs; an account holds at most 5,000 IAM users "
            f"({QUOTAS_URL})",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{where} is not UTF-8 text: {shape}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads it
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    if lines > max_lines:
        raise BadInput(
            f"{where} has {lines:,} lines, more than the {max_lines:,} a run takes; "
            f"expected {shape}",
            hint=f"split it into several runs; an account holds at most 5,000 IAM users "
            f"({QUOTAS_URL})",
        )
    return text
