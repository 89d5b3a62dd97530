"""Where attachments' bytes are kept, and the reads of the attachments of a case.

The bytes are content-addressed: kept once per SHA-256, either as files in a folder (:class:`FolderBlobs`,
``<folder>/ab/abcdef…``, each written to a temporary file and renamed into place, so a reader never sees half a
file) or in the ``attachment_blobs`` table (:class:`DatabaseBlobs`). They are stored before the action's
transaction; a refused action leaves bytes that no row names, which is harmless (the same content attached
later finds them there). The ``attachments`` rows, written by the action's step, name them by digest; the audit
check (:func:`check_blobs`) hashes every stored one again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, select

from rules.i18n import _
from workflow.core.attachments import AttachmentDamaged, AttachmentInfo, AttachmentSettings
from workflow.core.audit import AuditProblem
from workflow.core.errors import NotFound, WorkflowError
from workflow.store import db as _db
from workflow.store.database import Database
from workflow.store.directory import Directory
from workflow.store.models import Attachment, AttachmentBlob, Suggestion, Unit, table
from workflow.store.sql import as_instant

__all__ = [
    "Blobs",
    "DatabaseBlobs",
    "FolderBlobs",
    "blobs_for",
    "check_blobs",
    "list_attachments",
]

ATTACHMENTS = table(Attachment)
BLOBS = table(AttachmentBlob)
SUGGESTIONS = table(Suggestion)
UNITS = table(Unit)
_CHUNK = 1 << 20  # bytes hashed at a time


class Blobs(Protocol):
    """Content-addressed bytes."""

    where: str  # how a person is told where they are

    def put(self, sha256: str, data: bytes) -> None:
        """Keep ``data`` under ``sha256`` (nothing when it is there already)."""
        ...  # pragma: no cover

    def get(self, sha256: str, conn: Connection | None = None) -> bytes | None:
        """The bytes kept under ``sha256``, or None (``conn``: a reading already open, which they may share)."""
        ...  # pragma: no cover

    def digest(self, sha256: str, conn: Connection | None = None) -> str | None:
        """The SHA-256 of the bytes kept under ``sha256`` now, or None when there are none."""
        ...  # pragma: no cover


class FolderBlobs:
    """Bytes as files in a folder, named by their digest."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.where = str(directory)

    def path(self, sha256: str) -> Path:
        """Where the bytes of ``sha256`` are (or would be)."""
        return self.directory / sha256[:2] / sha256

    def put(self, sha256: str, data: bytes) -> None:
        """Write ``data`` to a temporary file beside its place and rename it there (kept when the file there
        already holds those bytes)."""
        target = self.path(sha256)
        if self.digest(sha256) == sha256:
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            msg = _("cannot keep an attachment in {folder}: {error}; nothing was written").format(
                folder=self.directory, error=exc.strerror
            )
            raise WorkflowError(msg) from None

    def get(self, sha256: str, conn: Connection | None = None) -> bytes | None:
        """The file's bytes, or None when it is missing."""
        try:
            return self.path(sha256).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def digest(self, sha256: str, conn: Connection | None = None) -> str | None:
        """The SHA-256 of the file now, read a chunk at a time."""
        hasher = hashlib.sha256()
        try:
            with self.path(sha256).open("rb") as stream:
                while chunk := stream.read(_CHUNK):
                    hasher.update(chunk)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        return hasher.hexdigest()


