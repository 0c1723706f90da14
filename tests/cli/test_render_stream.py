"""JSON results are written as they are encoded (memory flat in the number of targets,
issue 8), and read exactly as before: `to_json(payload)` and a newline."""

from __future__ import annotations

import pytest

from revoke.cli.render import write_json
from revoke.core.output import to_json


def test_streamed_json_is_byte_for_byte_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    payload = {
        "action": "revoke",
        "cutoff": "2026-11-29T05:00:01Z",
        "targets": [
            {"name": f"u{i}", "status": "applied", "note": "naïve \u2603"} for i in range(3)
        ],
        "warnings": [],
        "when": object(),  # default=str, as to_json does
    }
    write_json(payload)
    out = capsys.readouterr().out
    assert out == to_json(payload) + "\n"
