"""Loading rule sets from TOML: parse, resolve ``extends``, validate, report every problem at once."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rules.errors import Problem, RuleSetInvalid
from rules.model import RuleSet, YearSchedule

__all__ = [
    "default_ruleset",
    "load_ruleset",
    "load_schedule",
    "parse_ruleset",
    "profile_ids",
    "ruleset_from_data",
]

_MAX_EXTENDS = 8


def _profiles() -> dict[str, str]:
    folder = resources.files("rules") / "profiles"
    found: dict[str, str] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            found[entry.name.removesuffix(".toml")] = entry.read_text(encoding="utf-8")
    return found


def profile_ids() -> list[str]:
    """The ids of the rule sets shipped with jianyi."""
    return sorted(_profiles())


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetInvalid(source=source, problems=[Problem("", f"not valid TOML: {exc}")]) from None


def _resolve(data: dict[str, Any], source: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise RuleSetInvalid(source=source, problems=[Problem("extends", "must be a profile id (a string)")])
    profiles = _profiles()
    if parent not in profiles:
        known = ", ".join(sorted(profiles))
        raise RuleSetInvalid(
            source=source, problems=[Problem("extends", f"unknown profile {parent!r} (known: {known})")]
        )
    if parent in seen or len(seen) >= _MAX_EXTENDS:
        chain = " → ".join((*seen, parent))
        raise RuleSetInvalid(source=source, problems=[Problem("extends", f"circular or too deep: {chain}")])
    base = _resolve(_toml(profiles[parent], f"profile {parent}"), f"profile {parent}", (*seen, parent))
    base = {k: v for k, v in base.items() if k not in {"id", "version", "name", "effective"}}
    return _merge(base, data)


def ruleset_from_data(data: Mapping[str, Any], source: str = "<data>") -> RuleSet:
    """Validate already-resolved data (e.g. a stored rule set) into a :class:`RuleSet`."""
    try:
        return RuleSet.model_validate(dict(data))
    except ValidationError as exc:
        raise RuleSetInvalid(source=source, problems=_problems(exc)) from None


def parse_ruleset(text: str, source: str = "<string>") -> RuleSet:
    """Parse TOML text into a validated rule set, resolving ``extends`` against the shipped profiles."""
    return ruleset_from_data(_resolve(_toml(text, source), source), source)


def load_ruleset(path: str | Path) -> RuleSet:
    """Load a rule file (TOML) or a shipped profile id."""
    path = Path(path)
    profiles = _profiles()
    if not path.exists() and str(path) in profiles:
        return parse_ruleset(profiles[str(path)], f"profile {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleSetInvalid(
            source=str(path), problems=[Problem("", f"cannot read: {exc.strerror}")]
        ) from None
    return parse_ruleset(text, str(path))


def default_ruleset() -> RuleSet:
    """The shipped national default rule set."""
    return load_ruleset("national")


def _problems(exc: ValidationError) -> list[Problem]:
    return [
        Problem(".".join(str(p) for p in err["loc"]), err["msg"].removeprefix("Value error, "))
        for err in exc.errors()
    ]


def load_schedule(path: str | Path) -> YearSchedule:
    """Load a year's official holiday schedule from TOML.

    ``year``, ``source``, ``workdays`` (make-up working days) and days off, given one by one in a
    ``[holidays]`` table (``"2027-01-01" = "元旦"``) and/or as breaks,
    ``breaks = [{ name = "春节", from = 2027-02-06, to = 2027-02-12 }]`` (every day of a break is a day off).
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleSetInvalid(source=source, problems=[Problem("", f"cannot read: {exc.strerror}")]) from None
    data = _toml(text, source)
    problems: list[Problem] = []
    holidays = dict(data.get("holidays", {}))
    for i, brk in enumerate(data.pop("breaks", [])):
        try:
            first, last, name = brk["from"], brk["to"], str(brk["name"])
            day = first
            if last < first:
                problems.append(Problem(f"breaks.{i}", f"runs backwards ({first} to {last})"))
            while day <= last:
                holidays[day.isoformat()] = name
                day = date.fromordinal(day.toordinal() + 1)
        except (KeyError, TypeError, AttributeError):
            problems.append(Problem(f"breaks.{i}", "needs name, from and to (dates)"))
    data["holidays"] = {str(k): v for k, v in holidays.items()}
    try:
        schedule = YearSchedule.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems(exc))
        schedule = None
    if problems or schedule is None:
        raise RuleSetInvalid(source=source, problems=problems)
    return schedule
