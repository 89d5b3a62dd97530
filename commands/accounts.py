"""Accounts (``jianyi user …``): the people who sign in, as office staff, a unit's handler or a deputy. The
office manages them; passwords are read from a hidden prompt or, with ``--password-stdin``, from standard input
(one line), never from the command line."""

from __future__ import annotations

import sys

import click

from commands.app import App, emit, json_option, pass_app
from rules.i18n import _

__all__ = ["COMMANDS"]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    text: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return text


@click.group()
def user() -> None:
    """Accounts (账号): office staff, units' handlers and deputies who sign in."""


@user.command("add")
@click.argument("name")
@click.option("--office", is_flag=True, help="Office staff (代表工作机构).")
@click.option("--supervisor", is_flag=True, help="Office staff who may manage accounts.")
@click.option("--unit", metavar="UNIT", help="A handler of this unit (承办单位).")
@click.option("--deputy", metavar="DEPUTY", help="This deputy (代表).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@json_option
@pass_app
def user_add(
    app: App,
    name: str,
    office: bool,
    supervisor: bool,
    unit: str | None,
    deputy: str | None,
    password_stdin: bool,
    as_json: bool,
) -> None:
    """Add an account: --office [--supervisor], --unit UNIT or --deputy DEPUTY (one of them)."""
    if (office or supervisor) + (unit is not None) + (deputy is not None) != 1:
        raise click.UsageError(_("give one of --office, --unit UNIT or --deputy DEPUTY"))
    engine = app.engine()
    engine.require_office("user add")  # before a password is asked for
    info = engine.add_user(name, _password(password_stdin), unit=unit, deputy=deputy, supervisor=supervisor)
    emit(
        as_json,
        info.to_json(),
        lambda: _("user {name!r} added ({actor})").format(name=info.name, actor=info.actor),
    )


@user.command("list")
@json_option
@pass_app
def user_list(app: App, as_json: bool) -> None:
    """List the accounts."""
    rows = app.engine().users()
    emit(
        as_json,
        [r.to_json() for r in rows],
        lambda: (
            "\n".join(
                f"{r.name}  {r.actor}"
                + ("  supervisor" if r.supervisor else "")
                + ("  disabled" if r.disabled else "")
                for r in rows
            )
            or _("no users yet")
        ),
    )


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def user_password(app: App, name: str, password_stdin: bool) -> None:
    """Set NAME's password."""
    engine = app.engine()
    engine.require_office("user password")
    engine.set_password(name, _password(password_stdin))
    click.echo(_("password of {name!r} set").format(name=name))


@user.command("disable")
@click.argument("name")
@pass_app
def user_disable(app: App, name: str) -> None:
    """Disable NAME: nobody signs in as it; what it did stays in the record."""
    app.engine().disable_user(name)
    click.echo(_("user {name!r} disabled").format(name=name))


@user.command("enable")
@click.argument("name")
@pass_app
def user_enable(app: App, name: str) -> None:
    """Enable NAME again."""
    app.engine().disable_user(name, disabled=False)
    click.echo(_("user {name!r} enabled").format(name=name))


COMMANDS: tuple[click.Command, ...] = (user,)
