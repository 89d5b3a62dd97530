"""Lint, types and the import layers stay clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"], ["lint-imports"]],
    ids=["ruff", "ruff-format", "mypy", "import-layers"],
)
def test_tool_is_clean(command: list[str]) -> None:
    """The tool reports nothing."""
    beside = Path(sys.executable).parent / command[0]  # the tools of this environment, activated or not
    tool = str(beside) if beside.exists() else shutil.which(command[0])
    if tool is None:
        pytest.fail(f"{command[0]} is not installed: install the test extra (pip install -e '.[test]')")
    result = subprocess.run([tool, *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_imports_the_cli() -> None:
    """cli.py is the composition root: no package module imports it, the command modules and web included."""
    import ast

    offenders = []
    for path in sorted(
        p
        for pkg in ("commands", "web", "workflow", "rules", "notifications")
        for p in (ROOT / pkg).rglob("*.py")
    ):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "cli" or n.startswith("cli.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_test_imports_a_private_name() -> None:
    """Tests use the public surface (workflow.testing gives what they need): no underscore name is imported
    from the project's packages."""
    import ast

    packages = ("workflow", "rules", "notifications", "commands", "web", "cli")
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in packages:
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private or any(part.startswith("_") for part in (node.module or "").split(".")):
                    offenders.append(f"{path.relative_to(ROOT)}: from {node.module} import {private}")
    assert offenders == []
