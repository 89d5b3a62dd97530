"""Rule sets as typed, validated data.

A rule set says how long each deadline runs and how it is counted, which calendar applies, and the
lifecycle settings that differ by region. It is plain data: the workflow engine pins a case to the rule
set (id and version) it was assigned under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.calendar import WorkCalendar
from rules.i18n import _
from rules.periods import Due, PeriodUnit, compute_due

__all__ = [
    "KINDS",
    "CalendarSettings",
    "DeadlineKind",
    "DeadlineRule",
    "KindInfo",
    "Ladder",
    "LadderStep",
    "LifecycleSettings",
    "MeasureSettings",
    "NoticeSettings",
    "Rating",
    "Recipient",
    "RuleSet",
    "StepTime",
    "YearSchedule",
]


class Rating(StrEnum):
    """A deputy's feedback on an answer."""

    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


RATING_LABELS: dict[str, str] = {
    "satisfied": "满意",
    "basic": "基本满意",
    "unsatisfied": "不满意",
}  # as offices write


class DeadlineKind(StrEnum):
    """The deadlines a case can owe."""

    RETURN_WINDOW = "return_window"  # a unit may ask to hand the case back (退办)
    CO_OPINION = "co_opinion"  # a co-unit's opinion to the main unit (会办意见)
    ANSWER = "answer"  # the main unit's answer (答复)
    FEEDBACK = "feedback"  # the deputy's feedback (代表意见)
    RE_ANSWER = "re_answer"  # the answer after re-handling is ordered (重新办理)
    PROMISE = "promise"  # each promised item of a B answer (承诺事项)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class KindInfo:
    """What a deadline kind means in the lifecycle: what may start it, what meets it, who owes it."""

    starts: tuple[str, ...]  # start events a rule may name; the first is the default
    met_by: str
    owed_by: str
    applies: str
    label: str  # the Chinese name notices and reports use


KINDS: dict[DeadlineKind, KindInfo] = {
    DeadlineKind.RETURN_WINDOW: KindInfo(
        ("assigned", "received"),
        "return (退办申请)",
        "each assigned unit",
        "always (a window, not an obligation)",
        "退办申请时限",
    ),
    DeadlineKind.CO_OPINION: KindInfo(
        ("assigned", "received"), "opinion", "each co-unit", "when there are co-units", "会办意见"
    ),
    DeadlineKind.ANSWER: KindInfo(
        ("assigned",),
        "answer",
        "the main unit, or each split unit",
        "always; complex_amount once extended",
        "答复",
    ),
    DeadlineKind.FEEDBACK: KindInfo(
        ("answered",), "feedback", "the lead deputy", "after the (last) answer", "代表意见反馈"
    ),
    DeadlineKind.RE_ANSWER: KindInfo(
        ("rehandled",), "answer", "the main or split units", "from the second round", "重新办理答复"
    ),
    DeadlineKind.PROMISE: KindInfo(
        ("answered",), "promise kept (B→A)", "the answering unit", "each B promise", "承诺事项"
    ),
}


class DeadlineRule(_Strict):
    """How one kind of deadline is computed."""

    amount: Annotated[int, Field(ge=1, le=400)] = 1
    unit: PeriodUnit = PeriodUnit.MONTHS
    complex_amount: Annotated[int | None, Field(ge=1, le=400)] = None
    start: str | None = None  # the start event; None: the kind's default (see KINDS)
    enabled: bool = True
    basis: str = ""  # the legal basis, quoted for `jianyi deadlines --explain`


class Recipient(StrEnum):
    """Who an escalation step is addressed to."""

    OWING_UNIT = "owing_unit"
    PARENT_UNIT = "parent_unit"
    MAIN_UNIT = "main_unit"
    OFFICE = "office"
    DEPUTY = "deputy"


