"""The reminder daemon: a clock (APScheduler 3) that runs the sweep and the dispatcher.

The scheduler holds one job with a fixed id in an in-memory store (nothing is persisted: the work lives in
the database, as deadline and outbox rows), coalesced, at most one instance at a time. Each run records the
due ladder steps (:func:`workflow.sweep.sweep`) and then delivers what the outbox holds
(:class:`~notifications.dispatcher.Dispatcher`). Several daemons may run against one PostgreSQL database: the
sweep locks cases with ``SKIP LOCKED`` and the dispatcher leases outbox rows, so nothing is recorded or sent
twice except as the README's duplicate bound says (a daemon killed between sending and recording the send).

A run logs one line when it did something and nothing when nothing was due (at ``debug`` level it says so);
:func:`configure_logging` writes text or JSON lines. Each real run records its time (``jianyi status``).

SIGTERM and SIGINT stop the daemon cleanly: no new run starts, a running one finishes its current notice.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import IO, Any

from notifications.config import NotifyConfig
from notifications.dispatcher import Dispatcher, DispatchReport
from rules.i18n import _
from workflow.engine import Engine
from workflow.store import heartbeat
from workflow.sweep import SweepReport, sweep

__all__ = ["JOB_ID", "JsonFormatter", "ReminderDaemon", "RunReport", "configure_logging", "run_once"]

JOB_ID = "jianyi-remind"
log = logging.getLogger("jianyi.daemon")


class JsonFormatter(logging.Formatter):
    """One JSON object a line (for journald, Loki or Elasticsearch): ``time`` (UTC, ISO 8601), ``level``,
    ``logger``, ``message``, and ``error`` with the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: str = "info", fmt: str = "text", stream: IO[str] | None = None) -> None:
    """The daemon's logging: jianyi's own lines (``jianyi.*``) at ``level``, as text or JSON lines (``fmt``) on
    ``stream`` (stderr); every library's (the scheduler's, the state machine's, the migrations') warnings only."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.name = "jianyi"  # a second call replaces it rather than doubling each line
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == "jianyi"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("jianyi").setLevel(getattr(logging, level.upper()))
    for noisy in (
        "apscheduler",
        "transitions",
        "alembic",
    ):  # a line per job run, state change, migration step
        logging.getLogger(noisy).setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class RunReport:
    """What one run (sweep + dispatch) did."""

    sweep: SweepReport
    dispatch: DispatchReport | None  # None in a dry run

    @property
    def idle(self) -> bool:
        """Nothing was due: no step, no lapse, no busy case, no notice claimed."""
        s, d = self.sweep, self.dispatch
        return not (s.steps or s.lapsed or s.skipped_cases or s.notices or (d is not None and d.claimed))

    def summary(self) -> str:
        """One log line."""
        s = self.sweep
        line = _(
            "sweep: {looked} deadline(s) looked at, {steps} step(s), {notices} notice(s), {lapsed} lapsed"
        ).format(looked=s.looked, steps=s.steps, notices=s.notices, lapsed=s.lapsed)
        if s.skipped_cases:
            line += _(", {count} case(s) busy (next run)").format(count=s.skipped_cases)
        d = self.dispatch
        if d is not None:
            line += _(
                "; dispatch: {claimed} claimed, {sent} sent, {failed} failed, {dead} dead, "
                "{suppressed} suppressed, {deferred} held, {digested} in {digests} digest(s)"
            ).format(
                claimed=d.claimed,
                sent=d.sent,
                failed=d.failed,
                dead=d.dead,
                suppressed=d.suppressed,
                deferred=d.deferred,
                digested=d.digested,
                digests=d.digests,
            )
            if d.lost:
                line += _(", {count} taken over").format(count=d.lost)
        return line

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        s = self.sweep
        data: dict[str, Any] = {
            "sweep": {
                "looked": s.looked,
                "steps": s.steps,
                "notices": s.notices,
                "lapsed": s.lapsed,
                "busy_cases": s.skipped_cases,
                "records": [r.to_json() for r in s.records],
            }
        }
        d = self.dispatch
        if d is not None:
            data["dispatch"] = asdict(d)
        return data


def run_once(
    engine: Engine,
    config: NotifyConfig,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    dispatcher: Dispatcher | None = None,
) -> RunReport:
    """One sweep and one dispatch pass at ``now`` (default: the engine clock). A dry run writes and sends
    nothing: its report lists the steps the sweep would record."""
    moment = now or engine.clock.now()
    swept = sweep(engine, now=moment, dry_run=dry_run)
    if dry_run:
        return RunReport(swept, None)
    heartbeat.mark_swept(engine, engine.clock.now())  # when it ran, whatever time it acted at
    sender = dispatcher or Dispatcher(engine, config)
    # without an explicit time, each claim's lease runs from the real time of that claim
    return RunReport(swept, sender.dispatch(now=now))


class ReminderDaemon:
    """Runs :func:`run_once` every ``every`` seconds until stopped."""

    def __init__(self, engine: Engine, config: NotifyConfig, *, every: float = 60.0) -> None:
        if every <= 0:
            msg = f"the interval must be positive, got {every}"
            raise ValueError(msg)
        self.engine = engine
        self.config = config
        self.every = every
        self.dispatcher = Dispatcher(engine, config)
        self.runs = 0
        self._scheduler: Any = None
        self._stopping = threading.Event()
        self._busy = threading.Lock()

    def tick(self) -> None:
        """One run; an error is logged and the next run tries again (nothing half-written stays)."""
        with self._busy:
            if self._stopping.is_set():
                return
            try:
                report = run_once(self.engine, self.config, dispatcher=self.dispatcher)
            except Exception:
                log.exception(_("run failed; the next run retries"))
            else:  # a run with nothing to do says so only when asked (--log-level debug)
                log.log(logging.DEBUG if report.idle else logging.INFO, report.summary())
            self.runs += 1

    def run(self, *, install_signals: bool = True) -> None:
        """Block, running :meth:`tick` on schedule, until :meth:`stop` (or SIGTERM/SIGINT)."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=self.engine.active_ruleset().zone,
        )
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.every,
            id=JOB_ID,
            name="sweep and dispatch",
            next_run_time=datetime.now(self.engine.active_ruleset().zone),
            replace_existing=True,
        )
        self._scheduler = scheduler
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, self._on_signal)
        log.info(
            _("daemon started: %s every %gs as %s on %s"),
            JOB_ID,
            self.every,
            self.dispatcher.owner,
            self.engine.url,
        )
        scheduler.start()  # returns once shut down
        with self._busy:  # the run in progress, if any, finishes first
            pass
        log.info(_("daemon stopped after %d run(s)"), self.runs)

    def stop(self) -> None:
        """Start no new run; the scheduler stops once the running one (if any) has finished."""
        self._stopping.set()
        self.dispatcher.stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info(_("%s received: stopping"), signal.Signals(signum).name)
        self.stop()
