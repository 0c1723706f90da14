"""`revoke demo --scenario pivot` (issue 16 item 4): every step behaves, through the real
command line; an unknown scenario is exit 2."""

from __future__ import annotations

import pytest

from revoke.sandbox.demo import PIVOT_STEPS, SCENARIOS, STEPS, run_demo
from tests.helpers import assert_clean_failure, json_out, run_cli

pytestmark = pytest.mark.slow


def test_the_pivot_scenario_behaves_end_to_end() -> None:
    from revoke.cli.app import main

    report = run_demo(cli=main, steps=PIVOT_STEPS)
    assert report.failed is None, report.to_json()
    follow = next(s for s in report.steps if "--follow" in s.title)
    assert "contained 4 principals" in (follow.detail or "")
    assert SCENARIOS == {"basic": STEPS, "pivot": PIVOT_STEPS}


def test_the_cli_runs_the_pivot_scenario_and_refuses_an_unknown_one() -> None:
    result = run_cli("--output", "json", "demo", "--scenario", "pivot")
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["ok"] is True
    assert_clean_failure(run_cli("demo", "--scenario", "nope"), 2)
