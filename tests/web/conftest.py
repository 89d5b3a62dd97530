"""A real uvicorn server on a free local port, serving the web API over a database of its own (a SQLite file,
or a PostgreSQL copy of the test template when the module runs on ``postgresql``), with accounts and cases:

- accounts (password :data:`PASSWORD`): 王芳 (office), 交通 (市交通运输局), 财政 (市财政局), 住建
  (市住房和城乡建设局), 张三 and 李四 (deputies), 停用 (市教育局, disabled);
- 0001: 张三's suggestion, assigned to 市交通运输局 with 市财政局 as co-unit;
- 0002: 李四's confidential suggestion titled ``<script>alert(1)</script>``, assigned to 市住房和城乡建设局.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from web.app import create_app
from workflow import Engine
from workflow.testing import DEFAULT_SESSION

PASSWORD = "correct horse 1"
SESSION = DEFAULT_SESSION
ACCOUNTS: dict[str, dict[str, Any]] = {
    "王芳": {},
    "交通": {"unit": "市交通运输局"},
    "财政": {"unit": "市财政局"},
    "住建": {"unit": "市住房和城乡建设局"},
    "张三": {"deputy": "张三"},
    "李四": {"deputy": "李四"},
    "停用": {"unit": "市教育局"},
}


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _fill(url: str) -> None:
    with Engine.open(url) as engine:
        for name, whom in ACCOUNTS.items():
            engine.add_user(name, PASSWORD, **whom)
        engine.disable_user("停用")
        engine.submit("0001", title="关于优化公交线路的建议", deputy="张三", content="增加夜班公交")
        engine.assign("0001", main="市交通运输局", co=["市财政局"])
        engine.submit("0002", title="<script>alert(1)</script>", deputy="李四", confidential=True)
        engine.assign("0002", main="市住房和城乡建设局")


@dataclass
class Server:
    """The running server: its base URL and the database it serves."""

    base: str
    db_url: str
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A client with its own cookie jar (closed when the test ends)."""
        client = httpx.Client(base_url=self.base, timeout=30)
        self.clients.append(client)
        return client

    def login(self, name: str, password: str = PASSWORD) -> tuple[httpx.Client, dict[str, Any]]:
        """A client signed in as ``name`` (by cookie) and what the sign-in answered."""
        client = self.client()
        response = client.post("/api/session", json={"name": name, "password": password})
        assert response.status_code == 200, response.text
        return client, response.json()

    def sign_in_page(self, name: str, password: str = PASSWORD) -> httpx.Response:
        """A new client fills the portal's sign-in form as ``name``: the response to the form (not followed);
        the client is ``response`` 's, in :attr:`clients`."""
        client = self.client()
        form = client.get("/login")
        token = hidden(form.text, "login_token")
        return client.post("/login", data={"name": name, "password": password, "login_token": token})

    def portal(self, name: str) -> httpx.Client:
        """A client signed in to the portal's pages as ``name`` through the sign-in form."""
        response = self.sign_in_page(name)
        assert response.status_code == 303, response.text
        return self.clients[-1]

    def engine(self) -> Engine:
        """An engine of this test on the served database (to check what the API wrote)."""
        return Engine.open(self.db_url)


def hidden(html: str, name: str) -> str:
    """The value of the hidden field ``name`` in a page (the first one)."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no field {name} in the page"
    return found.group(1)


@pytest.fixture
def db_url(backend: str, template_db: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database prepared like the template, then filled by :func:`_fill`."""
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")
        with server.database(template=request.getfixturevalue("pg_template")) as url:
            _fill(url)
            yield url
        return
    path = tmp_path / "web.db"
    shutil.copy(template_db, path)
    _fill(str(path))
    yield str(path)


@contextmanager
def serving(app: Any, db_url: str) -> Iterator[Server]:
    """uvicorn serving ``app`` in a thread on a free port, stopped when the block ends."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the web server did not start")
        time.sleep(0.02)
    served = Server(f"http://127.0.0.1:{port}", db_url)
    try:
        yield served
    finally:
        for client in served.clients:
            client.close()
        running.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def server(db_url: str) -> Iterator[Server]:
    """uvicorn serving ``create_app(db_url)`` in a thread, stopped when the test ends."""
    with serving(create_app(db_url), db_url) as served:
        yield served
