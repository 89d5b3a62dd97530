"""Answer review (答复审核) at the command line: ``review list`` (the answers waiting for the office's review),
``review approve`` (审核通过: the answer reaches the deputy) and ``review return`` (审核退回, with the reason: the
unit answers again). Held answers exist only under a rule set with ``lifecycle.answer_review = true``.
"""

from __future__ import annotations

import click

from commands.app import App, echo_listing, emit, json_option, pass_app
from commands.lifecycle import _action, _action_command

__all__ = ["COMMANDS"]


@click.group("review")
def review() -> None:
    """Answers held for the office's review (答复审核) when the rule set says `lifecycle.answer_review`: list
    them, approve one (it reaches the deputy) or return it with the reason (the unit answers again)."""


@review.command("list")
@click.option("--unit", "unit_name", metavar="UNIT", help="Only this unit's answers.")
@click.option("--session", metavar="NAME", help="Only this session [all sessions].")
@json_option
@pass_app
def list_(app: App, unit_name: str | None, session: str | None, as_json: bool) -> None:
    """Answers waiting for the office's review, oldest first; a unit sees its own.

    Decide each with `review approve NUMBER` or `review return NUMBER --reason R`.
    """
    engine = app.engine()
    items = engine.pending_reviews(unit=unit_name, session=session)
    if as_json:
        emit(as_json, [i.to_json() for i in items], str)
        return
    from workflow.reporting.listing import review_listing

    echo_listing(review_listing(items, now=engine.clock.now(), zone=app.zone()))


_UNIT = click.option("--unit", metavar="UNIT", help="The unit whose answer it is [the one waiting].")
review.add_command(
    _action_command(
        _action(
            "approve",
            """Approve the answer of NUMBER waiting for review (审核通过): it reaches the deputy as an answer
            without review does; the unit's deadline counts the day the unit sent it.""",
            _UNIT,
            click.option(
                "--note", default="", help="The office's note on the approval (kept in the record)."
            ),
            method="approve_answer",
        )
    )
)
review.add_command(
    _action_command(
        _action(
            "return",
            """Return the answer of NUMBER waiting for review (审核退回) with the reason; the unit is told and
            answers again, its answer deadline unchanged.""",
            click.option("--reason", required=True, help="What the unit is to change (the unit reads it)."),
            _UNIT,
            method="return_answer",
        )
    )
)

COMMANDS = (review,)
