"""Attachments of answers, opinions and conversions: kept by digest, listed, read back, audited."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from workflow.core.attachments import Attachment, AttachmentDamaged, AttachmentSettings
from workflow.core.errors import NotFound, TransitionNotAllowed, ValidationError
from workflow.core.views import Actor
from workflow.engine import Engine, Promised
from workflow.store.attachments import DatabaseBlobs, FolderBlobs
from workflow.testing import FrozenClock, make_case, row_count, sample_file

pytestmark = pytest.mark.parametrize(
    "backend",
    ["sqlite-file", "sqlite-memory", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)

PDF = sample_file("pdf", "关于优化公交线路建议的答复")


def _answered(engine: Engine, clock: FrozenClock, *files: Attachment) -> None:
    make_case(engine, "0001", state="co_handled", clock=clock)
    clock.advance(days=1)
    engine.answer("0001", category="A", text="已办理", attachments=files)


def _tamper(engine: Engine, sha256: str, data: bytes) -> None:
    """Change the stored bytes behind the engine's back."""
    blobs = engine.blobs
    if isinstance(blobs, FolderBlobs):
        blobs.path(sha256).write_bytes(data)
        return
    assert isinstance(blobs, DatabaseBlobs)
    with engine.db.managed() as conn:
        conn.execute(
            text("UPDATE attachment_blobs SET data = :d WHERE sha256 = :s"), {"d": data, "s": sha256}
        )


def test_an_answer_keeps_its_letter_and_gives_back_the_same_bytes(engine: Engine, clock: FrozenClock) -> None:
    """get returns exactly the bytes attached, with what was recorded about them."""
    _answered(engine, clock, Attachment("答复函.pdf", PDF))
    info, data = engine.attachment("0001", "答复函.pdf")
    assert data == PDF
    assert (info.name, info.media_type, info.size, info.sha256) == (
        "答复函.pdf",
        "application/pdf",
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
    )
    assert (info.action, info.round, info.unit, info.who, info.at) == (
        "answer",
        1,
        "市交通运输局",
        "office",
        clock.now(),
    )


def test_the_digest_is_in_the_answers_audit_event(engine: Engine, clock: FrozenClock) -> None:
    """The hash chain covers the attachment: its name, type, size and SHA-256 are in the event's data."""
    _answered(engine, clock, Attachment("答复函.pdf", PDF))
    event = engine.history("0001")[-1]
    assert event.action == "answer"
    assert event.data["attachments"] == [
        {
            "name": "答复函.pdf",
            "media_type": "application/pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
        }
    ]


def test_an_opinion_and_a_conversion_carry_their_files(engine: Engine, clock: FrozenClock) -> None:
    """The co-unit's opinion paper and the evidence of a B→A conversion are listed in the order they came."""
    make_case(engine, "0001", state="assigned", clock=clock)
    clock.advance(days=1)
    engine.opinion(
        "0001",
        text="同意",
        actor=Actor.unit("市财政局"),
        attachments=[Attachment("会办意见.docx", sample_file("docx"))],
    )
    clock.advance(days=1)
    engine.answer(
        "0001", category="B", text="已列入计划", promises=[Promised("完成线路调整", date(2026, 12, 31))]
    )
    clock.advance(days=1)
    engine.convert(
        "0001", to="A", evidence="已完成", attachments=[Attachment("现场.png", sample_file("png"))]
    )
    listed = [(a.name, a.action, a.unit, a.who) for a in engine.attachments("0001")]
    assert listed == [
        ("会办意见.docx", "opinion", "市财政局", "unit:市财政局"),
        ("现场.png", "convert", None, "office"),
    ]
    assert engine.verify_audit() == (1, [])


def test_a_file_by_path_is_named_by_its_last_part(engine: Engine, clock: FrozenClock, tmp_path: Path) -> None:
    """A path attaches the file's bytes under its own name."""
    path = tmp_path / "答复函.pdf"
    path.write_bytes(PDF)
    make_case(engine, "0001", state="co_handled", clock=clock)
    clock.advance(days=1)
    engine.answer("0001", category="A", text="已办理", attachments=[path])
    assert engine.attachment("0001", "答复函.pdf")[1] == PDF


