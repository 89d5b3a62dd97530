"""Loading rule sets from TOML: parse, resolve ``extends``, validate, report every problem at once.

Text files are read by :func:`read_text`, which takes what the offices' editors save: UTF-8 (with or without a
BOM), UTF-16 with a BOM (Notepad's "Unicode") and GB18030, the superset of GBK and GB2312 that Chinese Windows
calls "ANSI".
"""

from __future__ import annotations

import codecs
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rules.calendar import library_notice_years
from rules.errors import Problem, RuleError, RuleSetInvalid
from rules.i18n import _
from rules.model import RuleSet, YearSchedule

__all__ = [
    "ENCODINGS",
    "TextUnreadable",
    "decode_text",
    "default_ruleset",
    "load_ruleset",
    "load_schedule",
    "parse_ruleset",
    "profile_ids",
    "read_text",
    "ruleset_from_data",
    "text_encoding",
]

_MAX_EXTENDS = 8
ENCODINGS = "UTF-8, UTF-16 with a BOM, GB18030/GBK"
# C0 controls other than tab, line feed, form feed and carriage return: what UTF-16 without a BOM (or a file
# that is not text) turns into when read as GB18030
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


class TextUnreadable(RuleError):
    """A file that is not text in any encoding :func:`decode_text` reads."""

    def __init__(self, *, source: str) -> None:
        self.source = source
        super().__init__(f"{source}: not text in {ENCODINGS}: save it as UTF-8")


def decode_text(data: bytes, source: str) -> str:
    """``data`` as text: UTF-8 (a BOM taken off), UTF-16 after its BOM, else GB18030 when it decodes cleanly.

    UTF-8 is tried before GB18030, so a UTF-8 file is never read as anything else; GB18030 (a superset of GBK
    and GB2312) is what Excel and Notepad on Chinese Windows save; it is taken only when the bytes decode
    without a control character other than white space (UTF-16 without its BOM reads as GB18030 full of
    them). Raises :class:`TextUnreadable` naming ``source`` when none fits.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16")
    elif data.startswith(codecs.BOM_UTF8):
        text = _decode(data, "utf-8-sig")
    else:
        text = _decode(data, "utf-8")
        if text is None:
            text = _decode(data, "gb18030")
            if text is not None and _CONTROLS.search(text):
                text = None  # not GB18030 after all: UTF-16 without its BOM, or not text
    if text is None:
        raise TextUnreadable(source=source)
    return text


def _decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def text_encoding(path: str | Path) -> str:
    """The encoding :func:`decode_text` would read the file at ``path`` in, found by streaming its bytes through
    each candidate in turn (a file of any size in little memory): open it with ``encoding=`` this to read it a
    line at a time. Raises :class:`TextUnreadable` when none fits, :class:`OSError` when it cannot be read."""
    path = Path(path)
    with path.open("rb") as f:
        start = f.read(3)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif start.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        if _decodes(path, encoding, controls=encoding == "gb18030"):
            return encoding
    raise TextUnreadable(source=str(path))


def _decodes(path: Path, encoding: str, *, controls: bool) -> bool:
    """Whether the file at ``path`` decodes in ``encoding`` (and, with ``controls``, without a control character
    other than white space), read a megabyte at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                if _CONTROLS.search(decoder.decode(chunk)) and controls:
                    return False
        return not (_CONTROLS.search(decoder.decode(b"", final=True)) and controls)
    except UnicodeDecodeError:
        return False


def read_text(path: str | Path) -> str:
    """The text of the file at ``path`` (:func:`decode_text`); :class:`OSError` when it cannot be read."""
    return decode_text(Path(path).read_bytes(), str(path))


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
        raise RuleSetInvalid(
            source=source, problems=[Problem("", _("not valid TOML: {exc}").format(exc=exc))]
        ) from None