class DatabaseBlobs:
    """Bytes in the ``attachment_blobs`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.where = _("the database (attachment_blobs)")

    def put(self, sha256: str, data: bytes) -> None:
        """Insert the bytes in a transaction of their own (another writer inserting them too is no error)."""
        try:
            with self.db.managed() as conn:
                found = conn.execute(select(BLOBS.c.sha256).where(BLOBS.c.sha256 == sha256)).first()
                if found is None:
                    conn.execute(BLOBS.insert().values(sha256=sha256, size=len(data), data=data))
        except WorkflowError:
            if self.get(sha256) is None:  # not another writer's same bytes: a real refusal
                raise

    def get(self, sha256: str, conn: Connection | None = None) -> bytes | None:
        """The stored bytes, or None."""
        with self.db.reading(conn) as reading:
            query = select(BLOBS.c.data).where(BLOBS.c.sha256 == sha256)
            data = reading.execute(query).scalar_one_or_none()
        return None if data is None else bytes(data)

    def digest(self, sha256: str, conn: Connection | None = None) -> str | None:
        """The SHA-256 of the stored bytes now."""
        data = self.get(sha256, conn)
        return None if data is None else hashlib.sha256(data).hexdigest()


def blobs_for(db: Database, url: str | Path, settings: AttachmentSettings) -> Blobs:
    """Where the engine on ``db`` (opened from ``url``) keeps attachments: the settings' folder; the database
    when asked, or for PostgreSQL and in-memory SQLite; else ``<SQLite file>.attachments/`` beside the file."""
    if settings.in_database:
        return DatabaseBlobs(db)
    if settings.directory is not None:
        return FolderBlobs(settings.directory)
    path = _db.sqlite_file(url)
    if path is None or db.postgres:
        return DatabaseBlobs(db)
    return FolderBlobs(path.with_name(path.name + ".attachments"))


def _infos(conn: Connection, case_id: int) -> list[tuple[int, AttachmentInfo]]:
    query = (
        select(ATTACHMENTS, UNITS.c.name.label("unit_name"))
        .outerjoin(UNITS, UNITS.c.id == ATTACHMENTS.c.unit_id)
        .where(ATTACHMENTS.c.suggestion_id == case_id)
        .order_by(ATTACHMENTS.c.seq, ATTACHMENTS.c.id)
    )
    found = []
    for r in conn.execute(query):
        at = as_instant(r.at)
        assert at is not None
        info = AttachmentInfo(
            r.name, r.media_type, int(r.size), r.sha256, r.action, int(r.round), r.unit_name, at, r.actor
        )
        found.append((int(r.id), info))
    return found


def list_attachments(
    db: Database, directory: Directory, number: str, session: str | None
) -> tuple[str, list[AttachmentInfo]]:
    """The case's label (``SESSION/NUMBER``) and its attachments, in the order they came."""
    with db.reading() as conn:
        sid, name = directory.session_ref(conn, session)
        case_id = conn.execute(
            select(SUGGESTIONS.c.id).where(SUGGESTIONS.c.session_id == sid, SUGGESTIONS.c.number == number)
        ).scalar_one_or_none()
        if case_id is None:
            raise NotFound(kind="建议", name=f"{name}/{number}", hint=_("list cases with `jianyi list`"))
        return f"{name}/{number}", [info for _id, info in _infos(conn, int(case_id))]


def read_attachment(
    db: Database, directory: Directory, blobs: Blobs, number: str, name: str, session: str | None
) -> tuple[AttachmentInfo, bytes]:
    """One attachment of the case by name, with its bytes, checked against its digest."""
    label, infos = list_attachments(db, directory, number, session)
    info = next((i for i in infos if i.name == name), None)
    if info is None:
        names = ", ".join(i.name for i in infos) or "none"
        raise NotFound(
            kind="attachment", name=name, hint=_("建议 {label} has: {names}").format(label=label, names=names)
        )
    data = blobs.get(info.sha256)
    if data is None:
        raise AttachmentDamaged(
            case=label, name=name, problem=_("its bytes are missing from {where}").format(where=blobs.where)
        )
    if hashlib.sha256(data).hexdigest() != info.sha256:
        raise AttachmentDamaged(case=label, name=name, problem=_("its bytes changed since it was attached"))
    return info, data


def check_blobs(
    conn: Connection,
    blobs: Blobs,
    session: str,
    number: str,
    rows: Sequence[Any],
    seen: dict[str, str | None],
) -> Iterable[AuditProblem]:
    """The problems of a case's attachments' bytes (``rows``: its attachment rows; ``conn``: the check's
    reading): each is hashed again (``seen``: digests already computed in this check, by the digest named)."""
    for row in rows:
        sha = str(row["sha256"])
        if sha not in seen:
            seen[sha] = blobs.digest(sha, conn)
        now = seen[sha]
        if now == sha:
            continue
        if now is None:
            problem = _("the bytes of attachment {name!r} (sha256 {sha}…) are missing from {where}").format(
                name=row["name"], sha=sha[:16], where=blobs.where
            )
        else:
            problem = _(
                "the bytes of attachment {name!r} changed: sha256 {now}… where {sha}… was recorded"
            ).format(name=row["name"], now=now[:16], sha=sha[:16])
        yield AuditProblem(session, number, row["seq"], problem, table="attachments", row=str(row["id"]))
