"""``jianyi serve``: the web API and the portal's pages on uvicorn, over the database and congress of the root options.

The app is built by ``web.app:from_env`` in each worker, from environment variables this command sets
(``JIANYI_DB``, ``JIANYI_CONGRESS``, the attachments' settings of ``--config``, the session's idle minutes and
the Secure flag), so that any number of workers serve alike: on PostgreSQL, and on SQLite too, whose WAL lets
readers run beside the one writer and whose busy timeout and ``BEGIN IMMEDIATE`` make the workers' writes wait
their turn (:mod:`workflow.store.db`). uvicorn is imported inside the command, so ``jianyi --help`` stays fast.
"""

from __future__ import annotations

import os

import click

from commands.app import App, pass_app
from rules.i18n import _

__all__ = ["COMMANDS"]

APP_FACTORY = "web.app:from_env"


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
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # httptools parses HTTP and uvloop runs the event loop, both in C (dependencies of jianyi; "auto" falls
        # back to h11 and asyncio where they are missing, as uvloop is on Windows)
        http="auto",
        loop="auto",
    )


COMMANDS: tuple[click.Command, ...] = (serve,)
