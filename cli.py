"""``jianyi``: the administrators' command line for handling deputies' suggestions (代表建议办理).

The composition root: the root group and its options, the one map from error to exit code, and the commands
of :mod:`commands` added to the group. Each command parses its options, calls one engine function and prints
the result (``--json`` for machine-readable output; the text comes from :mod:`workflow.reporting.text`).
Errors print one line to stderr and exit non-zero, by :data:`EXIT_CODES`: 1 domain error, 2 usage, 3 invalid
input, 4 not found, 5 action not allowed in the state, 6 permission denied, 7 conflict (retry), 8 database
not initialised, 9 audit trail broken, 10 the reminder sweep is stale (``status``). ``--debug`` shows the
traceback instead.

The database stack is imported inside commands, so ``jianyi --help`` stays fast.

Everything the command line writes for people is Chinese by default and English with ``JIANYI_LANG=en``
(:mod:`rules.i18n`): its output, errors, ``--help`` (translated from the English kept in the code at each run)
and click's own texts (looked up in jianyi's catalog while :meth:`_Group.main` runs). JSON stays English.
"""

from __future__ import annotations

import gettext
import inspect
import os
import sys
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import click

from commands import (
    accounts,
    attachments,
    directory,
    documents,
    help_format,
    lifecycle,
    notices,
    reports,
    review,
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
from rules.i18n import DOMAIN, LOCALE_DIR, N_, _, language
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


# how the command line names an input an engine refusal asks for (WorkflowError.fields), where that is more
# than the option of the input's name (``reason`` → ``--reason``)
_OPTIONS = {
    "main": N_("--main UNIT"),
    "co": N_("--co UNIT"),
    "split": N_("--split UNIT"),
    "promises": N_("--promise TEXT --due DATE"),
    "without_opinion": N_("--without-opinion UNIT --reason R"),
}


def said(exc: BaseException) -> str:
    """The error's line as the command line prints it: a refusal that asks for inputs names, at the end of its
    first line, the options that give them."""
    text = str(exc)
    fields: tuple[str, ...] = getattr(exc, "fields", ())
    if not fields:
        return text
    options = ", ".join(_(_OPTIONS[f]) if f in _OPTIONS else "--" + f.replace("_", "-") for f in fields)
    first, newline, rest = text.partition("\n")
    return first + _(" ({hint})").format(hint=options) + newline + rest


def _failure(message: str, code: int) -> click.ClickException:
    """A refused command: one line on stderr and exit ``code`` (click reads ``exit_code`` from the class)."""
    kind: type[click.ClickException] = type(f"Failure{code}", (click.ClickException,), {"exit_code": code})
    return kind(message)


HELP_OPTIONS = ["-h", "--help"]

# the English help texts as written, by command and option, to translate again at each run
_SOURCES: weakref.WeakKeyDictionary[object, dict[str, str | None]] = weakref.WeakKeyDictionary()


def _translated(text: str | None) -> str | None:
    """A help text in the current language; its msgid is the text as ``--help`` shows it (dedented)."""
    if not text:
        return text
    msgid = inspect.cleandoc(text)
    found = _(msgid)
    return text if found == msgid else found


def _translate_help(command: click.Command) -> None:
    """Put the help texts of ``command``, its options and subcommands in the current language (the English
    source is kept, so a later run in another language translates from it again)."""
    items: list[tuple[object, tuple[str, ...]]] = [(command, ("help", "short_help", "epilog"))]
    items += [(p, ("help",)) for p in command.params if isinstance(p, click.Option)]
    for item, names in items:
        source = _SOURCES.setdefault(item, {name: getattr(item, name) for name in names})
        for name, text in source.items():
            setattr(item, name, _translated(text))
    command.context_class = help_format.Context  # help laid out by terminal columns
    # click makes a command's --help option once and keeps it: word its help again in this run's language
    found = command.get_help_option(click.Context(command, help_option_names=HELP_OPTIONS))
    if found is not None:
        found.help = _("Show this message and exit.")
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _translate_help(sub)


@contextmanager
def _click_speaking() -> Iterator[None]:
    """Click's own texts ("Usage:", "Options:", "Error: No such option …") come from the standard library's
    ``gettext.gettext``: for one run of the command line they are looked up in jianyi's catalog in the language
    of ``JIANYI_LANG``. Set here, not at import, so that a host embedding the packages keeps its own domain."""
    lang = language()
    domain, before = gettext.textdomain(), os.environ.get("LANGUAGE")
    if lang != "en":
        gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
        gettext.textdomain(DOMAIN)
        os.environ["LANGUAGE"] = lang  # the stdlib picks the catalog's language from this variable
    try:
        yield
    finally:
        gettext.textdomain(domain)
        if before is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = before


class _Group(click.Group):
    """Maps the packages' errors to one line and their exit code, and speaks the language of ``JIANYI_LANG``."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        _translate_help(self)
        with _click_speaking():
            return super().main(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # a byte that is not UTF-8 reaches Python as a lone surrogate, which no database or hash can take
        for number, arg in enumerate(args, start=1):
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:
                shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
                msg = _(
                    "argument {number} ({shown}) is not UTF-8 text: set the terminal to UTF-8 and type it again"
                ).format(number=number, shown=shown)
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
            raise _failure(said(exc), exit_code(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": HELP_OPTIONS})
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
    *review.COMMANDS,
    *attachments.COMMANDS,
    *notices.COMMANDS,
    *reports.COMMANDS,
    *documents.COMMANDS,
    *serve.COMMANDS,
):
    cli.add_command(_command)


# the modules of click whose texts (usage, errors, help) jianyi's catalog translates
CLICK_MODULES = ("core", "exceptions", "formatting", "decorators", "types", "parser")


def extract_help(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[Any, ...]]:
    """Babel's extraction method for this file (``babel.cfg``): its marked strings, the help texts of the command
    line (the group's, every command's and every option's, which click reads from docstrings where nothing can
    mark them) and click's own texts that the command line shows (:data:`CLICK_MODULES`)."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    for name in CLICK_MODULES:
        with open(f"{os.path.dirname(click.__file__)}/{name}.py", "rb") as source:
            yield from extract_python(source, keywords, comment_tags, options)
    seen: set[str] = set()

    def walk(command: click.Command) -> Iterator[tuple[Any, ...]]:
        items: list[object] = [command, *(p for p in command.params if isinstance(p, click.Option))]
        for item in items:
            source = _SOURCES.get(item) or {
                n: getattr(item, n, None) for n in ("help", "short_help", "epilog")
            }
            for text in source.values():
                if text and (msgid := inspect.cleandoc(text)) not in seen:
                    seen.add(msgid)
                    yield 0, "_", msgid, []
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                yield from walk(sub)

    yield from walk(cli)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="jianyi")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
