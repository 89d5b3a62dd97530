"""``jianyi serve``: its help, and a real server it starts on a free port."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from cli import cli
from tests.web.conftest import PASSWORD, free_port
from workflow import Engine

JIANYI = Path(sys.executable).parent / "jianyi"


def test_serve_help_names_its_options(runner: CliRunner) -> None:
    """--host, --port, --workers, --idle-minutes and --secure-cookies, with the defaults."""
    result = runner.invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for text in (
        "--host TEXT",
        "127.0.0.1]",
        "--port INTEGER RANGE",
        "[default: 8000;",
        "--workers",
        "--idle-minutes",
        "--secure-cookies",
    ):
        assert text in result.output


def test_help_imports_neither_the_web_stack_nor_the_web_package() -> None:
    """jianyi --help and serve --help stay fast: fastapi, starlette, uvicorn and web load only when serving."""
    probe = (
        "import sys, cli\n"
        "for args in (['--help'], ['serve', '--help']):\n"
        "    try:\n        cli.main(args)\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn', 'web')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_serve_refuses_a_database_that_is_not_initialised(tmp_path: Path, runner: CliRunner) -> None:
    """Exit 8 before listening, with the one-line error."""
    result = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "serve", "--port", str(free_port())])
    assert result.exit_code == 8
    assert "run `jianyi init`" in result.stderr


def test_serve_answers_on_its_port_with_two_workers(template_db: Path, tmp_path: Path) -> None:
    """`jianyi serve --workers 2` on a free port: the home page answers, an account signs in and lists cases
    (each worker builds the app from the environment the command set), and SIGTERM stops it."""
    db = tmp_path / "served.db"
    shutil.copy(template_db, db)
    with Engine.open(db) as engine:
        engine.add_user("王芳", PASSWORD)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANYI_")}
    env["JIANYI_LANG"] = "en"  # the line read below is the English one
    process = subprocess.Popen(
        [str(JIANYI), "--db", str(db), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                home = httpx.get(base + "/login", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "jianyi serve did not answer within 60 s"
                time.sleep(0.2)
        assert home.status_code == 200
        assert "建议办理平台" in home.text
        with httpx.Client(base_url=base, timeout=30) as client:
            signed = client.post("/api/session", json={"name": "王芳", "password": PASSWORD})
            assert signed.json()["actor"] == "office:王芳"
            for _ in range(4):  # whichever worker answers knows the session
                assert client.get("/api/cases").json()["total"] == 0
    finally:
        process.terminate()
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert f"on http://127.0.0.1:{port}/ (2 worker(s))" in output