def test_a_modified_blob_fails_the_audit_check(engine: Engine, clock: FrozenClock) -> None:
    """Bytes changed behind the engine's back are a problem naming the case and the file; get refuses them."""
    _answered(engine, clock, Attachment("答复函.pdf", PDF))
    sha = hashlib.sha256(PDF).hexdigest()
    _tamper(engine, sha, PDF + b"% altered\n")
    cases, problems = engine.verify_audit()
    assert cases == 1
    [problem] = problems
    assert (problem.number, problem.table, problem.seq) == (
        "0001",
        "attachments",
        engine.history("0001")[-1].seq,
    )
    assert "the bytes of attachment '答复函.pdf' changed: sha256 " in problem.problem
    assert f"where {sha[:16]}… was recorded" in problem.problem
    with pytest.raises(AttachmentDamaged, match="its bytes changed since it was attached"):
        engine.attachment("0001", "答复函.pdf")


def test_a_refused_answer_writes_no_attachment_row(engine: Engine, clock: FrozenClock) -> None:
    """An action refused by the lifecycle leaves no row (its bytes, kept by digest, name nothing)."""
    make_case(engine, "0001", state="submitted", clock=clock)
    clock.advance(days=1)
    with pytest.raises(TransitionNotAllowed):
        engine.answer("0001", category="A", text="已办理", attachments=[Attachment("答复函.pdf", PDF)])
    assert row_count(engine, "attachments") == 0
    assert engine.attachments("0001") == []
    assert engine.verify_audit() == (1, [])


def test_a_refused_file_refuses_the_action(engine: Engine, clock: FrozenClock) -> None:
    """A file of the wrong type stops the answer: nothing is written, the case stays as it was."""
    make_case(engine, "0001", state="co_handled", clock=clock)
    clock.advance(days=1)
    with pytest.raises(ValidationError, match=r"holds PNG content; name it with \.png"):
        engine.answer(
            "0001", category="A", text="已办理", attachments=[Attachment("答复函.pdf", sample_file("png"))]
        )
    assert engine.get("0001").state == "co_handled"
    assert row_count(engine, "attachments") == 0


def test_a_name_the_case_already_has_is_refused(engine: Engine, clock: FrozenClock) -> None:
    """get names one file: a second attachment with the name of an earlier one is refused."""
    make_case(engine, "0001", state="assigned", clock=clock)
    clock.advance(days=1)
    engine.opinion(
        "0001", text="同意", actor=Actor.unit("市财政局"), attachments=[Attachment("意见.pdf", PDF)]
    )
    clock.advance(days=1)
    with pytest.raises(ValidationError, match=r"already has an attachment named '意见\.pdf'"):
        engine.answer(
            "0001", category="A", text="已办理", attachments=[Attachment("意见.pdf", sample_file("pdf", "x"))]
        )
    assert [a.name for a in engine.attachments("0001")] == ["意见.pdf"]


def test_the_same_bytes_under_two_cases_are_kept_once(engine: Engine, clock: FrozenClock) -> None:
    """Content-addressed: one blob, two rows; both read back."""
    for number in ("0001", "0002"):
        make_case(engine, number, state="co_handled", clock=clock)
    clock.advance(days=1)
    for number in ("0001", "0002"):
        engine.answer(number, category="A", text="已办理", attachments=[Attachment("答复函.pdf", PDF)])
    assert row_count(engine, "attachments") == 2
    assert engine.attachment("0002", "答复函.pdf")[1] == PDF


def test_an_unknown_name_is_not_found_naming_what_the_case_has(engine: Engine, clock: FrozenClock) -> None:
    """The error lists the case's attachments."""
    _answered(engine, clock, Attachment("答复函.pdf", PDF))
    with pytest.raises(
        NotFound, match=r"attachment 'x.pdf' not found \(建议 测试会议/0001 has: 答复函.pdf\)"
    ):
        engine.attachment("0001", "x.pdf")


def test_the_size_limit_comes_from_the_settings(engine: Engine, clock: FrozenClock) -> None:
    """An engine opened with a smaller limit refuses a larger file."""
    make_case(engine, "0001", state="co_handled", clock=clock)
    clock.advance(days=1)
    small = Engine(engine.db, clock=clock, attachments=AttachmentSettings(in_database=True, max_size=64))
    with pytest.raises(ValidationError, match="at most 64 bytes is accepted"):
        small.answer("0001", category="A", text="已办理", attachments=[Attachment("答复函.pdf", PDF)])
    assert row_count(engine, "attachments") == 0
