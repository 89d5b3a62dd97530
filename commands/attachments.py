"""Attachments at the command line: ``attachment list NUMBER`` and ``attachment get NUMBER NAME -o FILE``.

Files are attached with ``--attach FILE`` on ``answer``, ``opinion`` and ``convert`` (:mod:`commands.lifecycle`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from commands.app import App, OnceCommand, emit, json_option, pass_app, session_option
from rules.i18n import _

if TYPE_CHECKING:
    from workflow import AttachmentInfo

__all__ = ["COMMANDS"]


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    if n >= 1024:
        return _("{value:.1f} KiB").format(value=n / 1024)
    return f"{n} B"


def _lines(app: App, number: str, found: list[AttachmentInfo]) -> str:
    if not found:
        return _("建议 {number}: no attachments").format(number=number)
    zone = app.zone()
    lines = []
    for a in found:
        at = a.at.astimezone(zone).isoformat(timespec="minutes")
        unit = f" {a.unit}" if a.unit else ""
        lines.append(
            f"{a.name}  {a.media_type}  {_size(a.size)}  sha256 {a.sha256[:16]}…  "
            f"{a.action} (round {a.round}){unit}  {at}  by {a.who}"
        )
    return "\n".join(lines)


@click.group("attachment")
def attachment() -> None:
    """The files that came with a case's answers, opinions and conversions (`--attach FILE`)."""


@attachment.command("list", cls=OnceCommand)
@click.argument("number")
@session_option
@json_option
@pass_app
def list_(app: App, number: str, session: str | None, as_json: bool) -> None:
    """List NUMBER's attachments: name, type (by content), size, SHA-256, the action, round and unit, when and
    who."""
    found = app.engine().attachments(number, session=session)
    emit(as_json, [a.to_json() for a in found], lambda: _lines(app, number, found))


@attachment.command("get", cls=OnceCommand)
@click.argument("number")
@click.argument("name")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE",
    help="Where to write the file's bytes (- for standard output).",
)
@session_option
@pass_app
def get(app: App, number: str, name: str, output: str, session: str | None) -> None:
    """Write attachment NAME of NUMBER to FILE, after checking its bytes against the digest recorded (exit 9
    when they changed or are gone)."""
    _info, data = app.engine().attachment(number, name, session=session)
    if output == "-":
        click.echo(data, nl=False)  # bytes go to the binary stream as they are
        return
    path = Path(output)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise click.BadParameter(
            _("cannot write {path}: {strerror}").format(path=path, strerror=exc.strerror),
            param_hint="--output",
        ) from None
    click.echo(_("wrote {path} ({value})").format(path=path, value=_size(len(data))), err=True)


COMMANDS = (attachment,)