class LadderStep(_Strict):
    """One step of an escalation ladder: when (working days from the due date), what, to whom, how."""

    offset: Annotated[int, Field(ge=-60, le=250)]  # working days; negative: before the due date
    action: Annotated[
        str, Field(pattern=r"^[a-z][a-z_]{1,39}$")
    ]  # e.g. reminder, cuiban, duban_letter, tongbao
    recipients: Annotated[list[Recipient], Field(min_length=1)]
    template: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")]
    urgent: bool = False  # may be sent outside working hours
    label: str = ""  # the Chinese name of the step, e.g. 督办函


class Ladder(_Strict):
    """The escalation steps of one deadline kind, in time order."""

    steps: list[LadderStep] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Ladder:
        offsets = [step.offset for step in self.steps]
        if offsets != sorted(set(offsets)):
            msg = _("step offsets must rise strictly, got {offsets}").format(offsets=offsets)
            raise ValueError(msg)
        return self


class YearSchedule(_Strict):
    """One year's official holiday schedule (国务院办公厅 放假调休安排), authoritative for that year."""

    year: Annotated[int, Field(ge=2000, le=2200)]
    source: str = ""
    holidays: dict[date, str] = Field(default_factory=dict)  # every day off, weekends inside breaks included
    workdays: list[date] = Field(default_factory=list)  # make-up working days on weekends (调休上班)

    @model_validator(mode="after")
    def _in_year(self) -> YearSchedule:
        stray = sorted(d.isoformat() for d in [*self.holidays, *self.workdays] if d.year != self.year)
        if stray:
            msg = _("dates outside {year}: {names}").format(year=self.year, names=", ".join(stray))
            raise ValueError(msg)
        both = sorted(d.isoformat() for d in set(self.holidays) & set(self.workdays))
        if both:
            msg = _("a day cannot be both a holiday and a working day: {names}").format(names=", ".join(both))
            raise ValueError(msg)
        weekdays = sorted(d.isoformat() for d in self.workdays if d.weekday() < 5)
        if weekdays:
            msg = _("make-up working days fall on weekends; these are weekdays: {names}").format(
                names=", ".join(weekdays)
            )
            raise ValueError(msg)
        return self


