"""Attachments of an action (答复函, 会办意见, the evidence of a conversion): what is accepted, by content.

A file is accepted when its bytes are one of :data:`MEDIA_TYPES` (PDF, Word DOCX, Excel XLSX, OFD, PNG, JPEG, GIF,
WebP), judged by the bytes themselves (:func:`sniff`: magic numbers; for the zip-based formats, the package's
``[Content_Types].xml`` or ``OFD.xml``), never by the name alone; when it is no larger than the limit; and when
its name is a plain file name (no folder, no ``..``, no control character) whose extension is one of its type's
(a ``.pdf`` name on PNG bytes is refused, so that what a reader opens is what the name says). What is recorded
is :class:`Attached`: the name, the media type found, the size and the SHA-256 of the bytes, which the action's
audit event holds. Nothing here reads a database.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rules.i18n import _
from workflow.core.errors import ValidationError, WorkflowError
from workflow.core.text import control_character

__all__ = [
    "DEFAULT_MAX_SIZE",
    "MEDIA_TYPES",
    "Attached",
    "Attachment",
    "AttachmentDamaged",
    "AttachmentInfo",
    "AttachmentSettings",
    "check",
    "check_all",
    "checked_name",
    "parse_size",
    "read_file",
    "short",
    "sniff",
]

DEFAULT_MAX_SIZE = 20 * 1024 * 1024  # 20 MiB
NAME_LENGTH = 200  # characters of a file name

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFD = "application/ofd"
PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"

# the accepted media types, each with the extensions a name of its kind may end in
MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    OFD: (".ofd",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    GIF: (".gif",),
    WEBP: (".webp",),
}
_SHORT = {
    PDF: "PDF",
    DOCX: "DOCX",
    XLSX: "XLSX",
    OFD: "OFD",
    PNG: "PNG",
    JPEG: "JPEG",
    GIF: "GIF",
    WEBP: "WebP",
}
_MAIN_PART = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
_CONTENT_TYPES_LIMIT = 1 << 20  # bytes of [Content_Types].xml read at most (it is a few KiB)
_SIZE = re.compile(r"\s*(\d+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)\s*", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1 << 20, "mb": 10**6, "mib": 1 << 20}
_UNITS |= {"g": 1 << 30, "gb": 10**9, "gib": 1 << 30}


class AttachmentDamaged(WorkflowError):
    """The stored bytes of an attachment are gone or no longer those its digest names."""

    def __init__(self, *, case: str, name: str, problem: str) -> None:
        self.case, self.name = case, name
        super().__init__(f"建议 {case}: attachment {name!r}: {problem}; run `jianyi audit verify`")


def sniff(data: bytes) -> str | None:
    """The media type of ``data`` by its content (one of :data:`MEDIA_TYPES`), or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    return None