def _resolve(data: dict[str, Any], source: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise RuleSetInvalid(
            source=source, problems=[Problem("extends", _("must be a profile id (a string)"))]
        )
    profiles = _profiles()
    if parent not in profiles:
        known = ", ".join(sorted(profiles))
        raise RuleSetInvalid(
            source=source,
            problems=[
                Problem(
                    "extends",
                    _("unknown profile {parent!r} (known: {known})").format(parent=parent, known=known),
                )
            ],
        )
    if parent in seen or len(seen) >= _MAX_EXTENDS:
        chain = " → ".join((*seen, parent))
        raise RuleSetInvalid(
            source=source,
            problems=[Problem("extends", _("circular or too deep: {chain}").format(chain=chain))],
        )
    base = _resolve(_toml(profiles[parent], f"profile {parent}"), f"profile {parent}", (*seen, parent))
    base = {k: v for k, v in base.items() if k not in {"id", "version", "name", "effective"}}
    merged = _merge(base, data)
    # a profile's official years add to its parent's (it names the notices it has, never fewer)
    inherited = base.get("calendar", {}).get("official_years")
    own = (
        data.get("calendar", {}).get("official_years") if isinstance(data.get("calendar"), Mapping) else None
    )
    if isinstance(inherited, list) and isinstance(own, list):
        merged["calendar"]["official_years"] = [*inherited, *own]
    return merged


def ruleset_from_data(data: Mapping[str, Any], source: str = "<data>") -> RuleSet:
    """Validate already-resolved data (e.g. a stored rule set) into a :class:`RuleSet`."""
    try:
        return RuleSet.model_validate(dict(data))
    except ValidationError as exc:
        raise RuleSetInvalid(source=source, problems=_problems(exc)) from None


def parse_ruleset(text: str, source: str = "<string>") -> RuleSet:
    """Parse TOML text into a validated rule set, resolving ``extends`` against the shipped profiles."""
    rs = ruleset_from_data(_resolve(_toml(text, source), source), source)
    _check_official_years(rs, source)
    return rs


def _check_official_years(rs: RuleSet, source: str) -> None:
    """A year is official only with its State Council notice at hand: in the library, among the rule set's
    schedules, or as its own days off and make-up days; otherwise its deadlines would silently stop being
    marked provisional. (Checked where a rule file comes in; a rule set stored before is read as it is.)"""
    cal = rs.calendar
    given = set(cal.schedules) | {d.year for d in cal.extra_holidays} | {d.year for d in cal.extra_workdays}
    bare = [y for y in cal.official_years if y not in library_notice_years() and y not in given]
    if bare:
        message = (
            f"names {', '.join(map(str, bare))}, whose notice (放假调休安排) neither the library nor this rule set "
            "gives: add its days (extra_holidays, extra_workdays) or load it with `jianyi calendar load`"
        )
        raise RuleSetInvalid(source=source, problems=[Problem("calendar.official_years", message)])


def load_ruleset(path: str | Path) -> RuleSet:
    """Load a rule file (TOML) or a shipped profile id."""
    path = Path(path)
    profiles = _profiles()
    if not path.exists() and str(path) in profiles:
        return parse_ruleset(profiles[str(path)], f"profile {path}")
    return parse_ruleset(_read(path), str(path))


def _read(path: str | Path) -> str:
    """A rule file's text (:func:`read_text`), or the rule set refused naming the file."""
    try:
        return read_text(path)
    except OSError as exc:
        raise RuleSetInvalid(
            source=str(path),
            problems=[Problem("", _("cannot read: {strerror}").format(strerror=exc.strerror))],
        ) from None
    except TextUnreadable:
        problem = Problem("", _("not text in {ENCODINGS}: save it as UTF-8").format(ENCODINGS=ENCODINGS))
        raise RuleSetInvalid(source=str(path), problems=[problem]) from None


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
    data = _toml(_read(path), source)
    problems: list[Problem] = []
    holidays = dict(data.get("holidays", {}))
    for i, brk in enumerate(data.pop("breaks", [])):
        try:
            first, last, name = brk["from"], brk["to"], str(brk["name"])
            day = first
            if last < first:
                problems.append(
                    Problem(
                        f"breaks.{i}", _("runs backwards ({first} to {last})").format(first=first, last=last)
                    )
                )
            while day <= last:
                holidays[day.isoformat()] = name
                day = date.fromordinal(day.toordinal() + 1)
        except (KeyError, TypeError, AttributeError):
            problems.append(Problem(f"breaks.{i}", _("needs name, from and to (dates)")))
    data["holidays"] = {str(k): v for k, v in holidays.items()}
    try:
        schedule = YearSchedule.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems(exc))
        schedule = None
    if problems or schedule is None:
        raise RuleSetInvalid(source=source, problems=problems)
    return schedule
