"""jianyi's workflow engine: the suggestion lifecycle, its database, audit trail and queries.

The public names load lazily, so that importing :mod:`workflow.states` (e.g. for command-line choices)
does not pull in the database stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules._lazy import lazy_exports

if TYPE_CHECKING:
    from workflow.audit import AuditProblem
    from workflow.clock import Clock, SystemClock, parse_instant
    from workflow.engine import AssignOrder, DeputyInfo, Engine, Promised, SessionInfo, UnitInfo
    from workflow.errors import (
        Conflict,
        NotFound,
        NotInitialised,
        PermissionDenied,
        TransitionNotAllowed,
        ValidationError,
        WorkflowError,
    )
    from workflow.states import Action, ContactMethod, ContactStage, DeadlineStatus, Role, State
    from workflow.views import Actor, Case, CaseEvent, Change, ConversionInfo, DeadlineInfo, HistoryEntry

__all__ = [
    "Action",
    "Actor",
    "AssignOrder",
    "AuditProblem",
    "Case",
    "CaseEvent",
    "Change",
    "Clock",
    "Conflict",
    "ContactMethod",
    "ContactStage",
    "ConversionInfo",
    "DeadlineInfo",
    "DeadlineStatus",
    "DeputyInfo",
    "Engine",
    "HistoryEntry",
    "NotFound",
    "NotInitialised",
    "PermissionDenied",
    "Promised",
    "Role",
    "SessionInfo",
    "State",
    "SystemClock",
    "TransitionNotAllowed",
    "UnitInfo",
    "ValidationError",
    "WorkflowError",
    "parse_instant",
]

_WHERE = {
    "AuditProblem": "workflow.audit",
    "Clock": "workflow.clock",
    "SystemClock": "workflow.clock",
    "parse_instant": "workflow.clock",
    "AssignOrder": "workflow.engine",
    "DeputyInfo": "workflow.engine",
    "Engine": "workflow.engine",
    "Promised": "workflow.engine",
    "SessionInfo": "workflow.engine",
    "UnitInfo": "workflow.engine",
    "Conflict": "workflow.errors",
    "NotFound": "workflow.errors",
    "NotInitialised": "workflow.errors",
    "PermissionDenied": "workflow.errors",
    "TransitionNotAllowed": "workflow.errors",
    "ValidationError": "workflow.errors",
    "WorkflowError": "workflow.errors",
    "Action": "workflow.states",
    "ContactMethod": "workflow.states",
    "ContactStage": "workflow.states",
    "DeadlineStatus": "workflow.states",
    "Role": "workflow.states",
    "State": "workflow.states",
    "Actor": "workflow.views",
    "Case": "workflow.views",
    "ConversionInfo": "workflow.views",
    "CaseEvent": "workflow.views",
    "Change": "workflow.views",
    "DeadlineInfo": "workflow.views",
    "HistoryEntry": "workflow.views",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
