"""Suggestions submitted online (网上提交) and the office's acceptance (受理): the half of
:class:`~workflow.engine.Engine` that keeps them.

A deputy proposes (:meth:`Online.propose`); the submission waits as 待受理 until the office accepts it
(:meth:`Online.accept_submission`: registered as a case through the one write path, :mod:`workflow.pipeline`,
under the next number of the session or one the office gives, the deputy told the number) or declines it with a
reason (:meth:`Online.decline_submission`, 不予受理: the deputy is told why), or until the deputy withdraws it
(:meth:`Online.withdraw_submission`). A deputy sees the submissions they lead; the office sees all; a unit none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from rules.i18n import _
from workflow.actions import Submit
from workflow.core.attachments import Attached
from workflow.core.errors import NotFound, NumberTaken, PermissionDenied, ValidationError
from workflow.core.states import ActorKind
from workflow.core.submissions import SubmissionClosed, SubmissionStatus, SubmissionView, label
from workflow.core.text import cleaned, one_line
from workflow.core.unit_of_work import outbox_row
from workflow.core.views import Change
from workflow.lifecycle import Files, Lifecycle
from workflow.store import submissions as _store
from workflow.store.database import Database
from workflow.store.directory import Directory
from workflow.store.models import too_long

__all__ = ["Online"]

_NUMBER_TRIES = 10  # acceptances under the next number that may lose it to another one running at once


class Online(Lifecycle):
    """Online submissions, beside the actions on cases (:class:`~workflow.lifecycle.Lifecycle`)."""

    db: Database
    directory: Directory
    congress_id: int

    # ---- the deputy ---------------------------------------------------------------------------
    def propose(
        self,
        title: str,
        *,
        content: str = "",
        co_signers: Sequence[str] = (),
        field: str | None = None,
        between_sessions: bool = False,
        confidential: bool = False,
        attachments: Files = (),
        deputy: str | None = None,
        at: datetime | None = None,
    ) -> SubmissionView:
        """Submit a suggestion online (网上提交) as its lead deputy, with any co-signing deputies (联名) and files;
        it waits for the office (待受理). A deputy proposes as themself; the office names the ``deputy`` it keys
        the suggestion in for; a unit may not propose."""
        lead = self._proposer(deputy)
        at, _local = self.pipeline.when(at)
        draft = cleaned(
            Submit(title, lead, tuple(co_signers), content, field, between_sessions, confidential)
        )
        title = one_line(draft.title)
        if not title:
            raise ValidationError(_("a suggestion needs a title"))
        fields = None if draft.field is None else one_line(draft.field) or None
        long = too_long("submissions", {"title": title, "field": fields})
        if long is not None:
            raise ValidationError(long)
        files = self.stored_files(attachments)
        with self.db.transaction() as conn:
            lead_id = self.directory.deputy_id(conn, lead)
            signers = [
                self._co_signer(conn, name.strip())
                for name in dict.fromkeys(draft.co_signers)
                if name.strip() and name.strip() != lead
            ]
            sid = _store.create(
                conn,
                {
                    "congress_id": self.congress_id,
                    "deputy_id": lead_id,
                    "co_signers": json.dumps(signers),
                    "title": title,
                    "content": draft.content,
                    "field": fields,
                    "between_sessions": between_sessions,
                    "confidential": confidential,
                    "attachments": json.dumps([f.to_json() for f in files], ensure_ascii=False),
                    "submitted_at": at,
                },
            )
            data: dict[str, Any] = {
                "title": title,
                "deputy": lead,
                "co_signers": [self.directory.deputy_name(conn, d) for d in signers],
            }
            if files:
                data["attachments"] = [f.to_json() for f in files]
            _store.add_event(conn, sid, at=at, actor=self._who(), action="propose", data=data)
        return self._view(sid)

    def _co_signer(self, conn: Connection, name: str) -> int:
        """The id of co-signing deputy ``name``; a name no deputy of the congress bears is refused in one line
        that names it (a deputy cannot add one: the office keeps the roll)."""
        try:
            return self.directory.deputy_id(conn, name)
        except NotFound:
            msg = _("co-signer {name} is not a deputy of this congress: check the name and submit again")
            raise ValidationError(msg.format(name=name)) from None

    def withdraw_submission(
        self, submission_id: int, *, reason: str = "", at: datetime | None = None
    ) -> SubmissionView:
        """Withdraw a pending submission (撤回): its lead deputy, or the office for them. Once accepted it is a
        case, withdrawn with :meth:`~workflow.lifecycle.Lifecycle.withdraw`."""
        return self._settle(submission_id, SubmissionStatus.WITHDRAWN, "withdraw", reason.strip() or None, at)

    # ---- the office ---------------------------------------------------------------------------
    def accept_submission(
        self,
        submission_id: int,
        *,
        number: str | None = None,
        session: str | None = None,
        at: datetime | None = None,
    ) -> Change:
        """Accept a pending submission (受理): register it as a case of ``session`` (the current one) under
        ``number``, or the next number of the session (after 0123 comes 0124), its files attached, its origin
        recorded in the case's history; the deputy is told the number. Office-only."""
        self.require_office("submission accept")
        at, now = self.pipeline.when(at)
        given = None if number is None else number.strip() or None
        for attempt in range(_NUMBER_TRIES):
            try:
                return self._accept(submission_id, given, session, at, now)
            except NumberTaken:
                # another acceptance took the session's next number first (PostgreSQL runs them side by side):
                # take the one after it; a number the office gave stays refused
                if given is not None or attempt == _NUMBER_TRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _accept(
        self, submission_id: int, number: str | None, session: str | None, at: datetime, now: datetime
    ) -> Change:
        with self.pipeline.batch(what=f"accept {label(submission_id)}") as batch:
            conn = batch.store.conn
            row = self._pending(conn, submission_id, "accept", at)
            where = self.directory.session_ref(conn, session)
            chosen = number or _store.next_number(conn, where[0])
            if not _store.settle(conn, submission_id, SubmissionStatus.ACCEPTED, at=at):
                raise self._closed(conn, submission_id, "accept")
            lead = self.directory.deputy_name(conn, row["deputy_id"])
            command = Submit(
                row["title"],
                lead,
                tuple(self.directory.deputy_name(conn, d) for d in json.loads(row["co_signers"])),
                row["content"],
                row["field"],
                bool(row["between_sessions"]),
                bool(row["confidential"]),
                origin=submission_id,
                attachments=tuple(Attached(**a) for a in json.loads(row["attachments"])),
            )
            work = batch.new_case(where, chosen, at)
            change = batch.apply(work, command, actor=self.viewer, at=at, now=now)
            _store.link(conn, submission_id, work.case_id)
            data = {"session": where[1], "number": chosen}
            _store.add_event(conn, submission_id, at=at, actor=self._who(), action="accept", data=data)
        return change

    def decline_submission(
        self, submission_id: int, *, reason: str, at: datetime | None = None
    ) -> SubmissionView:
        """Decline a pending submission (不予受理) with its reason, e.g. 转为来信处理; the deputy is told.
        Office-only."""
        self.require_office("submission decline")
        text = reason.strip()
        if not text:
            raise ValidationError(
                _("{value}: declining needs its reason, e.g. 转为来信处理").format(
                    value=label(submission_id)
                ),
                fields=("reason",),
            )
        return self._settle(submission_id, SubmissionStatus.DECLINED, "decline", text, at)

    # ---- reading ------------------------------------------------------------------------------
    def submissions(
        self, *, status: SubmissionStatus | str | None = None, limit: int | None = None
    ) -> list[SubmissionView]:
        """Online submissions, oldest first (``status``: only those): a deputy's own, or all for the office; a
        unit has none to see."""
        if self.viewer.kind is ActorKind.UNIT:
            raise PermissionDenied(
                case=None,
                actor=str(self.viewer),
                action="submission list",
                reason=_("online submissions go to the office (代表工作机构), not to units"),
            )
        try:
            wanted = None if status is None else SubmissionStatus(status)
        except ValueError:
            allowed = ", ".join(s.value for s in SubmissionStatus)
            raise ValidationError(
                _("unknown submission status {status!r} (one of: {allowed})").format(
                    status=status, allowed=allowed
                )
            ) from None
        with self.db.reading() as conn:
            deputy = None
            if self.viewer.kind is ActorKind.DEPUTY:
                assert self.viewer.name is not None
                deputy = self.directory.deputy_id(conn, self.viewer.name)
            rows = _store.listing(conn, self.congress_id, status=wanted, deputy_id=deputy, limit=limit)
            return _store.view(conn, self.directory, rows)

    def submission(self, submission_id: int) -> SubmissionView:
        """One online submission with its history (a deputy's own; any for the office; out of scope is "not
        found")."""
        with self.db.reading() as conn:
            self._visible(conn, submission_id)
        return self._view(submission_id)

    def submission_attachment(self, submission_id: int, name: str) -> tuple[Attached, bytes]:
        """One file of a submission by name, with its bytes (out of scope is "not found")."""
        with self.db.reading() as conn:
            row = self._visible(conn, submission_id)
            files = [Attached(**a) for a in json.loads(row["attachments"])]
            found = next((f for f in files if f.name == name), None)
            data = None if found is None else self.blobs.get(found.sha256, conn)
        if found is None or data is None:
            raise NotFound(kind="attachment", name=name, hint=f"of {label(submission_id)}")
        return found, data

    # ---- helpers ------------------------------------------------------------------------------
    def require_office(self, what: str) -> None:
        """Refuse ``what`` (an administrative command) unless this engine acts for the office."""
        if not self.viewer.is_office:
            raise PermissionDenied(
                case=None,
                actor=str(self.viewer),
                action=what,
                reason=_("only the office (代表工作机构) may do this"),
            )

    def _who(self) -> str:
        """Who acts, as a submission's events record it (``deputy:NAME (录入 office)`` when the office keyed it
        in for them)."""
        return self.viewer.recorded

    def _proposer(self, deputy: str | None) -> str:
        if self.viewer.kind is ActorKind.DEPUTY:
            assert self.viewer.name is not None
            if deputy is not None and deputy.strip() != self.viewer.name:
                raise PermissionDenied(
                    case=None,
                    actor=str(self.viewer),
                    action="propose",
                    reason=_("a deputy proposes as themself, not as deputy:{deputy}").format(deputy=deputy),
                )
            return self.viewer.name
        if self.viewer.kind is ActorKind.UNIT:
            raise PermissionDenied(
                case=None, actor=str(self.viewer), action="propose", reason=_("deputies propose suggestions")
            )
        if deputy is None or not deputy.strip():
            raise ValidationError(
                _("the office proposes for a deputy: name the lead deputy"), fields=("deputy",)
            )
        return deputy.strip()

    def _view(self, submission_id: int) -> SubmissionView:
        with self.db.reading() as conn:
            row = _store.read(conn, self.congress_id, submission_id)
            assert row is not None
            return _store.view(conn, self.directory, [row])[0]

    def _visible(self, conn: Connection, submission_id: int) -> dict[str, Any]:
        """The submission's row, when the viewer may see it (else "not found", as for one that does not exist)."""
        row = _store.find(conn, self.congress_id, submission_id)
        mine = row is not None and (
            self.viewer.is_office
            or (
                self.viewer.kind is ActorKind.DEPUTY
                and row["deputy_id"] == self.directory.deputy_id(conn, self.viewer.name or "")
            )
        )
        if row is None or not mine:
            raise NotFound(
                kind="网上建议", name=f"#{submission_id}", hint=_("list them with `jianyi submission list`")
            )
        return row

    def _pending(self, conn: Connection, submission_id: int, action: str, at: datetime) -> dict[str, Any]:
        row = self._visible(conn, submission_id)
        status = SubmissionStatus(row["status"])
        if status is not SubmissionStatus.PENDING:
            raise SubmissionClosed(submission_id=submission_id, status=status, action=action)
        if at < row["submitted_at"]:
            raise ValidationError(
                _(
                    "{value}: '{action}' at {at} comes before its submission ({date}); give a later --at"
                ).format(
                    value=label(submission_id),
                    action=action,
                    at=at.isoformat(),
                    date=row["submitted_at"].isoformat(),
                )
            )
        return row

    def _closed(self, conn: Connection, submission_id: int, action: str) -> SubmissionClosed:
        row = _store.find(conn, self.congress_id, submission_id)
        assert row is not None
        return SubmissionClosed(
            submission_id=submission_id, status=SubmissionStatus(row["status"]), action=action
        )

    def _settle(
        self,
        submission_id: int,
        status: SubmissionStatus,
        action: str,
        reason: str | None,
        at: datetime | None,
    ) -> SubmissionView:
        """Decline or withdraw: one compare-and-set, its event, and (declined) the deputy's notice. A unit, which
        sees no submission, finds none (:meth:`_visible`)."""
        at, now = self.pipeline.when(at)
        with self.db.transaction() as conn:
            row = self._pending(conn, submission_id, action, at)
            if not _store.settle(conn, submission_id, status, at=at, reason=reason):
                raise self._closed(conn, submission_id, action)
            data = {} if reason is None else {"reason": reason}
            _store.add_event(conn, submission_id, at=at, actor=self._who(), action=action, data=data)
            if status is SubmissionStatus.DECLINED and self.pipeline.notices:
                deputy = self.directory.deputy_name(conn, row["deputy_id"])
                payload = {
                    "deputy": deputy,
                    "title": row["title"],
                    "reason": reason,
                    "submission": submission_id,
                }
                key = f"submission:{submission_id}:submission_declined:deputy:{row['deputy_id']}"
                notice = outbox_row(
                    key, None, "submission_declined", "deputy", row["deputy_id"], payload, now
                )
                _store.notify(conn, notice)
        return self._view(submission_id)
