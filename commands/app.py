"""What every command shares: the :class:`App` (database, congress, actor, configuration), the ``--config``
file, output helpers and common options, and the findings a check refuses with.

The database stack is imported inside methods, so importing this module stays fast.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click

from rules.i18n import _

if TYPE_CHECKING:
    from notifications import NotifyConfig
    from workflow import Actor, AttachmentSettings, Engine
    from workflow.reporting.documents import DocumentSettings
    from workflow.reporting.listing import Listing

__all__ = [
    "AUDIT_KEY_ENV",
    "App",
    "AuditBroken",
    "CheckFailed",
    "Choice",
    "KeyRefused",
    "OnceCommand",
    "SweepStale",
    "TemplatesBroken",
    "combine",
    "echo_listing",
    "emit",
    "emit_checked",
    "header_row_option",
    "json_option",
    "pass_app",
    "read_config",
    "session_option",
    "write_output",
]

F = TypeVar("F", bound=Callable[..., Any])
AUDIT_KEY_ENV = "JIANYI_AUDIT_KEY"
DEFAULT_DB = "jianyi.db"  # the database when neither --db, $JIANYI_DB nor --config names one
DEMO_DB = "jianyi-demo.db"  # where `jianyi demo` builds by default


@dataclass
class App:
    """What every command shares: where the database is, which congress, who acts."""

    db: str
    congress: str | None
    actor_text: str
    debug: bool
    notifications: dict[str, Any] = field(default_factory=dict)
    config_dir: str | None = None
    audit: dict[str, Any] = field(default_factory=dict)  # the [audit] table of --config
    attachments: dict[str, Any] = field(default_factory=dict)  # the [attachments] table of --config
    documents: dict[str, Any] = field(default_factory=dict)  # the [documents] table of --config
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self, *, init_level: str | None = None) -> Engine:
        """The engine, opened on first use and closed with the command line's context; with ``init_level``
        the database and congress are created or upgraded first (``jianyi init``)."""
        if self._engine is None:
            from workflow import Engine, PermissionDenied

            actor = self.actor()
            if init_level is not None and not actor.is_office:  # before anything is created
                reason = _("only the office (代表工作机构) may do this")
                raise PermissionDenied(case=None, actor=str(actor), action="init", reason=reason)
            files = self.attachment_settings()
            if init_level is None:
                self._refuse_a_missing_default()
            opened = (
                Engine.open(self.db, congress=self.congress, attachments=files)
                if init_level is None
                else Engine.init(self.db, congress=self.congress, level=init_level, attachments=files)
            )
            engine = click.get_current_context().find_root().with_resource(opened)
            if not actor.is_office:
                engine = engine.acting(actor)  # reads and writes keep to what --as may see and do
            self._engine = engine
        return self._engine

    def _refuse_a_missing_default(self) -> None:
        """No ``./jianyi.db`` but a demo built here (``jianyi demo``): say how to use it rather than only how to
        create a database."""
        if self.db != DEFAULT_DB or Path(DEFAULT_DB).exists() or not Path(DEMO_DB).exists():
            return
        from workflow.demo import DEMO_CONGRESS

        raise NoDatabase(
            _(
                "no database {db} here: run `jianyi init` to create one, or use the demo database "
                "{demo} built here: jianyi --db {demo} --congress {congress} COMMAND …"
            ).format(db=DEFAULT_DB, demo=DEMO_DB, congress=DEMO_CONGRESS)
        )

    def attachment_settings(self) -> AttachmentSettings:
        """The ``[attachments]`` table of ``--config``: ``dir`` (a folder, relative to the config's folder),
        ``in_database`` (keep the bytes in the database) and ``max_size`` (bytes, or text such as ``20MiB``)."""
        from workflow import AttachmentSettings, ValidationError
        from workflow.core.attachments import DEFAULT_MAX_SIZE, parse_size

        conf = self.attachments
        directory = None
        if conf.get("dir") is not None:
            directory = Path(str(conf["dir"])).expanduser()
            if self.config_dir is not None and not directory.is_absolute():
                directory = Path(self.config_dir) / directory
        try:
            limit = parse_size(conf.get("max_size", DEFAULT_MAX_SIZE))
        except ValidationError as exc:
            raise _ConfigRefused(f"--config: attachments.max_size: {exc}") from None
        return AttachmentSettings(directory, bool(conf.get("in_database", False)), limit)

    def document_settings(self, templates: str | None = None) -> DocumentSettings:
        """The ``[documents]`` table of ``--config`` (issuer, letterhead, contact, templates: a folder relative to
        the config's folder); ``templates`` (``--templates``) takes the place of the configured folder."""
        from workflow.reporting.documents import DocumentSettings

        base = Path(self.config_dir) if self.config_dir else None
        settings = DocumentSettings.from_mapping(self.documents, base=base)
        return settings.with_templates(Path(templates).expanduser() if templates else None)

    def zone(self) -> ZoneInfo:
        """The rule set's zone, in which times are shown."""
        return self.engine().active_ruleset().zone

    def actor(self) -> Actor:
        """The ``--as`` actor: a unit or deputy on whose behalf the office keys in a paper record (the audit
        event records both), or a member of the office's staff (``office:NAME``)."""
        from workflow import Actor

        try:
            actor = Actor.parse(self.actor_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--as") from None
        return actor if actor.is_office else actor.entered(Actor.office())

    def when(self, value: str | None, *, keep_offset: bool = False) -> datetime | None:
        """``--at``/``--now`` text as an aware instant (local time in the rule set's zone when no offset); with
        ``keep_offset`` in the zone typed, so that an error can show times there."""
        if value is None:
            return None
        from workflow import parse_instant

        try:
            return parse_instant(value, self.zone(), keep_offset=keep_offset)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    def audit_key(self) -> bytes:
        """The key of audit anchors: ``$JIANYI_AUDIT_KEY``, else ``key`` or ``key_file`` (a file holding it, its
        path taken from the config's folder) in the ``[audit]`` table of ``--config``; refused when none is set."""
        value = os.environ.get(AUDIT_KEY_ENV) or self.audit.get("key")
        if value is None and self.audit.get("key_file") is not None:
            path = Path(str(self.audit["key_file"])).expanduser()
            if self.config_dir is not None and not path.is_absolute():
                path = Path(self.config_dir) / path
            try:
                value = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise KeyRefused(f"cannot read the audit key file {path}: {exc}") from None
        if not value:
            raise KeyRefused(
                _(
                    "no audit key: set {env}, or key_file in the [audit] table of --config "
                    "(anchors are keyed so that nobody without the key can remake them)"
                ).format(env=AUDIT_KEY_ENV)
            )
        return str(value).encode("utf-8")

    def notify_config(self) -> NotifyConfig:
        """The ``[notifications]`` table of ``--config``, its relative paths taken from the file's directory."""
        from notifications import NotifyConfig

        base = Path(self.config_dir) if self.config_dir else None
        return NotifyConfig.from_mapping(self.notifications, base=base)


pass_app = click.make_pass_decorator(App)


class _ConfigRefused(click.ClickException):
    exit_code = 2


class NoDatabase(click.ClickException):
    """No database at the default path (exit 8, as a database not initialised)."""

    exit_code = 8


class KeyRefused(click.ClickException):
    """No audit key, or one that cannot be read: one line, exit 2 (a matter of configuration)."""

    exit_code = 2


def read_config(path: str | None) -> dict[str, Any]:
    """The ``--config`` file: db, congress and actor (at the top or in ``[jianyi]``), the ``[notifications]``,
    ``[audit]``, ``[attachments]`` and ``[documents]`` tables, and ``base``, the file's directory; empty without a file."""
    if path is None:
        return {}
    from rules.loader import TextUnreadable, read_text

    def refused(message: str) -> click.ClickException:
        """A usage error (exit 2) in one line: the file is named, the command's usage is not worth showing."""
        return _ConfigRefused(click.BadParameter(message, param_hint="--config").format_message())

    try:
        data = tomllib.loads(read_text(path))  # UTF-8, UTF-16 with a BOM or GB18030, as rule files
    except TextUnreadable as exc:
        raise refused(str(exc)) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise refused(_("cannot read {path}: {reason}").format(path=path, reason=exc)) from None
    tables = set(data) - {"db", "congress", "actor"}
    unknown_tables = tables - {"jianyi", "notifications", "audit", "attachments", "documents"}
    section = {k: v for k, v in data.items() if k not in tables} | dict(data.get("jianyi", {}))
    audit = dict(data.get("audit", {}))
    files = dict(data.get("attachments", {}))
    unknown = sorted(
        (set(section) - {"db", "congress", "actor"})
        | unknown_tables
        | {f"audit.{k}" for k in set(audit) - {"key", "key_file"}}
        | {f"attachments.{k}" for k in set(files) - {"dir", "in_database", "max_size"}}
    )
    if unknown:
        raise refused(_("unknown key(s) in {path}: {keys}").format(path=path, keys=", ".join(unknown)))
    section["notifications"] = dict(data.get("notifications", {}))
    section["audit"] = audit
    section["attachments"] = files
    section["documents"] = dict(data.get("documents", {}))
    section["base"] = str(Path(path).resolve().parent)
    return section


# ---- findings -------------------------------------------------------------------------------------
class CheckFailed(Exception):
    """A check found problems, already printed: the command line exits with the code its class is given, and
    with one line even under ``--debug`` (a finding, not a fault)."""


class AuditBroken(CheckFailed):
    """``audit verify`` found altered, missing or forged audit events or rows, or an anchor that is not
    authentic."""

    def __init__(self, *, cases: int, anchor: bool = False, directory: int = 0) -> None:
        self.cases, self.anchor, self.directory = cases, anchor, directory
        found = [_("audit trail broken in {cases} case(s)").format(cases=cases)] if cases else []
        if directory:
            found.append(
                _("the history of units and deputies has {count} problem(s)").format(count=directory)
            )
        if anchor:
            found.append(_("the anchor is not authentic (a wrong key, or the file was edited)"))
        super().__init__(_("; ").join(found))


class SweepStale(CheckFailed):
    """``status``: the reminder sweep has not run within the allowed time (or never ran)."""

    def __init__(self, *, minutes: float, age: str | None) -> None:
        self.minutes, self.age = minutes, age
        when = _("has never run") if age is None else _("last ran {age} ago").format(age=age)
        message = _("the reminder sweep {when}, more than {minutes:g} minute(s): is `jianyi daemon` running?")
        super().__init__(message.format(when=when, minutes=minutes))


class TemplatesBroken(CheckFailed):
    """``templates check`` found templates that do not render."""

    def __init__(self, *, templates: int) -> None:
        self.templates = templates
        super().__init__(_("{count} template(s) do not render").format(count=templates))


# ---- output ---------------------------------------------------------------------------------------
def emit(as_json: bool, data: Any, render: Callable[[], str]) -> None:
    """Print ``data`` as JSON, or the text ``render`` makes (called only then)."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render())


def echo_listing(listing: Listing) -> None:
    """A listing (``list``, ``due``): on a terminal in colour through rich (imported only then), paged when
    longer than the screen; else, and with ``NO_COLOR`` set, as plain text."""
    from workflow.reporting.listing import coloured, plain

    if not sys.stdout.isatty() or os.environ.get("NO_COLOR"):
        click.echo(plain(listing))
        return
    from rich.console import Console

    console = Console()
    if len(listing.rows) + 3 > console.height:
        with console.pager(styles=True):
            console.print(coloured(listing))
    else:
        console.print(coloured(listing))


def emit_checked(as_json: bool, data: dict[str, Any], checked: str, problems: Sequence[Any]) -> None:
    """Print the problems a check found, then the count line (or all of it as JSON)."""
    lines = [str(p) for p in problems]
    emit(
        as_json,
        {**data, "problems": lines},
        lambda: (
            "".join(f"{line}\n" for line in lines)
            + _("{checked} checked, {count} problem(s)").format(checked=checked, count=len(lines))
        ),
    )


def write_output(output: str | None, body: str | bytes) -> None:
    """Write ``body`` to the ``--output`` file, or to standard output (text only)."""
    if output is None:
        if isinstance(body, bytes):
            raise click.UsageError(_("an Excel workbook needs --output FILE.xlsx"))
        click.echo(body, nl=False)
        return
    path = Path(output)
    try:
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    except OSError as exc:  # a missing folder, a read-only disk: one line, as for any bad option
        message = _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror)
        raise click.BadParameter(message, param_hint="--output") from None
    click.echo(_("wrote {path}").format(path=path), err=True)


# ---- common options -------------------------------------------------------------------------------
class Choice(click.Choice[str]):
    """A choice whose refusal is one line: click lists a missing option's choices one per line."""

    def get_missing_message(self, param: click.Parameter, ctx: click.Context | None) -> str:
        return _("Choose from: ") + ", ".join(str(c) for c in self.choices)


class OnceCommand(click.Command):
    """A command whose single-value options are given at most once: a repeated one (``--main X --main Y``) is
    a usage error naming the option, where click would silently keep the last value. Repeatable options
    (``multiple``), counters and plain flags (a repeat drops nothing) may repeat; ``--help`` still wins."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # the parser consumes the list it is given
        rest = super().parse_args(ctx, args)
        if not ctx.resilient_parsing:
            _values, _rest, order = self.make_parser(ctx).parse_args(args=given)
            seen: set[click.Parameter] = set()
            for param in order:
                if _takes_one_value(param) and param in seen:
                    times = order.count(param)
                    raise click.BadOptionUsage(
                        param.name or "",
                        _("Option {option} takes one value but was given {times} times; give it once").format(
                            option=param.get_error_hint(ctx), times=times
                        ),
                        ctx,
                    )
                seen.add(param)
        return rest


def _takes_one_value(param: click.Parameter) -> bool:
    """Whether a repeat of ``param`` would drop a value: an option neither repeatable, a counter nor a plain
    flag."""
    if not isinstance(param, click.Option) or param.multiple or param.count:
        return False
    return not param.is_flag or bool(param.secondary_opts)


def combine(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """One decorator adding the options of ``decorators`` in the order given, which is their --help order."""

    def apply(f: F) -> F:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
session_option = click.option("--session", metavar="NAME", help="The session [current session].")
header_row_option = click.option(
    "--header-row",
    type=click.IntRange(min=1),
    metavar="N",
    help="The header is row N [the first of the first 10 rows naming two known columns].",
)
