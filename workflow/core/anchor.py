"""Anchors: every case's chain head at one moment, under a Merkle root and an HMAC, kept outside the database.

Whoever can write the database can delete a case with its events, forge a case with a chain of its own, or
rewrite a case's chain from the start so that every hash verifies again: the chains alone cannot tell. An
anchor taken before (``jianyi audit anchor``) and kept elsewhere (printed, sent to the standing committee,
stored on another machine) can: it holds each case's session, number, last event's sequence number and hash,
the Merkle root over them, a short fingerprint of the root for people to print or read aloud, and an
HMAC-SHA256 of all of it under a key the database does not hold. :class:`AnchorCheck` then names a case the
anchor holds that is gone (deleted), a case whose event at the anchored number no longer has the anchored hash
(rebuilt), and a case the anchor does not hold whose first event says it was recorded before the anchor
(forged); an anchor whose HMAC does not match (a wrong key, or an edited file) is not authentic, and nothing is
checked against it.

The file is JSON: ``format``, ``congress``, ``database``, ``at`` (UTC), ``zone``, ``local`` (``at`` in the
rule set's zone), ``cases`` (``[session, number, seq, hash]``, sorted), ``root``, ``fingerprint`` and
``hmac``, the HMAC over the canonical JSON of every other field.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.i18n import _
from workflow.core.audit import AuditProblem, canonical, instant_text
from workflow.core.errors import ValidationError

__all__ = ["FORMAT", "MIN_KEY_BYTES", "Anchor", "AnchorCheck", "AnchoredCase", "fingerprint", "merkle_root"]

FORMAT = "jianyi-audit-anchor/1"
MIN_KEY_BYTES = 16
_FIELDS = ("format", "congress", "database", "at", "zone", "local", "cases", "root", "fingerprint")


@dataclass(frozen=True, slots=True, order=True)
class AnchoredCase:
    """One case as an anchor holds it: where its chain stood."""

    session: str
    number: str
    seq: int
    hash: str

    def leaf(self) -> bytes:
        """Its Merkle leaf: SHA-256 of 0x00 and the canonical JSON of ``[session, number, seq, hash]``."""
        item = canonical([self.session, self.number, self.seq, self.hash])
        return hashlib.sha256(b"\x00" + item.encode("utf-8")).digest()


def merkle_root(cases: Iterable[AnchoredCase]) -> str:
    """The Merkle root over the cases' leaves, in (session, number) order: a node is SHA-256 of 0x01 and its
    two children; an odd node goes up as it is; no case at all gives SHA-256 of nothing."""
    level = [c.leaf() for c in sorted(cases)]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        level = [*paired, level[-1]] if len(level) % 2 else paired
    return level[0].hex()


def fingerprint(root: str) -> str:
    """The first 64 bits of a root, as four groups of four hex digits: short enough to print or read aloud."""
    head = root[:16].upper()
    return "-".join(head[i : i + 4] for i in range(0, 16, 4))


def _mac(key: bytes, content: dict[str, Any]) -> str:
    return hmac.new(key, canonical(content).encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Anchor:
    """Every case's chain head at one moment, with their Merkle root, keyed (see the module's text)."""

    content: dict[str, Any]  # every field but the HMAC, as written (or read)
    mac: str
    cases: tuple[AnchoredCase, ...]
    at: datetime

    @classmethod
    def make(
        cls,
        *,
        congress: str,
        database: str,
        at: datetime,
        zone: ZoneInfo,
        cases: Iterable[AnchoredCase],
        key: bytes,
    ) -> Anchor:
        """An anchor of ``cases`` at ``at``, keyed with ``key`` (at least :data:`MIN_KEY_BYTES` bytes)."""
        if len(key) < MIN_KEY_BYTES:
            msg = _(
                "the audit key is {length} byte(s) long; use at least {least} random ones "
                "(e.g. `openssl rand -hex 32`)"
            ).format(length=len(key), least=MIN_KEY_BYTES)
            raise ValidationError(msg)
        held = tuple(sorted(cases))
        root = merkle_root(held)
        moment = at.astimezone(UTC)
        content: dict[str, Any] = {
            "format": FORMAT,
            "congress": congress,
            "database": database,
            "at": instant_text(moment),
            "zone": zone.key,
            "local": moment.astimezone(zone).isoformat(timespec="seconds"),
            "cases": [[c.session, c.number, c.seq, c.hash] for c in held],
            "root": root,
            "fingerprint": fingerprint(root),
        }
        return cls(content, _mac(key, content), held, moment)

    @classmethod
    def parse(cls, text: str, *, source: str) -> Anchor:
        """The anchor a file holds (``source`` names it in messages); refused when it is not one."""

        def refused(why: str) -> ValidationError:
            return ValidationError(
                _("{source} is not an anchor written by `jianyi audit anchor`: {why}").format(
                    source=source, why=why
                )
            )

        try:
            data = json.loads(text)
        except ValueError as exc:
            raise refused(_("not JSON ({exc})").format(exc=exc)) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise refused(_("its format is not {FORMAT!r}").format(FORMAT=FORMAT))
        missing = [f for f in (*_FIELDS, "hmac") if f not in data]
        if missing:
            raise refused(_("{names} missing").format(names=", ".join(missing)))
        try:
            cases = tuple(AnchoredCase(str(s), str(n), int(q), str(h)) for s, n, q, h in data["cases"])
            at = datetime.fromisoformat(data["at"]).astimezone(UTC)
        except (TypeError, ValueError) as exc:
            raise refused(_("its cases or time cannot be read ({exc})").format(exc=exc)) from None
        return cls({f: data[f] for f in _FIELDS}, str(data["hmac"]), cases, at)

    @property
    def root(self) -> str:
        """The Merkle root over the anchored cases, as written."""
        return str(self.content["root"])

    @property
    def fingerprint(self) -> str:
        """The root's short fingerprint, as written."""
        return str(self.content["fingerprint"])

    @property
    def local(self) -> str:
        """When it was taken, in the rule set's zone, as written."""
        return str(self.content["local"])

    @property
    def congress(self) -> str:
        """The congress whose cases it holds."""
        return str(self.content["congress"])

    def zone(self) -> ZoneInfo | None:
        """The zone it shows times in (None when the file names none this system knows)."""
        try:
            return ZoneInfo(str(self.content["zone"]))
        except (ZoneInfoNotFoundError, ValueError):
            return None

    def authentic(self, key: bytes) -> bool:
        """Whether the HMAC matches under ``key`` and the root and fingerprint match the cases held."""
        if not hmac.compare_digest(self.mac, _mac(key, self.content)):
            return False
        return self.root == merkle_root(self.cases) and self.fingerprint == fingerprint(self.root)

    def text(self) -> str:
        """The file: one field a line, one case a line (to print, send or keep)."""
        lines = ["{"]
        for name in _FIELDS:
            if name == "cases":
                items = [json.dumps(c, ensure_ascii=False) for c in self.content["cases"]]
                body = ",\n".join(f"    {item}" for item in items)
                lines.append(f'  "cases": [\n{body}\n  ],' if items else '  "cases": [],')
            else:
                lines.append(f'  "{name}": {json.dumps(self.content[name], ensure_ascii=False)},')
        lines.append(f'  "hmac": {json.dumps(self.mac)}')
        lines.append("}")
        return "\n".join(lines) + "\n"


