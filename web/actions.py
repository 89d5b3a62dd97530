"""Acting on a case: ``POST /api/cases/{session}/{number}/{action}``, one route per action, each with its
arguments as a JSON body validated by its own model (dates ISO 8601; ``at``, when it happened, optional and
with its offset; ``expected_version`` refuses the action with 409 when the case changed since it was read).

Each runs as the signed-in account (the engine acting for it scopes and checks it) and answers with the
:class:`~workflow.core.views.Change` as JSON.
"""

from __future__ import annotations

import base64
import binascii
import inspect
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from rules.i18n import _
from web.auth import Caller, signed_in
from workflow.core.attachments import Attachment
from workflow.core.views import Change
from workflow.engine import Engine, Promised

__all__ = ["ACTIONS", "router"]


class _Body(BaseModel):
    """What every action takes."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = Field(
        default=None, description="when it happened (ISO 8601 with offset); default now"
    )

    def run(self, engine: Engine, number: str, session: str) -> Change:
        raise NotImplementedError  # pragma: no cover


class _Versioned(_Body):
    expected_version: int | None = Field(default=None, description="refuse with 409 unless the case is at it")

    def common(self, session: str) -> dict[str, Any]:
        return {"at": self.at, "session": session, "expected_version": self.expected_version}


class File(BaseModel):
    """An attached file: its name and its bytes in base64."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    content_base64: str

    @field_validator("content_base64")
    @classmethod
    def _decodes(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(_("not base64")) from None
        return value

    def attachment(self) -> Attachment:
        return Attachment(self.name, base64.b64decode(self.content_base64))


class PromiseItem(BaseModel):
    """A promised item of a B answer."""

    model_config = ConfigDict(extra="forbid")

    text: str
    due: date


class Submit(_Body):
    title: str
    deputy: str
    co_signers: list[str] = []
    content: str = ""
    field: str | None = None
    between_sessions: bool = False
    confidential: bool = False

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.submit(
            number,
            title=self.title,
            deputy=self.deputy,
            co_signers=self.co_signers,
            content=self.content,
            field=self.field,
            between_sessions=self.between_sessions,
            confidential=self.confidential,
            at=self.at,
            session=session,
        )


class Assign(_Versioned):
    main: str | None = None
    co: list[str] = []
    split: list[str] = []
    key: bool = False
    complex: bool = False

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.assign(
            number, main=self.main, co=self.co, split=self.split, key=self.key, complex=self.complex,
            **self.common(session),
        )  # fmt: skip


class RequestReturn(_Versioned):
    reason: str
    unit: str | None = None

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.request_return(number, unit=self.unit, reason=self.reason, **self.common(session))


class RefuseReturn(_Versioned):
    reason: str
    unit: str | None = None

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.refuse_return(number, unit=self.unit, reason=self.reason, **self.common(session))


class Receive(_Versioned):
    """A unit signs for its assignment (签收); the office names the unit, a unit signs for itself."""

    unit: str | None = None

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.receive(number, unit=self.unit, **self.common(session))


class Reassign(_Versioned):
    main: str | None = None
    co: list[str] = []
    split: list[str] = []
    reason: str = ""

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.reassign(
            number, main=self.main, co=self.co, split=self.split, reason=self.reason, **self.common(session)
        )


class Extend(_Versioned):
    reason: str

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.extend(number, reason=self.reason, **self.common(session))


class RequestExtension(_Versioned):
    """The main unit asks for the extended answer period (申请延期), with reasons."""

    reason: str
    unit: str | None = None

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.request_extension(number, unit=self.unit, reason=self.reason, **self.common(session))


class ApproveExtension(_Versioned):
    """The office approves the pending extension request (as ``extend``); a blank reason takes the request's."""

    reason: str = ""

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.approve_extension(number, reason=self.reason, **self.common(session))


class ApproveAnswer(_Versioned):
    """The office approves the answer waiting for its review (答复审核): it reaches the deputy."""

    unit: str | None = None
    note: str = ""

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.approve_answer(number, unit=self.unit, note=self.note, **self.common(session))


class ReturnAnswer(_Versioned):
    """The office returns the answer waiting for its review, with the reason; the unit answers again."""

    reason: str
    unit: str | None = None

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.return_answer(number, reason=self.reason, unit=self.unit, **self.common(session))


class RefuseExtension(_Versioned):
    """The office refuses the pending extension request, with reasons."""

    reason: str

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.refuse_extension(number, reason=self.reason, **self.common(session))


class Opinion(_Versioned):
    text: str
    unit: str | None = None
    attachments: list[File] = []

    def run(self, engine: Engine, number: str, session: str) -> Change:
        files = [f.attachment() for f in self.attachments]
        return engine.opinion(
            number, text=self.text, unit=self.unit, attachments=files, **self.common(session)
        )


class Contact(_Versioned):
    method: str
    unit: str | None = None
    note: str = ""
    stage: str | None = None

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.contact(
            number,
            method=self.method,
            unit=self.unit,
            note=self.note,
            stage=self.stage,
            **self.common(session),
        )


class Answer(_Versioned):
    category: str
    text: str
    unit: str | None = None
    promises: list[PromiseItem] = []
    without_opinion: dict[str, str] = {}
    attachments: list[File] = []

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.answer(
            number,
            category=self.category,
            text=self.text,
            unit=self.unit,
            promises=[Promised(p.text, p.due) for p in self.promises],
            without_opinion=self.without_opinion,
            attachments=[f.attachment() for f in self.attachments],
            **self.common(session),
        )


class Feedback(_Versioned):
    rating: str
    comment: str = ""
    attitude: str | None = None
    result: str | None = None

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.feedback(
            number, rating=self.rating, comment=self.comment, attitude=self.attitude, result=self.result,
            **self.common(session),
        )  # fmt: skip


class Rehandle(_Versioned):
    reason: str = ""

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.rehandle(number, reason=self.reason, **self.common(session))


class Close(_Versioned):
    reason: str = ""

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.close(number, reason=self.reason, **self.common(session))


class Convert(_Versioned):
    to: str
    evidence: str
    attachments: list[File] = []

    def run(self, engine: Engine, number: str, session: str) -> Change:
        files = [f.attachment() for f in self.attachments]
        return engine.convert(
            number, to=self.to, evidence=self.evidence, attachments=files, **self.common(session)
        )


class Progress(_Versioned):
    note: str

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.progress(number, note=self.note, **self.common(session))


class Withdraw(_Versioned):
    reason: str

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.withdraw(number, reason=self.reason, **self.common(session))


class Amend(_Versioned):
    reason: str
    title: str | None = None
    content: str | None = None
    field: str | None = None
    between_sessions: bool | None = None
    confidential: bool | None = None
    key: bool | None = None

    def run(self, engine: Engine, number: str, session: str) -> Change:
        return engine.amend(
            number,
            reason=self.reason,
            title=self.title,
            content=self.content,
            field=self.field,
            between_sessions=self.between_sessions,
            confidential=self.confidential,
            key=self.key,
            **self.common(session),
        )


# action name in the URL → its body model (the engine method it runs is the model's ``run``)
ACTIONS: dict[str, type[_Body]] = {
    "submit": Submit,
    "assign": Assign,
    "receive": Receive,
    "request_return": RequestReturn,
    "refuse_return": RefuseReturn,
    "reassign": Reassign,
    "extend": Extend,
    "request_extension": RequestExtension,
    "approve_extension": ApproveExtension,
    "refuse_extension": RefuseExtension,
    "opinion": Opinion,
    "contact": Contact,
    "answer": Answer,
    "approve_answer": ApproveAnswer,
    "return_answer": ReturnAnswer,
    "feedback": Feedback,
    "rehandle": Rehandle,
    "close": Close,
    "convert": Convert,
    "progress": Progress,
    "withdraw": Withdraw,
    "amend": Amend,
}

router = APIRouter(prefix="/api/cases", tags=["actions"])


def _endpoint(model: type[_Body]) -> Callable[..., dict[str, Any]]:
    """The route function of one action; its signature names ``model`` as the body, for validation and the
    OpenAPI document."""

    def act(session: str, number: str, body: _Body, caller: Caller) -> dict[str, Any]:
        return body.run(caller.engine, number, session).to_json()

    param = inspect.Parameter
    act.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            param("session", param.POSITIONAL_OR_KEYWORD, annotation=str),
            param("number", param.POSITIONAL_OR_KEYWORD, annotation=str),
            param("body", param.POSITIONAL_OR_KEYWORD, annotation=model),
            param("caller", param.POSITIONAL_OR_KEYWORD, annotation=Caller, default=Depends(signed_in)),
        ],
        return_annotation=dict[str, Any],
    )
    return act


for _name, _model in ACTIONS.items():
    router.add_api_route(
        f"/{{session}}/{{number}}/{_name}",
        _endpoint(_model),
        methods=["POST"],
        name=_name,
        summary=f"{_name.replace('_', ' ').capitalize()}",
        description=(_model.__doc__ or "") + f"\n\nRuns `Engine.{_name}` as the signed-in account.",
    )
