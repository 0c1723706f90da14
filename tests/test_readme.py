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


def readme_revoke_commands() -> list[str]:
    """Every `revoke ...` line shown in the README (indented or fenced), comments dropped."""
    found = []
    for line in (ROOT / "README.md").read_text().splitlines():
        text = line.strip().split("  #", 1)[0].strip()
        if text.startswith("revoke ") and "[" not in text and "..." not in text:
            found.append(text)
    return found


def parse_only(args: list[str]) -> None:
    """Parse a command line through every group down to its command, invoking nothing."""
    import typer

    from revoke.cli.app import app

    command = typer.main.get_command(app)
    ctx = command.make_context("revoke", list(args))
    while hasattr(ctx.command, "resolve_command"):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, sub, rest = ctx.command.resolve_command(ctx, rest)
        assert sub is not None, f"no command {name!r}"
        ctx = sub.make_context(name, rest, parent=ctx)


def test_every_readme_command_parses() -> None:
    import shlex

    commands = readme_revoke_commands()
    assert len(commands) >= 12
    for line in commands:
        parse_only(shlex.split(line)[1:])
