"""`revoke demo`: the whole incident, end to end, in a sandbox inside this process.

scenario.py holds the steps and what each expects, scene.py the `Scene` they share;
pivot.py the pivot scenario's steps; report.py what a run found; run.py runs the steps in
an environment isolated from the responder's own AWS configuration. How the steps are told
to a person is the CLI's (revoke/cli/demo_cmd.py), and so is the command line the
responder's steps run: `run_demo(cli=...)` takes its entry point, so nothing here imports
revoke.cli or revoke.ops.
"""

from revoke.sandbox.demo.pivot import PIVOT_STEPS
from revoke.sandbox.demo.report import FAILED, NOT_RUN, OK, DemoReport, StepResult, marks
from revoke.sandbox.demo.run import run_demo, sandbox_environment
from revoke.sandbox.demo.scenario import (
    STEPS,
    Cli,
    Invocation,
    Scene,
    Step,
    Unexpected,
    expect,
)

# `revoke demo --scenario NAME`: the basic incident, or a key that pivots (issue 16).
SCENARIOS = {"basic": STEPS, "pivot": PIVOT_STEPS}

__all__ = [
    "FAILED",
    "NOT_RUN",
    "OK",
    "PIVOT_STEPS",
    "SCENARIOS",
    "STEPS",
    "Cli",
    "DemoReport",
    "Invocation",
    "Scene",
    "Step",
    "StepResult",
    "Unexpected",
    "expect",
    "marks",
    "run_demo",
    "sandbox_environment",
]
