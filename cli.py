"""``jianyi``: the administrators' command line for handling deputies' suggestions (代表建议办理).

The composition root: the root group and its options, the one map from error to exit code, and the commands
of :mod:`commands` added to the group. Each command parses its options, calls one engine function and prints
the result (``--json`` for machine-readable output; the text comes from :mod:`workflow.reporting.text`).
Errors print one line to stderr and exit non-zero, by :data:`EXIT_CODES`: 1 domain error, 2 usage, 3 invalid
input, 4 not found, 5 action not allowed in the state, 6 permission denied, 7 conflict (retry), 8 database
not initialised, 9 audit trail broken, 10 the reminder sweep is stale (``status``). ``--debug`` shows the
traceback instead.

The database stack is imported inside commands, so ``jianyi --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

from commands import (
    accounts,
    attachments,
    directory,
    documents,
    lifecycle,
    notices,
    reports,
    serve,
    submissions,
)
from commands.app import (
    DEFAULT_DB,
    App,
    AuditBroken,
    CheckFailed,
    SweepStale,
    TemplatesBroken,
    read_config,
)
from notifications.errors import ConfigError, NotificationError, TemplateProblem
from rules.errors import RuleError
from workflow.core.attachments import AttachmentDamaged
from workflow.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    NotInitialised,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
    WorkflowError,
    nearest,
    visible,
)

# The one map from error to exit code: an error exits with the code of the nearest class of its MRO listed here.
# Click's usage errors exit 2; a check that finds problems exits with its finding's code.
EXIT_CODES: Mapping[type[Exception], int] = {
    WorkflowError: 1,
    ValidationError: 3,
    NotFound: 4,
    NotAuthenticated: 6,
    TransitionNotAllowed: 5,
    PermissionDenied: 6,
    Conflict: 7,
    NotInitialised: 8,
    RuleError: 3,
    NotificationError: 1,
    TemplateProblem: 3,
    ConfigError: 3,
    TemplatesBroken: 3,
    AuditBroken: 9,
    AttachmentDamaged: 9,
    SweepStale: 10,
}


def exit_code(exc: BaseException) -> int:
    """The exit code :data:`EXIT_CODES` gives ``exc`` (1 when no class of its MRO is listed)."""
    return nearest(EXIT_CODES, exc, 1)


def _failure(message: str, code: int) -> click.ClickException:
    """A refused command: one line on stderr and exit ``code`` (click reads ``exit_code`` from the class)."""
    kind: type[click.ClickException] = type(f"Failure{code}", (click.ClickException,), {"exit_code": code})
    return kind(message)


class _Group(click.Group):
    """Maps the packages' errors to one line and their exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # a byte that is not UTF-8 reaches Python as a lone surrogate, which no database or hash can take
        for number, arg in enumerate(args, start=1):
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:
                shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
                msg = f"argument {number} ({shown}) is not UTF-8 text: set the terminal to UTF-8 and type it again"
                raise click.UsageError(msg, ctx) from None
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # click echoes what was typed ("Got unexpected extra arguments (…)")
            if exc.message.isprintable():
                raise
            raise click.UsageError(visible(exc.message), exc.ctx) from None
        except tuple(EXIT_CODES) as exc:
            app = ctx.find_object(App)
            if app is not None and app.debug and not isinstance(exc, CheckFailed):
                raise
            raise _failure(str(exc), exit_code(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", metavar="URL|PATH", help="Database: a SQLite path or a SQLAlchemy URL [$JIANYI_DB, ./jianyi.db]."
)
@click.option(
    "--congress", metavar="NAME", help="Congress (人大) to work on, when the database holds several."
)
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="TOML file with defaults for db, congress and actor ([jianyi] table), notices ([notifications]), "
    "the audit key ([audit] key_file), attachments ([attachments] dir, in_database, max_size) and documents "
    "([documents] issuer, letterhead, contact, templates).",
)
@click.option(
    "--as",
    "actor",
    metavar="ACTOR",
    help="Who acts: office (default), office:NAME, or unit:NAME / deputy:NAME for a paper record the office keys in on their behalf (reads keep to what they may see).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="jianyi", prog_name="jianyi")
@click.pass_context
def cli(
    ctx: click.Context,
    db: str | None,
    congress: str | None,
    config_path: str | None,
    actor: str | None,
    debug: bool,
) -> None:
    """jianyi (建议): handle deputies' suggestions from submission (提出) to closing (办结).

    Register suggestions, assign them (交办) to main and co-units, record opinions (会办意见), contacts,
    answers (答复, class A/B/C/D) and the deputy's feedback, re-handle (重新办理) unsatisfied answers, and
    keep every deadline and a tamper-evident history.

    \b
    Exit codes: 0 done, 1 other error, 2 usage, 3 invalid input, 4 not found,
    5 not allowed in the case's state, 6 permission denied, 7 conflict (reload
    and retry), 8 database not initialised, 9 audit trail broken.
    """
    conf = read_config(config_path)
    ctx.obj = App(
        db=db or os.environ.get("JIANYI_DB") or conf.get("db") or DEFAULT_DB,
        congress=congress or conf.get("congress"),
        actor_text=actor or conf.get("actor") or "office",
        debug=debug,
        notifications=conf.get("notifications", {}),
        config_dir=conf.get("base"),
        audit=conf.get("audit", {}),
        attachments=conf.get("attachments", {}),
        documents=conf.get("documents", {}),
    )


for _command in (
    *accounts.COMMANDS,
    *directory.COMMANDS,
    *lifecycle.COMMANDS,
    *submissions.COMMANDS,
    *attachments.COMMANDS,
    *notices.COMMANDS,
    *reports.COMMANDS,
    *documents.COMMANDS,
    *serve.COMMANDS,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="jianyi")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
