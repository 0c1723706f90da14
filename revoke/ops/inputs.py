"""Files the command line names (`--from-file`, `--accounts-file`; `-` for stdin).

Read before any AWS call, so a file that cannot be read changes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from revoke.errors import BadInput


def read_text_argument(path: str, shape: str) -> str:
    """The file's text, or a one-line BadInput naming the problem and the expected `shape`."""
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text: {shape}") from None
