"""The demo's runner without a sandbox: steps stop at the first that misbehaves, an
unexpected error becomes that step's finding (no traceback), the environment comes back."""

from __future__ import annotations

import os

import pytest

from revoke.errors import BadInput
from revoke.sandbox.demo import (
    FAILED,
    NOT_RUN,
    OK,
    Scene,
    Step,
    Unexpected,
    expect,
    marks,
    run_demo,
)


def _no_cli(argv: list[str]) -> None:
    raise AssertionError(f"these steps run no command: {argv}")


def _ok(scene: Scene) -> str:
    return "fine"


def _boom(scene: Scene) -> str:
    raise RuntimeError("boom")


def _sees_isolation(scene: Scene) -> str:
    expect(
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] == str(scene.credentials_file)
        and os.environ["AWS_CONFIG_FILE"] == str(scene.config_file)
        and "AWS_PROFILE" not in os.environ
        and "127.0.0.1" in os.environ["NO_PROXY"],
        "the demo's own AWS files",
        str({k: v for k, v in os.environ.items() if k.startswith("AWS_")}),
    )
    return "isolated"


def test_an_unexpected_error_is_the_steps_finding_and_later_steps_do_not_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod")
    before = dict(os.environ)
    seen = []
    report = run_demo(
        cli=_no_cli,
        steps=(Step("first", _sees_isolation), Step("second", _boom), Step("third", _ok)),
        on_step=seen.append,
    )
    assert [(s.status, s.detail) for s in report.steps] == [
        (OK, "isolated"),
        (FAILED, None),
        (NOT_RUN, None),
    ]
    assert (report.steps[1].expected, report.steps[1].found) == ("no error", "RuntimeError: boom")
    assert report.failed is report.steps[1] and not report.ok
    assert [s.number for s in seen] == [1, 2]  # narrated as they ran
    assert dict(os.environ) == before


def test_unexpected_and_product_errors_say_expected_and_found() -> None:
    def wrong(scene: Scene) -> str:
        raise Unexpected("exit 0", "exit 3")

    def refused(scene: Scene) -> str:
        raise BadInput("no such user")

    for step, found in ((wrong, "exit 3"), (refused, "no such user")):
        (result,) = run_demo(cli=_no_cli, steps=(Step("x", step),)).steps
        assert (result.status, result.found) == (FAILED, found)
        assert result.to_json()["found"] == found


def test_debug_lets_the_traceback_through() -> None:
    with pytest.raises(RuntimeError, match="boom"):
        run_demo(cli=_no_cli, steps=(Step("x", _boom),), debug=True)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", ("✓", "✗")),
        ("ascii", ("ok", "FAIL")),
        ("latin-1", ("ok", "FAIL")),
        (None, ("ok", "FAIL")),
    ],
)
def test_marks_fall_back_to_ascii(encoding: str | None, expected: tuple[str, str]) -> None:
    assert marks(encoding) == expected
