"""Running the demo: every step in order inside a sandbox environment, stopping at the first
that does not behave.

Isolation: while the demo runs, the process environment points every AWS client at the
sandbox and at a temporary config and credentials file, and holds no `AWS_PROFILE`, so the
responder's own AWS configuration is neither read nor written. The journal is a temporary
file unless the caller names one.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from revoke.errors import RevokeError
from revoke.sandbox.demo.report import FAILED, OK, DemoReport, StepResult
from revoke.sandbox.demo.scenario import REGION, STEPS, Cli, Scene, Step, Unexpected


@contextmanager
def sandbox_environment(scene: Scene) -> Iterator[None]:
    """Point every AWS client of this process at the sandbox and the demo's own files, then
    put the environment back exactly as it was."""
    saved = dict(os.environ)
    try:
        for name in list(os.environ):
            if name.startswith(("AWS_", "REVOKE_")):
                del os.environ[name]
        scene.config_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        scene.config_file.write_text("")
        scene.credentials_file.write_text("")
        os.environ.update(
            {
                "AWS_CONFIG_FILE": str(scene.config_file),
                "AWS_SHARED_CREDENTIALS_FILE": str(scene.credentials_file),
                "AWS_DEFAULT_REGION": REGION,
                "AWS_EC2_METADATA_DISABLED": "true",
                "XDG_STATE_HOME": str(scene.home / "state"),
            }
        )
        # A proxy for the responder's real traffic must not catch the local endpoint.
        for name in ("NO_PROXY", "no_proxy"):
            current = os.environ.get(name, "")
            os.environ[name] = ",".join(p for p in (current, "127.0.0.1,localhost") if p)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_demo(
    *,
    cli: Cli,
    journal_path: Path | None = None,
    on_step: Callable[[StepResult], None] = lambda _result: None,
    debug: bool = False,
    steps: tuple[Step, ...] = STEPS,
) -> DemoReport:
    """Run every step in order, stopping at the first that does not behave.

    `cli`: the command line's entry point the responder's steps run (`revoke.cli.app.main`).
    `journal_path`: the journal to write (None: a temporary one). `on_step` is called after
    each step run (for the narration). With `debug`, an unexpected exception propagates
    with its traceback instead of becoming the step's finding.
    """
    started = time.monotonic()
    results = [StepResult(n, step.title) for n, step in enumerate(steps, 1)]
    with tempfile.TemporaryDirectory(prefix="revoke-demo-") as tmp:
        home = Path(tmp)
        scene = Scene(
            home=home,
            journal_path=journal_path or home / "state" / "journal.jsonl",
            cli=cli,
            journal_kept=journal_path is not None,
        )
        try:
            with sandbox_environment(scene):
                for step, result in zip(steps, results, strict=True):
                    scene.notes = []
                    began = time.monotonic()
                    try:
                        result.detail = step.run(scene)
                        result.status = OK
                    except Unexpected as err:
                        result.status, result.expected, result.found = (
                            FAILED,
                            err.expected,
                            err.found,
                        )
                    except RevokeError as err:
                        result.status, result.expected = FAILED, "no error"
                        result.found = err.message
                    except Exception as err:  # noqa: BLE001 - reported as the step's finding
                        if debug:
                            raise
                        result.status, result.expected = FAILED, "no error"
                        result.found = f"{type(err).__name__}: {err}"
                    result.seconds = time.monotonic() - began
                    result.notes = scene.notes
                    on_step(result)
                    if result.status != OK:
                        break
        finally:
            if scene.sandbox is not None:
                scene.sandbox.stop()
    return DemoReport(
        steps=results,
        seconds=time.monotonic() - started,
        cutoff=scene.cutoff or None,
        journal=str(journal_path) if journal_path else None,
        journal_entry=scene.journal_entry,
    )