@dataclass
class AnchorCheck:
    """The cases of a database compared with an anchor, one at a time, then those it no longer has.

    ``slack``: a case whose first event was recorded less than this before the anchor may have been written
    while the anchor was read (or on a host whose clock runs behind): it is not called forged.
    """

    anchor: Anchor
    key: bytes
    slack: timedelta
    authentic: bool = False
    problems: list[AuditProblem] = field(default_factory=list)
    _held: dict[tuple[str, str], AnchoredCase] = field(default_factory=dict)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.authentic = self.anchor.authentic(self.key)
        if self.authentic:
            self._held = {(c.session, c.number): c for c in self.anchor.cases}
        else:
            self.problems.append(
                AuditProblem(
                    "",
                    "",
                    None,
                    _(
                        "{anchor} is not authentic: its HMAC does not match under this key (a wrong key, or the "
                        "file was edited); nothing was checked against it"
                    ).format(anchor=self.when),
                )
            )

    @property
    def when(self) -> str:
        """How messages name the anchor."""
        return _("the anchor of {local} ({fingerprint})").format(
            local=self.anchor.local, fingerprint=self.anchor.fingerprint
        )

    def case(self, session: str, number: str, events: Sequence[Any]) -> None:
        """Compare one case (its audit rows in order: ``seq``, ``hash``, ``recorded_at``) with the anchor."""
        if not self.authentic:
            return
        held = self._held.get((session, number))
        if held is None:
            if events and events[0].recorded_at < self.anchor.at - self.slack:
                first = events[0].recorded_at.astimezone(UTC).isoformat(timespec="seconds")
                self.problems.append(
                    AuditProblem(
                        session,
                        number,
                        events[0].seq,
                        _(
                            "forged: {anchor} does not hold this case, but its event #{seq} says it "
                            "was recorded before it ({first})"
                        ).format(anchor=self.when, seq=events[0].seq, first=first),
                    )
                )
            return
        self._seen.add((session, number))
        event = next((e for e in events if e.seq == held.seq), None)
        if event is None:
            self.problems.append(
                AuditProblem(
                    session,
                    number,
                    held.seq,
                    _("gone: {anchor} holds this case's chain up to it").format(anchor=self.when),
                )
            )
        elif event.hash != held.hash:
            self.problems.append(
                AuditProblem(
                    session,
                    number,
                    held.seq,
                    _(
                        "rebuilt: its hash is not the one {anchor} holds (the chain was rewritten since)"
                    ).format(anchor=self.when),
                )
            )

    def finish(self) -> list[AuditProblem]:
        """The problems found, with the anchored cases the database no longer has (deleted)."""
        for c in self.anchor.cases:
            if (c.session, c.number) not in self._seen and self.authentic:
                self.problems.append(
                    AuditProblem(
                        c.session,
                        c.number,
                        c.seq,
                        _(
                            "deleted: {anchor} holds this case with {count} event(s); the database does not"
                        ).format(anchor=self.when, count=c.seq),
                    )
                )
        return self.problems
