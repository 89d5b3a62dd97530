"""The README and the examples are code that runs."""

from __future__ import annotations

import re
import runpy
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(after: str, lang: str) -> str:
    section = README.split(after, 1)[1]
    match = re.search(rf"```{lang}\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_the_readme_embedding_example_runs() -> None:
    """The embedding quick start executes and its assertions hold."""
    exec(compile(_block("## Embedding", "python"), "README.md", "exec"), {})


def test_the_readme_command_line_walkthrough_runs(tmp_path: Path) -> None:
    """Every command of the README's CLI walkthrough succeeds in order."""
    runner = CliRunner()
    db = tmp_path / "readme.db"
    for line in _block("## Using the command line", "bash").splitlines():
        command = line.split("  #", 1)[0].strip()
        if not command:
            continue
        args = shlex.split(command)
        assert args[0] == "jianyi"
        result = runner.invoke(cli, ["--db", str(db), *args[1:]])
        assert result.exit_code == 0, f"{command}: {result.stderr}"
    assert "0 problem(s)" in result.stdout


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_run(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each example runs to its end."""
    runpy.run_path(str(path), run_name="__main__")
    assert "001 closed     class B  open: promise 2026-10-31" in capsys.readouterr().out
