"""Online submissions at the command line: ``submission propose`` (a deputy, or the office for one), ``list``,
``show``, ``accept`` (受理), ``decline`` (不予受理) and ``withdraw`` (撤回).

A deputy acts with ``--as deputy:NAME`` (the office keying it in for them, as recorded); the office proposes
for a deputy with ``--deputy NAME``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from commands.app import App, OnceCommand, emit, json_option, pass_app, session_option
from rules.i18n import _
from workflow.core.submissions import SubmissionStatus
from workflow.reporting import text

if TYPE_CHECKING:
    from workflow import SubmissionView

__all__ = ["COMMANDS"]

_AT = click.option(
    "--at", metavar="TIME", help="When it happened: ISO date or date-time (local if no offset)."
)


def _line(app: App, s: SubmissionView) -> str:
    return (
        f"#{s.id:<5} {text.pad(s.status_label, 30)}{text.local_time(s.submitted_at, app.zone())}  "
        f"{text.pad(s.deputy, 10)}{s.title}"
    )


def _detail(app: App, s: SubmissionView) -> str:
    zone = app.zone()
    lines = [
        f"网上建议 #{s.id}  {s.title}",
        f"  状态：{s.status_label}",
        f"  领衔代表：{s.deputy}" + (f"  联名代表：{'、'.join(s.co_signers)}" if s.co_signers else ""),
        f"  提交 {text.local_time(s.submitted_at, zone)}"
        + (f"  处理 {text.local_time(s.decided_at, zone)}" if s.decided_at else ""),
    ]
    if s.field:
        lines.append(f"  领域：{s.field}")
    lines.append("  内容：")
    lines.extend(f"    {line}" for line in (s.content or "-").splitlines())
    if s.attachments:
        lines.append("  附件：" + "、".join(a.name for a in s.attachments))
    lines.append("  经过：")
    lines.extend(
        f"    {text.local_time(e.at, zone)}  {text.pad(e.actor, 24)}{e.action}"
        + (f"  {e.data['reason']}" if e.data.get("reason") else "")
        for e in s.events
    )
    return "\n".join(lines)


@click.group("submission")
def submission() -> None:
    """Suggestions submitted online (网上提交): a deputy proposes, the office accepts (受理) or declines
    (不予受理), the deputy may withdraw while it waits (待受理)."""


@submission.command("propose", cls=OnceCommand)
@click.option("--title", required=True, help="The title (标题).")
@click.option("--content", default="", help="The text of the suggestion.")
@click.option(
    "--co-signer",
    "co_signers",
    multiple=True,
    metavar="NAME",
    help="A co-signing deputy (联名/附议); repeat.",
)
@click.option("--field", metavar="FIELD", help="The field (领域), e.g. 交通.")
@click.option("--between-sessions", is_flag=True, help="Submitted between sessions (闭会期间).")
@click.option("--confidential", is_flag=True, help="Never in a public export.")
@click.option(
    "--attach",
    "attachments",
    multiple=True,
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Attach FILE (the suggestion's text, photos…); repeat for several.",
)
@click.option(
    "--deputy", metavar="NAME", help="The lead deputy (the office proposing for them) [--as deputy]."
)
@_AT
@json_option
@pass_app
def propose(
    app: App,
    title: str,
    content: str,
    co_signers: tuple[str, ...],
    field: str | None,
    between_sessions: bool,
    confidential: bool,
    attachments: tuple[Path, ...],
    deputy: str | None,
    at: str | None,
    as_json: bool,
) -> None:
    """Submit a suggestion online as its lead deputy; it waits for the office (待受理)."""
    s = app.engine().propose(
        title,
        content=content,
        co_signers=co_signers,
        field=field,
        between_sessions=between_sessions,
        confidential=confidential,
        attachments=attachments,
        deputy=deputy,
        at=app.when(at),
    )
    emit(as_json, s.to_json(), lambda: f"网上建议 #{s.id}: {s.status_label}")


@submission.command("list", cls=OnceCommand)
@click.option(
    "--status",
    type=click.Choice([s.value for s in SubmissionStatus]),
    help="Only those: pending 待受理, accepted 已受理, declined 不予受理, withdrawn 已撤回.",
)
@json_option
@pass_app
def list_(app: App, status: str | None, as_json: bool) -> None:
    """List online submissions, oldest first: a deputy's own (--as deputy:NAME), or all for the office."""
    found = app.engine().submissions(status=status)
    emit(
        as_json,
        [s.to_json() for s in found],
        lambda: "\n".join(_line(app, s) for s in found) or _("no online submissions"),
    )


@submission.command("show", cls=OnceCommand)
@click.argument("submission_id", metavar="ID", type=click.IntRange(1))
@json_option
@pass_app
def show(app: App, submission_id: int, as_json: bool) -> None:
    """Show online submission ID: its status, text, files and what happened to it."""
    s = app.engine().submission(submission_id)
    emit(as_json, s.to_json(), lambda: _detail(app, s))


@submission.command("accept", cls=OnceCommand)
@click.argument("submission_id", metavar="ID", type=click.IntRange(1))
@click.option("--number", metavar="N", help="The case number to give it [the session's next number].")
@session_option
@_AT
@json_option
@pass_app
def accept(
    app: App, submission_id: int, number: str | None, session: str | None, at: str | None, as_json: bool
) -> None:
    """Accept online submission ID (受理): it becomes a case under its number; the deputy is told the number."""
    change = app.engine().accept_submission(submission_id, number=number, session=session, at=app.when(at))
    emit(as_json, change.to_json(), lambda: f"网上建议 #{submission_id} 已受理：{text.change_text(change)}")


@submission.command("decline", cls=OnceCommand)
@click.argument("submission_id", metavar="ID", type=click.IntRange(1))
@click.option("--reason", required=True, help="Why, as the deputy will read it (e.g. 转为来信处理).")
@_AT
@json_option
@pass_app
def decline(app: App, submission_id: int, reason: str, at: str | None, as_json: bool) -> None:
    """Decline online submission ID (不予受理) with its reason; the deputy is told."""
    s = app.engine().decline_submission(submission_id, reason=reason, at=app.when(at))
    emit(as_json, s.to_json(), lambda: f"网上建议 #{s.id}: {s.status_label}")


@submission.command("withdraw", cls=OnceCommand)
@click.argument("submission_id", metavar="ID", type=click.IntRange(1))
@click.option("--reason", default="", help="Why (recorded).")
@_AT
@json_option
@pass_app
def withdraw(app: App, submission_id: int, reason: str, at: str | None, as_json: bool) -> None:
    """Withdraw pending online submission ID (撤回); an accepted one is a case: `jianyi withdraw NUMBER`."""
    s = app.engine().withdraw_submission(submission_id, reason=reason, at=app.when(at))
    emit(as_json, s.to_json(), lambda: f"网上建议 #{s.id}: {s.status_label}")


COMMANDS = (submission,)