def _zip_kind(data: bytes) -> str | None:
    """DOCX or XLSX (by the main part its ``[Content_Types].xml`` declares) or OFD (``OFD.xml`` at the root)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "OFD.xml" in names:
                return OFD
            if "[Content_Types].xml" not in names:
                return None
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_LIMIT:
                return None
            types = archive.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    found = {kind for marker, kind in _MAIN_PART.items() if f'ContentType="{marker}"' in types}
    return found.pop() if len(found) == 1 else None


def short(media_type: str) -> str:
    """How a person names ``media_type`` (PDF, DOCX, PNG, …)."""
    return _SHORT.get(media_type, media_type)


def checked_name(name: str) -> str:
    """``name`` stripped, when it is a plain file name: not empty, no folder (``/``, ``\\``), not ``.`` or
    ``..``, not hidden (a leading dot), no control character, at most :data:`NAME_LENGTH` characters."""
    text = name.strip()
    if not text:
        raise ValidationError(_("an attachment needs a file name"))
    bad = control_character(text)
    if bad is not None:
        raise ValidationError(
            _("attachment name {text!r} holds a control character ({bad})").format(text=text, bad=bad)
        )
    if "/" in text or "\\" in text or text.startswith(".") or ":" in text:
        raise ValidationError(
            _(
                "attachment name {text!r} is not a plain file name: no folders, drive letters or leading dot"
            ).format(text=text)
        )
    if len(text) > NAME_LENGTH:
        raise ValidationError(
            _("attachment name is {count} characters long; at most {NAME_LENGTH} fit").format(
                count=len(text), NAME_LENGTH=NAME_LENGTH
            )
        )
    return text


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to attach: its name and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Attached:
    """What is recorded of an accepted attachment (the action's audit event holds it)."""

    name: str
    media_type: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, object]:
        """As the audit event holds it."""
        return {"name": self.name, "media_type": self.media_type, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """An attachment of a case as stored: what it is, which action of which round and unit it came with, who
    attached it and when."""

    name: str
    media_type: str
    size: int
    sha256: str
    action: str
    round: int
    unit: str | None
    at: datetime
    who: str

    def to_json(self) -> dict[str, object]:
        """JSON-ready (the time as ISO 8601)."""
        return {
            "name": self.name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "action": self.action,
            "round": self.round,
            "unit": self.unit,
            "at": self.at.isoformat(),
            "who": self.who,
        }


@dataclass(frozen=True, slots=True)
class AttachmentSettings:
    """Where attachments' bytes are kept and how large one may be: ``directory`` (None: beside a SQLite file,
    ``<file>.attachments/``, else in the database) or ``in_database``; ``max_size`` in bytes."""

    directory: Path | None = None
    in_database: bool = False
    max_size: int = DEFAULT_MAX_SIZE


def parse_size(value: str | int) -> int:
    """A size in bytes from an integer or text such as ``20MiB``, ``500 KB`` or ``1048576``."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        match = _SIZE.fullmatch(str(value))
        if match is None:
            raise ValidationError(
                _("size {value!r} is not a number of bytes (e.g. 20MiB, 500KB, 1048576)").format(value=value)
            )
        number = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if number < 1:
        raise ValidationError(_("size {value!r} must be at least one byte").format(value=value))
    return number


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


def check(file: Attachment, max_size: int = DEFAULT_MAX_SIZE) -> Attached:
    """``file`` accepted (name, size, type by content) as it is recorded; else a :class:`ValidationError`
    naming the file and what is wrong."""
    name = checked_name(file.name)
    size = len(file.data)
    if size == 0:
        raise ValidationError(_("attachment {name!r} is empty").format(name=name))
    if size > max_size:
        raise ValidationError(
            _("attachment {name!r} is {value}; at most {value2} is accepted").format(
                name=name, value=_size(size), value2=_size(max_size)
            )
        )
    kind = sniff(file.data)
    accepted = ", ".join(_SHORT.values())
    if kind is None:
        raise ValidationError(
            _("attachment {name!r} is not a file of an accepted type ({accepted}) by its content").format(
                name=name, accepted=accepted
            )
        )
    extension = Path(name).suffix.lower()
    if extension not in MEDIA_TYPES[kind]:
        raise ValidationError(
            _("attachment {name!r} holds {value} content; name it with {names}").format(
                name=name, value=short(kind), names=" or ".join(MEDIA_TYPES[kind])
            )
        )
    return Attached(name, kind, size, hashlib.sha256(file.data).hexdigest())


def check_all(files: list[Attachment], max_size: int = DEFAULT_MAX_SIZE) -> list[Attached]:
    """Every file checked (:func:`check`); two with one name are refused."""
    accepted = [check(f, max_size) for f in files]
    names = [a.name for a in accepted]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(
            _("two attachments are named {names}; give each its own name").format(
                names=", ".join(map(repr, twice))
            )
        )
    return accepted


def read_file(path: str | Path, max_size: int = DEFAULT_MAX_SIZE) -> Attachment:
    """The file at ``path`` as an attachment named by its last part, reading at most one byte past
    ``max_size`` (a larger file is refused by :func:`check` without being read whole)."""
    where = Path(path)
    try:
        with where.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > max_size:
                raise ValidationError(
                    _("attachment {name!r} is {value}; at most {value2} is accepted").format(
                        name=where.name, value=_size(size), value2=_size(max_size)
                    )
                )
            data = stream.read(max_size + 1)
    except FileNotFoundError:
        raise ValidationError(_("attachment {value!r}: no such file").format(value=str(where))) from None
    except IsADirectoryError:
        raise ValidationError(
            _("attachment {value!r} is a folder, not a file").format(value=str(where))
        ) from None
    except OSError as exc:
        raise ValidationError(
            _("attachment {value!r} cannot be read: {strerror}").format(
                value=str(where), strerror=exc.strerror
            )
        ) from None
    return Attachment(where.name, data)
