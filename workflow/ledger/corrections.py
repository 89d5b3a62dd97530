"""How an exported history reads corrections: a case submitted as it was before its amendments, and units and
deputies renamed since named as they are called now (the import finds them by those names)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workflow.core.states import Action

__all__ = ["actor_now", "as_submitted", "names_now"]

_UNIT_NAMES, _DEPUTY_NAMES = ("unit", "main", "co", "split", "units"), ("deputy", "co_signers")


def names_now(data: dict[str, Any], renamed: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """An event's data with the names of units and deputies renamed since as they are called now."""
    if not renamed["unit"] and not renamed["deputy"]:
        return data

    def now(kind: str, value: Any) -> Any:
        if isinstance(value, str):
            return renamed[kind].get(value, value)
        if isinstance(value, list):
            return [now(kind, v) for v in value]
        return value

    found = dict(data)
    for kind, keys in (("unit", _UNIT_NAMES), ("deputy", _DEPUTY_NAMES)):
        for key in keys:
            if key in found:
                found[key] = now(kind, found[key])
    if isinstance(found.get("without_opinion"), dict):
        found["without_opinion"] = {now("unit", k): v for k, v in found["without_opinion"].items()}
    return found


def actor_now(actor: str, renamed: Mapping[str, Mapping[str, str]]) -> str:
    """An actor (``unit:NAME``, ``deputy:NAME``) as the unit or deputy is called now."""
    kind, _, name = actor.partition(":")
    if name and kind in renamed and name in renamed[kind]:
        return f"{kind}:{renamed[kind][name]}"
    return actor


def as_submitted(events: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """The case's own data as submitted, of the columns amendments changed since: each one's value before the
    first amendment of it."""
    found: dict[str, Any] = {}
    for *_, action, data in events:
        if action == Action.AMEND.value:
            for column, change in data.get("changed", {}).items():
                found.setdefault(column, change.get("from"))
    return found
