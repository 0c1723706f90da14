"""The README's first lines are the two set-up commands, and CI runs exactly the test one."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index("```bash") + 1
    end = lines.index("```", start)
    return lines[start:end]


def test_readme_starts_with_the_two_setup_commands() -> None:
    first, second = readme_commands()
    assert first.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install . &&")
    assert "revoke" in first.split("pip install . &&", 1)[1]
    assert "'.[test]'" in second and "pytest" in second


def test_ci_runs_the_readme_test_command() -> None:
    _, second = readme_commands()
    test_command = second.split(". .venv/bin/activate && ", 1)[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci
