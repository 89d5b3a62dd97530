"""``jianyi serve``: the web API and the portal's pages on uvicorn, over the database and congress of the root options.

The app is built by ``web.app:from_env`` in each worker, from environment variables this command sets
(``JIANYI_DB``, ``JIANYI_CONGRESS``, the attachments' settings of ``--config``, the session's idle minutes and
the Secure flag), so that any number of workers serve alike: on PostgreSQL, and on SQLite too, whose WAL lets
readers run beside the one writer and whose busy timeout and ``BEGIN IMMEDIATE`` make the workers' writes wait
their turn (:mod:`workflow.store.db`). uvicorn is imported inside the command, so ``jianyi --help`` stays fast.

With more than one worker on Linux, each worker listens on a socket of its own on the same port
(``SO_REUSEPORT``), and the kernel spreads new connections evenly over them. uvicorn's own workers share one
socket, and the worker that wakes first takes every connection waiting: 20 clients that connect at once mostly
land on one worker and keep their connections, and the other core idles. Elsewhere uvicorn's workers serve.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import click

from commands.app import App, pass_app
from rules.i18n import _

if TYPE_CHECKING:
    import uvicorn

__all__ = ["COMMANDS"]

APP_FACTORY = "web.app:from_env"
EARLY_EXIT = 5.0  # seconds: a worker that stops sooner after starting stops the server (it would again)
GRACE = 30.0  # seconds the workers have to finish their requests at a stop (a second Ctrl-C: none)


def _bound(host: str, port: int, *, shared: bool = True) -> socket.socket:
    """A TCP socket bound to ``host:port``, not yet listening; ``shared``: that others may bind too
    (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _claim(host: str, port: int) -> socket.socket:
    """The port held for the workers: bound first without ``SO_REUSEPORT``, so that a port any other socket
    holds is refused (another ``jianyi serve`` too, whose workers would otherwise share it and take half the
    connections), then with it, on the port found free (the one the system chose for ``--port 0``)."""
    with _bound(host, port, shared=False) as probe:
        port = probe.getsockname()[1]
    return _bound(host, port)


def _orphaned(parent: int) -> None:
    """Stop this worker (as SIGTERM would) once its parent, the supervisor, is gone (killed, say)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _worker(config: uvicorn.Config, host: str, port: int, parent: int) -> None:
    """One worker process: its own listening socket on the shared port, and uvicorn serving on it."""
    import uvicorn

    threading.Thread(target=_orphaned, args=(parent,), daemon=True).start()
    sock = _bound(host, port)
    config.configure_logging()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches every process of the terminal
        uvicorn.Server(config).run(sockets=[sock])


def _supervise(config: uvicorn.Config, host: str, port: int, workers: int) -> int:
    """Run ``workers`` worker processes until SIGINT or SIGTERM (passed on to them as SIGTERM); a worker that
    stops is started again, unless it stopped within :data:`EARLY_EXIT` seconds of starting (then all stop:
    exit status 1). The port is held, bound but not listening, from before the first worker starts."""
    try:
        held = _claim(host, port)  # an address in use is refused here, once
    except OSError as exc:
        click.echo(
            _("jianyi: cannot listen on {host}:{port}: {reason}").format(
                host=host, port=port, reason=exc.strerror or exc
            ),
            err=True,
        )
        return 1
    if port == 0:  # the port the system chose, which every worker takes too
        port = held.getsockname()[1]
        click.echo(_("jianyi: the system chose port {port}").format(port=port), err=True)
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    failed = False

    def stopping(_sig: int, _frame: object) -> None:
        if stop.is_set():  # asked again while the workers finish their requests: stop them now
            for process, _since in running:
                if process.is_alive():
                    process.kill()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stopping)

    def start() -> tuple[Any, float]:
        process = spawn.Process(target=_worker, args=(config, host, port, os.getpid()), daemon=False)
        process.start()
        return process, time.monotonic()

    running: list[tuple[Any, float]] = []
    running.extend(start() for _worker_no in range(workers))
    try:
        while not stop.wait(0.5):
            for i, (process, since) in enumerate(running):
                if process.is_alive():
                    continue
                if time.monotonic() - since < EARLY_EXIT:
                    click.echo(
                        _("jianyi: a worker stopped as it started (exit status {code}); stopping").format(
                            code=process.exitcode
                        ),
                        err=True,
                    )
                    failed = True
                    stop.set()
                    break
                click.echo(
                    _("jianyi: a worker stopped (exit status {code}); starting another").format(
                        code=process.exitcode
                    ),
                    err=True,
                )
                running[i] = start()
    finally:
        for process, _since in running:
            if process.is_alive():
                process.terminate()
        until = time.monotonic() + GRACE
        for process, _since in running:
            process.join(max(0.0, until - time.monotonic()))
            if process.is_alive():  # still finishing a request after GRACE seconds (or asked to stop again)
                process.kill()
                process.join()
        held.close()
    return 1 if failed else 0


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes (uvicorn)."
)
@click.option(
    "--idle-minutes",
    default=480,
    show_default=True,
    type=click.IntRange(1, 7 * 24 * 60),
    help="A session unused this long ends.",
)
@click.option(
    "--secure-cookies",
    is_flag=True,
    help="Mark the session cookie Secure even for plain HTTP (behind a TLS-terminating proxy).",
)
@pass_app
def serve(app: App, host: str, port: int, workers: int, idle_minutes: int, secure_cookies: bool) -> None:
    """Serve the portal, the public site and the HTTP JSON API (建议办理平台).

    Units and deputies sign in at / (the pages: 待办, 我的建议); the public site (公开) is at /public, without
    signing in; host applications sign in at POST /api/session, then /api/cases…. The OpenAPI document is at
    /api/openapi.json. The public site shows the deputies' feedback comments and the answer letters only when
    JIANYI_PUBLIC_COMMENTS=1 and JIANYI_PUBLIC_LETTERS=1. Stop it with Ctrl-C (or SIGTERM).
    """
    app.engine()  # an uninitialised database or an unknown congress is refused here, before listening
    files = app.attachment_settings()
    os.environ["JIANYI_DB"] = app.db
    if app.congress:
        os.environ["JIANYI_CONGRESS"] = app.congress
    if files.directory is not None:
        os.environ["JIANYI_ATTACHMENTS_DIR"] = str(files.directory.resolve())
    os.environ["JIANYI_ATTACHMENTS_IN_DATABASE"] = "1" if files.in_database else "0"
    os.environ["JIANYI_ATTACHMENTS_MAX_SIZE"] = str(files.max_size)
    os.environ["JIANYI_WEB_IDLE_MINUTES"] = str(idle_minutes)
    os.environ["JIANYI_WEB_SECURE_COOKIES"] = "1" if secure_cookies else "0"
    import uvicorn

    click.echo(
        _("jianyi: serving {url} on http://{host}:{port}/ ({workers} worker(s))").format(
            url=app.engine().url, host=host, port=port, workers=workers
        ),
        err=True,
    )
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_level": "info",
        # httptools parses HTTP and uvloop runs the event loop, both in C (dependencies of jianyi; "auto" falls
        # back to h11 and asyncio where they are missing, as uvloop is on Windows)
        "http": "auto",
        "loop": "auto",
    }
    if workers > 1 and sys.platform.startswith("linux"):
        sys.exit(_supervise(uvicorn.Config(APP_FACTORY, **options), host, port, workers))
    uvicorn.run(APP_FACTORY, workers=workers, **options)


COMMANDS: tuple[click.Command, ...] = (serve,)
