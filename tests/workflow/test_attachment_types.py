"""What an attachment may be: its type judged by its bytes, its size, its name (workflow.core.attachments)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.core.attachments import (
    DOCX,
    OFD,
    XLSX,
    Attachment,
    check,
    check_all,
    checked_name,
    parse_size,
    read_file,
    sniff,
)
from workflow.core.errors import ValidationError
from workflow.testing import sample_file


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["建议号", "标题"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "media_type"),
    [
        ("pdf", "application/pdf"),
        ("docx", DOCX),
        ("png", "image/png"),
        ("gif", "image/gif"),
    ],
)
def test_real_files_are_known_by_their_bytes(kind: str, media_type: str) -> None:
    """A PDF, a Word document, a PNG and a GIF are each recognised by content."""
    assert sniff(sample_file(kind)) == media_type


def test_an_excel_workbook_is_xlsx_and_an_ofd_package_is_ofd() -> None:
    """The zip-based formats are told apart by what the package declares, not by being a zip."""
    assert sniff(_xlsx()) == XLSX
    assert sniff(_zip({"OFD.xml": "<ofd:OFD/>"})) == OFD


def test_a_plain_zip_a_jar_and_a_truncated_zip_are_refused() -> None:
    """A zip without an Office main part (or broken) is no accepted type."""
    assert sniff(_zip({"a.txt": "hello"})) is None
    assert sniff(_zip({"[Content_Types].xml": "<Types/>", "META-INF/MANIFEST.MF": "x"})) is None
    assert sniff(sample_file("docx")[:40]) is None


def test_jpeg_and_webp_are_known_by_their_magic_numbers() -> None:
    """JPEG's FF D8 FF and WebP's RIFF…WEBP headers."""
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") == "image/jpeg"
    assert sniff(b"RIFF\x24\x00\x00\x00WEBPVP8 ") == "image/webp"


def test_check_records_the_name_type_size_and_digest() -> None:
    """An accepted file is recorded with the SHA-256 of its bytes."""
    data = sample_file("pdf")
    attached = check(Attachment(" 答复函.pdf ", data))
    assert attached.to_json() == {
        "name": "答复函.pdf",
        "media_type": "application/pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_a_pdf_name_on_png_bytes_is_refused() -> None:
    """The name must say what the content is: a .pdf holding a PNG is refused, naming the right extension."""
    with pytest.raises(ValidationError) as caught:
        check(Attachment("答复函.pdf", sample_file("png")))
    assert str(caught.value) == "attachment '答复函.pdf' holds PNG content; name it with .png"


def test_an_executable_named_pdf_is_refused_by_content() -> None:
    """Bytes of no accepted type are refused whatever the name says."""
    with pytest.raises(ValidationError, match="not a file of an accepted type"):
        check(Attachment("答复函.pdf", b"MZ\x90\x00\x03\x00\x00\x00"))


def test_either_jpeg_extension_is_accepted() -> None:
    """.jpg and .JPEG both name JPEG content."""
    data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00rest"
    assert check(Attachment("现场.JPEG", data)).media_type == "image/jpeg"
    assert check(Attachment("现场.jpg", data)).media_type == "image/jpeg"


def test_a_file_over_the_limit_is_refused_and_one_at_it_accepted() -> None:
    """The size limit is inclusive."""
    data = sample_file("pdf")
    assert check(Attachment("a.pdf", data), max_size=len(data)).size == len(data)
    with pytest.raises(ValidationError) as caught:
        check(Attachment("a.pdf", data), max_size=len(data) - 1)
    assert (
        str(caught.value)
        == f"attachment 'a.pdf' is {len(data)} bytes; at most {len(data) - 1} bytes is accepted"
    )


def test_an_empty_file_is_refused() -> None:
    """Nothing to keep."""
    with pytest.raises(ValidationError, match="is empty"):
        check(Attachment("a.pdf", b""))


@pytest.mark.parametrize(
    "name",
    [
        "../答复函.pdf",
        "a/b.pdf",
        "..\\x.pdf",
        "C:x.pdf",
        ".hidden.pdf",
        "..",
        "a\x1b[31m.pdf",
        "",
        "x" * 197 + ".pdf",
    ],
)
def test_names_that_are_not_plain_file_names_are_refused(name: str) -> None:
    """Folders, drive letters, hidden names, control characters, empty and overlong names."""
    with pytest.raises(ValidationError):
        checked_name(name)


@given(st.text(min_size=1, max_size=60))
def test_an_accepted_name_never_leaves_its_folder(name: str) -> None:
    """Whatever is typed, an accepted name is one path part that is neither . nor .."""
    try:
        accepted = checked_name(name)
    except ValidationError:
        return
    assert Path(accepted).name == accepted
    assert accepted not in (".", "..")
    assert "/" not in accepted
    assert "\\" not in accepted


@given(st.binary(max_size=64))
def test_random_bytes_are_refused_or_recognised_never_an_error(data: bytes) -> None:
    """Sniffing never raises; random bytes are rarely any type."""
    assert sniff(data) in (None, "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")


def test_two_files_with_one_name_are_refused() -> None:
    """Each attachment of an action has its own name."""
    pdf = sample_file("pdf")
    with pytest.raises(ValidationError, match=r"two attachments are named 'a\.pdf'"):
        check_all([Attachment("a.pdf", pdf), Attachment("a.pdf", pdf)])


def test_read_file_refuses_a_missing_file_a_folder_and_a_large_file(tmp_path: Path) -> None:
    """Reading by path: one clear message each; a large file is refused by its size before it is read."""
    with pytest.raises(ValidationError, match="no such file"):
        read_file(tmp_path / "nope.pdf")
    with pytest.raises(ValidationError, match="is a folder"):
        read_file(tmp_path)
    big = tmp_path / "big.pdf"
    big.write_bytes(sample_file("pdf") + b"\0" * 2048)
    with pytest.raises(ValidationError, match=r"'big.pdf' is 2\.\d KiB; at most 1.0 KiB is accepted"):
        read_file(big, max_size=1024)


@pytest.mark.parametrize(
    ("text", "size"), [("20MiB", 20 << 20), ("500 KB", 500_000), ("1048576", 1 << 20), ("2g", 2 << 30)]
)
def test_sizes_are_read_with_their_units(text: str, size: int) -> None:
    """Binary and decimal suffixes, or plain bytes."""
    assert parse_size(text) == size


def test_a_size_without_a_number_is_refused() -> None:
    """A typo in the configuration is named."""
    with pytest.raises(ValidationError, match="is not a number of bytes"):
        parse_size("twenty")
