"""The built wheel holds exactly the five top-level names with their data files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
    )
    (wheel,) = out.glob("jianyi-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_has_exactly_the_six_top_level_names(wheel_files: set[str]) -> None:
    """workflow, rules, notifications, commands, web and cli.py; no tests, no benches."""
    tops = {name.split("/")[0] for name in wheel_files if not name.startswith("jianyi-")}
    assert tops == {"workflow", "rules", "notifications", "commands", "web", "cli.py"}


def test_the_wheel_carries_migrations_profiles_and_type_markers(wheel_files: set[str]) -> None:
    """Data files the engine loads at run time are in the wheel."""
    assert {
        "workflow/store/migrations/env.py",
        "workflow/store/migrations/script.py.mako",
        "workflow/store/migrations/versions/0001_initial_schema.py",
        "rules/profiles/national.toml",
        "rules/locale/zh_CN/LC_MESSAGES/jianyi.mo",
        "workflow/py.typed",
        "rules/py.typed",
        "notifications/py.typed",
        "commands/py.typed",
        "web/py.typed",
        "web/app.py",
        "web/templates/base.html",
        "web/templates/unit/forms/answer.html",
        "web/templates/deputy/case.html",
        "web/static/portal.css",
        "workflow/store/migrations/versions/0012_web_sessions.py",
        "workflow/reporting/document_templates/_base.html.j2",
        *(
            f"workflow/reporting/document_templates/{name}.html.j2"
            for name in (
                "report",
                "assignment_sheet",
                "answer_form",
                "supervision_letter",
                "feedback_form",
                "progress_letter",
            )
        ),
    } <= wheel_files


def test_the_console_script_is_declared() -> None:
    """`jianyi` points at cli:main."""
    scripts = {
        ep.name: ep.value
        for ep in metadata.entry_points(group="console_scripts")
        if ep.dist and ep.dist.name == "jianyi"
    }
    assert scripts == {"jianyi": "cli:main"}
