"""The lifecycle actions of the engine: one public method per command, each ``self.run(number, Command(...))``.

:class:`Lifecycle` is the half of :class:`~workflow.engine.Engine` that writes cases; the commands and their
handlers live in :mod:`workflow.actions`, the one write path in :mod:`workflow.pipeline`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rules import Rating
from rules.i18n import _
from workflow.actions import (
    Amend,
    Answer,
    ApproveAnswer,
    Assign,
    Close,
    Command,
    Contact,
    Convert,
    Extend,
    Feedback,
    Opinion,
    Progress,
    Promised,
    Reassign,
    Receive,
    RefuseExtension,
    RefuseReturn,
    Rehandle,
    RequestExtension,
    RequestReturn,
    ReturnAnswer,
    Submit,
    Withdraw,
)
from workflow.core.attachments import Attached, Attachment, AttachmentSettings, check_all, read_file
from workflow.core.errors import PermissionDenied
from workflow.core.states import ContactMethod, ContactStage
from workflow.core.views import Actor, Change
from workflow.pipeline import Pipeline
from workflow.store.attachments import Blobs
from workflow.store.queries import Queries

__all__ = ["AssignOrder", "Files", "Lifecycle"]

# what an action may attach: files by path (named by their last part), or names with bytes
Files = Sequence[Attachment | str | Path]


@dataclass(frozen=True, slots=True)
class AssignOrder:
    """One line of a batch assignment (交办会)."""

    number: str
    main: str | None = None
    co: Sequence[str] = ()
    split: Sequence[str] = ()
    key: bool = False
    complex: bool = False


class Lifecycle:
    """The actions on cases, over :attr:`pipeline`."""

    pipeline: Pipeline
    viewer: Actor  # who the engine acts for (Engine.acting)

    def party(self, actor: Actor | None, what: str) -> Actor:
        """Who takes action ``what``: ``actor``, or the party the engine acts for. The office may act for anyone
        (an ``actor`` with ``entered_by`` records that it keyed the action in); a unit or a deputy only as itself.
        """
        if actor is None:
            return self.viewer
        if self.viewer.is_office:
            return actor
        if actor.same(self.viewer):
            if actor.entered_by != self.viewer.entered_by:  # only the office says it keyed an action in
                raise PermissionDenied(
                    case=None,
                    actor=str(self.viewer),
                    action=what,
                    reason=_("only the office keys in for others"),
                )
            return actor
        raise PermissionDenied(
            case=None,
            actor=str(self.viewer),
            action=what,
            reason=_("it acts as itself, not as {actor}").format(actor=actor),
        )

    attachment_settings: AttachmentSettings
    blobs: Blobs

    queries: Queries

    def _attached(self, number: str, session: str | None, files: Files) -> tuple[Attached, ...]:
        """``files`` read, checked (type by content, size, name) and their bytes stored by digest, before the
        action's transaction: a refusal here writes nothing; a refused action leaves bytes no row names. A unit
        or deputy stores nothing for a case out of its scope (it is not found first)."""
        if files and not self.viewer.is_office:
            self.queries.visible(number, session=session)
        return self.stored_files(files)

    def stored_files(self, files: Files) -> tuple[Attached, ...]:
        """``files`` read, checked (type by content, size, name) and their bytes stored by digest, before the
        transaction that names them (a refusal here writes nothing)."""
        limit = self.attachment_settings.max_size
        given = [f if isinstance(f, Attachment) else read_file(f, limit) for f in files]
        accepted = check_all(given, limit)
        for file, attached in zip(given, accepted, strict=True):
            self.blobs.put(attached.sha256, file.data)
        return tuple(accepted)

    def run(
        self,
        number: str,
        command: Command,
        *,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Run one command (:mod:`workflow.actions`) on case ``number``: the write path of every action."""
        who = self.party(actor, command.action.value)
        return self.pipeline.run(
            number, command, actor=who, at=at, session=session, expected_version=expected_version
        )

    def submit(
        self,
        number: str,
        *,
        title: str,
        deputy: str,
        co_signers: Sequence[str] = (),
        content: str = "",
        field: str | None = None,
        between_sessions: bool = False,
        confidential: bool = False,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
    ) -> Change:
        """Register a suggestion (提出/受理) under its number in the session."""
        command = Submit(title, deputy, tuple(co_signers), content, field, between_sessions, confidential)
        return self.run(number, command, actor=actor, at=at, session=session)

    def assign(
        self,
        number: str,
        *,
        main: str | None = None,
        co: Sequence[str] = (),
        split: Sequence[str] = (),
        key: bool = False,
        complex: bool = False,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Assign (交办) to one main unit and any co-units, or to split units; starts the clocks.

        ``complex`` marks a complex suggestion (涉及面广、处理难度大) whose 6-month answer period the office
        approves at assignment; ``key`` marks it for key supervision (重点督办).
        """
        command = Assign(main, tuple(co), tuple(split), key, complex)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def assign_many(
        self,
        orders: Sequence[AssignOrder],
        *,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
    ) -> list[Change]:
        """Assign many cases in one transaction (the yearly 交办会): all or nothing.

        Every order is checked; when any fails, nothing is written and the error lists every failure.
        """
        commands: list[tuple[str, Command]] = [
            (o.number, Assign(o.main, tuple(o.co), tuple(o.split), o.key, o.complex)) for o in orders
        ]
        return self.pipeline.run_many(
            commands,
            actor=self.party(actor, "assign"),
            at=at,
            session=session,
            what="batch assignment",
            nothing="nothing assigned",
        )

    def receive(
        self,
        number: str,
        *,
        unit: str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """A unit signs for its assignment (签收); the state does not change. Once per assignment: a second
        receipt is refused, a reassignment needs a new one. With the rule set's
        ``lifecycle.deadlines_from_receipt`` the unit's open co-opinion and answer deadlines run from the day
        of receipt; until it signs (and without the setting) they run from the assignment."""
        command = Receive(unit)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def request_return(
        self,
        number: str,
        *,
        unit: str | None = None,
        reason: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """A unit asks to hand the case back (退办), with reasons; the state does not change."""
        command = RequestReturn(reason, unit)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def refuse_return(
        self,
        number: str,
        *,
        reason: str,
        unit: str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office refuses pending return requests (of ``unit``, or all); the units keep handling."""
        command = RefuseReturn(reason, unit)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def reassign(
        self,
        number: str,
        *,
        main: str | None = None,
        co: Sequence[str] = (),
        split: Sequence[str] = (),
        reason: str = "",
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Assign the case again (二次交办) to new units; the clocks restart, the old assignment is kept."""
        command = Reassign(main, tuple(co), tuple(split), reason)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def extend(
        self,
        number: str,
        *,
        reason: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Approve the 6-month answer period of a complex suggestion (measured from assignment); a unit's pending
        extension request is approved with it."""
        command = Extend(reason)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def request_extension(
        self,
        number: str,
        *,
        reason: str,
        unit: str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The main unit asks for the extended answer period (申请延期), with reasons; the state does not change.

        One request waits at a time; refused when the period is extended already, the rule set has none or the
        answer date has passed. The office approves it (:meth:`approve_extension`) or refuses it
        (:meth:`refuse_extension`); a request still waiting when the case is answered, reassigned or withdrawn
        lapses.
        """
        command = RequestExtension(reason, unit)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def approve_extension(
        self,
        number: str,
        *,
        reason: str = "",
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office approves the pending extension request: :meth:`extend` (the audit event names the request),
        and the unit is told. A blank ``reason`` takes the request's."""
        command = Extend(reason, requested=True)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def refuse_extension(
        self,
        number: str,
        *,
        reason: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office refuses the pending extension request, with reasons; the unit is told and answers within
        the period it has."""
        command = RefuseExtension(reason)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def approve_answer(
        self,
        number: str,
        *,
        unit: str | None = None,
        note: str = "",
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office approves the answer waiting for its review (答复审核; ``unit`` when several wait): it takes
        effect as an answer without review does (state, the deputy's notice and feedback deadline, publication);
        the unit's deadline counts the day the unit sent it."""
        command = ApproveAnswer(unit, note)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def return_answer(
        self,
        number: str,
        *,
        reason: str,
        unit: str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office returns the answer waiting for its review, with the reason; the unit is told and answers
        again, its answer deadline unchanged."""
        command = ReturnAnswer(reason, unit)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def opinion(
        self,
        number: str,
        *,
        text: str,
        unit: str | None = None,
        attachments: Files = (),
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """A co-unit sends its opinion (会办意见) to the main unit; the last one moves the case to co_handled.

        ``attachments``: the opinion's files (PDF, DOCX, XLSX, OFD or images, by content; see
        :mod:`workflow.core.attachments`), each name new to the case; their digests go into the audit event.
        """
        command = Opinion(text, unit, self._attached(number, session, attachments))
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def contact(
        self,
        number: str,
        *,
        method: ContactMethod | str,
        unit: str | None = None,
        note: str = "",
        stage: ContactStage | str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Record a contact between a unit and the deputy (联系沟通); the state does not change.

        ``stage`` defaults from the case: before the answer the first contact of the round is 办前 (before),
        later ones 办中 (during); after the answer, 办后 (after).
        """
        command = Contact(method, unit, note, stage)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def answer(
        self,
        number: str,
        *,
        category: str,
        text: str,
        unit: str | None = None,
        promises: Sequence[Promised] = (),
        without_opinion: Mapping[str, str] | None = None,
        attachments: Files = (),
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The main unit (or a split unit) answers the deputy (答复) with a class (A/B/C/D by default).

        Before every co-unit's opinion is in, only the office may let the answer go without one:
        ``without_opinion`` maps each such co-unit to the reason (audited). ``attachments``: the answer letter
        (答复函) and other files, as for :meth:`opinion`.
        """
        command = Answer(
            category,
            text,
            unit,
            tuple(promises),
            dict(without_opinion or {}),
            attachments=self._attached(number, session, attachments),
        )
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def feedback(
        self,
        number: str,
        *,
        rating: Rating | str,
        comment: str = "",
        attitude: Rating | str | None = None,
        result: Rating | str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The (lead) deputy's feedback on the answer; by default satisfied/basic closes the case and
        unsatisfied sends it back for re-handling (both are rule-set settings)."""
        command = Feedback(rating, comment, attitude, result)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def rehandle(
        self,
        number: str,
        *,
        reason: str = "",
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office sends the case back for re-handling (重新办理): round + 1, a new answer deadline."""
        command = Rehandle(reason)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def close(
        self,
        number: str,
        *,
        reason: str = "",
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office closes the case (办结) after the deputy's feedback."""
        command = Close(reason)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def convert(
        self,
        number: str,
        *,
        to: str,
        evidence: str,
        attachments: Files = (),
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Record a follow-up answer that changes a promise class (B) to another (B→A 转化, B→C).

        The class the case was answered with stays in ``category``; ``current_category`` takes the new class; the
        deputy is sent the follow-up. Open promises end done (to A) or cancelled (otherwise), and so do their
        deadlines. Works in any state after the answer, closed included (B cases are followed after closing).
        ``attachments``: the evidence's files, as for :meth:`opinion`.
        """
        command = Convert(to, evidence, self._attached(number, session, attachments))
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def progress(
        self,
        number: str,
        *,
        note: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Record progress on the promises of a B answer (承诺事项进展); the yearly letter to the deputy lists it."""
        command = Progress(note)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def withdraw(
        self,
        number: str,
        *,
        reason: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The deputy (or the office for them) withdraws the suggestion (撤回); handling stops."""
        command = Withdraw(reason)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )

    def amend(
        self,
        number: str,
        *,
        reason: str,
        title: str | None = None,
        content: str | None = None,
        field: str | None = None,
        between_sessions: bool | None = None,
        confidential: bool | None = None,
        key: bool | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office corrects the case's own data (更正) in any state; the state does not change.

        Each value given (None: unchanged; ``field=""`` clears the field) that differs from the stored one is
        changed; the audit event records every changed value's old and new form and ``reason``. Refused when
        nothing would change, and for any actor but the office.
        """
        command = Amend(title, content, field, between_sessions, confidential, key, reason)
        return self.run(
            number, command, actor=actor, at=at, session=session, expected_version=expected_version
        )
