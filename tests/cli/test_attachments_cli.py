"""Attachments at the command line: --attach on answer, opinion and convert; attachment list and get."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from workflow.testing import row_count, sample_file

PDF = sample_file("pdf", "答复函正文")


def run(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), *args])


@pytest.fixture
def case(runner: CliRunner, db_path: Path) -> Path:
    """Suggestion 0001, assigned to a main unit alone on 2026-02-10."""
    for args in (
        ("submit", "0001", "--title", "关于公交的建议", "--deputy", "张三", "--at", "2026-01-14"),
        ("assign", "0001", "--main", "市交通运输局", "--at", "2026-02-10"),
    ):
        assert run(runner, db_path, *args).exit_code == 0
    return db_path


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    """A real PDF answer letter on disk."""
    path = tmp_path / "答复函.pdf"
    path.write_bytes(PDF)
    return path


def _answer(runner: CliRunner, db: Path, *files: Path) -> Result:
    attach = [a for f in files for a in ("--attach", str(f))]
    return run(
        runner, db, "answer", "0001", "--category", "A", "--text", "已办理", "--at", "2026-03-01", *attach
    )


def test_answer_attach_then_get_writes_the_same_bytes(
    runner: CliRunner, case: Path, letter: Path, tmp_path: Path
) -> None:
    """The file comes back byte for byte, to a file or to standard output."""
    assert _answer(runner, case, letter).exit_code == 0
    out = tmp_path / "back.pdf"
    got = run(runner, case, "attachment", "get", "0001", "答复函.pdf", "-o", str(out))
    assert got.exit_code == 0, got.output
    assert out.read_bytes() == PDF
    to_stdout = run(runner, case, "attachment", "get", "0001", "答复函.pdf", "-o", "-")
    assert (to_stdout.exit_code, to_stdout.stdout_bytes) == (0, PDF)


def test_attachment_list_shows_name_type_size_and_digest(runner: CliRunner, case: Path, letter: Path) -> None:
    """--json lists what was recorded; the text names the file and its action."""
    assert _answer(runner, case, letter).exit_code == 0
    listed = run(runner, case, "attachment", "list", "0001", "--json")
    [item] = json.loads(listed.output)
    assert {
        k: item[k] for k in ("name", "media_type", "size", "sha256", "action", "round", "unit", "who")
    } == {
        "name": "答复函.pdf",
        "media_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "action": "answer",
        "round": 1,
        "unit": "市交通运输局",
        "who": "office",
    }
    text = run(runner, case, "attachment", "list", "0001").output
    assert text.startswith("答复函.pdf  application/pdf  ")
    assert "answer (round 1) 市交通运输局" in text


def test_a_changed_file_fails_audit_verify_with_exit_9(runner: CliRunner, case: Path, letter: Path) -> None:
    """Bytes changed in the attachments folder: audit verify names the case and the file and exits 9."""
    assert _answer(runner, case, letter).exit_code == 0
    sha = hashlib.sha256(PDF).hexdigest()
    stored = case.with_name(case.name + ".attachments") / sha[:2] / sha
    assert stored.read_bytes() == PDF
    assert run(runner, case, "audit", "verify").exit_code == 0
    stored.write_bytes(PDF.replace(b"%%EOF", b"%%EOX"))
    verified = run(runner, case, "audit", "verify")
    assert verified.exit_code == 9
    assert (
        "建议 测试会议/0001: attachments row 1, event #3: the bytes of attachment '答复函.pdf' changed"
        in verified.output
    )
    assert "Error: audit trail broken in 1 case(s)" in verified.output
    got = run(runner, case, "attachment", "get", "0001", "答复函.pdf", "-o", "-")
    assert got.exit_code == 9
    assert got.output.strip().endswith("its bytes changed since it was attached; run `jianyi audit verify`")


def test_a_deleted_file_fails_audit_verify(runner: CliRunner, case: Path, letter: Path) -> None:
    """A missing file is a problem too."""
    assert _answer(runner, case, letter).exit_code == 0
    sha = hashlib.sha256(PDF).hexdigest()
    (case.with_name(case.name + ".attachments") / sha[:2] / sha).unlink()
    verified = run(runner, case, "audit", "verify")
    assert verified.exit_code == 9
    assert "the bytes of attachment '答复函.pdf' (sha256" in verified.output
    assert "are missing from" in verified.output


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "伪装.pdf",
            sample_file("png"),
            "Error: 建议 测试会议/0001: attachment '伪装.pdf' holds PNG content; name it with .png",
        ),
        ("程序.pdf", b"MZ\x90\x00", "is not a file of an accepted type"),
        ("空.pdf", b"", "Error: attachment '空.pdf' is empty"),
    ],
)
def test_a_refused_file_is_one_line_and_writes_nothing(
    runner: CliRunner, case: Path, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    """Wrong type by content, no accepted type, empty: exit 3, one line, the case unchanged."""
    path = tmp_path / name
    path.write_bytes(data)
    result = _answer(runner, case, path)
    assert result.exit_code == 3
    assert message.removeprefix("Error: 建议 测试会议/0001: ") in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert json.loads(run(runner, case, "show", "0001", "--json").output)["state"] == "assigned"


def test_a_missing_file_is_one_line(runner: CliRunner, case: Path, tmp_path: Path) -> None:
    """No such file: exit 3, nothing written."""
    result = _answer(runner, case, tmp_path / "nope.pdf")
    assert result.exit_code == 3
    assert result.output.strip() == f"Error: attachment '{tmp_path / 'nope.pdf'}': no such file"


def test_a_file_over_the_configured_limit_is_refused(
    runner: CliRunner, case: Path, letter: Path, tmp_path: Path
) -> None:
    """[attachments] max_size in --config sets the limit."""
    config = tmp_path / "jianyi.toml"
    config.write_text('[attachments]\nmax_size = "100B"\n', encoding="utf-8")
    result = runner.invoke(
        cli,
        [
            "--config",
            str(config),
            "--db",
            str(case),
            "answer",
            "0001",
            "--category",
            "A",
            "--text",
            "t",
            "--attach",
            str(letter),
        ],
    )
    assert result.exit_code == 3
    assert f"attachment '答复函.pdf' is {len(PDF)} bytes; at most 100 bytes is accepted" in result.output


def test_a_configured_folder_keeps_the_files(
    runner: CliRunner, case: Path, letter: Path, tmp_path: Path
) -> None:
    """[attachments] dir, relative to the config file, is where the bytes go."""
    config = tmp_path / "jianyi.toml"
    config.write_text('[attachments]\ndir = "files"\n', encoding="utf-8")
    result = runner.invoke(
        cli,
        [
            *("--config", str(config), "--db", str(case), "answer", "0001", "--category", "A", "--text", "t"),
            "--attach",
            str(letter),
            "--at",
            "2026-03-01",
        ],
    )
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256(PDF).hexdigest()
    assert (tmp_path / "files" / sha[:2] / sha).read_bytes() == PDF


def test_the_config_refuses_an_unknown_attachments_key(runner: CliRunner, case: Path, tmp_path: Path) -> None:
    """A typo is named, exit 2."""
    config = tmp_path / "jianyi.toml"
    config.write_text("[attachments]\nfolder = 'x'\n", encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(config), "--db", str(case), "attachment", "list", "0001"])
    assert result.exit_code == 2
    assert "unknown key(s)" in result.output
    assert "attachments.folder" in result.output


def test_opinion_and_convert_take_attach(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """A co-unit's opinion paper and a conversion's evidence are listed with their actions."""
    paper, photo = tmp_path / "会办意见.docx", tmp_path / "现场.png"
    paper.write_bytes(sample_file("docx"))
    photo.write_bytes(sample_file("png"))
    steps = [
        ("submit", "0001", "--title", "关于公交的建议", "--deputy", "张三", "--at", "2026-01-14"),
        ("assign", "0001", "--main", "市交通运输局", "--co", "市财政局", "--at", "2026-02-10"),
        (
            "--as",
            "unit:市财政局",
            "opinion",
            "0001",
            "--text",
            "同意",
            "--attach",
            str(paper),
            "--at",
            "2026-02-20",
        ),
        (
            "answer",
            "0001",
            "--category",
            "B",
            "--text",
            "已列入计划",
            "--promise",
            "调整",
            "--due",
            "2026-12-31",
        ),
        ("convert", "0001", "--to", "A", "--evidence", "已完成", "--attach", str(photo)),
    ]
    for args in steps:
        result = run(runner, db_path, *args)
        assert result.exit_code == 0, result.output
    listed = json.loads(run(runner, db_path, "attachment", "list", "0001", "--json").output)
    assert [(a["name"], a["action"]) for a in listed] == [
        ("会办意见.docx", "opinion"),
        ("现场.png", "convert"),
    ]
    assert row_count_of(db_path) == 2


def row_count_of(db: Path) -> int:
    from workflow.engine import Engine

    with Engine.open(db) as engine:
        return row_count(engine, "attachments")


def test_get_of_an_unknown_name_is_not_found(runner: CliRunner, case: Path) -> None:
    """Exit 4, naming what the case has."""
    result = run(runner, case, "attachment", "get", "0001", "x.pdf", "-o", "-")
    assert result.exit_code == 4
    assert result.output.strip() == "Error: attachment 'x.pdf' not found (建议 测试会议/0001 has: none)"
