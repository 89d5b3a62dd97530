"""A first run: the demo's "Try:" lines run as printed, its summary is `report summary`'s, `show` without a
database points to the demo, and a daemon's first run on the demo sends none of its simulated past."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from notifications import NotifyConfig, RecordingChannel, run_once
from workflow.demo import DEMO_CONGRESS, PAST_NOTICE
from workflow.engine import Engine
from workflow.store import outbox


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo built by `jianyi demo` in a folder of its own, and what the command printed."""
    folder = tmp_path_factory.mktemp("first-run")
    result = CliRunner().invoke(cli, ["demo", "--db", str(folder / "jianyi-demo.db")])
    assert result.exit_code == 0, result.output
    return folder, result.stdout


def test_each_try_line_runs_as_printed(built: tuple[Path, str]) -> None:
    """Every command the demo suggests succeeds and prints something."""
    _, printed = built
    lines = [line.strip() for line in printed.splitlines() if line.startswith("  jianyi ")]
    assert len(lines) == 7
    runner = CliRunner()
    for line in lines:
        args = shlex.split(line)[1:]
        result = runner.invoke(cli, args, env={"JIANYI_DB": None})
        assert (line, result.exit_code) == (line, 0), result.output
        assert result.stdout.strip(), line


def test_the_demo_summary_is_the_report_summary_right_after(built: tuple[Path, str]) -> None:
    """The summary the demo prints is what `report summary` prints on the demo right after."""
    folder, printed = built
    summary = printed[printed.index("代表建议办理情况报告") :]
    report = CliRunner().invoke(
        cli, ["--db", str(folder / "jianyi-demo.db"), "--congress", DEMO_CONGRESS, "report", "summary"]
    )
    assert report.exit_code == 0
    assert report.stdout == summary


def test_show_without_a_database_names_the_demo(
    built: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a folder with the demo and no jianyi.db, `show` says how to use the demo, and creates nothing."""
    folder, _ = built
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli, ["show", "0001"], env={"JIANYI_DB": None})
    assert result.exit_code == 8
    assert result.stderr == (
        "Error: no database jianyi.db here: run `jianyi init` to create one, or use the demo database "
        f"jianyi-demo.db built here: jianyi --db jianyi-demo.db --congress {DEMO_CONGRESS} COMMAND …\n"
    )
    assert not (folder / "jianyi.db").exists()


def test_a_daemon_first_run_on_the_demo_sends_none_of_its_past(tmp_path: Path) -> None:
    """The notices written while the demo was built are suppressed; a first run claims only what its own sweep
    wrote."""
    from workflow.demo import build_demo

    built_demo = build_demo(tmp_path / "demo.db")
    channel = RecordingChannel()
    with Engine.open(tmp_path / "demo.db", congress=DEMO_CONGRESS) as engine:
        past = outbox.listing(engine, status="suppressed", limit=10_000)
        first = run_once(engine, NotifyConfig(channels={"file": channel}))
        after = outbox.listing(engine, limit=10_000)
    assert len(past) == built_demo.suppressed > 100
    assert {n.reason for n in past} == {PAST_NOTICE}
    past_ids = {n.id for n in past}
    assert {n.status for n in after if n.id in past_ids} == {"suppressed"}
    # what is left to send (now, or in working hours) is what the first sweep found due today
    fresh = [n for n in after if n.id not in past_ids]
    assert len(fresh) == first.sweep.notices
    assert all(n.key.startswith("step:") for n in fresh)
    assert not {m.key for m in channel.sent} & {n.key for n in past}
