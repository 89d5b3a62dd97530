"""Errors raised by the workflow engine.

Every message names the case, the state, what was attempted and what to do. Tree::

    WorkflowError
    ├── NotFound (LookupError)       a case, unit, deputy, session or congress that does not exist
    ├── TransitionNotAllowed         an action the case's state does not allow
    ├── PermissionDenied             an actor acting outside their part
    ├── Conflict                     another writer changed the case first: reload and retry
    │   └── BatchConflict            the same, for a batch (assignment meeting, recomputation)
    ├── ValidationError (ValueError) input that cannot be accepted as given
    │   └── NumberTaken              a case number the session already holds
    └── NotInitialised               a database without jianyi's schema (run `jianyi init`)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rules.i18n import _, language
from workflow.core.states import action_word, state_word

__all__ = [
    "LISTED",
    "RENAMED",
    "BatchConflict",
    "Conflict",
    "NotAuthenticated",
    "NotFound",
    "NotInitialised",
    "NumberTaken",
    "PermissionDenied",
    "TransitionNotAllowed",
    "ValidationError",
    "WorkflowError",
    "kind_word",
    "nearest",
    "visible",
]


def visible(text: str) -> str:
    """``text`` as it may be echoed to a terminal or a log: its control characters (escape codes, line breaks,
    direction marks) written as escapes, on one line."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text
    )


def _case(case: str | None) -> str:
    # a label is echoed: never a raw control character
    return _("建议 {case}: ").format(case=visible(case)) if case else ""


# what NotFound names, in the offices' words
_KINDS = {
    "unit": "承办单位",
    "current session": "当前会次",
    "deputy": "代表",
    "session": "会次",
    "congress": "人大",
    "user": "账号",
    "attachment": "附件",
    "outbox notice": "通知",
    "page": "页面",
    "rule set": "规则",
}


def kind_word(kind: str) -> str:
    """What a kind of record (``unit``, ``deputy``, ``session``…) is called in the current language."""
    return _kind(kind)


def _kind(kind: str) -> str:
    return kind if language() == "en" else _KINDS.get(kind, kind)


class WorkflowError(Exception):
    """Root of every error the engine raises on purpose.

    ``fields``: the inputs a refusal asks for or finds wrong, by the names the Python API and the JSON API give
    them (``reason``, ``unit``, ``without_opinion``); the message says what is wanted in words, and each face
    names the inputs its own way (the command line appends its options, ``(--reason)``; the JSON API answers
    them as ``fields``; a page shows the line above its form)."""

    fields: tuple[str, ...] = ()


# how the English hint of a name looked up after a rename begins ("renamed to 'NEW' on DATE");
# NotFound.renamed tells it in any language
RENAMED = "renamed to "


class NotFound(WorkflowError, LookupError):
    """Something named does not exist."""

    def __init__(self, *, kind: str, name: str, hint: str = "", renamed: bool = False) -> None:
        self.kind, self.name, self.hint = kind, name, hint
        self.renamed = renamed  # the name is an old one: the hint says what it was renamed to
        message = _("{kind} {name!r} not found").format(kind=_kind(kind), name=name)
        super().__init__(message + (_(" ({hint})").format(hint=hint) if hint else ""))


class TransitionNotAllowed(WorkflowError):
    """The action is not allowed in the case's state, or a condition of the table refused it."""

    def __init__(
        self,
        *,
        case: str,
        state: str,
        action: str,
        allowed: Iterable[str] = (),
        reason: str = "",
        fields: Iterable[str] = (),
    ) -> None:
        self.case, self.state, self.action = case, state, action
        self.allowed = tuple(allowed)
        self.reason = reason
        self.fields = tuple(fields)
        if reason:
            detail = reason
        elif self.allowed:
            detail = _("allowed: {actions}").format(
                actions=_(", ").join(action_word(a) for a in self.allowed)
            )
        else:
            detail = _("no action is allowed any more")
        message = _("cannot '{action}' while '{state}' ({detail})")
        super().__init__(
            _case(case) + message.format(action=action_word(action), state=state_word(state), detail=detail)
        )


class PermissionDenied(WorkflowError):
    """The actor may not do this to this case."""

    def __init__(self, *, case: str | None, actor: str, action: str, reason: str) -> None:
        self.case, self.actor, self.action = case, actor, action
        message = _("{actor} may not '{action}': {reason}")
        super().__init__(_case(case) + message.format(actor=actor, action=action_word(action), reason=reason))


class Conflict(WorkflowError):
    """Another writer changed the case between reading and writing it."""

    def __init__(self, *, case: str, expected: int, found: int | None = None) -> None:
        self.case, self.expected, self.found = case, expected, found
        seen = _(", it is now at version {found}").format(found=found) if found is not None else ""
        message = _("changed by someone else (expected version {expected}{seen}); reload the case and retry")
        super().__init__(_case(case) + message.format(expected=expected, seen=seen))


class BatchConflict(Conflict):
    """A batch found fewer cases at their expected versions than it read: nothing of it was written."""

    def __init__(self, *, what: str, expected: int, found: int) -> None:
        WorkflowError.__init__(
            self,
            _(
                "{what}: {expected} case(s) were to change but only {found} were still as read; "
                "nothing of the batch was written; run it again"
            ).format(what=what, expected=expected, found=found),
        )
        self.case, self.expected, self.found = what, expected, found


LISTED = 100  # problems a refusal's message lists; the others are counted (all are in ``problems``)


class ValidationError(WorkflowError, ValueError):
    """Input that cannot be accepted as given; nothing was written. The message lists the first :data:`LISTED`
    problems and counts the others; :attr:`problems` holds them all, or, when the caller kept only the first of
    very many, those and :attr:`more` counts the rest."""

    def __init__(
        self,
        message: str,
        *,
        case: str | None = None,
        problems: Iterable[str] = (),
        more: int = 0,
        fields: Iterable[str] = (),
    ) -> None:
        self.case = case
        self.fields = tuple(fields)
        self.problems = tuple(problems)
        self.more = more
        extra = "".join(f"\n  - {p}" for p in self.problems[:LISTED])
        if len(self.problems) + more > LISTED:
            extra += "\n  - " + _("… and {count:,} more").format(count=len(self.problems) + more - LISTED)
        super().__init__(f"{_case(case)}{message}{extra}")


class NumberTaken(ValidationError):
    """A case number the session already holds (numbers are unique within a session); nothing was written."""


class NotInitialised(WorkflowError):
    """The database has no jianyi schema, or an older one."""

    def __init__(self, *, url: str, detail: str) -> None:
        message = _("database {url}: {detail}; run `jianyi init` to create or upgrade it")
        super().__init__(message.format(url=url, detail=detail))


def nearest(table: Mapping[type[Exception], int], exc: BaseException, default: int) -> int:
    """The value ``table`` gives the nearest class of ``exc``'s MRO it lists (``default`` when none): the one
    lookup behind the command line's exit codes and the web's HTTP statuses."""
    for kind in type(exc).__mro__:
        if issubclass(kind, Exception) and kind in table:
            return table[kind]
    return default


class NotAuthenticated(WorkflowError):
    """A sign-in was refused: unknown name, wrong password or a disabled account (said alike, so that a guess
    learns nothing about which)."""

    def __init__(self) -> None:
        super().__init__(_("name or password not accepted"))
