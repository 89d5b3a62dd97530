"""The office's queue and dashboard queries: hand-back requests waiting for a decision, and the counts by
state and field."""

from __future__ import annotations

import pytest

from workflow import Actor
from workflow.core.errors import PermissionDenied
from workflow.engine import Engine
from workflow.testing import DEFAULT_SESSION

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-memory", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def test_pending_returns_lists_requests_waiting_for_a_decision_oldest_first(engine: Engine) -> None:
    """Requests refused (or not yet made) are left out; each names case, unit and reason."""
    for number in ("0001", "0002"):
        engine.submit(number, title=f"建议{number}", deputy="张三")
        engine.assign(number, main="市交通运输局")
    unit = engine.acting(Actor.unit("市交通运输局"))
    unit.request_return("0002", reason="不属于本单位职责")
    unit.request_return("0001", reason="应由财政部门办理")
    engine.refuse_return("0002", reason="属于本单位职责")
    waiting = engine.pending_returns()
    assert [(r.number, r.session, r.title, r.unit, r.reason) for r in waiting] == [
        ("0001", DEFAULT_SESSION, "建议0001", "市交通运输局", "应由财政部门办理")
    ]
    with pytest.raises(PermissionDenied):
        unit.pending_returns()


def test_tally_counts_the_session_by_state_and_field(engine: Engine) -> None:
    """(state, field) → cases; a case without a field counts under None."""
    engine.submit("0001", title="甲", deputy="张三", field="交通")
    engine.submit("0002", title="乙", deputy="张三", field="交通")
    engine.submit("0003", title="丙", deputy="张三")
    engine.assign("0001", main="市交通运输局")
    assert engine.tally() == {("assigned", "交通"): 1, ("submitted", "交通"): 1, ("submitted", None): 1}
    with pytest.raises(PermissionDenied):
        engine.acting(Actor.deputy("张三")).tally()