class CalendarSettings(_Strict):
    """Which working-day calendar a rule set uses."""

    official_years: list[int] = Field(default_factory=list)
    roll_to_working_day: bool = True
    extra_holidays: dict[date, str] = Field(default_factory=dict)
    extra_workdays: list[date] = Field(default_factory=list)
    schedules: dict[int, YearSchedule] = Field(default_factory=dict)  # loaded notices, by year

    @field_validator("official_years", mode="before")
    @classmethod
    def _expand_ranges(cls, value: Any) -> Any:
        """Accept ``"2001-2026"`` ranges beside plain years."""
        if not isinstance(value, list):
            return value
        years: list[Any] = []
        for item in value:
            if isinstance(item, str) and (m := re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", item)):
                lo, hi = int(m.group(1)), int(m.group(2))
                if lo > hi:
                    msg = _("range {item!r} runs backwards").format(item=item)
                    raise ValueError(msg)
                years.extend(range(lo, hi + 1))
            else:
                years.append(item)
        return years

    @field_validator("official_years")
    @classmethod
    def _once_each(cls, value: list[int]) -> list[int]:
        return sorted(set(value))  # a profile's years add to its parent's: a year may come twice


class LifecycleSettings(_Strict):
    """Lifecycle choices that differ between regions."""

    auto_close_on: list[Rating] = Field(default_factory=lambda: [Rating.SATISFIED, Rating.BASIC])
    auto_rehandle_on: list[Rating] = Field(default_factory=lambda: [Rating.UNSATISFIED])
    basic_counts_as_satisfied: bool = True
    unsatisfied_needs_comment: bool = True
    promise_classes: list[str] = Field(default_factory=lambda: ["B"])
    # a promise-class answer names its promised items (what will be done, by when), which are then followed up
    promise_required: bool = True
    # what a promise-class answer may become when it is followed up (B→A solved, B→C not possible for now)
    conversion_classes: list[str] = Field(default_factory=lambda: ["A", "C"])
    # when the feedback window closes without feedback: close the case (办结, counted as "no feedback" and left
    # out of the satisfaction rate), or keep waiting for the deputy
    close_without_feedback: bool = True
    # when a unit signs for its assignment (签收): its open co-opinion and answer deadlines run from the day of
    # receipt instead of the day of assignment (自签收之日起); until it signs they run from the assignment
    deadlines_from_receipt: bool = False
    # 答复审核: a unit's answer is held until the office approves it (it then reaches the deputy) or returns it
    # with a reason (the unit answers again); timeliness counts the unit's (last) submission date
    answer_review: bool = False

    @model_validator(mode="after")
    def _disjoint(self) -> LifecycleSettings:
        both = set(self.auto_close_on) & set(self.auto_rehandle_on)
        if both:
            names = ", ".join(sorted(both))
            msg = _("a rating cannot both close and re-handle a case: {names}").format(names=names)
            raise ValueError(msg)
        return self


class MeasureSettings(_Strict):
    """How the measures and the evaluation count (统计口径)."""

    resolution: Literal["A", "A+B"] = "A"  # resolution rate: A ÷ answered, or (A+B) ÷ answered
    min_cases: Annotated[int, Field(ge=1, le=1000)] = 3  # a unit is ranked only with this many cases
    # points per rating for the quantified satisfaction of the evaluation (评议)
    points: dict[Rating, Decimal] = Field(
        default_factory=lambda: {
            Rating.SATISFIED: Decimal(100),
            Rating.BASIC: Decimal(80),
            Rating.UNSATISFIED: Decimal(0),
        }
    )
    weights: tuple[Decimal, Decimal] = (Decimal("0.8"), Decimal("0.2"))  # on-site scores, satisfaction

    @model_validator(mode="after")
    def _complete(self) -> MeasureSettings:
        missing = [r.value for r in Rating if r not in self.points]
        if missing:
            msg = _("measures.points needs a value for {names}").format(names=", ".join(missing))
            raise ValueError(msg)
        if sum(self.weights) != 1 or min(self.weights) < 0:
            msg = _("measures.weights must be two non-negative shares adding up to 1, got {value}").format(
                value=list(map(str, self.weights))
            )
            raise ValueError(msg)
        return self


class NoticeSettings(_Strict):
    """When notices may be sent: working hours on the calendar's working days (urgent steps excepted)."""

    work_start: time = time(9, 0)
    work_end: time = time(17, 30)

    @model_validator(mode="after")
    def _hours(self) -> NoticeSettings:
        if self.work_start >= self.work_end:
            msg = _("work_start {work_start} must be before work_end {work_end}").format(
                work_start=self.work_start, work_end=self.work_end
            )
            raise ValueError(msg)
        return self


@dataclass(frozen=True, slots=True)
class StepTime:
    """When one ladder step fires: the working day ``offset`` working days from the due date, at work start."""

    index: int
    step: LadderStep
    day: date
    at: datetime  # UTC


_DEFAULT_CLASSES = {
    "A": "所提问题已经解决或者基本解决",
    "B": "所提问题正在解决或者列入规划逐步解决",
    "C": "所提问题因目前条件限制或者其他原因需待以后解决",
    "D": "所提问题留作参考",
}


class RuleSet(_Strict):
    """A complete, validated rule set."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
    version: Annotated[int, Field(ge=1)] = 1
    name: str = ""
    effective: date | None = None
    extends: str | None = None
    timezone: str = "Asia/Shanghai"
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
    classes: dict[str, str] = Field(default_factory=lambda: dict(_DEFAULT_CLASSES))
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    deadlines: dict[DeadlineKind, DeadlineRule] = Field(default_factory=dict)
    ladders: dict[str, Ladder] = Field(
        default_factory=dict
    )  # by deadline kind; "re_answer_again" for round 3+
    notices: NoticeSettings = Field(default_factory=NoticeSettings)
    measures: MeasureSettings = Field(default_factory=MeasureSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = _("unknown time zone {value!r} (use an IANA name such as 'Asia/Shanghai')").format(
                value=value
            )
            raise ValueError(msg) from None
        return value

    @field_validator("classes")
    @classmethod
    def _class_codes(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            msg = _("at least one answer class is needed")
            raise ValueError(msg)
        bad = [code for code in value if not re.fullmatch(r"[A-Z]", code)]
        if bad:
            msg = _("class codes are single capital letters, not {names}").format(
                names=", ".join(map(repr, bad))
            )
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        for name in ("promise_classes", "conversion_classes"):
            unknown = [c for c in getattr(self.lifecycle, name) if c not in self.classes]
            if unknown:
                msg = _("lifecycle.{name} names unknown classes: {names}").format(
                    name=name, names=", ".join(unknown)
                )
                raise ValueError(msg)
        both = set(self.lifecycle.promise_classes) & set(self.lifecycle.conversion_classes)
        if both:
            msg = _("lifecycle.conversion_classes may not name a promise class: {names}").format(
                names=", ".join(sorted(both))
            )
            raise ValueError(msg)
        answer = self.deadlines.get(DeadlineKind.ANSWER)
        if answer is None or not answer.enabled:
            msg = _("deadlines.answer is required and must be enabled (代表法 第五十一条)")
            raise ValueError(msg)
        for kind, rule in self.deadlines.items():
            if rule.start is not None and rule.start not in KINDS[kind].starts:
                msg = _("deadlines.{value}.start {start!r} unknown: use {names}").format(
                    value=kind.value, start=rule.start, names=", ".join(KINDS[kind].starts)
                )
                raise ValueError(msg)
        ladder_keys = {k.value for k in DeadlineKind} | {"re_answer_again"}
        unknown_ladders = sorted(set(self.ladders) - ladder_keys)
        if unknown_ladders:
            msg = _("ladders for unknown deadline kinds: {names}").format(names=", ".join(unknown_ladders))
            raise ValueError(msg)
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        """The rule set's time zone."""
        return ZoneInfo(self.timezone)

    @cached_property
    def work_calendar(self) -> WorkCalendar:
        """The working-day calendar described by :attr:`calendar`."""
        return WorkCalendar.build(
            official_years=self.calendar.official_years,
            extra_holidays=self.calendar.extra_holidays,
            extra_workdays=self.calendar.extra_workdays,
            schedules={
                y: (dict(s.holidays), frozenset(s.workdays)) for y, s in self.calendar.schedules.items()
            },
        )

    def with_schedules(self, schedules: dict[int, YearSchedule]) -> RuleSet:
        """This rule set with loaded official schedules (they win over the library for their years)."""
        if not schedules:
            return self
        merged = {**self.calendar.schedules, **schedules}
        calendar = self.calendar.model_copy(update={"schedules": merged})
        return self.model_copy(update={"calendar": calendar})

    def start_event(self, kind: DeadlineKind) -> str:
        """The event that starts ``kind`` under this rule set."""
        found = self.deadlines.get(kind)
        return (found.start if found and found.start else None) or KINDS[kind].starts[0]

    @property
    def key(self) -> tuple[str, int]:
        """``(id, version)``, what a case is pinned to."""
        return (self.id, self.version)

    def rule(self, kind: DeadlineKind) -> DeadlineRule | None:
        """The rule for ``kind`` when it applies, else None."""
        found = self.deadlines.get(kind)
        return found if found is not None and found.enabled else None

    def due(self, kind: DeadlineKind, start: date, *, complex_case: bool = False) -> Due | None:
        """The deadline of ``kind`` starting on the local date ``start``, or None when it does not apply."""
        found = self.rule(kind)
        if found is None:
            return None
        amount = found.complex_amount if complex_case and found.complex_amount else found.amount
        return self._due_cached(start, amount, found.unit)

    def _due_cached(self, start: date, amount: int, unit: PeriodUnit) -> Due:
        cache: dict[tuple[date, int, PeriodUnit], Due] = self.__dict__.setdefault("_due_cache", {})
        key = (start, amount, unit)
        found = cache.get(key)
        if found is None:
            found = compute_due(
                start,
                amount,
                unit,
                self.work_calendar,
                self.zone,
                roll=self.calendar.roll_to_working_day,
            )
            if len(cache) > 50_000:
                cache.clear()
            cache[key] = found
        return found

    def satisfied(self, rating: Rating) -> bool:
        """Whether ``rating`` counts as satisfied in this rule set's statistics."""
        return rating is Rating.SATISFIED or (
            rating is Rating.BASIC and self.lifecycle.basic_counts_as_satisfied
        )

    # ---- escalation ladders and sending hours ------------------------------------------------------
    def ladder(self, kind: DeadlineKind | str, round_: int = 1) -> Ladder | None:
        """The ladder of ``kind`` in handling round ``round_`` (``re_answer_again`` from round 3, when set)."""
        name = kind.value if isinstance(kind, DeadlineKind) else kind
        if name == DeadlineKind.RE_ANSWER.value and round_ >= 3 and "re_answer_again" in self.ladders:
            name = "re_answer_again"
        found = self.ladders.get(name)
        return found if found is not None and found.steps else None

    def local_instant(self, day: date, at: time) -> datetime:
        """``day`` at local time ``at`` in this rule set's zone, as an aware UTC instant."""
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(ZoneInfo("UTC"))

    def step_times(self, kind: DeadlineKind | str, due: date, round_: int = 1) -> tuple[StepTime, ...]:
        """Every step of the ladder for a deadline whose last day is ``due``, with the instant it fires."""
        ladder = self.ladder(kind, round_)
        if ladder is None:
            return ()
        cache: dict[tuple[int, date], tuple[StepTime, ...]] = self.__dict__.setdefault("_step_cache", {})
        key = (id(ladder), due)
        found = cache.get(key)
        if found is None:
            calendar, start = self.work_calendar, self.notices.work_start
            found = tuple(
                StepTime(i, step, day, self.local_instant(day, start))
                for i, step in enumerate(ladder.steps)
                for day in [calendar.shift_working_days(due, step.offset)]
            )
            if len(cache) > 50_000:
                cache.clear()
            cache[key] = found
        return found

    def first_step_at(self, kind: DeadlineKind | str, due: date) -> datetime | None:
        """The earliest instant any step of ``kind``'s ladders (every round) can fire for this due date."""
        found = [t[0].at for r in (1, 3) if (t := self.step_times(kind, due, r))]
        return min(found) if found else None

    def first_check_at(self, kind: DeadlineKind | str, due: date, due_at: datetime) -> datetime | None:
        """When the reminder sweep must first look at a new deadline: its earliest ladder step or, for a
        feedback window that closes the case when it lapses, its end (None: never)."""
        name = kind.value if isinstance(kind, DeadlineKind) else kind
        cache: dict[tuple[str, date, datetime], datetime | None] = self.__dict__.setdefault(
            "_check_cache", {}
        )
        key = (name, due, due_at)
        if key in cache:
            return cache[key]
        times = [t for t in [self.first_step_at(name, due)] if t is not None]
        if name == DeadlineKind.FEEDBACK.value and self.lifecycle.close_without_feedback:
            times.append(due_at)
        if len(cache) > 50_000:
            cache.clear()
        found = cache[key] = min(times) if times else None
        return found

    def is_sending_time(self, instant: datetime) -> bool:
        """Whether ``instant`` falls in working hours on a working day of the rule set's calendar."""
        local = instant.astimezone(self.zone)
        return (
            self.work_calendar.is_working_day(local.date())
            and self.notices.work_start <= local.time() < self.notices.work_end
        )

    def next_sending_time(self, instant: datetime) -> datetime:
        """``instant`` when notices may be sent then, else the start of the next working hours."""
        if self.is_sending_time(instant):
            return instant
        local = instant.astimezone(self.zone)
        day = local.date()
        if local.time() >= self.notices.work_start:
            day += timedelta(days=1)
        return self.local_instant(self.work_calendar.next_working_day(day), self.notices.work_start)
