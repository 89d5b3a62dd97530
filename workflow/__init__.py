"""jianyi's workflow engine: the suggestion lifecycle, its database, audit trail and queries.

The public names load lazily, so that importing :mod:`workflow.core.states` (e.g. for command-line choices)
does not pull in the database stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules._lazy import lazy_exports

if TYPE_CHECKING:
    from workflow.core.anchor import Anchor
    from workflow.core.attachments import Attachment, AttachmentDamaged, AttachmentInfo, AttachmentSettings
    from workflow.core.audit import AuditProblem
    from workflow.core.clock import Clock, SystemClock, parse_instant
    from workflow.core.dossier import Dossier
    from workflow.core.errors import (
        Conflict,
        NotFound,
        NotInitialised,
        NumberTaken,
        PermissionDenied,
        TransitionNotAllowed,
        ValidationError,
        WorkflowError,
    )
    from workflow.core.states import Action, ContactMethod, ContactStage, DeadlineStatus, Role, State
    from workflow.core.submissions import SubmissionClosed, SubmissionStatus, SubmissionView
    from workflow.core.views import (
        Actor,
        AuditReport,
        Case,
        CaseEvent,
        CasePage,
        Change,
        ConversionInfo,
        DeadlineInfo,
        HistoryEntry,
    )
    from workflow.engine import (
        AssignOrder,
        DeputyInfo,
        DirectoryEdit,
        Engine,
        Promised,
        SessionInfo,
        UnitInfo,
    )

__all__ = [
    "Action",
    "Actor",
    "Anchor",
    "AssignOrder",
    "Attachment",
    "AttachmentDamaged",
    "AttachmentInfo",
    "AttachmentSettings",
    "AuditProblem",
    "AuditReport",
    "Case",
    "CaseEvent",
    "CasePage",
    "Change",
    "Clock",
    "Conflict",
    "ContactMethod",
    "ContactStage",
    "ConversionInfo",
    "DeadlineInfo",
    "DeadlineStatus",
    "DeputyInfo",
    "DirectoryEdit",
    "Dossier",
    "Engine",
    "HistoryEntry",
    "NotFound",
    "NotInitialised",
    "NumberTaken",
    "PermissionDenied",
    "Promised",
    "Role",
    "SessionInfo",
    "State",
    "SubmissionClosed",
    "SubmissionStatus",
    "SubmissionView",
    "SystemClock",
    "TransitionNotAllowed",
    "UnitInfo",
    "ValidationError",
    "WorkflowError",
    "parse_instant",
]

_WHERE = {
    "Anchor": "workflow.core.anchor",
    "AuditProblem": "workflow.core.audit",
    "Attachment": "workflow.core.attachments",
    "AttachmentDamaged": "workflow.core.attachments",
    "AttachmentInfo": "workflow.core.attachments",
    "AttachmentSettings": "workflow.core.attachments",
    "Clock": "workflow.core.clock",
    "SystemClock": "workflow.core.clock",
    "parse_instant": "workflow.core.clock",
    "AssignOrder": "workflow.engine",
    "DeputyInfo": "workflow.engine",
    "DirectoryEdit": "workflow.engine",
    "Engine": "workflow.engine",
    "Promised": "workflow.engine",
    "SessionInfo": "workflow.engine",
    "UnitInfo": "workflow.engine",
    "Dossier": "workflow.core.dossier",
    "Conflict": "workflow.core.errors",
    "NotFound": "workflow.core.errors",
    "NotInitialised": "workflow.core.errors",
    "NumberTaken": "workflow.core.errors",
    "PermissionDenied": "workflow.core.errors",
    "TransitionNotAllowed": "workflow.core.errors",
    "ValidationError": "workflow.core.errors",
    "WorkflowError": "workflow.core.errors",
    "Action": "workflow.core.states",
    "ContactMethod": "workflow.core.states",
    "ContactStage": "workflow.core.states",
    "DeadlineStatus": "workflow.core.states",
    "Role": "workflow.core.states",
    "State": "workflow.core.states",
    "SubmissionClosed": "workflow.core.submissions",
    "SubmissionStatus": "workflow.core.submissions",
    "SubmissionView": "workflow.core.submissions",
    "Actor": "workflow.core.views",
    "AuditReport": "workflow.core.views",
    "Case": "workflow.core.views",
    "ConversionInfo": "workflow.core.views",
    "CaseEvent": "workflow.core.views",
    "CasePage": "workflow.core.views",
    "Change": "workflow.core.views",
    "DeadlineInfo": "workflow.core.views",
    "HistoryEntry": "workflow.core.views",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
