"""Accounts: Argon2id hashes, sign-in that says the same for every refusal, each attempt recorded, office-only
management, and the actor a sign-in gives scoping what that person sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from workflow.core.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationError
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.testing import row_count, table_rows

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

MAIN, CO = "市交通运输局", "市财政局"
SECRET = "correct horse battery"


def test_a_sign_in_gives_the_actor_the_account_acts_as(engine: Engine) -> None:
    """A unit's handler signs in as the unit, a deputy as the deputy, office staff as the office by name."""
    engine.add_user("li", SECRET, unit=CO)
    engine.add_user("zhang", SECRET, deputy="张三")
    engine.add_user("wang", SECRET, supervisor=True)
    assert engine.authenticate("li", SECRET) == Actor.unit(CO)
    assert engine.authenticate("zhang", SECRET) == Actor.deputy("张三")
    office = engine.authenticate("wang", SECRET)
    assert (office.is_office, str(office)) == (True, "office:wang")


def test_the_password_is_kept_as_an_argon2id_hash(engine: Engine) -> None:
    """The stored hash is Argon2id with its own salt: two accounts with one password store different hashes."""
    engine.add_user("a", SECRET, unit=CO)
    engine.add_user("b", SECRET, unit=MAIN)
    hashes = [h for (h,) in table_rows(engine, "accounts", "password_hash")]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert len(set(hashes)) == 2
    assert all(SECRET not in h for h in hashes)


@pytest.mark.parametrize("case", ["wrong password", "unknown name", "disabled"])
def test_every_refused_sign_in_says_the_same(engine: Engine, case: str) -> None:
    """A wrong password, an unknown name and a disabled account are refused in the same words."""
    engine.add_user("li", SECRET, unit=CO)
    if case == "disabled":
        engine.disable_user("li")
    name, password = ("nobody", SECRET) if case == "unknown name" else ("li", SECRET)
    if case == "wrong password":
        password = "not the password"
    with pytest.raises(NotAuthenticated, match=r"^name or password not accepted$"):
        engine.authenticate(name, password)


def test_each_attempt_and_change_is_recorded(engine: Engine) -> None:
    """created, a failed sign-in, a sign-in, a new password, disabled, enabled: in order, with who did it."""
    engine.add_user("li", SECRET, unit=CO)
    with pytest.raises(NotAuthenticated):
        engine.authenticate("li", "wrong password!")
    engine.authenticate("li", SECRET)
    engine.set_password("li", "another long secret")
    engine.disable_user("li")
    engine.disable_user("li", disabled=False)
    assert engine.authenticate("li", "another long secret") == Actor.unit(CO)
    events = [(actor, action) for _, actor, action, _ in engine.accounts.events("li")]
    assert events == [
        ("office", "created"),
        ("user:li", "login_failed"),
        ("user:li", "login"),
        ("office", "password"),
        ("office", "disabled"),
        ("office", "enabled"),
        ("user:li", "login"),
    ]


def test_bad_accounts_are_refused_with_nothing_written(engine: Engine) -> None:
    """A short password, a taken name, an unknown unit, a unit and a deputy at once: refused, no row."""
    engine.add_user("li", SECRET, unit=CO)
    before = (row_count(engine, "accounts"), row_count(engine, "account_events"))
    with pytest.raises(ValidationError, match="at least 10 characters"):
        engine.add_user("x", "short", unit=CO)
    with pytest.raises(ValidationError, match="user 'li' already exists"):
        engine.add_user("li", SECRET, unit=MAIN)
    with pytest.raises(NotFound, match="unit '市水务局' not found"):
        engine.add_user("y", SECRET, unit="市水务局")
    with pytest.raises(ValidationError, match="give a unit or a deputy, not both"):
        engine.add_user("z", SECRET, unit=CO, deputy="张三")
    assert (row_count(engine, "accounts"), row_count(engine, "account_events")) == before


def test_only_the_office_manages_accounts(engine: Engine) -> None:
    """A unit's or deputy's engine may not add, list, disable or set a password."""
    engine.add_user("li", SECRET, unit=CO)
    for who in (Actor.unit(CO), Actor.deputy("张三")):
        other = engine.acting(who)
        with pytest.raises(PermissionDenied, match="may not 'user add'"):
            other.add_user("x", SECRET, unit=CO)
        with pytest.raises(PermissionDenied, match="may not 'user list'"):
            other.users()
        with pytest.raises(PermissionDenied, match="may not 'user disable'"):
            other.disable_user("li")
        with pytest.raises(PermissionDenied, match="may not 'user password'"):
            other.set_password("li", SECRET)
    assert [u.name for u in engine.users()] == ["li"]


def test_what_a_signed_in_unit_sees_is_its_own(engine: Engine) -> None:
    """The actor of a sign-in, taken with Engine.acting, lists that unit's cases alone."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)
    engine.submit("0002", title="乙", deputy="张三")
    engine.assign("0002", main=CO)
    engine.add_user("li", SECRET, unit=CO)
    mine = engine.acting(engine.authenticate("li", SECRET))
    assert [c.number for c in mine.list_cases()] == ["0002"]


def test_user_commands(engine: Engine, runner: CliRunner, db_path: Path) -> None:
    """`user add --password-stdin`, `user list --json` (no hash), a short password exits 3, a unit exits 6."""
    if engine.db.dialect.name != "sqlite":
        pytest.skip("the CLI runs on the SQLite file")

    def run(*args: str, stdin: str | None = None) -> object:
        return runner.invoke(cli, ["--db", str(db_path), *args], input=stdin)

    added = run("user", "add", "li", "--unit", CO, "--password-stdin", stdin=SECRET + "\n")
    assert added.stdout == f"user 'li' added (unit:{CO})\n"  # type: ignore[attr-defined]
    listed = json.loads(run("user", "list", "--json").stdout)  # type: ignore[attr-defined]
    assert listed == [
        {
            "name": "li",
            "kind": "unit",
            "unit": CO,
            "deputy": None,
            "supervisor": False,
            "disabled": False,
            "created_at": listed[0]["created_at"],
        }
    ]
    short = run("user", "add", "x", "--office", "--password-stdin", stdin="short\n")
    assert short.exit_code == 3  # type: ignore[attr-defined]
    assert short.stderr == "Error: a password needs at least 10 characters\n"  # type: ignore[attr-defined]
    assert run("--as", f"unit:{CO}", "user", "list").exit_code == 6  # type: ignore[attr-defined]
    both = run("user", "add", "y", "--office", "--unit", CO, "--password-stdin", stdin=SECRET)
    assert both.exit_code == 2  # type: ignore[attr-defined]
    assert engine.authenticate("li", SECRET) == Actor.unit(CO)
