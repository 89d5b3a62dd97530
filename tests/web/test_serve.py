"""``jianyi serve``: its help, and a real server it starts on a free port."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from cli import cli
from commands.serve import EARLY_EXIT
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


def _serve(db: Path, port: int, workers: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANYI_")}
    return subprocess.Popen(
        [str(JIANYI), "--db", str(db), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _until_it_answers(process: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/login", timeout=5)
            return
        except httpx.TransportError:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "jianyi serve did not answer within 60 s"
            time.sleep(0.2)


def _workers(parent: int) -> list[int]:
    """The worker processes of ``jianyi serve`` (its children that serve; not multiprocessing's helper)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == parent and b"resource_tracker" not in command:
            found.append(int(entry.name))
    return sorted(found)


def _listening(port: int) -> int:
    """How many sockets listen on ``port`` (from /proc: one a worker)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for f in map(str.split, lines) if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "0A")


def _connections_of(pid: int, port: int) -> int:
    """How many established TCP connections to ``port`` the process ``pid`` holds (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
            count += 1
    return count


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="one socket a worker (SO_REUSEPORT): Linux")
def test_two_workers_share_the_connections_that_arrive_together(template_db: Path, tmp_path: Path) -> None:
    """20 clients connecting at once are spread over both workers (each listens on its own socket), not all
    taken by whichever wakes first; a worker that stops is replaced and the port keeps answering."""
    db = tmp_path / "served.db"
    shutil.copy(template_db, db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _serve(db, port, 2)
    try:
        _until_it_answers(process, base)
        deadline = time.monotonic() + 60
        while _listening(port) < 2:  # the second worker may still be starting
            assert time.monotonic() < deadline, "the workers did not both listen within 60 s"
            time.sleep(0.2)
        workers = _workers(process.pid)
        assert len(workers) == 2

        async def together() -> list[int]:
            limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
                answers = await asyncio.gather(*(client.get("/login") for _ in range(20)))
                assert {a.status_code for a in answers} == {200}
                return [_connections_of(w, port) for w in workers]

        held = asyncio.run(together())
        assert sum(held) == 20
        assert min(held) >= 3, held  # a hash spreads them: all but 2 on one worker is a chance of 1 in 2,500

        time.sleep(EARLY_EXIT + 0.5)  # a worker that stops this late is started again
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(now := _workers(process.pid)) < 2 or workers[0] in now:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "no worker replaced the one that stopped"
            time.sleep(0.2)
        for _ in range(6):
            assert httpx.get(base + "/login", timeout=30).status_code == 200
    finally:
        process.terminate()
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uvicorn's own workers elsewhere")
def test_serve_refuses_a_port_in_use_in_one_line(template_db: Path, tmp_path: Path) -> None:
    """Another program listening on the port: exit status 1 and one line naming the address, no traceback."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        process = _serve(template_db, port, 2)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 1
    assert "Traceback" not in output
    assert f"127.0.0.1:{port}" in output.splitlines()[-1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="one socket a worker (SO_REUSEPORT): Linux")
def test_a_second_server_on_a_port_one_serves_is_refused(template_db: Path, tmp_path: Path) -> None:
    """A second `jianyi serve --workers 2` on the port a first one serves (an old one still running, say) is
    refused in one line; it does not join the first one's workers and take half of its connections."""
    port = free_port()
    first = _serve(template_db, port, 2)
    try:
        _until_it_answers(first, f"http://127.0.0.1:{port}")
        second = _serve(template_db, port, 2)
        output = second.communicate(timeout=60)[0]
        assert second.returncode == 1, output
        assert "Traceback" not in output
        assert f"127.0.0.1:{port}" in output.splitlines()[-1]
        assert _listening(port) == 2  # the first one's two workers, and no other
    finally:
        first.terminate()
        first_output = first.communicate(timeout=60)[0]
    assert first.returncode == 0, first_output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="one socket a worker (SO_REUSEPORT): Linux")
def test_port_0_names_the_port_the_system_chose(template_db: Path, tmp_path: Path) -> None:
    """`--port 0` with several workers: the port the system chose is named, and every worker serves on it."""
    process = _serve(template_db, 0, 2)
    try:
        assert process.stdout is not None
        chosen = 0
        for line in process.stdout:
            found = re.search(r"(?:chose port|选定了端口) ?(\d+)", line)
            if found:
                chosen = int(found[1])
                break
        assert chosen > 0
        _until_it_answers(process, f"http://127.0.0.1:{chosen}")
        deadline = time.monotonic() + 60
        while _listening(chosen) < 2:
            assert time.monotonic() < deadline, "the second worker did not listen on the chosen port"
            time.sleep(0.2)
    finally:
        process.terminate()
        process.communicate(timeout=60)
    assert process.returncode == 0
